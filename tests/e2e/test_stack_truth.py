"""The preview tells the truth and the state follows the portal: scenarios a user lives through, end to end.

Each test asserts the portal (the emulator's state) and the stack (its exported state) side by side.
"""

from __future__ import annotations

import pytest

from .conftest import ProjectFactory
from .harness import EmulatorControl, Project, portal_ids, stack_ids

STACK = """
import pulumi
from pulumi_bitrix24 import (
    Bot, BotArgs, BotCommand, BotCommandArgs, BotProperties, ChatApp, ChatAppArgs, CommandTranslation, Translation,
)

bot = Bot({bot_name!r}, BotArgs(code="echo", event_handler="https://example.com/events",
          properties=BotProperties(name={name!r}, color={color!r}){bot_extra}){bot_opts})
app = ChatApp({app_name!r}, ChatAppArgs(bot_id=bot.bot_id, code="helper", js_method="SEND", js_param="/help",
              translations=[Translation(language_id="en", title="Help")]){app_opts})
command = BotCommand("help", BotCommandArgs(bot_id=bot.bot_id, command="help",
                     event_command_add="https://example.com/commands",
                     translations=[CommandTranslation(language_id="en", title="Help")]){command_opts})
pulumi.export("bot_id", bot.bot_id)
pulumi.export("app_id", app.app_id)
pulumi.export("command_id", command.command_id)
"""


def stack_program(**overrides: str) -> str:
    values = {
        "bot_name": "echo",
        "app_name": "helper",
        "name": "Echo",
        "color": "AQUA",
        "bot_extra": "",
        "bot_opts": "",
        "app_opts": "",
        "command_opts": "",
    }
    return STACK.format(**{**values, **overrides})


@pytest.fixture
def project(new_project: ProjectFactory, emulator: EmulatorControl) -> Project:
    project = new_project()
    project.program(stack_program())
    assert project.up().changes() == {"create": 4}
    assert stack_ids(project) == portal_ids(emulator)
    emulator.clear_journal()
    return project


def test_renamed_bot_without_alias_fails_before_changing_anything(project: Project, emulator: EmulatorControl) -> None:
    before = portal_ids(emulator)
    project.program(stack_program(bot_name="echo-bot"))
    for run in (project.preview(check=False), project.up(check=False)):
        assert run.code != 0
        assert "bot code 'echo' already exists on the portal" in run.output
        assert 'aliases=[pulumi.Alias(name=\\"old-name\\")])` after a rename' in run.output  # JSON-escaped
        assert "aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]` after a move into a component" in run.output
        assert "set adopt=True" in run.output
    assert emulator.writes() == []
    assert portal_ids(emulator) == stack_ids(project) == before

    # The way out the message names: an alias keeps every object, and nothing is sent.
    alias = ", opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name='echo')])"
    project.program(stack_program(bot_name="echo-bot", bot_opts=alias))
    assert project.up().changes() == {"same": 4}
    assert emulator.writes() == []
    assert portal_ids(emulator) == stack_ids(project) == before
    assert project.preview().changes() == {"same": 4}


def test_renamed_app_without_alias_keeps_the_app(project: Project, emulator: EmulatorControl) -> None:
    before = portal_ids(emulator)
    project.program(stack_program(app_name="help-button"))
    run = project.up()
    assert run.changes() == {"create": 1, "delete": 1, "same": 3}
    assert f"kept chat app {before['apps'][0]} (bot_id " in run.output
    assert "imbot.app.unregister" not in emulator.writes()
    assert portal_ids(emulator) == stack_ids(project) == before
    assert project.outputs()["app_id"] == before["apps"][0]
    assert project.preview().changes() == {"same": 4}


def test_second_stack_with_the_same_codes_leaves_the_first_alone(
    project: Project, new_project: ProjectFactory, emulator: EmulatorControl
) -> None:
    before = portal_ids(emulator)
    second = new_project("second")
    second.program(stack_program())
    preview = second.preview(check=False)
    assert (
        preview.code != 0 and f"bot code 'echo' already exists on the portal (id {before['bots'][0]})" in preview.output
    )
    assert second.up(check=False).code != 0
    assert second.resources() == [] or stack_ids(second) == {"bots": [], "apps": [], "commands": []}
    assert emulator.writes() == []
    assert portal_ids(emulator) == stack_ids(project) == before
    assert project.preview().changes() == {"same": 4}


@pytest.mark.parametrize(
    ("duplicate", "message"),
    [
        (
            'Bot("again", BotArgs(code="echo", event_handler="https://e.com/x", properties=BotProperties(name="A")))',
            "Bot resources 'echo' and 'again' both declare code 'echo'",
        ),
        (
            'ChatApp("again", ChatAppArgs(bot_id=bot.bot_id, code="helper", iframe="https://e.com/f",'
            ' hash="h" * 32, translations=[Translation(language_id="en", title="F")]))',
            "ChatApp resources 'helper' and 'again' both declare bot_id of Bot 'echo', code 'helper'",
        ),
        (
            'BotCommand("again", BotCommandArgs(bot_id=bot.bot_id, command="help", event_command_add="https://e.com/c",'
            ' translations=[CommandTranslation(language_id="en", title="I")]))',
            "BotCommand resources 'help' and 'again' both declare bot_id of Bot 'echo', command 'help'",
        ),
    ],
    ids=["bot", "chat-app", "command"],
)
def test_duplicate_identities_in_one_program_fail_preview_and_up(
    project: Project, emulator: EmulatorControl, duplicate: str, message: str
) -> None:
    before = portal_ids(emulator)
    project.program(stack_program(name="Echo 2") + duplicate + "\n")
    # `pulumi up` previews first; with --skip-preview the resources declared before the duplicate could change.
    for run in (project.preview(check=False), project.cli("up", "--yes", "--json", check=False)):
        assert run.code != 0 and message in run.output, run.output
        assert "Traceback" not in run.output
    assert emulator.writes() == []
    assert portal_ids(emulator) == stack_ids(project) == before


@pytest.mark.parametrize("protect", [False, True], ids=["plain", "protected-dependents"])
def test_bot_color_change_previews_one_update(project: Project, emulator: EmulatorControl, protect: bool) -> None:
    opts = ", opts=pulumi.ResourceOptions(protect=True)" if protect else ""
    project.program(stack_program(app_opts=opts, command_opts=opts))
    project.up()
    before = portal_ids(emulator)
    project.program(stack_program(app_opts=opts, command_opts=opts, color="RED"))
    assert project.preview().changes() == {"update": 1, "same": 3}
    assert project.up().changes() == {"update": 1, "same": 3}
    assert emulator.writes() == ["imbot.update"]
    assert portal_ids(emulator) == stack_ids(project) == before
    [bot] = emulator.state()["bots"]
    assert bot["PROPERTIES"]["COLOR"] == "RED"


def test_bot_deleted_outside_pulumi_refresh_then_up_recreates_everything(
    project: Project, emulator: EmulatorControl
) -> None:
    old = portal_ids(emulator)
    emulator.call("imbot.unregister", BOT_ID=old["bots"][0])  # the portal deletes its apps and commands too
    assert portal_ids(emulator) == {"bots": [], "apps": [], "commands": []}

    # Before the refresh, an update meets the missing bot and says how to recover.
    project.program(stack_program(color="RED"))
    failed = project.up(check=False)
    assert failed.code != 0 and "Run `pulumi refresh` to drop it from the stack, then `pulumi up`" in failed.output

    assert project.cli("refresh", "--yes", "--json").changes() == {"delete": 3, "same": 1}
    assert stack_ids(project) == portal_ids(emulator) == {"bots": [], "apps": [], "commands": []}
    assert project.up().changes() == {"create": 3, "same": 1}
    now = portal_ids(emulator)
    assert now == stack_ids(project) and all(len(now[k]) == 1 for k in now)
    assert project.outputs()["bot_id"] == now["bots"][0] != old["bots"][0]
    assert project.preview().changes() == {"same": 4}


def test_bot_edited_by_hand_shows_as_drift_and_up_converges(project: Project, emulator: EmulatorControl) -> None:
    [bot] = emulator.state()["bots"]
    emulator.call("imbot.update", BOT_ID=bot["ID"], FIELDS={"PROPERTIES": {"NAME": "Renamed by hand"}})
    assert project.preview().changes() == {"same": 4}  # without a refresh the state cannot know

    assert project.cli("refresh", "--yes", "--json").changes() == {"update": 1, "same": 3}
    stored = next(r for r in project.resources() if r["type"].endswith(":Bot"))
    assert stored["outputs"]["properties"]["name"] == "Renamed by hand"
    preview = project.cli("preview", "--diff")
    assert '"Renamed by hand" => "Echo"' in preview.output and "~ 1 to update" in preview.output
    emulator.clear_journal()
    assert project.up().changes() == {"update": 1, "same": 3}
    assert emulator.writes() == ["imbot.update"]
    assert emulator.state()["bots"][0]["PROPERTIES"]["NAME"] == "Echo"
    assert project.preview().changes() == {"same": 4}


def test_import_option_explains_adoption(project: Project, emulator: EmulatorControl) -> None:
    project.program(stack_program(bot_opts=', opts=pulumi.ResourceOptions(import_="5")'))
    run = project.preview(check=False)
    assert run.code != 0
    assert "Pulumi cannot import dynamic resources such as Bot (pulumi/pulumi#16175)" in run.output
    assert "set adopt=True" in run.output and "Traceback" not in run.output and "__provider" not in run.output
    assert emulator.writes() == []


def test_adopting_an_existing_bot_is_explicit_and_visible(
    new_project: ProjectFactory, emulator: EmulatorControl
) -> None:
    existing = emulator.make_bot("echo")
    project = new_project()
    project.program(stack_program(bot_extra=", adopt=True"))
    run = project.up()
    assert run.changes() == {"create": 4}
    assert f"adopted the existing bot code 'echo' (id {existing}), as adopt=True asks" in run.output
    assert project.outputs()["bot_id"] == existing
    assert portal_ids(emulator) == stack_ids(project)
    [bot] = emulator.state()["bots"]
    assert (bot["PROPERTIES"]["NAME"], bot["PROPERTIES"]["COLOR"]) == ("Echo", "AQUA")  # converged to the program
    adopted = next(r for r in project.resources() if r["type"].endswith(":Bot"))
    assert adopted["outputs"]["adopted"] is True
    assert project.preview().changes() == {"same": 4}


def test_a_bot_of_another_application_is_never_adopted(new_project: ProjectFactory, emulator: EmulatorControl) -> None:
    emulator.call(
        "imbot.register",
        CODE="echo",
        CLIENT_ID="someone-else",
        EVENT_HANDLER="https://example.com/x",
        PROPERTIES={"NAME": "Theirs"},
    )
    project = new_project()
    project.program(stack_program(bot_extra=", adopt=True"))
    run = project.preview(check=False)
    assert run.code != 0 and "belongs to another application" in run.output
    emulator.clear_journal()
    assert project.up(check=False).code != 0
    assert emulator.writes() == []
    assert emulator.state()["bots"][0]["PROPERTIES"]["NAME"] == "Theirs"


def test_an_app_declared_again_with_the_bots_id_as_a_number_fails_preview(
    project: Project, emulator: EmulatorControl
) -> None:
    bot_id = portal_ids(emulator)["bots"][0]
    twin = (
        f'ChatApp("twin", ChatAppArgs(bot_id={bot_id}, code="helper", js_method="SEND", js_param="/other",'
        ' translations=[Translation(language_id="en", title="Twin")]))\n'
    )
    project.program(stack_program() + twin)
    run = project.preview(check=False)
    assert run.code != 0
    assert f"both declare bot_id {bot_id}, code 'helper'" in run.output
    assert (
        "ChatApp resources 'twin' and 'helper'" in run.output or "ChatApp resources 'helper' and 'twin'" in run.output
    )
    assert emulator.writes() == []


def test_renaming_onto_an_existing_command_fails_even_with_adopt(project: Project, emulator: EmulatorControl) -> None:
    bot_id = portal_ids(emulator)["bots"][0]
    other = emulator.make_command(bot_id, "extra")
    emulator.clear_journal()
    program = stack_program().replace('command="help"', 'command="extra", adopt=True')
    project.program(program)
    for run in (project.preview(check=False), project.up(check=False)):
        assert run.code != 0
        assert f"cannot change this bot command to the command /extra of bot {bot_id}" in run.output
        assert f"(id {other}). Choose another command, or delete the other first" in run.output
    assert emulator.writes() == []
    assert sorted(c["COMMAND"] for c in emulator.state()["commands"]) == ["extra", "help"]
