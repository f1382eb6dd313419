"""Programs under Pulumi's unit-test mocks: the README's example and the cases beside it, each in its own process
(mocks are process-wide)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_pytest(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:cacheprovider", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_readme_example_passes_under_pulumis_documented_mocks() -> None:
    run = run_pytest("test_support_bot.py", cwd=REPO / "examples" / "unit-tests")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout


def test_ids_outputs_and_rules_under_mocks() -> None:
    run = run_pytest(str(Path(__file__).with_name("mocked_program_cases.py")), cwd=REPO)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "10 passed" in run.stdout


def test_the_readme_shows_the_example_as_tested() -> None:
    readme = (REPO / "README.md").read_text()
    assert (REPO / "examples" / "unit-tests" / "test_support_bot.py").read_text() in readme
