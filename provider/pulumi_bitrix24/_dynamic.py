"""The dynamic front end: the Python resource classes, served by Pulumi's dynamic runtime with the core providers.

A class checks in the program what it can (program-side rules, `_program`), then hands its inputs and its core
provider to `pulumi.dynamic.Resource`; the runtime pickles that provider into the state and calls its check,
diff, create, read, update and delete. The plugin front end (`_plugin`, `native`) serves the same providers.
"""

from __future__ import annotations

import inspect
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from ._program import (
    check_under_mocks,
    declare,
    entries,
    fields_of,
    on_portal,
    portal_id,
    portal_of_bot,
    read_file_base64,
    refuse_import,
    remember_bot,
    require,
)
from ._resource import BitrixProvider
from .bot import PHOTO_FILE_LIMIT, BotArgs, BotProperties, BotProvider, BotType
from .bot_command import BotCommandArgs, BotCommandProvider, CommandTranslation
from .chat_app import ICON_LIMIT, ChatAppArgs, ChatAppProvider, Context, JsMethod, Translation
from .widget import WidgetArgs, WidgetProvider, WidgetTranslation


def document(resource: type, provider: type[BitrixProvider[Any]], *argument_types: type) -> None:
    """Let help(resource) show what the object is and every argument's rule: the class docstring gains the core
    provider's (the description the plugin's schema gives too), its __init__ docstring the argument classes'.

    Dataclass field docstrings are invisible to help(); the rules live once, in each *Args class docstring.
    """
    resource.__doc__ = f"{inspect.cleandoc(provider.__doc__ or '')}\n\n{inspect.cleandoc(resource.__doc__ or '')}"
    init = resource.__dict__["__init__"]
    sections = [inspect.cleandoc(init.__doc__ or "")]
    sections += [f"{kind.__name__}: {inspect.cleandoc(kind.__doc__ or '')}" for kind in argument_types]
    init.__doc__ = "\n\n".join(sections)


class Bot(Resource, module="bitrix24", name="Bot"):
    """Outputs: bot_id, adopted (whether create took over an existing bot) and every argument as checked, defaults
    filled in (type "B", openline False, or True for type "O").

    Every argument's rule: BotArgs, shown with __init__ below.
    """

    bot_id: pulumi.Output[int]
    adopted: pulumi.Output[bool]
    code: pulumi.Output[str]
    type: pulumi.Output[BotType]
    openline: pulumi.Output[bool]
    properties: pulumi.Output[dict[str, str]]
    """The declared BotProperties by field name, plus photo_sha256: the SHA-256 of the photo as sent
    (PERSONAL_PHOTO); the state keeps this, not the file."""
    event_handler: pulumi.Output[str | None]
    event_message_add: pulumi.Output[str | None]
    event_message_update: pulumi.Output[str | None]
    event_message_delete: pulumi.Output[str | None]
    event_welcome_message: pulumi.Output[str | None]
    event_bot_delete: pulumi.Output[str | None]
    adopt: pulumi.Output[bool]

    def __init__(self, resource_name: str, args: BotArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        """Declare a bot named `resource_name` (unique in the stack) with `args`, a BotArgs."""
        args = require("Bot", resource_name, "args", args, BotArgs)
        properties = fields_of(require("Bot", resource_name, "properties", args.properties, BotProperties))
        refuse_import("Bot", opts)
        identity = declare("Bot", resource_name, {"code": args.code}, args.portal)
        properties["photo_base64"] = read_file_base64(properties["photo_path"], PHOTO_FILE_LIMIT)
        props: dict[str, Any] = {
            **fields_of(args),
            **identity,
            "properties": properties,
            "bot_id": None,
            "adopted": None,
        }
        props, opts = on_portal(args.portal, props, opts)
        provider = BotProvider()
        check_under_mocks("Bot", resource_name, provider, props)
        super().__init__(provider, resource_name, props, opts)
        # The resource id stays known while an in-place update is previewed, so dependents preview no replace.
        self.bot_id = portal_id(self.id, self.bot_id)
        remember_bot(self.bot_id, resource_name, args.portal)


document(Bot, BotProvider, BotArgs, BotProperties)


class BotCommand(Resource, module="bitrix24", name="BotCommand"):
    """Outputs: command_id, adopted (whether create took over an existing command) and every argument as checked,
    defaults filled in (flags False).

    Every argument's rule: BotCommandArgs, shown with __init__ below.
    """

    command_id: pulumi.Output[int]
    adopted: pulumi.Output[bool]
    bot_id: pulumi.Output[int]
    command: pulumi.Output[str]
    event_command_add: pulumi.Output[str]
    translations: pulumi.Output[list[dict[str, str]]]
    common: pulumi.Output[bool]
    hidden: pulumi.Output[bool]
    extranet_support: pulumi.Output[bool]
    adopt: pulumi.Output[bool]

    def __init__(self, resource_name: str, args: BotCommandArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        """Declare a bot command named `resource_name` (unique in the stack) with `args`, a BotCommandArgs."""
        args = require("BotCommand", resource_name, "args", args, BotCommandArgs)
        portal = portal_of_bot("BotCommand", resource_name, args.bot_id, args.portal)
        translations = entries("BotCommand", resource_name, "translations", args.translations, CommandTranslation)
        refuse_import("BotCommand", opts)
        identity = declare("BotCommand", resource_name, {"bot_id": args.bot_id, "command": args.command}, portal)
        props: dict[str, Any] = {
            **fields_of(args),
            **identity,
            "portal": portal,
            "translations": translations,
            "command_id": None,
            "adopted": None,
        }
        props, opts = on_portal(portal, props, opts)
        provider = BotCommandProvider()
        check_under_mocks("BotCommand", resource_name, provider, props)
        super().__init__(provider, resource_name, props, opts)
        self.command_id = portal_id(self.id, self.command_id)


document(BotCommand, BotCommandProvider, BotCommandArgs, CommandTranslation)


class ChatApp(Resource, module="bitrix24", name="ChatApp"):
    """Outputs: app_id (the portal id) and every argument as checked, defaults filled in (iframe_width 320,
    iframe_height 250, context "ALL", flags False); hash is a secret.

    Every argument's rule: ChatAppArgs, shown with __init__ below.
    """

    app_id: pulumi.Output[int]
    bot_id: pulumi.Output[int]
    code: pulumi.Output[str]
    translations: pulumi.Output[list[dict[str, str]]]
    iframe: pulumi.Output[str | None]
    iframe_width: pulumi.Output[int | None]
    iframe_height: pulumi.Output[int | None]
    hash: pulumi.Output[str | None]
    js_method: pulumi.Output[JsMethod | None]
    js_param: pulumi.Output[str | None]
    icon_path: pulumi.Output[str | None]
    icon_sha256: pulumi.Output[str | None]
    """The SHA-256 of the icon file as sent to the portal (ICON_FILE); the state keeps this, not the file."""
    context: pulumi.Output[Context]
    extranet_support: pulumi.Output[bool]
    livechat_support: pulumi.Output[bool]
    iframe_popup: pulumi.Output[bool]
    hidden: pulumi.Output[bool]

    def __init__(self, resource_name: str, args: ChatAppArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        """Declare a chat app named `resource_name` (unique in the stack) with `args`, a ChatAppArgs."""
        args = require("ChatApp", resource_name, "args", args, ChatAppArgs)
        portal = portal_of_bot("ChatApp", resource_name, args.bot_id, args.portal)
        refuse_import("ChatApp", opts)
        identity = declare("ChatApp", resource_name, {"bot_id": args.bot_id, "code": args.code}, portal)
        props: dict[str, Any] = {
            **fields_of(args),
            **identity,
            "portal": portal,
            "hash": None if args.hash is None else pulumi.Output.secret(args.hash),
            "icon_base64": read_file_base64(args.icon_path, ICON_LIMIT),
            "icon_sha256": None,
            "translations": entries("ChatApp", resource_name, "translations", args.translations, Translation),
            "app_id": None,
        }
        props, opts = on_portal(portal, props, opts, "hash")
        provider = ChatAppProvider()
        check_under_mocks("ChatApp", resource_name, provider, props)
        super().__init__(provider, resource_name, props, opts)
        self.app_id = portal_id(self.id, self.app_id)


document(ChatApp, ChatAppProvider, ChatAppArgs)


class Widget(Resource, module="bitrix24", name="Widget"):
    """Outputs: adopted (whether create took over an existing widget) and every argument as checked, the
    placement's option defaults filled in (extranet False, context ["ALL"], role "USER", width and height 100).

    Every argument's rule: WidgetArgs, shown with __init__ below.
    """

    adopted: pulumi.Output[bool]
    placement: pulumi.Output[str]
    handler: pulumi.Output[str]
    title: pulumi.Output[str | None]
    description: pulumi.Output[str | None]
    translations: pulumi.Output[list[dict[str, str]] | None]
    icon_name: pulumi.Output[str | None]
    extranet: pulumi.Output[bool]
    context: pulumi.Output[list[str] | None]
    role: pulumi.Output[str]
    color: pulumi.Output[str | None]
    width: pulumi.Output[int | None]
    height: pulumi.Output[int | None]
    adopt: pulumi.Output[bool]

    def __init__(self, resource_name: str, args: WidgetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        """Declare a widget named `resource_name` (unique in the stack) with `args`, a WidgetArgs."""
        args = require("Widget", resource_name, "args", args, WidgetArgs)
        refuse_import("Widget", opts)
        identity = declare("Widget", resource_name, {"placement": args.placement, "handler": args.handler}, args.portal)
        translations = args.translations
        props: dict[str, Any] = {
            **fields_of(args),
            **identity,
            "translations": None
            if translations is None
            else entries("Widget", resource_name, "translations", translations, WidgetTranslation),
            "adopted": None,
        }
        props, opts = on_portal(args.portal, props, opts)
        provider = WidgetProvider()
        check_under_mocks("Widget", resource_name, provider, props)
        super().__init__(provider, resource_name, props, opts)


document(Widget, WidgetProvider, WidgetArgs, WidgetTranslation)
