"""The engine floor for bench/side_by_side.py: dynamic resources that do nothing.

They live in an importable module, as pulumi_bitrix24's providers do, so Pulumi pickles them by reference too
and the comparison measures the engine and the dynamic runtime, not the pickling of a class defined in a program.

`Thing` has one input and one output: the least a dynamic resource costs. `Wide` has the inputs and outputs of
a bench ChatApp (the same names and values, defaults filled in, app_id added) and, like a ChatApp, takes its
bot_id from another resource: what a resource of that shape costs the engine and the dynamic runtime, with a
provider that does nothing.
"""

from __future__ import annotations

from typing import Any

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


class Wide(Resource):
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
