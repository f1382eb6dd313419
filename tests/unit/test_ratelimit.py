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


def test_a_request_costs_a_tokens_time_once_half_the_burst_is_spent(clock: FakeClock) -> None:
    bucket = LeakyBucket(PLANS["standard"], clock)
    costs = []
    for _ in range(30):
        costs.append(bucket.token_seconds())
        bucket.reserve()
    assert costs[:25] == [0.0] * 25 and costs[25:] == [0.5] * 5
    clock.advance(3.0)  # drained by 6: below half again
    assert bucket.token_seconds() == 0.0
    assert LeakyBucket(PLANS["unlimited"], clock).token_seconds() == 0.0


def test_unknown_plan_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="standard, enterprise, unlimited"):
        plan_named("gold")


def test_a_client_keeps_the_full_rate_and_leaves_one_request_of_the_burst(clock: FakeClock) -> None:
    bucket = LeakyBucket(with_headroom(PLANS["standard"]), clock)
    waits = [bucket.reserve() for _ in range(51)]
    assert waits[:49] == [0.0] * 49
    assert waits[49:] == pytest.approx([0.5, 1.0])


def client_run(clock: FakeClock, client: LeakyBucket, portal: LeakyBucket, delay: float) -> int:
    """Runs of requests with pauses between, sent one at a time; every other request reaches the portal `delay`
    after the client counted it, the others at once. Returns how many the portal refused."""
    refused = 0
    for index, (requests, pause) in enumerate(((120, 7.3), (3, 0.2), (80, 30.0), (30, 0.45), (60, 0.0))):
        for number in range(requests):
            clock.advance(client.reserve() + delay * ((index + number) % 2))
            refused += not portal.try_acquire()
        clock.advance(pause)
    return refused


@pytest.mark.parametrize("delay", [0.0, 0.01, 0.2, 0.45])
def test_a_client_paced_with_headroom_is_never_refused_by_the_portal(clock: FakeClock, delay: float) -> None:
    portal = LeakyBucket(PLANS["standard"], clock)
    assert client_run(clock, LeakyBucket(with_headroom(PLANS["standard"]), clock), portal, delay) == 0


def test_without_the_margin_a_late_arrival_is_refused(clock: FakeClock) -> None:
    portal = LeakyBucket(PLANS["standard"], clock)
    assert client_run(clock, LeakyBucket(with_headroom(PLANS["standard"], margin=0), clock), portal, 0.05) > 0


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


def test_an_unlimited_bucket_that_the_portal_refuses_paces_as_the_standard_plan(clock: FakeClock) -> None:
    bucket = LeakyBucket(PLANS["unlimited"], clock=clock, adaptive=True)
    assert bucket.reserve() == 0.0 and not bucket.limited
    assert bucket.refused() is True  # said once
    assert bucket.limited and bucket.rate == PLANS["standard"].rate / 2
    assert bucket.reserve() > 0  # the portal's bucket is assumed full
    assert bucket.refused() is False
