"""The main job exactly as the README gives it: `make demo`, twice, on a fresh state folder."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from .harness import REPO


def run_demo(state: Path, stack: str, bin_dir: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "BITRIX24_", "REQUESTS_CA"))}
    env.update(DEMO_STATE_DIR=str(state), DEMO_STACK=stack, PATH=f"{bin_dir}{os.pathsep}{env['PATH']}")
    proc = subprocess.run(["make", "demo"], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    return output


def test_make_demo_creates_the_quickstart_then_changes_nothing(tmp_path: Path, pulumi_bin: Path) -> None:
    stack = f"demo-e2e-{os.getpid()}"
    try:
        first = run_demo(tmp_path / "state", stack, pulumi_bin)
        assert "local Bitrix24 emulator" in first and "+ 5 created" in first
        for output in ("bot_id", "help_command_id", "help_button_app_id", "helper_frame_app_id"):
            assert output in first
        second = run_demo(tmp_path / "state", stack, pulumi_bin)
        assert "5 unchanged" in second
        assert "created" not in second and "updated" not in second and "replaced" not in second
    finally:
        (REPO / f"Pulumi.{stack}.yaml").unlink(missing_ok=True)
