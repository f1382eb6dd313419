"""Writes tests/upgrade/<case>-<label>.json: the state that the installed version of the package leaves after
`pulumi up` of one case's program (cases.py) against a fresh emulator, with the package of a checkout of that
version (its provider/ folder first on the program's and the provider's PYTHONPATH):
`.venv/bin/python -m tests.upgrade.make_state <case> <label> <checkout>/provider`."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from ..e2e.harness import EmulatorControl, offline_env, pulumi_bin_dir
from .cases import CASES, HERE


def main(case_name: str, label: str, package: str) -> None:
    case = CASES[case_name]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with case.emulator(root / "emulator") as emulator:
            (root / "backend").mkdir()
            env = offline_env(pulumi_bin_dir(), root / "home", root / "backend", emulator.info.ca_bundle)
            env["PYTHONPATH"] = package  # the version to record
            project = case.project(root / "project", env)
            case.configure(project, emulator)
            project.up()
            exported = project.export()
            EmulatorControl(emulator.info).assert_no_secrets([exported])
    state = json.loads(exported)
    (HERE / f"{case_name}-{label}.json").write_text(json.dumps(state, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
