"""Provider configuration through the real pulumi CLI: a mistake fails preview, before any request, saying why."""

from __future__ import annotations

from .conftest import ProjectFactory
from .harness import EmulatorControl, assert_preview_fails_on_config

BOT_PROGRAM = """
from pulumi_bitrix24 import Bot, BotArgs, BotProperties
Bot("bot", BotArgs(code="configbot", event_handler="https://example.com/h", properties=BotProperties(name="C")))
"""
TWO_BOTS = BOT_PROGRAM + BOT_PROGRAM.replace('"bot"', '"bot2"').replace("configbot", "configbot2").split("\n", 2)[2]


def test_a_mistyped_key_fails_preview_once_on_the_stack(new_project: ProjectFactory, emulator: EmulatorControl) -> None:
    project = new_project(configure=False)
    project.config("bitrix24:webhookURL", emulator.info.webhook_url, secret=True)
    project.config("bitrix24:clientId", emulator.info.client_id, secret=True)
    project.program(TWO_BOTS)
    run = project.preview(check=False)
    assert run.code != 0
    typo = "unknown config key bitrix24:webhookURL; did you mean bitrix24:webhookUrl?"
    assert run.output.count(typo) == 1, run.output
    assert "pulumi:pulumi:Stack" in run.output.split(typo)[0].rsplit("\n\n", 1)[-1], run.output
    assert emulator.journal("") == []


def test_a_plain_http_webhook_names_the_key(new_project: ProjectFactory, emulator: EmulatorControl) -> None:
    project = new_project()
    project.config("bitrix24:webhookUrl", emulator.info.webhook_url.replace("https://", "http://"), secret=True)
    project.program(BOT_PROGRAM)
    problem = "bitrix24:webhookUrl must be an https:// URL: the Bitrix24 portal is reached over https only"
    assert_preview_fails_on_config(project, emulator, problem)


def test_a_value_out_of_range_fails_preview(new_project: ProjectFactory, emulator: EmulatorControl) -> None:
    project = new_project()
    project.config("bitrix24:maxRetries", "-3")
    project.program(BOT_PROGRAM)
    assert_preview_fails_on_config(project, emulator, "bitrix24:maxRetries must be a whole number from 0 to 20")


def test_secret_settings_in_plain_text_get_a_warning_naming_the_command(
    new_project: ProjectFactory, emulator: EmulatorControl
) -> None:
    project = new_project(configure=False)
    project.config("bitrix24:webhookUrl", emulator.info.webhook_url, secret=True)
    project.config("bitrix24:clientId", emulator.info.client_id)  # forgot --secret
    project.config("bitrix24:portals.acme.webhookUrl", emulator.info.webhook_url, secret=True, path=True)
    project.config("bitrix24:portals.acme.clientId", emulator.info.client_id, path=True)  # forgot --secret
    project.program(TWO_BOTS)
    run = project.cli("preview")  # as a user reads it
    for key in ("bitrix24:clientId", "bitrix24:portals.acme.clientId"):
        warning = (
            f"{key} is stored in plain text in Pulumi.dev.yaml (and in the backend's update history): set it again "
            f"with `pulumi config set --secret --path '{key}' <value>`"
        )
        assert run.output.split("Diagnostics:")[1].count(warning) == 1, run.output
    assert "bitrix24:webhookUrl is stored" not in run.output

    project.config("bitrix24:clientId", emulator.info.client_id, secret=True)
    project.config("bitrix24:portals.acme.clientId", emulator.info.client_id, secret=True, path=True)
    assert "plain text" not in project.cli("preview").output
