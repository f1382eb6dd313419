"""One core, two front ends: the same scenario through the Python classes (dynamic provider) and through the plugin
(a YAML program), each on its own stack with its own CLIENT_ID, against the emulator, gives the same portal
objects, the same refresh drift and the same rule text for a refused input."""

from __future__ import annotations

import re
from typing import Any

from pulumi_bitrix24._schema import snake

from .conftest import ProjectFactory
from .harness import EmulatorControl, Project, first_error
from .plugin_harness import YamlFactory, yaml_program

HANDLER = "https://example.com/twin/events"
BAD_HANDLER = "http://example.com/twin/events"
PYTHON = """
import pulumi
from pulumi_bitrix24 import (Bot, BotArgs, BotCommand, BotCommandArgs, BotProperties, ChatApp, ChatAppArgs,
                             CommandTranslation, Translation)

handler = pulumi.Config().require("handler")
bot = Bot("twinBot", BotArgs(code="twin", event_handler=handler,
          properties=BotProperties(name="Twin", color="AQUA", work_position="Answers /help")))
BotCommand("helpCommand", BotCommandArgs(bot_id=bot.bot_id, command="help", event_command_add=handler, translations=[
    CommandTranslation(language_id="en", title="Show help", params="topic"),
    CommandTranslation(language_id="de", title="Hilfe anzeigen", params="Thema")]))
ChatApp("helpButton", ChatAppArgs(bot_id=bot.bot_id, code="help_button", js_method="SEND", js_param="/help",
        translations=[Translation(language_id="en", title="Help", description="Ask the twin bot")]))
"""
YAML = yaml_program(
    "twin",
    """config:
  handler:
    type: string
resources:
  twinBot:
    type: bitrix24:index:Bot
    properties:
      code: twin
      eventHandler: ${handler}
      properties:
        name: Twin
        color: AQUA
        workPosition: Answers /help
  helpCommand:
    type: bitrix24:index:BotCommand
    properties:
      botId: ${twinBot.botId}
      command: help
      eventCommandAdd: ${handler}
      translations:
        - languageId: en
          title: Show help
          params: topic
        - languageId: de
          title: Hilfe anzeigen
          params: Thema
  helpButton:
    type: bitrix24:index:ChatApp
    properties:
      botId: ${twinBot.botId}
      code: help_button
      jsMethod: SEND
      jsParam: /help
      translations:
        - languageId: en
          title: Help
          description: Ask the twin bot
""",
)
PORTAL_IDS = frozenset({"ID", "OWNER", "BOT_ID"})
"""Fields of a portal object that differ by run: its id, its owner (each stack's CLIENT_ID), its bot's id."""


def portal_objects(emulator: EmulatorControl) -> dict[str, list[dict[str, Any]]]:
    """Every bot, command and app on the portal without the fields that differ by run."""
    state = emulator.state()
    return {kind: [{k: v for k, v in o.items() if k not in PORTAL_IDS} for o in state[kind]] for kind in state}


def normalized(value: Any) -> Any:
    """Outputs in the core's names (snake_case), without the dynamic front end's own entries (`__provider`)."""
    if isinstance(value, dict):
        return {snake(k): normalized(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [normalized(v) for v in value]
    return value


def changed(old: dict[str, Any], new: dict[str, Any], path: str = "") -> dict[str, tuple[Any, Any]]:
    """The leaves that differ between two output trees, by dotted path."""
    found: dict[str, tuple[Any, Any]] = {}
    for key in old.keys() | new.keys():
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            found.update(changed(a, b, f"{path}{key}."))
        elif a != b:
            found[f"{path}{key}"] = (a, b)
    return found


def bot_outputs(project: Project) -> dict[str, Any]:
    """The stack's outputs of the bot (its resource type differs by front end; its name does not)."""
    [bot] = [r["outputs"] for r in project.resources() if r["urn"].endswith("::twinBot")]
    return dict(bot)


def scenario(project: Project, emulator: EmulatorControl, client_id: str) -> dict[str, Any]:
    """Create, hand edit + refresh, refused input, destroy, as the application `client_id`; what each step left,
    in front-end neutral terms."""
    project.config("bitrix24:clientId", client_id, secret=True)
    project.config("handler", HANDLER)
    project.up()
    created = portal_objects(emulator)
    before = bot_outputs(project)
    bot_id = before.get("botId", before.get("bot_id"))
    edit = {"BOT_ID": bot_id, "FIELDS": {"PROPERTIES": {"NAME": "Renamed by hand"}}}
    # As the owning application: the portal refuses imbot.update of another application's bot.
    assert emulator.call("imbot.update", CLIENT_ID=client_id, **edit)["result"] is True
    refreshed = project.cli("refresh", "--yes", "--json").changes()
    after = bot_outputs(project)
    project.config("handler", BAD_HANDLER)
    refused = project.preview(check=False)
    assert refused.code != 0
    rule = re.search(r"has a problem: (.*)", first_error(refused))
    assert rule is not None, refused.output
    project.destroy()
    assert emulator.state()["bots"] == []
    return {
        "created": created,
        "updated by refresh": refreshed.get("update"),
        "drift": changed(normalized(before), normalized(after)),
        "rule": rule.group(1),
    }


def test_python_classes_and_yaml_plugin_do_the_same(
    new_project: ProjectFactory,
    yaml_project: YamlFactory,
    emulator: EmulatorControl,
) -> None:
    python = new_project("python")
    python.program(PYTHON)
    through_python = scenario(python, emulator, "front-python")
    through_yaml = scenario(yaml_project(YAML, emulator), emulator, "front-yaml")

    assert through_python == through_yaml
    assert through_yaml["drift"] == {"properties.name": ("Twin", "Renamed by hand")}
    assert through_yaml["updated by refresh"] == 1
    assert through_yaml["rule"].startswith("must be an https:// URL"), through_yaml["rule"]
    assert [len(through_yaml["created"][kind]) for kind in ("bots", "commands", "apps")] == [1, 1, 1]
