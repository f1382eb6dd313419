"""pulumi_bitrix24.native: a Python program on the provider plugin, with explicit providers (two portals), a
lookup and the `import_` option, through the real CLI against the emulator."""

from __future__ import annotations

import re
from pathlib import Path

from .harness import REPO, VENV, EmulatorControl, Project, offline_env

README = REPO / "README.md"

README_PROGRAM = re.search(r"### Python on the plugin.*?```python\n(.*?)```", README.read_text(), re.S)
assert README_PROGRAM is not None
PROGRAM = (
    README_PROGRAM[1]
    + """
pulumi.export("globexBotId", bot.bot_id)
pulumi.export("globexFound", bot.bot_id.apply(lambda bot_id: native.get_bot(bot_id=bot_id,
                                                                             opts=pulumi.InvokeOptions(provider=portal))))
"""
)
"""The README's program as printed, and the last portal's bot looked up through its provider."""

IMPORTED = """
acme = native.Provider("acme-again", webhook_url=config.require_secret("acmeWebhook"),
                       client_id=config.require_secret("acmeClientId"))
byhand = native.Bot("byhand", BotArgs(code="byhand", event_handler="https://example.com/byhand",
                    properties=BotProperties(name="By hand")),
                    pulumi.ResourceOptions(provider=acme, import_=config.require("byhandId")))
"""


def python_project(root: Path, env: dict[str, str]) -> Project:
    """A Python project whose Pulumi.yaml loads the plugin from this environment's bin folder."""
    project = Project(root, env, "native")
    pulumi_yaml = project.root / "Pulumi.yaml"
    plugins = f"plugins:\n  providers:\n    - name: bitrix24\n      path: {VENV / 'bin'}\n"
    pulumi_yaml.write_text(pulumi_yaml.read_text() + plugins)
    return project


def test_explicit_providers_manage_two_portals_from_python_and_a_bot_is_imported(
    tmp_path: Path, pulumi_bin: Path, pulumi_home: Path, two_portals: dict[str, EmulatorControl]
) -> None:
    acme, globex = two_portals["acme"], two_portals["globex"]
    for portal in two_portals.values():
        portal.reset()
    (tmp_path / "backend").mkdir()
    project = python_project(tmp_path / "native", offline_env(pulumi_bin, pulumi_home, tmp_path / "backend",
                                                              acme.info.ca_bundle))  # fmt: skip
    for name, portal in two_portals.items():
        project.config(f"{name}Webhook", portal.info.webhook_url, secret=True)
        project.config(f"{name}ClientId", portal.info.client_id, secret=True)
    project.program(PROGRAM)

    assert project.preview().changes() == {"create": 7}  # the stack, 2 providers, 2 bots, 2 commands
    assert acme.writes("") == [] and globex.writes("") == []
    assert project.up().changes() == {"create": 7}
    outputs = project.outputs()
    for name, portal in two_portals.items():
        [bot] = portal.state()["bots"]
        [command] = portal.state()["commands"]
        assert (bot["CODE"], bot["PROPERTIES"]["NAME"]) == ("helper", f"{name.title()} helper")
        assert (command["BOT_ID"], command["COMMAND"]) == (bot["ID"], "help")
    found = outputs["globexFound"]  # get_bot through globex's provider, by Python names
    [globex_bot] = globex.state()["bots"]
    expected = (globex_bot["ID"], "helper", {"name": "Globex helper"})
    assert (found["bot_id"], found["code"], found["properties"]) == expected
    exported = project.export()
    assert acme.info.client_id not in exported and globex.info.webhook_url not in exported
    state = {r["type"].rsplit(":", 1)[-1]: r for r in project.resources() if r["type"].startswith("bitrix24:")}
    assert state["Bot"]["id"] == str(outputs["globexBotId"]) and state["BotCommand"]["outputs"]["command"] == "help"
    assert project.preview().changes() == {"same": 7}

    by_hand = acme.call("imbot.register", CODE="byhand", EVENT_HANDLER="https://example.com/old",
                        PROPERTIES={"NAME": "By hand"})["result"]  # fmt: skip
    project.config("byhandId", str(by_hand))
    project.program(PROGRAM + IMPORTED)
    acme.clear_journal()
    imported = project.up()
    # imported by id; its handler URLs cannot be read back, so the same `up` sends them (an update)
    assert imported.changes() == {"create": 1, "import": 1, "update": 1, "same": 7}  # the provider, the bot
    assert acme.writes() == ["imbot.update"]
    [stored] = [b for b in acme.state()["bots"] if b["CODE"] == "byhand"]
    assert (stored["ID"], stored["EVENT_MESSAGE_ADD"]) == (by_hand, "https://example.com/byhand")
    assert project.preview().changes() == {"same": 9}
    project.destroy()
    assert acme.state()["bots"] == [] and globex.state()["bots"] == []
