"""Widget through the real Pulumi CLI against the emulator: what a user lives through with messenger widgets."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from typing import Any

import pytest

from .conftest import ProjectFactory
from .harness import REPO, EmulatorControl, Project, first_error

TEXTAREA = {
    "placement": "IM_TEXTAREA",
    "handler": "https://widgets.example.com/textarea",
    "title": "Echo",
    "icon_name": "fa-paperclip",
}
SIDEBAR = {
    "placement": "IM_SIDEBAR",
    "handler": "https://widgets.example.com/sidebar",
    "translations": [{"language_id": "en", "title": "Echo"}, {"language_id": "de", "title": "Echo DE"}],
    "icon_name": "fa-star",
    "color": "AZURE",
}


def program(widgets: dict[str, dict[str, Any]]) -> str:
    return f"""
import pulumi
from pulumi_bitrix24 import Widget, WidgetArgs, WidgetTranslation

for name, args in {widgets!r}.items():
    if "translations" in args:
        args["translations"] = [WidgetTranslation(**t) for t in args["translations"]]
    widget = Widget(name, WidgetArgs(**args))
    pulumi.export(name, widget.id)
"""


def portal_widgets(emulator: EmulatorControl) -> dict[tuple[str, str], dict[str, Any]]:
    return {(w["PLACEMENT"], w["HANDLER"]): w for w in emulator.state()["placements"]}


def assert_state_matches_portal(project: Project, emulator: EmulatorControl) -> None:
    """Every Widget in the stack is bound on the portal with the stored texts and options, and nothing else is."""
    in_state = {
        (r["outputs"]["placement"], r["outputs"]["handler"]): r["outputs"]
        for r in project.resources()
        if r["type"].endswith(":Widget") and "outputs" in r
    }
    portal = portal_widgets(emulator)
    assert set(in_state) == set(portal)
    for key, outputs in in_state.items():
        stored = portal[key]
        if outputs.get("title"):
            assert stored["LANG_ALL"]["en"]["TITLE"] == outputs["title"]
        else:
            assert {lang: t["TITLE"] for lang, t in stored["LANG_ALL"].items()} == {
                t["language_id"]: t["title"] for t in outputs["translations"]
            }
        assert stored["OPTIONS"]["role"] == outputs["role"]
        assert (stored["OPTIONS"]["extranet"] == "Y") == outputs["extranet"]
        if "icon_name" in outputs:
            assert stored["OPTIONS"]["iconName"] == outputs["icon_name"]


@pytest.fixture
def oauth_app(emulator: EmulatorControl) -> dict[str, Any]:
    return emulator.oauth_app()


@pytest.fixture
def project(new_project: ProjectFactory, oauth_app: dict[str, Any]) -> Project:
    """A project in OAuth mode: the tokens of a local app created by a portal administrator."""
    project = new_project(configure=False)
    project.config("bitrix24:portalUrl", oauth_app["portal_url"])
    project.config("bitrix24:accessToken", oauth_app["access_token"], secret=True)
    return project


def bind_by_hand(emulator: EmulatorControl, app: dict[str, Any], **params: Any) -> None:
    envelope = emulator.call("placement.bind", access_token=app["access_token"], **params)
    assert envelope.get("result") is True, envelope


def test_create_then_nothing_to_do(project: Project, emulator: EmulatorControl, oauth_app: dict[str, Any]) -> None:
    project.program(program({"textarea": TEXTAREA, "sidebar": SIDEBAR}))
    assert project.preview().changes() == {"create": 3}  # the stack and two widgets
    emulator.clear_journal()
    assert project.up().changes() == {"create": 3}
    assert sorted(emulator.writes("placement.")) == ["placement.bind", "placement.bind"]
    stored = portal_widgets(emulator)[("IM_TEXTAREA", TEXTAREA["handler"])]
    assert stored["OPTIONS"] == {
        "iconName": "fa-paperclip",
        "extranet": "N",
        "context": "ALL",
        "role": "USER",
        "color": "",
        "width": 100,
        "height": 100,
    }
    outputs = project.outputs()
    assert outputs["textarea"] == "IM_TEXTAREA https://widgets.example.com/textarea"
    assert_state_matches_portal(project, emulator)

    emulator.clear_journal()
    assert project.up().changes() == {"same": 3}
    assert emulator.writes("placement.") == []
    emulator.assert_no_secrets([project.export()], oauth_app["access_token"])


def test_a_change_of_title_or_options_is_one_request(project: Project, emulator: EmulatorControl) -> None:
    project.program(program({"textarea": TEXTAREA}))
    project.up()
    changed = {**TEXTAREA, "title": "Echo 2", "context": ["USER", "CHAT"], "width": 60}
    project.program(program({"textarea": changed}))
    preview = project.cli("preview", "--diff")
    assert "~ 1 to update" in preview.output and "replace" not in preview.output
    emulator.clear_journal()
    assert project.up().changes() == {"update": 1, "same": 1}
    assert emulator.requests() == 1
    assert emulator.methods("placement.") == ["placement.unbind", "placement.bind"]
    stored = portal_widgets(emulator)[("IM_TEXTAREA", TEXTAREA["handler"])]
    assert stored["LANG_ALL"]["en"]["TITLE"] == "Echo 2"
    assert (stored["OPTIONS"]["context"], stored["OPTIONS"]["width"]) == ("USER;CHAT", 60)
    assert_state_matches_portal(project, emulator)


def test_a_new_handler_replaces_the_widget(project: Project, emulator: EmulatorControl) -> None:
    project.program(program({"textarea": TEXTAREA}))
    project.up()
    moved = {**TEXTAREA, "handler": "https://widgets.example.com/v2/textarea"}
    project.program(program({"textarea": moved}))
    assert project.preview().changes() == {"replace": 1, "same": 1}
    assert project.up().changes() == {"replace": 1, "same": 1}
    assert set(portal_widgets(emulator)) == {("IM_TEXTAREA", moved["handler"])}
    assert_state_matches_portal(project, emulator)


def test_refresh_shows_a_hand_edit_and_up_converges_it(
    project: Project, emulator: EmulatorControl, oauth_app: dict[str, Any]
) -> None:
    project.program(program({"textarea": TEXTAREA}))
    project.up()
    token = oauth_app["access_token"]
    emulator.call("placement.unbind", access_token=token, PLACEMENT="IM_TEXTAREA", HANDLER=TEXTAREA["handler"])
    bind_by_hand(
        emulator,
        oauth_app,
        PLACEMENT="IM_TEXTAREA",
        HANDLER=TEXTAREA["handler"],
        TITLE="Edited",
        OPTIONS={"iconName": "fa-paperclip", "role": "ADMIN"},
    )
    refresh = project.cli("refresh", "--yes", "--json")
    assert refresh.changes() == {"update": 1, "same": 1}
    [widget] = [r for r in project.resources() if r["type"].endswith(":Widget")]
    assert (widget["outputs"]["title"], widget["outputs"]["role"]) == ("Edited", "ADMIN")
    preview = project.cli("preview", "--diff")
    assert "~ 1 to update" in preview.output and "Edited" in preview.output
    assert project.up().changes() == {"update": 1, "same": 1}
    stored = portal_widgets(emulator)[("IM_TEXTAREA", TEXTAREA["handler"])]
    assert (stored["LANG_ALL"]["en"]["TITLE"], stored["OPTIONS"]["role"]) == ("Echo", "USER")
    assert_state_matches_portal(project, emulator)


def test_refresh_drops_a_widget_unbound_by_hand_and_up_binds_it_again(
    project: Project, emulator: EmulatorControl, oauth_app: dict[str, Any]
) -> None:
    project.program(program({"textarea": TEXTAREA, "sidebar": SIDEBAR}))
    project.up()
    token = oauth_app["access_token"]
    emulator.call("placement.unbind", access_token=token, PLACEMENT="IM_SIDEBAR", HANDLER=SIDEBAR["handler"])
    assert project.cli("refresh", "--yes", "--json").changes() == {"delete": 1, "same": 2}
    assert_state_matches_portal(project, emulator)
    assert project.up().changes() == {"create": 1, "same": 2}
    assert_state_matches_portal(project, emulator)


def test_an_existing_widget_is_refused_then_adopted(
    project: Project, emulator: EmulatorControl, oauth_app: dict[str, Any]
) -> None:
    bind_by_hand(
        emulator,
        oauth_app,
        PLACEMENT="IM_TEXTAREA",
        HANDLER=TEXTAREA["handler"],
        TITLE="Old",
        OPTIONS={"iconName": "x"},
    )
    project.program(program({"textarea": TEXTAREA}))
    preview = project.preview(check=False)
    assert preview.code != 0
    message = first_error(preview)
    assert "widget 'https://widgets.example.com/textarea' in IM_TEXTAREA already exists on the portal" in message
    assert "adopt=True" in message
    emulator.clear_journal()
    project.program(program({"textarea": {**TEXTAREA, "adopt": True}}))
    run = project.up()
    assert run.changes() == {"create": 2}
    assert "adopted the existing widget" in run.output
    assert emulator.requests() == 3  # a look at check, a look before adopting, one unbind+bind
    [widget] = [r for r in project.resources() if r["type"].endswith(":Widget")]
    assert widget["outputs"]["adopted"] is True
    stored = portal_widgets(emulator)[("IM_TEXTAREA", TEXTAREA["handler"])]
    assert (stored["LANG_ALL"]["en"]["TITLE"], stored["OPTIONS"]["iconName"]) == ("Echo", "fa-paperclip")
    assert_state_matches_portal(project, emulator)


def test_destroy_unbinds_only_its_own_handlers(
    project: Project, emulator: EmulatorControl, oauth_app: dict[str, Any]
) -> None:
    other = "https://widgets.example.com/textarea?by=hand"
    bind_by_hand(emulator, oauth_app, PLACEMENT="IM_TEXTAREA", HANDLER=other, TITLE="Kept", OPTIONS={"iconName": "x"})
    project.program(program({"textarea": TEXTAREA, "sidebar": SIDEBAR}))
    project.up()
    project.destroy()
    assert set(portal_widgets(emulator)) == {("IM_TEXTAREA", other)}


def test_a_webhook_configuration_fails_preview_with_directions(
    new_project: ProjectFactory, emulator: EmulatorControl
) -> None:
    project = new_project()  # the emulator's webhook, as for bots
    project.program(program({"textarea": TEXTAREA}))
    emulator.clear_journal()
    run = project.preview(check=False)
    assert run.code != 0
    message = first_error(run)
    assert "widgets need an OAuth application" in message and "bitrix24:portalUrl" in message
    assert "README, 'Messenger widgets'" in message
    assert emulator.journal("") == []


def test_a_token_of_a_plain_employee_fails_preview_clearly(
    new_project: ProjectFactory, emulator: EmulatorControl
) -> None:
    employee = emulator.oauth_app(admin=False)
    project = new_project(configure=False)
    project.config("bitrix24:portalUrl", employee["portal_url"])
    project.config("bitrix24:accessToken", employee["access_token"], secret=True)
    project.program(program({"textarea": TEXTAREA}))
    run = project.preview(check=False)
    assert run.code != 0
    message = first_error(run)
    assert "ACCESS_DENIED" in message and "administrator" in message
    assert employee["access_token"] not in run.output
    assert portal_widgets(emulator) == {}


def test_a_bad_option_fails_preview_naming_the_field(project: Project, emulator: EmulatorControl) -> None:
    project.program(program({"menu": {**TEXTAREA, "placement": "IM_CONTEXT_MENU"}}))
    emulator.clear_journal()
    run = project.preview(check=False)
    assert run.code != 0
    assert "icon_name" in run.output and "is not an option of IM_CONTEXT_MENU" in run.output
    assert emulator.journal("") == []


def test_the_widgets_example(project: Project, emulator: EmulatorControl) -> None:
    """examples/widgets as a user runs it: two widgets bound, then nothing to do."""
    project.program((REPO / "examples" / "widgets" / "__main__.py").read_text())
    assert project.up().changes() == {"create": 3}
    outputs = project.outputs()
    assert outputs["textarea_widget"] == "IM_TEXTAREA https://widgets.example.com/textarea"
    assert set(portal_widgets(emulator)) == {
        ("IM_TEXTAREA", "https://widgets.example.com/textarea"),
        ("IM_SIDEBAR", "https://widgets.example.com/sidebar"),
    }
    assert_state_matches_portal(project, emulator)
    assert project.up().changes() == {"same": 3}


def test_two_widgets_with_one_placement_and_handler_fail_preview(project: Project, emulator: EmulatorControl) -> None:
    project.program(program({"one": TEXTAREA, "two": {**TEXTAREA, "title": "Two"}}))
    run = project.preview(check=False)
    assert run.code != 0
    assert "Widget resources 'one' and 'two' both declare placement 'IM_TEXTAREA'" in run.output
    assert portal_widgets(emulator) == {}


def test_a_bind_whose_answer_is_lost_is_not_sent_again(project: Project, emulator: EmulatorControl) -> None:
    project.program(program({"textarea": TEXTAREA}))
    project.config("bitrix24:timeoutSeconds", "2")
    emulator.fault("placement.bind", drop=True, after=True)
    run = project.up()
    assert run.changes() == {"create": 2}
    assert "the answer to placement.bind was lost" in run.output
    assert emulator.methods("placement.").count("placement.bind") == 1
    assert_state_matches_portal(project, emulator)


def test_a_change_whose_bind_fails_puts_the_old_widget_back(project: Project, emulator: EmulatorControl) -> None:
    project.program(program({"textarea": TEXTAREA}))
    project.up()
    emulator.fault("placement.bind", error="INTERNAL_SERVER_ERROR", status=500)
    project.program(program({"textarea": {**TEXTAREA, "title": "Echo 2"}}))
    run = project.up(check=False)
    assert run.code != 0
    assert "the widget was bound again as it was before this change" in run.output
    stored = portal_widgets(emulator)[("IM_TEXTAREA", TEXTAREA["handler"])]
    assert stored["LANG_ALL"]["en"]["TITLE"] == "Echo"
    assert_state_matches_portal(project, emulator)
    assert project.up().changes() == {"update": 1, "same": 1}
    assert portal_widgets(emulator)[("IM_TEXTAREA", TEXTAREA["handler"])]["LANG_ALL"]["en"]["TITLE"] == "Echo 2"


def handlers(count: int, version: str) -> dict[str, dict[str, Any]]:
    return {
        f"w{i}": {**TEXTAREA, "handler": f"https://widgets.example.com/{version}/{i}", "title": f"W{i}"}
        for i in range(count)
    }


def test_kill_9_in_the_middle_of_a_handler_change_then_the_readme_recovery(
    project: Project, emulator: EmulatorControl, oauth_app: dict[str, Any]
) -> None:
    """The user's own scenario: `kill -9` of `pulumi up` while the new handlers of 5 widgets are being bound
    (the portal has bound them, the answers have not come back), then `pulumi cancel`, `pulumi refresh
    --clear-pending-creates`, and `pulumi up` with adopt=True as the message says."""
    project.program(program(handlers(5, "v1")))
    project.up()
    new = handlers(5, "v2")
    project.program(program(new))
    emulator.fault("placement.bind", count=5, stall=5, after=True)  # bound, but the answer does not come back
    up = subprocess.Popen(
        ["pulumi", "--non-interactive", "up", "--yes", "--skip-preview"],
        cwd=project.root,
        env=project.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while len(portal_widgets(emulator)) == 5 and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(up.pid, signal.SIGKILL)
    up.wait()
    assert len(portal_widgets(emulator)) > 5  # the old handlers and a new one that the state does not know

    project.cli("cancel", "--yes", check=False)  # the README's first step, needed where the stack stayed locked
    project.cli("refresh", "--clear-pending-creates", "--yes")
    refused = first_error(project.preview(check=False))
    assert "perhaps made by an interrupted `pulumi up`: set adopt=True" in refused, refused

    project.program(program({name: {**spec, "adopt": True} for name, spec in new.items()}))
    project.up()
    assert set(portal_widgets(emulator)) == {("IM_TEXTAREA", spec["handler"]) for spec in new.values()}
    assert_state_matches_portal(project, emulator)
    assert project.preview().changes() == {"same": 6}
