"""The per-method operating-time budget of a portal, and its `time.operating` and `time.operating_reset_at`.

Docs: limits.md ("Resource Consumption Limits": 480 s of a method's execution time per 10 minutes, then
OPERATION_TIME_LIMIT for that method only). Server: rest/lib/engine/access/loadlimiter.php (LoadLimiter: ten
one-minute baskets per caller and method, calls of 0.1 s or less not counted, `batch` counted at half its time,
over the limit a 300 s ban that clears the baskets, the reset time) and rest/classes/general/rest.php
(CRestServer::processCall refuses with 429 before the call runs; appendDebugInfo writes the time block) in
yuliai/bitrix-modules.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

LIMIT_SECONDS = 480.0
"""Operating seconds a method may use within the window (limits.md; on-premise LoadLimiter defaults to 420)."""
BASKET_SECONDS = 60.0
BASKETS = 10
BAN_SECONDS = 300.0
"""How long a method stays refused once it went over the limit (LoadLimiter::BAN_DURATION)."""
UNCOUNTED_SECONDS = 0.1
"""A call this short or shorter is not counted (LoadLimiter::$minimalFixTime)."""
BATCH_WEIGHT = 0.5
WINDOW_SECONDS = BASKET_SECONDS * BASKETS

Key = tuple[str, str]
"""(caller, method): a webhook or an OAuth app, and the method it called."""


@dataclass
class _Basket:
    seconds: float
    expires: float
    """When the basket leaves the window: its first call's start plus the window (emulated seconds)."""


@dataclass
class OperatingBudget:
    """Operating time per caller and method. `scale` is the real seconds one second of the budget takes: at
    0.001 the 10-minute window passes in 0.6 s, so a test reaches and outlives the limit in well under a second.
    `costs` makes every call of a method count that many (emulated) seconds instead of the time it really took."""

    scale: float = 1.0
    clock: Callable[[], float] = time.time
    costs: dict[str, float] = field(default_factory=dict)
    _baskets: dict[Key, dict[int, _Basket]] = field(default_factory=dict)
    _bans: dict[Key, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        """The budget's clock, in emulated seconds."""
        return self.clock() / self.scale

    def reset(self, scale: float) -> None:
        with self._lock:
            self.scale = scale
            self.costs.clear()
            self._baskets.clear()
            self._bans.clear()

    def blocked(self, key: Key) -> bool:
        """Whether the method is refused now: banned, or over the limit (which starts a ban)."""
        with self._lock:
            now = self.now()
            if self._bans.get(key, 0.0) > now:
                return True
            if self._total(key, now) <= LIMIT_SECONDS:
                return False
            self._bans[key] = now + BAN_SECONDS
            self._baskets.pop(key, None)
            return True

    def spend(self, key: Key, started: float, took: float) -> None:
        """Count a call that succeeded: it started at `started` (real time) and ran `took` real seconds, unless
        `costs` says how long its method takes."""
        seconds = self.costs.get(key[1], took) * (BATCH_WEIGHT if key[1] == "batch" else 1.0)
        if seconds <= UNCOUNTED_SECONDS:
            return
        with self._lock:
            now = self.now()
            baskets = self._baskets.setdefault(key, {})
            number = int(now // BASKET_SECONDS)
            if number not in baskets:
                baskets[number] = _Basket(0.0, started / self.scale + WINDOW_SECONDS)
            baskets[number].seconds += seconds

    def fields(self, key: Key, started: float) -> dict[str, float]:
        """`operating` (seconds used in the window) and `operating_reset_at` (when the oldest basket leaves it,
        or the ban ends), as unix time; whole seconds as the portal writes them, unless the clock is scaled."""
        with self._lock:
            now = self.now()
            reset = self._bans.get(key, 0.0)
            if reset <= now:
                expiring = [b.expires for b in self._live(key, now).values() if b.seconds > 0]
                reset = min(expiring) if expiring else started / self.scale + WINDOW_SECONDS
            real = reset * self.scale
            return {"operating_reset_at": int(real) if self.scale == 1 else real, "operating": self._total(key, now)}

    def _live(self, key: Key, now: float) -> dict[int, _Basket]:
        """The baskets of the last BASKETS minutes; older ones are dropped."""
        current = int(now // BASKET_SECONDS)
        baskets = self._baskets.get(key, {})
        for number in [n for n in baskets if n <= current - BASKETS]:
            del baskets[number]
        return baskets

    def _total(self, key: Key, now: float) -> float:
        return sum(b.seconds for b in self._live(key, now).values())
