"""Leaky bucket of the Bitrix24 REST limits (limits.md), used by the client to pace and by the emulator to refuse."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    """A portal's request limit: the bucket holds `burst` requests and drains `rate` per second."""

    name: str
    burst: float
    rate: float


PLANS: dict[str, Plan] = {
    "standard": Plan("standard", burst=50, rate=2),
    "enterprise": Plan("enterprise", burst=250, rate=5),
    "unlimited": Plan("unlimited", burst=float("inf"), rate=float("inf")),
}


MIN_SHARE = 0.1
"""The least share of the plan's rate an adaptive bucket slows down to."""


BURST_MARGIN = 1.0
"""Requests of the burst a client leaves unused (see with_headroom)."""


def with_headroom(plan: Plan, margin: float = BURST_MARGIN) -> Plan:
    """The plan as a client paces itself: the full rate, and the burst less `margin` requests.

    The client counts a request when it is about to leave; the portal counts it when it arrives, a moment d
    later. While the portal's bucket holds requests it drains at the same rate as the client's, so d changes
    nothing. Only after the bucket ran empty can the portal's hold up to rate * d more than the client's (it
    started draining d later): `margin` requests cover d up to margin / rate (0.5 s on the standard plan).
    Leaving part of the rate unused instead would cost that share of every long run.
    """
    return Plan(plan.name, burst=max(1.0, plan.burst - margin), rate=plan.rate)


def plan_named(name: str) -> Plan:
    """Look a plan up by name, with an error that lists the valid ones."""
    try:
        return PLANS[name]
    except KeyError:
        raise ValueError(f"unknown plan {name!r}: use one of {', '.join(PLANS)}") from None


class LeakyBucket:
    """Counter +1 per request, -rate per second; thread-safe, with an injectable clock for tests.

    An adaptive bucket (the client's) also learns from the portal: a refusal means the portal's bucket is full,
    maybe filled by someone else on the same portal and address, so it assumes full and halves its rate; each
    accepted request gives back a twentieth of the plan's rate (additive increase, multiplicative decrease).
    """

    def __init__(self, plan: Plan, clock: Callable[[], float] = time.monotonic, adaptive: bool = False) -> None:
        self._plan = plan
        self._clock = clock
        self._adaptive = adaptive
        self._share = 1.0
        self._level = 0.0
        self._stamp = clock()
        self._lock = threading.Lock()

    @property
    def limited(self) -> bool:
        """Whether the plan limits requests at all (plan unlimited does not)."""
        return self._plan.rate != float("inf")

    @property
    def rate(self) -> float:
        """Requests per second the bucket drains now."""
        return self._plan.rate * self._share

    def _drain(self) -> None:
        now = self._clock()
        if self._plan.rate == float("inf"):
            self._level = 0.0
        else:
            self._level = max(0.0, self._level - (now - self._stamp) * self.rate)
        self._stamp = now

    def try_acquire(self) -> bool:
        """Count one request if the bucket has room (what the portal does); False means refuse it."""
        with self._lock:
            self._drain()
            if self._level + 1 > self._plan.burst:
                return False
            self._level += 1
            return True

    def reserve(self) -> float:
        """Count one request now and return how long to wait before sending it (what a polite client does)."""
        with self._lock:
            self._drain()
            self._level += 1
            excess = self._level - self._plan.burst
            return 0.0 if excess <= 0 else excess / self.rate

    def token_seconds(self) -> float:
        """What a request counted now costs later: once half the burst is spent, the run is a bulk one that
        will wait for the rate limit, and each request is one token's time (1 / rate); before that, nothing."""
        with self._lock:
            self._drain()
            return 1 / self.rate if self.limited and self._level >= self._plan.burst / 2 else 0.0

    def refused(self) -> bool:
        """The portal refused a request for its rate limit: assume its bucket is full, and slow down. A bucket of
        plan unlimited has no rate to halve: it takes the least plan a portal has (standard) and says so (True)."""
        if not self._adaptive:
            return False
        with self._lock:
            self._drain()
            fell_back = not self.limited
            if fell_back:
                self._plan, self._stamp = with_headroom(PLANS["standard"]), self._clock()
            self._level = max(self._level, float(self._plan.burst))
            self._share = max(MIN_SHARE, self._share / 2)
            return fell_back

    def accepted(self) -> None:
        """The portal took a request: win back some of the rate given up."""
        if self._adaptive:
            with self._lock:
                self._share = min(1.0, self._share + 0.05)
