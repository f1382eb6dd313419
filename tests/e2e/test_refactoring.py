"""Refactoring a program as Pulumi users do: renames and moves into a ComponentResource, through the real CLI."""

from __future__ import annotations

from .conftest import ProjectFactory
from .harness import REPO, EmulatorControl, Project

COMPONENT = (REPO / "examples" / "component" / "__main__.py").read_text()
BEFORE = """
import pulumi
from pulumi_bitrix24 import (Bot, BotArgs, BotCommand, BotCommandArgs, BotProperties, ChatApp, ChatAppArgs,
                             CommandTranslation, Translation)
handler = "https://example.com/bitrix24/events"
bot = Bot("helper-bot", BotArgs(code="quickstart_helper", event_handler=handler,
          properties=BotProperties(name="Helper", color="AQUA", work_position="Answers /help")))
BotCommand("help-command", BotCommandArgs(bot_id=bot.bot_id, command="help", event_command_add=handler,
           translations=[CommandTranslation(language_id="en", title="Show help", params="topic")]))
ChatApp("help-button", ChatAppArgs(bot_id=bot.bot_id, code="help_button", js_method="SEND", js_param="/help",
        translations=[Translation(language_id="en", title="Help", description="Ask the helper bot")]))
pulumi.export("bot_id", bot.bot_id)
"""


def portal(emulator: EmulatorControl) -> dict[str, list[int]]:
    state = emulator.state()
    return {kind: sorted(item["ID"] for item in state[kind]) for kind in ("bots", "commands", "apps")}


def stack(project: Project) -> dict[str, str]:
    """Each bitrix24 resource of the state by its URN's parent type and name, with its id."""
    return {r["urn"].split("::", 2)[2]: r["id"] for r in project.resources() if "bitrix24" in r["type"] and "id" in r}


def test_moving_the_quickstart_into_a_component_keeps_every_object(
    new_project: ProjectFactory, emulator: EmulatorControl
) -> None:
    project = new_project()
    project.program(BEFORE)
    project.up()
    before, ids = portal(emulator), sorted(stack(project).values())

    without_aliases = COMPONENT.replace(", aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]", "")
    assert without_aliases != COMPONENT
    project.program(without_aliases)
    refused = project.preview(check=False)
    assert refused.code != 0
    assert "aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]` after a move into a component" in refused.output
    assert "pulumi stack --show-urns" in refused.output

    project.program(COMPONENT)
    assert project.preview().changes() == {"create": 1, "same": 4}  # the component itself, nothing of the portal
    run = project.up()
    assert run.changes() == {"create": 1, "same": 4}, run.output
    assert portal(emulator) == before
    moved = stack(project)
    assert sorted(moved.values()) == ids
    assert all(urn.startswith("examples:index:SupportBot$") for urn in moved), moved


def test_renaming_a_bot_with_adopt_previews_what_up_does(
    new_project: ProjectFactory, emulator: EmulatorControl
) -> None:
    """The new resource adopts the bot (same id), so its command and button keep their bot_id: the preview shows
    no replacement of them, as `up` makes none; the old resource's delete keeps the bot."""
    project = new_project()
    project.program(BEFORE)
    project.up()
    before = portal(emulator)

    project.program(
        BEFORE.replace('Bot("helper-bot"', 'Bot("support-bot"').replace(
            'Answers /help")', 'Answers /help"), adopt=True'
        )
    )
    expected = {"create": 1, "delete": 1, "same": 3}
    assert project.preview().changes() == expected
    run = project.up()
    assert run.changes() == expected, run.output
    assert f"kept bot {before['bots'][0]} (code 'quickstart_helper') on the portal" in run.output
    assert portal(emulator) == before
    assert project.preview().changes() == {"same": 4}
