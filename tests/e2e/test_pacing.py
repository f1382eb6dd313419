"""Requests against a standard-plan portal: creates coalesce into few requests, and runs that share a portal
wait for its limit instead of failing."""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

from pulumi_bitrix24.emulator import Emulator, EmulatorInfo

from .harness import EmulatorControl, Project, offline_env

APPS = 30


def stack(root: Path, name: str, info: EmulatorInfo, pulumi_bin: Path, pulumi_home: Path, client_id: str) -> Project:
    """A project with one bot (code = its name) and APPS chat apps on a standard-plan portal."""
    backend = root / f"backend-{name}"
    backend.mkdir()
    project = Project(root / name, offline_env(pulumi_bin, pulumi_home, backend, info.ca_bundle), name)
    project.config("bitrix24:webhookUrl", info.webhook_url, secret=True)
    project.config("bitrix24:clientId", client_id, secret=True)
    project.config("bitrix24:plan", "standard")
    project.program(
        "from pulumi_bitrix24 import Bot, BotArgs, BotProperties, ChatApp, ChatAppArgs, Translation\n"
        f"bot = Bot('bot', BotArgs(code={name!r}, event_handler='https://example.com/h',"
        " properties=BotProperties(name='Paced')))\n"
        f"for i in range({APPS}):\n"
        "    ChatApp(f'app{i}', ChatAppArgs(bot_id=bot.bot_id, code=f'app{i}', js_method='SEND',"
        " js_param='/help', translations=[Translation(language_id='en', title=f'App {i}')]))\n"
    )
    return project


def test_a_create_is_one_request_and_parallel_creates_share_requests(
    tmp_path: Path, pulumi_bin: Path, pulumi_home: Path
) -> None:
    with Emulator(tmp_path / "portal", plan="standard") as info:
        emulator = EmulatorControl(info)
        project = stack(tmp_path, "paced", info, pulumi_bin, pulumi_home, info.client_id)
        assert project.up().changes() == {"create": APPS + 2}
        # Every call the creates need: the bot's existence check, its register, and per app register + update.
        methods = Counter(emulator.methods())
        assert methods == {
            "imbot.v2.bot.get": 1,
            "imbot.register": 1,
            "imbot.app.register": APPS,
            "imbot.app.update": APPS,
        }
        # Each app's register and update travel together, and creates running side by side share a request.
        assert emulator.requests() < APPS + 2
        assert [e for e in emulator.journal("") if e["error"] == "QUERY_LIMIT_EXCEEDED"] == []
        assert len(emulator.state()["apps"]) == APPS


def test_two_runs_on_a_portal_at_its_limit_both_wait_and_succeed(
    tmp_path: Path, pulumi_bin: Path, pulumi_home: Path
) -> None:
    with Emulator(tmp_path / "portal", plan="standard") as info:
        emulator = EmulatorControl(info)
        first = stack(tmp_path, "first", info, pulumi_bin, pulumi_home, info.client_id)
        second = stack(tmp_path, "second", info, pulumi_bin, pulumi_home, "another-client-id")
        for _ in range(60):  # another tool has just used up the portal's burst
            emulator.call("imbot.bot.list")
        runs = [
            subprocess.Popen(
                ["pulumi", "--non-interactive", "up", "--yes", "--skip-preview"],
                cwd=project.root,
                env=project.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for project in (first, second)
        ]
        outputs = [run.communicate(timeout=400)[0] for run in runs]
        assert [run.returncode for run in runs] == [0, 0], outputs
        refused = [e for e in emulator.journal("") if e["error"] == "QUERY_LIMIT_EXCEEDED"]
        assert refused, "the portal should have refused some requests at first"
        state = emulator.state()
        assert sorted(bot["CODE"] for bot in state["bots"]) == ["first", "second"]
        apps = Counter((app["BOT_ID"], app["CODE"]) for app in state["apps"])
        assert len(apps) == 2 * APPS and set(apps.values()) == {1}  # every app once, no duplicates


def test_a_portal_that_refuses_a_run_configured_unlimited_is_paced_as_standard_from_then_on(
    tmp_path: Path, pulumi_bin: Path, pulumi_home: Path
) -> None:
    """bitrix24:plan unlimited on a portal that has a limit (a wrong setting, or a portal another tool has just
    used up): the first refusal turns the run's pacing to the standard plan's, and the run says so, instead of
    resending at full speed into the limit."""
    with Emulator(tmp_path / "portal", plan="standard") as info:
        emulator = EmulatorControl(info)
        project = stack(tmp_path, "unpaced", info, pulumi_bin, pulumi_home, info.client_id)
        project.config("bitrix24:plan", "unlimited")
        for _ in range(60):  # another tool has just used up the portal's burst
            emulator.call("imbot.bot.list")
        emulator.clear_journal()
        up = project.up()
        assert up.changes() == {"create": APPS + 2}
        assert "although bitrix24:plan is unlimited: pacing as the standard plan" in up.output
        refused = [e for e in emulator.journal("") if e["error"] == "QUERY_LIMIT_EXCEEDED"]
        assert 1 <= len(refused) <= 3, len(refused)
        assert len(emulator.state()["apps"]) == APPS
