"""Calls sent together with references between them: a call that failed inside the batch and was sent again is
followed by its dependents with the value it returned, never by their stale answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pulumi_bitrix24 import _client
from pulumi_bitrix24._batching import Ref, SubCall
from pulumi_bitrix24._client import Client
from pulumi_bitrix24._config import Settings

from .conftest import Portal


@pytest.fixture
def client(portal: Portal, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    monkeypatch.setattr(_client, "_backoff", lambda state: 0.0)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", portal.info.ca_bundle)
    yield Client(Settings(webhook_url=portal.info.webhook_url, client_id=portal.info.client_id, plan="unlimited"))


def fault(portal: Portal, method: str, **spec: Any) -> None:
    portal.post("_emulator/faults", json={"method": method, **spec})


def app_calls(bot_id: int) -> list[SubCall]:
    lang = [{"LANGUAGE_ID": "en", "TITLE": "App"}]
    return [
        SubCall(
            "imbot.app.register", {"BOT_ID": bot_id, "CODE": "app", "JS_METHOD": "PUT", "JS_PARAM": "/aa", "LANG": lang}
        ),
        SubCall(
            "imbot.app.update", {"APP_ID": Ref(0), "FIELDS": {"JS_METHOD": "SEND", "JS_PARAM": "/bb", "LANG": lang}}
        ),
    ]


@pytest.mark.parametrize(("error", "status"), [("OPERATION_TIME_LIMIT", 503), ("INTERNAL_SERVER_ERROR", 500)])
def test_a_retried_register_is_followed_by_its_update_with_the_new_id(
    portal: Portal, client: Client, error: str, status: int
) -> None:
    bot_id = portal.bot()
    fault(portal, "imbot.app.register", count=1, error=error, status=status)
    app_id, updated = client.call_group(app_calls(bot_id))
    [app] = portal.state()["apps"]
    assert (int(app_id), updated) == (app["ID"], True)
    assert (app["JS_METHOD"], app["JS_PARAM"]) == ("SEND", "/bb")


def test_a_call_that_succeeded_beside_a_failed_one_is_not_sent_again(portal: Portal, client: Client) -> None:
    first, second = portal.bot("one"), portal.bot("two")
    fault(portal, "imbot.command.register", count=1, error="INTERNAL_SERVER_ERROR", status=500)
    calls = [
        SubCall(
            "imbot.command.register",
            {
                "BOT_ID": bot,
                "COMMAND": "x",
                "EVENT_COMMAND_ADD": "https://e.com/c",
                "LANG": [{"LANGUAGE_ID": "en", "TITLE": "X"}],
            },
        )
        for bot in (first, second)
    ]
    ids = client.call_group(calls)
    assert len(set(ids)) == 2 and len(portal.state()["commands"]) == 2
