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

import pytest

from pulumi_bitrix24 import _tokens, tokens
from pulumi_bitrix24._client import Client
from pulumi_bitrix24._config import Settings, SettingsError
from pulumi_bitrix24._tokens import Tokens, TokenStore, TokenStoreError, portal_key
from pulumi_bitrix24.emulator import _store

from .conftest import Portal

PORTAL = "https://acme.bitrix24.com/"


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
    TokenStore(path).save(portal.info.base_url, Tokens(app["access_token"], app["refresh_token"], None))


# --- the store ---------------------------------------------------------------------------------
def test_round_trip_keeps_one_entry_per_portal(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "tokens.json")
    assert store.get(PORTAL) is None  # no file yet
    store.save(PORTAL, Tokens("a1", "r1", 1234.0))
    store.save("https://other.bitrix24.com", Tokens("a2", "r2", None))
    store.save("HTTPS://ACME.bitrix24.com:443/rest/", Tokens("a3", "r3", 99.5))  # the same portal, typed otherwise
    assert store.get(PORTAL) == Tokens("a3", "r3", 99.5)
    assert TokenStore(tmp_path / "tokens.json").get("https://other.bitrix24.com/") == Tokens("a2", "r2", None)
    assert sorted(json.loads((tmp_path / "tokens.json").read_text())["portals"]) == [
        "https://acme.bitrix24.com/",
        "https://other.bitrix24.com/",
    ]


def test_portal_key_normalizes() -> None:
    assert portal_key("acme.bitrix24.com") == PORTAL
    assert portal_key("https://127.0.0.1:8443") == "https://127.0.0.1:8443/"
    assert portal_key("https://Acme.bitrix24.com/rest/1/code/") == PORTAL
    assert portal_key("https://127.0.0.1:8443/acme/rest/") == "https://127.0.0.1:8443/acme/"
    assert portal_key("https://127.0.0.1:8443/acme") == "https://127.0.0.1:8443/acme/"


def test_store_is_private_and_a_readable_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    TokenStore(path).save(PORTAL, Tokens("a", "r"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)
    with pytest.raises(TokenStoreError, match=r"can be read by other users \(mode 644\).*chmod 600"):
        TokenStore(path).get(PORTAL)
    assert "chmod 600" in TokenStore(path).problems()[0]


def test_a_write_that_fails_midway_leaves_the_old_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "tokens.json"
    store = TokenStore(path)
    store.save(PORTAL, Tokens("old", "old-refresh"))
    before = path.read_bytes()

    def crash(document: Any, file: Any, **kwargs: Any) -> None:
        file.write('{"version": 1, "portals": {"https://acme')  # part of a document
        raise RuntimeError("power cut")

    monkeypatch.setattr(_tokens.json, "dump", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        store.save(PORTAL, Tokens("new", "new-refresh"))
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
    keys = {"oauth_client_id": "id", "oauth_client_secret": "secret"}
    Settings(portal_url=PORTAL, token_store=str(path), access_token="seed", **keys).validate()  # a seed will do
    TokenStore(path).save(PORTAL, Tokens("a", "r"))
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
    rotated = TokenStore(path).get(portal.info.base_url)
    assert rotated is not None and rotated.refresh_token != app["refresh_token"] and rotated.fresh()
    portal.post("_emulator/expire-tokens")  # the next run: only the stored (rotated) refresh token works
    assert Client(store_settings(portal, app, path, plan="enterprise")).call("imbot.bot.list", {}) == []
    assert token_grants(portal) == [("refresh_token", None), ("refresh_token", None)]


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
    stored = TokenStore(path).get(portal.info.base_url)
    assert stored is not None and stored.access_token != app["access_token"]


# --- the command ---------------------------------------------------------------------------------
INSTALL_AUTH = {
    "access_token": "install-access-0123456789",
    "expires_in": "3600",
    "refresh_token": "install-refresh-0123456789",
    "domain": "acme.bitrix24.com",
    "client_endpoint": "https://acme.bitrix24.com/rest/",
    "member_id": "a223c6b3710f85df22e9377d6c4f7553",
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


def test_install_command_stores_the_tokens_and_prints_no_secret(tmp_path: Path) -> None:
    path, data = tmp_path / "tokens.json", tmp_path / "install.txt"
    data.write_text(INSTALL_FORM)
    code, out, err = run_command("--store", str(path), "install", str(data))
    assert (code, err) == (0, "")
    stored = TokenStore(path).get(PORTAL)
    assert stored is not None and stored.expires is not None
    assert (stored.access_token, stored.refresh_token) == (INSTALL_AUTH["access_token"], INSTALL_AUTH["refresh_token"])
    assert stored.expires == pytest.approx(time.time() + 3600, abs=60)
    assert f"pulumi config set --plaintext bitrix24:tokenStore {path}" in out and "bitrix24:portalUrl " + PORTAL in out
    assert INSTALL_AUTH["access_token"] not in out and INSTALL_AUTH["refresh_token"] not in out
    code, _, err = run_command(
        "--store", str(path), "--portal", "https://other.bitrix24.com/", "install", stdin=INSTALL_FORM
    )
    assert code == 1 and "is for https://acme.bitrix24.com/, not for --portal https://other.bitrix24.com/" in err
    code, _, err = run_command("--store", str(path), "install", stdin="auth[access_token]=only-this-one-1234")
    assert code == 1 and "no auth[refresh_token]" in err and "only-this-one-1234" not in err


def test_code_command_exchanges_a_code_once(
    portal: Portal, trust: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = new_app(portal)
    code = portal.post("_emulator/oauth-code", json={"client_id": app["client_id"]}).json()["code"]
    monkeypatch.setenv("BITRIX24_OAUTH_CLIENT_ID", app["client_id"])
    monkeypatch.setenv("BITRIX24_OAUTH_CLIENT_SECRET", app["client_secret"])
    path, base = tmp_path / "tokens.json", portal.info.base_url
    argv = ("--store", str(path), "--portal", base, "code", "--oauth-server", base)
    status, out, err = run_command(*argv, stdin=code + "\n")
    assert (status, err) == (0, "")
    stored = TokenStore(path).get(base)
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
    TokenStore(path).save(PORTAL, Tokens("a", "r"))
    os.chmod(path, 0o640)
    code, _, err = run_command("--store", str(path), "install", stdin=INSTALL_FORM)
    assert code == 1 and "chmod 600" in err
