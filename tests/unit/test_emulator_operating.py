"""The emulator's per-method operating-time budget (limits.md; LoadLimiter in rest/lib/engine/access/loadlimiter.php),
on a scaled clock so that its 10-minute window passes in 0.6 s."""

from __future__ import annotations

import time

import pytest

from .conftest import Portal

SCALE = 0.001
"""Real seconds per second of the budget: the window is 0.6 s, the ban after going over the limit 0.3 s."""


@pytest.fixture
def slow_list(portal: Portal) -> Portal:
    """Every imbot.bot.list call takes 200 s of operating time: the third one goes over the 480 s limit."""
    portal.post("_emulator/operating", json={"scale": SCALE})
    portal.post("_emulator/operating", json={"method": "imbot.bot.list", "seconds": 200})
    return portal


def test_a_quick_call_counts_nothing_and_names_the_window_end(portal: Portal) -> None:
    before = time.time()
    status, envelope = portal.call("imbot.bot.list")
    assert status == 200
    block = envelope["time"]
    assert block["operating"] == 0
    assert isinstance(block["operating_reset_at"], int)
    assert int(before) + 600 <= block["operating_reset_at"] <= int(time.time()) + 600


def test_a_method_over_its_budget_is_refused_until_its_ban_ends(slow_list: Portal) -> None:
    started = time.time()
    answers = [slow_list.call("imbot.bot.list")[1] for _ in range(3)]
    assert [a["time"]["operating"] for a in answers] == [200, 400, 600]
    resets = {a["time"]["operating_reset_at"] for a in answers}
    assert len(resets) == 1 and started + 0.6 <= resets.pop() <= time.time() + 0.6
    assert slow_list.error("imbot.bot.list") == (429, "OPERATION_TIME_LIMIT")
    assert slow_list.bot("other") > 0, "other methods go on"
    time.sleep(0.3)
    status, envelope = slow_list.call("imbot.bot.list")
    assert status == 200 and envelope["time"]["operating"] == 200, "the ban cleared the baskets"


def test_each_caller_has_its_own_budget(slow_list: Portal) -> None:
    for _ in range(3):
        slow_list.call("imbot.bot.list")
    assert slow_list.error("imbot.bot.list") == (429, "OPERATION_TIME_LIMIT")
    other = slow_list.post("_emulator/webhooks", json={}).json()["webhook_url"]
    response = slow_list.session.post(
        other + "imbot.bot.list", json={"CLIENT_ID": "c"}, verify=slow_list.info.ca_bundle, timeout=10
    )
    assert response.status_code == 200


def test_batch_sub_calls_spend_their_methods_budget_and_are_refused_one_by_one(slow_list: Portal) -> None:
    cmd = {f"c{i}": f"imbot.bot.list?CLIENT_ID={slow_list.info.client_id}" for i in range(5)}
    result = slow_list.result("batch", cmd=cmd)
    assert list(result["result"]) == ["c0", "c1", "c2"]
    assert [result["result_time"][k]["operating"] for k in result["result"]] == [200, 400, 600]
    assert {k: e["error"] for k, e in result["result_error"].items()} == {
        "c3": "OPERATION_TIME_LIMIT",
        "c4": "OPERATION_TIME_LIMIT",
    }


def test_the_budget_control_refuses_a_bad_scale(portal: Portal) -> None:
    response = portal.post("_emulator/operating", json={"scale": 0})
    assert response.status_code == 400 and "scale" in response.json()["error_description"]
