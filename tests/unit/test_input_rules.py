"""The shared input rules: the URL rule, whole numbers, file limits, type messages and normalized REST values."""

from __future__ import annotations

import base64
import builtins
import hashlib
import re
import string
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from pulumi_bitrix24._config import Settings
from pulumi_bitrix24._resource import UNREAD, FileLimit, file_base64, sent_files
from pulumi_bitrix24._rules import url_problem
from pulumi_bitrix24.bot import PHOTO_FILE_LIMIT, BotProvider
from pulumi_bitrix24.chat_app import ICON_LIMIT, ChatAppProvider

SETTINGS = Settings(webhook_url="https://portal.example/rest/1/code/", client_id="client")
APPS, BOTS = ChatAppProvider(), BotProvider()
APPS._settings = BOTS._settings = SETTINGS
FRAME: dict[str, Any] = {
    "bot_id": 7.0,
    "code": "frame",
    "iframe": "https://example.com/f",
    "hash": "x" * 32,
    "translations": [{"language_id": "en", "title": "Frame"}],
}

LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
HOST = st.lists(LABEL, min_size=1, max_size=4).map(".".join)
PATH = st.text(alphabet=string.ascii_letters + string.digits + "/-_.~%?=&", max_size=30)


def failures(provider: Any, props: dict[str, Any]) -> dict[str, str]:
    """Each failure's reason by the input it names; one inside a structure names it at the start of its reason."""
    return {
        f.property or re.split(r"[.\[:]", f.reason, maxsplit=1)[0]: f.reason for f in provider.check({}, props).failures
    }


# --- the URL rule --------------------------------------------------------------------------------
@given(HOST, st.none() | st.integers(1, 65535), PATH)
def test_clean_https_urls_pass(host: str, port: int | None, path: str) -> None:
    url = f"https://{host}{'' if port is None else f':{port}'}/{path}"
    assert url_problem(url) is None


@given(HOST, PATH, st.sampled_from(" \t\r\n\x00\x7f\x85\u00a0\u200b\u2028\ufeff"), st.integers(0, 100))
def test_whitespace_or_control_characters_anywhere_fail(host: str, path: str, bad: str, at: int) -> None:
    url = f"https://{host}/{path}"
    at = 8 + at % (len(url) - 7)  # anywhere after the scheme, the end included
    problem = url_problem(url[:at] + bad + url[at:])
    assert problem == f"has {bad!r} at position {at}"


@given(st.text(alphabet=string.ascii_letters + ":", min_size=1, max_size=12), HOST)
def test_user_info_fails(user: str, host: str) -> None:
    assert "user info" in str(url_problem(f"https://{user}@{host}/x"))


@given(st.text(max_size=60) | st.text(max_size=40).map(lambda tail: "https://" + tail))
def test_any_text_gets_an_answer_not_an_exception(value: str) -> None:
    problem = url_problem(value)
    assert problem is None or problem.startswith(("has ", "host ", "cannot be parsed"))


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://[::1/x", "cannot be parsed"),
        ("http://example.com/x", "has scheme 'http'"),
        ("example.com/x", "has scheme 'none'"),
        ("https:///x", "has no host"),
        ("https://:443/x", "has no host"),
        ("https://-bad-.example/x", "is not a valid host name"),
        ("https://a_b.example/x", "is not a valid host name"),
        ("https://example.com:99999/x", "has an invalid port"),
        ("https://example.com:port/x", "has an invalid port"),
    ],
)
def test_url_problems_are_named(url: str, problem: str) -> None:
    assert problem in str(url_problem(url))


@pytest.mark.parametrize("url", ["https://127.0.0.1:8443/", "https://[::1]/x", "https://bücher.example/"])
def test_ip_addresses_and_international_names_are_hosts(url: str) -> None:
    assert url_problem(url) is None


def test_every_url_argument_uses_the_rule() -> None:
    bad = "https://u:p@example.com/x"
    assert "user info" in failures(APPS, {**FRAME, "iframe": bad})["iframe"]
    bot = {"code": "b", "properties": {"name": "B"}, "event_handler": bad}
    assert "user info" in failures(BOTS, bot)["event_handler"]
    www = failures(BOTS, {**bot, "event_handler": "https://example.com/e", "properties": {"name": "B", "www": bad}})
    assert "user info" in www["properties"]


# --- types and None ------------------------------------------------------------------------------
@given(st.integers(250, 10_000))
def test_whole_numbers_arrive_as_floats_and_leave_as_ints(width: int) -> None:
    checked = APPS.check({}, {**FRAME, "iframe_width": float(width)}).inputs
    assert checked["iframe_width"] == width and type(checked["iframe_width"]) is int
    fields = APPS.fields(APPS.normalized({**checked, "iframe_width": float(width), "iframe_height": 250.0}))
    assert type(fields["IFRAME_WIDTH"]) is int and type(fields["IFRAME_HEIGHT"]) is int


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("iframe_width", 400.5, "must be a whole number, got the number 400.5"),
        ("iframe_width", "400", "must be a whole number, got the text '400'"),
        ("iframe_width", True, "must be a whole number, got the boolean True"),
        ("bot_id", "7", "must be a whole number, got the text '7'"),
        ("code", 5.0, "must be text, got the number 5"),
        ("hidden", "yes", "must be true or false, got the text 'yes'"),
        ("translations", "en", "must be a list, got the text 'en'"),
        ("context", "bot", 'must be ALL, USER, CHAT, BOT, LINES or CALL, each optionally with "-admin"'),
    ],
)
def test_wrong_types_name_the_field_and_the_rule(field: str, value: Any, reason: str) -> None:
    assert reason in failures(APPS, {**FRAME, field: value})[field]


@pytest.mark.parametrize("field", ["bot_id", "code", "translations"])
def test_none_where_a_value_is_required_fails(field: str) -> None:
    assert failures(APPS, {**FRAME, field: None})[field] == "is required"


# --- files ---------------------------------------------------------------------------------------
def sparse(path: Path, size: int) -> Path:
    with path.open("wb") as file:
        file.truncate(size)
    return path


def test_a_huge_file_is_refused_by_its_size_without_being_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    huge = sparse(tmp_path / "huge.png", 2**30)
    real_open = builtins.open

    def guarded_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        assert Path(file) != huge, "the huge file was opened"
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    started = time.perf_counter()
    encoded = file_base64(str(huge), ICON_LIMIT)
    assert time.perf_counter() - started < 0.1
    assert encoded is not None and encoded.startswith(UNREAD)
    reason = failures(APPS, {**FRAME, "icon_path": str(huge), "icon_base64": encoded})["icon_path"]
    assert reason.startswith("must be at most 1 MiB (a 108x66 PNG icon takes a few KB")
    assert reason.endswith("got 1 GiB; the file was not read")


def test_file_limits_bound_the_read(tmp_path: Path) -> None:
    limit = FileLimit(1000, "test")
    assert file_base64(str(sparse(tmp_path / "fits", 1000)), limit) == base64.b64encode(bytes(1000)).decode()
    assert file_base64(str(sparse(tmp_path / "over", 1001)), limit) == (
        f"{UNREAD}must be at most 1000 bytes (test), got 1001 bytes; the file was not read"
    )
    assert file_base64(str(tmp_path / "missing"), limit) == f"{UNREAD}file not found or not readable"
    assert file_base64(str(tmp_path), limit) == f"{UNREAD}is not a regular file"
    assert file_base64(5, limit) is None


def test_a_big_photo_names_the_property(tmp_path: Path) -> None:
    photo = sparse(tmp_path / "photo.jpg", 10 * 2**20 + 1)
    bot = {"code": "b", "event_handler": "https://example.com/e"}
    encoded = file_base64(str(photo), PHOTO_FILE_LIMIT)
    reason = failures(BOTS, {**bot, "properties": {"name": "B", "photo_path": str(photo), "photo_base64": encoded}})
    expected = "properties.photo_path: must be at most 10 MiB (the portal takes avatars up to"
    assert reason["properties"].startswith(expected)


def test_a_real_icon_still_passes(tmp_path: Path) -> None:
    Image.new("RGBA", (108, 66)).save(tmp_path / "icon.png")
    encoded = file_base64(str(tmp_path / "icon.png"), ICON_LIMIT)
    assert failures(APPS, {**FRAME, "icon_path": "icon.png", "icon_base64": encoded}) == {}


# --- what the portal stores: no control characters, numbers that fit its columns, short messages ----------
CONTROLS = st.sampled_from([chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0x85]])


@given(CONTROLS, st.sampled_from(["code", "hash", "translations.title", "translations.description"]))
def test_a_control_character_in_a_stored_text_is_refused_naming_the_field(char: str, field: str) -> None:
    app = dict(FRAME)
    if field.startswith("translations."):
        app["translations"] = [{"language_id": "en", "title": "App", field.split(".")[1]: f"a{char}b"}]
    else:
        app[field] = f"a{char}b".ljust(32, "x")
    reason = failures(APPS, app)[field.split(".")[0]]
    assert "must not contain control characters" in reason and f"{char!r} at position 1" in reason
    if field.startswith("translations."):
        assert reason.startswith(f"translations[0].{field.split('.')[1]}: ")


def test_tab_and_line_breaks_are_text() -> None:
    app = {**FRAME, "translations": [{"language_id": "en", "title": "App", "description": "one\r\ntwo\tthree"}]}
    assert failures(APPS, app) == {}


def test_bot_names_refuse_control_characters() -> None:
    bot = {"code": "echo", "event_handler": "https://example.com/h", "properties": {"name": "a\x00b"}}
    assert "must not contain control characters" in failures(BOTS, bot)["properties"]


@pytest.mark.parametrize("field", ["iframe_width", "iframe_height", "bot_id"])
def test_a_whole_number_must_fit_the_portals_column(field: str) -> None:
    assert failures(APPS, {**FRAME, field: float(2**63)})[field] == (
        "must be at most 2147483647 (the portal keeps it in a 32-bit column), got 9223372036854775808"
    )
    assert field not in failures(APPS, {**FRAME, field: float(2**31 - 1)})


def test_a_rule_on_a_whole_list_is_reported_with_its_name_not_on_the_value() -> None:
    """Pulumi prints the value of the property a failure names: 10,000 translations made a 761,787-character line."""
    translations = [{"language_id": "en", "title": "T"} for _ in range(10_000)]
    translations += [{"language_id": f"{a}{b}", "title": "T"} for a in "abcdefgh" for b in "xy"] * 2
    result = APPS.check({}, {**FRAME, "translations": translations})
    [failure] = result.failures
    assert failure.property == ""
    assert failure.reason == "translations: language_id must be unique, repeated: ax, ay, bx, by, cx and 12 more"


# --- files: the state keeps a digest, the portal gets the content -------------------------------------------
def icon(tmp_path: Path, colour: tuple[int, int, int, int] = (0, 0, 0, 0)) -> str:
    Image.new("RGBA", (108, 66), colour).save(tmp_path / "icon.png")
    encoded = file_base64(str(tmp_path / "icon.png"), ICON_LIMIT)
    assert encoded is not None
    return encoded


def test_the_state_keeps_a_digest_of_the_icon_and_the_portal_gets_the_file(tmp_path: Path) -> None:
    encoded = icon(tmp_path)
    checked = APPS.check({}, {**FRAME, "icon_path": "icon.png", "icon_base64": encoded}).inputs
    assert "icon_base64" not in checked
    assert checked["icon_sha256"] == hashlib.sha256(base64.b64decode(encoded)).hexdigest()
    assert APPS.fields(sent_files(APPS.normalized(checked)))["ICON_FILE"] == encoded


def test_a_new_icon_is_an_update_and_the_same_icon_no_change(tmp_path: Path) -> None:
    first = APPS.check({}, {**FRAME, "icon_path": "icon.png", "icon_base64": icon(tmp_path)}).inputs
    same = APPS.check(first, {**FRAME, "icon_path": "icon.png", "icon_base64": icon(tmp_path)}).inputs
    other = APPS.check(first, {**FRAME, "icon_path": "icon.png", "icon_base64": icon(tmp_path, (9, 9, 9, 255))}).inputs
    assert not APPS.diff("1", first, same).changes
    diff = APPS.diff("1", first, other)
    assert diff.changes and not diff.replaces


def test_a_state_written_with_the_icon_itself_shows_no_change(tmp_path: Path) -> None:
    """Stacks written before digests keep the file content in their state: the same file is no change."""
    encoded = icon(tmp_path)
    old_state = {**APPS.rule_failures({**FRAME, "icon_path": "icon.png", "icon_base64": encoded})[0], "app_id": 3}
    checked = APPS.check(old_state, {**FRAME, "icon_path": "icon.png", "icon_base64": encoded}).inputs
    assert not APPS.diff("3", old_state, checked).changes


def test_a_bot_photo_is_kept_as_a_digest_too(tmp_path: Path) -> None:
    encoded = icon(tmp_path)
    bot = {
        "code": "b",
        "event_handler": "https://e.com/h",
        "properties": {"name": "B", "photo_path": "p.png", "photo_base64": encoded},
    }
    checked = BOTS.check({}, bot).inputs
    assert set(checked["properties"]) == {"name", "photo_path", "photo_sha256"}
    assert BOTS.fields(sent_files(BOTS.normalized(checked)))["PROPERTIES"]["PERSONAL_PHOTO"] == encoded


@pytest.mark.parametrize(
    ("before", "now", "sent"),
    [
        ({}, {}, {}),  # imported or adopted: what nobody declared and nobody can see stays as it is
        ({"email": "a@e.com"}, {"email": "b@e.com"}, {"EMAIL": "b@e.com"}),
        ({"email": "a@e.com"}, {}, {"EMAIL": ""}),  # removed from the program: cleared
        ({}, {"www": "https://e.com"}, {"PERSONAL_WWW": "https://e.com"}),
    ],
    ids=["never-named", "changed", "removed", "added"],
)
def test_an_update_sends_the_unread_properties_that_a_declaration_named(
    before: dict[str, str], now: dict[str, str], sent: dict[str, str]
) -> None:
    def bot(extra: dict[str, str]) -> dict[str, Any]:
        return BOTS.normalized({"code": "b", "event_handler": "https://e.com/h", "properties": {"name": "B", **extra}})

    properties = BOTS.update_fields(bot(now), bot(before))["PROPERTIES"]
    assert {k: v for k, v in properties.items() if k in {"EMAIL", "PERSONAL_WWW", "PERSONAL_BIRTHDAY"}} == sent
    assert properties["NAME"] == "B" and properties["WORK_POSITION"] == ""  # readable ones: always the full set
