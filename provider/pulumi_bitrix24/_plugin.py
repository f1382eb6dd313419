"""The plugin front end: Pulumi's provider interface (pulumi.provider.experimental) served over the core providers.

It only translates: PropertyValues (secrets, unknowns) to the plain dicts of the core and back, camelCase schema
names to the snake_case inputs, the core's results to the server's responses. Every rule lives in the core.
Handlers share one asyncio loop, and the core blocks on REST calls, so each call runs in a thread of a pool larger
than the engine's parallelism (a blocking handler would run one operation at a time).
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast

from pulumi.dynamic import CheckFailure as CoreFailure
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.provider.experimental.provider import (
    CheckFailure,
    CheckRequest,
    CheckResponse,
    ConfigureResponse,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DiffRequest,
    DiffResponse,
    GetSchemaRequest,
    GetSchemaResponse,
    InvokeRequest,
    InvokeResponse,
    PropertyDiff,
    PropertyDiffKind,
    Provider,
    ReadRequest,
    ReadResponse,
    UpdateRequest,
    UpdateResponse,
)
from pulumi.provider.experimental.provider import ConfigureRequest as PluginConfigureRequest
from pulumi.runtime.proto.provider_pb2 import DiffResponse as DiffResponseProto
from pulumi.runtime.rpc import UNKNOWN
from pulumi.runtime.settings import Settings
from pulumi.runtime.settings import configure as configure_runtime

from ._config import NAMESPACE, SECRET_SETTINGS, SettingsError, setting_problems
from ._errors import OwnershipError
from ._resource import BitrixProvider, FileLimit, file_base64, whole
from ._schema import (
    GET_BOT,
    GET_BOT_COMMANDS,
    GET_WIDGETS,
    KINDS,
    SECRET_FIELDS,
    camel,
    schema,
    snake,
)
from .bot import PHOTO_FILE_LIMIT, BotProvider
from .bot_command import BotCommandProvider
from .chat_app import ICON_LIMIT
from .widget import WidgetProvider

Result = TypeVar("Result")

PORTAL_KEYS = frozenset({"webhook_url", "portal_url", "client_id"})
DEFAULT_PROVIDER = re.compile(r"default(_.+)?")
"""The name Pulumi gives a default provider: `default`, or `default_` and the version and download URL
(`default_0_1_0`; ProviderRequest.DefaultName in pkg/resource/deploy/providers/provider.go)."""
LOOKUP_PROVIDER_HINT = (
    "a lookup without a provider uses the default one (the bitrix24:* config); to ask an explicit provider, pass "
    "it: `options: provider: ${name}` in YAML, `{ provider }` in TypeScript, "
    "`opts=pulumi.InvokeOptions(provider=...)` in Python"
)
"""Provider settings that can name another portal, or another owner of its objects."""

THREADS = 256
"""Threads for blocking core calls: more than any `pulumi up --parallel` in practice (the default is 4 per CPU), so
the pool never limits how many operations share a batch; threads start only when needed."""
FILES: dict[str, tuple[tuple[str, ...], str, str, FileLimit]] = {
    "ChatApp": ((), "icon_path", "icon_base64", ICON_LIMIT),
    "Bot": (("properties",), "photo_path", "photo_base64", PHOTO_FILE_LIMIT),
}
"""A file argument per resource (where it sits, its path input, the input holding its content, its size limit):
the dynamic front end reads the file in the program, the plugin in check."""
_PATH = re.compile(r"^([a-z][a-z0-9_]*)((?:\.[a-z][a-z0-9_]*|\[\d+\])*): ")


class LookupRefusedError(Exception):
    """A lookup function's argument the portal or a rule refuses: the argument (schema name) and why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


def plain(value: PropertyValue) -> Any:
    """A PropertyValue as the core sees values: plain Python, snake_case keys, UNKNOWN for a value not known yet
    (on the wire it is that string already; an output value without one unmarshals to Computed)."""
    inner = value.value
    if isinstance(inner, Computed):
        return UNKNOWN
    if isinstance(inner, Mapping):
        return {snake(k): plain(v) for k, v in inner.items()}
    if isinstance(inner, Sequence) and not isinstance(inner, str):
        return [plain(v) for v in inner]
    return inner


def plain_map(values: Mapping[str, PropertyValue]) -> dict[str, Any]:
    return {snake(k): plain(v) for k, v in values.items()}


def secret_keys(values: Mapping[str, PropertyValue]) -> set[str]:
    """The top-level inputs that hold a secret anywhere: their outputs stay secret."""
    return {snake(k) for k, v in values.items() if v.contains_secret()}


def wrapped(value: Any, secret: bool = False) -> PropertyValue:
    """A core value as a PropertyValue: camelCase keys, numbers as floats. UNKNOWN stays the string it is on the
    wire (the SDK's marshal has no case for its own Computed value)."""
    if isinstance(value, Mapping):
        result = PropertyValue({camel(k): wrapped(v) for k, v in value.items()})
    elif isinstance(value, list | tuple):
        result = PropertyValue([wrapped(v) for v in value])
    elif isinstance(value, int) and not isinstance(value, bool):
        result = PropertyValue(float(value))
    else:
        result = PropertyValue(value)
    return result.with_secret(True) if secret else result


def wrapped_map(values: Mapping[str, Any], secrets: set[str]) -> dict[str, PropertyValue]:
    """Core outputs or inputs for the engine; the resource's own secrets and secret inputs are marked secret."""
    hidden = secrets | SECRET_FIELDS
    return {camel(k): wrapped(v, k in hidden) for k, v in values.items() if v is not None}


def portal_of(settings: dict[str, Any]) -> tuple[str, str]:
    """What names a provider's portal objects: the portal (a webhook's URL before /rest/<user>/<code>/), and the
    CLIENT_ID that owns them."""
    url = str(settings.get("webhook_url") or settings.get("portal_url") or "")
    return url.split("/rest/", 1)[0].rstrip("/"), str(settings.get("client_id") or "")


def failure(found: CoreFailure) -> CheckFailure:
    """A core check failure, its property (or the path that starts its reason) in the schema's names."""
    reason = _PATH.sub(lambda m: ".".join(camel(p) for p in m.group(0)[:-2].split(".")) + ": ", found.reason, 1)
    return CheckFailure(camel(found.property), reason if not found.property else found.reason)


class Bitrix24Provider(Provider):
    """The `bitrix24` resource provider plugin: one core provider per type token."""

    def __init__(self, engine: str | None = None) -> None:
        """`engine`: the engine's address, where the core's pulumi.log messages go (without it, to stderr, which
        the engine keeps as debug output only)."""
        self.cores: dict[str, BitrixProvider[Any]] = {kind.token: kind.provider() for kind in KINDS}
        self.names = {kind.token: kind.name for kind in KINDS}
        # The SDK's settings are context variables, which a new thread does not inherit: set them in each one.
        settings = Settings(project=None, stack=None, engine=engine)
        self.pool = ThreadPoolExecutor(THREADS, "bitrix24", initializer=configure_runtime, initargs=(settings,))

    async def run(self, method: Callable[..., Result], *args: Any) -> Result:
        """Run a blocking core method in the pool, leaving the loop free for the engine's other operations."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, functools.partial(method, *args))

    def core(self, token: str) -> BitrixProvider[Any]:
        if token not in self.cores:
            raise ValueError(f"unknown resource type {token}; this provider has {', '.join(self.cores)}")
        return self.cores[token]

    async def get_schema(self, request: GetSchemaRequest) -> GetSchemaResponse:
        return GetSchemaResponse(schema=json.dumps(schema()))

    async def check_config(self, request: CheckRequest) -> CheckResponse:
        """Credentials are secret in the provider's state even where the config holds them in plain text. An
        explicit provider's settings are checked here, naming its own inputs; the default provider's are reported
        by each resource's check, naming the `bitrix24:*` keys the user set."""
        secret = {camel(name) for name in SECRET_SETTINGS}
        inputs = {k: v.with_secret(v.is_secret or k in secret) for k, v in request.new_inputs.items()}
        failures: list[CheckFailure] = []
        if not DEFAULT_PROVIDER.fullmatch(request.urn.rsplit("::", 1)[-1]):
            given = {
                snake(k): whole(plain(v))
                for k, v in request.new_inputs.items()
                if k != "version" and v.value is not None and not isinstance(v.value, Computed)
            }
            failures = [CheckFailure(camel(field), rule) for field, rule in setting_problems(given).items()]
        return CheckResponse(inputs=inputs, failures=failures)

    async def invoke(self, request: InvokeRequest) -> InvokeResponse:
        """The lookup functions, answered by the cores; a bad argument or a refusal is a failure naming it."""
        lookups = {GET_BOT: self.get_bot, GET_BOT_COMMANDS: self.get_bot_commands, GET_WIDGETS: self.get_widgets}
        if request.tok not in lookups:
            raise ValueError(f"unknown function {request.tok}; this provider has {', '.join(lookups)}")
        try:
            return await lookups[request.tok](plain_map(request.args))
        except LookupRefusedError as refused:
            return InvokeResponse(failures=[CheckFailure(refused.field, refused.reason)])
        except SettingsError as exc:  # the default provider's, when the program meant an explicit one
            return InvokeResponse(failures=[CheckFailure("", f"{exc}; {LOOKUP_PROVIDER_HINT}")])

    async def get_bot(self, args: dict[str, Any]) -> InvokeResponse:
        """getBot: a bot by code or id."""
        code, bot_id = args.get("code"), args.get("bot_id")
        if (code is None) == (bot_id is None):
            raise LookupRefusedError("code", "give either code or botId")
        bots = cast(BotProvider, self.cores[KINDS[0].token])
        found = await self.run(bots.lookup, {}, code, None if bot_id is None else whole(bot_id))
        if found is None:
            field, value = ("code", code) if bot_id is None else ("botId", whole(bot_id))
            raise LookupRefusedError(field, f"the portal has no bot with {field} {value!r}")
        return InvokeResponse(return_value=wrapped_map(found, set()))

    async def get_bot_commands(self, args: dict[str, Any]) -> InvokeResponse:
        """getBotCommands: the commands of one of this application's bots."""
        bot_id = whole(args.get("bot_id"))
        if isinstance(bot_id, bool) or not isinstance(bot_id, int) or bot_id < 1:
            raise LookupRefusedError("botId", f"must be a bot id, a whole number of at least 1; got {bot_id!r}")
        commands = cast(BotCommandProvider, self.cores[KINDS[1].token])
        try:
            found = await self.run(commands.lookup, {}, bot_id)
        except OwnershipError as exc:
            raise LookupRefusedError("botId", f"bot {bot_id} belongs to another application: {exc}") from None
        if found is None:
            raise LookupRefusedError("botId", f"the portal has no bot with botId {bot_id}")
        return InvokeResponse(return_value=wrapped_map({"bot_id": bot_id, "commands": found}, set()))

    async def get_widgets(self, args: dict[str, Any]) -> InvokeResponse:
        """getWidgets: this application's widgets, in one placement or all."""
        placement = args.get("placement")
        widgets = cast(WidgetProvider, self.cores[KINDS[3].token])
        try:
            found = await self.run(widgets.lookup, {}, placement)
        except SettingsError:
            raise
        except ValueError as exc:  # the placement rule of Widget
            raise LookupRefusedError("placement", str(exc)) from None
        return InvokeResponse(return_value=wrapped_map({"placement": placement, "widgets": found}, set()))

    async def diff_config(self, request: DiffRequest) -> DiffResponse:
        """A provider whose portal stays the same (its host and, in webhook mode, the CLIENT_ID that owns the
        objects) is updated in place, so rotating credentials replaces no resource; another portal replaces."""
        olds, news = plain_map(request.old_state), plain_map(request.new_inputs)
        changed = sorted(k for k in olds.keys() | news.keys() if k != "version" and olds.get(k) != news.get(k))
        moved = portal_of(olds) != portal_of(news) or any(UNKNOWN in part for part in portal_of(news))
        replaces = [camel(k) for k in changed if moved and k in PORTAL_KEYS]
        # The SDK's DiffConfig copies `changes` into the proto enum as it is (True would read as DIFF_NONE) and
        # cannot send a detailed diff (it reads PropertyDiff.inputDiff): give it the enum value, and no details.
        changes = DiffResponseProto.DIFF_SOME if changed else DiffResponseProto.DIFF_NONE
        return DiffResponse(changes=cast(bool, changes), replaces=replaces, diffs=[camel(k) for k in changed])

    async def configure(self, request: PluginConfigureRequest) -> ConfigureResponse:
        """The provider's settings go to the same settings loader as the `bitrix24:*` config of the dynamic front
        end; problems are kept by the core and reported by check, naming the key."""
        raw = {
            f"{NAMESPACE}:{key}": whole(plain(value))
            for key, value in request.args.items()
            if key != "version" and value.value is not None and not isinstance(value.value, Computed)
        }
        config = ConfigureRequest(Config(raw, NAMESPACE))
        for core in self.cores.values():
            core.configure(config)
        return ConfigureResponse(accept_secrets=True, supports_preview=True)

    async def check(self, request: CheckRequest) -> CheckResponse:
        core = self.core(request.type)
        news = self.with_files(request.type, plain_map(request.new_inputs))
        result = await self.run(core.check, plain_map(request.old_inputs), news)
        return CheckResponse(
            inputs=wrapped_map(result.inputs or {}, secret_keys(request.new_inputs)),
            failures=[failure(f) for f in result.failures or []],
        )

    def with_files(self, token: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """The content of the resource's file argument, read as the dynamic front end's program reads it."""
        where, path_field, content_field, limit = FILES.get(self.names[token], ((), "", "", FileLimit(0, "")))
        holder: Any = inputs
        for key in where:
            holder = holder.get(key) if isinstance(holder, dict) else None
        if not path_field or not isinstance(holder, dict):
            return inputs
        path = holder.get(path_field)
        holder.pop(content_field, None)
        if path is not None:
            holder[content_field] = UNKNOWN if path == UNKNOWN else file_base64(path, limit)
        return inputs

    async def diff(self, request: DiffRequest) -> DiffResponse:
        core = self.core(request.type)
        olds, news = plain_map(request.old_state), plain_map(request.new_inputs)
        result = await self.run(core.diff, request.resource_id, olds, news)
        replaces = result.replaces or []
        detailed = {}
        for name in core.changed(olds, news):
            added, deleted = olds.get(name) is None, news.get(name) is None
            kind = PropertyDiffKind.ADD if added else PropertyDiffKind.DELETE if deleted else PropertyDiffKind.UPDATE
            if name in replaces:
                kind = PropertyDiffKind[f"{kind.name}_REPLACE"]
            detailed[camel(name)] = PropertyDiff(kind, input_diff=True)
        return DiffResponse(
            changes=bool(result.changes),
            replaces=[camel(k) for k in replaces],
            delete_before_replace=bool(result.delete_before_replace),
            diffs=list(detailed),
            detailed_diff=detailed,
        )

    async def create(self, request: CreateRequest) -> CreateResponse:
        """At preview nothing is sent: the outputs are the inputs, the portal id not known yet."""
        core = self.core(request.type)
        props, secrets = plain_map(request.properties), secret_keys(request.properties)
        if request.preview:
            pending = [core.id_output] if core.id_output else []
            pending += ["adopted"] if core.lists_existing else []
            return CreateResponse("", wrapped_map({**props, **dict.fromkeys(pending, UNKNOWN)}, secrets))
        result = await self.run(core.create, props)
        return CreateResponse(result.id, wrapped_map(result.outs or {}, secrets))

    async def update(self, request: UpdateRequest) -> UpdateResponse:
        """At preview nothing is sent: the new inputs, with the ids an in-place update keeps."""
        core = self.core(request.type)
        olds, news, secrets = plain_map(request.olds), plain_map(request.news), secret_keys(request.news)
        if request.preview:
            kept = {k: olds[k] for k in (core.id_output, "adopted") if k is not None and k in olds}
            return UpdateResponse(wrapped_map({**news, **kept}, secrets))
        result = await self.run(core.update, request.resource_id, olds, news)
        return UpdateResponse(wrapped_map(result.outs or {}, secrets))

    async def read(self, request: ReadRequest) -> ReadResponse:
        """Refresh: what the portal holds now; a gone object leaves the state. Import (no state yet): the object
        rebuilt from its id alone."""
        core = self.core(request.type)
        if not request.properties:
            found = await self.run(core.imported, request.resource_id)
            return ReadResponse(found.id, wrapped_map(found.outs or {}, set()), wrapped_map(found.inputs or {}, set()))
        props, secrets = plain_map(request.properties), secret_keys(request.properties)
        result = await self.run(core.read, request.resource_id, props)
        if result.id is None:
            return ReadResponse(None, {}, {})
        inputs = request.inputs if result.inputs is None else wrapped_map(result.inputs, secrets)
        return ReadResponse(result.id, wrapped_map(result.outs or {}, secrets), inputs)

    async def delete(self, request: DeleteRequest) -> None:
        core = self.core(request.type)
        await self.run(core.delete, request.resource_id, plain_map(request.properties))
