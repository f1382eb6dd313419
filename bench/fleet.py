"""Benchmark (not a test): `pulumi up` of examples/fleet for 1, 10 and 30 portals on standard-plan emulators.

Run: .venv/bin/python bench/fleet.py [--portals 1 10 30]

One emulator process serves every portal, each with its own standard-plan rate limit. For each fleet size the
example is created from scratch, then run again with no change. Prints wall time, HTTP requests in all and per
portal, and the rate-limit bound: the time a single standard-plan portal would need for all of the fleet's
requests, which a fleet run would approach if portals were paced together instead of independently.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pulumi_bitrix24._ratelimit import PLANS
from pulumi_bitrix24.emulator import Emulator
from tests.e2e.harness import REPO, EmulatorControl, Project, offline_env, pulumi_bin_dir


def bucket_bound(requests: int, plan: str = "standard") -> float:
    """Seconds one portal of `plan` needs for `requests` requests: the burst is free, the rest drain."""
    limit = PLANS[plan]
    return max(0.0, (requests - limit.burst) / limit.rate)


def run(portals: int, root: Path) -> dict[str, float]:
    names = tuple(f"p{i:02d}" for i in range(portals))
    emulator = Emulator(root / "emulator", plan="standard", portals=names)
    emulator.start()
    try:
        env = offline_env(pulumi_bin_dir(), root / "home", root / "backend", emulator.info.ca_bundle)
        (root / "backend").mkdir()
        project = Project(root / "fleet", env, "fleet", main=REPO / "examples" / "fleet")
        config = {
            name: {"webhookUrl": info.webhook_url, "clientId": info.client_id}
            for name, info in emulator.portals.items()
        }
        project.config("bitrix24:portals", json.dumps(config), secret=True)  # on stdin: no secret in argv
        controls = [EmulatorControl(info) for info in emulator.portals.values()]
        figures: dict[str, float] = {}
        for phase in ("create", "no change"):
            for control in controls:
                control.clear_journal()
            started = time.perf_counter()
            project.up()
            figures[f"{phase} s"] = time.perf_counter() - started
            per_portal = [control.requests() for control in controls]
            figures[f"{phase} requests"] = sum(per_portal)
            figures[f"{phase} max/portal"] = max(per_portal)
            figures[f"{phase} median/portal"] = statistics.median(per_portal)
        figures["one-portal bound s"] = bucket_bound(int(figures["create requests"]))
        return figures
    finally:
        emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--portals", type=int, nargs="+", default=[1, 10, 30])
    args = parser.parse_args()
    rows = []
    for portals in args.portals:
        with tempfile.TemporaryDirectory() as folder:
            rows.append((portals, run(portals, Path(folder))))
    columns = list(rows[0][1])
    print(f"{'portals':>8} " + " ".join(f"{c:>20}" for c in columns))
    for portals, figures in rows:
        print(f"{portals:>8} " + " ".join(f"{figures[c]:>20.1f}" for c in columns))
    base = rows[0][1]["create s"]
    for portals, figures in rows[1:]:
        print(f"create with {portals} portals took {figures['create s'] / base:.2f}x the time of {rows[0][0]}")


if __name__ == "__main__":
    main()
