"""Fixtures: the pinned Pulumi CLI, one emulator per session (reset per test), and fresh projects."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pulumi_bitrix24.emulator import Emulator

from .harness import REPO, TS_EXAMPLE, EmulatorControl, Project, offline_env, pulumi_bin_dir
from .plugin_harness import EXAMPLE, HASH, YamlFactory, YamlProject, yaml_host_dir

ProjectFactory = Callable[..., Project]


@pytest.fixture(scope="session")
def pulumi_bin() -> Path:
    return pulumi_bin_dir()


@pytest.fixture(scope="session")
def ts_packages() -> Path:
    """The TypeScript example's node_modules, installed (or kept) by scripts/install-ts-example."""
    subprocess.run([str(REPO / "scripts" / "install-ts-example")], check=True, capture_output=True)
    return TS_EXAMPLE / "node_modules"


@pytest.fixture(scope="session")
def pulumi_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pulumi-home")


@pytest.fixture(scope="session")
def emulator_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorControl]:
    with Emulator(tmp_path_factory.mktemp("emulator"), plan="unlimited") as info:
        yield EmulatorControl(info)


@pytest.fixture
def emulator(emulator_session: EmulatorControl) -> EmulatorControl:
    emulator_session.reset()
    return emulator_session


@pytest.fixture
def new_project(tmp_path: Path, pulumi_bin: Path, pulumi_home: Path, emulator: EmulatorControl) -> ProjectFactory:
    """Make a project whose stack is configured for the emulator's default webhook and CLIENT_ID."""

    def make(name: str = "e2e", configure: bool = True) -> Project:
        backend = tmp_path / "backend"
        backend.mkdir(exist_ok=True)
        env = offline_env(pulumi_bin, pulumi_home, backend, emulator.info.ca_bundle)
        project = Project(tmp_path / name, env, name)
        if configure:
            project.config("bitrix24:webhookUrl", emulator.info.webhook_url, secret=True)
            project.config("bitrix24:clientId", emulator.info.client_id, secret=True)
            project.config("bitrix24:maxRetries", "4")
        return project

    return make


@pytest.fixture(scope="session")
def yaml_host() -> Path:
    return yaml_host_dir()


@pytest.fixture
def yaml_project(tmp_path: Path, pulumi_bin: Path, pulumi_home: Path, yaml_host: Path) -> YamlFactory:
    """A YAML project whose default provider is configured for `portal` (its webhook, unless told not to)."""

    def make(program: str, portal: EmulatorControl, webhook: bool = True, folder: Path = EXAMPLE) -> YamlProject:
        env = offline_env(pulumi_bin, pulumi_home, tmp_path / "backend", portal.info.ca_bundle)
        env["PATH"] = f"{yaml_host}{os.pathsep}{env['PATH']}"
        (tmp_path / "backend").mkdir(exist_ok=True)
        project = YamlProject(tmp_path / "yaml", env, program, folder)
        if webhook:
            project.config("bitrix24:webhookUrl", portal.info.webhook_url, secret=True)
            project.config("bitrix24:clientId", portal.info.client_id, secret=True)
        project.config("frameHash", HASH, secret=True)
        return project

    return make


@pytest.fixture(scope="module")
def two_portals(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, EmulatorControl]]:
    emulator = Emulator(tmp_path_factory.mktemp("two-portals"), plan="unlimited", portals=("acme", "globex"))
    emulator.start()
    yield {name: EmulatorControl(portal) for name, portal in emulator.portals.items()}
    emulator.stop()
