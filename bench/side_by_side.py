"""Benchmark (not a test): the provider next to the engine floor and a plain requests loop, in one run.

Run: .venv/bin/python bench/side_by_side.py [--sizes 10 100 500] [--paced 100 500] [--repeat 3] [--phases 2]
                                            [--skip-checkpoints] [--plugin 500] [--distant 100]

For each N of --sizes, with plan unlimited everywhere: `pulumi up` of 1 bot + N chat apps (create, no change,
update all, destroy; --phases 2 stops after no change) with the provider; the same number of dynamic resources
that do nothing (the engine floor); as many do-nothing resources of a ChatApp's shape, the same inputs and
outputs (the wide floor); and the same REST work as a plain loop of `requests` calls. Each variant runs
--repeat times, interleaved, and the medians are shown. Then, for each N of --paced, the provider's create of
1 bot + N apps against a standard-plan emulator, with the bucket bound of the requests it sent: the least time
a standard-plan portal (a burst of 50, then 2 a second) lets them take. Prints wall time, HTTP requests, and
the ratios provider / floor, provider / wide floor, wall / bound and (first to last request) / bound: the wall
time also holds Pulumi's start (program, provider process, the bot's create) and finish, which no pacing can cut.

--plugin N: 1 bot + N apps from a generated YAML program through the plugin at `pulumi up --parallel 64` and at
Pulumi's default, beside the dynamic front end and the plugin floor (bench/floor_plugin.py) at both, create and
no change, each on a fresh portal of --plugin-plan. --distant N: the create of 1 bot + N apps on a portal with a
latency model (--round-trip, --call-seconds), through the plugin, the dynamic front end and a plain sequential
loop of register + update per app.
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

from floor_plugin import write_executable

from pulumi_bitrix24._ratelimit import PLANS
from pulumi_bitrix24.emulator import Emulator, Latency
from tests.e2e.harness import VENV, EmulatorControl, Project, offline_env, pulumi_bin_dir
from tests.e2e.plugin_harness import yaml_host_dir

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


def yaml_program(package: str, plugin_dir: Path) -> Callable[[int, str], str]:
    """1 bot + N chat apps as a Pulumi YAML program of `package` (bitrix24, or the do-nothing floor)."""

    def make(apps: int, title: str) -> str:
        app = (
            "  app{i}:\n    type: {p}:index:ChatApp\n    properties:\n      botId: ${{bot.botId}}\n"
            "      code: app{i}\n      jsMethod: SEND\n      jsParam: /help\n"
            "      translations:\n        - languageId: en\n          title: {t}\n"
        )
        return (
            f"name: yaml\nruntime: yaml\nplugins:\n  providers:\n    - name: {package}\n      path: {plugin_dir}\n"
            f"resources:\n  bot:\n    type: {package}:index:Bot\n    properties:\n      code: bench\n"
            "      eventHandler: https://example.com/h\n      properties:\n        name: Bench\n"
            + "".join(app.format(i=i, p=package, t=title) for i in range(apps))
        )

    return make


class YamlProject(Project):
    """A YAML project: `program` writes its Pulumi.yaml; `up` runs at the given --parallel (0: Pulumi's default)."""

    def __init__(self, root: Path, env: dict[str, str], parallel: int) -> None:
        root.mkdir(parents=True)
        (root / "Pulumi.yaml").write_text("name: yaml\nruntime: yaml\n")
        self.root, self.env, self.parallel = root, env, parallel
        self.cli("stack", "init", "dev")

    def program(self, source: str) -> None:
        (self.root / "Pulumi.yaml").write_text(source)

    def up(self, check: bool = True) -> Any:
        parallel = ["--parallel", str(self.parallel)] if self.parallel else []
        return self.cli("up", "--yes", "--skip-preview", "--json", *parallel, check=check)


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


def rest_caller(emulator: EmulatorControl) -> Callable[..., Any]:
    """A plain REST call on the emulator's default webhook, one `requests` POST each."""
    session = requests.Session()
    url, client_id = emulator.info.webhook_url, emulator.info.client_id

    def call(method: str, **params: Any) -> Any:
        body = {"CLIENT_ID": client_id, **params}
        answer = session.post(f"{url}{method}.json", json=body, verify=emulator.info.ca_bundle, timeout=30).json()
        return answer["result"]

    return call


def app_fields(title: str) -> dict[str, Any]:
    return {"JS_METHOD": "SEND", "JS_PARAM": "/help", "LANG": [{"LANGUAGE_ID": "en", "TITLE": title}]}


def converging_loop(emulator: EmulatorControl, apps: int) -> list[Any]:
    """The provider's create as a plain sequential loop: a bot, then register + update per app, no batch."""
    call = rest_caller(emulator)
    emulator.clear_journal()
    started = time.perf_counter()
    bot = call("imbot.register", CODE="plain", EVENT_HANDLER="https://example.com/h", PROPERTIES={"NAME": "P"})
    for i in range(apps):
        app_id = call("imbot.app.register", BOT_ID=bot, CODE=f"app{i}", **app_fields("One"))
        call("imbot.app.update", APP_ID=app_id, FIELDS=app_fields("One"))
    return [(time.perf_counter() - started, emulator.requests())]


def plain_loop(emulator: EmulatorControl, apps: int) -> list[Any]:
    """The same REST work as sequential `requests` calls (what a hand-written script would do)."""
    call = rest_caller(emulator)
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


def project_for(
    root: Path, name: str, emulator: EmulatorControl, plan: str, checkpoints: bool = True, parallel: int | None = None
) -> Project:
    """A project on the emulator; checkpoints=False has Pulumi write the state once at the end of a run instead
    of after every step (PULUMI_SKIP_CHECKPOINTS, experimental), to show what those writes cost. `parallel`
    makes it a YAML project run at that --parallel (0: Pulumi's default)."""
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
    if parallel is not None:
        env["PATH"] = f"{yaml_host_dir()}:{env['PATH']}"
    project = Project(root / name, env, name) if parallel is None else YamlProject(root / name, env, parallel)
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


PLUGIN_VARIANTS = ("plugin -p64", "plugin default", "dynamic", "floor -p64", "floor default")


def plugin_variant(root: Path, name: str, variant: str, emulator: EmulatorControl, plan: str) -> tuple[Project, Any]:
    """A project of one variant: the plugin or the plugin floor from YAML at --parallel 64 or Pulumi's default, or
    the dynamic front end from Python; and the program it runs."""
    if variant == "dynamic":
        return project_for(root, name, emulator, plan), provider_program
    parallel = 64 if variant.endswith("-p64") else 0
    package, folder = ("bitrix24", VENV / "bin") if variant.startswith("plugin") else ("floor", root / "floor")
    return project_for(root, name, emulator, plan, parallel=parallel), yaml_program(package, folder)


def plugin_section(root: Path, sizes: list[int], repeat: int, plan: str) -> None:
    """The plugin beside the dynamic front end and the plugin floor: create and no change of 1 bot + N apps."""
    write_executable(root / "floor")
    print(f"\nplan {plan}, median of {repeat}: wall seconds / HTTP requests; ratio = plugin / floor at the same "
          "--parallel", flush=True)  # fmt: skip
    print(f"{'N':>4} {'phase':<10} " + " ".join(f"{c:>16}" for c in PLUGIN_VARIANTS) + "  ratios p64, default")
    for n in sizes:
        runs: dict[str, list[list[Any]]] = {v: [] for v in PLUGIN_VARIANTS}
        for rep in range(repeat):
            for k, variant in enumerate(PLUGIN_VARIANTS):  # a fresh portal each: its rate limit unspent
                with Emulator(root / f"portal-{n}-{rep}-{k}", plan=plan) as info:
                    emulator = EmulatorControl(info)
                    project, make = plugin_variant(root, f"v{n}-{rep}-{k}", variant, emulator, plan)
                    runs[variant].append(pulumi_phases(project, emulator, make, n, 2))
        figures = [medians(runs[v]) for v in PLUGIN_VARIANTS]
        for i, phase in enumerate(PHASES[:2]):
            row = [f[i] for f in figures]
            cells = " ".join(f"{f'{t:.1f} s {r:5d}':>16}" for t, r in row)
            print(f"{n:>4} {phase:<10} {cells}  {row[0][0] / row[3][0]:5.2f} {row[1][0] / row[4][0]:5.2f}", flush=True)


def distant(root: Path, apps: int, repeat: int, latency: Latency) -> None:
    """Creates of 1 bot + N apps against a distant portal (plan unlimited): the plugin, the dynamic front end, and a
    plain sequential loop of register + update per app."""
    print(f"\ndistant portal: {latency.round_trip * 1000:g} ms a request + {latency.call_seconds * 1000:g} ms a call, "
          f"plan unlimited; 1 bot + {apps} apps created, median of {repeat}: wall seconds / HTTP requests")  # fmt: skip
    variants = ("plugin -p64", "plugin default", "dynamic", "plain loop")
    runs: dict[str, list[list[Any]]] = {v: [] for v in variants}
    for rep in range(repeat):
        for k, variant in enumerate(variants):
            with Emulator(root / f"distant-{rep}-{k}", plan="unlimited", latency=latency) as info:
                emulator = EmulatorControl(info)
                if variant == "plain loop":
                    runs[variant].append(converging_loop(emulator, apps))
                    continue
                project, make = plugin_variant(root, f"d{rep}-{k}", variant, emulator, "unlimited")
                runs[variant].append(pulumi_phases(project, emulator, make, apps, 1))
    plain = medians(runs["plain loop"])[0][0]
    for variant in variants:
        t, r = medians(runs[variant])[0]
        print(f"  {variant:<15} {t:6.1f} s {r:5d} requests  {t / plain:5.2f}x the plain loop", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10, 100, 500])
    parser.add_argument("--paced", type=int, nargs="*", default=[100, 500], help="apps on a standard plan")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each variant; medians are shown")
    parser.add_argument("--phases", type=int, default=4, help="2: only create and no change")
    parser.add_argument(
        "--skip-checkpoints", action="store_true", help="plan unlimited runs write the state once, not after each step"
    )
    parser.add_argument("--plugin", type=int, nargs="*", default=[], help="apps: plugin beside dynamic, 2 phases")
    parser.add_argument("--plugin-plan", default="standard", help="the plan of the --plugin runs")
    parser.add_argument("--distant", type=int, nargs="*", default=[], help="apps created on a distant portal")
    parser.add_argument("--round-trip", type=float, default=0.08, help="the distant portal's seconds a request")
    parser.add_argument("--call-seconds", type=float, default=0.02, help="the distant portal's seconds a call")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.plugin:
            plugin_section(Path(tmp) / "plugin", args.plugin, args.repeat, args.plugin_plan)
        for apps in args.distant:
            distant(Path(tmp) / f"distant-{apps}", apps, args.repeat, Latency(args.round_trip, args.call_seconds))
        if args.sizes:
            unlimited(Path(tmp), args.sizes, args.repeat, args.phases, not args.skip_checkpoints)
        for apps in args.paced:
            paced(Path(tmp) / f"paced-{apps}", apps, args.repeat)


if __name__ == "__main__":
    main()
