"""Named portals: bitrix24:portals parsing and validation, per-resource settings, and errors that name the portal."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pulumi.dynamic import Config, ConfigureRequest

from pulumi_bitrix24._client import _bucket_for
from pulumi_bitrix24._config import PORTAL_SETTINGS, Settings, SettingsError, load_portals
from pulumi_bitrix24._errors import error_for, with_detail
from pulumi_bitrix24.bot import BotProvider

ACME = {"webhookUrl": "https://acme.example/rest/1/code/", "clientId": "fleet"}
GLOBEX = {"portalUrl": "https://globex.example", "accessToken": "token", "plan": "enterprise"}


def portals_config(portals: Any) -> dict[str, Any]:
    return {"bitrix24:portals": json.dumps(portals) if not isinstance(portals, str) else portals}


def problems(portals: Any) -> tuple[str, ...]:
    """Every problem of the value, as the portals' resources (or, for a bad shape, all resources) see them."""
    try:
        found = load_portals(portals_config(portals))
    except SettingsError as exc:
        return exc.problems
    return tuple(p for portal in found.values() if isinstance(portal, SettingsError) for p in portal.problems)


def provider(config: dict[str, Any]) -> BotProvider:
    bots = BotProvider()
    bots.configure(ConfigureRequest(Config(config, "project")))
    return bots


def test_named_portals_are_read_with_their_own_settings() -> None:
    found = load_portals(portals_config({"acme": ACME, "globex": GLOBEX}))
    acme, globex = found["acme"], found["globex"]
    assert isinstance(acme, Settings) and isinstance(globex, Settings)
    assert acme.webhook_url == ACME["webhookUrl"] and acme.name == "acme"
    assert (globex.plan, globex.base_url) == ("enterprise", "https://globex.example/rest/")
    assert load_portals(portals_config({})) == {} and load_portals({}) == {}


def test_problems_name_the_portal_and_the_key() -> None:
    assert problems({"acme": {**ACME, "timeoutSecond": "5"}}) == (
        "unknown config key bitrix24:portals.acme.timeoutSecond; did you mean bitrix24:portals.acme.timeoutSeconds?",
    )
    assert problems({"acme": {**ACME, "maxRetries": "x"}}) == (
        'bitrix24:portals.acme.maxRetries must be a whole number from 0 to 20, got "x"',
    )
    assert problems({"Acme Corp": ACME})[0].startswith("bitrix24:portals.Acme Corp: a portal name is")
    assert problems({"acme": "https://acme.example"})[0].endswith(
        "must be an object of settings (webhookUrl, clientId, ...)"
    )
    assert problems("not json")[0].startswith("bitrix24:portals must be an object of portal names")
    assert problems(["acme"])[0].startswith("bitrix24:portals must be an object of portal names")


def test_a_portal_without_credentials_names_what_to_set() -> None:
    [acme] = load_portals(portals_config({"acme": {"webhookUrl": ACME["webhookUrl"]}})).values()
    assert isinstance(acme, Settings)
    with pytest.raises(SettingsError, match=r"^bitrix24:portals\.acme\.clientId is required with a webhook URL$"):
        acme.validate()
    [empty] = load_portals(portals_config({"acme": {"plan": "standard"}})).values()
    assert isinstance(empty, Settings)
    with pytest.raises(SettingsError, match=r"bitrix24:portals\.acme has neither webhookUrl"):
        empty.validate()


def test_each_resource_gets_its_portal_settings_and_the_default_stays() -> None:
    bots = provider({"bitrix24:webhookUrl": "https://default.example/rest/1/c/", "bitrix24:clientId": "d",
                     **portals_config({"acme": ACME, "globex": GLOBEX})})  # fmt: skip
    assert bots.settings({}).base_url == "https://default.example/rest/1/c/"
    assert bots.settings({"portal": "acme"}).base_url == ACME["webhookUrl"]
    assert bots.portal({"portal": "globex"}) != bots.portal({"portal": "acme"})
    assert bots.settings_failures({"portal": "acme"}) == []
    assert bots.settings_failures({"portal": "initech"}) == [
        ("portal", "is not in bitrix24:portals (it has acme, globex)")
    ]


def test_a_removed_portal_is_still_reached_through_the_settings_its_resources_carry() -> None:
    bots = provider(portals_config({"acme": ACME}))
    carried = {"portal": "globex", PORTAL_SETTINGS: GLOBEX}
    assert bots.settings(carried).base_url == "https://globex.example/rest/"
    # the current config wins over what a resource carries (credentials may have been rotated since)
    stale = {"portal": "acme", PORTAL_SETTINGS: {**ACME, "clientId": "old"}}
    assert bots.settings(stale).client_id == "fleet"
    with pytest.raises(SettingsError, match="portal 'globex' is not in bitrix24:portals"):
        bots.settings({"portal": "globex"})


def test_a_broken_portal_entry_fails_its_resources_only_at_check() -> None:
    bots = provider(portals_config({"acme": {**ACME, "plan": "gold"}, "globex": GLOBEX}))
    [(field, reason)] = bots.settings_failures({"portal": "acme"})
    assert field == "" and reason.startswith("bitrix24 configuration of portal 'acme': bitrix24:portals.acme.plan")
    assert bots.settings_failures({"portal": "globex"}) == []
    assert bots.settings_failures({})[0][1].startswith("bitrix24 configuration: no Bitrix24 portal configured")


def test_identities_are_per_portal() -> None:
    bots = BotProvider()
    assert bots.identity_key({"code": "echo", "portal": "acme"}) != bots.identity_key({"code": "echo"})
    changed = bots.diff("1", {"code": "echo", "portal": "acme"}, {"code": "echo", "portal": "globex"})
    assert changed.replaces == ["portal"] and not changed.delete_before_replace


@given(st.sampled_from(["NO_AUTH_FOUND", "ACCESS_DENIED", "insufficient_scope", "expired_token"]))
def test_errors_name_the_portal_and_its_settings(code: str) -> None:
    error = error_for("imbot.register", code, "detail").on_portal("acme")
    text = str(with_detail(error, "more"))
    assert text.startswith("Bitrix24 imbot.register on portal 'acme' failed with")
    assert "BITRIX24_" not in text
    assert "bitrix24:" not in text.replace("bitrix24:portals.acme.", "")


def test_portals_never_share_a_pacing_bucket() -> None:
    def bucket(url: str) -> object:
        return _bucket_for(Settings(webhook_url=url, client_id="c"))

    assert bucket("https://127.0.0.1:9/acme/rest/1/a/") is bucket("https://127.0.0.1:9/acme/rest/7/b/")
    assert bucket("https://127.0.0.1:9/acme/rest/1/a/") is not bucket("https://127.0.0.1:9/globex/rest/1/a/")
    assert bucket("https://acme.example/rest/1/a/") is not bucket("https://globex.example/rest/1/a/")
