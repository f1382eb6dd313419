"""What the dynamic provider server reports for a failure: the message of an expected one, a traceback otherwise."""

from __future__ import annotations

import sys
import traceback
import types
from collections.abc import Callable

import pytest

from pulumi_bitrix24._config import SettingsError
from pulumi_bitrix24._diagnostics import SERVER_MODULE, MessageFirst, show_expected_failures_as_messages
from pulumi_bitrix24._errors import DuplicateError, ExistsError, error_for


def fake_server(name: str = SERVER_MODULE, wrapper: bool = True) -> types.ModuleType:
    """A `__main__` shaped like the SDK's server: its spec, its `traceback` global and its wrapper."""
    server = types.ModuleType("__main__")
    server.__spec__ = types.SimpleNamespace(name=name)  # type: ignore[assignment]
    vars(server)["traceback"] = traceback
    if wrapper:
        vars(server)["_abort_with_traceback"] = lambda fn: fn
    return server


def reported(server: types.ModuleType, failure: Exception) -> str:
    """What the server's wrapper would send for `failure`: `traceback.format_exc()` looked up in its globals."""
    try:
        raise failure
    except Exception:
        return str(vars(server)["traceback"].format_exc())


def installed_in(server: types.ModuleType, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    monkeypatch.setitem(sys.modules, "__main__", server)
    show_expected_failures_as_messages()
    return server


EXPECTED: list[Callable[[], Exception]] = [
    lambda: error_for("imbot.app.register", "BOT_ID_ERROR", "Bot not found"),
    lambda: SettingsError("bitrix24:plan must be one of standard, enterprise, unlimited"),
    lambda: ExistsError("bot code 'echo' already exists on the portal (id 5)"),
    lambda: DuplicateError("two resources of this program declare the same bot code 'echo'"),
]


@pytest.mark.parametrize("make", EXPECTED, ids=["rest", "settings", "exists", "duplicate"])
def test_an_expected_failure_is_reported_as_its_message_alone(
    make: Callable[[], Exception], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = installed_in(fake_server(), monkeypatch)
    failure = make()
    assert reported(server, failure) == str(failure)


def test_any_other_failure_keeps_its_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    server = installed_in(fake_server(), monkeypatch)
    text = reported(server, RuntimeError("a bug"))
    assert text.startswith("Traceback (most recent call last):") and text.endswith("RuntimeError: a bug\n")


def test_a_message_that_cannot_be_built_falls_back_to_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    class Unprintable(ExistsError):
        def __str__(self) -> str:
            raise ValueError("no message")

    server = installed_in(fake_server(), monkeypatch)
    assert reported(server, Unprintable()).startswith("Traceback (most recent call last):")


@pytest.mark.parametrize(
    "server",
    [fake_server(name="pytest.__main__"), fake_server(wrapper=False), types.ModuleType("__main__")],
    ids=["another-main", "sdk-without-the-wrapper", "no-spec"],
)
def test_nothing_changes_outside_the_dynamic_provider_server(
    server: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed_in(server, monkeypatch)
    assert vars(server).get("traceback") in (traceback, None)


def test_installing_twice_keeps_one_stand_in(monkeypatch: pytest.MonkeyPatch) -> None:
    server = installed_in(fake_server(), monkeypatch)
    first = vars(server)["traceback"]
    show_expected_failures_as_messages()
    assert isinstance(first, MessageFirst) and vars(server)["traceback"] is first
    assert first.format_exception is traceback.format_exception
