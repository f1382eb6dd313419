"""ChatApp through the real pulumi CLI against the emulator; the emulator's journal shows what was sent."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from pulumi_bitrix24._rules import URL_RULE

from .conftest import ProjectFactory
from .harness import (
    REPO,
    EmulatorControl,
    Project,
    assert_preview_fails,
    assert_preview_fails_on_config,
    assert_preview_rejects,
)

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


def test_a_create_is_one_request(project: Project, emulator: EmulatorControl) -> None:
    project.program(program({"helper": JS_APP}))
    project.up()
    assert emulator.requests() == 1  # register and the converging update, as one batch
    assert emulator.methods() == ["imbot.app.register", "imbot.app.update"]


def test_creates_sent_together_fail_independently(project: Project, emulator: EmulatorControl, bot_id: int) -> None:
    apps = {"good0": bot_id, "bad": 999999, "good1": bot_id, "good2": bot_id}
    project.program(
        "from pulumi_bitrix24 import ChatApp, ChatAppArgs, Translation\n"
        + "".join(
            f"ChatApp({name!r}, ChatAppArgs(bot_id={bot}, code={name!r}, js_method='SEND', js_param='/help',"
            " translations=[Translation(language_id='en', title='T')]))\n"
            for name, bot in apps.items()
        )
    )
    run = project.cli("up", "--yes", "--skip-preview", "--continue-on-error", "--json", check=False)
    assert run.code != 0 and "bot_id 999999 is not a bot on this portal" in run.output
    on_portal = {app["CODE"] for app in stored_apps(emulator).values()}
    in_state = {r["outputs"]["code"] for r in project.resources() if r["type"].endswith(":ChatApp")}
    assert on_portal == in_state == {"good0", "good1", "good2"}


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
    methods = emulator.writes()
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
    assert emulator.writes() == ["imbot.app.register", "imbot.app.update", "imbot.app.unregister"]
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
    assert sorted(error or "" for _, error in emulator.outcomes()) == ["", "CHAT_APP_ID_ERROR"]


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


def test_bot_id_unknown_during_preview_previews(project: Project, emulator: EmulatorControl) -> None:
    bot = (
        "__import__('pulumi_bitrix24').Bot('bot', __import__('pulumi_bitrix24').BotArgs(code='previewbot',"
        " event_handler='https://example.com/h', properties=__import__('pulumi_bitrix24').BotProperties(name='P')))"
        ".bot_id"
    )
    project.program(program({"helper": JS_APP, "frame": IFRAME_APP}, bot_id=bot))
    assert project.preview().changes() == {"create": 4}
    assert emulator.writes() == []
    project.up()
    assert len(stored_apps(emulator)) == 2


INVALID: list[tuple[dict[str, Any], str, str]] = [
    ({"iframe": None}, "iframe", "set exactly one kind"),
    ({"js_method": "SEND", "js_param": "/help"}, "iframe", "set exactly one kind"),
    ({"iframe": "http://example.com/frame"}, "iframe", "must be an https:// URL"),
    ({"iframe": "https:///nohost"}, "iframe", "must be an https:// URL"),
    ({"iframe_width": 200}, "iframe_width", "must be at least 250 px"),
    ({"iframe_height": 10}, "iframe_height", "must be at least 50 px"),
    ({"context": "EVERYWHERE"}, "context", "must be ALL, USER, CHAT, BOT, LINES or CALL"),
    ({"translations": []}, "translations", ": List should have at least 1 item"),
    (
        {"translations": [{"language_id": "en", "title": ""}]},
        "translations",
        "[0].title: String should have at least 1 character",
    ),
    (
        {"translations": [{"language_id": "en", "title": "A"}, {"language_id": "en", "title": "B"}]},
        "translations",
        ": language_id must be unique, repeated: en",
    ),
    ({"icon_path": "missing.png"}, "icon_path", "file not found"),
    (
        {"icon_path": "wrong-size.png"},
        "icon_path",
        "must be 108x66 px (Bitrix24 icon canvas), got 64x64",
    ),
    ({"bot_id_literal": 0}, "bot_id", "must be at least 1"),
]
INVALID_JS: list[tuple[dict[str, Any], str, str]] = [
    ({"js_param": "help"}, "js_param", "for js_method SEND must be a command"),
    (
        {"js_method": "CALL", "js_param": "call me"},
        "js_param",
        "for js_method CALL must be a phone number",
    ),
    (
        {"js_method": "SUPPORT", "js_param": "xyz"},
        "js_param",
        "for js_method SUPPORT must be a 32-character hex",
    ),
    ({"js_method": "OPEN"}, "js_method", "Input should be 'PUT', 'SEND', 'CALL' or 'SUPPORT'"),
    ({"js_param": "/help "}, "js_param", "each one space and then one or more of A-Z a-z 0-9 _ + - / (no leading"),
    ({"js_param": "/h"}, "js_param", "and at least 2 of A-Z a-z 0-9 _ + -, optionally followed by parameters"),
    ({"js_method": "PUT", "js_param": "/a!b"}, "js_param", "for js_method PUT must be a command"),
    ({"iframe_width": 300}, "iframe_width", "applies to IFRAME apps only"),
]


@pytest.mark.parametrize(
    ("base", "change", "field", "rule"),
    [(IFRAME_APP, *case) for case in INVALID] + [(JS_APP, *case) for case in INVALID_JS],
    ids=[f"{field}-{i}" for i, (_, field, _) in enumerate(INVALID + INVALID_JS)],
)
def test_invalid_arguments_fail_preview_before_any_request(
    project: Project,
    emulator: EmulatorControl,
    base: dict[str, Any],
    change: dict[str, Any],
    field: str,
    rule: str,
) -> None:
    from PIL import Image

    Image.new("RGBA", (64, 64)).save(project.root / "wrong-size.png")
    spec = {k: v for k, v in {**base, **change}.items() if v is not None and k != "bot_id_literal"}
    bot = str(change["bot_id_literal"]) if "bot_id_literal" in change else "pulumi.Config().require_int('botId')"
    project.program(program({"app": spec}, bot_id=bot))
    assert_preview_rejects(project, emulator, field, rule)


UNSAFE_URLS = [
    ("https://deploy:hunter2@example.com/frame", "this one has user info before '@'"),
    ("https://exa mple.com/frame", "this one has ' ' at position 11"),
    ("https://example.com/frame\r\nX-Injected: 1", "this one has '\\r' at position 25"),
]


@pytest.mark.parametrize(("url", "problem"), UNSAFE_URLS, ids=["userinfo", "space-in-host", "crlf"])
def test_unsafe_urls_fail_preview(project: Project, emulator: EmulatorControl, url: str, problem: str) -> None:
    project.program(program({"app": {**IFRAME_APP, "iframe": url}}))
    assert_preview_fails(project, emulator, "property iframe value", URL_RULE, problem)


def test_missing_translations_fail_the_program(project: Project, emulator: EmulatorControl) -> None:
    project.program(
        "import pulumi\n"
        "from pulumi_bitrix24 import ChatApp, ChatAppArgs\n"
        "ChatApp('app', ChatAppArgs(bot_id=pulumi.Config().require_int('botId'), code='x', js_method='SEND',\n"
        "    js_param='/help', translations=None))\n"
    )
    assert_preview_fails(project, emulator, "ChatApp 'app': translations must be a list of Translation(...), got None")


def atime_moves_on_read(folder: Path) -> bool:
    """Whether this file system records reads in the access time (relatime does when atime predates mtime)."""
    probe = folder / "atime-probe"
    probe.write_bytes(b"x")
    os.utime(probe, (1_000_000_000, time.time()))
    probe.read_bytes()
    return probe.stat().st_atime != 1_000_000_000


def test_huge_icon_is_refused_by_its_size_without_being_read(project: Project, emulator: EmulatorControl) -> None:
    huge = project.root / "huge.png"
    with huge.open("wb") as file:
        file.truncate(2**30)  # sparse: 1 GiB on paper, nothing on disk
    os.utime(huge, (1_000_000_000, time.time()))
    project.program(program({"app": {**IFRAME_APP, "icon_path": "huge.png"}}))
    started = time.monotonic()
    assert_preview_fails(project, emulator, "property icon_path value {huge.png}", "must be at most 1 MiB", "got 1 GiB")
    # Reading it took 31 s and 7 GB; a stat takes nothing, so the whole preview stays as quick as any other.
    assert time.monotonic() - started < 20
    if atime_moves_on_read(project.root):
        assert huge.stat().st_atime == 1_000_000_000, "the icon was read"


def test_numbers_go_on_the_wire_as_integers(project: Project, emulator: EmulatorControl, bot_id: int) -> None:
    """Pulumi hands the provider 350 as 350.0; the portal must get 350, as the docs' examples send it."""
    project.program(program({"frame": IFRAME_APP}))
    project.up()
    project.program(program({"frame": {**IFRAME_APP, "iframe_width": 400}}))
    project.up()
    create, update = emulator.journal()
    # The create is one batch: its calls travel as query strings, where 350 must read "350", not "350.0".
    register, converge = (c["params"] for c in create["params"]["cmd"].values())
    assert (register["BOT_ID"], register["IFRAME_WIDTH"], converge["FIELDS"]["IFRAME_HEIGHT"]) == (
        str(bot_id),
        str(IFRAME_APP["iframe_width"]),
        str(IFRAME_APP["iframe_height"]),
    )
    assert update["method"] == "imbot.app.update"
    fields = update["params"]["FIELDS"]
    assert isinstance(update["params"]["APP_ID"], int) and fields["IFRAME_WIDTH"] == 400
    assert isinstance(fields["IFRAME_WIDTH"], int) and isinstance(fields["IFRAME_HEIGHT"], int)


def test_transient_failures_are_retried(project: Project, emulator: EmulatorControl) -> None:
    # A create is one batch request (register, then the converging update through $result); the rate limit
    # refuses the whole request twice, the connection drops once, and then the update alone fails once.
    emulator.fault("batch", count=2, error="QUERY_LIMIT_EXCEEDED", status=503)
    emulator.fault("batch", count=1, drop=True)
    emulator.fault("imbot.app.update", count=1, error="INTERNAL_SERVER_ERROR", status=500)
    project.program(program({"helper": JS_APP}))

    assert project.up().changes() == {"create": 2}
    assert emulator.outcomes() == [
        *[("imbot.app.register", "QUERY_LIMIT_EXCEEDED"), ("imbot.app.update", "QUERY_LIMIT_EXCEEDED")] * 2,
        ("imbot.app.register", "dropped"),
        ("imbot.app.update", "dropped"),
        ("imbot.app.register", None),
        ("imbot.app.update", "INTERNAL_SERVER_ERROR"),
        ("imbot.app.update", None),  # only the failed call is sent again, with the id the register answered
    ]
    assert len(stored_apps(emulator)) == 1


@pytest.mark.parametrize(("error", "status"), [("OPERATION_TIME_LIMIT", 503), ("INTERNAL_SERVER_ERROR", 500)])
def test_a_register_that_fails_inside_the_create_batch_leaves_no_orphan(
    project: Project, emulator: EmulatorControl, error: str, status: int
) -> None:
    """The register is sent again alone, and its update follows with the new id (it ran with `$result[...]`
    unresolved the first time): the app is in the state and converged, not left on the portal unmanaged."""
    apps = {f"app{i}": {**JS_APP, "code": f"helper{i}"} for i in range(5)}
    project.program(program(apps))
    emulator.fault("imbot.app.register", count=1, error=error, status=status)
    run = project.up(check=False)
    assert run.code == 0, run.output
    assert run.changes() == {"create": 6}
    assert len(stored_apps(emulator)) == 5
    assert all(app["JS_METHOD"] == "SEND" for app in stored_apps(emulator).values())
    assert_state_matches_portal(project, emulator)
    assert project.preview().changes() == {"same": 6}


def assert_state_matches_portal(project: Project, emulator: EmulatorControl) -> None:
    """Every ChatApp in the stack exists on the portal with the stored fields, and nothing else does."""
    in_state = {
        int(r["outputs"]["app_id"]): r["outputs"]
        for r in project.resources()
        if r["type"].endswith(":ChatApp") and "outputs" in r
    }
    portal = stored_apps(emulator)
    assert set(in_state) == set(portal)
    for app_id, outputs in in_state.items():
        assert portal[app_id]["CODE"] == outputs["code"]
        assert portal[app_id]["JS_PARAM"] == outputs.get("js_param", "")


def test_bad_webhook_code_fails_clearly(project: Project, emulator: EmulatorControl) -> None:
    wrong = emulator.info.webhook_url.rstrip("/").rsplit("/", 1)[0] + "/wrongcode0000000/"
    project.config("bitrix24:webhookUrl", wrong, secret=True)
    project.program(program({"helper": JS_APP}))
    run = project.up(check=False)
    assert run.code != 0
    assert "NO_AUTH_FOUND" in run.output and "Check bitrix24:webhookUrl" in run.output
    assert "wrongcode0000000" not in run.output
    assert_state_matches_portal(project, emulator)


def test_webhook_without_imbot_scope_fails_clearly(project: Project, emulator: EmulatorControl) -> None:
    project.config("bitrix24:webhookUrl", emulator.webhook(["im"]), secret=True)
    project.program(program({"helper": JS_APP}))
    run = project.up(check=False)
    assert run.code != 0
    assert "insufficient_scope" in run.output and "lacks the `imbot` scope" in run.output
    assert_state_matches_portal(project, emulator)


def test_app_of_another_client_fails_and_keeps_state(project: Project, emulator: EmulatorControl) -> None:
    project.program(program({"helper": JS_APP}))
    project.up()
    project.config("bitrix24:clientId", "someone-else", secret=True)
    project.program(program({"helper": {**JS_APP, "js_param": "/other"}}))
    run = project.up(check=False)
    assert run.code != 0
    assert "APP_ID_ERROR" in run.output and "belongs to another REST application" in run.output
    assert_state_matches_portal(project, emulator)


@pytest.fixture
def oauth_project(new_project: ProjectFactory, emulator: EmulatorControl) -> tuple[Project, dict[str, Any]]:
    """A project in OAuth mode whose bot belongs to a fresh OAuth app of the emulator."""
    app = emulator.oauth_app()
    project = new_project(configure=False)
    project.config("bitrix24:portalUrl", app["portal_url"])
    project.config("bitrix24:accessToken", app["access_token"], secret=True)
    project.config("botId", str(emulator.make_bot("oauthbot", access_token=app["access_token"])))
    project.program(program({"helper": JS_APP}))
    emulator.expire_tokens()
    emulator.clear_journal()
    return project, app


def test_expired_token_without_refresh_settings_fails_clearly(
    oauth_project: tuple[Project, dict[str, Any]], emulator: EmulatorControl
) -> None:
    project, app = oauth_project
    run = project.up(check=False)
    assert run.code != 0
    assert "expired_token" in run.output and "bitrix24:refreshToken" in run.output
    assert app["access_token"] not in run.output
    assert_state_matches_portal(project, emulator)


def test_expired_token_is_refreshed_once(
    oauth_project: tuple[Project, dict[str, Any]], emulator: EmulatorControl
) -> None:
    project, app = oauth_project
    project.config("bitrix24:refreshToken", app["refresh_token"], secret=True)
    project.config("bitrix24:oauthClientId", app["client_id"], secret=True)
    project.config("bitrix24:oauthClientSecret", app["client_secret"], secret=True)
    project.config("bitrix24:oauthServerUrl", app["portal_url"])
    assert project.up().changes() == {"create": 2}
    assert emulator.outcomes() == [
        ("imbot.app.register", "expired_token"),
        ("imbot.app.update", "expired_token"),
        ("imbot.app.register", None),
        ("imbot.app.update", None),
    ]
    assert emulator.requests() == 2  # the group is refreshed and sent again as one request
    assert_state_matches_portal(project, emulator)


def test_secrets_stay_out_of_state_and_output(project: Project, emulator: EmulatorControl) -> None:
    project.program(program({"frame": IFRAME_APP, "helper": JS_APP}))
    runs = [project.preview(), project.up(), project.cli("up", "--yes", "--diff")]
    project.program(program({"frame": {**IFRAME_APP, "iframe_width": 500}}))
    runs += [project.cli("preview", "--diff"), project.up()]
    state = project.export()
    assert '"app_id"' in state and "ciphertext" in state
    runs.append(project.destroy())
    texts = [run.output for run in runs] + [state, project.cli("stack", "history").output]
    emulator.assert_no_secrets(texts, FRAME_HASH)
    assert stored_apps(emulator) == {}


def without_ciphertext(value: Any) -> Any:
    if isinstance(value, dict):
        return "<secret>" if "ciphertext" in value else {k: without_ciphertext(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_ciphertext(v) for v in value]
    return value


def test_refresh_keeps_the_stored_state_of_an_app_whose_bot_exists(project: Project, emulator: EmulatorControl) -> None:
    project.program(program({"helper": JS_APP}))
    project.up()

    def app_state() -> list[Any]:
        """Id, inputs and outputs of the ChatApps, with each secret's ciphertext (new on every write) masked."""
        return [
            without_ciphertext({k: r.get(k) for k in ("id", "inputs", "outputs")})
            for r in project.resources()
            if r["type"].endswith(":ChatApp")
        ]

    before = app_state()
    emulator.clear_journal()
    run = project.cli("refresh", "--yes", "--json")
    assert run.changes() == {"same": 2}
    assert app_state() == before
    # Apps cannot be read; refresh (its preview, then the refresh itself) only checks that the bot still exists.
    assert set(emulator.methods()) == {"imbot.v2.bot.get"}


def test_missing_portal_configuration_fails_preview(new_project: ProjectFactory, emulator: EmulatorControl) -> None:
    project = new_project(configure=False)
    project.config("botId", "1")
    project.program(program({"helper": JS_APP}))
    assert_preview_fails_on_config(project, emulator, "no Bitrix24 portal configured: set bitrix24:webhookUrl")
