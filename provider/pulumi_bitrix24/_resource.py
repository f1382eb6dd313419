"""What every Bitrix24 resource provider shares: settings, check via pydantic, diff by declared inputs."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import io
import json
import os
import stat
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar, cast

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN
from pydantic import BaseModel, ValidationError

from ._config import (
    NAMESPACE,
    PORTAL_SETTINGS,
    PORTALS,
    Settings,
    SettingsError,
    load_portals,
    load_settings,
    portal_settings,
)
from ._diagnostics import show_expected_failures_as_messages
from ._errors import (
    BOT_ID_ERROR,
    AuthError,
    Bitrix24Error,
    DuplicateError,
    ExistsError,
    ImportRefusedError,
    NotCreatedError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitError,
    ServerError,
    TransportError,
    with_detail,
)
from ._ledger import LEDGER

if TYPE_CHECKING:
    from ._client import Client
from ._rules import kind_of

Failure = tuple[str, str]


class UnknownPortalError(SettingsError):
    """A resource names a portal that bitrix24:portals does not have (and it carries no settings of its own)."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.rule = f"is not in {NAMESPACE}:{PORTALS} (it has {', '.join(known) or 'none'})"
        super().__init__(f"portal {name!r} {self.rule}")


PORTAL_FAULTS = (AuthError, RateLimitError, ServerError, TransportError)
"""Failures of a portal rather than of a resource's inputs: credentials, limits, outages."""
Id = TypeVar("Id", bound=int | str)
"""How a resource names its portal object: a numeric id, or (widgets, which have none) a text made of its identity."""
LOST_ANSWER_WAIT = 5.0
"""Seconds to keep looking for an object whose register got no answer: the request may still be running."""

show_expected_failures_as_messages()


def is_unknown(value: Any) -> bool:
    """True when a value (or anything inside it) is not known yet, as during preview."""
    if isinstance(value, Unknown):
        return True
    if isinstance(value, str):
        return value == UNKNOWN
    if isinstance(value, dict):
        return any(is_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(is_unknown(v) for v in value)
    return False


def fingerprint(inputs: dict[str, Any]) -> str:
    """A stable digest of a resource's declared inputs, to tell two resources with one identity apart."""
    text = json.dumps({k: v for k, v in inputs.items() if k != "__provider"}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def whole(value: Any) -> Any:
    """Numbers arrive from the engine as floats; ids read better, and go on the wire, as integers."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def lang_entries(translations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Declared translations as the LANG list of the REST API."""
    return [{key.upper(): value for key, value in t.items() if value is not None} for t in translations]


def flag(value: bool) -> str:
    """Python booleans as the Y/N strings of the REST API."""
    return "Y" if value else "N"


@dataclass(frozen=True)
class FileLimit:
    """The largest file an argument may name, and why: checked by its size on disk before a byte is read."""

    bytes: int
    why: str

    def problem(self, size: int) -> str | None:
        if size <= self.bytes:
            return None
        return f"must be at most {_mib(self.bytes)} ({self.why}), got {_mib(size)}; the file was not read"


def _mib(size: int) -> str:
    """A file size the way people say it: 1 MiB, 10 MiB, 1.0 GiB (1073741824 bytes)."""
    if size < 2**20:
        return f"{size} bytes"
    unit, scale = ("GiB", 2**30) if size >= 2**30 else ("MiB", 2**20)
    return f"{size // scale} {unit}" if size % scale == 0 else f"{size / scale:.1f} {unit} ({size} bytes)"


UNREAD = "!"
"""Prefix of the reason the program sends instead of a file's content (base64 never holds "!")."""


def file_base64(path: Any, limit: FileLimit) -> str | None:
    """A file's content as base64, the size checked on disk first so that a huge file is never read.

    A file that is missing, not a regular file or too large gives UNREAD + the reason instead, for check to report
    on the argument; a path that is not text gives None (check reports its type).
    """
    if not isinstance(path, str):
        return None
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            return f"{UNREAD}is not a regular file"
        too_large = limit.problem(info.st_size)
        if too_large is not None:
            return UNREAD + too_large
        with open(path, "rb") as file:
            data = file.read(limit.bytes + 1)  # the file may have grown since the stat
    except OSError:
        return f"{UNREAD}file not found or not readable"
    grown = limit.problem(len(data))
    return UNREAD + grown if grown is not None else base64.b64encode(data).decode()


CONTENT, DIGEST = "_base64", "_sha256"
"""A file argument reaches check as `<name>_base64` (its content, read by the program) and stays in the state as
`<name>_sha256` (its digest): the state and `pulumi preview --diff` show a change of file, not a megabyte of text."""
_contents: dict[str, str] = {}
_contents_lock = threading.Lock()


def _digest(encoded: str) -> str:
    return hashlib.sha256(base64.b64decode(encoded)).hexdigest()


def stored_files(values: dict[str, Any]) -> dict[str, Any]:
    """The inputs as the state keeps them: each file's content replaced by its digest (also in nested structures,
    and in a state written before digests existed). The content stays in this process for create and update,
    which run after check in the same provider process."""
    kept: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            kept[key] = stored_files(value)
        elif (
            key.endswith(CONTENT) and isinstance(value, str) and not value.startswith(UNREAD) and not is_unknown(value)
        ):
            digest = _digest(value)
            with _contents_lock:
                _contents[digest] = value
            kept[key.removesuffix(CONTENT) + DIGEST] = digest
        elif key.endswith(CONTENT):
            if value is not None:
                kept[key.removesuffix(CONTENT) + DIGEST] = value  # unknown in a preview, or a reason it was not read
        else:
            kept[key] = value
    return kept


def sent_files(values: dict[str, Any]) -> dict[str, Any]:
    """The inputs as the portal gets them: each digest back to the file content that check read."""
    sent: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            sent[key] = sent_files(value)
        elif key.endswith(DIGEST) and isinstance(value, str):
            with _contents_lock:
                content = _contents.get(value)
            if content is None:
                raise NotCreatedError(
                    "check",
                    "FILE_NOT_READ",
                    f"the file of {key.removesuffix(DIGEST)}_path was not read by this "
                    "run's check; run `pulumi up` again",
                )
            sent[key.removesuffix(DIGEST) + CONTENT] = content
        else:
            sent[key] = value
    return sent


def image_failures(
    field: str,
    encoded: Any,
    formats: Iterable[str],
    exact: tuple[int, int] | None = None,
    largest: tuple[int, int] | None = None,
) -> list[Failure]:
    """Check an image read by read_file_base64: readable, an allowed format, the exact or at most a size."""
    from PIL import Image, UnidentifiedImageError  # loaded only when there is an image: most checks have none

    if not encoded:
        return [(field, "file not found or not readable")]
    if str(encoded).startswith(UNREAD):
        return [(field, str(encoded).removeprefix(UNREAD))]
    try:
        with Image.open(io.BytesIO(base64.b64decode(encoded, validate=True))) as image:
            fmt, (width, height) = image.format or "", image.size
    except (binascii.Error, ValueError, UnidentifiedImageError):
        return [(field, "is not an image file")]
    allowed = tuple(formats)
    if fmt not in allowed:
        return [(field, f"must be {' or '.join(allowed)}, got {fmt}")]
    if exact is not None and (width, height) != exact:
        return [(field, f"must be {exact[0]}x{exact[1]} px (Bitrix24 icon canvas), got {width}x{height}")]
    if largest is not None and (width > largest[0] or height > largest[1]):
        return [(field, f"must be at most {largest[0]}x{largest[1]} px, got {width}x{height}")]
    return []


TYPE_RULES = {
    "missing": "is required",
    "string_type": "must be text",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "model_type": "must be an object",
    "dict_type": "must be an object",
}
"""pydantic's type errors in the words of a program; values are named the way a program writes them."""


def _pydantic_failures(error: ValidationError) -> list[Failure]:
    """One failure per broken field. A field inside a structure (`properties.color`, `translations[0].title`), or
    a rule on a whole structure, is reported on the resource with its path, since Pulumi would print the whole
    structure's value (10,000 translations make a line of most of a megabyte)."""
    failures = []
    for item in error.errors():
        field, *inner = [str(part) for part in item["loc"]] or ["arguments"]
        rule = TYPE_RULES.get(item["type"]) or item["msg"].removeprefix("Value error, ")
        if item["type"] in TYPE_RULES and item["type"] != "missing":
            rule += f", got {kind_of(item['input'])}"
        path = "".join(f"[{part}]" if part.isdigit() else f".{part}" for part in inner)
        whole_structure = isinstance(item["input"], list | dict) and item["type"] not in TYPE_RULES
        failures.append(("", f"{field}{path}: {rule}") if path or whole_structure else (field, rule))
    return failures


Method = TypeVar("Method", bound=Callable[..., Any])


IMPORT_HINT = (
    ". The portal never reads it back: to import, give it in the `inputs` of an import file (`pulumi import "
    "--file`), or add it to the generated code; the first `pulumi up` then sends it"
)


def operation(method: Method) -> Method:
    """Run a provider method as one resource operation of its portal's client (see Coalescer.operation); the
    portal is that of the resource's properties, the method's last mapping argument."""

    @functools.wraps(method)
    def run(self: BitrixProvider[Any], *args: Any, **kwargs: Any) -> Any:
        props = next(arg for arg in reversed(args) if isinstance(arg, dict))
        with self.client(props).operation():
            return method(self, *args, **kwargs)

    return cast(Method, run)


@dataclass(frozen=True)
class Existing(Generic[Id]):
    """An object found on the portal under the identity a resource declares."""

    id: Id
    ours: bool
    """Whether it belongs to the configured application (CLIENT_ID or OAuth app)."""


class BitrixProvider(ResourceProvider, Generic[Id]):
    """Base of the resource providers; instances hold no credentials (they are pickled into state)."""

    model: ClassVar[type[BaseModel]]
    """Per-field rules; its fields are the resource's declared inputs."""
    kind: ClassVar[str]
    """What users call the object, for messages: "bot", "chat app", "bot command"."""
    identity: ClassVar[tuple[str, ...]]
    """The inputs that name the object on the portal: two resources with the same values are the same object."""
    replace_on: ClassVar[tuple[str, ...]] = ()
    create_only: ClassVar[tuple[str, ...]] = ("adopt",)
    """Inputs that matter only when the object is created, so changing them later changes nothing."""
    idempotent: ClassVar[bool] = True
    """Whether register answers a repeat with the same object, so a lost answer may be resent; if not, register
    is sent once and a lost answer is settled by looking the object up."""
    located: ClassVar[str] = "on the portal"
    """Where a lookup looks, for messages: "on the portal", "on the bot"."""
    unread: ClassVar[tuple[str, ...]] = ()
    """Inputs the REST API never reads back (handler URLs): an import cannot rebuild them."""
    lists_existing: ClassVar[bool] = True
    """Whether the portal can tell that an object exists (apps cannot be listed), which makes adoption explicit."""
    methods: ClassVar[tuple[str, str, str]]
    """The REST methods that register, update and unregister the object."""
    id_param: ClassVar[str]
    """How the REST API names the object's id (APP_ID, BOT_ID, COMMAND_ID)."""
    id_output: ClassVar[str | None]
    """The output that holds the portal id (None where the id is the resource id itself)."""
    not_found_code: ClassVar[str]

    _settings: Settings | None = None
    _settings_problems: tuple[str, ...] = ()
    _portals: dict[str, Settings | SettingsError] | None = None
    _portals_problems: tuple[str, ...] = ()

    def configure(self, req: ConfigureRequest) -> None:
        """Keep broken settings for check to report: an exception here would reach the user as a traceback."""
        try:
            self._settings = load_settings(req.config)
        except SettingsError as exc:
            self._settings_problems = exc.problems
        try:
            self._portals = load_portals(req.config)
        except SettingsError as exc:
            self._portals_problems = exc.problems

    def settings(self, props: dict[str, Any]) -> Settings:
        """The settings of the resource's portal: a named one of bitrix24:portals, or the default."""
        name = props.get("portal")
        if name is None:
            if self._settings_problems:
                raise SettingsError(*self._settings_problems)
            return self._settings or load_settings(None)
        if self._portals_problems:
            raise SettingsError(*self._portals_problems)
        portals = self._portals if self._portals is not None else {}
        if name in portals:
            found = portals[name]
            if isinstance(found, SettingsError):
                raise found
            return found
        if isinstance(props.get(PORTAL_SETTINGS), dict):
            # A portal removed from the config: its resources are being deleted (or refreshed) with the
            # settings they were last created or updated with, as Pulumi does for a removed explicit provider.
            return portal_settings(name, props[PORTAL_SETTINGS])
        raise UnknownPortalError(name, sorted(portals))

    def client(self, props: dict[str, Any]) -> Client:
        # Imported here: the program process (which imports this module too) never talks to the portal.
        from ._client import client_for

        return client_for(self.settings(props))

    def portal(self, props: dict[str, Any]) -> str:
        """The resource's portal, as the key of everything remembered per portal."""
        return self.settings(props).base_url

    def settings_failures(self, props: dict[str, Any]) -> list[Failure]:
        """A missing or unusable portal configuration fails the preview, not the middle of an update.

        Each failure has no property, so that Pulumi reports it as a problem of the resource (`resource 'x' has
        a problem: bitrix24 configuration: ...`) rather than of an input the resource does not have; a portal
        name that the configuration lacks is a problem of the `portal` argument.
        """
        name = props.get("portal")
        if is_unknown(name):
            return []
        try:
            self.settings(props).validate()
        except UnknownPortalError as exc:
            return [("portal", exc.rule)]
        except SettingsError as exc:
            where = f"{NAMESPACE} configuration" + (f" of portal {name!r}" if name is not None else "")
            return [("", f"{where}: {problem}") for problem in exc.problems]
        return []

    @classmethod
    def inputs(cls) -> tuple[str, ...]:
        return tuple(cls.model.model_fields)

    def describe(self, props: dict[str, Any]) -> str:
        """The object as a user would name it: `bot code 'echo'`, `command /help of bot 5 on portal 'acme'`."""
        portal = props.get("portal")
        return self.object_name(props) + (f" on portal {portal!r}" if portal is not None else "")

    def object_name(self, props: dict[str, Any]) -> str:
        return f"{self.kind} " + ", ".join(f"{k} {whole(props.get(k))!r}" for k in self.identity)

    # --- check -----------------------------------------------------------------------------------
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, failures = self.rule_failures(news)
        if olds and not olds.keys() & set(self.unread):  # olds as read back by `pulumi import`
            failures = [(f, f"{r}{IMPORT_HINT}" if f in self.unread else r) for f, r in failures]
        inputs = stored_files(inputs)
        failures += self.settings_failures(news)
        if not failures:
            failures = self.identity_failures(olds, news, inputs, {k for k, v in news.items() if is_unknown(v)})
        return CheckResult(inputs, [CheckFailure(field, reason) for field, reason in failures])

    def rule_failures(self, news: dict[str, Any]) -> tuple[dict[str, Any], list[Failure]]:
        """The argument rules alone, which need no portal: the checked inputs (defaults filled in) and what
        breaks a rule. Unknown values pass untouched; check runs this, and so does a program under mocks."""
        unknown = {k for k, v in news.items() if is_unknown(v)}
        known = {k: v for k, v in news.items() if k in self.inputs() and k not in unknown and v is not None}
        failures: list[Failure] = []
        try:
            normalized = self.model.model_validate(known).model_dump(exclude_none=True)
        except ValidationError as error:
            failures = [f for f in _pydantic_failures(error) if f[0] not in unknown]
            normalized = known
        failures += self.cross_failures(known, unknown)
        return {**news, **self.defaults(normalized, unknown), **normalized}, failures

    def identity_failures(
        self, olds: dict[str, Any], news: dict[str, Any], inputs: dict[str, Any], unknown: set[str]
    ) -> list[Failure]:
        """Refuse an identity that another resource of this stack holds or that the portal already has.

        A replacement is checked twice: with the old inputs, then (for its create) without. The first call
        records the identity as this stack's with the inputs declared; the second, with the same inputs, is
        that replacement's create, not a takeover; other inputs mean a second resource with the same identity.
        """
        if unknown & {*self.identity, "portal"}:
            return []
        portal, key, field = self.portal(inputs), self.identity_key(inputs), self.identity[-1]
        moved = bool(olds) and key != self.identity_key(olds)
        if olds and not moved:
            LEDGER.own(portal, self.kind, key, fingerprint(news))
            return []
        owner = LEDGER.owner(portal, self.kind, key)
        if owner == fingerprint(news):
            return []
        if owner is not None:
            return [(field, f"another resource of this stack already manages the {self.describe(inputs)}")]
        if not moved:
            return self.takeover_failures(inputs, "create")
        return self.takeover_failures(inputs, "replace" if self.diff("", olds, inputs).replaces else "update")

    def identity_key(self, props: dict[str, Any]) -> tuple[Any, ...]:
        """The identity on its portal: the same code on two portals names two objects."""
        return (props.get("portal"), *(whole(props.get(k)) for k in self.identity))

    @operation
    def takeover_failures(self, props: dict[str, Any], change: Literal["create", "replace", "update"]) -> list[Failure]:
        """Refuse, at preview, to create, replace or update onto what already exists. A create may adopt it, and
        so may a replacement (its new object is a create: one an interrupted `up` made is taken over); an update
        keeps its object, which cannot become another."""
        field = self.identity[-1]
        try:
            existing = self.find_existing(props)
        except Bitrix24Error as exc:
            problem = f"could not check whether the {self.kind} already exists: {exc}"
            if props.get("portal") is not None and isinstance(exc, PORTAL_FAULTS):
                # A check failure stops the whole run; an operation failure stops only what depends on it. So in
                # a fleet an unreachable portal fails its own resources (at create, which looks again), and the
                # others go on under `pulumi up --continue-on-error`.
                portal = props["portal"]
                pulumi.log.warn(f"{problem.rstrip('.')}. `pulumi up` will fail for the resources of portal {portal!r}")
                return []
            return [(field, problem)]
        if existing is None:
            LEDGER.found_absent(self.portal(props), self.kind, self.identity_key(props))
            return []
        if change == "update":
            return [(field, self.clash_message(props, existing))]
        if existing.ours and props.get("adopt"):
            if self.id_output:
                # The id the create will adopt, known now: a preview shows dependents unchanged, as `up` leaves them.
                props[self.id_output] = existing.id
            return []
        return [(field, self.takeover_message(props, existing, change))]

    def clash_message(self, props: dict[str, Any], existing: Existing[Id]) -> str:
        return (
            f"cannot change this {self.kind} to the {self.describe(props)}: the portal already has that one "
            f"(id {existing.id}). Choose another {self.identity[-1]}, or delete the other first"
        )

    def takeover_message(
        self, props: dict[str, Any], existing: Existing[Id], change: Literal["create", "replace", "update"] = "create"
    ) -> str:
        what = f"{self.describe(props)} already exists on the portal (id {existing.id})"
        if not existing.ours:
            return (
                f"{what} and belongs to another application (another bitrix24:clientId or OAuth app): "
                f"choose another {self.identity[-1]}, or manage it with the credentials that created it"
            )
        owner = "bitrix24:clientId" if self.settings(props).webhook_url else "OAuth app"
        take_over = (
            f"set adopt=True to take over the existing {self.kind} (if another stack manages it, give each stack "
            f"its own {owner} instead)"
        )
        if change == "replace":
            return f"{what}, perhaps made by an interrupted `pulumi up`: {take_over}"
        return (
            f"{what}. If this resource had another name or parent before, keep the object with an alias: "
            '`opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name="old-name")])` after a rename, '
            "`aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]` after a move into a component "
            '(or `aliases=["<old URN>"]`, listed by `pulumi stack --show-urns`); Pulumi stops at the first '
            "resource it refuses, so alias every resource you moved at once. Otherwise " + take_over
        )

    def cross_failures(self, values: dict[str, Any], unknown: set[str]) -> list[Failure]:
        """Rules that span several fields; skip any rule that touches an unknown field."""
        return []

    def defaults(self, values: dict[str, Any], unknown: set[str]) -> dict[str, Any]:
        """Values the portal would assume, made explicit so that state shows what the portal holds."""
        return {}

    # --- diff ------------------------------------------------------------------------------------
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = self.changed(olds, news)
        replaces = self.replacements(changed, olds, news)
        return DiffResult(
            changes=bool(changed),
            replaces=replaces,
            delete_before_replace=bool(replaces) and self.same_identity(olds, news),
        )

    def changed(self, olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
        """The declared inputs that differ or are not known yet; create-only inputs never count."""
        olds = stored_files(olds)  # a state written before file digests holds the file content itself
        compared = [k for k in self.inputs() if k not in self.create_only]
        return [k for k in compared if olds.get(k) != news.get(k) or is_unknown(news.get(k))]

    def replacements(self, changed: list[str], olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
        """The changed inputs that replace the object: the resource's own, and the portal it lives on."""
        return [k for k in changed if k in self.replace_on or k == "portal"]

    def same_identity(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        """Whether old and new would collide on the portal, forcing delete-before-create."""
        return self.identity_key(olds) == self.identity_key(news)

    # --- REST ----------------------------------------------------------------------------------------
    def fields(self, props: dict[str, Any]) -> dict[str, Any]:
        """The FIELDS of an update: the full declared state, so every update converges the object."""
        raise NotImplementedError

    def register_params(self, props: dict[str, Any]) -> dict[str, Any]:
        """Parameters of the register call."""
        raise NotImplementedError

    def object_id(self, id_: str) -> Id:
        """The portal object a resource id names (a number, unless a resource says otherwise)."""
        return cast(Id, int(id_))

    def find_existing(self, props: dict[str, Any]) -> Existing[Id] | None:
        """The object the portal already holds under this identity; None where the API cannot list them."""
        return None

    def register(self, props: dict[str, Any]) -> Id:
        """Make a new object; resent after a lost answer only where register answers a repeat with the same id,
        otherwise sent once, and when its outcome is unknown the object is looked up."""
        try:
            return self.registered(
                self.client(props).call(self.methods[0], self.register_params(props), idempotent=self.idempotent),
                props,
            )
        except NotFoundError as exc:
            raise self.naming_bot(exc, props) from None
        except (ServerError, TransportError) as exc:
            if self.idempotent:
                raise
            object_id = self._registered_after(exc, props)
            pulumi.log.info(
                f"the answer to {exc.method} was lost ({exc.code}), but {self.describe(props)} was registered "
                f"(id {object_id}): using it"
            )
            return object_id

    def registered(self, result: Any, props: dict[str, Any]) -> Id:
        """The new object's id from the register call's result."""
        return cast(Id, int(result))

    def _registered_after(self, failure: ServerError | TransportError, props: dict[str, Any]) -> Id:
        """The object's id if the unanswered register did its work; a request still running gets some time."""
        answered = isinstance(failure, ServerError)
        budget = 0.0 if answered else max(LOST_ANSWER_WAIT, 2 * self.settings(props).timeout_seconds)
        started, delay, looks = time.monotonic(), 0.5, 0
        while True:
            looks += 1
            found = self.find_existing(props)
            if found is not None:
                return found.id
            waited = time.monotonic() - started
            if waited + delay > budget:
                break
            time.sleep(delay)
            delay *= 2
        looked = f"looked {looks} time{'s' * (looks > 1)} over {waited:.1f} s"
        if answered:
            raise NotCreatedError(
                failure.method,
                failure.code,
                f"the portal answered {failure.code} and {self.describe(props)} is not {self.located} "
                f"({looked}), so it was not created",
            )
        raise OutcomeUnknownError(
            failure.method,
            failure.code,
            f"the portal did not answer, and {self.describe(props)} is not {self.located} yet ({looked})",
        )

    @staticmethod
    def naming_bot(exc: NotFoundError, props: dict[str, Any]) -> NotFoundError:
        """A register's BOT_ID_ERROR says which input is wrong: the bot_id."""
        if exc.code == BOT_ID_ERROR and "bot_id" in props:
            return with_detail(exc, f"bot_id {whole(props['bot_id'])} is not a bot on this portal")
        return exc

    def update_fields(self, props: dict[str, Any], olds: dict[str, Any] | None) -> dict[str, Any]:
        """The FIELDS that converge an existing object: `olds` is its state on an update, None on an adoption."""
        return self.fields(props)

    def converge(self, object_id: Id, props: dict[str, Any], olds: dict[str, Any] | None = None) -> None:
        """Send the full declared state to an existing object."""
        fields = self.update_fields(props, olds)
        self.client(props).call(self.methods[1], {self.id_param: object_id, "FIELDS": fields})

    def normalized(self, props: dict[str, Any]) -> dict[str, Any]:
        """Checked inputs as the model reads them: the engine hands back 400 as 400.0, the portal gets 400."""
        declared = {k: v for k, v in props.items() if k in self.inputs() and v is not None}
        return {**props, **self.model.model_validate(declared).model_dump(exclude_none=True)}

    @operation
    def create(self, props: dict[str, Any]) -> CreateResult:
        """Create, or adopt what exists when the program says so; never take an object over silently."""
        props = self.normalized(props)
        portal, key = self.portal(props), self.identity_key(props)
        if LEDGER.owner(portal, self.kind, key) is not None or not LEDGER.claim(portal, self.kind, key):
            raise DuplicateError(
                f"two resources of this program declare the same {self.describe(props)}; "
                "each portal object can be managed by one resource only"
            )
        # The check of this same run has just looked; look again only when it could not (identity unknown then).
        existing = None if LEDGER.absent(portal, self.kind, key) else self.find_existing(props)
        if existing is None:
            try:
                object_id = self.register(sent_files(props))
            except ExistsError:
                # Made after the look: a request of an interrupted run that the portal finished late. With adopt
                # it is taken over like one found before; without, the refusal stands.
                existing = self.find_existing(props) if props.get("adopt") else None
                if existing is None:
                    raise
        if existing is not None:
            if not (existing.ours and props.get("adopt")):
                raise ExistsError(self.takeover_message(props, existing))
            object_id = existing.id
            self.converge(object_id, sent_files(props))
            pulumi.log.info(f"adopted the existing {self.describe(props)} (id {object_id}), as adopt=True asks")
        LEDGER.record(portal, self.kind, object_id)
        return CreateResult(str(object_id), self.outputs(props, object_id, adopted=existing is not None))

    @operation
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        news = self.normalized(news)
        try:
            self.converge(self.object_id(id_), sent_files(news), olds)
        except Bitrix24Error as exc:
            raise self.failed_update(exc, olds, news) from None
        return UpdateResult(self.outputs(news, self.object_id(id_), adopted=bool(olds.get("adopted"))))

    def failed_update(self, failure: Bitrix24Error, olds: dict[str, Any], news: dict[str, Any]) -> Bitrix24Error:
        """The error an update reports; a resource whose change is not atomic puts the old object back here,
        since the engine keeps the old inputs in the state after a failed update."""
        return failure

    def outputs(self, props: dict[str, Any], object_id: Id, adopted: bool) -> dict[str, Any]:
        """Every input, the portal id and, where existence can be told, whether the object was adopted."""
        ids = {self.id_output: object_id} if self.id_output else {}
        return {**props, **ids, **({"adopted": adopted} if self.lists_existing else {})}

    @operation
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Unregister; an object that is already gone counts as deleted, one another resource took over is kept."""
        portal = self.portal(props)
        if LEDGER.recorded(portal, self.kind, self.object_id(id_)):
            pulumi.log.info(
                f"kept {self.kind} {id_} ({self.object_name(props).removeprefix(self.kind + ' ')}) on the portal: "
                "another resource of this stack now manages it"
            )
            return
        LEDGER.release(portal, self.kind, self.identity_key(props))
        self.unregister(self.object_id(id_), props)

    def unregister(self, object_id: Id, props: dict[str, Any]) -> None:
        """Remove the object from the portal; one that is already gone counts as removed."""
        try:
            self.client(props).call(self.methods[2], {self.id_param: object_id})
        except NotFoundError as exc:
            if exc.code != self.not_found_code:
                raise

    # --- refresh ---------------------------------------------------------------------------------
    @operation
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """What the portal holds now: gone objects leave the state, readable hand edits become drift."""
        current = self.read_back(self.object_id(id_), props)
        if current is None:
            return ReadResult(None, {})
        if current == props:
            return ReadResult(id_, props)
        inputs = {k: v for k, v in current.items() if k not in (self.id_output, "adopted")}
        return ReadResult(id_, current, inputs)

    def read_back(self, object_id: Id, props: dict[str, Any]) -> dict[str, Any] | None:
        """The stored outputs updated with whatever the portal can tell; None when the object is gone."""
        return props

    # --- import ----------------------------------------------------------------------------------
    def imported(self, import_id: str) -> ReadResult:
        """`pulumi import`: the object an id names, rebuilt from the portal alone (the id the state keeps, the
        outputs, the inputs). What the REST API cannot read back (handler URLs) is left out: an import file's
        `inputs` may give it, and the first `pulumi up` sends it, since nothing can tell what the portal holds."""
        raise ImportRefusedError(f"a {self.kind} cannot be imported")
