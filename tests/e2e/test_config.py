"""Provider configuration through the real pulumi CLI: a mistake fails preview, before any request, saying why."""

from __future__ import annotations

from .conftest import ProjectFactory
from .harness import EmulatorControl, assert_preview_fails_on_config

BOT_PROGRAM = """
from pulumi_bitrix24 import Bot, BotArgs, BotProperties
Bot("bot", BotArgs(code="configbot", event_handler="https://example.com/h", properties=BotProperties(name="C")))
"""


def test_a_mistyped_key_fails_preview_with_a_suggestion(new_project: ProjectFactory, emulator: EmulatorControl) -> None:
    project = new_project(configure=False)
    project.config("bitrix24:webhookURL", emulator.info.webhook_url, secret=True)
    project.config("bitrix24:clientId", emulator.info.client_id, secret=True)
    project.program(BOT_PROGRAM)
    typo = "unknown config key bitrix24:webhookURL; did you mean bitrix24:webhookUrl?"
    assert_preview_fails_on_config(project, emulator, typo)


def test_a_value_out_of_range_fails_preview(new_project: ProjectFactory, emulator: EmulatorControl) -> None:
    project = new_project()
    project.config("bitrix24:maxRetries", "-3")
    project.program(BOT_PROGRAM)
    assert_preview_fails_on_config(project, emulator, "bitrix24:maxRetries must be a whole number from 0 to 20")
