"""The plugin's Pulumi package schema, generated from the resource models and the argument docs users see in help().

Schema format: https://www.pulumi.com/docs/iac/guides/building-extending/packages/schema/ (type tokens, `$ref`s to
`#/types/...`, enums as string types with `enum` values, `secret: true`).
"""

from __future__ import annotations

import inspect
import re
import types
from dataclasses import dataclass, fields
from importlib.metadata import version
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from ._config import NAMESPACE, SECRET_SETTINGS, SETTINGS
from ._resource import BitrixProvider
from .bot import BotArgs, BotProperties, BotProvider
from .bot_command import BotCommandArgs, BotCommandProvider, CommandTranslation
from .chat_app import ChatAppArgs, ChatAppProvider, Translation
from .widget import OPTION_NAMES, WidgetArgs, WidgetModel, WidgetProvider, WidgetTranslation

PACKAGE = NAMESPACE
MODULE = "index"
FRONT_END_ONLY = frozenset({"portal"})
"""Model fields of the dynamic front end only: the plugin selects a portal with an explicit provider instead."""
TRANSIENT = frozenset({"icon_base64", "photo_base64"})
"""Model fields that the front end fills from another input (the file's content) for check to validate; check
keeps their digest instead, so they are neither inputs nor outputs of the schema."""
DERIVED = {"icon_sha256": "icon_path", "photo_sha256": "photo_path"}
"""Model fields that check derives from another input (the digest of a file), never declared: outputs only."""
SECRET_FIELDS = frozenset({"hash"})
"""Inputs stored as secrets (ChatAppArgs: hash is "Stored as a secret")."""
OUTPUT_DOCS = {
    "bot_id": "the bot's portal id (give it to ChatApp and BotCommand)",
    "command_id": "the command's portal id",
    "app_id": "the chat app's portal id",
    "adopted": "whether create took over an object that already existed (adopt: true)",
    "icon_sha256": "the SHA-256 of the icon file as sent to the portal (ICON_FILE), kept instead of the file",
    "photo_sha256": "the SHA-256 of the photo as sent to the portal (PERSONAL_PHOTO), kept instead of the file",
}


@dataclass(frozen=True)
class Kind:
    """One resource of the plugin: its core provider (whose docstring describes it) and the documented arguments."""

    name: str
    provider: type[BitrixProvider[Any]]
    args: type
    entries: dict[str, type]
    """The argument dataclasses of nested objects, by field name (their docstrings document their fields)."""

    @property
    def token(self) -> str:
        return f"{PACKAGE}:{MODULE}:{self.name}"


KINDS = (
    Kind("Bot", BotProvider, BotArgs, {"properties": BotProperties}),
    Kind("BotCommand", BotCommandProvider, BotCommandArgs, {"translations": CommandTranslation}),
    Kind("ChatApp", ChatAppProvider, ChatAppArgs, {"translations": Translation}),
    Kind("Widget", WidgetProvider, WidgetArgs, {"translations": WidgetTranslation}),
)


class SchemaError(ValueError):
    """A model field the schema cannot describe: no documentation in its Args class, or a type with no schema type."""


def camel(name: str) -> str:
    """A Python argument name as the schema names it: `iframe_width` -> `iframeWidth`."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def snake(name: str) -> str:
    """A schema property name as the Python argument: `iframeWidth` -> `iframe_width`."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def argument_docs(declared: type) -> dict[str, str]:
    """Each argument's text from the `Args:` section of a dataclass docstring (`width, height:` documents both)."""
    lines = inspect.cleandoc(declared.__doc__ or "").splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == "Args:"), len(lines))
    docs: dict[str, str] = {}
    names: list[str] = []
    for line in lines[start + 1 :]:
        entry = re.fullmatch(r" {4}([a-z_][a-z0-9_, ]*):(.*)", line)
        if entry:
            names = [n.strip() for n in entry.group(1).split(",")]
            text = entry.group(2).strip()
        elif line.startswith("        ") and names:
            text = line.strip()
        else:
            break
        for name in names:
            docs[name] = f"{docs.get(name, '')} {text}".strip()
    return docs


def _strip(annotation: Any) -> tuple[Any, bool]:
    """The annotation without Annotated metadata and without None; and whether None was allowed."""
    optional = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            optional = optional or len(members) < len(get_args(annotation))
            if len(members) != 1:
                raise SchemaError(f"no schema type for the union {annotation}")
            annotation = members[0]
        else:
            return annotation, optional


class Builder:
    """Collects the object and enum types that the resources refer to."""

    def __init__(self) -> None:
        self.types: dict[str, dict[str, Any]] = {}

    def ref(self, name: str) -> dict[str, Any]:
        return {"$ref": f"#/types/{PACKAGE}:{MODULE}:{name}"}

    def type_of(self, annotation: Any, owner: str, field: str, entries: dict[str, type]) -> dict[str, Any]:
        """The schema type of a model field; Literals become enums named after their owner and field."""
        annotation, _ = _strip(annotation)
        simple = {str: "string", bool: "boolean", int: "integer", float: "number"}
        if annotation in simple:
            return {"type": simple[annotation]}
        if get_origin(annotation) is Literal:
            name = owner + camel(field)[:1].upper() + camel(field)[1:]
            values = [{"value": v} for v in get_args(annotation)]
            self.types[f"{PACKAGE}:{MODULE}:{name}"] = {"type": "string", "enum": values}
            return self.ref(name)
        if get_origin(annotation) is list:
            return {"type": "array", "items": self.type_of(get_args(annotation)[0], owner, field, entries)}
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            declared = entries[field]
            shape = self.object_of(annotation, declared, declared.__name__, {})
            self.types[f"{PACKAGE}:{MODULE}:{declared.__name__}"] = {
                "type": "object",
                "description": inspect.cleandoc(declared.__doc__ or "").split("\n\n")[0],
                "properties": shape["properties"],
                **({"required": shape["required"]} if shape["required"] else {}),  # as Pulumi prints a schema
            }
            return self.ref(declared.__name__)
        raise SchemaError(f"{owner}.{field}: no schema type for {annotation}")

    def object_of(
        self, model: type[BaseModel], declared: type, owner: str, entries: dict[str, type], outputs: bool = True
    ) -> dict[str, Any]:
        """`properties` and `required` of a model: declared fields with their help() text; derived fields (the
        content of a file) as outputs only, when `outputs`."""
        docs = argument_docs(declared)
        names = {f.name for f in fields(declared)}
        properties: dict[str, Any] = {}
        required = []
        for name, info in model.model_fields.items():
            if name in FRONT_END_ONLY or name in TRANSIENT or (name in DERIVED and not outputs):
                continue
            if name in DERIVED:
                description = OUTPUT_DOCS[name]
            elif name not in names or not docs.get(name):
                raise SchemaError(f"{owner}.{name} is not documented in {declared.__name__}'s Args")
            else:
                description = docs[name]
            spec = {**self.type_of(info.annotation, owner, name, entries), "description": description}
            if name in SECRET_FIELDS:
                spec["secret"] = True
            properties[camel(name)] = spec
            if info.is_required():
                required.append(camel(name))
        return {"properties": properties, "required": required}

    def resource(self, kind: Kind) -> dict[str, Any]:
        model = kind.provider.model
        inputs = self.object_of(model, kind.args, kind.name, kind.entries, outputs=False)
        outputs = self.object_of(model, kind.args, kind.name, kind.entries)
        extra = [kind.provider.id_output] if kind.provider.id_output else []
        extra += ["adopted"] if kind.provider.lists_existing else []
        for name in extra:
            output_type = "integer" if name.endswith("_id") else "boolean"
            outputs["properties"][camel(name)] = {"type": output_type, "description": OUTPUT_DOCS[name]}
        always = [camel(n) for n, info in model.model_fields.items() if not _strip(info.annotation)[1]]
        return {
            "description": inspect.cleandoc(kind.provider.__doc__ or ""),
            "inputProperties": inputs["properties"],
            "requiredInputs": inputs["required"],
            "properties": outputs["properties"],
            "required": [*(n for n in always if n in outputs["properties"]), *(camel(n) for n in extra)],
        }


GET_BOT = f"{PACKAGE}:{MODULE}:getBot"
GET_BOT_COMMANDS = f"{PACKAGE}:{MODULE}:getBotCommands"
GET_WIDGETS = f"{PACKAGE}:{MODULE}:getWidgets"
GO_IMPORT_PATH = "github.com/pulumi-bitrix24/pulumi-bitrix24/sdk/go/bitrix24"
"""The Go SDK's module (sdk/go/bitrix24 in this repository; programs point at it with a go.mod `replace`)."""
LANGUAGES = {
    "nodejs": {"respectSchemaVersion": True},
    "go": {"importBasePath": GO_IMPORT_PATH, "respectSchemaVersion": True},
}
"""Codegen settings: SDKs carry the package version (not a ${VERSION} placeholder) and no pluginDownloadURL, as the
plugin comes with the Python package. Keys: https://www.pulumi.com/docs/iac/guides/building-extending/packages/schema/
(`language`), the nodejs and go `importer.go` of github.com/pulumi/pulumi pkg/codegen."""


def get_bot(builder: Builder) -> dict[str, Any]:
    """getBot: a bot of the portal by code or id, described in the Bot's own terms and types."""
    docs = argument_docs(BotArgs)
    bot_id = {"type": "integer", "description": OUTPUT_DOCS["bot_id"]}
    code = {"type": "string", "description": "the bot's code"}
    return {
        "description": "A bot of the portal, found by `code` or by `botId` (give one): imbot.v2.Bot.get.",
        "inputs": {"properties": {"code": code, "botId": bot_id}},
        "outputs": {
            "properties": {
                "botId": bot_id,
                "code": code,
                "type": {**builder.ref("BotType"), "description": docs["type"]},
                "openline": {"type": "boolean", "description": docs["openline"]},
                "properties": {
                    **builder.ref("BotProperties"),
                    "description": "the profile as the portal shows it: name, lastName, workPosition, color, gender",
                },
                "ours": {"type": "boolean", "description": "whether this application (clientId or OAuth app) owns it"},
            },
            "required": ["botId", "code", "type", "openline", "properties", "ours"],
        },
    }


def listed(
    builder: Builder, name: str, description: str, properties: dict[str, Any], always: bool = True
) -> dict[str, Any]:
    """An object type of a lookup's answer (`getBotCommandsCommand`, named after its function as Pulumi
    providers name them), every property present when `always`; a `$ref` to it."""
    builder.types[f"{PACKAGE}:{MODULE}:{name}"] = {
        "type": "object",
        "description": description,
        "properties": properties,
        **({"required": list(properties)} if always else {}),
    }
    return builder.ref(name)


def get_bot_commands(builder: Builder) -> dict[str, Any]:
    """getBotCommands: the commands of one of this application's bots, in BotCommand's terms."""
    docs = argument_docs(BotCommandArgs)
    bot_id = {"type": "integer", "description": "the bot's portal id, e.g. a Bot's `botId`; a bot of this application"}
    flag_docs = {"common": docs["common"], "hidden": docs["hidden"], "extranetSupport": docs["extranet_support"]}
    command = listed(
        builder,
        "getBotCommandsCommand",
        "A bot command as the portal reads it (imbot.v2.Command.list).",
        {
            "commandId": {"type": "integer", "description": OUTPUT_DOCS["command_id"]},
            "command": {"type": "string", "description": "the command's name without the slash (`help` for /help)"},
            "title": {"type": "string", "description": "what the command does, in the portal's language"},
            "params": {"type": "string", "description": "the parameters hint in the portal's language, or empty"},
            **{name: {"type": "boolean", "description": text} for name, text in flag_docs.items()},
        },
    )
    return {
        "description": "The commands of a bot of this application (clientId or OAuth app) as the portal reads them: "
        "imbot.v2.Command.list, which shows titles only in the portal's language and refuses a bot of another "
        "application.",
        "inputs": {"properties": {"botId": bot_id}, "required": ["botId"]},
        "outputs": {
            "properties": {
                "botId": bot_id,
                "commands": {"type": "array", "items": command, "description": "the bot's commands, oldest first"},
            },
            "required": ["botId", "commands"],
        },
    }


def get_widgets(builder: Builder) -> dict[str, Any]:
    """getWidgets: this application's widgets, in Widget's terms and types."""
    docs = argument_docs(WidgetArgs)
    placement = {"type": "string", "description": docs["placement"].split(" Changing it")[0]}
    options = listed(
        builder,
        "getWidgetsWidgetOptions",
        "The options the portal stores for a widget (its placement's options, defaults filled in).",
        {
            camel(name): {
                **builder.type_of(WidgetModel.model_fields[name].annotation, "Widget", name, {}),
                "description": docs[name],
            }
            for name in OPTION_NAMES
        },
        always=False,  # each placement keeps its own options
    )
    widget = listed(
        builder,
        "getWidgetsWidget",
        "A widget as placement.get shows it.",
        {
            "placement": {"type": "string", "description": "where the widget appears, e.g. IM_TEXTAREA"},
            "handler": {"type": "string", "description": "the page the portal opens (with placement, its identity)"},
            "title": {"type": "string", "description": "the label, in the portal's language"},
            "description": {"type": "string", "description": "the longer text in the portal's language, or empty"},
            "options": {**options, "description": "the options it keeps; only those its placement takes"},
        },
    )
    return {
        "description": "The widgets of this application (an OAuth app: placement.get needs one) as placement.get "
        "shows them, in one `placement` or in all. Widgets of other applications are not visible.",
        "inputs": {"properties": {"placement": {**placement, "description": f"optional; {placement['description']}"}}},
        "outputs": {
            "properties": {
                "placement": placement,
                "widgets": {"type": "array", "items": widget, "description": "the widgets, oldest first"},
            },
            "required": ["widgets"],
        },
    }


def config_variables() -> dict[str, Any]:
    """The `bitrix24:*` settings, as config variables and as the inputs of an explicit provider."""
    return {
        setting.key: {
            "type": setting.type,
            "description": setting.doc,
            **({"secret": True} if field in SECRET_SETTINGS else {}),
        }
        for field, setting in SETTINGS.items()
    }


def schema() -> dict[str, Any]:
    """The whole package schema."""
    builder = Builder()
    resources = {kind.token: builder.resource(kind) for kind in KINDS}
    variables = config_variables()
    return {
        "name": PACKAGE,
        "displayName": "Bitrix24",
        "version": version("pulumi-bitrix24"),
        "description": "Bitrix24 messenger objects (chat bots, their commands, chat apps, widgets) as resources.",
        "config": {"variables": variables},
        "provider": {
            "description": "A Bitrix24 portal: the credentials of one portal (webhook or OAuth app).",
            "inputProperties": variables,
            "properties": variables,
        },
        "resources": resources,
        "functions": {
            GET_BOT: get_bot(builder),
            GET_BOT_COMMANDS: get_bot_commands(builder),
            GET_WIDGETS: get_widgets(builder),
        },
        "types": dict(sorted(builder.types.items())),
        "language": LANGUAGES,
    }
