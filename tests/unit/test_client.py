"""The REST client against the in-process emulator: errors, retries, refresh, redaction, settings."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest

from pulumi_bitrix24 import _client
from pulumi_bitrix24._client import Client
from pulumi_bitrix24._config import Settings, SettingsError, load_settings
from pulumi_bitrix24._errors import (
    AuthError,
    ExpiredTokenError,
    NotFoundError,
    PortalMovedError,
    RateLimitError,
    ScopeError,
    TransportError,
)

from .conftest import Portal


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_client, "_backoff", lambda state: 0.0)


@pytest.fixture
def trust(portal: Portal, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", portal.info.ca_bundle)
    yield


def webhook_client(portal: Portal, **overrides: Any) -> Client:
    settings = {"webhook_url": portal.info.webhook_url, "client_id": portal.info.client_id, "plan": "unlimited"}
    return Client(Settings(**{**settings, **overrides}))


def fault(portal: Portal, method: str, **spec: Any) -> None:
    portal.post("_emulator/faults", json={"method": method, **spec})


def journal(portal: Portal) -> list[str | None]:
    entries = portal.session.get(portal.info.base_url + "_emulator/journal", verify=portal.info.ca_bundle).json()
    return [e["error"] for e in entries]


def test_call_returns_the_result(portal: Portal, trust: None) -> None:
    client = webhook_client(portal)
    bot = client.call("imbot.register", {"CODE": "c", "EVENT_HANDLER": "https://e.com", "PROPERTIES": {"NAME": "n"}})
    assert str(bot) in client.call("imbot.bot.list", {})


def test_errors_are_typed_and_say_what_to_do(portal: Portal, trust: None) -> None:
    client = webhook_client(portal)
    with pytest.raises(NotFoundError, match="CHAT_APP_ID_ERROR"):
        client.call("imbot.app.unregister", {"APP_ID": 12345})
    hook = portal.post("_emulator/webhooks", json={"scopes": ["im"]}).json()["webhook_url"]
    with pytest.raises(ScopeError, match="imbot"):
        webhook_client(portal, webhook_url=hook).call("imbot.bot.list", {})


def test_bad_webhook_code_is_redacted(portal: Portal, trust: None) -> None:
    bad = portal.info.webhook_url.rsplit("/", 2)[0] + "/secretcode42/"
    with pytest.raises(AuthError) as caught:
        webhook_client(portal, webhook_url=bad).call("imbot.bot.list", {})
    assert "NO_AUTH_FOUND" in str(caught.value) and "secretcode42" not in str(caught.value)


def test_unreachable_portal_error_hides_the_webhook_code(trust: None) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = Client(Settings(webhook_url=f"https://127.0.0.1:{port}/rest/1/hiddencode/", client_id="c", max_retries=1))
    with pytest.raises(TransportError) as caught:
        client.call("imbot.bot.list", {})
    assert "hiddencode" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_transient_errors_are_retried_within_bounds(portal: Portal, trust: None) -> None:
    fault(portal, "imbot.bot.list", count=2, error="QUERY_LIMIT_EXCEEDED", status=503)
    assert webhook_client(portal).call("imbot.bot.list", {}) == []
    fault(portal, "imbot.bot.list", count=10, error="INTERNAL_SERVER_ERROR", status=500)
    with pytest.raises(Exception, match="INTERNAL_SERVER_ERROR"):
        webhook_client(portal, max_retries=2).call("imbot.bot.list", {})
    assert journal(portal) == ["QUERY_LIMIT_EXCEEDED"] * 2 + [None] + ["INTERNAL_SERVER_ERROR"] * 3


def test_lost_answers_are_retried_only_for_idempotent_calls(portal: Portal, trust: None) -> None:
    client = webhook_client(portal)
    fault(portal, "imbot.bot.list", count=1, drop=True)
    assert client.call("imbot.bot.list", {}) == []
    fault(portal, "imbot.bot.list", count=1, drop=True)
    with pytest.raises(TransportError):
        client.call("imbot.bot.list", {}, idempotent=False)
    assert journal(portal) == ["dropped", None, "dropped"]


def test_rate_limit_refusals_are_waited_out_beyond_max_retries(portal: Portal, trust: None) -> None:
    fault(portal, "imbot.bot.list", count=5, error="QUERY_LIMIT_EXCEEDED", status=503)
    assert webhook_client(portal, max_retries=1).call("imbot.bot.list", {}) == []
    assert journal(portal) == ["QUERY_LIMIT_EXCEEDED"] * 5 + [None]


def test_refusals_do_not_use_up_the_retries_of_other_failures(portal: Portal, trust: None) -> None:
    """A long wait for the rate limit, then one lost answer: still within maxRetries, which counts failures only."""
    fault(portal, "imbot.bot.list", count=8, error="QUERY_LIMIT_EXCEEDED", status=503)
    fault(portal, "imbot.bot.list", count=1, drop=True)
    assert webhook_client(portal, max_retries=1).call("imbot.bot.list", {}) == []
    assert journal(portal) == ["QUERY_LIMIT_EXCEEDED"] * 8 + ["dropped", None]


def test_time_spent_waiting_out_refusals_does_not_count_against_the_retry_time() -> None:
    stop = _client._stop(max_retries=5)
    refused = _client.error_for("imbot.bot.list", "QUERY_LIMIT_EXCEEDED", "")
    lost = TransportError("imbot.bot.list", "TRANSPORT_ERROR", "RemoteDisconnected")
    attempts = [(refused, 100.0), (refused, 250.0), (lost, 251.0), (lost, 260.0)]
    decisions = [stop(retry_state(exc, seconds)) for exc, seconds in attempts]
    assert decisions == [False, False, False, False]  # 151 s of the 260 went to waiting for the rate limit
    assert stop(retry_state(lost, 251.0 + _client.MAX_RETRY_SECONDS)) is True


def retry_state(exc: BaseException, seconds: float) -> Any:
    """What tenacity hands a stop condition after an attempt failed with `exc`, `seconds` after the first began."""
    outcome = Future()
    outcome.set_exception(exc)
    return SimpleNamespace(outcome=outcome, seconds_since_start=seconds)


def test_rate_limit_error_after_the_wait_runs_out(portal: Portal, trust: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_client, "LIMIT_WAIT_SECONDS", 0.0)
    fault(portal, "imbot.bot.list", count=5, error="QUERY_LIMIT_EXCEEDED", status=503)
    with pytest.raises(RateLimitError, match="bitrix24:plan"):
        webhook_client(portal, max_retries=1).call("imbot.bot.list", {})


@pytest.mark.parametrize(("name", "key"), [(None, "bitrix24:webhookUrl"), ("acme", "bitrix24:portals.acme.webhookUrl")])
def test_a_moved_portal_is_named_with_its_new_address_and_the_key_to_change(
    portal: Portal, trust: None, name: str | None, key: str
) -> None:
    portal.post("_emulator/move", json={"to": "https://Renamed.example.com/"})
    with pytest.raises(PortalMovedError) as caught:
        webhook_client(portal, name=name).call("imbot.bot.list", {})
    message = str(caught.value)
    assert "failed with PORTAL_MOVED (it now answers at https://renamed.example.com/)" in message
    assert f"Put the new address in {key} in place of the old one" in message
    code = portal.info.webhook_url.rstrip("/").rsplit("/", 1)[1]
    assert code not in message and portal.info.client_id not in message
    assert journal(portal) == ["moved"], "a redirect is not followed, nor retried"


def test_a_moved_portal_in_oauth_mode_names_the_portal_url(portal: Portal, trust: None) -> None:
    client = refreshing_client(portal)
    portal.post("_emulator/move", json={"to": "https://renamed.example.com"})
    with pytest.raises(PortalMovedError, match=r"Set bitrix24:portalUrl to the new address") as caught:
        client.call("imbot.bot.list", {})
    assert "https://renamed.example.com/" in str(caught.value)


def refreshing_client(portal: Portal) -> Client:
    """A client of a new OAuth app on the emulator, with everything it needs to refresh its token."""
    app = portal.post("_emulator/oauth", json={"lifetime": 3600}).json()
    settings = Settings(
        portal_url=portal.info.base_url,
        access_token=app["access_token"],
        refresh_token=app["refresh_token"],
        oauth_client_id=app["client_id"],
        oauth_client_secret=app["client_secret"],
        oauth_server_url=portal.info.base_url,
        plan="unlimited",
    )
    return Client(settings)


def test_expired_token_is_refreshed_once_and_rotation_is_kept(portal: Portal, trust: None) -> None:
    client = refreshing_client(portal)
    for _ in range(2):  # the second refresh only works with the rotated refresh token
        portal.post("_emulator/expire-tokens")
        assert client.call("imbot.bot.list", {}) == []
    other = portal.post("_emulator/oauth", json={"lifetime": 3600}).json()
    portal.post("_emulator/expire-tokens")
    without_refresh = Client(Settings(portal_url=portal.info.base_url, access_token=other["access_token"]))
    with pytest.raises(ExpiredTokenError) as caught:
        without_refresh.call("imbot.bot.list", {})
    assert other["access_token"] not in str(caught.value)


def test_calls_that_meet_one_expired_token_refresh_it_once(portal: Portal, trust: None) -> None:
    client = refreshing_client(portal)
    portal.post("_emulator/expire-tokens")
    refreshes: list[str] = []
    send = client._session.get

    def counted(url: str, **kwargs: Any) -> Any:
        refreshes.append(url)
        return send(url, **kwargs)

    client._session.get = counted  # type: ignore[method-assign]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: client.call("imbot.bot.list", {}), range(4)))
    assert results == [[]] * 4
    assert len(refreshes) == 1  # a second refresh would send a refresh token the portal already used up


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (Settings(), "no Bitrix24 portal configured"),
        (Settings(webhook_url="http://x/rest/1/c/", client_id="c"), "https://"),
        (Settings(webhook_url="https://x/rest/1/c/"), "clientId"),
        (Settings(portal_url="https://x"), "accessToken"),
        (Settings(webhook_url="https://x/rest/1/c/", client_id="c", plan="gold"), "plan"),
    ],
)
def test_settings_that_cannot_work_are_refused(settings: Settings, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Client(settings)


def test_settings_come_from_config_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BITRIX24_CLIENT_ID", "from-env")
    monkeypatch.setenv("BITRIX24_PLAN", "enterprise")
    config = {"bitrix24:webhookUrl": "https://p/rest/1/c/", "bitrix24:plan": "unlimited", "bitrix24:maxRetries": "3"}
    settings = load_settings(config)
    assert (settings.webhook_url, settings.client_id, settings.plan, settings.max_retries) == (
        "https://p/rest/1/c/",
        "from-env",
        "unlimited",
        3,
    )
    assert settings.secrets == ("c", "from-env")


def test_an_unreachable_portal_says_nothing_was_sent(trust: None) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = Client(Settings(webhook_url=f"https://127.0.0.1:{port}/rest/1/hiddencode/", client_id="c", max_retries=0))
    with pytest.raises(TransportError) as caught:
        client.call("imbot.bot.list", {})
    message = str(caught.value)
    assert message.startswith("Bitrix24 imbot.bot.list failed: the portal could not be reached, so nothing was sent")
    assert "Connection refused" in message


def test_a_lost_answer_says_the_portal_may_have_done_the_work(portal: Portal, trust: None) -> None:
    fault(portal, "imbot.bot.list", count=1, drop=True)
    with pytest.raises(TransportError) as caught:
        webhook_client(portal).call("imbot.bot.list", {}, idempotent=False)
    message = str(caught.value)
    assert message.startswith("Bitrix24 imbot.bot.list failed: the request was sent, but the connection broke")
    assert "may have carried it out" in message and "could not be reached" not in message


def test_a_batch_answer_without_a_calls_result_counts_as_a_lost_answer(
    portal: Portal, trust: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = webhook_client(portal)
    monkeypatch.setattr(client, "_post", lambda method, params: {"result": {"0": 1}, "result_error": []})
    results, errors = client._post_batch({"0": "imbot.bot.list?", "1": "imbot.command.register?BOT_ID=1"})
    assert results == {"0": 1}
    assert isinstance(errors["1"], TransportError) and errors["1"].method == "imbot.command.register"
    assert "may have carried it out" in str(errors["1"])
