"""Helpers of the provider plugin's tests: YAML projects of the examples, and the stack beside the portal."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .harness import REPO, VENV, EmulatorControl, Project, portal_ids, stack_ids

EXAMPLE = REPO / "examples" / "yaml-quickstart"
WIDGETS_EXAMPLE = REPO / "examples" / "yaml-widgets"
HASH = "0123456789abcdef0123456789abcdef"
COMMAND_FLAGS = {"common": "COMMON", "hidden": "HIDDEN", "extranetSupport": "EXTRANET_SUPPORT"}


def yaml_host_dir() -> Path:
    """The YAML language host: $PULUMI_YAML_BIN, else whatever scripts/install-pulumi-yaml provides."""
    if os.environ.get("PULUMI_YAML_BIN"):
        return Path(os.environ["PULUMI_YAML_BIN"])
    script = REPO / "scripts" / "install-pulumi-yaml"
    out = subprocess.run([str(script)], check=True, capture_output=True, text=True)
    return Path(out.stdout.strip().splitlines()[-1])


PLUGIN_PATH = "path: ../../.venv/bin"


def yaml_program(name: str, body: str = "") -> str:
    """A Pulumi YAML program named `name` that loads the plugin as the examples do, then `body`."""
    return f"name: {name}\nruntime: yaml\nplugins:\n  providers:\n    - name: bitrix24\n      {PLUGIN_PATH}\n{body}"


class YamlProject(Project):
    """A YAML project folder: an example's files with `program` as its Pulumi.yaml."""

    def __init__(self, root: Path, env: dict[str, str], program: str, folder: Path = EXAMPLE) -> None:
        shutil.copytree(folder, root)
        (root / "Pulumi.yaml").write_text(program.replace(PLUGIN_PATH, f"path: {VENV / 'bin'}"))
        self.root, self.env = root, env
        self.cli("stack", "init", "dev")


def example(edit: tuple[str, str] = ("", ""), folder: Path = EXAMPLE) -> str:
    """A YAML example as the README shows it, with one text replaced."""
    program = (folder / "Pulumi.yaml").read_text()
    assert PLUGIN_PATH in program and edit[0] in program
    return program.replace(edit[0], edit[1]) if edit[0] else program


YamlFactory = Callable[..., YamlProject]


def by_type(project: Project, kind: str) -> list[dict[str, Any]]:
    return [r["outputs"] for r in project.resources() if r["type"] == f"bitrix24:index:{kind}"]


def assert_state_matches_portal(project: Project, emulator: EmulatorControl) -> None:
    """Side by side: every object of the stack is on the portal with the values the stack holds, and no other."""
    assert stack_ids(project) == portal_ids(emulator)
    portal = emulator.state()
    bots = {b["ID"]: b for b in portal["bots"]}
    for bot in by_type(project, "Bot"):
        found = bots[bot["botId"]]
        assert (found["CODE"], found["PROPERTIES"]["NAME"]) == (bot["code"], bot["properties"]["name"])
    commands = {c["ID"]: c for c in portal["commands"]}
    for command in by_type(project, "BotCommand"):
        found = commands[command["commandId"]]
        assert (found["BOT_ID"], found["COMMAND"]) == (command["botId"], command["command"])
    apps = {a["ID"]: a for a in portal["apps"]}
    for app in by_type(project, "ChatApp"):
        found = apps[app["appId"]]
        assert (found["BOT_ID"], found["CODE"]) == (app["botId"], app["code"])
        assert (found["JS_PARAM"] or None, found["IFRAME"] or None) == (app.get("jsParam"), app.get("iframe"))
