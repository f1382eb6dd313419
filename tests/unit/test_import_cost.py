"""What a Pulumi program pays to import the package: every `pulumi up` imports it twice (the program and the
provider process), so the program must not load what only the provider's requests, token store or icons need."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """\
import json, sys
import pulumi_bitrix24
from pulumi_bitrix24 import bot, bot_command, chat_app, widget
models = [bot.BotModel, bot_command.BotCommandModel, chat_app.ChatAppModel, widget.WidgetModel]
print(json.dumps({
    "loaded": sorted(m for m in ("requests", "urllib3", "tenacity", "filelock", "PIL") if m in sys.modules),
    "built": [m.__name__ for m in models if m.__pydantic_complete__],
}))
"""


def test_the_program_loads_no_http_token_lock_or_image_library_and_builds_no_validator() -> None:
    run = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    assert json.loads(run.stdout) == {"loaded": [], "built": []}


def test_a_deferred_validator_is_built_on_first_use() -> None:
    from pulumi_bitrix24.chat_app import ChatAppModel

    fields = {"bot_id": 1, "code": "c", "translations": [{"language_id": "en", "title": "T"}], "js_method": "SEND"}
    assert ChatAppModel.model_validate(fields).code == "c"
    assert ChatAppModel.__pydantic_complete__
