"""Benchmark (not a test): imbot.app.update requests per second the emulator serves to 4 client threads.

Run: .venv/bin/python bench/emulator_throughput.py [--seconds 10] [--threads 4]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests

from pulumi_bitrix24.emulator import EmulatorInfo


@contextmanager
def emulator_process(data: str) -> Iterator[EmulatorInfo]:
    """The emulator as users run it: its own process, so the client threads do not share its interpreter."""
    command = [sys.executable, "-m", "pulumi_bitrix24.emulator", "--data", data, "--plan", "unlimited"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        yield EmulatorInfo(**json.loads(proc.stdout.readline()))
    finally:
        proc.terminate()
        proc.wait(10)


def prepare(info: EmulatorInfo) -> int:
    """One bot and one JS app to update over and over."""
    url, auth = info.webhook_url, {"CLIENT_ID": info.client_id}
    post: Any = lambda method, **p: requests.post(  # noqa: E731
        f"{url}{method}.json", json={**auth, **p}, verify=info.ca_bundle, timeout=10
    ).json()["result"]
    bot = post("imbot.register", CODE="bench", EVENT_HANDLER="https://example.com/h", PROPERTIES={"NAME": "Bench"})
    lang = [{"LANGUAGE_ID": "en", "TITLE": "Bench"}]
    return int(post("imbot.app.register", BOT_ID=bot, CODE="app", JS_METHOD="SEND", JS_PARAM="/bench", LANG=lang))


def worker(info: EmulatorInfo, app_id: int, deadline: float, latencies: list[float]) -> None:
    session = requests.Session()  # keep-alive, as the provider's client does
    n = 0
    while time.perf_counter() < deadline:
        n += 1
        body = {"CLIENT_ID": info.client_id, "APP_ID": app_id, "FIELDS": {"JS_PARAM": f"/bench {n}"}}
        started = time.perf_counter()
        response = session.post(f"{info.webhook_url}imbot.app.update.json", json=body, verify=info.ca_bundle)
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data, emulator_process(data) as info:
        app_id = prepare(info)
        per_thread: list[list[float]] = [[] for _ in range(args.threads)]
        deadline = time.perf_counter() + args.seconds
        threads = [threading.Thread(target=worker, args=(info, app_id, deadline, lat)) for lat in per_thread]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    latencies = sorted(x for lat in per_thread for x in lat)
    print(f"imbot.app.update, plan=unlimited, {args.threads} threads, {elapsed:.1f} s")
    print(f"requests: {len(latencies)}  throughput: {len(latencies) / elapsed:.0f} req/s")
    print(
        f"latency ms: median {statistics.median(latencies) * 1000:.1f}  "
        f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:.1f}  max {latencies[-1] * 1000:.1f}"
    )


if __name__ == "__main__":
    main()
