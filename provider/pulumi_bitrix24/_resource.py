"""What every Bitrix24 resource provider shares: settings, check via pydantic, diff by declared inputs."""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

import pulumi
from PIL import Image, UnidentifiedImageError
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

from ._client import Client, client_for
from ._config import NAMESPACE, Settings, SettingsError, load_settings
from ._errors import NotFoundError

Failure = tuple[str, str]


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


def lang_entries(translations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Declared translations as the LANG list of the REST API."""
    return [{key.upper(): value for key, value in t.items() if value is not None} for t in translations]


def flag(value: bool) -> str:
    """Python booleans as the Y/N strings of the REST API."""
    return "Y" if value else "N"


def read_image_base64(path: pulumi.Input[str] | None) -> pulumi.Input[str] | None:
    """Read an image file for upload (in the program, relative to the project); "" if it is missing."""
    if path is None:
        return None

    def load(p: str) -> str:
        file = Path(p)
        return base64.b64encode(file.read_bytes()).decode() if file.is_file() else ""

    return pulumi.Output.from_input(path).apply(load)


def image_failures(
    field: str,
    encoded: Any,
    formats: Iterable[str],
    exact: tuple[int, int] | None = None,
    largest: tuple[int, int] | None = None,
) -> list[Failure]:
    """Check an image read by read_image_base64: present, an allowed format, the exact or at most a size."""
    if not encoded:
        return [(field, "file not found or not readable")]
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


def _pydantic_failures(error: ValidationError) -> list[Failure]:
    """One failure per broken field: the top-level input, with any inner path (`[0].title`) in the reason."""
    failures = []
    for item in error.errors():
        field, *inner = [str(part) for part in item["loc"]] or ["arguments"]
        rule = item["msg"].removeprefix("Value error, ")
        path = "".join(f"[{part}]" if part.isdigit() else f".{part}" for part in inner)
        failures.append((field, f"{path}: {rule}" if path else rule))
    return failures


class BitrixProvider(ResourceProvider):
    """Base of the resource providers; instances hold no credentials (they are pickled into state)."""

    model: ClassVar[type[BaseModel]]
    """Per-field rules; its fields are the resource's declared inputs."""
    replace_on: ClassVar[tuple[str, ...]] = ()
    methods: ClassVar[tuple[str, str, str]]
    """The REST methods that register, update and unregister the object."""
    id_param: ClassVar[str]
    """How the REST API names the object's id (APP_ID, BOT_ID, COMMAND_ID)."""
    id_output: ClassVar[str]
    not_found_code: ClassVar[str]
    adopts_existing: ClassVar[bool] = True
    """Whether register answers an existing object with its id, so create converges it with an update."""

    _settings: Settings | None = None
    _settings_problems: tuple[str, ...] = ()

    def configure(self, req: ConfigureRequest) -> None:
        """Keep broken settings for check to report: an exception here would reach the user as a traceback."""
        try:
            self._settings = load_settings(req.config)
        except SettingsError as exc:
            self._settings_problems = exc.problems

    def settings(self) -> Settings:
        if self._settings_problems:
            raise SettingsError(*self._settings_problems)
        return self._settings or load_settings(None)

    def client(self) -> Client:
        return client_for(self.settings())

    def settings_failures(self) -> list[Failure]:
        """A missing or unusable portal configuration fails the preview, not the middle of an update.

        Each failure has no property, so that Pulumi reports it as a problem of the resource (`resource 'x' has
        a problem: bitrix24 configuration: ...`) rather than of an input the resource does not have.
        """
        try:
            self.settings().validate()
        except SettingsError as exc:
            return [("", f"{NAMESPACE} configuration: {problem}") for problem in exc.problems]
        return []

    @classmethod
    def inputs(cls) -> tuple[str, ...]:
        return tuple(cls.model.model_fields)

    # --- check -----------------------------------------------------------------------------------
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        unknown = {k for k, v in news.items() if is_unknown(v)}
        known = {k: v for k, v in news.items() if k in self.inputs() and k not in unknown and v is not None}
        failures: list[Failure] = []
        try:
            normalized = self.model.model_validate(known).model_dump(exclude_none=True)
        except ValidationError as error:
            failures = [f for f in _pydantic_failures(error) if f[0] not in unknown]
            normalized = known
        failures += self.cross_failures(known, unknown) + self.settings_failures()
        inputs = {**news, **self.defaults(normalized, unknown), **normalized}
        return CheckResult(inputs, [CheckFailure(field, reason) for field, reason in failures])

    def cross_failures(self, values: dict[str, Any], unknown: set[str]) -> list[Failure]:
        """Rules that span several fields; skip any rule that touches an unknown field."""
        return []

    def defaults(self, values: dict[str, Any], unknown: set[str]) -> dict[str, Any]:
        """Values the portal would assume, made explicit so that state shows what the portal holds."""
        return {}

    # --- diff ------------------------------------------------------------------------------------
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [k for k in self.inputs() if olds.get(k) != news.get(k) or is_unknown(news.get(k))]
        replaces = self.replacements(changed, olds, news)
        return DiffResult(
            changes=bool(changed),
            replaces=replaces,
            delete_before_replace=bool(replaces) and self.same_identity(olds, news),
        )

    def replacements(self, changed: list[str], olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
        return [k for k in changed if k in self.replace_on]

    def same_identity(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        """Whether old and new would collide on the portal, forcing delete-before-create."""
        return False

    # --- REST ----------------------------------------------------------------------------------------
    def fields(self, props: dict[str, Any]) -> dict[str, Any]:
        """The FIELDS of an update: the full declared state, so every update converges the object."""
        raise NotImplementedError

    def register_params(self, props: dict[str, Any]) -> dict[str, Any]:
        """Parameters of the register call."""
        raise NotImplementedError

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Register; where register adopts an existing object, converge it with a full update."""
        register, update, _ = self.methods
        client = self.client()
        # A lost answer is retried only where register is idempotent (it answers with the existing object).
        object_id = int(client.call(register, self.register_params(props), idempotent=self.adopts_existing))
        if self.adopts_existing:
            client.call(update, {self.id_param: object_id, "FIELDS": self.fields(props)})
        return CreateResult(str(object_id), {**props, self.id_output: object_id})

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        self.client().call(self.methods[1], {self.id_param: int(id_), "FIELDS": self.fields(news)})
        return UpdateResult({**news, self.id_output: int(id_)})

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        """Unregister; an object that is already gone counts as deleted."""
        try:
            self.client().call(self.methods[2], {self.id_param: int(id_)})
        except NotFoundError as exc:
            if exc.code != self.not_found_code:
                raise

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Bitrix24 has no read method for these objects: refresh keeps the stored state."""
        return ReadResult(id_, props)
