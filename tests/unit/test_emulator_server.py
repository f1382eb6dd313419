"""The emulator as a server: bounded bodies, a small journal, envelopes for bad input, timeouts, a taken port."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from pulumi_bitrix24.emulator import Latency, _app, _server
from pulumi_bitrix24.emulator._app import MAX_BODY_BYTES
from pulumi_bitrix24.emulator._params import MAX_DEPTH

from .conftest import Portal


def rest_path(portal: Portal, method: str) -> str:
    return portal.info.webhook_url.split("/", 3)[3] + method


def chunks(total: int, size: int = 2**20) -> Any:
    """A body sent chunked, so the server cannot refuse it by its Content-Length alone."""
    for _ in range(total // size):
        yield b"x" * size


def assert_envelope(response: Any, status: int, error: str = "INVALID_REQUEST") -> str:
    assert response.status_code == status, response.text
    envelope = response.json()
    assert envelope["error"] == error
    return str(envelope["error_description"])


def journal(portal: Portal) -> list[dict[str, Any]]:
    response = portal.session.get(portal.info.base_url + "_emulator/journal", verify=portal.info.ca_bundle, timeout=10)
    return list(response.json())


# --- size limits -----------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["imbot.bot.list", "_emulator/faults"])
def test_oversized_chunked_bodies_are_refused_and_the_server_still_answers(portal: Portal, path: str) -> None:
    url = rest_path(portal, path) if path.startswith("imbot") else path
    response = portal.post(url, data=chunks(MAX_BODY_BYTES + 2 * 2**20), headers={"Content-Type": "application/json"})
    assert "larger than" in assert_envelope(response, 413)
    assert portal.result("imbot.bot.list") == []


def test_oversized_declared_control_body_is_refused(portal: Portal) -> None:
    response = portal.post("_emulator/webhooks", data=b"{}" + b" " * MAX_BODY_BYTES)
    assert_envelope(response, 413)
    assert portal.post("_emulator/webhooks", json={}).status_code == 200


# --- malformed bodies ------------------------------------------------------------------------------
def nested(depth: int) -> bytes:
    return b'{"a":' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"


@pytest.mark.parametrize(
    ("body", "content_type", "description"),
    [
        (nested(500), "application/json", "nested deeper"),
        (nested(100_000), "application/json", "nested deeper"),
        (b'{"a": NaN}', "application/json", "NaN"),
        (b'{"a": ' + b"9" * 5000 + b"}", "application/json", "malformed JSON"),
        (b'"text"', "application/json", "must be an object"),
        (b"a" + b"[x]" * 500 + b"=1", "application/x-www-form-urlencoded", "nested deeper"),
        (b"CODE=\xff\xfe", "application/x-www-form-urlencoded", "not UTF-8"),
    ],
    ids=["json-500-deep", "json-100000-deep", "nan", "huge-int", "string", "form-500-deep", "form-not-utf8"],
)
def test_malformed_bodies_get_a_400_envelope(portal: Portal, body: bytes, content_type: str, description: str) -> None:
    controls = ["_emulator/faults"] if "json" in content_type else []  # controls read JSON only
    for path in [rest_path(portal, "imbot.bot.list"), *controls]:
        response = portal.post(path, data=body, headers={"Content-Type": content_type})
        assert description in assert_envelope(response, 400)


def test_nesting_up_to_the_limit_is_accepted(portal: Portal) -> None:
    response = portal.post(
        rest_path(portal, "imbot.bot.list"), data=nested(MAX_DEPTH), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text


def test_too_deep_batch_command_is_an_error_of_that_command(portal: Portal) -> None:
    result = portal.result("batch", cmd={"deep": "imbot.bot.list?a" + "[x]" * 100 + "=1", "ok": "imbot.bot.list"})
    assert result["result_error"]["deep"]["error"] == "INVALID_REQUEST"
    assert result["result"] == {"ok": []}


def test_unexpected_exception_answers_a_500_envelope(portal: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any) -> Any:
        raise RuntimeError("emulator bug")

    monkeypatch.setattr(portal.emulator.portal, "call", broken)
    status, envelope = portal.call("imbot.bot.list")
    assert (status, envelope["error"]) == (500, "INTERNAL_SERVER_ERROR")
    assert "emulator bug" in envelope["error_description"]
    assert journal(portal)[-1]["error"] == "INTERNAL_SERVER_ERROR"
    monkeypatch.undo()
    assert portal.result("imbot.bot.list") == []


# --- the journal -----------------------------------------------------------------------------------
def test_journal_fingerprints_large_values_and_keeps_small_ones(portal: Portal) -> None:
    big = "b" * (2 * 2**20)
    portal.call("imbot.bot.list", SMALL="kept", FIELDS={"BIG": big, "LANG": [{"TITLE": "T"}]}, MANY=list(range(5000)))
    [entry] = journal(portal)
    params = entry["params"]
    assert params["SMALL"] == "kept" and params["FIELDS"]["LANG"] == [{"TITLE": "T"}]
    assert params["CLIENT_ID"].startswith("sha256:") and portal.info.client_id not in json.dumps(entry)
    assert params["FIELDS"]["BIG"].startswith("sha256:") and params["FIELDS"]["BIG"].endswith(f"({len(big)} bytes)")
    assert params["MANY"].endswith("(5000 items)")
    assert len(json.dumps(entry)) < 2048


def test_journal_of_many_large_calls_stays_small_and_fast(portal: Portal) -> None:
    body = json.dumps({"CLIENT_ID": portal.info.client_id, "BIG": "b" * (4 * 2**20)}).encode()
    for _ in range(30):
        portal.post(rest_path(portal, "imbot.bot.list"), data=body, headers={"Content-Type": "application/json"})
    started = time.monotonic()
    response = portal.session.get(portal.info.base_url + "_emulator/journal", verify=portal.info.ca_bundle, timeout=10)
    elapsed = time.monotonic() - started
    assert len(response.json()) == 30
    assert len(response.content) < 30 * 1024 and elapsed < 1.0


# --- timeouts --------------------------------------------------------------------------------------
def tls_connection(portal: Portal) -> ssl.SSLSocket:
    host, port = portal.info.base_url.split("//")[1].rstrip("/").split(":")
    context = ssl.create_default_context(cafile=portal.info.ca_bundle)
    return context.wrap_socket(socket.create_connection((host, int(port)), timeout=10), server_hostname=host)


def seconds_until_closed(sock: socket.socket) -> tuple[float, bytes]:
    """Read until the server closes the connection: how long that took and what it answered."""
    started, answer = time.monotonic(), b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except (ConnectionError, ssl.SSLError):
        pass
    return time.monotonic() - started, answer


@pytest.fixture
def short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_server, "HEAD_TIMEOUT", 0.5)
    monkeypatch.setattr(_app, "BODY_TIMEOUT", 0.5)


@pytest.mark.usefixtures("short_timeouts")
def test_a_client_that_never_finishes_its_headers_is_disconnected(portal: Portal) -> None:
    with tls_connection(portal) as sock:
        sock.sendall(b"POST /_emulator/faults HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        elapsed, answer = seconds_until_closed(sock)
    assert elapsed < 3 and answer == b""
    assert portal.result("imbot.bot.list") == []


@pytest.mark.usefixtures("short_timeouts")
def test_a_client_that_never_starts_tls_is_disconnected(portal: Portal) -> None:
    host, port = portal.info.base_url.split("//")[1].rstrip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        elapsed, _ = seconds_until_closed(sock)
    assert elapsed < 3


@pytest.mark.usefixtures("short_timeouts")
def test_a_stalled_body_gets_a_408_envelope_and_the_connection_closes(portal: Portal) -> None:
    with tls_connection(portal) as sock:
        sock.sendall(
            b"POST /_emulator/faults HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{"
        )
        elapsed, answer = seconds_until_closed(sock)
    assert elapsed < 3
    assert answer.startswith(b"HTTP/1.1 408") and b'"error":"INVALID_REQUEST"' in answer


@pytest.mark.usefixtures("short_timeouts")
def test_a_slow_handler_is_not_cut_off_by_the_header_deadline(portal: Portal) -> None:
    portal.post("_emulator/faults", json={"method": "imbot.bot.list", "stall": 1.0})
    assert portal.result("imbot.bot.list") == []


# --- the port --------------------------------------------------------------------------------------
def test_a_taken_port_exits_with_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        command = [sys.executable, "-m", "pulumi_bitrix24.emulator", "--data", str(tmp_path), "--port", str(port)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert done.stderr == (
        f"emulator: port {port} on 127.0.0.1 is already in use; pick another --port or stop the other process\n"
    )


# --- a distant portal ------------------------------------------------------------------------------
def timed(portal: Portal, method: str, **params: Any) -> float:
    started = time.monotonic()
    assert portal.call(method, **params)[0] == 200
    return time.monotonic() - started


def test_a_distant_portal_adds_a_round_trip_per_request_and_server_time_per_call(portal: Portal) -> None:
    portal.emulator.portal.latency = Latency(round_trip=0.1, call_seconds=0.05)
    portal.result("imbot.bot.list")  # the connection opened
    assert 0.15 <= timed(portal, "imbot.bot.list") < 0.3
    cmd = {f"c{i}": "imbot.bot.list" for i in range(4)}  # a batch's calls run one after another
    assert 0.3 <= timed(portal, "batch", cmd=cmd) < 0.45


def test_a_distant_portal_serves_requests_in_parallel(portal: Portal) -> None:
    portal.emulator.portal.latency = Latency(round_trip=0.2, call_seconds=0.0)
    clients = [Portal(portal.emulator) for _ in range(4)]
    started = time.monotonic()
    threads = [threading.Thread(target=timed, args=(client, "imbot.bot.list")) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert time.monotonic() - started < 2 * 0.2 + 0.15  # four requests, a little over one round trip
