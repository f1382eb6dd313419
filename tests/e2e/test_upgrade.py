"""Upgrading the package keeps existing stacks unchanged: a state written by an earlier version (tests/upgrade),
imported into a stack of the same program, previews with no changes and no replacements under this version."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..upgrade.cases import CASES, HERE
from .harness import EmulatorControl, offline_env


@pytest.mark.parametrize("state", sorted(HERE.glob("*.json")), ids=lambda path: path.stem)
def test_a_stack_written_by_an_earlier_version_previews_no_changes(
    tmp_path: Path, pulumi_bin: Path, pulumi_home: Path, state: Path
) -> None:
    case = CASES[state.stem.split("-", 1)[0]]
    with case.emulator(tmp_path / "emulator") as emulator:
        (tmp_path / "backend").mkdir()
        project = case.project(
            tmp_path / "project", offline_env(pulumi_bin, pulumi_home, tmp_path / "backend", emulator.info.ca_bundle)
        )
        case.configure(project, emulator)
        project.cli("stack", "import", stdin=state.read_text())
        run = project.cli("preview", "--json", "--diff")
        resources = [r for r in project.resources() if r["type"] != "pulumi:providers:pulumi-python"]
        assert run.changes() == {"same": len(resources)}, run.output
        assert "iVBORw0KGgo" not in run.output  # no file content in what a user reads
        reads = {call["method"] for call in EmulatorControl(emulator.info).journal("")}
        assert reads <= {"imbot.v2.Bot.get", "placement.get"}, reads  # a preview sends no change
