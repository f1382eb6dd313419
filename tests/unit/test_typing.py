"""The public API as a type checker sees it: `mypy --strict` on a user's program catches values outside a closed set."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

PROGRAM = """\
import pulumi

from pulumi_bitrix24 import Bot, BotArgs, BotProperties, ChatApp, ChatAppArgs, Translation, Widget, WidgetArgs

props = BotProperties(name="Echo", color="purple")
bot = Bot("echo", BotArgs(code="echo", event_handler="https://example.com/e", properties=BotProperties(name="E")))
lang = [Translation(language_id="en", title="Help")]
ChatApp("bad", ChatAppArgs(bot_id=bot.bot_id, code="bad", js_method="send", js_param="/help", translations=lang))
ChatApp("where", ChatAppArgs(bot_id=1, code="w", iframe="https://e.com", context="bot-admin", translations=lang))
app = ChatApp("ok", ChatAppArgs(bot_id=bot.bot_id, code="ok", js_method="SEND", js_param="/help", context="BOT-admin",
                                translations=lang))
outputs: list[pulumi.Output[int] | pulumi.Output[bool] | pulumi.Output[int | None] | pulumi.Output[str]] = [
    bot.bot_id, bot.adopted, app.app_id, app.bot_id, app.iframe_width, app.code, app.context, app.hidden,
]
Widget("w", WidgetArgs(placement="IM_TEXTBOX", handler="https://e.com/w", title="W", icon_name="fa-x"))
Widget("ok", WidgetArgs(placement="IM_SIDEBAR", handler="https://e.com/s", title="S", role="ADMIN", color="RED"))
"""
EXPECTED = [
    """program.py:5: error: Argument "color" to "BotProperties" has incompatible type "Literal['purple']"; """
    """expected "Literal['RED', 'GREEN', 'MINT', 'LIGHT_BLUE', 'DARK_BLUE', 'PURPLE', """,
    """program.py:8: error: Argument "js_method" to "ChatAppArgs" has incompatible type "Literal['send']"; """
    """expected "Literal['PUT', 'SEND', 'CALL', 'SUPPORT'] | Awaitable[""",
    """program.py:9: error: Argument "context" to "ChatAppArgs" has incompatible type "Literal['bot-admin']"; """
    """expected "Literal['ALL', 'USER', 'CHAT', 'BOT', 'LINES', 'CALL', 'ALL-admin', """,
    """program.py:15: error: Argument "placement" to "WidgetArgs" has incompatible type "Literal['IM_TEXTBOX']"; """
    """expected "Literal['IM_TEXTAREA', 'IM_SIDEBAR', 'IM_CONTEXT_MENU', 'IM_NAVIGATION', 'IMMOBILE_CONTEXT_MENU'] """,
]


def test_mypy_strict_catches_values_outside_the_literal_types(tmp_path: Path) -> None:
    (tmp_path / "program.py").write_text(textwrap.dedent(PROGRAM))
    # No project config (its pydantic plugin is not the user's) and a fresh cache in tmp: about 6 s.
    options = ["--strict", "--config-file=", "--no-error-summary", "--cache-dir", str(tmp_path / "cache")]
    run = subprocess.run(
        [sys.executable, "-m", "mypy", *options, "program.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    errors = run.stdout.splitlines()
    assert len(errors) == len(EXPECTED), run.stdout + run.stderr
    for line, expected in zip(errors, EXPECTED, strict=True):
        assert line.startswith(expected), line
