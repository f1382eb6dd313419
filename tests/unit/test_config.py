"""Provider settings: unknown keys, value rules with their source named, and how check reports them."""

from __future__ import annotations

import math
import os
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pulumi.dynamic import Config, ConfigureRequest

from pulumi_bitrix24._config import MAX_CLIENT_ID_LENGTH, Settings, SettingsError, load_settings
from pulumi_bitrix24._resource import BitrixProvider

WEBHOOK = {"bitrix24:webhookUrl": "https://portal.example/rest/1/code/", "bitrix24:clientId": "app"}


@pytest.fixture(autouse=True)
def no_bitrix24_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("BITRIX24_")]:
        monkeypatch.delenv(name)


def problems(config: dict[str, Any]) -> tuple[str, ...]:
    with pytest.raises(SettingsError) as caught:
        load_settings(config)
    return caught.value.problems


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [
        ("webhookURL", "webhookUrl"),
        ("clientid", "clientId"),
        ("client_id", "clientId"),
        ("timeoutSecs", "timeoutSeconds"),
        ("maxRetry", "maxRetries"),
        ("oauthClientSecrte", "oauthClientSecret"),
    ],
)
def test_a_mistyped_key_fails_with_a_suggestion(key: str, suggestion: str) -> None:
    assert problems({**WEBHOOK, f"bitrix24:{key}": "x"}) == (
        f"unknown config key bitrix24:{key}; did you mean bitrix24:{suggestion}?",
    )


def test_an_unknown_key_without_a_near_match_lists_the_keys() -> None:
    [problem] = problems({**WEBHOOK, "bitrix24:region": "eu"})
    assert problem.startswith("unknown config key bitrix24:region; known keys: webhookUrl, clientId, portalUrl")


def test_keys_of_other_namespaces_are_ignored() -> None:
    config = {**WEBHOOK, "e2e:botId": "1", "aws:region": "eu", "bitrix24x:webhookURL": "x", "pulumi:tags": "{}"}
    assert load_settings(config).client_id == "app"


def test_unknown_keys_are_found_in_the_config_pulumi_gives_a_dynamic_provider() -> None:
    """Guards the private `_props` of pulumi.dynamic.Config, the only way to list its keys."""
    with pytest.raises(SettingsError, match="did you mean bitrix24:webhookUrl"):
        load_settings(Config({"bitrix24:webhookURL": "https://p/rest/1/c/"}, "project"))


TIMEOUT_RULE = "must be a number greater than 0 and at most 600"
RETRIES_RULE = "must be a whole number from 0 to 20"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("timeoutSeconds", "abc", f'{TIMEOUT_RULE}, got "abc"'),
        ("timeoutSeconds", "0", f'{TIMEOUT_RULE}, got "0"'),
        ("timeoutSeconds", "-5", f'{TIMEOUT_RULE}, got "-5"'),
        ("timeoutSeconds", "601", f'{TIMEOUT_RULE}, got "601"'),
        ("timeoutSeconds", "nan", f'{TIMEOUT_RULE}, got "nan"'),
        ("timeoutSeconds", True, f"{TIMEOUT_RULE}, got True"),
        ("maxRetries", "-3", f'{RETRIES_RULE}, got "-3"'),
        ("maxRetries", "21", f'{RETRIES_RULE}, got "21"'),
        ("maxRetries", "2.5", f'{RETRIES_RULE}, got "2.5"'),
        ("maxRetries", "many", f'{RETRIES_RULE}, got "many"'),
        ("plan", "gold", 'must be one of standard, enterprise, unlimited, got "gold"'),
    ],
)
def test_a_value_that_breaks_its_rule_is_named_with_the_rule_and_the_value(key: str, value: Any, message: str) -> None:
    assert problems({**WEBHOOK, f"bitrix24:{key}": value}) == (f"bitrix24:{key} {message}",)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"bitrix24:timeoutSeconds": "0.5", "bitrix24:maxRetries": "0"}, (0.5, 0)),
        ({"bitrix24:timeoutSeconds": 600, "bitrix24:maxRetries": 20}, (600.0, 20)),
    ],
)
def test_values_at_the_bounds_are_accepted(config: dict[str, Any], expected: tuple[float, int]) -> None:
    loaded = load_settings({**WEBHOOK, **config})
    assert (loaded.timeout_seconds, loaded.max_retries) == expected


@given(st.one_of(st.text(max_size=12), st.integers(), st.floats(), st.booleans()))
def test_any_timeout_either_loads_in_range_or_is_refused_by_name(value: Any) -> None:
    try:
        timeout = load_settings({**WEBHOOK, "bitrix24:timeoutSeconds": value}).timeout_seconds
    except SettingsError as exc:
        [problem] = exc.problems
        assert problem.startswith(f"bitrix24:timeoutSeconds {TIMEOUT_RULE}, got ")
    else:
        assert 0 < timeout <= 600 and not math.isnan(timeout)


@given(st.one_of(st.text(max_size=12), st.integers(), st.floats(), st.booleans()))
def test_any_retry_count_either_loads_in_range_or_is_refused_by_name(value: Any) -> None:
    try:
        retries = load_settings({**WEBHOOK, "bitrix24:maxRetries": value}).max_retries
    except SettingsError as exc:
        [problem] = exc.problems
        assert problem.startswith(f"bitrix24:maxRetries {RETRIES_RULE}, got ")
    else:
        assert isinstance(retries, int) and 0 <= retries <= 20


def test_environment_fallbacks_follow_the_same_rules_and_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BITRIX24_TIMEOUT_SECONDS", "abc")
    monkeypatch.setenv("BITRIX24_MAX_RETRIES", "-3")
    assert problems(WEBHOOK) == (
        f'BITRIX24_TIMEOUT_SECONDS {TIMEOUT_RULE}, got "abc"',
        f'BITRIX24_MAX_RETRIES {RETRIES_RULE}, got "-3"',
    )


def test_config_wins_over_a_broken_environment_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BITRIX24_MAX_RETRIES", "-3")
    assert load_settings({**WEBHOOK, "bitrix24:maxRetries": "2"}).max_retries == 2


def test_client_id_length_is_what_the_portal_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    longest = "c" * MAX_CLIENT_ID_LENGTH
    assert load_settings({**WEBHOOK, "bitrix24:clientId": longest}).client_id == longest
    rule = "must be 1 to 40 characters long (the longest bot token Bitrix24 accepts), got 41 characters"
    assert problems({**WEBHOOK, "bitrix24:clientId": longest + "X"}) == (f"bitrix24:clientId {rule}",)
    monkeypatch.setenv("BITRIX24_CLIENT_ID", longest + "X")
    assert problems({"bitrix24:webhookUrl": WEBHOOK["bitrix24:webhookUrl"]}) == (f"BITRIX24_CLIENT_ID {rule}",)
    with pytest.raises(SettingsError, match=r"^bitrix24:clientId \(or BITRIX24_CLIENT_ID\) must be 1 to 40"):
        Settings(webhook_url="https://p/rest/1/c/", client_id=longest + "X").validate()


def test_every_problem_is_reported_at_once() -> None:
    config = {"bitrix24:webhookURL": "x", "bitrix24:timeoutSeconds": "0", "bitrix24:maxRetries": "-1"}
    assert [p.split(" ")[0] for p in problems(config)] == ["unknown", "bitrix24:timeoutSeconds", "bitrix24:maxRetries"]


def configured(config: dict[str, Any]) -> BitrixProvider:
    provider = BitrixProvider()
    provider.configure(ConfigureRequest(Config(config, "project")))
    return provider


def test_broken_config_fails_check_as_a_problem_of_the_configuration_not_of_a_property() -> None:
    provider = configured({**WEBHOOK, "bitrix24:timeoutSeconds": "abc"})
    assert provider.settings_failures({}) == [
        ("", f'bitrix24 configuration: bitrix24:timeoutSeconds {TIMEOUT_RULE}, got "abc"')
    ]
    with pytest.raises(SettingsError, match="timeoutSeconds"):
        provider.settings({})  # what create, update and delete get, instead of silently using defaults


def test_unusable_config_fails_check_with_what_to_set() -> None:
    provider = configured({"bitrix24:webhookURL": "https://p/rest/1/c/"})
    assert provider.settings_failures({}) == [
        ("", "bitrix24 configuration: unknown config key bitrix24:webhookURL; did you mean bitrix24:webhookUrl?")
    ]
    assert configured(WEBHOOK).settings_failures({}) == []
    [(field, reason)] = configured({}).settings_failures({})
    assert (field, reason.split(": ")[:2]) == ("", ["bitrix24 configuration", "no Bitrix24 portal configured"])
