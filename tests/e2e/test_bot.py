"""Bot through the real pulumi CLI against the emulator."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from .conftest import ProjectFactory
from .harness import EmulatorControl, Project, assert_preview_fails, assert_preview_rejects

BOT: dict[str, Any] = {
    "code": "echo",
    "event_handler": "https://example.com/events",
    "properties": {"name": "Echo", "color": "AQUA"},
}


def program(bots: dict[str, dict[str, Any]]) -> str:
    lines = ["import pulumi", "from pulumi_bitrix24 import Bot, BotArgs, BotProperties"]
    for name, spec in bots.items():
        args = ", ".join(f"{k}={v!r}" for k, v in spec.items() if k != "properties")
        props = ", ".join(f"{k}={v!r}" for k, v in spec["properties"].items())
        lines += [
            f"{name} = Bot({name!r}, BotArgs({args}, properties=BotProperties({props})))",
            f"pulumi.export({name + '_id'!r}, {name}.bot_id)",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def project(new_project: ProjectFactory, emulator: EmulatorControl) -> Project:
    project = new_project()
    emulator.clear_journal()
    return project


def stored_bots(emulator: EmulatorControl) -> dict[int, dict[str, Any]]:
    return {bot["ID"]: bot for bot in emulator.state()["bots"]}


def test_create_update_and_no_op(project: Project, emulator: EmulatorControl) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "#2fc7f7").save(buffer, "JPEG")
    (project.root / "photo.jpg").write_bytes(buffer.getvalue())
    spec = {**BOT, "properties": {**BOT["properties"], "photo_path": "photo.jpg", "gender": "F"}}
    project.program(program({"echo": spec}))
    assert project.up().changes() == {"create": 2}
    bot_id = project.outputs()["echo_id"]
    bot = stored_bots(emulator)[bot_id]
    assert (bot["CODE"], bot["TYPE"], bot["PROPERTIES"]["NAME"], bot["EVENT_BOT_DELETE"]) == (
        "echo",
        "B",
        "Echo",
        "https://example.com/events",
    )
    assert bot["PROPERTIES"]["PERSONAL_PHOTO"] and bot["PROPERTIES"]["PERSONAL_GENDER"] == "F"
    # One existence check by code at check time, then the register (a new bot needs no converging update).
    assert emulator.methods() == ["imbot.v2.bot.get", "imbot.register"]

    emulator.clear_journal()
    assert project.preview().changes() == {"same": 2}
    assert project.up().changes() == {"same": 2}
    assert emulator.methods() == []

    changes: list[dict[str, Any]] = [
        {"properties": {"name": "Echo 2", "work_position": "Helper", "birthday": "2020-02-29"}},
        {"event_handler": "https://example.com/v2"},
        {"code": "echo2"},
    ]
    for change in changes:
        spec = {**spec, **change}
        project.program(program({"echo": spec}))
        emulator.clear_journal()
        assert project.up().changes() == {"update": 1, "same": 1}, change
        assert emulator.writes() == ["imbot.update"]
    bot = stored_bots(emulator)[bot_id]
    assert (bot["CODE"], bot["EVENT_MESSAGE_ADD"], bot["PROPERTIES"]["WORK_POSITION"], bot["PROPERTIES"]["COLOR"]) == (
        "echo2",
        "https://example.com/v2",
        "Helper",
        "",
    )


@pytest.mark.parametrize("change", [{"type": "H"}, {"openline": True}], ids=["type", "openline"])
def test_type_and_openline_replace_deleting_first(
    project: Project, emulator: EmulatorControl, change: dict[str, Any]
) -> None:
    project.program(program({"echo": BOT}))
    project.up()
    old_id = project.outputs()["echo_id"]
    project.program(program({"echo": {**BOT, **change}}))
    emulator.clear_journal()
    assert project.up().changes() == {"replace": 1, "same": 1}
    # After the delete, create looks the code up again (its preview check saw the old bot, which was ours).
    assert emulator.methods() == ["imbot.unregister", "imbot.v2.bot.get", "imbot.register"]
    new_id = project.outputs()["echo_id"]
    assert new_id != old_id and set(stored_bots(emulator)) == {new_id}


def test_destroy_tolerates_a_bot_deleted_out_of_band(project: Project, emulator: EmulatorControl) -> None:
    project.program(program({"echo": BOT, "other": {**BOT, "code": "other"}}))
    project.up()
    emulator.call("imbot.unregister", BOT_ID=project.outputs()["other_id"])
    project.destroy()
    assert project.resources() == [] and stored_bots(emulator) == {}


INVALID: list[tuple[dict[str, Any], str, str]] = [
    ({"code": ""}, "code", "at least 1 character"),
    ({"type": "X"}, "type", "Input should be 'B', 'O', 'H' or 'S'"),
    ({"type": "O", "openline": False}, "openline", "must be true for TYPE O"),
    ({"event_handler": "http://example.com"}, "event_handler", "must be an https:// URL"),
    ({"event_handler": None, "event_message_add": "https://e.com"}, "event_welcome_message", "is required"),
    ({"event_message_add": "https://e.com"}, "event_handler", "not both"),
    ({"properties": {"color": "AQUA"}}, "properties", "name or last_name is required"),
    ({"properties": {"name": "x", "color": "BLUE"}}, "properties", ".color: Input should be 'RED'"),
    ({"properties": {"name": "x", "email": "nope"}}, "properties", ".email: must be an e-mail address"),
    ({"properties": {"name": "x", "birthday": "2020-13-01"}}, "properties", ".birthday: must be a date"),
    ({"properties": {"name": "x", "gender": "X"}}, "properties", ".gender: Input should be 'M' or 'F'"),
    ({"properties": {"name": "x", "www": "http://x.example"}}, "properties", ".www: must be an https:// URL"),
    ({"event_handler": "https://bot:pw@example.com/e"}, "event_handler", "this one has user info before '@'"),
    ({"type": 5}, "type", "Input should be 'B', 'O', 'H' or 'S'"),
    ({"openline": "no"}, "openline", "must be true or false, got the text 'no'"),
    ({"properties": {"name": "x", "photo_path": "none.png"}}, "properties", ".photo_path: file not found"),
]


@pytest.mark.parametrize(("change", "field", "rule"), INVALID, ids=[f"{f}-{i}" for i, (_, f, _) in enumerate(INVALID)])
def test_invalid_arguments_fail_preview_before_any_request(
    project: Project, emulator: EmulatorControl, change: dict[str, Any], field: str, rule: str
) -> None:
    spec = {k: v for k, v in {**BOT, **change}.items() if v is not None}
    project.program(program({"bot": spec}))
    assert_preview_rejects(project, emulator, field, rule)


def test_missing_code_and_properties_fail_preview(project: Project, emulator: EmulatorControl) -> None:
    project.program(program({"bot": {**BOT, "code": None}}))
    assert_preview_fails(project, emulator, "property code value", "is required")
    project.program(
        "from pulumi_bitrix24 import Bot, BotArgs\n"
        "Bot('bot', BotArgs(code='echo', event_handler='https://example.com/e', properties=None))\n"
    )
    assert_preview_fails(project, emulator, "Bot 'bot': properties must be a BotProperties(...), got None")


def test_client_id_and_webhook_code_stay_out_of_state_and_output(project: Project, emulator: EmulatorControl) -> None:
    project.program(program({"echo": BOT}))
    runs = [project.preview(), project.up()]
    state = project.export()
    assert '"bot_id"' in state
    runs.append(project.destroy())
    emulator.assert_no_secrets([state, *(run.output for run in runs)])
