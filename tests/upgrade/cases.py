"""The programs whose states tests/upgrade keeps, and how a stack of each is configured against an emulator.

Shared by make_state.py (which records a state with an installed version) and tests/e2e/test_upgrade.py (which
previews it with this version)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pulumi_bitrix24._testkit import PortalControl
from pulumi_bitrix24.emulator import Emulator

from ..e2e.harness import Project

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
FRAME_HASH = "0123456789abcdef0123456789abcdef"
FLEET = ("acme", "globex")


@dataclass(frozen=True)
class Case:
    """A program of every resource kind of one mode: webhook kinds, widgets (OAuth), many portals."""

    name: str
    program: Path
    in_place: bool
    """Run the folder in place (an example) instead of copying it into the project."""
    configure: Callable[[Project, Emulator], None]

    def project(self, root: Path, env: dict[str, str]) -> Project:
        """A stack `dev` of project `upgrade-<name>`, as the recorded states name them."""
        project = Project(root, env, f"upgrade-{self.name}", main=self.program if self.in_place else None)
        if not self.in_place:
            shutil.copytree(self.program, project.root, dirs_exist_ok=True)
        return project

    @contextmanager
    def emulator(self, data: Path) -> Iterator[Emulator]:
        emulator = Emulator(data, plan="unlimited", portals=FLEET if self.name == "fleet" else ())
        emulator.start()
        try:
            yield emulator
        finally:
            emulator.stop()


def _webhook(project: Project, emulator: Emulator) -> None:
    project.config("bitrix24:webhookUrl", emulator.info.webhook_url, secret=True)
    project.config("bitrix24:clientId", emulator.info.client_id, secret=True)
    project.config("frameHash", FRAME_HASH, secret=True)


def _oauth(project: Project, emulator: Emulator) -> None:
    app = PortalControl(emulator.info).oauth_app()
    project.config("bitrix24:portalUrl", app["portal_url"])
    project.config("bitrix24:accessToken", app["access_token"], secret=True)


def _fleet(project: Project, emulator: Emulator) -> None:
    for name, info in emulator.portals.items():
        project.config(f"bitrix24:portals.{name}.webhookUrl", info.webhook_url, secret=True, path=True)
        project.config(f"bitrix24:portals.{name}.clientId", info.client_id, secret=True, path=True)


CASES = {
    case.name: case
    for case in (
        Case("webhook", HERE / "webhook", False, _webhook),
        Case("widgets", REPO / "examples" / "widgets", True, _oauth),
        Case("fleet", REPO / "examples" / "fleet", True, _fleet),
    )
}
