"""Benchmark (not a test): wall time of `pulumi up` creating, updating and re-checking N chat apps.

Run: .venv/bin/python bench/provider_up.py [--apps 50]
Both the emulator and the provider use plan=unlimited, so the figures show the engine and provider cost.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pulumi_bitrix24.emulator import Emulator
from tests.e2e.harness import EmulatorControl, Project, offline_env, pulumi_bin_dir


def program(apps: int, title: str) -> str:
    return (
        "from pulumi_bitrix24 import Bot, BotArgs, BotProperties, ChatApp, ChatAppArgs, Translation\n"
        "bot = Bot('bot', BotArgs(code='bench', event_handler='https://example.com/h',"
        " properties=BotProperties(name='Bench')))\n"
        f"for i in range({apps}):\n"
        "    ChatApp(f'app{i}', ChatAppArgs(bot_id=bot.bot_id, code=f'app{i}', js_method='SEND',"
        f" js_param='/help', translations=[Translation(language_id='en', title='{title}')]))\n"
    )


def timed(label: str, project: Project, emulator: EmulatorControl) -> None:
    emulator.clear_journal()
    started = time.perf_counter()
    changes = project.up().changes()
    elapsed = time.perf_counter() - started
    calls = len(emulator.journal())
    print(f"{label:<10} {elapsed:6.1f} s  {calls:4d} REST calls  {changes}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Emulator(Path(tmp) / "portal", plan="unlimited") as info:
        root = Path(tmp)
        (root / "backend").mkdir()
        emulator = EmulatorControl(info)
        env = offline_env(pulumi_bin_dir(), root / "home", root / "backend", info.ca_bundle)
        project = Project(root / "project", env, "bench")
        project.config("bitrix24:webhookUrl", info.webhook_url, secret=True)
        project.config("bitrix24:clientId", info.client_id, secret=True)
        project.config("bitrix24:plan", "unlimited")
        print(f"pulumi up with 1 bot and {args.apps} chat apps (emulator and provider plan=unlimited)")
        project.program(program(args.apps, "One"))
        timed("create", project, emulator)
        timed("no change", project, emulator)
        project.program(program(args.apps, "Two"))
        timed("update", project, emulator)


if __name__ == "__main__":
    main()
