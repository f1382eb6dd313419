"""Coalescing REST calls into `batch` requests: one request in flight per portal, everything queued behind it
goes in the next one (a group commit).

Bitrix24 counts a `batch` of up to 50 sub-calls as ONE request against the rate limit, and runs its sub-calls
in order, each able to use earlier results through `$result[key]` references
(settings/how-to-call-rest-api/batch.md, settings/performance/index.md). So calls that would otherwise wait
for the rate limit, or that parallel operations make at the same moment, cost one request together. A call
that finds nothing in flight and no wait is sent at once, on its own: coalescing adds no latency.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

MAX_BATCH = 50
"""Sub-calls per batch request (ERROR_BATCH_LENGTH_EXCEEDED beyond it)."""
GATHER_SECONDS = 0.08
"""The longest a request waits for the calls of other operations."""
DYNAMIC_WORKERS = 4
"""Operations the dynamic runtime runs at once (max_workers in pulumi/dynamic/__main__.py); a front end seen running
more is the plugin under `pulumi up --parallel`."""
FILL_SECONDS = 1.0
"""In a bulk run through the plugin, the longest a request waits to fill up."""
QUIET_SECONDS = 0.2
"""In a bulk run through the plugin, a request whose every operation in progress has called leaves after this long
without a new one: the engine has nothing to start, or no room to."""


@dataclass(frozen=True)
class Ref:
    """A parameter value meaning "the result of call `index` of the same group" (sent as `$result[key]`)."""

    index: int


@dataclass(frozen=True)
class SubCall:
    method: str
    params: dict[str, Any]


@dataclass
class Outcome:
    """One call's result, or the exception that is its own failure."""

    value: Any = None
    error: BaseException | None = None
    whole: bool = False
    """The error is the whole request's (it never ran, was refused or lost), not this call's own answer."""

    def unwrap(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


@dataclass
class _Entry:
    calls: list[SubCall]
    outcomes: list[Outcome] = field(default_factory=list)
    done: bool = False


SendOne = Callable[[str, dict[str, Any]], Any]
"""Send one method as a plain request; returns its result or raises."""
SendBatch = Callable[[dict[str, str]], tuple[dict[str, Any], dict[str, BaseException]]]
"""Send a batch `cmd`; returns results and per-key errors, or raises for the whole request."""


class Coalescer:
    """Per portal: sends one request at a time, each carrying every call queued while waiting for it."""

    def __init__(
        self,
        send_one: SendOne,
        send_batch: SendBatch,
        pace: Callable[[], float],
        sleep: Callable[[float], None] = time.sleep,
        failure_of: Callable[[BaseException, str], BaseException] = lambda exc, _method: exc,
        clock: Callable[[], float] = time.monotonic,
        gather_seconds: float = GATHER_SECONDS,
        token_seconds: Callable[[], float] = lambda: 0.0,
    ) -> None:
        self._send_one = send_one
        self._send_batch = send_batch
        self._pace = pace
        self._sleep = sleep
        self._clock = clock
        self._failure_of = failure_of
        """How the failure of a whole batch request reads as the failure of one method in it."""
        self._cv = threading.Condition()
        self._queue: list[_Entry] = []
        self._busy = False
        self._keys = itertools.count()
        self._starts: deque[float] = deque()
        """When the last `_widest` operations started."""
        self._running = 0
        self._widest = 1
        """The most operations seen in progress at once: the front end's parallelism (4 in the dynamic runtime,
        max_workers in pulumi/dynamic/__main__.py; `pulumi up --parallel` in the plugin)."""
        self._arrived = 0.0
        """When the last group was queued."""
        self._ceiling = 0
        """The most operations the front end was seen to run at once with none more coming: `pulumi up --parallel`
        reached (0 until seen)."""
        self._local = threading.local()
        """This thread's depth of nested operation() blocks: a nested one is part of the same operation."""
        self._gather_seconds = gather_seconds
        """How long a request may wait for its neighbours; 0 where requests cost no rate limit."""
        self._token_seconds = token_seconds
        """What a request sent now will cost later in waiting for the rate limit (0 while requests are cheap)."""

    @contextmanager
    def operation(self) -> Iterator[None]:
        """Mark the start of a resource operation. While operations start in quick succession (a bulk `up`), a
        request about to leave waits briefly for the calls of its neighbours so that they share it; a lone
        operation, or one that comes after a pause, never waits."""
        depth = getattr(self._local, "depth", 0)
        self._local.depth = depth + 1
        if not depth:
            with self._cv:
                self._running += 1
                self._widest = max(self._widest, self._running)
                self._starts.append(self._clock())
                while len(self._starts) > self._widest:
                    self._starts.popleft()
        try:
            yield
        finally:
            self._local.depth = depth
            if not depth:
                with self._cv:
                    self._running -= 1

    def _expected(self, window: float) -> int:
        """How many operations' calls the next request should carry: of the last as many as ran at once, those
        started within twice the window."""
        recent = self._clock() - 2 * window
        return sum(1 for started in self._starts if started >= recent)

    def submit(self, calls: list[SubCall]) -> list[Outcome]:
        """Run a group of calls (later ones may refer to earlier ones with Ref) and wait for their outcomes.

        A group goes in one request, so it holds at most MAX_BATCH calls: the portal would run only the first
        MAX_BATCH of a longer batch.
        """
        if len(calls) > MAX_BATCH:
            raise ValueError(f"a group of calls goes in one batch request, so it holds at most {MAX_BATCH} calls")
        entry = _Entry(calls)
        with self._cv:
            self._queue.append(entry)
            self._arrived = self._clock()
            self._cv.notify_all()
            while self._busy and not entry.done:
                self._cv.wait()
            if entry.done:
                return entry.outcomes
            self._busy = True
        try:
            while not entry.done:  # lead until this caller's own calls are answered, serving the queue in order
                wait = self._pace()
                if wait > 0:
                    self._sleep(wait)
                with self._cv:
                    self._gather()
                    taken = self._take()
                self._send(taken)
        finally:
            with self._cv:
                self._busy = False
                self._cv.notify_all()
        return entry.outcomes

    def _gather(self) -> None:
        """Wait while fewer groups are queued than operations started just now (called with the lock held), so
        that a request carries the calls of as many operations as run at once. The wait is gather_seconds, or as
        long as a request will cost in waiting later, if that is more: a request saved in a bulk run is a wait
        for the rate limit saved at its end."""
        if self._gather_seconds <= 0:
            return
        if self._widest > DYNAMIC_WORKERS:
            self._fill()
            return
        window = max(self._gather_seconds, self._token_seconds())
        deadline = self._clock() + window
        expected = self._expected(window)
        while len(self._queue) < expected and sum(len(e.calls) for e in self._queue) < MAX_BATCH:
            left = deadline - self._clock()
            if left <= 0:
                return
            self._cv.wait(left)

    def _fill(self) -> None:
        """Wait until the queue holds a full batch, for at most FILL_SECONDS (called with the lock held): the plugin
        runs as many operations at once as `pulumi up --parallel` allows, but the engine starts them only as fast
        as it writes its state (about 25 a second), so a request that left at once would carry a few. It leaves
        early when every operation in progress waits here and none can join: at once when they are as many as
        the front end was seen to run (`--parallel` reached), else after QUIET_SECONDS without a new one, when
        they are as many as ever ran at once (then it learns that) or a lone one (a bot's delete after its
        apps'; in a bulk run a second starts well within that time). The tail of a run, fewer operations than
        ever ran at once but more than one, waits the whole FILL_SECONDS: leaving after a quiet moment there
        too took 34 to 41 requests for 500 apps instead of 29 to 31, as the engine pauses mid-run."""
        deadline = self._clock() + FILL_SECONDS
        while sum(len(e.calls) for e in self._queue) < MAX_BATCH:
            now = self._clock()
            if now >= deadline:
                return
            wake = deadline
            widest = self._running == self._widest
            if len(self._queue) >= self._running and (widest or self._running <= 1):  # no one else can join
                if widest and self._running <= self._ceiling:
                    return
                if now - self._arrived >= QUIET_SECONDS:
                    if widest:
                        self._ceiling = self._running
                    return
                wake = min(deadline, self._arrived + QUIET_SECONDS)
            self._cv.wait(wake - now)

    def _take(self) -> list[_Entry]:
        """Whole groups from the head of the queue, up to MAX_BATCH sub-calls (at least one group)."""
        taken: list[_Entry] = []
        size = 0
        while self._queue and (not taken or size + len(self._queue[0].calls) <= MAX_BATCH):
            entry = self._queue.pop(0)
            taken.append(entry)
            size += len(entry.calls)
        return taken

    def _send(self, entries: list[_Entry]) -> None:
        if len(entries) == 1 and len(entries[0].calls) == 1:
            call = entries[0].calls[0]
            try:
                outcome = Outcome(value=self._send_one(call.method, call.params))
            except Exception as exc:
                outcome = Outcome(error=exc, whole=True)
            self._finish(entries[0], [outcome])
            return
        keyed = [(entry, [f"c{next(self._keys)}" for _ in entry.calls]) for entry in entries]
        cmd = {
            key: f"{call.method}?{php_query(call.params, keys)}"
            for entry, keys in keyed
            for key, call in zip(keys, entry.calls, strict=True)
        }
        try:
            results, errors = self._send_batch(cmd)
        except Exception as exc:
            for entry, _ in keyed:
                self._finish(entry, [Outcome(error=self._failure_of(exc, c.method), whole=True) for c in entry.calls])
            return
        for entry, keys in keyed:
            self._finish(entry, [Outcome(results.get(k), errors.get(k)) for k in keys])

    def _finish(self, entry: _Entry, outcomes: list[Outcome]) -> None:
        with self._cv:
            entry.outcomes, entry.done = outcomes, True
            self._cv.notify_all()


def php_query(params: dict[str, Any], keys: list[str] | None = None) -> str:
    """Parameters as PHP's http_build_query writes them (`FIELDS[LANG][0][TITLE]=...`); Ref(i) becomes
    `$result[<key of call i>]`; whole floats are written as integers, None and empty lists are left out."""
    pairs: list[tuple[str, str]] = []

    def walk(name: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{name}[{k}]" if name else str(k), v)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(f"{name}[{i}]", v)
        elif isinstance(value, Ref):
            pairs.append((name, f"$result[{(keys or [])[value.index]}]"))
        elif isinstance(value, bool):
            pairs.append((name, "1" if value else "0"))
        elif isinstance(value, float) and value.is_integer():
            pairs.append((name, str(int(value))))
        elif value is not None:
            pairs.append((name, str(value)))

    walk("", params)
    return urlencode(pairs)
