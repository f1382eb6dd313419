"""The test kit for users' programs (pulumi_bitrix24.testing, examples/testing, as the README prints it) and the
CI recipe's script (examples/ci/ci.sh) against the emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from pulumi import automation as auto

from pulumi_bitrix24 import Bot, BotArgs, BotProperties
from pulumi_bitrix24.testing import (
    Bitrix24Portal,
    Bitrix24Stack,
    assert_converges,
    assert_no_changes,
    assert_no_drift,
)

from .harness import REPO, VENV, EmulatorControl, offline_env
from .plugin_harness import yaml_host_dir

EXAMPLE = REPO / "examples" / "testing"
CI = REPO / "examples" / "ci"


def readme_section(title: str) -> str:
    return (REPO / "README.md").read_text().split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_readme_example_catches_drift_and_a_refused_call(pulumi_bin: Path) -> None:
    """pytest on the example folder, as a user runs it: the plugin is found through its entry point."""
    env = {**os.environ, "PULUMI_BIN": str(pulumi_bin)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:cacheprovider"]
    run = subprocess.run(command, cwd=EXAMPLE, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout


def test_the_readme_shows_the_tested_example() -> None:
    section = readme_section("Testing your program")
    blocks = [block.split("```", 1)[0] for block in section.split("```python\n")[1:]]
    assert blocks == [(EXAMPLE / "test_support_bots.py").read_text()]


def test_the_kit_runs_a_yaml_program_through_the_plugin(
    bitrix24_stack: Callable[..., Bitrix24Stack],
    bitrix24_portal: Bitrix24Portal,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", f"{yaml_host_dir()}{os.pathsep}{os.environ['PATH']}")  # as the official install has it
    frame_hash = auto.ConfigValue("0123456789abcdef0123456789abcdef", secret=True)
    stack = bitrix24_stack(REPO / "examples" / "yaml-quickstart", config={"frameHash": frame_hash})
    stack.up()
    assert_no_changes(stack)
    [bot] = bitrix24_portal.bots()
    bitrix24_portal.rename_bot(bot["ID"], "Renamed by hand")
    with pytest.raises(
        AssertionError, match=r"^refresh found drift: update helperBot \(bitrix24:index:Bot\): properties\.name$"
    ):
        assert_no_drift(stack)
    stack.destroy()
    assert bitrix24_portal.objects() == set()


def inline_program(properties: BotProperties) -> Callable[[], None]:
    """A program of one bot, as a function for the Automation API."""
    return lambda: Bot(
        "inline-bot", BotArgs(code="inline", event_handler="https://example.com/e", properties=properties)
    )


def test_the_kit_runs_inline_programs_and_names_a_refused_one_and_a_planned_change(
    bitrix24_stack: Callable[..., Bitrix24Stack], bitrix24_portal: Bitrix24Portal
) -> None:
    broken = bitrix24_stack(inline_program(BotProperties()))
    with pytest.raises(
        AssertionError, match=r"^up failed: inline-bot: .* has a problem: name or last_name is required$"
    ):
        assert_converges(broken)
    stack = bitrix24_stack(inline_program(BotProperties(name="Inline")))
    stack.up()
    [bot] = bitrix24_portal.bots()
    assert bot["CODE"] == "inline"
    bitrix24_portal.call("imbot.unregister", BOT_ID=bot["ID"])  # deleted by hand: a refresh drops it
    stack.refresh()
    with pytest.raises(
        AssertionError, match=r"^preview is not empty: create inline-bot \(bitrix24:Bot\): adopt, code, event_handler, "
    ):
        assert_no_changes(stack)
    app = bitrix24_portal.oauth_app()  # an OAuth app whose tokens the portal takes
    assert bitrix24_portal.call("app.info", access_token=app["access_token"])["result"]["CODE"]


def ci_script(command: str, emulator: EmulatorControl, pulumi_bin: Path, tmp: Path) -> subprocess.CompletedProcess[str]:
    """examples/ci/ci.sh `command` on stack "ci" of the example program, with the portal in the environment as
    the workflow gives it from the CI's secrets."""
    project = tmp / "project"
    if not project.exists():
        project.mkdir()
        (tmp / "backend").mkdir()
        (project / "Pulumi.yaml").write_text(
            f"name: support-bots\nruntime:\n  name: python\n  options:\n    virtualenv: {VENV}\nmain: {EXAMPLE}\n"
        )
        (project / "Pulumi.ci.yaml").write_text("config:\n  support-bots:handlerUrl: https://example.com/events\n")
    env = offline_env(pulumi_bin, tmp / "home", tmp / "backend", emulator.info.ca_bundle)
    env.update(
        PROJECT_DIR=str(project),
        STACK="ci",
        BITRIX24_WEBHOOK_URL=emulator.info.webhook_url,
        BITRIX24_CLIENT_ID=emulator.info.client_id,
    )
    return subprocess.run([str(CI / "ci.sh"), command], env=env, capture_output=True, text=True, timeout=300)


def test_the_ci_script_previews_deploys_and_fails_on_drift_naming_the_resource(
    emulator: EmulatorControl, pulumi_bin: Path, tmp_path: Path
) -> None:
    preview = ci_script("preview", emulator, pulumi_bin, tmp_path)
    assert preview.returncode == 0, preview.stdout + preview.stderr
    assert "+ 3 to create" in preview.stdout and emulator.state()["bots"] == []
    up = ci_script("up", emulator, pulumi_bin, tmp_path)
    assert up.returncode == 0, up.stdout + up.stderr
    [bot] = emulator.state()["bots"]
    assert ci_script("drift", emulator, pulumi_bin, tmp_path).returncode == 0

    emulator.call("imbot.update", BOT_ID=bot["ID"], FIELDS={"PROPERTIES": {"NAME": "Renamed by hand"}})
    drift = ci_script("drift", emulator, pulumi_bin, tmp_path)
    assert drift.returncode == 1
    update = drift.stdout.split("~ pulumi-python:dynamic/bitrix24:Bot: (update)\n", 1)[1]
    assert (
        update.split("\n")[1].strip()
        == "[urn=urn:pulumi:ci::support-bots::pulumi-python:dynamic/bitrix24:Bot::support-bot]"
    )
    assert '~ name: "Renamed by hand" => "Support"' in update and "~ 1 to update" in update
    assert "::error title=Bitrix24 drift::the portal differs from stack ci" in drift.stdout
    emulator.assert_no_secrets([preview.stdout, up.stdout, drift.stdout, drift.stderr])


def actionlint() -> Path:
    """actionlint: in $ACTIONLINT_BIN (set by scripts/test), else built by scripts/install-actionlint."""
    folder = os.environ.get("ACTIONLINT_BIN")
    if not folder:
        out = subprocess.run([str(REPO / "scripts" / "install-actionlint")], check=True, capture_output=True, text=True)
        folder = out.stdout.strip().splitlines()[-1]
    return Path(folder) / "actionlint"


def test_the_workflow_passes_actionlint_which_finds_a_mistake() -> None:
    workflow = (CI / "bitrix24.yml").read_text()
    clean = subprocess.run([str(actionlint()), "-"], input=workflow, capture_output=True, text=True, timeout=60)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    broken = workflow.replace("github.event_name == 'schedule'", "github.event_nam == 'schedule'")
    lint = subprocess.run([str(actionlint()), "-"], input=broken, capture_output=True, text=True, timeout=60)
    assert lint.returncode == 1 and 'property "event_nam" is not defined' in lint.stdout, lint.stdout
