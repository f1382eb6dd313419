"""Unit fixtures: an in-process emulator with a controllable clock, and a REST caller for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from pulumi_bitrix24.emulator import Emulator, EmulatorInfo


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Portal:
    """Calls the emulator the way a Bitrix24 client would, returning (status, envelope)."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.info: EmulatorInfo = emulator.info
        self.session = requests.Session()

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.post(self.info.base_url + path, verify=self.info.ca_bundle, timeout=10, **kwargs)

    def call(self, method: str, client_id: str | None = None, **params: Any) -> tuple[int, dict[str, Any]]:
        body = {"CLIENT_ID": client_id or self.info.client_id, **params}
        response = self.session.post(
            f"{self.info.webhook_url}{method}", json=body, verify=self.info.ca_bundle, timeout=10
        )
        return response.status_code, response.json()

    def state(self) -> dict[str, Any]:
        response = self.session.get(self.info.base_url + "_emulator/state", verify=self.info.ca_bundle, timeout=10)
        return dict(response.json())

    def result(self, method: str, **params: Any) -> Any:
        status, envelope = self.call(method, **params)
        assert status == 200, envelope
        return envelope["result"]

    def error(self, method: str, **params: Any) -> tuple[int, str]:
        status, envelope = self.call(method, **params)
        assert "error" in envelope, envelope
        return status, envelope["error"]

    def bot(self, code: str = "bot", client_id: str | None = None) -> int:
        status, envelope = self.call(
            "imbot.register",
            client_id=client_id,
            CODE=code,
            EVENT_HANDLER="https://example.com/h",
            PROPERTIES={"NAME": code},
        )
        assert status == 200, envelope
        return int(envelope["result"])


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def portal(tmp_path: Path, clock: FakeClock) -> Iterator[Portal]:
    emulator = Emulator(tmp_path / "data", plan="standard", clock=clock)
    emulator.start()
    yield Portal(emulator)
    emulator.stop()
