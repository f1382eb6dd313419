"""A large `pulumi up` against a standard-plan portal stays under its limit instead of hitting it."""

from __future__ import annotations

from pathlib import Path

from pulumi_bitrix24.emulator import Emulator

from .harness import EmulatorControl, Project, offline_env

APPS = 30  # 60 REST calls plus the bot's: past the burst of 50, so pacing must kick in


def test_large_up_is_paced_below_query_limit(tmp_path: Path, pulumi_bin: Path, pulumi_home: Path) -> None:
    with Emulator(tmp_path / "portal", plan="standard") as info:
        emulator = EmulatorControl(info)
        backend = tmp_path / "backend"
        backend.mkdir()
        project = Project(tmp_path / "project", offline_env(pulumi_bin, pulumi_home, backend, info.ca_bundle))
        project.config("bitrix24:webhookUrl", info.webhook_url, secret=True)
        project.config("bitrix24:clientId", info.client_id, secret=True)
        project.config("bitrix24:plan", "standard")
        project.program(
            "from pulumi_bitrix24 import Bot, BotArgs, BotProperties, ChatApp, ChatAppArgs, Translation\n"
            "bot = Bot('bot', BotArgs(code='paced', event_handler='https://example.com/h',"
            " properties=BotProperties(name='Paced')))\n"
            f"for i in range({APPS}):\n"
            "    ChatApp(f'app{i}', ChatAppArgs(bot_id=bot.bot_id, code=f'app{i}', js_method='SEND',"
            " js_param='/help', translations=[Translation(language_id='en', title=f'App {i}')]))\n"
        )
        assert project.up().changes() == {"create": APPS + 2}
        calls = emulator.journal()
        # The one expected error: the bot's existence check finds no bot with its code.
        assert [(c["method"], c["error"]) for c in calls if c["error"]] == [("imbot.v2.bot.get", "BOT_NOT_FOUND")]
        assert len(calls) == 2 * APPS + 2
        assert len(emulator.state()["apps"]) == APPS
