"""Benchmark helper (not a test): where the time of a `pulumi up` goes, sampled with py-spy.

Run: .venv/bin/python bench/profile_up.py --apps 500 [--floor | --wide] [--spy PATH/TO/py-spy] [--out DIR]

Creates 1 bot + N chat apps (N+1 do-nothing resources with --floor, the wide floor with --wide) against an
emulator with plan unlimited, then runs `pulumi up` again with nothing changed. With --spy, each phase runs
under `py-spy record --subprocesses`, which samples the program and the dynamic provider server; the collapsed
stacks land in OUT/<phase>.txt, one line per stack with its sample count (read them with bench/stacks.py).
Prints wall time and HTTP requests per phase.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from side_by_side import floor_program, project_for, provider_program, wide_floor_program

from pulumi_bitrix24.emulator import Emulator
from tests.e2e.harness import EmulatorControl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=500)
    parser.add_argument("--floor", action="store_true", help="profile the engine floor instead of the provider")
    parser.add_argument("--wide", action="store_true", help="profile the wide floor instead of the provider")
    parser.add_argument("--spy", help="path of a py-spy binary; without it, only wall time and requests")
    parser.add_argument("--out", default="profiles", help="folder for the collapsed stacks")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    make = wide_floor_program if args.wide else floor_program if args.floor else provider_program
    with tempfile.TemporaryDirectory() as tmp, Emulator(Path(tmp) / "portal", plan="unlimited") as info:
        emulator = EmulatorControl(info)
        project = project_for(Path(tmp), "profiled", emulator, "unlimited")
        project.program(make(args.apps, "One"))
        for phase in ("create", "nochange"):
            emulator.clear_journal()
            command = ["up", "--yes", "--skip-preview", "--json"]
            started = time.perf_counter()
            if args.spy:
                spied = [args.spy, "record", "--subprocesses", "--rate", "200", "--format", "raw"]
                spied += ["--output", str(out / f"{phase}.txt"), "--", "pulumi", "--non-interactive", *command]
                run = subprocess.run(spied, cwd=project.root, env=project.env, capture_output=True, text=True)
                if run.returncode != 0:
                    raise SystemExit(f"{phase} failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
            else:
                project.cli(*command)
            print(f"{phase}: {time.perf_counter() - started:.1f} s, {emulator.requests()} requests", flush=True)


if __name__ == "__main__":
    main()
