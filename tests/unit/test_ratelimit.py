"""The leaky bucket shared by the client (pacing) and the emulator (refusing)."""

from __future__ import annotations

import pytest

from pulumi_bitrix24._ratelimit import PLANS, LeakyBucket, plan_named, with_headroom

from .conftest import FakeClock


def test_refuses_past_the_burst_and_drains_at_the_rate(clock: FakeClock) -> None:
    bucket = LeakyBucket(PLANS["enterprise"], clock)
    assert all(bucket.try_acquire() for _ in range(250))
    assert not bucket.try_acquire()
    clock.advance(1.0)
    assert [bucket.try_acquire() for _ in range(6)] == [True] * 5 + [False]


def test_reserve_spaces_requests_after_the_burst(clock: FakeClock) -> None:
    bucket = LeakyBucket(PLANS["standard"], clock)
    waits = [bucket.reserve() for _ in range(54)]
    assert waits[:50] == [0.0] * 50
    assert waits[50:] == pytest.approx([0.5, 1.0, 1.5, 2.0])


def test_unlimited_never_waits(clock: FakeClock) -> None:
    bucket = LeakyBucket(PLANS["unlimited"], clock)
    assert all(bucket.try_acquire() for _ in range(10_000))
    assert bucket.reserve() == 0.0


def test_unknown_plan_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="standard, enterprise, unlimited"):
        plan_named("gold")


def test_headroom_scales_burst_and_rate(clock: FakeClock) -> None:
    bucket = LeakyBucket(with_headroom(PLANS["standard"]), clock)
    waits = [bucket.reserve() for _ in range(49)]
    assert waits[:47] == [0.0] * 47
    assert waits[47:] == pytest.approx([0.5 / 1.9, 1.5 / 1.9])


def test_an_adaptive_bucket_halves_on_refusal_and_recovers_on_success(clock: FakeClock) -> None:
    bucket = LeakyBucket(PLANS["standard"], clock, adaptive=True)
    bucket.refused()
    assert bucket.rate == 1.0 and bucket.reserve() == pytest.approx(1.0)  # assumed full: wait one slot
    bucket.refused()
    bucket.refused()
    bucket.refused()
    bucket.refused()
    assert bucket.rate == pytest.approx(0.2)  # never below a tenth of the plan
    for _ in range(30):
        bucket.accepted()
    assert bucket.rate == 2.0


def test_the_portals_bucket_does_not_adapt(clock: FakeClock) -> None:
    bucket = LeakyBucket(PLANS["standard"], clock)
    bucket.refused()
    assert bucket.rate == 2.0 and bucket.try_acquire()
