"""The token store, refreshes shared through it across processes, and the pulumi-bitrix24-tokens command."""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import stat
import time
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest

from pulumi_bitrix24 import _tokens, tokens
from pulumi_bitrix24._client import Client
from pulumi_bitrix24._config import Settings, SettingsError
from pulumi_bitrix24._tokens import Tokens, TokenStore, TokenStoreError, app_key, portal_key
from pulumi_bitrix24.emulator import _store

from .conftest import Portal

PORTAL = "https://acme.bitrix24.com/"
OAUTH = "https://oauth.bitrix.info/"
APP, OTHER_APP = "local.0123456789abcd.11111111", "local.fedcba98765432.22222222"


@pytest.fixture
def trust(portal: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", portal.info.ca_bundle)


def new_app(portal: Portal) -> dict[str, Any]:
    return dict(portal.post("_emulator/oauth", json={"lifetime": 3600}).json())


def token_grants(portal: Portal) -> list[tuple[str, str | None]]:
    entries = portal.session.get(portal.info.base_url + "_emulator/journal", verify=portal.info.ca_bundle).json()
    return [(e["grant_type"], e["error"]) for e in entries if e["method"] == "oauth/token"]


def store_settings(portal: Portal, app: dict[str, Any], path: Path, **overrides: Any) -> Settings:
    values = {
        "portal_url": portal.info.base_url,
        "oauth_client_id": app["client_id"],
        "oauth_client_secret": app["client_secret"],
        "oauth_server_url": portal.info.base_url,
        "token_store": str(path),
        "plan": "unlimited",
    }
    return Settings(**{**values, **overrides})


def seeded(portal: Portal, app: dict[str, Any], path: Path) -> None:
    TokenStore(path).save(portal.info.base_url, app["client_id"], Tokens(app["access_token"], app["refresh_token"]))


# --- the store ---------------------------------------------------------------------------------
def test_round_trip_keeps_one_entry_per_portal_and_app(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "tokens.json")
    assert store.get(PORTAL, APP) is None  # no file yet
    store.save(PORTAL, APP, Tokens("a1", "r1", 1234.0))
    store.save("https://other.bitrix24.com", APP, Tokens("a2", "r2", None))
    store.save(PORTAL, OTHER_APP, Tokens("b1", "s1", None))  # a second app of the same portal
    store.save("HTTPS://ACME.bitrix24.com:443/rest/", APP, Tokens("a3", "r3", 99.5))  # the same portal, typed otherwise
    assert store.get(PORTAL, APP) == Tokens("a3", "r3", 99.5)
    assert store.get(PORTAL, OTHER_APP) == Tokens("b1", "s1", None)
    assert TokenStore(tmp_path / "tokens.json").get("https://other.bitrix24.com/", APP) == Tokens("a2", "r2", None)
    assert store.get("https://other.bitrix24.com/", OTHER_APP) is None
    text = (tmp_path / "tokens.json").read_text()
    assert json.loads(text)["portals"] == {
        "https://acme.bitrix24.com/": {"apps": {app_key(APP): ANY, app_key(OTHER_APP): ANY}},
        "https://other.bitrix24.com/": {"apps": {app_key(APP): ANY}},
    }
    assert APP not in text and OTHER_APP not in text  # client ids are secrets: the store keys apps by fingerprint


def test_a_store_written_before_apps_had_entries_keeps_working(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({"version": 1, "portals": {PORTAL: {"access_token": "a0", "refresh_token": "r0"}}}))
    path.chmod(0o600)
    store = TokenStore(path)
    assert store.get(PORTAL, APP) == store.get(PORTAL, OTHER_APP) == Tokens("a0", "r0")  # whichever app it was
    assert store.missing(PORTAL, APP) is None and store.others(PORTAL, APP) == []
    store.save(PORTAL, OTHER_APP, Tokens("b1", "s1"))  # another app installed after the upgrade
    assert store.get(PORTAL, APP) == Tokens("a0", "r0")  # still there for the app that had it
    with store.locked():
        store.put(PORTAL, APP, Tokens("a1", "r1"), spent="r0")  # that app refreshed: r0 is spent, its entry is its own
    assert json.loads(path.read_text())["portals"][PORTAL]["apps"].keys() == {app_key(APP), app_key(OTHER_APP)}
    assert (store.get(PORTAL, APP), store.get(PORTAL, OTHER_APP)) == (Tokens("a1", "r1"), Tokens("b1", "s1"))


def test_a_store_holding_another_apps_tokens_says_so(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    TokenStore(path).save(PORTAL, OTHER_APP, Tokens("b", "s"))
    keys = {"oauth_client_id": APP, "oauth_client_secret": "secret"}
    with pytest.raises(SettingsError) as caught:
        Settings(portal_url=PORTAL, token_store=str(path), **keys).validate()
    assert str(caught.value) == (
        f"the token store {path} (bitrix24:tokenStore) has no tokens of this OAuth app (app {app_key(APP)}) for "
        f"{PORTAL}, only those of another OAuth app (app {app_key(OTHER_APP)}) and bitrix24:accessToken is not set: "
        'run pulumi-bitrix24-tokens to store this app\'s first tokens (README, "OAuth and the token store")'
    )
    assert APP not in str(caught.value) and OTHER_APP not in str(caught.value)


def test_portal_key_normalizes() -> None:
    assert portal_key("acme.bitrix24.com") == PORTAL
    assert portal_key("https://127.0.0.1:8443") == "https://127.0.0.1:8443/"
    assert portal_key("https://Acme.bitrix24.com/rest/1/code/") == PORTAL
    assert portal_key("https://127.0.0.1:8443/acme/rest/") == "https://127.0.0.1:8443/acme/"
    assert portal_key("https://127.0.0.1:8443/acme") == "https://127.0.0.1:8443/acme/"


def test_store_is_private_and_a_readable_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    TokenStore(path).save(PORTAL, APP, Tokens("a", "r"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)
    with pytest.raises(TokenStoreError, match=r"can be read by other users \(mode 644\).*chmod 600"):
        TokenStore(path).get(PORTAL, APP)
    assert "chmod 600" in TokenStore(path).problems()[0]


def test_a_write_that_fails_midway_leaves_the_old_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "tokens.json"
    store = TokenStore(path)
    store.save(PORTAL, APP, Tokens("old", "old-refresh"))
    before = path.read_bytes()

    def crash(document: Any, file: Any, **kwargs: Any) -> None:
        file.write('{"version": 1, "portals": {"https://acme')  # part of a document
        raise RuntimeError("power cut")

    monkeypatch.setattr(_tokens.json, "dump", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        store.save(PORTAL, APP, Tokens("new", "new-refresh"))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tokens.json", "tokens.json.lock"]  # no temp file left


def test_a_broken_store_is_named_not_parsed(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text("[]")
    path.chmod(0o600)
    assert "is not a token store" in TokenStore(path).problems()[0]
    assert "does not exist" in TokenStore(tmp_path / "missing" / "tokens.json").problems()[0]


# --- settings ------------------------------------------------------------------------------------
def test_validation_names_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    with pytest.raises(SettingsError) as caught:
        Settings(portal_url=PORTAL, token_store=str(path)).validate()
    problems = " | ".join(caught.value.problems)
    assert "bitrix24:oauthClientId and bitrix24:oauthClientSecret" in problems
    assert f"has no tokens for {PORTAL} and bitrix24:accessToken is not set: run pulumi-bitrix24-tokens" in problems
    keys = {"oauth_client_id": APP, "oauth_client_secret": "secret"}
    Settings(portal_url=PORTAL, token_store=str(path), access_token="seed", **keys).validate()  # a seed will do
    TokenStore(path).save(PORTAL, APP, Tokens("a", "r"))
    Settings(portal_url=PORTAL, token_store=str(path), **keys).validate()  # so will a stored entry
    with pytest.raises(SettingsError, match="a webhook needs no tokens"):
        Settings(webhook_url="https://x.bitrix24.com/rest/1/abc/", client_id="c", token_store=str(path)).validate()
    with pytest.raises(SettingsError, match=r"bitrix24:accessToken .* is required with portalUrl, unless"):
        Settings(portal_url=PORTAL).validate()


# --- the client ----------------------------------------------------------------------------------
def test_stored_tokens_win_over_config_seeds_and_are_redacted(portal: Portal, trust: None, tmp_path: Path) -> None:
    app = new_app(portal)
    path = tmp_path / "tokens.json"
    seeded(portal, app, path)
    client = Client(store_settings(portal, app, path, access_token="stale-seed", refresh_token="stale-refresh"))
    assert client.call("imbot.bot.list", {}) == []
    assert client._redact(f"a {app['access_token']} and {app['refresh_token']}") == "a *** and ***"


def test_a_refresh_is_stored_and_the_next_client_uses_it(portal: Portal, trust: None, tmp_path: Path) -> None:
    app = new_app(portal)
    path = tmp_path / "tokens.json"
    seeded(portal, app, path)
    portal.post("_emulator/expire-tokens")
    assert Client(store_settings(portal, app, path)).call("imbot.bot.list", {}) == []
    rotated = TokenStore(path).get(portal.info.base_url, app["client_id"])
    assert rotated is not None and rotated.refresh_token != app["refresh_token"] and rotated.fresh()
    portal.post("_emulator/expire-tokens")  # the next run: only the stored (rotated) refresh token works
    assert Client(store_settings(portal, app, path, plan="enterprise")).call("imbot.bot.list", {}) == []
    assert token_grants(portal) == [("refresh_token", None), ("refresh_token", None)]


def test_a_refresh_moves_a_version_1_entry_to_its_app(portal: Portal, trust: None, tmp_path: Path) -> None:
    app, other = new_app(portal), new_app(portal)
    path = tmp_path / "tokens.json"
    legacy = {"access_token": app["access_token"], "refresh_token": app["refresh_token"], "expires": None}
    path.write_text(json.dumps({"version": 1, "portals": {portal.info.base_url: legacy}}))
    path.chmod(0o600)
    seeded(portal, other, path)  # another app installed after the upgrade
    portal.post("_emulator/expire-tokens")
    assert Client(store_settings(portal, app, path)).call("imbot.bot.list", {}) == []
    apps = json.loads(path.read_text())["portals"][portal.info.base_url]["apps"]
    assert apps.keys() == {app_key(app["client_id"]), app_key(other["client_id"])}  # the spent entry is gone
    assert Client(store_settings(portal, other, path)).call("imbot.bot.list", {}) == []
    assert token_grants(portal) == [("refresh_token", None)] * 2


def _refresh_in_another_process(settings: Settings, barrier: Any, results: Any) -> None:
    """One run: meet the expired token at the same moment as the other, then call through whatever it takes."""
    client = Client(settings)
    barrier.wait()
    try:
        results.put(client.call("imbot.bot.list", {}))
    except Exception as exc:
        results.put(repr(exc))


def test_two_processes_meeting_one_expired_token_refresh_it_once(portal: Portal, trust: None, tmp_path: Path) -> None:
    app = new_app(portal)
    path = tmp_path / "tokens.json"
    seeded(portal, app, path)
    portal.post("_emulator/expire-tokens")
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    runs = [
        context.Process(target=_refresh_in_another_process, args=(store_settings(portal, app, path), barrier, results))
        for _ in range(2)
    ]
    for run in runs:
        run.start()
    outcomes = [results.get(timeout=60) for _ in runs]
    for run in runs:
        run.join(timeout=60)
    assert outcomes == [[], []]
    assert token_grants(portal) == [("refresh_token", None)]  # a second refresh would meet a used-up token
    stored = TokenStore(path).get(portal.info.base_url, app["client_id"])
    assert stored is not None and stored.access_token != app["access_token"]


# --- the command ---------------------------------------------------------------------------------
INSTALL_AUTH = {
    "access_token": "install-access-0123456789",
    "expires_in": "3600",
    "refresh_token": "install-refresh-0123456789",
    "domain": "acme.bitrix24.com",
    "client_endpoint": "https://acme.bitrix24.com/rest/",
    "member_id": "a223c6b3710f85df22e9377d6c4f7553",
    "server_endpoint": "https://oauth.bitrix.info/rest/",
}
INSTALL_FORM = "event=ONAPPINSTALL&data[VERSION]=1&" + "&".join(f"auth[{k}]={v}" for k, v in INSTALL_AUTH.items())


@pytest.mark.parametrize(
    "body",
    [INSTALL_FORM, json.dumps({"event": "ONAPPINSTALL", "auth": INSTALL_AUTH})],
    ids=["form", "json"],
)
def test_install_data_is_parsed(body: str) -> None:
    portal, stored = tokens.tokens_from_install(tokens.install_auth(body), None)
    assert portal == PORTAL
    assert (stored.access_token, stored.refresh_token) == (INSTALL_AUTH["access_token"], INSTALL_AUTH["refresh_token"])
    assert stored.expires is not None and stored.fresh()


def run_command(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    real = tokens.sys.stderr
    tokens.sys.stderr = err
    try:
        code = tokens.main(list(argv), stdin=io.StringIO(stdin), stdout=out)
    finally:
        tokens.sys.stderr = real
    return code, out.getvalue(), err.getvalue()


def test_install_command_stores_the_tokens_and_prints_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, data = tmp_path / "tokens.json", tmp_path / "install.txt"
    data.write_text(INSTALL_FORM)
    code, out, err = run_command("--store", str(path), "install", str(data), stdin=APP + "\n")  # client_id on stdin
    assert (code, err) == (0, "")
    stored = TokenStore(path).get(PORTAL, APP)
    assert stored is not None and stored.expires is not None
    assert (stored.access_token, stored.refresh_token) == (INSTALL_AUTH["access_token"], INSTALL_AUTH["refresh_token"])
    assert stored.expires == pytest.approx(time.time() + 3600, abs=60)
    assert f"Stored the tokens of OAuth app {app_key(APP)} for {PORTAL} in {path}" in out
    assert f"pulumi config set --plaintext bitrix24:tokenStore {path}" in out and "bitrix24:portalUrl " + PORTAL in out
    assert "oauthServerUrl" not in out  # the install data names Bitrix24 cloud's OAuth server, the default
    for secret in (INSTALL_AUTH["access_token"], INSTALL_AUTH["refresh_token"], APP):
        assert secret not in out
    code, _, err = run_command("--store", str(path), "install", stdin=INSTALL_FORM)
    assert (code, err) == (
        1,
        "pulumi-bitrix24-tokens: error: the install data comes on stdin, so set BITRIX24_OAUTH_CLIENT_ID to the "
        "app's client_id (the store keeps one entry per app), or give the install data as a file\n",
    )
    monkeypatch.setenv("BITRIX24_OAUTH_CLIENT_ID", APP)
    code, _, err = run_command(
        "--store", str(path), "--portal", "https://other.bitrix24.com/", "install", stdin=INSTALL_FORM
    )
    assert code == 1 and "is for https://acme.bitrix24.com/, not for --portal https://other.bitrix24.com/" in err
    code, _, err = run_command("--store", str(path), "install", stdin="auth[access_token]=only-this-one-1234")
    assert code == 1 and "no auth[refresh_token]" in err and "only-this-one-1234" not in err


def test_installing_a_second_app_keeps_the_first_apps_tokens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "tokens.json"
    TokenStore(path).save(PORTAL, APP, Tokens("first-app-access-token", "first-app-refresh-token"))
    monkeypatch.setenv("BITRIX24_OAUTH_CLIENT_ID", OTHER_APP)
    code, out, err = run_command("--store", str(path), "install", stdin=INSTALL_FORM)
    assert (code, err) == (0, "")
    assert TokenStore(path).get(PORTAL, APP) == Tokens("first-app-access-token", "first-app-refresh-token")
    second = TokenStore(path).get(PORTAL, OTHER_APP)
    assert second is not None and second.access_token == INSTALL_AUTH["access_token"]
    assert f"Stored the tokens of OAuth app {app_key(OTHER_APP)} for {PORTAL}" in out
    assert f"The store keeps the tokens of the other apps of {PORTAL} as they were: {app_key(APP)}." in out
    assert APP not in out and OTHER_APP not in out


SERVER = "https://127.0.0.1:18443/"
OPTIONS = ("--store", "{path}", "--portal", PORTAL, "--oauth-server", SERVER)


@pytest.mark.parametrize(
    "argv",
    [
        (*OPTIONS, "install", "{data}"),
        ("install", "{data}", *OPTIONS),
        ("--store", "{path}", "install", "{data}", "--portal", PORTAL, "--oauth-server", SERVER),
        ("--oauth-server", "https://ignored.example.com/", "install", "{data}", *OPTIONS),  # the later one wins
    ],
    ids=["before", "after", "mixed", "both"],
)
def test_options_go_before_or_after_the_mode_word(argv: tuple[str, ...], tmp_path: Path) -> None:
    path, data = tmp_path / "tokens.json", tmp_path / "install.txt"
    data.write_text(INSTALL_FORM)
    code, out, err = run_command(*(a.format(path=path, data=data) for a in argv), stdin=APP + "\n")
    assert (code, err) == (0, "")
    assert TokenStore(path).get(PORTAL, APP) is not None
    assert f"  pulumi config set bitrix24:oauthServerUrl {SERVER}\n" in out  # not the default: a line of its own


def test_the_oauth_server_line_follows_the_install_data(tmp_path: Path) -> None:
    path, data = tmp_path / "tokens.json", tmp_path / "install.txt"
    data.write_text(INSTALL_FORM + "&auth[server_endpoint]=https://oauth.example.com/rest/")
    code, out, _ = run_command("install", str(data), "--store", str(path), stdin=APP + "\n")
    assert code == 0 and "  pulumi config set bitrix24:oauthServerUrl https://oauth.example.com/\n" in out
    code, out, _ = run_command("install", str(data), "--store", str(path), "--oauth-server", OAUTH, stdin=APP)
    assert code == 0 and "oauthServerUrl" not in out  # the default needs no line


def test_a_spent_refresh_token_says_where_it_comes_from() -> None:
    message = _tokens.GrantError("oauth refresh", "invalid_grant", "Invalid refresh_token").message()
    assert "the refresh token was already used, and each one works only once" in message
    assert "A store restored from an older copy (a CI cache, a backup" in message
    assert "Keep the store in one persistent place that every run writes back to" in message
    code = _tokens.GrantError("oauth code exchange", "invalid_grant", "Invalid code").message()
    assert "an authorization code for 30 s" in code and "older copy" not in code


def test_code_command_exchanges_a_code_once(
    portal: Portal, trust: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = new_app(portal)
    code = portal.post("_emulator/oauth-code", json={"client_id": app["client_id"]}).json()["code"]
    monkeypatch.setenv("BITRIX24_OAUTH_CLIENT_ID", app["client_id"])
    monkeypatch.setenv("BITRIX24_OAUTH_CLIENT_SECRET", app["client_secret"])
    path, base = tmp_path / "tokens.json", portal.info.base_url
    argv = ("--store", str(path), "--portal", base, "code", "--oauth-server", base)
    status, out, err = run_command("--oauth-server", base, *argv[:-2], stdin=code + "\n")  # the server first
    assert (status, err) == (0, "")
    assert f"  pulumi config set bitrix24:oauthServerUrl {base}\n" in out
    stored = TokenStore(path).get(base, app["client_id"])
    assert stored is not None and stored.refresh_token
    assert Client(store_settings(portal, app, path)).call("imbot.bot.list", {}) == []
    again, _, err = run_command(*argv, stdin=code + "\n")  # a code works once
    assert again == 1 and "invalid_grant" in err and "pulumi-bitrix24-tokens" in err
    assert token_grants(portal) == [("authorization_code", None), ("authorization_code", "invalid_grant")]
    for secret in (code, app["client_id"], app["client_secret"], stored.access_token, stored.refresh_token):
        assert secret not in out + err


def test_codes_expire_after_30_seconds(portal: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    app = new_app(portal)
    code = portal.post("_emulator/oauth-code", json={"client_id": app["client_id"]}).json()["code"]
    started = _store.time.time()

    class Later:
        @staticmethod
        def time() -> float:
            return started + 31

    monkeypatch.setattr(_store, "time", Later)
    query = {"grant_type": "authorization_code", "client_id": app["client_id"], "client_secret": app["client_secret"]}
    answer = portal.session.get(
        portal.info.base_url + "oauth/token/", params={**query, "code": code}, verify=portal.info.ca_bundle
    )
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_grant")


def test_the_command_refuses_a_store_others_can_read(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    TokenStore(path).save(PORTAL, APP, Tokens("a", "r"))
    os.chmod(path, 0o640)
    code, _, err = run_command("--store", str(path), "install", stdin=INSTALL_FORM)
    assert code == 1 and "chmod 600" in err
