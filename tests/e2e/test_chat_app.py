"""ChatApp through the real pulumi CLI against the emulator; the emulator's journal shows what was sent."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from .conftest import ProjectFactory
from .harness import REPO, EmulatorControl, Project

FRAME_HASH = "0123456789abcdef0123456789abcdef"
ICON = REPO / "examples" / "quickstart" / "icon.png"

IFRAME_APP: dict[str, Any] = {
    "code": "frame",
    "iframe": "https://example.com/frame",
    "iframe_width": 350,
    "iframe_height": 150,
    "context": "BOT",
    "translations": [{"language_id": "en", "title": "Frame", "description": "Open the frame"}],
}
JS_APP: dict[str, Any] = {
    "code": "helper",
    "js_method": "SEND",
    "js_param": "/help",
    "translations": [{"language_id": "en", "title": "Help"}],
}


def program(apps: dict[str, dict[str, Any]], bot_id: str = "pulumi.Config().require_int('botId')") -> str:
    """A Pulumi program declaring one ChatApp per entry; the IFRAME hash comes from secret config."""
    lines = [
        "import pulumi",
        "from pulumi_bitrix24 import ChatApp, ChatAppArgs, Translation",
        f"bot_id = {bot_id}",
    ]
    for name, spec in apps.items():
        args = {k: v for k, v in spec.items() if k != "translations"}
        translations = ", ".join(f"Translation(**{t!r})" for t in spec["translations"])
        hash_arg = ", hash=pulumi.Config().require_secret('frameHash')" if "iframe" in spec else ""
        extra = ", ".join(f"{k}={v!r}" for k, v in args.items())
        lines += [
            f"{name} = ChatApp({name!r}, ChatAppArgs(bot_id=bot_id, {extra}{hash_arg},",
            f"    translations=[{translations}]))",
            f"pulumi.export({name + '_id'!r}, {name}.app_id)",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def bot_id(emulator: EmulatorControl) -> int:
    return emulator.make_bot()


@pytest.fixture
def project(new_project: ProjectFactory, bot_id: int, emulator: EmulatorControl) -> Project:
    project = new_project()
    project.config("botId", str(bot_id))
    project.config("frameHash", FRAME_HASH, secret=True)
    shutil.copy(ICON, project.root / "icon.png")
    emulator.clear_journal()
    return project


def stored_apps(emulator: EmulatorControl) -> dict[int, dict[str, Any]]:
    return {app["ID"]: app for app in emulator.state()["apps"]}


def test_create_iframe_and_js_apps(project: Project, emulator: EmulatorControl, bot_id: int) -> None:
    project.program(program({"frame": {**IFRAME_APP, "icon_path": "icon.png"}, "helper": JS_APP}))
    assert project.up().changes() == {"create": 3}

    outputs = project.outputs()
    apps = stored_apps(emulator)
    assert set(apps) == {outputs["frame_id"], outputs["helper_id"]}
    frame, helper = apps[outputs["frame_id"]], apps[outputs["helper_id"]]
    assert (frame["BOT_ID"], frame["CODE"], frame["IFRAME"], frame["IFRAME_WIDTH"]) == (
        bot_id,
        "frame",
        "https://example.com/frame",
        350,
    )
    assert frame["ICON_FILE"] and frame["CONTEXT"] == "bot" and frame["JS_METHOD"] == ""
    assert (helper["JS_METHOD"], helper["JS_PARAM"], helper["IFRAME"]) == ("SEND", "/help", "")
    assert sorted(emulator.methods()) == sorted(["imbot.app.register", "imbot.app.update"] * 2)


def test_no_change_sends_no_request(project: Project, emulator: EmulatorControl) -> None:
    project.program(program({"frame": IFRAME_APP, "helper": JS_APP}))
    project.up()
    emulator.clear_journal()

    assert project.preview().changes() == {"same": 3}
    assert project.up().changes() == {"same": 3}
    assert emulator.methods() == []


FRAME_CHANGES: list[tuple[str, Any]] = [
    ("iframe", "https://example.com/other"),
    ("iframe_width", 400),
    ("iframe_height", 300),
    ("context", "USER-admin"),
    ("extranet_support", True),
    ("livechat_support", True),
    ("iframe_popup", True),
    ("icon_path", "icon.png"),
    ("translations", [{"language_id": "en", "title": "Frame 2"}, {"language_id": "de", "title": "Rahmen"}]),
]
FIELD_NAMES = {"translations": "LANG", "icon_path": "ICON_FILE"}


def test_each_updatable_field_sends_one_update(project: Project, emulator: EmulatorControl) -> None:
    spec = dict(IFRAME_APP)
    project.program(program({"frame": spec}))
    project.up()
    app_id = project.outputs()["frame_id"]
    for field, value in FRAME_CHANGES:
        spec[field] = value
        project.program(program({"frame": spec}))
        emulator.clear_journal()
        assert project.up().changes() == {"update": 1, "same": 1}, field
        [call] = emulator.journal()
        assert call["method"] == "imbot.app.update", field
        assert int(call["params"]["APP_ID"]) == app_id
        fields = call["params"]["FIELDS"]
        assert FIELD_NAMES.get(field, field.upper()) in fields
        assert "JS_METHOD" not in fields and "JS_PARAM" not in fields
    stored = stored_apps(emulator)[app_id]
    assert (stored["IFRAME"], stored["CONTEXT"], stored["IFRAME_POPUP"]) == (
        "https://example.com/other",
        "user-admin",
        "Y",
    )
    assert [lang["LANGUAGE_ID"] for lang in stored["LANG"]] == ["en", "de"]


def test_js_app_updates_only_js_fields(project: Project, emulator: EmulatorControl) -> None:
    project.program(program({"helper": JS_APP}))
    project.up()
    project.program(program({"helper": {**JS_APP, "js_method": "PUT", "js_param": "/help me"}}))
    emulator.clear_journal()
    assert project.up().changes() == {"update": 1, "same": 1}
    [call] = emulator.journal()
    assert call["method"] == "imbot.app.update"
    assert call["params"]["FIELDS"]["JS_PARAM"] == "/help me"
    assert not {"IFRAME", "HASH", "IFRAME_WIDTH"} & set(call["params"]["FIELDS"])


@pytest.mark.parametrize(
    ("change", "same_identity"),
    [
        ({"code": "frame2"}, False),
        ({"hidden": True}, True),
        ({"iframe": None, "js_method": "SEND", "js_param": "/help"}, True),
    ],
    ids=["code", "hidden", "kind"],
)
def test_replacing_changes(
    project: Project, emulator: EmulatorControl, change: dict[str, Any], same_identity: bool
) -> None:
    base = {**IFRAME_APP}
    project.program(program({"frame": base}))
    project.up()
    old_id = project.outputs()["frame_id"]
    spec = {k: v for k, v in {**base, **change}.items() if v is not None}
    if "js_method" in spec:
        spec = {k: v for k, v in spec.items() if k not in ("iframe_width", "iframe_height")}
    project.program(program({"frame": spec}))
    emulator.clear_journal()

    assert project.up().changes() == {"replace": 1, "same": 1}
    methods = emulator.methods()
    if same_identity:
        assert methods == ["imbot.app.unregister", "imbot.app.register", "imbot.app.update"]
    else:
        assert methods == ["imbot.app.register", "imbot.app.update", "imbot.app.unregister"]
    new_id = project.outputs()["frame_id"]
    assert new_id != old_id
    assert set(stored_apps(emulator)) == {new_id}


def test_changing_the_bot_replaces(project: Project, emulator: EmulatorControl) -> None:
    project.program(program({"helper": JS_APP}))
    project.up()
    other_bot = emulator.make_bot("otherbot")
    project.config("botId", str(other_bot))
    emulator.clear_journal()
    assert project.up().changes() == {"replace": 1, "same": 1}
    assert emulator.methods() == ["imbot.app.register", "imbot.app.update", "imbot.app.unregister"]
    [app] = stored_apps(emulator).values()
    assert app["BOT_ID"] == other_bot


def test_destroy_unregisters_and_tolerates_apps_deleted_out_of_band(
    project: Project, emulator: EmulatorControl
) -> None:
    project.program(program({"frame": IFRAME_APP, "helper": JS_APP}))
    project.up()
    outputs = project.outputs()
    assert emulator.call("imbot.app.unregister", APP_ID=outputs["helper_id"])["result"] is True
    emulator.clear_journal()

    project.destroy()
    assert project.resources() == []
    assert stored_apps(emulator) == {}
    assert sorted(e["error"] or "" for e in emulator.journal()) == ["", "CHAT_APP_ID_ERROR"]


def test_existing_app_with_same_bot_and_code_is_adopted(
    project: Project, emulator: EmulatorControl, bot_id: int
) -> None:
    existing = emulator.call(
        "imbot.app.register",
        BOT_ID=bot_id,
        CODE="helper",
        JS_METHOD="PUT",
        JS_PARAM="/old",
        LANG=[{"LANGUAGE_ID": "en", "TITLE": "Old"}],
    )["result"]
    project.program(program({"helper": JS_APP}))
    project.up()
    assert project.outputs()["helper_id"] == existing
    app = stored_apps(emulator)[existing]
    assert (app["JS_METHOD"], app["JS_PARAM"], app["LANG"][0]["TITLE"]) == ("SEND", "/help", "Help")


def test_unknown_bot_id_previews(project: Project, emulator: EmulatorControl) -> None:
    (project.root / "later.py").write_text(
        "import pulumi.dynamic as d\n"
        "class P(d.ResourceProvider):\n"
        "    def create(self, props):\n"
        "        return d.CreateResult('x', {'value': props['value']})\n"
        "class Later(d.Resource):\n"
        "    value: object\n"
        "    def __init__(self, name, value):\n"
        "        super().__init__(P(), name, {'value': value})\n"
    )
    source = program(
        {"helper": JS_APP}, bot_id="__import__('later').Later('bot', pulumi.Config().require_int('botId')).value"
    )
    project.program(source)
    assert project.preview().changes() == {"create": 3}
    assert emulator.methods() == []
    project.up()
    assert len(stored_apps(emulator)) == 1
