"""The Automation API example (examples/automation/up.py), inline and local, run by the virtualenv's python
without the virtualenv on PATH, as a script of a project that never activates it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from .harness import REPO, VENV, EmulatorControl, offline_env

EXAMPLE = REPO / "examples" / "automation"


def run_example(emulator: EmulatorControl, pulumi_bin: Path, home: Path, tmp: Path, *args: str) -> dict[str, object]:
    """Run up.py with the venv's python, PATH holding the Pulumi CLI but not the venv; its outputs."""
    env = offline_env(pulumi_bin, home, tmp / "backend", emulator.info.ca_bundle)
    env["PATH"] = os.pathsep.join([str(pulumi_bin), "/usr/bin", "/bin"])
    env.pop("VIRTUAL_ENV", None)
    env.update(BITRIX24_WEBHOOK_URL=emulator.info.webhook_url, BITRIX24_CLIENT_ID=emulator.info.client_id)
    (tmp / "backend").mkdir(exist_ok=True)
    command = [str(VENV / "bin" / "python"), str(EXAMPLE / "up.py"), *args]
    proc = subprocess.run(command, cwd=tmp, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    emulator.assert_no_secrets([proc.stdout, proc.stderr])
    return dict(json.loads(proc.stdout.splitlines()[-1]))


@pytest.mark.parametrize("form", ["inline", "local"])
def test_the_automation_example_creates_the_bot(
    form: str, emulator: EmulatorControl, pulumi_bin: Path, pulumi_home: Path, tmp_path: Path
) -> None:
    stack = f"automation-{form}-{os.getpid()}"
    try:
        outputs = run_example(emulator, pulumi_bin, pulumi_home, tmp_path, stack, *(["--local"] * (form == "local")))
    finally:
        (EXAMPLE / f"Pulumi.{stack}.yaml").unlink(missing_ok=True)  # the local form's stack settings
    bots = emulator.state()["bots"]
    assert [(bot["CODE"], int(bot["ID"])) for bot in bots] == [("support", outputs["bot_id"])]


def test_the_readme_shows_the_tested_script() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Driving it from Python (Automation API)\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert block == (EXAMPLE / "up.py").read_text()
