"""The same resources served by the provider plugin (`pulumi-resource-bitrix24`) instead of the dynamic runtime.

For Python programs that need what only a real provider gives: explicit provider objects (`Provider`, one per
portal, passed as `opts=pulumi.ResourceOptions(provider=...)`), the `import_` resource option, and the lookup
functions. The arguments are the very Args classes of the dynamic resources, sent to the plugin under the schema's
names; the plugin runs the same core (README "Python: the plugin's resources").
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, ClassVar

import pulumi

from ._config import SECRET_SETTINGS, SETTINGS, closest
from ._program import ProgramError, require
from ._schema import GET_BOT, GET_BOT_COMMANDS, GET_WIDGETS, KINDS, PACKAGE, Kind, camel, schema, snake
from .bot import BotArgs
from .bot_command import BotCommandArgs
from .chat_app import ChatAppArgs
from .widget import WidgetArgs

__all__ = ["Bot", "BotCommand", "ChatApp", "Provider", "Widget", "get_bot", "get_bot_commands", "get_widgets"]


def _wire(value: Any) -> Any:
    """An argument as the SDK sends it: dataclasses as objects, lists item by item, anything else (a value or a
    Pulumi output) as it is. The SDK renames every key with translate_input_property."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = ((f.name, getattr(value, f.name)) for f in dataclasses.fields(value))
        return {name: _wire(item) for name, item in fields if item is not None}
    if isinstance(value, list | tuple):
        return [_wire(item) for item in value]
    return value


class Provider(pulumi.ProviderResource):
    """A Bitrix24 portal for the plugin's resources: the settings of README "Configuration" by their Python names
    (`webhook_url`, `client_id`, or `portal_url` and the OAuth ones, ...). Credentials are kept as secrets. Give
    it to a resource with `opts=pulumi.ResourceOptions(provider=portal)`; changing credentials of the same portal
    replaces no resource."""

    def __init__(
        self, resource_name: str, opts: pulumi.ResourceOptions | None = None, **settings: pulumi.Input[Any]
    ) -> None:
        unknown = sorted(set(settings) - set(SETTINGS))
        if unknown:
            match = closest(unknown[0], SETTINGS)
            hint = f"did you mean {match}? " if match else ""
            raise ProgramError(
                f"Provider {resource_name!r}: unknown setting {unknown[0]!r}; {hint}the settings are "
                f"{', '.join(SETTINGS)}"
            )
        inputs: dict[str, Any] = {}
        for name, value in settings.items():
            if value is None:
                continue
            shown = pulumi.Output.from_input(value).apply(lambda v: v if isinstance(v, str) else json.dumps(v))
            inputs[SETTINGS[name].key] = pulumi.Output.secret(shown) if name in SECRET_SETTINGS else shown
        super().__init__(PACKAGE, resource_name, inputs, opts)


class _PluginResource(pulumi.CustomResource):
    """A resource of the plugin, declared with the dynamic resource's Args class."""

    kind: ClassVar[Kind]
    outputs: ClassVar[tuple[str, ...]]

    def __init_subclass__(cls, name: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.kind = next(kind for kind in KINDS if kind.name == name)
        cls.outputs = tuple(snake(name) for name in schema()["resources"][cls.kind.token]["properties"])

    def __init__(self, resource_name: str, args: Any, opts: pulumi.ResourceOptions | None = None) -> None:
        name = self.kind.name
        args = require(name, resource_name, "args", args, self.kind.args)
        if args.portal is not None:
            raise ProgramError(
                f"{name} {resource_name!r}: portal names a portal of bitrix24:portals, a setting of the dynamic "
                "resources; the plugin's resources take a Provider instead: "
                "opts=pulumi.ResourceOptions(provider=Provider(...))"
            )
        inputs = _wire(args)
        super().__init__(self.kind.token, resource_name, {**dict.fromkeys(self.outputs), **inputs}, opts)

    def translate_output_property(self, prop: str) -> str:
        """The plugin's names (`botId`) as Python's (`bot_id`), in nested objects too."""
        return snake(prop)

    def translate_input_property(self, prop: str) -> str:
        return camel(prop)


class Bot(_PluginResource, name="Bot"):
    """A chat bot (see pulumi_bitrix24.Bot for what it does and BotArgs for every argument's rule)."""

    bot_id: pulumi.Output[int]

    def __init__(self, resource_name: str, args: BotArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(resource_name, args, opts)


class BotCommand(_PluginResource, name="BotCommand"):
    """A bot's slash command (see pulumi_bitrix24.BotCommand and BotCommandArgs)."""

    command_id: pulumi.Output[int]

    def __init__(self, resource_name: str, args: BotCommandArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(resource_name, args, opts)


class ChatApp(_PluginResource, name="ChatApp"):
    """A chat application (see pulumi_bitrix24.ChatApp and ChatAppArgs)."""

    app_id: pulumi.Output[int]

    def __init__(self, resource_name: str, args: ChatAppArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(resource_name, args, opts)


class Widget(_PluginResource, name="Widget"):
    """A messenger widget (see pulumi_bitrix24.Widget and WidgetArgs)."""

    def __init__(self, resource_name: str, args: WidgetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(resource_name, args, opts)


def _lookup(token: str, args: dict[str, Any], opts: pulumi.InvokeOptions | None) -> pulumi.Output[dict[str, Any]]:
    """A lookup function of the plugin; the answer with the Python names (`bot_id`, `extranet_support`)."""
    sent = {camel(k): v for k, v in args.items() if v is not None}
    return pulumi.runtime.invoke_output(token, sent, opts).apply(_python_names)


def _python_names(value: Any) -> Any:
    if isinstance(value, dict):
        return {snake(k): _python_names(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_python_names(item) for item in value]
    return value


def get_bot(
    code: pulumi.Input[str] | None = None,
    bot_id: pulumi.Input[int] | None = None,
    opts: pulumi.InvokeOptions | None = None,
) -> pulumi.Output[dict[str, Any]]:
    """A bot of the portal by code or id: bot_id, code, type, openline and the readable properties."""
    return _lookup(GET_BOT, {"code": code, "bot_id": bot_id}, opts)


def get_bot_commands(bot_id: pulumi.Input[int], opts: pulumi.InvokeOptions | None = None) -> pulumi.Output[Any]:
    """The commands of one of this application's bots, texts in the portal's language."""
    return _lookup(GET_BOT_COMMANDS, {"bot_id": bot_id}, opts).apply(lambda found: found["commands"])


def get_widgets(
    placement: pulumi.Input[str] | None = None, opts: pulumi.InvokeOptions | None = None
) -> pulumi.Output[Any]:
    """This application's widgets, in one placement or all (needs an OAuth application)."""
    return _lookup(GET_WIDGETS, {"placement": placement}, opts).apply(lambda found: found["widgets"])
