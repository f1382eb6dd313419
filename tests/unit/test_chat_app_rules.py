"""ChatApp validation rules and diff decisions, exercised on the provider directly (no engine)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from pulumi_bitrix24._config import Settings
from pulumi_bitrix24.chat_app import ChatAppProvider

PROVIDER = ChatAppProvider()
PROVIDER._settings = Settings(webhook_url="https://portal.example/rest/1/code/", client_id="client")
JS: dict[str, Any] = {
    "bot_id": 7.0,  # numbers arrive from the engine as floats
    "code": "helper",
    "js_method": "SEND",
    "js_param": "/help",
    "translations": [{"language_id": "en", "title": "Help"}],
}
FRAME: dict[str, Any] = {
    "bot_id": 7.0,
    "code": "frame",
    "iframe": "https://example.com/f",
    "hash": "x" * 32,
    "translations": [{"language_id": "en", "title": "Frame"}],
}


def failures(props: dict[str, Any]) -> dict[str, str]:
    """Each failure's reason by the input it names; one inside a structure names it at the start of its reason."""
    return {
        f.property or re.split(r"[.\[:]", f.reason, maxsplit=1)[0]: f.reason for f in PROVIDER.check({}, props).failures
    }


def checked(props: dict[str, Any]) -> dict[str, Any]:
    result = PROVIDER.check({}, props)
    assert result.failures == []
    return result.inputs


def test_valid_apps_are_normalised_with_explicit_defaults() -> None:
    frame = checked(FRAME)
    assert (frame["bot_id"], frame["iframe_width"], frame["iframe_height"], frame["context"]) == (7, 320, 250, "ALL")
    assert frame["hidden"] is False
    js = checked(JS)
    assert "iframe_width" not in js


@given(st.integers(min_value=-1000, max_value=249))
def test_narrow_frames_fail(width: int) -> None:
    assert "at least 250" in failures({**FRAME, "iframe_width": width})["iframe_width"]


@given(st.integers(min_value=250, max_value=5000), st.integers(min_value=50, max_value=5000))
def test_wide_enough_frames_pass(width: int, height: int) -> None:
    assert failures({**FRAME, "iframe_width": width, "iframe_height": height}) == {}


@given(st.text(max_size=40).filter(lambda s: len(s) != 32))
def test_hash_must_be_32_characters(value: str) -> None:
    assert "hash" in failures({**FRAME, "hash": value})


@given(st.from_regex(r"[0-9a-f]{32}", fullmatch=True))
def test_support_codes_are_32_hex(code: str) -> None:
    assert failures({**JS, "js_method": "SUPPORT", "js_param": code}) == {}


@given(st.from_regex(r"/[a-z0-9_+-]{2,10}( [a-z0-9]{1,5}){0,2}", fullmatch=True))
def test_commands_pass_for_send_and_put(command: str) -> None:
    assert failures({**JS, "js_param": command}) == {}
    assert failures({**JS, "js_method": "PUT", "js_param": command}) == {}


@given(st.text(alphabet="abc !?", min_size=1, max_size=10))
def test_text_without_a_command_fails_for_send(text: str) -> None:
    assert "command" in failures({**JS, "js_param": text})["js_param"]


@given(st.sampled_from(["ALL", "USER", "CHAT", "BOT", "LINES", "CALL"]), st.booleans())
def test_contexts(context: str, admin: bool) -> None:
    assert failures({**JS, "context": context + ("-admin" if admin else "")}) == {}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"iframe": "https://e.com"}, "iframe"),
        ({"js_method": None, "js_param": None}, "iframe"),
        ({"js_method": None}, "js_method"),
        ({"hash": "x" * 32}, "hash"),
        ({"context": "all"}, "context"),
        ({"translations": []}, "translations"),
        ({"translations": [{"language_id": "EN", "title": "x"}]}, "translations"),
        ({"code": ""}, "code"),
        ({"bot_id": "seven"}, "bot_id"),
        ({"hidden": "yes"}, "hidden"),
    ],
)
def test_each_rule_names_its_field(change: dict[str, Any], field: str) -> None:
    assert field in failures({k: v for k, v in {**JS, **change}.items() if v is not None})


def test_frame_without_hash_fails() -> None:
    assert "required for IFRAME" in failures({k: v for k, v in FRAME.items() if k != "hash"})["hash"]


def test_unknown_values_pass_through_untouched() -> None:
    unknown = Unknown()
    result = PROVIDER.check({}, {**JS, "bot_id": unknown})
    assert result.failures == [] and result.inputs["bot_id"] is unknown
    assert PROVIDER.check({}, {**FRAME, "iframe": UNKNOWN, "hash": UNKNOWN}).failures == []
    assert PROVIDER.check({}, {**JS, "translations": [{"language_id": "en", "title": UNKNOWN}]}).failures == []


@pytest.mark.parametrize(
    ("settings", "rule"),
    [
        (Settings(), "no Bitrix24 portal configured"),
        (Settings(webhook_url="http://portal.example/rest/1/code/", client_id="c"), "https://"),
        (Settings(webhook_url="https://portal.example/rest/1/code/"), "bitrix24:clientId"),
    ],
)
def test_unusable_portal_settings_fail_the_check(settings: Settings, rule: str) -> None:
    provider = ChatAppProvider()
    provider._settings = settings
    reasons = {f.property: f.reason for f in provider.check({}, JS).failures}
    assert rule in reasons[""]


# --- diff ----------------------------------------------------------------------------------------
def diff(old: dict[str, Any], new: dict[str, Any]) -> tuple[bool | None, list[str], bool | None]:
    olds = {**checked(old), "app_id": 5, "__provider": "old-pickle"}
    result = PROVIDER.diff("5", olds, {**checked(new), "__provider": "new-pickle"})
    return result.changes, sorted(result.replaces or []), result.delete_before_replace


@pytest.mark.parametrize(
    ("old", "change", "expected"),
    [
        (JS, {}, (False, [], False)),
        (JS, {"js_param": "/other"}, (True, [], False)),
        (JS, {"context": "USER"}, (True, [], False)),
        (JS, {"translations": [{"language_id": "de", "title": "Hilfe"}]}, (True, [], False)),
        (FRAME, {"iframe_width": 400}, (True, [], False)),
        (FRAME, {"hash": "y" * 32}, (True, [], False)),
        (JS, {"code": "other"}, (True, ["code"], False)),
        (JS, {"bot_id": 8.0}, (True, ["bot_id"], False)),
        (JS, {"hidden": True}, (True, ["hidden"], True)),
        (
            JS,
            {"js_method": None, "js_param": None, "iframe": "https://e.com", "hash": "x" * 32},
            (True, ["iframe", "js_method"], True),
        ),
    ],
)
def test_diff_decisions(old: dict[str, Any], change: dict[str, Any], expected: tuple[bool, list[str], bool]) -> None:
    new = {k: v for k, v in {**old, **change}.items() if v is not None}
    assert diff(old, new) == expected


def test_unknown_bot_id_is_a_replacement() -> None:
    olds = {**checked(JS), "app_id": 5}
    result = PROVIDER.diff("5", olds, {**checked(JS), "bot_id": Unknown()})
    assert result.changes and result.replaces == ["bot_id"]
