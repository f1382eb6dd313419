"""The TypeScript quickstart (examples/typescript-quickstart) on the generated nodejs SDK, through the real CLI, the
stand-in Node.js language host (scripts/install-nodejs-host) and the plugin, against the emulator."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .harness import REPO, TS_EXAMPLE, VENV, EmulatorControl, Project, offline_env, portal_ids
from .plugin_harness import HASH, PLUGIN_PATH, assert_state_matches_portal, by_type


@pytest.fixture(scope="session")
def node_host() -> Path:
    out = subprocess.run([str(REPO / "scripts" / "install-nodejs-host")], check=True, capture_output=True, text=True)
    return Path(out.stdout.strip().splitlines()[-1])


class TypeScriptProject(Project):
    """A copy of the TypeScript example (its installed packages linked, not copied), with one stack."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        shutil.copytree(TS_EXAMPLE, root, ignore=shutil.ignore_patterns("node_modules", "bin"))
        (root / "node_modules").symlink_to(TS_EXAMPLE / "node_modules")
        program = (root / "Pulumi.yaml").read_text()
        assert PLUGIN_PATH in program
        (root / "Pulumi.yaml").write_text(program.replace(PLUGIN_PATH, f"path: {VENV / 'bin'}"))
        self.root, self.env = root, env
        self.cli("stack", "init", "dev")


@pytest.fixture
def ts_project(
    tmp_path: Path, pulumi_bin: Path, pulumi_home: Path, node_host: Path, ts_packages: Path, emulator: EmulatorControl
) -> TypeScriptProject:
    env = offline_env(pulumi_bin, pulumi_home, tmp_path / "backend", emulator.info.ca_bundle)
    env["PATH"] = f"{node_host}{os.pathsep}{env['PATH']}"
    env["PULUMI_NODEJS_TRANSPILE_ONLY"] = "true"  # tests/e2e/test_sdks.py type-checks it; this runs it
    (tmp_path / "backend").mkdir()
    project = TypeScriptProject(tmp_path / "ts", env)
    for key, value in [
        ("bitrix24:webhookUrl", emulator.info.webhook_url),
        ("bitrix24:clientId", emulator.info.client_id),
        ("frameHash", HASH),
        ("otherWebhookUrl", emulator.info.webhook_url),  # the explicit provider: the same portal, for the test
        ("otherClientId", emulator.info.client_id),
    ]:
        project.config(key, value, secret=True)
    widget_app = emulator.oauth_app()  # the widget's explicit provider: an OAuth app of an administrator
    project.config("widgetPortalUrl", widget_app["portal_url"])
    project.config("widgetAccessToken", widget_app["access_token"], secret=True)
    return project


def test_typescript_quickstart_preview_up_refresh_destroy(ts_project: Project, emulator: EmulatorControl) -> None:
    project = ts_project
    assert project.preview().changes() == {"create": 9}  # 7 resources and the two explicit providers
    assert emulator.writes("") == []

    assert project.up().changes() == {"create": 9}
    assert_state_matches_portal(project, emulator)
    outputs = project.outputs()
    assert outputs["helperName"] == "Helper"  # getBot
    assert outputs["announcerBotId"] in [b["ID"] for b in emulator.state()["bots"]]
    assert outputs["helpWidgetId"] == "IM_TEXTAREA https://widgets.example.com/help"
    assert [(w["PLACEMENT"], w["HANDLER"]) for w in emulator.state()["placements"]] == [
        ("IM_TEXTAREA", "https://widgets.example.com/help")
    ]
    exported = project.export()
    assert HASH not in exported and emulator.info.client_id not in exported

    emulator.clear_journal()
    assert project.up().changes() == {"same": 9}
    assert emulator.writes("") == []

    emulator.call("imbot.update", BOT_ID=outputs["botId"], FIELDS={"PROPERTIES": {"NAME": "Renamed by hand"}})
    assert project.cli("refresh", "--yes", "--json").changes() == {"update": 1, "same": 8}
    assert {b["properties"]["name"] for b in by_type(project, "Bot")} == {"Renamed by hand", "Announcer"}
    assert_state_matches_portal(project, emulator)
    assert project.up().changes() == {"update": 1, "same": 8}
    assert {b["PROPERTIES"]["NAME"] for b in emulator.state()["bots"]} == {"Helper", "Announcer"}  # the program's

    assert project.destroy().changes() == {"delete": 9}
    assert portal_ids(emulator) == {"bots": [], "apps": [], "commands": []}
    assert emulator.state()["placements"] == []
