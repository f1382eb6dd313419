"""Unit tests of a Bitrix24 program with Pulumi's mocks: no engine, no portal, a few milliseconds each."""

import pulumi
import pytest


class Mocks(pulumi.runtime.Mocks):
    """The mocks of Pulumi's testing guide: every resource gets the id `<name>_id` and outputs its inputs."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        return args.name + "_id", args.inputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        return {}


pulumi.runtime.set_mocks(Mocks(), preview=False)

from support_bot import support_bot  # noqa: E402 (mocks first, then the code under test)

from pulumi_bitrix24 import ProgramError  # noqa: E402


@pulumi.runtime.test
def test_the_button_sends_the_command():
    bot, command, button = support_bot("https://example.com/bitrix24/events")

    def check(values):
        command_name, js_param, code = values
        assert js_param == f"/{command_name}"
        assert code == "support"

    return pulumi.Output.all(command.command, button.js_param, bot.code).apply(check)


def test_a_plain_http_handler_is_refused_as_pulumi_preview_would():
    with pytest.raises(ProgramError, match=r"event_handler: must be an https:// URL"):
        support_bot("http://example.com/bitrix24/events")


def test_a_colour_outside_the_palette_is_refused():
    with pytest.raises(ProgramError, match=r"properties\.color: Input should be 'RED', 'GREEN'"):
        support_bot("https://example.com/bitrix24/events", color="purple")
