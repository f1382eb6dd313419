"""Transport failures that sending again cannot fix fail at once, with real backoff, saying what to do."""

from __future__ import annotations

import time
from typing import Any

import pytest
import urllib3

from pulumi_bitrix24 import _client
from pulumi_bitrix24._client import Client
from pulumi_bitrix24._config import Settings
from pulumi_bitrix24._errors import Bitrix24Error, CertificateError, HostNotFoundError
from pulumi_bitrix24.emulator import _server

from .conftest import Portal

FAST = 1.0
"""Well under the first retries: with the default 5 retries and real backoff a retried call takes seconds."""


@pytest.fixture(autouse=True)
def default_trust(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name)


def timed_failure(settings: Settings) -> tuple[Bitrix24Error, float]:
    client = Client(settings)
    started = time.monotonic()
    with pytest.raises(Bitrix24Error) as caught:
        client.call("imbot.bot.list", {})
    return caught.value, time.monotonic() - started


def test_an_untrusted_certificate_is_not_retried_and_names_the_ca_bundle(portal: Portal) -> None:
    info = portal.info
    error, seconds = timed_failure(Settings(webhook_url=info.webhook_url, client_id=info.client_id, plan="unlimited"))
    assert isinstance(error, CertificateError), error
    assert seconds < FAST, f"took {seconds:.2f} s"
    assert "CERTIFICATE_VERIFY_FAILED" in str(error) and "REQUESTS_CA_BUNDLE" in str(error)
    assert "ca_bundle path it prints" in str(error)


def test_an_unresolvable_host_is_not_retried_and_names_the_setting() -> None:
    settings = Settings(webhook_url="https://nonexistent.invalid/rest/1/code/", client_id="c", plan="unlimited")
    error, seconds = timed_failure(settings)
    assert isinstance(error, HostNotFoundError), error
    assert seconds < FAST, f"took {seconds:.2f} s"
    assert "Check the host in bitrix24:webhookUrl" in str(error)


def emulator_client(portal: Portal, monkeypatch: pytest.MonkeyPatch, **overrides: Any) -> Client:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", portal.info.ca_bundle)
    settings = {"webhook_url": portal.info.webhook_url, "client_id": portal.info.client_id, "plan": "unlimited"}
    return Client(Settings(**{**settings, **overrides}))


def test_a_method_out_of_operating_time_is_waited_for_until_its_reset(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """limits.md: a method over its operating time is refused (429) until `time.operating_reset_at`; the refusal
    itself has no time block, so the client waits until the reset the method's last answer named."""
    portal.post("_emulator/operating", json={"scale": 0.001})  # the 10-minute window passes in 0.6 s
    portal.post("_emulator/operating", json={"method": "imbot.bot.list", "seconds": 200})
    client = emulator_client(portal, monkeypatch, max_retries=0)
    started = time.monotonic()
    answers = [client.call("imbot.bot.list", {}) for _ in range(4)]  # the 4th is refused, then waits
    assert answers == [[]] * 4
    errors = [e["error"] for e in portal.session.get(portal.info.base_url + "_emulator/journal").json()]
    assert errors[:4] == [None, None, None, "OPERATION_TIME_LIMIT"] and errors[-1] is None
    assert len(errors) <= 6, errors  # waited for the reset, did not poll
    assert time.monotonic() - started < 2.0  # 0.6 s window: nowhere near the 30 s of a blind wait


def test_a_connection_idle_long_enough_for_the_server_to_close_it_is_not_reused(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server closes a keep-alive connection that stays idle (the emulator after HEAD_TIMEOUT; uvicorn's and
    Apache's defaults are 5 s). A request sent as it does so is closed unanswered although the server never read
    it, and the client cannot tell that from a lost answer. The race, made certain: the server closes idle
    connections after 0.3 s, the client pauses longer, and urllib3 is kept from noticing the close in time."""
    monkeypatch.setattr(_server, "HEAD_TIMEOUT", 0.3)
    monkeypatch.setattr(urllib3.connectionpool, "is_connection_dropped", lambda conn: False)
    monkeypatch.setattr(_client, "IDLE_REUSE_SECONDS", 0.2)
    client = emulator_client(portal, monkeypatch, max_retries=0)
    assert client.call("imbot.bot.list", {}, idempotent=False) == []
    time.sleep(0.5)
    assert client.call("imbot.bot.list", {}, idempotent=False) == []
    errors = [e["error"] for e in portal.session.get(portal.info.base_url + "_emulator/journal").json()]
    assert errors == [None, None]
