"""Benchmark (not a test): the provider next to the engine floor and a plain requests loop, in one run.

Run: .venv/bin/python bench/side_by_side.py [--sizes 10 100 500] [--paced 100]

For each N: `pulumi up` of 1 bot + N chat apps (create, no change, update all, destroy) with the provider;
the same number of dynamic resources that do nothing (the engine floor); and the same REST work as a plain
loop of `requests` calls, with plan unlimited everywhere. Then the provider's create of N=--paced apps against
a standard-plan emulator, with the time a real standard-plan portal would take for the requests it sent
(a burst of 50, then 2 a second). Prints wall time, HTTP requests, and the provider/floor ratio.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pulumi_bitrix24._ratelimit import PLANS
from pulumi_bitrix24.emulator import Emulator
from tests.e2e.harness import EmulatorControl, Project, offline_env, pulumi_bin_dir

PHASES = ("create", "no change", "update", "destroy")


def provider_program(apps: int, title: str) -> str:
    return (
        "from pulumi_bitrix24 import Bot, BotArgs, BotProperties, ChatApp, ChatAppArgs, Translation\n"
        "bot = Bot('bot', BotArgs(code='bench', event_handler='https://example.com/h',"
        " properties=BotProperties(name='Bench')))\n"
        f"for i in range({apps}):\n"
        "    ChatApp(f'app{i}', ChatAppArgs(bot_id=bot.bot_id, code=f'app{i}', js_method='SEND',"
        f" js_param='/help', translations=[Translation(language_id='en', title='{title}')]))\n"
    )


def floor_program(apps: int, title: str) -> str:
    """As many dynamic resources, doing nothing: what the engine and the dynamic runtime cost by themselves."""
    return f"from floor_provider import Thing\nfor i in range({apps + 1}):\n    Thing(f'thing{{i}}', {title!r})\n"


def pulumi_phases(project: Project, emulator: EmulatorControl, make: Callable[[int, str], str], apps: int) -> list[Any]:
    """Wall time and HTTP requests of create, no change, update and destroy."""
    figures = []
    for phase, title in zip(PHASES, ("One", "One", "Two", "Two"), strict=True):
        project.program(make(apps, title))
        emulator.clear_journal()
        started = time.perf_counter()
        (project.destroy if phase == "destroy" else project.up)()
        figures.append((time.perf_counter() - started, emulator.requests()))
    return figures


def plain_loop(emulator: EmulatorControl, apps: int) -> list[Any]:
    """The same REST work as sequential `requests` calls (what a hand-written script would do)."""
    session = requests.Session()
    url, client_id = emulator.info.webhook_url, emulator.info.client_id

    def call(method: str, **params: Any) -> Any:
        body = {"CLIENT_ID": client_id, **params}
        answer = session.post(f"{url}{method}.json", json=body, verify=emulator.info.ca_bundle, timeout=30).json()
        return answer["result"]

    def app_fields(title: str) -> dict[str, Any]:
        return {"JS_METHOD": "SEND", "JS_PARAM": "/help", "LANG": [{"LANGUAGE_ID": "en", "TITLE": title}]}

    figures = []
    emulator.clear_journal()
    started = time.perf_counter()
    bot = call("imbot.register", CODE="plain", EVENT_HANDLER="https://example.com/h", PROPERTIES={"NAME": "P"})
    ids = [call("imbot.app.register", BOT_ID=bot, CODE=f"app{i}", **app_fields("One")) for i in range(apps)]
    figures.append((time.perf_counter() - started, emulator.requests()))
    figures.append((0.0, 0))  # nothing to do: a script that knows nothing changed sends nothing
    emulator.clear_journal()
    started = time.perf_counter()
    for app_id in ids:
        call("imbot.app.update", APP_ID=app_id, FIELDS=app_fields("Two"))
    figures.append((time.perf_counter() - started, emulator.requests()))
    emulator.clear_journal()
    started = time.perf_counter()
    for app_id in ids:
        call("imbot.app.unregister", APP_ID=app_id)
    call("imbot.unregister", BOT_ID=bot)
    figures.append((time.perf_counter() - started, emulator.requests()))
    return figures


def project_for(root: Path, name: str, emulator: EmulatorControl, plan: str) -> Project:
    backend = root / f"backend-{name}"
    backend.mkdir()
    env = offline_env(pulumi_bin_dir(), root / "home", backend, emulator.info.ca_bundle)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent)  # the floor's provider, for program and provider
    project = Project(root / name, env, name)
    project.config("bitrix24:webhookUrl", emulator.info.webhook_url, secret=True)
    project.config("bitrix24:clientId", emulator.info.client_id, secret=True)
    project.config("bitrix24:plan", plan)
    return project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 500])
    parser.add_argument("--paced", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with Emulator(root / "portal", plan="unlimited") as info:
            emulator = EmulatorControl(info)
            print("plan unlimited: wall seconds / HTTP requests; ratio = provider / engine floor")
            print(f"{'N':>4} {'phase':<10} {'provider':>16} {'engine floor':>16} {'plain loop':>16} {'ratio':>6}")
            for n in args.sizes:
                provider = pulumi_phases(
                    project_for(root, f"p{n}", emulator, "unlimited"), emulator, provider_program, n
                )
                floor = pulumi_phases(project_for(root, f"f{n}", emulator, "unlimited"), emulator, floor_program, n)
                plain = plain_loop(emulator, n)
                for phase, p, f, q in zip(PHASES, provider, floor, plain, strict=True):
                    cells = [f"{t:8.1f} s {r:5d}" for t, r in (p, f, q)]
                    print(f"{n:>4} {phase:<10} {cells[0]:>16} {cells[1]:>16} {cells[2]:>16} {p[0] / f[0]:6.2f}")
        with Emulator(root / "paced", plan="standard") as info:
            emulator = EmulatorControl(info)
            project = project_for(root, "paced", emulator, "standard")
            project.program(provider_program(args.paced, "One"))
            started = time.perf_counter()
            project.up()
            wall = time.perf_counter() - started
            sent = emulator.requests()
            refused = sum(1 for e in emulator.journal("") if e["error"] == "QUERY_LIMIT_EXCEEDED")
            plan = PLANS["standard"]
            bound = max(0.0, (sent - plan.burst) / plan.rate)
            print(
                f"\nplan standard, 1 bot + {args.paced} apps: {wall:.1f} s, {sent} requests ({refused} refused); "
                f"bucket bound for {sent} requests {bound:.1f} s, so a real standard-plan portal: "
                f"about {max(wall, bound):.1f} s"
            )


if __name__ == "__main__":
    main()
