"""Many portals from one program (examples/fleet) through the real CLI against several emulated portals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pulumi_bitrix24.emulator import Emulator

from .harness import REPO, EmulatorControl, Project, offline_env

PORTALS = ("acme", "globex", "initech", "umbrella")
PER_PORTAL = {"bots": 1, "commands": 1, "apps": 1}


@pytest.fixture(scope="session")
def fleet_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    emulator = Emulator(tmp_path_factory.mktemp("fleet"), plan="unlimited", portals=PORTALS)
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def portals(fleet_emulator: Emulator) -> dict[str, EmulatorControl]:
    controls = {name: EmulatorControl(info) for name, info in fleet_emulator.portals.items()}
    for control in controls.values():
        control.reset()
    return controls


@pytest.fixture
def fleet(tmp_path: Path, pulumi_bin: Path, pulumi_home: Path, fleet_emulator: Emulator) -> Project:
    """A stack running examples/fleet in place, with no portal configured yet."""
    backend = tmp_path / "backend"
    backend.mkdir()
    env = offline_env(pulumi_bin, pulumi_home, backend, fleet_emulator.info.ca_bundle)
    return Project(tmp_path / "fleet", env, "fleet", main=REPO / "examples" / "fleet")


def add_portal(project: Project, control: EmulatorControl, name: str) -> None:
    project.config(f"bitrix24:portals.{name}.webhookUrl", control.info.webhook_url, secret=True, path=True)
    project.config(f"bitrix24:portals.{name}.clientId", control.info.client_id, secret=True, path=True)


def counts(control: EmulatorControl) -> dict[str, int]:
    state = control.state()
    return {kind: len(state[kind]) for kind in PER_PORTAL}


def in_state(project: Project, portal: str) -> dict[str, Any]:
    """The stack's resources of one portal, by type name."""
    found: dict[str, Any] = {}
    for resource in project.resources():
        if resource.get("inputs", {}).get("portal") == portal:
            found[resource["type"].rsplit(":", 1)[1]] = resource["outputs"]
    return found


def assert_portal_matches_state(project: Project, control: EmulatorControl, portal: str) -> None:
    ours = in_state(project, portal)
    state = control.state()
    assert [b["ID"] for b in state["bots"]] == ([ours["Bot"]["bot_id"]] if ours else [])
    assert [c["ID"] for c in state["commands"]] == ([ours["BotCommand"]["command_id"]] if ours else [])
    assert [a["ID"] for a in state["apps"]] == ([ours["ChatApp"]["app_id"]] if ours else [])


def test_one_program_rolls_out_to_every_portal(fleet: Project, portals: dict[str, EmulatorControl]) -> None:
    for name in PORTALS[:3]:
        add_portal(fleet, portals[name], name)
    assert fleet.preview().changes() == {"create": 10}  # the stack and three objects on each of three portals
    fleet.up()
    outputs = fleet.outputs()
    assert sorted(outputs) == sorted(PORTALS[:3])
    for name in PORTALS[:3]:
        assert counts(portals[name]) == PER_PORTAL  # the same codes on three portals, no collision
        assert portals[name].state()["bots"][0]["CODE"] == "fleet_helper"
        assert outputs[name]["bot_id"] == portals[name].state()["bots"][0]["ID"]
        assert_portal_matches_state(fleet, portals[name], name)
    assert counts(portals["umbrella"]) == {"bots": 0, "commands": 0, "apps": 0}

    # a fourth portal: only its objects are created, the others see no request that changes them
    add_portal(fleet, portals["umbrella"], "umbrella")
    for control in portals.values():
        control.clear_journal()
    assert fleet.preview().changes() == {"create": 3, "same": 10}
    assert fleet.up().changes() == {"create": 3, "same": 10}
    assert counts(portals["umbrella"]) == PER_PORTAL
    for name in PORTALS[:3]:
        assert portals[name].writes() == []

    # removing a portal from the config deletes its objects only
    fleet.cli("config", "rm", "--path", "bitrix24:portals.globex")
    assert fleet.up().changes() == {"delete": 3, "same": 10}
    assert counts(portals["globex"]) == {"bots": 0, "commands": 0, "apps": 0}
    for name in ("acme", "initech", "umbrella"):
        assert counts(portals[name]) == PER_PORTAL
        assert_portal_matches_state(fleet, portals[name], name)


def test_a_portal_with_revoked_credentials_fails_alone(fleet: Project, portals: dict[str, EmulatorControl]) -> None:
    for name in PORTALS[:3]:
        add_portal(fleet, portals[name], name)
    revoked = portals["globex"].info.webhook_url.rstrip("/").rsplit("/", 1)[0] + "/revoked0000000000/"
    fleet.config("bitrix24:portals.globex.webhookUrl", revoked, secret=True, path=True)
    run = fleet.cli("up", "--yes", "--skip-preview", "--continue-on-error", check=False)
    assert run.code != 0
    assert "on portal 'globex'" in run.output and "NO_AUTH_FOUND" in run.output
    for name in ("acme", "initech"):
        assert counts(portals[name]) == PER_PORTAL
        assert_portal_matches_state(fleet, portals[name], name)
    assert counts(portals["globex"]) == {"bots": 0, "commands": 0, "apps": 0}
    assert in_state(fleet, "globex") == {}
    texts = [run.output, fleet.export()]
    for control in portals.values():
        control.assert_no_secrets(texts, "revoked0000000000")


def test_portal_config_mistakes_fail_preview_naming_portal_and_key(
    fleet: Project, portals: dict[str, EmulatorControl]
) -> None:
    add_portal(fleet, portals["acme"], "acme")
    fleet.config("bitrix24:portals.globex.webhookUrl", portals["globex"].info.webhook_url, secret=True, path=True)
    fleet.config("bitrix24:portals.globex.timeoutSecond", "5", path=True)
    run = fleet.preview(check=False)
    assert run.code != 0
    assert "unknown config key bitrix24:portals.globex.timeoutSecond; did you mean" in run.output
    assert "bitrix24:portals.globex.timeoutSeconds?" in run.output
    fleet.cli("config", "rm", "--path", "bitrix24:portals.globex.timeoutSecond")
    run = fleet.preview(check=False)
    assert run.code != 0
    assert "bitrix24:portals.globex.clientId is required with a webhook URL" in run.output
    assert all(control.journal("") == [] for name, control in portals.items() if name != "acme")


def test_secrets_of_every_portal_stay_out_of_state_and_output(
    fleet: Project, portals: dict[str, EmulatorControl]
) -> None:
    for name in PORTALS:
        add_portal(fleet, portals[name], name)
    runs = [fleet.preview(), fleet.up(), fleet.cli("preview", "--diff")]
    texts = [run.output for run in runs] + [fleet.export(), fleet.cli("stack", "output", "--json").output]
    for control in portals.values():
        control.assert_no_secrets(texts)


def test_a_bots_command_and_app_take_the_bots_portal(
    tmp_path: Path, pulumi_bin: Path, pulumi_home: Path, fleet_emulator: Emulator, portals: dict[str, EmulatorControl]
) -> None:
    backend = tmp_path / "backend"
    backend.mkdir()
    project = Project(tmp_path / "own", offline_env(pulumi_bin, pulumi_home, backend, fleet_emulator.info.ca_bundle))
    add_portal(project, portals["acme"], "acme")
    add_portal(project, portals["globex"], "globex")
    program = """
import pulumi
from pulumi_bitrix24 import Bot, BotArgs, BotCommand, BotCommandArgs, BotProperties, CommandTranslation
bot = Bot("bot", BotArgs(portal="acme", code="own", event_handler="https://example.com/h",
                         properties=BotProperties(name="Own")))
BotCommand("help", BotCommandArgs(bot_id=bot.bot_id, command="help", event_command_add="https://example.com/h",
                                  translations=[CommandTranslation(language_id="en", title="Help")]{extra}))
"""
    project.program(program.format(extra=', portal="globex"'))
    run = project.preview(check=False)
    assert run.code != 0
    assert "BotCommand 'help' is on portal 'globex', but its bot_id is of Bot 'bot' on portal 'acme'" in run.output
    project.program(program.format(extra=""))
    project.up()
    assert counts(portals["acme"]) == {"bots": 1, "commands": 1, "apps": 0}
    assert counts(portals["globex"]) == {"bots": 0, "commands": 0, "apps": 0}
