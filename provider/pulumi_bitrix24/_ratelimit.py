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


def with_headroom(plan: Plan, share: float = 0.95) -> Plan:
    """The same plan scaled down: a client that aims below the limit never meets it despite timing jitter."""
    return Plan(plan.name, burst=plan.burst * share, rate=plan.rate * share)


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

    def refused(self) -> None:
        """The portal refused a request for its rate limit: assume its bucket is full, and slow down."""
        if not self._adaptive:
            return
        with self._lock:
            self._drain()
            self._level = max(self._level, float(self._plan.burst))
            self._share = max(MIN_SHARE, self._share / 2)

    def accepted(self) -> None:
        """The portal took a request: win back some of the rate given up."""
        if self._adaptive:
            with self._lock:
                self._share = min(1.0, self._share + 0.05)
