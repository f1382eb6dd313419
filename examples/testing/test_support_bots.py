"""The program in this folder against a clean emulated portal per test (`pip install pulumi-bitrix24` is all
pytest needs: the package registers the `bitrix24_portal` and `bitrix24_stack` fixtures)."""

from pathlib import Path

import pytest

from pulumi_bitrix24.testing import assert_converges, assert_no_drift

PROGRAM = Path(__file__).parent  # Pulumi.yaml and __main__.py
CONFIG = {"handlerUrl": "https://example.com/bitrix24/events"}


def test_up_preview_refresh_destroy_converge(bitrix24_stack, bitrix24_portal):
    assert_converges(bitrix24_stack(PROGRAM, config=CONFIG))
    assert bitrix24_portal.bots() == []


def test_a_hand_edit_on_the_portal_is_reported_as_drift(bitrix24_stack, bitrix24_portal):
    stack = bitrix24_stack(PROGRAM, config=CONFIG)
    bot_id = stack.up().outputs["bot_id"].value
    bitrix24_portal.rename_bot(bot_id, "Renamed by hand")
    with pytest.raises(AssertionError, match=r"drift: update support-bot \(bitrix24:Bot\): properties\.name$"):
        assert_no_drift(stack)


def test_a_refused_registration_fails_the_up_naming_the_resource(bitrix24_stack, bitrix24_portal):
    bitrix24_portal.fault("imbot.register", error="ACCESS_DENIED", status=403)
    with pytest.raises(AssertionError, match=r"up failed: support-bot: .*ACCESS_DENIED"):
        assert_converges(bitrix24_stack(PROGRAM, config=CONFIG))
