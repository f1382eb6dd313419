"""Test your own Bitrix24 program with pytest against the shipped emulator (a pytest plugin, loaded by installing
the package): the `bitrix24_portal` and `bitrix24_stack` fixtures and `assert_converges`."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi import automation as auto
from pulumi.automation import events
from pulumi.automation._stack import StackInitMode  # not re-exported; Stack.create makes no subclass

from ._testkit import GENERIC_ERRORS, PortalControl, cli_folder, offline_env
from .emulator import Emulator

__all__ = [
    "Bitrix24Portal",
    "Bitrix24Stack",
    "assert_converges",
    "assert_no_changes",
    "assert_no_drift",
    "bitrix24_portal",
    "bitrix24_stack",
    "make_stack",
]

KINDS = {"bots": "CODE", "apps": "CODE", "commands": "COMMAND", "placements": "PLACEMENT"}
"""The portal's object kinds, with the field that names an object of the kind in a failure message."""


class Bitrix24Portal(PortalControl):
    """A clean emulated portal: its webhook URL, CLIENT_ID and CA, what it holds, hand edits and faults."""

    @property
    def webhook_url(self) -> str:
        return self.info.webhook_url

    @property
    def client_id(self) -> str:
        return self.info.client_id

    @property
    def ca_bundle(self) -> str:
        return self.info.ca_bundle

    def bots(self) -> list[dict[str, Any]]:
        return list(self.state()["bots"])

    def commands(self) -> list[dict[str, Any]]:
        return list(self.state()["commands"])

    def apps(self) -> list[dict[str, Any]]:
        return list(self.state()["apps"])

    def widgets(self) -> list[dict[str, Any]]:
        return list(self.state()["placements"])

    def rename_bot(self, bot_id: int, name: str) -> None:
        """A hand edit, as someone would make it on the portal: the bot's NAME changed with `imbot.update`."""
        envelope = self.call("imbot.update", BOT_ID=bot_id, FIELDS={"PROPERTIES": {"NAME": name}})
        if envelope.get("result") is not True:
            raise AssertionError(f"imbot.update of bot {bot_id} failed: {envelope}")

    def objects(self) -> set[tuple[str, int, str]]:
        """(kind, ID, name) of everything the portal holds."""
        state = self.state()
        return {(kind, int(obj["ID"]), str(obj.get(field, ""))) for kind, field in KINDS.items() for obj in state[kind]}


class Bitrix24Stack(auto.Stack):
    """A Pulumi stack (Automation API) in a temporary local backend, configured for `portal`."""

    portal: Bitrix24Portal


Program = Path | str | Callable[[], None]
"""A project folder (Pulumi.yaml beside the program), or an inline program function."""


def _project_file(folder: Path) -> dict[str, Any]:
    """The folder's Pulumi.yaml with its paths made absolute, so that it can run from another work folder."""
    settings = dict(yaml.safe_load((folder / "Pulumi.yaml").read_text()))
    runtime = settings.get("runtime")
    options = runtime.get("options") if isinstance(runtime, dict) else None
    if isinstance(options, dict) and options.get("virtualenv"):
        options["virtualenv"] = str(folder / options["virtualenv"])
    for plugin in (settings.get("plugins") or {}).get("providers") or []:
        if plugin.get("path"):
            plugin["path"] = str(folder / plugin["path"])
    settings["main"] = str(folder / settings.get("main", "."))
    return settings


def make_stack(
    program: Program,
    portal: Bitrix24Portal,
    workdir: Path,
    config: Mapping[str, str | auto.ConfigValue] | None = None,
    pulumi_bin: Path | None = None,
) -> Bitrix24Stack:
    """A new stack of `program` whose backend, PULUMI_HOME and work folder are inside `workdir`, configured for
    `portal` (webhook and CLIENT_ID as secrets, its CA trusted) and `config`; the CLI is the `pulumi` in
    `pulumi_bin`, $PULUMI_BIN or PATH."""
    for folder in ("backend", "home", "project"):
        (workdir / folder).mkdir(parents=True, exist_ok=True)
    env = offline_env(workdir / "home", workdir / "backend", portal.ca_bundle)
    bin_dir = cli_folder(pulumi_bin)
    if bin_dir is not None:
        env["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    try:
        command = auto.PulumiCommand(str(bin_dir.parent) if bin_dir else None, skip_version_check=True)
    except FileNotFoundError as exc:
        raise RuntimeError("the pulumi CLI is not on PATH: install it, or set PULUMI_BIN to its folder") from exc
    options: dict[str, Any] = {"env_vars": env, "pulumi_home": env["PULUMI_HOME"], "pulumi_command": command}
    if callable(program):
        settings = auto.ProjectSettings(name="bitrix24-test", runtime="python")
        workspace = auto.LocalWorkspace(str(workdir / "project"), program=program, project_settings=settings, **options)
    else:
        project = _project_file(Path(program).resolve())
        (workdir / "project" / "Pulumi.yaml").write_text(yaml.safe_dump(project))
        workspace = auto.LocalWorkspace(str(workdir / "project"), **options)
    stack = Bitrix24Stack(f"test-{secrets.token_hex(3)}", workspace, StackInitMode.CREATE)
    stack.portal = portal
    wired = {
        "bitrix24:webhookUrl": auto.ConfigValue(portal.webhook_url, secret=True),
        "bitrix24:clientId": auto.ConfigValue(portal.client_id, secret=True),
    }
    given = {
        key: value if isinstance(value, auto.ConfigValue) else auto.ConfigValue(value)
        for key, value in (config or {}).items()
    }
    stack.set_all_config({**wired, **given})
    return stack


class _Steps:
    """The engine events of one operation, read for what a failure message must name."""

    def __init__(self) -> None:
        self.events: list[events.EngineEvent] = []

    def __call__(self, event: events.EngineEvent) -> None:
        self.events.append(event)

    def changes(self) -> list[str]:
        """Each step that is not `same`: its operation, resource name and type, and the properties it changes."""
        found = []
        for event in self.events:
            step = event.resource_pre_event.metadata if event.resource_pre_event else None
            if step is None or step.op in (events.OpType.SAME, events.OpType.READ, events.OpType.REFRESH):
                continue
            old, new = (state.inputs if state else {} for state in (step.old, step.new))
            diffs = _differing(old, new) or sorted({*(step.diffs or []), *(step.detailed_diff or {})})
            kind = step.type.rsplit("/", 1)[-1]
            found.append(f"{step.op.value} {_name(step.urn)} ({kind}): {', '.join(diffs) or 'no property named'}")
        return found

    def errors(self) -> list[str]:
        return [
            f"{_name(d.urn) if d.urn else 'stack'}: {d.message.strip()}"
            for d in (e.diagnostic_event for e in self.events)
            if d is not None and d.severity == "error" and not any(g in d.message for g in GENERIC_ERRORS)
        ]


def _differing(old: Any, new: Any, path: str = "") -> list[str]:
    """The paths of the properties whose values differ (`properties.name`, `translations[0].title`)."""
    if isinstance(old, dict) and isinstance(new, dict):
        keys = sorted(k for k in {*old, *new} if k != "__provider")  # the dynamic provider's own code
        return [d for k in keys for d in _differing(old.get(k), new.get(k), f"{path}.{k}" if path else k)]
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [d for i, (o, n) in enumerate(zip(old, new, strict=True)) for d in _differing(o, n, f"{path}[{i}]")]
    return [] if old == new else [path]


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _run(step: str, operation: Callable[[_Steps], Any]) -> _Steps:
    """Run one operation; its failure becomes an AssertionError that names the step and the resources' errors."""
    steps = _Steps()
    try:
        operation(steps)
    except auto.CommandError as exc:
        raise AssertionError(f"{step} failed: {'; '.join(steps.errors()) or exc}") from None
    return steps


def assert_no_changes(stack: Bitrix24Stack, step: str = "preview") -> None:
    """`pulumi preview` plans nothing: every resource is `same`."""
    changes = _run(step, lambda steps: stack.preview(on_event=steps)).changes()
    if changes:
        raise AssertionError(f"{step} is not empty: " + "; ".join(changes))


def assert_no_drift(stack: Bitrix24Stack) -> None:
    """`pulumi preview --refresh` plans nothing: what the portal holds is what the program declares."""
    changes = _run("refresh", lambda steps: stack.preview(refresh=True, on_event=steps)).changes()
    if changes:
        raise AssertionError("refresh found drift: " + "; ".join(changes))


def assert_converges(stack: Bitrix24Stack) -> None:
    """up, a preview with no changes, a refresh with no drift, destroy, and nothing of the stack left on the portal."""
    before = stack.portal.objects()
    _run("up", lambda steps: stack.up(on_event=steps))
    created = stack.portal.objects() - before
    assert_no_changes(stack, "preview after up")
    assert_no_drift(stack)
    _run("destroy", lambda steps: stack.destroy(on_event=steps))
    left = sorted(created & stack.portal.objects())
    if left:
        raise AssertionError("destroy left on the portal: " + ", ".join(f"{k[:-1]} {i} ({n})" for k, i, n in left))


@pytest.fixture(scope="session")
def _bitrix24_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bitrix24Portal]:
    """One emulator per test session (per xdist worker), without a request limit."""
    with Emulator(tmp_path_factory.mktemp("bitrix24-emulator"), plan="unlimited") as info:
        yield Bitrix24Portal(info)


@pytest.fixture
def bitrix24_portal(_bitrix24_emulator: Bitrix24Portal) -> Bitrix24Portal:
    """The emulated portal, emptied for this test."""
    _bitrix24_emulator.reset()
    return _bitrix24_emulator


@pytest.fixture
def bitrix24_stack(bitrix24_portal: Bitrix24Portal, tmp_path: Path) -> Callable[..., Bitrix24Stack]:
    """Make a stack of a program for this test's portal: `bitrix24_stack(folder_or_function, config={...})`."""
    count = iter(range(1_000_000))

    def make(program: Program, config: Mapping[str, str | auto.ConfigValue] | None = None) -> Bitrix24Stack:
        return make_stack(program, bitrix24_portal, tmp_path / f"stack-{next(count)}", config)

    return make
