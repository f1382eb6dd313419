"""The emulator against the documented REST behaviour: methods, errors, encodings, limits, persistence, concurrency."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from pulumi_bitrix24.emulator import Emulator
from pulumi_bitrix24.emulator._params import parse_query

from .conftest import FakeClock, Portal

LANG = [{"LANGUAGE_ID": "EN", "TITLE": "Echo"}]
HASH = "h" * 40


def png() -> str:
    buffer = io.BytesIO()
    Image.new("RGBA", (108, 66)).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def js_app(portal: Portal, bot_id: int, code: str = "js", **extra: Any) -> int:
    return int(
        portal.result(
            "imbot.app.register", BOT_ID=bot_id, CODE=code, JS_METHOD="SEND", JS_PARAM="/help", LANG=LANG, **extra
        )
    )


def app_state(portal: Portal, app_id: int) -> dict[str, Any]:
    return next(app for app in portal.state()["apps"] if app["ID"] == app_id)


# --- parameters ----------------------------------------------------------------------------------
def test_bracket_notation_becomes_nested_lists_and_maps() -> None:
    parsed = parse_query("APP_ID=5&FIELDS[LANG][0][TITLE]=A&FIELDS[LANG][1][TITLE]=B&FIELDS[IFRAME]=x&select[]=ID")
    assert parsed == {
        "APP_ID": "5",
        "FIELDS": {"LANG": [{"TITLE": "A"}, {"TITLE": "B"}], "IFRAME": "x"},
        "select": ["ID"],
    }


def test_form_and_query_string_bodies(portal: Portal) -> None:
    bot = portal.bot()
    form = (
        f"CLIENT_ID={portal.info.client_id}&BOT_ID={bot}&CODE=f&JS_METHOD=PUT&JS_PARAM=/cmd"
        "&LANG[0][LANGUAGE_ID]=en&LANG[0][TITLE]=Form"
    )
    response = portal.post(
        portal.info.webhook_url.split("/", 3)[3] + "imbot.app.register.json",
        data=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    app_id = response.json()["result"]
    assert app_state(portal, app_id)["LANG"] == [
        {"LANGUAGE_ID": "en", "TITLE": "Form", "DESCRIPTION": "", "COPYRIGHT": ""}
    ]
    query = portal.session.get(f"{portal.info.webhook_url}imbot.bot.list?x=1", verify=portal.info.ca_bundle)
    assert str(bot) in query.json()["result"]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"{not json", "application/json"), (b"[1, 2]", "application/json"), (b"\xff\xfe", "application/json")],
)
def test_malformed_bodies_get_the_error_envelope(portal: Portal, body: bytes, content_type: str) -> None:
    response = portal.post(
        portal.info.webhook_url.split("/", 3)[3] + "imbot.bot.list", data=body, headers={"Content-Type": content_type}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "INVALID_REQUEST"


def test_huge_body_is_refused_with_an_envelope(portal: Portal) -> None:
    response = portal.post(portal.info.webhook_url.split("/", 3)[3] + "imbot.bot.list", data=b"x" * (6 * 2**20))
    assert response.status_code == 413
    assert response.json()["error"] == "INVALID_REQUEST"


def test_envelope_has_time_block(portal: Portal) -> None:
    _, envelope = portal.call("imbot.bot.list")
    assert {"start", "finish", "duration", "processing", "date_start", "date_finish", "operating_reset_at"} <= set(
        envelope["time"]
    )


def test_unknown_method(portal: Portal) -> None:
    assert portal.error("imbot.nothing") == (404, "ERROR_METHOD_NOT_FOUND")


# --- auth ----------------------------------------------------------------------------------------
def test_bad_webhook_code(portal: Portal) -> None:
    url = portal.info.webhook_url.rsplit("/", 2)[0] + "/badcode/imbot.bot.list"
    response = portal.session.post(url, verify=portal.info.ca_bundle)
    assert (response.status_code, response.json()["error"]) == (401, "NO_AUTH_FOUND")


def test_webhook_without_imbot_scope(portal: Portal) -> None:
    hook = portal.post("_emulator/webhooks", json={"scopes": ["im"]}).json()["webhook_url"]
    response = portal.session.post(hook + "imbot.bot.list", verify=portal.info.ca_bundle)
    assert (response.status_code, response.json()["error"]) == (403, "insufficient_scope")


def test_webhook_imbot_calls_need_client_id(portal: Portal) -> None:
    response = portal.session.post(
        portal.info.webhook_url + "imbot.register", json={"CODE": "x"}, verify=portal.info.ca_bundle
    )
    assert (response.status_code, response.json()["error"]) == (403, "ACCESS_DENIED")


def test_oauth_token_expiry_and_refresh_rotation(portal: Portal) -> None:
    app = portal.post("_emulator/oauth", json={"lifetime": 3600}).json()
    rest = portal.info.base_url + "rest/imbot.bot.list"
    ok = portal.session.post(rest, json={"auth": app["access_token"]}, verify=portal.info.ca_bundle)
    assert ok.status_code == 200
    portal.post("_emulator/expire-tokens")
    expired = portal.session.post(rest, json={"auth": app["access_token"]}, verify=portal.info.ca_bundle)
    assert (expired.status_code, expired.json()["error"]) == (401, "expired_token")
    query = {
        "grant_type": "refresh_token",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "refresh_token": app["refresh_token"],
    }
    fresh = portal.session.get(portal.info.base_url + "oauth/token/", params=query, verify=portal.info.ca_bundle).json()
    assert fresh["refresh_token"] != app["refresh_token"] and fresh["expires_in"] == 3600
    again = portal.session.get(portal.info.base_url + "oauth/token/", params=query, verify=portal.info.ca_bundle)
    assert again.json()["error"] == "invalid_grant"
    bad = portal.session.post(rest, json={"auth": "nope"}, verify=portal.info.ca_bundle)
    assert bad.json()["error"] == "NO_AUTH_FOUND"
    ok = portal.session.post(rest, json={"auth": fresh["access_token"]}, verify=portal.info.ca_bundle)
    assert ok.status_code == 200


# --- bots ----------------------------------------------------------------------------------------
def test_bot_register_update_unregister(portal: Portal) -> None:
    bot = portal.bot("echo")
    assert portal.bot("echo") == bot  # a repeated register returns the existing bot
    assert portal.result("imbot.update", BOT_ID=bot, FIELDS={"PROPERTIES": {"NAME": "Renamed"}}) is True
    assert portal.result("imbot.bot.list")[str(bot)]["NAME"] == "Renamed"
    assert portal.result("imbot.unregister", BOT_ID=bot) is True
    assert portal.error("imbot.unregister", BOT_ID=bot) == (400, "BOT_ID_ERROR")


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "CODE_ERROR"),
        ({"CODE": "b"}, "EVENT_MESSAGE_ADD_ERROR"),
        ({"CODE": "b", "EVENT_HANDLER": "not a url"}, "EVENT_MESSAGE_ADD_ERROR"),
        ({"CODE": "b", "EVENT_HANDLER": "https://e.com/h"}, "NAME_ERROR"),
    ],
)
def test_bot_register_errors(portal: Portal, params: dict[str, Any], code: str) -> None:
    assert portal.error("imbot.register", **params) == (400, code)


def test_bot_limits_and_ownership(portal: Portal) -> None:
    bots = [portal.bot(f"b{i}") for i in range(5)]
    assert portal.error("imbot.register", CODE="b6", EVENT_HANDLER="https://e.com/h", PROPERTIES={"NAME": "x"}) == (
        400,
        "MAX_COUNT_ERROR",
    )
    assert portal.error("imbot.update", client_id="other", BOT_ID=bots[0], FIELDS={"CODE": "x"}) == (
        400,
        "APP_ID_ERROR",
    )
    assert portal.error("imbot.update", BOT_ID=bots[0], FIELDS={}) == (400, "WRONG_REQUEST")


def test_deleting_a_bot_deletes_its_apps_and_commands(portal: Portal) -> None:
    bot = portal.bot()
    app = js_app(portal, bot)
    command = portal.result(
        "imbot.command.register",
        BOT_ID=bot,
        COMMAND="help",
        EVENT_COMMAND_ADD="https://e.com/c",
        LANG=[{"LANGUAGE_ID": "en", "TITLE": "Help"}],
    )
    portal.result("imbot.unregister", BOT_ID=bot)
    assert portal.error("imbot.app.unregister", APP_ID=app) == (400, "CHAT_APP_ID_ERROR")
    assert portal.error("imbot.command.unregister", COMMAND_ID=command) == (400, "COMMAND_ID_ERROR")


# --- chat apps -----------------------------------------------------------------------------------
def test_app_register_stores_clamped_and_normalised_fields(portal: Portal) -> None:
    bot = portal.bot()
    app = portal.result(
        "imbot.app.register",
        BOT_ID=bot,
        CODE="f",
        IFRAME="https://e.com/f",
        IFRAME_WIDTH=100,
        IFRAME_HEIGHT=10,
        HASH=HASH,
        CONTEXT="BOT-admin",
        ICON_FILE=png(),
        HIDDEN="yes",
        LANG=LANG,
    )
    stored = app_state(portal, app)
    assert (stored["IFRAME_WIDTH"], stored["IFRAME_HEIGHT"], stored["CONTEXT"]) == (250, 50, "bot-admin")
    assert stored["HASH"] == portal_mask(HASH[:32]) and stored["HIDDEN"] == "N" and stored["ICON_FILE"]


def portal_mask(value: str) -> str:
    from pulumi_bitrix24.emulator._portal import mask

    return mask(value)


def test_repeated_register_returns_existing_app_unchanged(portal: Portal) -> None:
    bot = portal.bot()
    first = js_app(portal, bot)
    second = portal.result("imbot.app.register", BOT_ID=bot, CODE="js", JS_METHOD="PUT", JS_PARAM="/other", LANG=LANG)
    assert second == first
    assert app_state(portal, first)["JS_PARAM"] == "/help"


def test_js_wins_over_iframe_and_keeps_the_matched_part(portal: Portal) -> None:
    bot = portal.bot()
    app = portal.result(
        "imbot.app.register",
        BOT_ID=bot,
        CODE="x",
        JS_METHOD="SEND",
        JS_PARAM="say /help now",
        IFRAME="https://e.com",
        HASH=HASH,
        LANG=LANG,
    )
    stored = app_state(portal, app)
    assert (stored["JS_PARAM"], stored["IFRAME"]) == ("/help now", "")


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"CODE": ""}, "CODE_ERROR"),
        ({"CODE": "c"}, "PARAMS_ERROR"),
        ({"CODE": "c", "JS_METHOD": "SEND", "JS_PARAM": "nocommand"}, "PARAMS_ERROR"),
        ({"CODE": "c", "IFRAME": "http://e.com"}, "IFRAME_HTTPS"),
        ({"CODE": "c", "IFRAME": "https://e.com"}, "HASH_ERROR"),
        ({"CODE": "c", "IFRAME": "https://e.com", "HASH": HASH, "LANG": []}, "LANG_ERROR"),
        ({"CODE": "c", "JS_METHOD": "SEND", "JS_PARAM": "/help", "BOT_ID": 999}, "BOT_ID_ERROR"),
    ],
)
def test_app_register_errors(portal: Portal, params: dict[str, Any], code: str) -> None:
    bot = portal.bot()
    assert portal.error("imbot.app.register", **{"BOT_ID": bot, **params}) == (400, code)


def test_app_update_and_unregister(portal: Portal) -> None:
    bot = portal.bot()
    app = js_app(portal, bot)
    assert portal.result(
        "imbot.app.update",
        APP_ID=app,
        FIELDS={"IFRAME": "https://e.com/f", "HASH": HASH, "LANG": [{"LANGUAGE_ID": "de", "TITLE": "D"}]},
    )
    stored = app_state(portal, app)
    assert (stored["IFRAME"], stored["JS_METHOD"], stored["LANG"][0]["LANGUAGE_ID"]) == ("https://e.com/f", "", "de")
    assert portal.error("imbot.app.update", APP_ID=app, FIELDS={"IFRAME": "ftp://x"}) == (400, "IFRAME_HTTPS")
    assert portal.error("imbot.app.update", client_id="other", APP_ID=app, FIELDS={}) == (400, "APP_ID_ERROR")
    assert portal.result("imbot.app.unregister", APP_ID=app) is True
    assert portal.error("imbot.app.update", APP_ID=app, FIELDS={}) == (400, "CHAT_APP_ID_ERROR")


def test_app_on_a_bot_of_another_app(portal: Portal) -> None:
    bot = portal.bot("theirs", client_id="other")
    assert portal.error("imbot.app.register", BOT_ID=bot, CODE="c", JS_METHOD="SEND", JS_PARAM="/help", LANG=LANG) == (
        400,
        "APP_ID_ERROR",
    )


# --- commands ------------------------------------------------------------------------------------
def test_command_lifecycle_and_errors(portal: Portal) -> None:
    bot = portal.bot()
    lang = [{"LANGUAGE_ID": "en", "TITLE": "Help", "PARAMS": "topic"}]
    assert portal.error("imbot.command.register", BOT_ID=bot, COMMAND="help", LANG=lang) == (
        400,
        "EVENT_COMMAND_ADD_ERROR",
    )
    assert portal.error(
        "imbot.command.register", BOT_ID=bot, COMMAND="he lp", EVENT_COMMAND_ADD="https://e.com", LANG=lang
    ) == (400, "COMMAND_ERROR")
    assert portal.error(
        "imbot.command.register", BOT_ID=bot, COMMAND="help", EVENT_COMMAND_ADD="https://e.com", LANG=[]
    ) == (400, "LANG_ERROR")
    command = portal.result(
        "imbot.command.register", BOT_ID=bot, COMMAND="help", EVENT_COMMAND_ADD="https://e.com", LANG=lang, COMMON="Y"
    )
    assert portal.result("imbot.command.update", COMMAND_ID=command, FIELDS={"HIDDEN": "Y"}) is True
    assert portal.error("imbot.command.update", COMMAND_ID=command, FIELDS={}) == (400, "WRONG_REQUEST")
    assert portal.result("imbot.command.unregister", COMMAND_ID=command) is True
    assert portal.error("imbot.command.update", COMMAND_ID=command, FIELDS={"HIDDEN": "N"}) == (400, "COMMAND_ID_ERROR")


# --- batch ---------------------------------------------------------------------------------------
def test_batch_runs_sub_calls_and_reports_errors(portal: Portal) -> None:
    bot = portal.bot()
    cid = portal.info.client_id
    result = portal.result(
        "batch",
        halt=0,
        cmd={
            "list": "imbot.bot.list",
            "bad": f"imbot.app.unregister?APP_ID=999&CLIENT_ID={cid}",
            "nested": "batch?cmd[0]=imbot.bot.list",
            "app": f"imbot.app.register?BOT_ID={bot}&CODE=b&JS_METHOD=SEND&JS_PARAM=/xy&LANG[0][LANGUAGE_ID]=en"
            f"&LANG[0][TITLE]=T&CLIENT_ID={cid}",
        },
    )
    assert set(result["result"]) == {"list", "app"}
    assert result["result_error"]["bad"]["error"] == "CHAT_APP_ID_ERROR"
    assert result["result_error"]["nested"]["error"] == "ERROR_BATCH_METHOD_NOT_ALLOWED"
    assert set(result["result_time"]) == {"list", "app"}  # only a call that succeeded has its time


def test_batch_halt_stops_at_the_first_error(portal: Portal) -> None:
    result = portal.result("batch", halt=1, cmd={"a": "imbot.nothing", "b": "imbot.bot.list"})
    assert set(result["result_error"]) == {"a"} and result["result"] == []


def test_a_batch_of_more_than_fifty_runs_fifty_and_refuses_the_rest_one_by_one(portal: Portal) -> None:
    cid = portal.info.client_id
    register = "imbot.register?EVENT_HANDLER=https://e.com/h&PROPERTIES[NAME]=n&CLIENT_ID=" + cid + "&CODE="
    cmd = {f"k{i}": "imbot.bot.list" for i in range(49)} | {"fiftieth": register + "in", "extra": register + "out"}
    cmd["last"] = "imbot.bot.list"
    status, envelope = portal.call("batch", cmd=cmd)
    assert status == 200, envelope
    result = envelope["result"]
    assert len(result["result"]) == 50 and "fiftieth" in result["result"]
    refused = {"error": "ERROR_BATCH_LENGTH_EXCEEDED", "error_description": "Max batch length exceeded"}
    assert result["result_error"] == {"extra": refused, "last": refused}
    assert [bot["CODE"] for bot in portal.state()["bots"]] == ["in"]


@pytest.mark.parametrize(
    ("halt", "halts"),
    [("1", True), ("Y", True), ("N", True), ("false", True), ("0.0", True), ("0", False), ("", False)],
)
def test_a_form_halt_is_read_with_php_truthiness(portal: Portal, halt: str, halts: bool) -> None:
    """rest_provider.php reads `isset($q['HALT']) && $q['HALT']`: only "" and "0" are false strings."""
    form = {"HALT": halt, "Cmd[a]": "imbot.nothing", "Cmd[b]": f"imbot.bot.list?CLIENT_ID={portal.info.client_id}"}
    response = portal.session.post(portal.info.webhook_url + "batch", data=form, verify=portal.info.ca_bundle)
    result = response.json()["result"]
    assert set(result["result_error"]) == {"a"}
    assert ("b" not in result["result"]) is halts


@pytest.mark.parametrize(("halt", "halts"), [(False, False), (0, False), (None, False), (True, True), ([0], True)])
def test_a_json_halt_is_read_with_php_truthiness(portal: Portal, halt: Any, halts: bool) -> None:
    result = portal.result("batch", halt=halt, cmd={"a": "imbot.nothing", "b": "imbot.bot.list"})
    assert ("b" not in result["result"]) is halts


# --- limits, faults, persistence, concurrency ------------------------------------------------------
def test_leaky_bucket_allows_a_burst_then_the_steady_rate(portal: Portal, clock: FakeClock) -> None:
    statuses = [portal.call("imbot.bot.list")[0] for _ in range(51)]
    assert statuses == [200] * 50 + [503]
    assert portal.error("imbot.bot.list") == (503, "QUERY_LIMIT_EXCEEDED")
    clock.advance(1.0)  # standard plan drains 2 per second
    assert [portal.call("imbot.bot.list")[0] for _ in range(3)] == [200, 200, 503]


def test_injected_faults(portal: Portal) -> None:
    portal.post(
        "_emulator/faults",
        json={"method": "imbot.bot.list", "count": 2, "error": "INTERNAL_SERVER_ERROR", "status": 500},
    )
    assert [portal.call("imbot.bot.list")[0] for _ in range(3)] == [500, 500, 200]
    portal.post("_emulator/faults", json={"method": "imbot.bot.list", "drop": True})
    with pytest.raises(Exception, match=r"Connection aborted|RemoteDisconnected"):
        portal.call("imbot.bot.list")
    journal = portal.session.get(portal.info.base_url + "_emulator/journal", verify=portal.info.ca_bundle).json()
    assert [e["error"] for e in journal][-4:] == ["INTERNAL_SERVER_ERROR", "INTERNAL_SERVER_ERROR", None, "dropped"]
    assert all(e["params"].get("CLIENT_ID", "sha256:").startswith("sha256:") for e in journal)


def test_state_webhook_and_client_id_survive_a_restart(tmp_path: Path) -> None:
    emulator = Emulator(tmp_path)
    with emulator as info:
        bot = Portal(emulator).bot()
    ca = Path(info.ca_bundle).read_bytes()
    restarted = Emulator(tmp_path)
    with restarted as again:
        assert (again.webhook_url.split("/")[-2], again.client_id) == (info.webhook_url.split("/")[-2], info.client_id)
        assert str(bot) in Portal(restarted).result("imbot.bot.list")
    assert Path(again.ca_bundle).read_bytes() == ca


def test_concurrent_requests_stay_consistent(tmp_path: Path) -> None:
    emulator = Emulator(tmp_path, plan="unlimited")
    with emulator:
        portal = Portal(emulator)
        bot = portal.bot()
        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(lambda i: js_app(portal, bot, code=f"c{i % 10}"), range(80)))
        assert len(set(ids)) == 10  # same (bot, code) always answers the same app
        assert len(portal.state()["apps"]) == 10


def test_bad_control_requests_get_an_envelope(portal: Portal) -> None:
    response = portal.post("_emulator/faults", data=b"{oops", headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()["error"]) == (400, "INVALID_REQUEST")
    response = portal.post("_emulator/faults", json={"count": "many"})
    assert (response.status_code, response.json()["error"]) == (400, "INVALID_REQUEST")


def test_controls_refuse_callers_off_this_machine(tmp_path: Path) -> None:
    from pulumi_bitrix24.emulator._app import build_app

    emulator = Emulator(tmp_path)
    app = build_app(emulator.portal)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    for client, status in ((("10.1.2.3", 5000), 403), (("127.0.0.1", 5000), 200)):
        sent.clear()
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/_emulator/state",
            "headers": [],
            "query_string": b"",
            "client": client,
            "server": ("127.0.0.1", 1),
            "scheme": "https",
            "root_path": "",
        }
        asyncio.run(app(scope, receive, send))
        assert sent[0]["status"] == status
    emulator.stop()


def test_cli_prints_its_json_line_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "pulumi_bitrix24.emulator", "--data", str(tmp_path), "--plan", "enterprise"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        assert set(info) == {"base_url", "webhook_url", "client_id", "ca_bundle"}
        response = requests.post(
            info["webhook_url"] + "imbot.bot.list",
            verify=info["ca_bundle"],
            timeout=10,
            json={"CLIENT_ID": info["client_id"]},
        )
        assert response.json()["result"] == []
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        proc.kill()


# --- imbot.v2 reads --------------------------------------------------------------------------------
def v2(portal: Portal, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
    """Call an imbot.v2 method over the webhook, authenticated by botToken as v2 expects."""
    response = portal.session.post(
        f"{portal.info.webhook_url}{method}", json=params, verify=portal.info.ca_bundle, timeout=10
    )
    return response.status_code, response.json()


def test_v2_bot_get_shows_v1_bots_with_the_owner_format(portal: Portal) -> None:
    bot_id = portal.bot("echo")
    portal.result("imbot.update", BOT_ID=bot_id, FIELDS={"PROPERTIES": {"NAME": "Echo", "COLOR": "RED"}})
    status, mine = v2(portal, "imbot.v2.Bot.get", code="echo", botToken=portal.info.client_id)
    assert status == 200
    assert mine["result"]["bot"]["id"] == bot_id and mine["result"]["bot"]["moduleId"] == "rest"
    user = mine["result"]["users"][0]
    assert (user["firstName"], user["color"]) == ("Echo", "#df532d")
    _, theirs = v2(portal, "imbot.v2.Bot.get", botId=bot_id, botToken="someone-else")
    assert "moduleId" not in theirs["result"]["bot"]  # brief format for another application
    _, deprecated = v2(portal, "imbot.v2.Bot.get", botId=bot_id, CLIENT_ID=portal.info.client_id)
    assert "moduleId" in deprecated["result"]["bot"]


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"code": "echo"}, "BOT_TOKEN_NOT_SPECIFIED"),
        ({"botToken": "t"}, "PARAMS_REQUIRED"),
        ({"botToken": "t", "code": "nobody"}, "BOT_NOT_FOUND"),
        ({"botToken": "t", "botId": 99999}, "BOT_NOT_FOUND"),
    ],
)
def test_v2_bot_get_errors(portal: Portal, params: dict[str, Any], error: str) -> None:
    portal.bot("echo")
    status, envelope = v2(portal, "imbot.v2.Bot.get", **params)
    assert status == 400 and envelope["error"] == error


def test_v2_bot_list_pages_through_the_callers_bots_only(portal: Portal) -> None:
    mine = [portal.bot(f"b{i}") for i in range(3)]
    portal.bot("theirs", client_id="someone-else")
    _, first = v2(portal, "imbot.v2.Bot.list", botToken=portal.info.client_id, limit=2)
    _, second = v2(portal, "imbot.v2.Bot.list", botToken=portal.info.client_id, limit=2, offset=2)
    assert [b["id"] for b in first["result"]["bots"]] == mine[:2] and first["result"]["hasNextPage"]
    assert [b["id"] for b in second["result"]["bots"]] == mine[2:] and not second["result"]["hasNextPage"]


def test_v2_command_list_needs_the_bot_owner(portal: Portal) -> None:
    bot_id = portal.bot("echo")
    command_id = portal.result(
        "imbot.command.register",
        BOT_ID=bot_id,
        COMMAND="help",
        EVENT_COMMAND_ADD="https://example.com/c",
        LANG=[{"LANGUAGE_ID": "de", "TITLE": "Hilfe"}, {"LANGUAGE_ID": "en", "TITLE": "Help", "PARAMS": "x"}],
    )
    _, listed = v2(portal, "imbot.v2.Command.list", botId=bot_id, botToken=portal.info.client_id)
    [command] = listed["result"]["commands"]
    assert (command["id"], command["command"], command["title"], command["params"]) == (
        command_id,
        "/help",
        "Help",
        "x",
    )
    status, other = v2(portal, "imbot.v2.Command.list", botId=bot_id, botToken="someone-else")
    assert (status, other["error"]) == (403, "BOT_OWNERSHIP_ERROR")
    _, missing = v2(portal, "imbot.v2.Command.list", botToken=portal.info.client_id)
    assert missing["error"] == "BOT_ID_REQUIRED"


def test_faults_after_the_work_change_the_portal_then_fail(portal: Portal) -> None:
    bot_id = portal.bot("echo")
    portal.post(
        "_emulator/faults",
        json={"method": "imbot.command.register", "error": "INTERNAL_SERVER_ERROR", "status": 500, "after": True},
    )
    portal.post("_emulator/faults", json={"method": "imbot.command.register", "garble": True, "after": True})
    params = {
        "BOT_ID": bot_id,
        "COMMAND": "help",
        "EVENT_COMMAND_ADD": "https://example.com/c",
        "LANG": [{"LANGUAGE_ID": "en", "TITLE": "Help"}],
    }
    status, envelope = portal.call("imbot.command.register", **params)
    assert (status, envelope["error"]) == (500, "INTERNAL_SERVER_ERROR")
    response = portal.session.post(
        f"{portal.info.webhook_url}imbot.command.register",
        json={"CLIENT_ID": portal.info.client_id, **params},
        verify=portal.info.ca_bundle,
        timeout=10,
    )
    assert response.status_code == 200 and not response.text.startswith("{")
    assert len(portal.state()["commands"]) == 2


def test_batch_resolves_references_to_earlier_results(portal: Portal) -> None:
    bot_id = portal.bot("echo")
    cid = portal.info.client_id
    lang = "LANG[0][LANGUAGE_ID]=en&LANG[0][TITLE]=A"
    result = portal.result(
        "batch",
        halt=0,
        cmd={
            "reg": f"imbot.app.register?CLIENT_ID={cid}&BOT_ID={bot_id}&CODE=a&JS_METHOD=SEND&JS_PARAM=/help&{lang}",
            "upd": f"imbot.app.update?CLIENT_ID={cid}&APP_ID=$result[reg]&FIELDS[JS_METHOD]=SEND"
            "&FIELDS[JS_PARAM]=/info",
            "bad": f"imbot.app.update?CLIENT_ID={cid}&APP_ID=$result[missing]&FIELDS[JS_PARAM]=/x",
            "text": f"imbot.command.register?CLIENT_ID={cid}&BOT_ID={bot_id}&COMMAND=c$result[reg]"
            "&EVENT_COMMAND_ADD=https://e.com/c&LANG[0][LANGUAGE_ID]=en&LANG[0][TITLE]=C",
        },
    )
    app_id = result["result"]["reg"]
    assert result["result"]["upd"] is True
    assert result["result_error"]["bad"]["error"] == "CHAT_APP_ID_ERROR"  # the path stops at a missing key
    [app] = portal.state()["apps"]
    assert (app["ID"], app["JS_PARAM"]) == (app_id, "/info")
    [command] = portal.state()["commands"]
    assert command["COMMAND"] == f"c{app_id}"  # a reference inside a value is replaced by its text


def test_batch_sub_calls_take_injected_faults(portal: Portal) -> None:
    bot_id = portal.bot("echo")
    portal.post(
        "_emulator/faults",
        json={"method": "imbot.command.register", "error": "INTERNAL_SERVER_ERROR", "status": 500, "after": True},
    )
    cid = portal.info.client_id
    query = (
        f"CLIENT_ID={cid}&BOT_ID={bot_id}&EVENT_COMMAND_ADD=https://e.com/c"
        "&LANG[0][LANGUAGE_ID]=en&LANG[0][TITLE]=C&COMMAND="
    )
    result = portal.result(
        "batch", cmd={"a": f"imbot.command.register?{query}a", "b": f"imbot.command.register?{query}b"}
    )
    assert result["result_error"]["a"]["error"] == "INTERNAL_SERVER_ERROR" and "b" in result["result"]
    assert sorted(c["COMMAND"] for c in portal.state()["commands"]) == ["a", "b"]  # "a" did its work first


def test_a_stalled_call_in_a_batch_delays_the_answer_but_every_call_runs(portal: Portal) -> None:
    portal.post("_emulator/faults", json={"method": "imbot.bot.list", "count": 1, "stall": 0.2})
    client = portal.info.client_id
    answer = portal.result(
        "batch", cmd={"a": f"imbot.bot.list?CLIENT_ID={client}", "b": f"imbot.bot.list?CLIENT_ID={client}"}
    )
    assert set(answer["result"]) == {"a", "b"} and not answer["result_error"]
