"""BotCommand through the real pulumi CLI against the emulator."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import ProjectFactory
from .harness import EmulatorControl, Project, assert_preview_fails, assert_preview_rejects

COMMAND: dict[str, Any] = {
    "command": "help",
    "event_command_add": "https://example.com/commands",
    "translations": [{"language_id": "en", "title": "Help", "params": "topic"}],
}


def program(commands: dict[str, dict[str, Any]]) -> str:
    lines = [
        "import pulumi",
        "from pulumi_bitrix24 import BotCommand, BotCommandArgs, CommandTranslation",
        "bot_id = pulumi.Config().require_int('botId')",
    ]
    for name, spec in commands.items():
        args = ", ".join(f"{k}={v!r}" for k, v in spec.items() if k != "translations")
        translations = ", ".join(f"CommandTranslation(**{t!r})" for t in spec["translations"])
        lines += [
            f"{name} = BotCommand({name!r}, BotCommandArgs(bot_id=bot_id, {args}, translations=[{translations}]))",
            f"pulumi.export({name + '_id'!r}, {name}.command_id)",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def project(new_project: ProjectFactory, emulator: EmulatorControl) -> Project:
    project = new_project()
    project.config("botId", str(emulator.make_bot()))
    emulator.clear_journal()
    return project


def stored_commands(emulator: EmulatorControl) -> dict[int, dict[str, Any]]:
    return {command["ID"]: command for command in emulator.state()["commands"]}


def test_create_no_op_and_updates(project: Project, emulator: EmulatorControl) -> None:
    project.program(program({"help": COMMAND}))
    assert project.up().changes() == {"create": 2}
    command_id = project.outputs()["help_id"]
    assert stored_commands(emulator)[command_id]["LANG"] == [{"LANGUAGE_ID": "en", "TITLE": "Help", "PARAMS": "topic"}]
    assert emulator.methods() == ["imbot.v2.command.list", "imbot.command.register"]

    emulator.clear_journal()
    assert project.preview().changes() == {"same": 2}
    assert project.up().changes() == {"same": 2}
    assert emulator.methods() == []

    spec = dict(COMMAND)
    for change in [
        {"command": "assist"},
        {"event_command_add": "https://example.com/v2"},
        {"hidden": True},
        {"extranet_support": True},
        {"translations": [{"language_id": "de", "title": "Hilfe"}]},
    ]:
        spec = {**spec, **change}
        project.program(program({"help": spec}))
        emulator.clear_journal()
        assert project.up().changes() == {"update": 1, "same": 1}, change
        assert emulator.writes() == ["imbot.command.update"]
    stored = stored_commands(emulator)[command_id]
    assert (stored["COMMAND"], stored["HIDDEN"], stored["EXTRANET_SUPPORT"], stored["LANG"][0]["TITLE"]) == (
        "assist",
        "Y",
        "Y",
        "Hilfe",
    )


def test_common_replaces_deleting_first(project: Project, emulator: EmulatorControl) -> None:
    project.program(program({"help": COMMAND}))
    project.up()
    project.program(program({"help": {**COMMAND, "common": True}}))
    emulator.clear_journal()
    assert project.up().changes() == {"replace": 1, "same": 1}
    assert emulator.writes() == ["imbot.command.unregister", "imbot.command.register"]
    [stored] = stored_commands(emulator).values()
    assert stored["COMMON"] == "Y"


def test_moving_to_another_bot_replaces(project: Project, emulator: EmulatorControl) -> None:
    project.program(program({"help": COMMAND}))
    project.up()
    other = emulator.make_bot("other")
    project.config("botId", str(other))
    emulator.clear_journal()
    assert project.up().changes() == {"replace": 1, "same": 1}
    assert emulator.writes() == ["imbot.command.register", "imbot.command.unregister"]
    [stored] = stored_commands(emulator).values()
    assert stored["BOT_ID"] == other


def test_destroy_tolerates_a_command_deleted_out_of_band(project: Project, emulator: EmulatorControl) -> None:
    project.program(program({"help": COMMAND, "info": {**COMMAND, "command": "info"}}))
    project.up()
    emulator.call("imbot.command.unregister", COMMAND_ID=project.outputs()["info_id"])
    project.destroy()
    assert project.resources() == [] and stored_commands(emulator) == {}


def test_lost_register_answer_is_not_retried(project: Project, emulator: EmulatorControl) -> None:
    project.config("bitrix24:timeoutSeconds", "1")
    emulator.fault("imbot.command.register", count=1, drop=True)
    project.program(program({"help": COMMAND}))
    run = project.up(check=False)
    assert run.code != 0
    assert "the portal did not answer, and command /help of bot" in run.output
    assert "is not on the bot yet (looked" in run.output
    assert "run `pulumi up` again. If the portal finished the request after all" in run.output
    assert emulator.writes() == ["imbot.command.register"]
    assert stored_commands(emulator) == {}


def test_pre_existing_command_is_refused_then_adopted(project: Project, emulator: EmulatorControl) -> None:
    bot_id = int(project.cli("config", "get", "botId").stdout)
    existing = emulator.make_command(bot_id, "help")
    emulator.clear_journal()
    project.program(program({"help": COMMAND}))
    for run in (project.preview(check=False), project.up(check=False)):
        assert run.code != 0
        assert f"command /help of bot {bot_id} already exists on the portal (id {existing})" in run.output
        assert "set adopt=True" in run.output
    assert emulator.writes() == [] and list(stored_commands(emulator)) == [existing]

    project.program(program({"help": {**COMMAND, "adopt": True}}))
    run = project.up()
    assert f"adopted the existing command /help of bot {bot_id} (id {existing})" in run.output
    assert emulator.writes() == ["imbot.command.update"]
    assert project.outputs()["help_id"] == existing
    [stored] = stored_commands(emulator).values()
    assert (stored["EVENT_COMMAND_ADD"], stored["LANG"][0]["TITLE"]) == ("https://example.com/commands", "Help")


@pytest.mark.parametrize(
    "fault",
    [
        {"error": "INTERNAL_SERVER_ERROR", "status": 500, "after": True},
        {"garble": True, "after": True},
        {"stall": 2.5},
        {"drop": True, "after": True},
    ],
    ids=["5xx-after-the-work", "unreadable-answer", "stall-beyond-the-timeout", "dropped-after-the-work"],
)
def test_uncertain_register_leaves_exactly_one_command(
    project: Project, emulator: EmulatorControl, fault: dict[str, Any]
) -> None:
    project.config("bitrix24:timeoutSeconds", "1")
    emulator.fault("imbot.command.register", count=1, **fault)
    project.program(program({"help": COMMAND}))
    assert project.up().changes() == {"create": 2}
    assert emulator.writes() == ["imbot.command.register"]
    [command_id] = stored_commands(emulator)
    assert project.outputs()["help_id"] == command_id
    assert project.preview().changes() == {"same": 2}


def test_5xx_before_the_work_fails_clearly_and_the_rerun_creates_one(
    project: Project, emulator: EmulatorControl
) -> None:
    emulator.fault("imbot.command.register", count=1, error="INTERNAL_SERVER_ERROR", status=500)
    project.program(program({"help": COMMAND}))
    run = project.up(check=False)
    assert run.code != 0
    assert "the portal answered INTERNAL_SERVER_ERROR and command /help of bot" in run.output
    assert re.search(r"is not on the bot \(looked 1 time over [0-9.]+ s\), so it was not created", run.output)
    assert stored_commands(emulator) == {}
    assert [r for r in project.resources() if r["type"].endswith(":BotCommand")] == []
    assert project.up().changes() == {"create": 1, "same": 1}
    assert len(stored_commands(emulator)) == 1
    assert emulator.writes() == ["imbot.command.register"] * 2


def test_refresh_reads_commands_back(project: Project, emulator: EmulatorControl) -> None:
    project.program(program({"help": COMMAND, "info": {**COMMAND, "command": "info"}}))
    project.up()
    ids = project.outputs()
    emulator.call("imbot.command.unregister", COMMAND_ID=ids["info_id"])
    emulator.call("imbot.command.update", COMMAND_ID=ids["help_id"], FIELDS={"HIDDEN": "Y"})
    assert project.cli("refresh", "--yes", "--json").changes() == {"delete": 1, "update": 1, "same": 1}
    assert [r["outputs"]["hidden"] for r in project.resources() if r["type"].endswith(":BotCommand")] == [True]
    emulator.clear_journal()
    assert project.up().changes() == {"create": 1, "update": 1, "same": 1}
    assert sorted(emulator.writes()) == ["imbot.command.register", "imbot.command.update"]
    assert {c["COMMAND"]: c["HIDDEN"] for c in stored_commands(emulator).values()} == {"help": "N", "info": "N"}
    assert project.preview().changes() == {"same": 3}


INVALID: list[tuple[dict[str, Any], str, str]] = [
    ({"command": "/help"}, "command", "Latin letters and digits only"),
    ({"event_command_add": "http://e.com"}, "event_command_add", "must be an https:// URL"),
    ({"translations": []}, "translations", ": List should have at least 1 item"),
    ({"translations": [{"language_id": "english", "title": "x"}]}, "translations", "[0].language_id: must be a two"),
    ({"common": "yes"}, "common", "must be true or false, got the text 'yes'"),
    (
        {"event_command_add": "https://example.com/c\r\nX: 1"},
        "event_command_add",
        "characters anywhere; this one has '",
    ),
]


@pytest.mark.parametrize(("change", "field", "rule"), INVALID, ids=[f"{f}-{i}" for i, (_, f, _) in enumerate(INVALID)])
def test_invalid_arguments_fail_preview_before_any_request(
    project: Project, emulator: EmulatorControl, change: dict[str, Any], field: str, rule: str
) -> None:
    project.program(program({"help": {**COMMAND, **change}}))
    assert_preview_rejects(project, emulator, field, rule)


def test_missing_translations_and_a_text_bot_id_fail_preview(project: Project, emulator: EmulatorControl) -> None:
    project.program(
        "from pulumi_bitrix24 import BotCommand, BotCommandArgs\n"
        "BotCommand('help', BotCommandArgs(bot_id=7, command='help', event_command_add='https://example.com/c',\n"
        "    translations=None))\n"
    )
    assert_preview_fails(project, emulator, "BotCommand 'help': translations must be a list of CommandTranslation(...)")
    project.program(program({"help": COMMAND}).replace("require_int('botId')", "require('botId')"))
    assert_preview_fails(project, emulator, "property bot_id value", "must be a whole number, got the text")


def test_client_id_and_webhook_code_stay_out_of_state_and_output(project: Project, emulator: EmulatorControl) -> None:
    project.program(program({"help": COMMAND}))
    runs = [project.preview(), project.up()]
    state = project.export()
    assert '"command_id"' in state
    runs.append(project.destroy())
    emulator.assert_no_secrets([state, *(run.output for run in runs)])
