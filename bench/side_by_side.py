"""Benchmark (not a test): the provider next to the engine floor and a plain requests loop, in one run.

Run: .venv/bin/python bench/side_by_side.py [--sizes 10 100 500] [--paced 100 500] [--repeat 3] [--phases 2]
                                            [--skip-checkpoints]

For each N of --sizes, with plan unlimited everywhere: `pulumi up` of 1 bot + N chat apps (create, no change,
update all, destroy; --phases 2 stops after no change) with the provider; the same number of dynamic resources
that do nothing (the engine floor); as many do-nothing resources of a ChatApp's shape, the same inputs and
outputs (the wide floor); and the same REST work as a plain loop of `requests` calls. Each variant runs
--repeat times, interleaved, and the medians are shown. Then, for each N of --paced, the provider's create of
1 bot + N apps against a standard-plan emulator, with the bucket bound of the requests it sent: the least time
a standard-plan portal (a burst of 50, then 2 a second) lets them take. Prints wall time, HTTP requests, and
the ratios provider / floor, provider / wide floor, wall / bound and (first to last request) / bound: the wall
time also holds Pulumi's start (program, provider process, the bot's create) and finish, which no pacing can cut.
"""

from __future__ import annotations

import argparse
import statistics
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
BYTECODE = Path(tempfile.gettempdir()) / "pulumi-bitrix24-bench-bytecode"
"""Compiled modules of every benchmark run, kept between runs (Python recompiles a module whose source changed)."""


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


def wide_floor_program(apps: int, title: str) -> str:
    """As many dynamic resources of a ChatApp's shape (its inputs and outputs, its bot_id taken from another
    resource), doing nothing: what resources of that shape cost the engine and the dynamic runtime."""
    return (
        "from floor_provider import Thing, Wide\n"
        f"bot = Thing('bot', {title!r})\n"
        f"for i in range({apps}):\n"
        f"    Wide(f'app{{i}}', bot.id.apply(int), f'app{{i}}', {title!r})\n"
    )


def pulumi_phases(
    project: Project, emulator: EmulatorControl, make: Callable[[int, str], str], apps: int, phases: int
) -> list[Any]:
    """Wall time and HTTP requests of the first `phases` of create, no change, update and destroy."""
    figures = []
    for phase, title in list(zip(PHASES, ("One", "One", "Two", "Two"), strict=True))[:phases]:
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


def project_for(root: Path, name: str, emulator: EmulatorControl, plan: str, checkpoints: bool = True) -> Project:
    """A project on the emulator; checkpoints=False has Pulumi write the state once at the end of a run instead
    of after every step (PULUMI_SKIP_CHECKPOINTS, experimental), to show what those writes cost."""
    backend = root / f"backend-{name}"
    backend.mkdir()
    env = offline_env(pulumi_bin_dir(), root / "home", backend, emulator.info.ca_bundle)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent)  # the floor's provider, for program and provider
    # Python compiles each module once and keeps its bytecode, as it does for a package installed with pip
    # (PYTHONDONTWRITEBYTECODE would make every process compile this checkout's modules again).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(BYTECODE)
    if not checkpoints:
        env["PULUMI_SKIP_CHECKPOINTS"] = "true"
    project = Project(root / name, env, name)
    project.config("bitrix24:webhookUrl", emulator.info.webhook_url, secret=True)
    project.config("bitrix24:clientId", emulator.info.client_id, secret=True)
    project.config("bitrix24:plan", plan)
    return project


def medians(runs: list[list[Any]]) -> list[Any]:
    """Per phase, the median wall time of the runs and the median request count."""
    by_phase = zip(*runs, strict=True)
    return [(statistics.median(t for t, _ in phase), int(statistics.median(r for _, r in phase))) for phase in by_phase]


def unlimited(root: Path, sizes: list[int], repeat: int, phases: int, checkpoints: bool) -> None:
    print(
        f"plan unlimited, median of {repeat}: wall seconds / HTTP requests; ratio = provider / engine floor, "
        "wide = provider / wide floor" + ("" if checkpoints else "; state written once per run, not per step"),
        flush=True,
    )
    columns = ("provider", "engine floor", "wide floor", "plain loop")
    print(f"{'N':>4} {'phase':<10} " + " ".join(f"{c:>16}" for c in columns) + f" {'ratio':>6} {'wide':>6}")
    makes = {"p": provider_program, "f": floor_program, "w": wide_floor_program}
    for n in sizes:
        runs: dict[str, list[list[Any]]] = {key: [] for key in makes}
        for rep in range(repeat):  # interleaved, so that a busy moment of the machine hits every variant
            with Emulator(root / f"portal{n}-{rep}", plan="unlimited") as info:
                emulator = EmulatorControl(info)
                for key, make in makes.items():
                    project = project_for(root, f"{key}{n}-{rep}", emulator, "unlimited", checkpoints)
                    runs[key].append(pulumi_phases(project, emulator, make, n, phases))
                if rep == repeat - 1:
                    plain = plain_loop(emulator, n)
        provider, floor, wide = (medians(runs[key]) for key in makes)
        for phase, p, f, w, q in zip(PHASES, provider, floor, wide, plain, strict=False):
            cells = " ".join(f"{f'{t:.1f} s {r:5d}':>16}" for t, r in (p, f, w, q))
            print(f"{n:>4} {phase:<10} {cells} {p[0] / f[0]:6.2f} {p[0] / w[0]:6.2f}", flush=True)


def paced(root: Path, apps: int, repeat: int) -> None:
    plan = PLANS["standard"]
    print(f"\nplan standard, 1 bot + {apps} apps; bound = (requests - {plan.burst:g}) / {plan.rate:g} per second")
    for rep in range(repeat):
        with Emulator(root / f"paced{rep}", plan="standard") as info:
            emulator = EmulatorControl(info)
            project = project_for(root, f"paced{rep}", emulator, "standard")
            project.program(provider_program(apps, "One"))
            started = time.perf_counter()
            project.up()
            wall = time.perf_counter() - started
            sent = emulator.requests()
            journal = [e for e in emulator.journal("") if e["method"] != "oauth/token"]
            refused = sum(1 for e in journal if e["error"] == "QUERY_LIMIT_EXCEEDED")
            span = journal[-1]["time"] - journal[0]["time"]  # the wall time less Pulumi's start and finish
            bound = max(0.0, (sent - plan.burst) / plan.rate)
            ratio = "within the burst"
            if bound:
                ratio = f"{wall / bound:.2f}x the bound; first to last request {span:.1f} s, {span / bound:.2f}x"
            print(f"  {wall:.1f} s, {sent} requests ({refused} refused); bound {bound:.1f} s; {ratio}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10, 100, 500])
    parser.add_argument("--paced", type=int, nargs="*", default=[100, 500], help="apps on a standard plan")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each variant; medians are shown")
    parser.add_argument("--phases", type=int, default=4, help="2: only create and no change")
    parser.add_argument(
        "--skip-checkpoints", action="store_true", help="plan unlimited runs write the state once, not after each step"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.sizes:
            unlimited(Path(tmp), args.sizes, args.repeat, args.phases, not args.skip_checkpoints)
        for apps in args.paced:
            paced(Path(tmp) / f"paced-{apps}", apps, args.repeat)


if __name__ == "__main__":
    main()
