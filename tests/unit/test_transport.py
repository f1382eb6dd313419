"""Transport failures that sending again cannot fix fail at once, with real backoff, saying what to do."""

from __future__ import annotations

import time

import pytest

from pulumi_bitrix24._client import Client
from pulumi_bitrix24._config import Settings
from pulumi_bitrix24._errors import Bitrix24Error, CertificateError, HostNotFoundError

from .conftest import Portal

FAST = 1.0
"""Well under the first retries: with the default 5 retries and real backoff a retried call takes seconds."""


@pytest.fixture(autouse=True)
def default_trust(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)


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
