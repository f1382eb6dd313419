"""Upgrading the package keeps existing stacks unchanged: a state written by an earlier version, imported into a
stack of the same program, previews with no changes and no replacements under this version."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .conftest import ProjectFactory
from .harness import REPO, EmulatorControl

UPGRADE = REPO / "tests" / "upgrade"
FRAME_HASH = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("state", sorted(UPGRADE.glob("*.json")), ids=lambda path: path.stem)
def test_a_stack_written_by_an_earlier_version_previews_no_changes(
    new_project: ProjectFactory, emulator: EmulatorControl, state: Path
) -> None:
    project = new_project(name="upgrade")
    shutil.copytree(UPGRADE / "program", project.root, dirs_exist_ok=True)
    project.config("frameHash", FRAME_HASH, secret=True)
    recorded = json.loads(state.read_text())
    project.cli("stack", "import", stdin=state.read_text())  # recorded as project "upgrade", stack "dev"
    run = project.cli("preview", "--json", "--diff")
    assert run.changes() == {"same": len(recorded["deployment"]["resources"]) - 1}, run.output
    assert "iVBORw0KGgo" not in run.output  # no file content in what a user reads
    assert emulator.journal("") == [] or all(call["method"].startswith("imbot.v2") for call in emulator.journal(""))
