"""The emulator's messenger widgets (placement.*), app.info and user.admin against the facts sheet."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Portal

HANDLER = "https://widgets.example.com/textarea"


class App:
    """An OAuth app of the emulated portal, calling with its access token."""

    def __init__(self, portal: Portal, admin: bool = True) -> None:
        self.portal = portal
        self.tokens = portal.post("_emulator/oauth", json={"admin": admin}).json()

    def call(self, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
        response = self.portal.session.post(
            f"{self.portal.info.base_url}rest/{method}",
            json={"auth": self.tokens["access_token"], **params},
            verify=self.portal.info.ca_bundle,
            timeout=10,
        )
        return response.status_code, response.json()

    def result(self, method: str, **params: Any) -> Any:
        status, envelope = self.call(method, **params)
        assert status == 200 and "error" not in envelope, envelope
        return envelope["result"]

    def error(self, method: str, **params: Any) -> tuple[int, str]:
        status, envelope = self.call(method, **params)
        assert "error" in envelope, envelope
        return status, envelope["error"]


@pytest.fixture
def app(portal: Portal) -> App:
    return App(portal)


def test_bind_fills_option_defaults_casts_types_and_drops_unknown_keys(app: App) -> None:
    options = {"iconName": "fa-paperclip", "width": "250abc", "unknown": "x"}
    assert app.result("placement.bind", PLACEMENT="im_textarea", HANDLER=HANDLER, TITLE="Echo", OPTIONS=options)
    [bound] = app.result("placement.get")
    assert bound["placement"] == "IM_TEXTAREA" and bound["handler"] == HANDLER and bound["userId"] == 0
    assert bound["options"] == {
        "iconName": "fa-paperclip",
        "extranet": "N",
        "context": "ALL",
        "role": "USER",
        "color": "",
        "width": 250,
        "height": 100,
    }
    assert bound["title"] == "Echo" and bound["langAll"] == {
        "en": {"TITLE": "Echo", "DESCRIPTION": "", "GROUP_NAME": ""}
    }


def test_lang_all_wins_over_the_top_level_title(app: App) -> None:
    lang_all = {"en": {"TITLE": "Echo", "DESCRIPTION": "Opens echo"}, "de": {"TITLE": "Echo DE"}}
    app.result("placement.bind", PLACEMENT="IM_CONTEXT_MENU", HANDLER=HANDLER, TITLE="ignored", LANG_ALL=lang_all)
    [bound] = app.result("placement.get")
    assert bound["title"] == "Echo" and bound["description"] == "Opens echo"
    assert bound["langAll"]["de"] == {"TITLE": "Echo DE", "DESCRIPTION": "", "GROUP_NAME": ""}
    assert bound["options"] == {"extranet": "N", "context": "ALL", "role": "USER"}


def test_a_handler_binds_once_per_placement(app: App) -> None:
    icon = {"iconName": "fa-star"}
    app.result("placement.bind", PLACEMENT="IM_SIDEBAR", HANDLER=HANDLER, TITLE="A", OPTIONS=icon)
    status, code = app.error("placement.bind", PLACEMENT="IM_SIDEBAR", HANDLER=HANDLER, TITLE="B", OPTIONS=icon)
    assert (status, code) == (400, "ERROR_CORE")
    app.result("placement.bind", PLACEMENT="IM_SIDEBAR", HANDLER=HANDLER + "?b", TITLE="B", OPTIONS=icon)
    app.result("placement.bind", PLACEMENT="IM_TEXTAREA", HANDLER=HANDLER, TITLE="C", OPTIONS=icon)
    assert len(app.result("placement.get")) == 3


@pytest.mark.parametrize(
    ("placement", "options", "error"),
    [
        ("IM_TEXTAREA", {}, "ERROR_ARGUMENT"),
        ("IM_TEXTAREA", {"iconName": "1234"}, "INVALID_ERROR_ICON_NAME"),
        ("IM_TEXTAREA", {"iconName": "fa-x", "extranet": "yes"}, "INVALID_ERROR_EXTRANET"),
        ("IM_TEXTAREA", {"iconName": "fa-x", "context": "USER;GROUP"}, "INVALID_ERROR_CONTEXT"),
        ("IM_SIDEBAR", {"iconName": "fa-x", "role": "OWNER"}, "INVALID_ERROR_ROLE"),
        ("IM_SIDEBAR", {"iconName": "fa-x", "color": "TEAL"}, "INVALID_ERROR_COLOR"),
        ("IM_TEXTAREA", {"iconName": "fa-x", "height": "-5"}, "INVALID_ERROR_HEIGHT"),
        ("IM_NAVIGATION", {}, "ERROR_ARGUMENT"),
        ("CRM_UNKNOWN_TAB", {}, "ERROR_PLACEMENT_NOT_FOUND"),
    ],
)
def test_bind_refuses_bad_options(app: App, placement: str, options: dict[str, str], error: str) -> None:
    _, code = app.error("placement.bind", PLACEMENT=placement, HANDLER=HANDLER, TITLE="t", OPTIONS=options)
    assert code == error
    assert app.result("placement.get") == []


@pytest.mark.parametrize(
    ("handler", "error"),
    [
        ("", "ERROR_ARGUMENT"),
        ("https://localhost/x", "ERROR_WRONG_HANDLER_URL"),
        ("ftp://a.b/x", "ERROR_UNSUPPORTED_PROTOCOL"),
    ],
)
def test_bind_checks_the_handler(app: App, handler: str, error: str) -> None:
    assert app.error("placement.bind", PLACEMENT="IM_CONTEXT_MENU", HANDLER=handler)[1] == error


def test_unbind_names_the_handler_or_removes_every_handler_of_the_placement(app: App) -> None:
    for suffix in ("", "?2", "?3"):
        app.result("placement.bind", PLACEMENT="IM_CONTEXT_MENU", HANDLER=HANDLER + suffix, TITLE="t")
    app.result("placement.bind", PLACEMENT="IM_NAVIGATION", HANDLER=HANDLER, TITLE="t", OPTIONS={"iconName": "fa-x"})
    assert app.result("placement.unbind", PLACEMENT="IM_CONTEXT_MENU", HANDLER=HANDLER + "?2") == {"count": 2}
    assert app.result("placement.unbind", PLACEMENT="IM_CONTEXT_MENU", HANDLER=HANDLER + "?2") == {"count": 0}
    assert app.result("placement.unbind", PLACEMENT="im_context_menu") == {"count": 4}
    assert [b["placement"] for b in app.result("placement.get")] == ["IM_NAVIGATION"]


def test_handlers_belong_to_their_app(portal: Portal, app: App) -> None:
    other = App(portal)
    app.result("placement.bind", PLACEMENT="IM_CONTEXT_MENU", HANDLER=HANDLER, TITLE="t")
    other.result("placement.bind", PLACEMENT="IM_CONTEXT_MENU", HANDLER=HANDLER, TITLE="t")
    assert other.result("placement.unbind", PLACEMENT="IM_CONTEXT_MENU") == {"count": 2}
    assert len(app.result("placement.get")) == 1 and other.result("placement.get") == []


def test_webhooks_cannot_manage_widgets(portal: Portal) -> None:
    for method in ("placement.bind", "placement.unbind", "placement.get", "placement.list"):
        status, envelope = portal.call(method, PLACEMENT="IM_CONTEXT_MENU", HANDLER=HANDLER)
        assert (status, envelope["error"]) == (403, "WRONG_AUTH_TYPE"), method


def test_a_plain_employee_may_list_but_not_bind(portal: Portal) -> None:
    employee = App(portal, admin=False)
    assert "IM_TEXTAREA" in employee.result("placement.list")
    assert employee.result("user.admin") is False
    for method in ("placement.bind", "placement.unbind", "placement.get"):
        assert employee.error(method, PLACEMENT="IM_CONTEXT_MENU", HANDLER=HANDLER) == (403, "ACCESS_DENIED")


def test_the_placement_scope_is_needed(portal: Portal) -> None:
    tokens = portal.post("_emulator/oauth", json={"scopes": ["imbot"]}).json()
    response = portal.session.post(
        f"{portal.info.base_url}rest/placement.get", json={"auth": tokens["access_token"]}, verify=portal.info.ca_bundle
    )
    assert (response.status_code, response.json()["error"]) == (403, "insufficient_scope")


def test_app_info_and_user_admin(portal: Portal, app: App) -> None:
    info = app.result("app.info")
    assert info["INSTALLED"] is True and info["STATUS"] == "L" and info["ID"] >= 1
    assert app.result("user.admin") is True
    assert portal.result("user.admin") is True
    assert "SCOPE" in portal.result("app.info")


def test_a_refreshed_token_keeps_its_user(portal: Portal) -> None:
    employee = App(portal, admin=False)
    query = {
        "grant_type": "refresh_token",
        "client_id": employee.tokens["client_id"],
        "client_secret": employee.tokens["client_secret"],
        "refresh_token": employee.tokens["refresh_token"],
    }
    fresh = portal.session.get(portal.info.base_url + "oauth/token/", params=query, verify=portal.info.ca_bundle)
    employee.tokens = fresh.json()
    assert employee.result("user.admin") is False


def test_widgets_show_in_the_state_dump(portal: Portal, app: App) -> None:
    app.result("placement.bind", PLACEMENT="IM_CONTEXT_MENU", HANDLER=HANDLER, TITLE="t")
    [row] = portal.state()["placements"]
    assert row["PLACEMENT"] == "IM_CONTEXT_MENU" and row["OWNER"].startswith("sha256:")


def test_a_code_authorized_by_an_employee_buys_an_employees_tokens(portal: Portal) -> None:
    app = App(portal)
    code = portal.post("_emulator/oauth-code", json={"client_id": app.tokens["client_id"], "admin": False}).json()
    query = {
        "grant_type": "authorization_code",
        "client_id": app.tokens["client_id"],
        "client_secret": app.tokens["client_secret"],
        "code": code["code"],
    }
    app.tokens = portal.session.get(
        portal.info.base_url + "oauth/token/", params=query, verify=portal.info.ca_bundle
    ).json()
    assert app.result("user.admin") is False
