"""Widget inputs: the placement's options, texts, defaults, the REST parameters they become and the read-back."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulumi_bitrix24._config import Settings
from pulumi_bitrix24._resource import Existing
from pulumi_bitrix24.emulator._placements import PLACEMENTS
from pulumi_bitrix24.widget import OPTION_NAMES, PLACEMENT_OPTIONS, WidgetProvider

OAUTH = Settings(portal_url="https://portal.example", access_token="token")
HANDLER = "https://widgets.example.com/textarea"


class Offline(WidgetProvider):
    """The provider with OAuth settings and an empty portal, so check runs without a network."""

    def __init__(self, settings: Settings = OAUTH) -> None:
        self._settings = settings

    def find_existing(self, props: dict[str, Any]) -> Existing[str] | None:
        return None


def failures(props: dict[str, Any], provider: WidgetProvider | None = None) -> dict[str, str]:
    result = (provider or Offline()).check({}, props)
    return {f.property or re.split(r"[.\[:]", f.reason, maxsplit=1)[0]: f.reason for f in result.failures}


def textarea(**extra: Any) -> dict[str, Any]:
    return {"placement": "IM_TEXTAREA", "handler": HANDLER, "title": "Echo", "icon_name": "fa-paperclip", **extra}


def test_a_placement_is_written_in_capitals_as_every_closed_set() -> None:
    assert failures(textarea(placement="im_textarea"))["placement"] == (
        "must be one of IM_TEXTAREA, IM_SIDEBAR, IM_CONTEXT_MENU, IM_NAVIGATION, IMMOBILE_CONTEXT_MENU (in capitals), "
        "got 'im_textarea'"
    )


def test_a_textarea_widget_gets_the_portal_defaults() -> None:
    result = Offline().check({}, textarea())
    assert not result.failures
    assert {k: result.inputs[k] for k in ("placement", "extranet", "context", "role", "width", "height")} == {
        "placement": "IM_TEXTAREA",
        "extranet": False,
        "context": ["ALL"],
        "role": "USER",
        "width": 100,
        "height": 100,
    }
    assert "color" not in result.inputs or result.inputs["color"] is None


def test_the_provider_knows_the_options_the_emulator_keeps() -> None:
    """One fact, two places: the options each placement keeps (the emulator follows the server's declarations)."""
    for code, taken in PLACEMENT_OPTIONS.items():
        assert {OPTION_NAMES[o] for o in taken} == set(PLACEMENTS[code][0]), code


@given(st.sampled_from(sorted(PLACEMENT_OPTIONS)), st.sampled_from(sorted(OPTION_NAMES)))
def test_an_option_the_placement_does_not_take_is_refused(code: str, option: str) -> None:
    values = {"icon_name": "fa-x", "extranet": True, "context": ["CHAT"], "role": "ADMIN", "color": "RED"}
    values.update(width=50, height=50)
    props = {"placement": code, "handler": HANDLER, "title": "t", option: values[option]}
    if option != "icon_name" and "icon_name" in PLACEMENT_OPTIONS[code]:
        props["icon_name"] = "fa-x"
    found = failures(props)
    if option in PLACEMENT_OPTIONS[code]:
        assert found == {}
    else:
        assert found[option].startswith(f"is not an option of {code}, which takes ")


@pytest.mark.parametrize("code", ["IM_TEXTAREA", "IM_SIDEBAR", "IM_NAVIGATION"])
def test_an_icon_is_required_where_the_portal_requires_it(code: str) -> None:
    assert "is required for" in failures({"placement": code, "handler": HANDLER, "title": "t"})["icon_name"]


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        ({"placement": "IM_SMILES_SELECTOR"}, "placement", "archived"),
        ({"placement": "CRM_DEAL_DETAIL_TAB"}, "placement", "must be one of IM_TEXTAREA"),
        ({"handler": "https://localhost/x"}, "handler", "public host"),
        ({"handler": "http://widgets.example.com/x"}, "handler", "https://"),
        ({"icon_name": "1234"}, "icon_name", "Font Awesome 4"),
        ({"icon_name": "fa-" + "x" * 48}, "icon_name", "at most 50"),
        ({"context": ["ALL", "USER"]}, "context", '"ALL" already includes'),
        ({"context": ["GROUP"]}, "context", "ALL, USER, CHAT, LINES or CRM"),
        ({"context": []}, "context", "at least 1"),
        ({"role": "OWNER"}, "role", '"USER" (everyone) or "ADMIN"'),
        ({"color": "TEAL"}, "color", "messenger palette"),
        ({"width": -1.0}, "width", "at least 0"),
        ({"height": 50.5}, "height", "whole number"),
        ({"title": " Echo"}, "title", "whitespace"),
        ({"title": None}, "title", "give the widget a title"),
        ({"translations": [{"language_id": "en", "title": "Echo"}]}, "title", "either title or translations"),
        ({"extranet": "Y"}, "extranet", "true or false"),
    ],
)
def test_bad_arguments_name_the_field_and_the_rule(change: dict[str, Any], field: str, rule: str) -> None:
    props = {k: v for k, v in textarea(**change).items() if v is not None}
    found = failures(props)
    assert field in found and rule in found[field], found


def test_a_webhook_configuration_is_refused_with_directions() -> None:
    webhook = Offline(Settings(webhook_url="https://portal.example/rest/1/code/", client_id="client"))
    [reason] = [f.reason for f in webhook.check({}, textarea()).failures]
    assert "widgets need an OAuth application" in reason and "WRONG_AUTH_TYPE" in reason
    assert "README, 'Messenger widgets'" in reason


def test_bind_parameters_carry_options_as_the_portal_writes_them() -> None:
    provider = Offline()
    props = provider.check({}, textarea(extranet=True, context=["USER", "CHAT"], color="RED")).inputs
    params = provider.register_params(provider.normalized(props))
    assert params["OPTIONS"] == {
        "iconName": "fa-paperclip",
        "extranet": "Y",
        "context": "USER;CHAT",
        "role": "USER",
        "color": "RED",
        "width": 100,
        "height": 100,
    }
    assert (params["TITLE"], "LANG_ALL" in params) == ("Echo", False)


def test_translations_become_lang_all() -> None:
    provider = Offline()
    props = {k: v for k, v in textarea(title=None).items() if v is not None}
    props["translations"] = [
        {"language_id": "en", "title": "Echo"},
        {"language_id": "de", "title": "Echo", "description": "Öffnet Echo"},
    ]
    params = provider.register_params(provider.normalized(provider.check({}, props).inputs))
    assert "TITLE" not in params
    assert params["LANG_ALL"] == {
        "en": {"TITLE": "Echo", "DESCRIPTION": ""},
        "de": {"TITLE": "Echo", "DESCRIPTION": "Öffnet Echo"},
    }


def test_stored_options_read_back_in_program_terms() -> None:
    stored = {"iconName": "fa-x", "extranet": "Y", "context": "USER;CRM", "role": "ADMIN", "color": "", "width": 40}
    assert WidgetProvider._read_options(stored) == {
        "icon_name": "fa-x",
        "extranet": True,
        "context": ["USER", "CRM"],
        "role": "ADMIN",
        "color": None,
        "width": 40,
    }


def test_context_is_a_set_in_a_fixed_order() -> None:
    one = Offline().check({}, textarea(context=["LINES", "USER"])).inputs["context"]
    assert one == Offline().check({}, textarea(context=["USER", "LINES"])).inputs["context"] == ["USER", "LINES"]
