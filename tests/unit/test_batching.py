"""The coalescer alone: group commit, batch encoding, per-call outcomes, pacing (fake transport and clock)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl

import pytest

from pulumi_bitrix24._batching import (
    DYNAMIC_WORKERS,
    FILL_SECONDS,
    GATHER_SECONDS,
    MAX_BATCH,
    QUIET_SECONDS,
    Coalescer,
    Outcome,
    Ref,
    SubCall,
    php_query,
)


class FakePortal:
    """Records what the coalescer sends; a plain call can be held in flight until released."""

    def __init__(self) -> None:
        self.requests: list[Any] = []
        self.hold = threading.Event()
        self.hold.set()
        self.in_flight = threading.Event()
        self.slept: list[float] = []

    def send_one(self, method: str, params: dict[str, Any]) -> Any:
        self.requests.append((method, params))
        self.in_flight.set()
        self.hold.wait(5)
        if params.get("fail"):
            raise RuntimeError(f"{method} failed")
        return f"{method}-done"

    def send_batch(self, cmd: dict[str, str]) -> tuple[dict[str, Any], dict[str, BaseException]]:
        self.requests.append(dict(cmd))
        results: dict[str, Any] = {}
        errors: dict[str, BaseException] = {}
        for key, command in cmd.items():
            method, _, query = command.partition("?")
            if dict(parse_qsl(query)).get("fail"):
                errors[key] = RuntimeError(f"{method} failed")
            else:
                results[key] = f"{method}-done"
        return results, errors


@pytest.fixture
def portal() -> FakePortal:
    return FakePortal()


def coalescer(portal: FakePortal, waits: list[float] | None = None, token_seconds: float = 0.0) -> Coalescer:
    pending = list(waits or [])
    return Coalescer(
        portal.send_one,
        portal.send_batch,
        lambda: pending.pop(0) if pending else 0.0,
        portal.slept.append,
        token_seconds=lambda: token_seconds,
    )


@contextmanager
def neighbour_in_progress(subject: Coalescer) -> Iterator[None]:
    """Another operation has started and sends nothing while the block runs."""
    inside, done = threading.Event(), threading.Event()

    def busy() -> None:
        with subject.operation():
            inside.set()
            done.wait(5)

    neighbour = threading.Thread(target=busy)
    neighbour.start()
    assert inside.wait(5)
    try:
        yield
    finally:
        done.set()
        neighbour.join(5)


def test_a_lone_call_goes_out_at_once_as_a_plain_request(portal: FakePortal) -> None:
    [outcome] = coalescer(portal).submit([SubCall("imbot.register", {"CODE": "echo"})])
    assert outcome.unwrap() == "imbot.register-done"
    assert portal.requests == [("imbot.register", {"CODE": "echo"})] and portal.slept == []


def test_calls_made_while_one_is_in_flight_go_together_in_the_next_request(portal: FakePortal) -> None:
    subject = coalescer(portal)
    portal.hold.clear()
    outcomes: dict[str, list[Outcome]] = {}

    def run(name: str, calls: list[SubCall]) -> None:
        outcomes[name] = subject.submit(calls)

    first = threading.Thread(target=run, args=("first", [SubCall("m.first", {})]))
    first.start()
    assert portal.in_flight.wait(5)
    later = [threading.Thread(target=run, args=(f"later{i}", [SubCall("m.later", {"i": i})])) for i in range(3)]
    for thread in later:
        thread.start()
    while len(subject._queue) < 3:  # all three are waiting behind the request in flight
        threading.Event().wait(0.01)
    portal.hold.set()
    for thread in [first, *later]:
        thread.join(5)
    assert len(portal.requests) == 2
    assert isinstance(portal.requests[1], dict) and len(portal.requests[1]) == 3
    assert all(outcomes[f"later{i}"][0].unwrap() == "m.later-done" for i in range(3))


def test_a_failing_sub_call_fails_only_its_caller(portal: FakePortal) -> None:
    subject = coalescer(portal)
    group = [SubCall("m.good", {}), SubCall("m.bad", {"fail": 1}), SubCall("m.good", {"x": Ref(0)})]
    outcomes = subject.submit(group)
    assert [o.error is None for o in outcomes] == [True, False, True]
    with pytest.raises(RuntimeError, match=r"m\.bad failed"):
        outcomes[1].unwrap()


def test_a_group_is_one_batch_whose_references_name_its_own_keys(portal: FakePortal) -> None:
    coalescer(portal).submit(
        [SubCall("imbot.app.register", {"CODE": "a"}), SubCall("imbot.app.update", {"APP_ID": Ref(0)})]
    )
    [cmd] = portal.requests
    first, second = cmd
    assert cmd[second] == f"imbot.app.update?APP_ID=%24result%5B{first}%5D"


def test_the_leader_waits_for_the_rate_limit_before_it_takes_the_queue(portal: FakePortal) -> None:
    subject = coalescer(portal, waits=[1.5])
    subject.submit([SubCall("m", {})])
    assert portal.slept == [1.5]


def test_batches_hold_at_most_fifty_sub_calls_and_never_split_a_group(portal: FakePortal) -> None:
    subject = coalescer(portal)
    groups = [[SubCall("m", {"i": i}), SubCall("m", {"i": i, "x": Ref(0)})] for i in range(30)]
    subject._busy = True  # queue everything behind a pretend request in flight
    threads = [threading.Thread(target=subject.submit, args=(g,)) for g in groups]
    for thread in threads:
        thread.start()
    while len(subject._queue) < len(groups):
        threading.Event().wait(0.01)
    with subject._cv:
        subject._busy = False
        subject._cv.notify_all()
    for thread in threads:
        thread.join(5)
    sizes = [len(r) for r in portal.requests]
    assert sum(sizes) == 60 and max(sizes) <= MAX_BATCH and all(size % 2 == 0 for size in sizes)


def test_a_group_longer_than_a_batch_is_refused_before_anything_is_sent(portal: FakePortal) -> None:
    """The portal would run only the first MAX_BATCH calls of a longer batch (rest_provider.php, methodsBatch)."""
    with pytest.raises(ValueError, match="at most 50 calls"):
        coalescer(portal).submit([SubCall("m", {"i": i}) for i in range(MAX_BATCH + 1)])
    assert portal.requests == []


def test_php_query_writes_nested_values_as_php_reads_them() -> None:
    query = php_query({"FIELDS": {"LANG": [{"TITLE": "A b"}], "W": 400.0, "H": None, "N": []}, "ok": True})
    assert parse_qsl(query) == [("FIELDS[LANG][0][TITLE]", "A b"), ("FIELDS[W]", "400"), ("ok", "1")]


def test_a_request_waits_briefly_for_the_calls_of_other_operations_in_progress(portal: FakePortal) -> None:
    subject = coalescer(portal)
    ready = threading.Barrier(3)

    def operation(i: int) -> None:
        with subject.operation():
            ready.wait(5)
            threading.Event().wait(0.01 * i)  # the three reach the portal a little apart
            subject.submit([SubCall("m", {"i": i})])

    threads = [threading.Thread(target=operation, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert len(portal.requests) == 1 and len(portal.requests[0]) == 3


@pytest.mark.parametrize("token_seconds", [0.0, 1.0], ids=["requests cheap", "bulk run"])
def test_a_lone_operation_does_not_wait(portal: FakePortal, token_seconds: float) -> None:
    subject = coalescer(portal, token_seconds=token_seconds)
    with subject.operation():
        started = time.monotonic()
        subject.submit([SubCall("m", {})])
    assert time.monotonic() - started < 0.04  # well under the gathering window


def test_a_slow_neighbour_is_waited_for_at_most_the_gathering_window(portal: FakePortal) -> None:
    subject = coalescer(portal)
    with neighbour_in_progress(subject), subject.operation():
        started = time.monotonic()
        subject.submit([SubCall("m", {})])
        waited = time.monotonic() - started
    assert GATHER_SECONDS <= waited < GATHER_SECONDS + 0.1


def test_in_a_bulk_run_a_request_waits_up_to_a_tokens_time_for_its_neighbours(portal: FakePortal) -> None:
    """Once requests cost waiting later (half the burst spent), a slow neighbour is worth more than the window."""
    token = 3 * GATHER_SECONDS
    subject = coalescer(portal, token_seconds=token)
    ready = threading.Event()
    waited: list[float] = []

    def operation(delay: float) -> None:
        with subject.operation():
            ready.wait(5)
            threading.Event().wait(delay)
            started = time.monotonic()
            subject.submit([SubCall("m", {"delay": delay})])
            waited.append(time.monotonic() - started)

    threads = [threading.Thread(target=operation, args=(d,)) for d in (0.0, 2 * GATHER_SECONDS)]
    for thread in threads:
        thread.start()
    ready.set()
    for thread in threads:
        thread.join(5)
    assert len(portal.requests) == 1 and len(portal.requests[0]) == 2  # one request carried both
    assert max(waited) < token


def test_without_a_gathering_window_a_request_leaves_at_once(portal: FakePortal) -> None:
    subject = Coalescer(portal.send_one, portal.send_batch, lambda: 0.0, gather_seconds=0.0)
    with neighbour_in_progress(subject):
        started = time.monotonic()
        subject.submit([SubCall("m", {})])
        waited = time.monotonic() - started
    assert waited < 0.04


@pytest.mark.parametrize("operations", [4, 12, 25])
def test_a_request_waits_for_every_operation_in_progress_not_only_four(portal: FakePortal, operations: int) -> None:
    """The plugin runs as many operations at once as `pulumi up --parallel` says (the dynamic runtime only 4):
    a request waits for the calls of as many operations as run at once, up to a full batch."""
    subject = coalescer(portal)
    ready = threading.Barrier(operations)

    def operation(i: int) -> None:
        with subject.operation():
            ready.wait(5)
            threading.Event().wait(0.002 * i)  # they reach the portal a little apart, within the window
            subject.submit([SubCall("m", {"i": i}), SubCall("m", {"i": i, "x": Ref(0)})])

    threads = [threading.Thread(target=operation, args=(i,)) for i in range(operations)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert [len(r) for r in portal.requests] == [2 * operations]


def run_operations(subject: Coalescer, count: int, calls: int = 1, apart: float = 0.0) -> list[float]:
    """`count` operations started together, each submitting `calls` calls, `apart` seconds after the previous one
    (in start order); how long each waited for its answer."""
    ready = threading.Barrier(count)
    waited: list[float] = []

    def operation(i: int) -> None:
        with subject.operation():
            ready.wait(5)
            threading.Event().wait(apart * i)
            started = time.monotonic()
            subject.submit([SubCall("m", {"i": i, "n": n}) for n in range(calls)])
            waited.append(time.monotonic() - started)

    threads = [threading.Thread(target=operation, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return waited


def test_through_the_plugin_a_request_fills_up_while_operations_keep_starting(portal: FakePortal) -> None:
    """More operations at once than the dynamic runtime runs: the plugin under `--parallel`, whose engine starts
    them a few tens of milliseconds apart. A request waits for a full batch instead of leaving with a few."""
    subject = coalescer(portal)
    run_operations(subject, DYNAMIC_WORKERS + 2)  # seen: more at once than the dynamic runtime runs
    portal.requests.clear()
    run_operations(subject, MAX_BATCH // 2, calls=2, apart=0.02)
    assert [len(r) for r in portal.requests] == [MAX_BATCH]


def test_a_request_stops_filling_up_once_the_parallelism_is_known(portal: FakePortal) -> None:
    """`pulumi up --parallel 8`: 8 operations wait and no ninth can start. The first wave waits QUIET_SECONDS to
    learn that; later waves leave at once."""
    subject = coalescer(portal)
    first = run_operations(subject, 8)
    later = run_operations(subject, 8)
    assert [len(r) for r in portal.requests] == [8, 8]
    assert QUIET_SECONDS <= max(first) < QUIET_SECONDS + 0.1
    assert max(later) < 0.05


def test_a_request_fills_up_for_at_most_fill_seconds(portal: FakePortal) -> None:
    subject = coalescer(portal)
    run_operations(subject, DYNAMIC_WORKERS + 2)
    portal.requests.clear()
    waited = run_operations(subject, 12, apart=FILL_SECONDS / 8)  # 12 starts, the last long after the deadline
    assert FILL_SECONDS <= max(waited) < 2 * FILL_SECONDS + 0.2
    assert len(portal.requests) == 2 and len(portal.requests[0]) >= 8


def test_a_lone_operation_after_a_bulk_run_leaves_after_a_quiet_moment(portal: FakePortal) -> None:
    """The bot's delete after its apps': nothing else runs, so nothing joins it; in a bulk run a second operation
    starts well within QUIET_SECONDS, and the request keeps filling."""
    subject = coalescer(portal)
    run_operations(subject, DYNAMIC_WORKERS + 2)
    [waited] = run_operations(subject, 1)
    assert QUIET_SECONDS <= waited < QUIET_SECONDS + 0.1 < FILL_SECONDS


def test_operations_that_start_one_by_one_share_a_full_request(portal: FakePortal) -> None:
    """The engine starts a bulk run's operations about 25 a second: the first, alone for a moment, waits for the
    others instead of leaving with its own calls."""
    subject = coalescer(portal)
    run_operations(subject, MAX_BATCH)  # `--parallel 50`, more than this run will use
    portal.requests.clear()

    def operation(i: int) -> None:
        with subject.operation():
            subject.submit([SubCall("m", {"i": i}), SubCall("m", {"i": i, "x": Ref(0)})])

    threads = [threading.Thread(target=operation, args=(i,)) for i in range(MAX_BATCH // 2)]
    for thread in threads:
        thread.start()
        threading.Event().wait(0.02)
    for thread in threads:
        thread.join(10)
    assert [len(r) for r in portal.requests] == [MAX_BATCH]
