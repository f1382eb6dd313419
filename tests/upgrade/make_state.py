"""Writes tests/upgrade/<name>.json: the state that the installed version of the package leaves after `pulumi up`
of tests/upgrade/program against a fresh emulator. Run it with the version to record on PYTHONPATH, e.g. a
checkout of a release: `PYTHONPATH=<checkout>/provider .venv/bin/python tests/upgrade/make_state.py <name>`."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

from pulumi_bitrix24.emulator import Emulator

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.e2e.harness import EmulatorControl, Project, offline_env, pulumi_bin_dir

HERE = Path(__file__).resolve().parent
FRAME_HASH = "0123456789abcdef0123456789abcdef"
PASSPHRASE = "e2e-passphrase"


def main(name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp, Emulator(Path(tmp) / "emulator", plan="unlimited") as info:
        root = Path(tmp)
        (root / "backend").mkdir()
        env = offline_env(pulumi_bin_dir(), root / "home", root / "backend", info.ca_bundle)
        env["PYTHONPATH"] = ":".join(p for p in sys.path if p.endswith("/provider"))
        project = Project(root / "project", env, "upgrade")
        shutil.copytree(HERE / "program", project.root, dirs_exist_ok=True)
        project.config("bitrix24:webhookUrl", info.webhook_url, secret=True)
        project.config("bitrix24:clientId", info.client_id, secret=True)
        project.config("frameHash", FRAME_HASH, secret=True)
        project.up()
        EmulatorControl(info).assert_no_secrets([project.export()])
        state = json.loads(project.export())
        (HERE / f"{name}.json").write_text(json.dumps(state, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
