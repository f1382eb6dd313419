"""Program-side rules: what the resource constructors check in the user's program, before the engine sees it.

A dynamic provider sees one resource at a time; only the program sees them all. Identities that are known
while the program runs (plain values, or a Bot object's id) are checked here, so `pulumi preview` fails on
duplicates; identities known only after a create are checked by the provider (see _ledger.py).
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pulumi
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.rpc import UNKNOWN

from ._config import NAMESPACE, PORTAL_SETTINGS, PORTALS, SECRET_KEYS, SettingsError, portal_entries, unknown_keys
from ._resource import BitrixProvider, FileLimit, file_base64
from ._rules import kind_of

Declared = TypeVar("Declared")

_lock = threading.Lock()
_declared: dict[tuple[Any, ...], str] = {}
_bot_outputs: dict[int, tuple[pulumi.Output[int], str, Any]] = {}


class ProgramError(pulumi.RunError):
    """A mistake in the program itself; Pulumi prints its message without a traceback."""


def remember_bot(bot_id: pulumi.Output[int], resource_name: str, portal: Any) -> None:
    """Let ChatApp and BotCommand recognise `bot.bot_id` as "the Bot named resource_name" (on `portal`) before it
    has an id."""
    with _lock:
        _bot_outputs[id(bot_id)] = (bot_id, resource_name, portal)


def _bot_of(bot_id: Any) -> tuple[str, Any] | None:
    """The name and portal of the Bot whose `bot_id` output this is, or None for any other value."""
    with _lock:
        known = _bot_outputs.get(id(bot_id))
    return (known[1], known[2]) if known is not None and known[0] is bot_id else None


def portal_of_bot(kind: str, resource_name: str, bot_id: Any, portal: Any) -> Any:
    """The portal of a resource that belongs to a bot: the one it names, else its Bot's; a different portal than
    its Bot's fails the program (a bot id means nothing on another portal)."""
    bot = _bot_of(bot_id)
    if bot is None or isinstance(portal, pulumi.Output):
        return portal
    bot_name, bots_portal = bot
    if portal is None:
        return bots_portal
    if portal != bots_portal and not isinstance(bots_portal, pulumi.Output):
        where = f"portal {bots_portal!r}" if bots_portal is not None else "the default portal"
        raise ProgramError(
            f"{kind} {resource_name!r} is on portal {portal!r}, but its bot_id is of Bot {bot_name!r} on {where}: "
            "a bot's commands and apps live on the bot's portal. Remove portal= to use the bot's."
        )
    return portal


@dataclass(frozen=True)
class BotOf:
    """A bot id not known yet, named by the Bot resource it will come from."""

    resource_name: str


def bot_reference(bot_id: Any) -> Any:
    """A stable stand-in for a bot id: the Bot resource it comes from, or the value itself."""
    bot = _bot_of(bot_id)
    return BotOf(bot[0]) if bot is not None else bot_id


def _shown(name: str, value: Any) -> str:
    return f"{name} of Bot {value.resource_name!r}" if isinstance(value, BotOf) else f"{name} {value!r}"


def declare(kind: str, resource_name: str, identity: dict[str, Any], portal: Any = None) -> dict[str, Any]:
    """Fail the program when two resources name the same portal object; returns the identity inputs to use.

    What is known now is checked now (a Bot's bot_id stands for that Bot), so `pulumi preview` fails; outputs
    are checked again once their values are known, which also catches a Bot's id written as a plain number.
    The returned inputs carry that second check, so the resource is not registered before it has passed.
    Identities are per portal (`portal` names one of bitrix24:portals; a portal known only later is left to
    the provider's own check).
    """
    if isinstance(portal, pulumi.Output):
        return identity
    values = list(identity.values())
    stand_ins = [bot_reference(v) for v in values]
    if not any(isinstance(v, pulumi.Output) for v in stand_ins):
        _claim(kind, resource_name, identity, stand_ins, portal)
    if not any(isinstance(v, pulumi.Output) for v in values):
        return identity

    def claimed(resolved: list[Any]) -> list[Any]:
        _claim(kind, resource_name, identity, resolved, portal)
        return resolved

    checked = pulumi.Output.all(*values).apply(claimed)

    def part(index: int) -> pulumi.Output[Any]:
        return checked.apply(lambda resolved: resolved[index])

    return {
        name: part(i) if isinstance(value, pulumi.Output) else value for i, (name, value) in enumerate(identity.items())
    }


def _claim(kind: str, resource_name: str, identity: dict[str, Any], values: list[Any], portal: Any) -> None:
    key = (kind, portal, *values)
    with _lock:
        other = _declared.setdefault(key, resource_name)
    if other != resource_name:
        named = ", ".join(_shown(name, value) for name, value in zip(identity, values, strict=True))
        where = f" on portal {portal!r}" if portal is not None else ""
        raise ProgramError(
            f"{kind} resources {other!r} and {resource_name!r} both declare {named}{where}: one portal object can be "
            "managed by one resource only. Remove one, or give it its own identity."
        )


def refuse_import(kind: str, opts: pulumi.ResourceOptions | None) -> None:
    """`import_` cannot work for dynamic resources (pulumi/pulumi#16175): say what works instead."""
    if opts is not None and opts.import_:
        raise ProgramError(
            f"Pulumi cannot import dynamic resources such as {kind} (pulumi/pulumi#16175). Remove import_ and "
            "set adopt=True: the first `pulumi up` then takes the existing object over (see the README, "
            "'Bring existing objects under Pulumi')."
        )


def _shown_type(value: Any) -> str:
    return "None" if value is None else kind_of(value)


def require(kind: str, resource_name: str, field: str, value: Any, expected: type[Declared]) -> Declared:
    """An argument the constructor takes apart (args, properties): the program fails on any other type."""
    if not isinstance(value, expected):
        raise ProgramError(
            f"{kind} {resource_name!r}: {field} must be a {expected.__name__}(...), got {_shown_type(value)}"
        )
    return value


def fields_of(declared: Any) -> dict[str, Any]:
    """A dataclass argument's fields, shallow (values may be Pulumi outputs, which must not be copied)."""
    return {field.name: getattr(declared, field.name) for field in dataclasses.fields(declared)}


def entries(kind: str, resource_name: str, field: str, items: Any, expected: type[Any]) -> list[dict[str, Any]]:
    """A list argument of dataclass entries (translations) as dicts; None or a stray item fails the program."""
    if not isinstance(items, list | tuple):
        raise ProgramError(
            f"{kind} {resource_name!r}: {field} must be a list of {expected.__name__}(...), got {_shown_type(items)}"
        )
    for index, item in enumerate(items):
        if not isinstance(item, expected):
            raise ProgramError(
                f"{kind} {resource_name!r}: {field}[{index}] must be a {expected.__name__}(...), "
                f"got {_shown_type(item)}"
            )
    return [fields_of(item) for item in items]


def portal_names() -> list[str]:
    """The names of the portals in `bitrix24:portals`, sorted: a fleet program declares its resources once per
    name (`portal=name`). Only the names are read; the settings stay secret and reach the provider only."""
    try:
        portals = portal_entries(pulumi.runtime.get_config(f"{NAMESPACE}:{PORTALS}"))
    except SettingsError as exc:
        raise ProgramError(str(exc)) from None
    return sorted(str(name) for name in portals)


def _stack_config() -> dict[str, Any]:
    """Every key of the stack's config as the program sees it (values only where the rules need them)."""
    keys = {**(pulumi.runtime.config.get_config_env() or {}), **pulumi.runtime.config.CONFIG.get()}
    return {key: None for key in keys}


_config_checked = threading.Event()


def check_stack_config() -> None:
    """Once, on the stack, before any resource is registered: a `bitrix24:*` key that is no setting (a typo)
    fails the program (the provider would report it on whichever resource met it first), and a secret setting
    kept in plain text gets a warning."""
    if _config_checked.is_set():
        return
    _config_checked.set()
    problems = unknown_keys(_stack_config())
    if problems:
        raise ProgramError("; ".join(problems))
    for key, file in plain_secrets():
        pulumi.log.warn(
            f"{key} is stored in plain text in {file.name} (and in the backend's update history): set it again "
            f"with `pulumi config set --secret --path '{key}' <value>`"
        )


def plain_secrets() -> list[tuple[str, Path]]:
    """Secret settings (SECRET_KEYS) that the stack's config file holds in plain text, as `pulumi config set
    --path` names them; nothing when the file is not beside the program (its values are then not ours to see)."""
    name = f"Pulumi.{pulumi.get_stack()}.yaml"
    file = next((d / name for d in (Path.cwd(), *Path.cwd().parents) if (d / name).is_file()), None)
    if file is None:
        return []
    import yaml  # only here: most programs never look at their config file

    try:
        config = (yaml.safe_load(file.read_text()) or {}).get("config") or {}
    except (OSError, yaml.YAMLError):
        return []
    found = [f"{NAMESPACE}:{key}" for key in SECRET_KEYS if isinstance(config.get(f"{NAMESPACE}:{key}"), str)]
    portals = config.get(f"{NAMESPACE}:{PORTALS}")
    for portal, entry in portals.items() if isinstance(portals, dict) else []:
        found += [
            f"{NAMESPACE}:{PORTALS}.{portal}.{key}"
            for key in SECRET_KEYS
            if isinstance(entry, dict) and isinstance(entry.get(key), str)
        ]
    return [(key, file) for key in found]


def on_portal(
    portal: Any, props: dict[str, Any], opts: pulumi.ResourceOptions | None, *secret_outputs: str
) -> tuple[dict[str, Any], pulumi.ResourceOptions]:
    """A resource's inputs and options, tied to its portal: a named portal's settings travel with the resource
    as a secret (PORTAL_SETTINGS), so that removing the portal from the config deletes its objects, as removing
    an explicit provider does in Pulumi; `secret_outputs` are the resource's own secrets."""
    check_stack_config()
    if portal is not None:
        portals = pulumi.Config(NAMESPACE).get_secret_object(PORTALS)
        if portals is not None:
            settings = pulumi.Output.all(portals, portal).apply(
                lambda found: found[0].get(found[1]) if isinstance(found[0], dict) else None
            )
            props = {**props, PORTAL_SETTINGS: pulumi.Output.secret(settings)}
    secrets = pulumi.ResourceOptions(additional_secret_outputs=[*secret_outputs, PORTAL_SETTINGS])
    return props, pulumi.ResourceOptions.merge(opts, secrets)


def portal_id(resource_id: pulumi.Output[str], reported: pulumi.Output[Any]) -> pulumi.Output[Any]:
    """A resource's portal id (bot_id, app_id, command_id): its resource id, which stays known while an in-place
    update is previewed; where that is unknown or no number, the id the resource reports (an adoption that check
    has found, or whatever Pulumi's unit-test mocks return)."""

    async def from_resource_id() -> bool:
        return bool(await resource_id.is_known()) and str(await resource_id.future()).isdecimal()

    async def value() -> Any:
        return int(str(await resource_id.future())) if await from_resource_id() else await reported.future()

    async def known() -> bool:
        return True if await from_resource_id() else bool(await reported.is_known())

    async def secret() -> bool:
        return bool(await reported.is_secret())

    async def resources() -> set[pulumi.Resource]:
        return set(await resource_id.resources()) | set(await reported.resources())

    return pulumi.Output(resources(), value(), known(), secret())


def _plain(value: Any) -> Any:
    """A value as check sees it in a preview: outputs are unknown."""
    if isinstance(value, pulumi.Output):
        return UNKNOWN
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def check_under_mocks(kind: str, resource_name: str, provider: BitrixProvider[Any], props: dict[str, Any]) -> None:
    """Under Pulumi's unit-test mocks no provider runs, so the program applies check's argument rules to the
    values it knows (same models, same messages); with the engine, check reports them, every resource at once."""
    if not isinstance(pulumi.runtime.settings.get_monitor(), MockMonitor):
        return
    _, failures = provider.rule_failures(_plain(props))
    if failures:
        problems = "\n".join(f"  {field}: {reason}" if field else f"  {reason}" for field, reason in failures)
        raise ProgramError(f"{kind} {resource_name!r} breaks the rules `pulumi preview` checks:\n{problems}")


def read_file_base64(path: pulumi.Input[str] | None, limit: FileLimit) -> pulumi.Output[str | None] | str | None:
    """file_base64 in the program, once the path is known: paths are relative to the project, as users expect."""
    if path is None or isinstance(path, str):
        return file_base64(path, limit)
    known_later: pulumi.Input[str] = path
    return pulumi.Output.from_input(known_later).apply(lambda p: file_base64(p, limit))
