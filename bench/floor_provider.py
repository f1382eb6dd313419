"""The engine floor for bench/side_by_side.py: a dynamic resource that does nothing.

It lives in an importable module, as pulumi_bitrix24's providers do, so Pulumi pickles it by reference too and
the comparison measures the engine and the dynamic runtime, not the pickling of a class defined in a program.
"""

from __future__ import annotations

from typing import Any

from pulumi import ResourceOptions
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult


class Nothing(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult("1", props)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=olds.get("t") != news.get("t"))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(news)


class Thing(Resource):
    def __init__(self, name: str, t: str, opts: ResourceOptions | None = None) -> None:
        super().__init__(Nothing(), name, {"t": t}, opts)
