"""The generated SDKs (scripts/gen-sdk): the committed ones match the plugin's schema, the Go SDK and Go quickstart
build and vet, and the TypeScript quickstart type-checks while a wrong program fails naming what is wrong."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from .harness import REPO, TS_EXAMPLE

SDK = REPO / "sdk"
FRAME_TRANSLATION = '{ languageId: "en", title: "Helper", description: "Open the helper", copyright: "Example Ltd" }'
BUILD_OUTPUTS = ("node_modules", "bin")
"""What npm's postinstall of a local nodejs SDK leaves beside its sources (its own .gitignore lists them)."""


def tree(root: Path) -> dict[str, bytes]:
    """Every file under root by relative path, without build outputs."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not set(p.relative_to(root).parts) & set(BUILD_OUTPUTS)
    }


def test_the_committed_sdks_are_what_the_schema_generates(tmp_path: Path, pulumi_bin: Path) -> None:
    env = {**os.environ, "PULUMI_BIN": str(pulumi_bin)}
    subprocess.run([str(REPO / "scripts" / "gen-sdk"), str(tmp_path)], check=True, env=env, capture_output=True)
    for language in ("nodejs", "go"):
        fresh, committed = tree(tmp_path / language), tree(SDK / language)
        assert sorted(fresh) == sorted(committed), f"sdk/{language}: files differ; run scripts/gen-sdk"
        stale = [name for name in fresh if fresh[name] != committed[name]]
        assert not stale, f"sdk/{language}: {stale} differ from the schema's SDK; run scripts/gen-sdk"


def go(folder: Path, *args: str) -> None:
    """Runs a go command in folder; go.mod and go.sum must already be complete (-mod=readonly)."""
    env = {**os.environ, "GOFLAGS": "-mod=readonly"}
    run = subprocess.run(["go", *args], cwd=folder, env=env, capture_output=True, text=True)
    assert run.returncode == 0, f"go {' '.join(args)} in {folder}:\n{run.stderr}"


@pytest.mark.parametrize("folder", ["sdk/go/bitrix24", "examples/go-quickstart"])
def test_go_sdk_and_quickstart_build_and_vet(folder: str) -> None:
    go(REPO / folder, "build", "-o", os.devnull, "./...")
    go(REPO / folder, "vet", "./...")


def tsc(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The example's pinned `tsc --strict --noEmit`, run in folder."""
    command = [str(TS_EXAMPLE / "node_modules" / ".bin" / "tsc"), "--strict", "--noEmit", "--pretty", "false", *args]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True)


def test_the_typescript_quickstart_type_checks(ts_packages: Path) -> None:
    run = tsc(TS_EXAMPLE)  # with the example's tsconfig.json, as a user runs it
    assert run.returncode == 0, run.stdout + run.stderr


def test_a_wrong_typescript_program_fails_naming_each_property(tmp_path: Path, ts_packages: Path) -> None:
    program = (TS_EXAMPLE / "index.ts").read_text()
    edits = [
        ("color: bitrix24.BotPropertiesColor.AQUA", 'color: "purple"'),
        ('jsMethod: "SEND"', 'jsMethod: "send"'),
        (f"    translations: [{FRAME_TRANSLATION}],\n", ""),
    ]
    for old, new in edits:
        assert program.count(old) == 1, old
        program = program.replace(old, new)
    (tmp_path / "node_modules").symlink_to(ts_packages)
    (tmp_path / "index.ts").write_text(program)
    # Only this program is of interest: --skipLibCheck leaves out the packages' declarations (10 s on 2 cores).
    run = tsc(
        tmp_path,
        "--skipLibCheck",
        "--target",
        "es2020",
        "--module",
        "commonjs",
        "--moduleResolution",
        "node",
        "index.ts",
    )
    assert run.returncode != 0
    lines = program.splitlines()
    # An error names its line and column, and may go on over indented lines.
    found = re.findall(r"^index\.ts\((\d+),\d+\): error (.*(?:\n .*)*)", run.stdout, re.M)
    errors = {lines[int(line) - 1].strip(): message for line, message in found}
    color = errors['properties: { name: "Helper", color: "purple", workPosition: "Answers /help" },']
    assert "BotPropertiesColor" in color and "Did you mean '\"PURPLE\"'" in color
    method = errors['jsMethod: "send",']
    assert "ChatAppJsMethod" in method and "Did you mean '\"SEND\"'" in method
    assert "Property 'translations' is missing" in errors['const helperFrame = new bitrix24.ChatApp("helperFrame", {']
    assert len(errors) == 3, run.stdout
