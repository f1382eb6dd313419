"""The engine floor for bench/side_by_side.py: dynamic resources that do nothing.

They live in an importable module, as pulumi_bitrix24's providers do, so Pulumi pickles them by reference too
and the comparison measures the engine and the dynamic runtime, not the pickling of a class defined in a program.

`Thing` has one input and one output: the least a dynamic resource costs. `Wide` has the shape of a bench
ChatApp: the same inputs and outputs (names and values, defaults filled in, app_id added), the same typed output
attributes (the Pulumi SDK reads a resource class's annotations on every registration to convert its outputs),
and its bot_id taken from another resource. It measures what a resource of that shape costs the engine and the
dynamic runtime with a provider that does nothing.
"""

from __future__ import annotations

from typing import Any, Literal

import pulumi
from pulumi import ResourceOptions
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult


class Nothing(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult("1", props)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = any(olds.get(k) != v for k, v in news.items() if k != "__provider")
        return DiffResult(changes=changed)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(news)


class WideNothing(Nothing):
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult("1", {**props, "app_id": 1})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult({**news, "app_id": 1})


class Thing(Resource):
    def __init__(self, name: str, t: str, opts: ResourceOptions | None = None) -> None:
        super().__init__(Nothing(), name, {"t": t}, opts)


JsMethod = Literal["PUT", "SEND", "CALL", "SUPPORT"]
Context = Literal[
    "ALL", "USER", "CHAT", "BOT", "LINES", "CALL",
    "ALL-admin", "USER-admin", "CHAT-admin", "BOT-admin", "LINES-admin", "CALL-admin",
]  # fmt: skip


class Wide(Resource):
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
    icon_base64: pulumi.Output[str | None]
    context: pulumi.Output[Context]
    extranet_support: pulumi.Output[bool]
    livechat_support: pulumi.Output[bool]
    iframe_popup: pulumi.Output[bool]
    hidden: pulumi.Output[bool]

    def __init__(self, name: str, bot_id: pulumi.Input[int], code: str, title: str) -> None:
        props: dict[str, Any] = {
            "bot_id": bot_id,
            "code": code,
            "translations": [{"language_id": "en", "title": title}],
            "iframe": None,
            "iframe_width": None,
            "iframe_height": None,
            "hash": None,
            "js_method": "SEND",
            "js_param": "/help",
            "icon_path": None,
            "icon_base64": None,
            "context": "ALL",
            "extranet_support": False,
            "livechat_support": False,
            "iframe_popup": False,
            "hidden": False,
            "app_id": None,
        }
        super().__init__(WideNothing(), name, props)
