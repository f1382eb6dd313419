"""The plugin floor for bench/side_by_side.py: a provider plugin whose resources do nothing.

Its package `floor` has the bitrix24 schema under another name, so a YAML program of `floor:index:Bot` and
`floor:index:ChatApp` has the same shape as the bitrix24 one; check returns the inputs, create and update return
them as outputs (with the id output a Bot or ChatApp adds), delete does nothing. It measures what the engine, the
YAML language host and the SDK's plugin server cost by themselves. `write_executable` makes the
`pulumi-resource-floor` that Pulumi starts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pulumi.provider.experimental import server
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import (
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
    Provider,
    UpdateRequest,
    UpdateResponse,
)
from pulumi.provider.experimental.provider import ConfigureRequest as PluginConfigureRequest

from pulumi_bitrix24._schema import schema

ID_OUTPUTS = {"floor:index:Bot": "botId", "floor:index:ChatApp": "appId"}


class Floor(Provider):
    """Inputs in, the same as outputs out."""

    async def get_schema(self, request: GetSchemaRequest) -> GetSchemaResponse:
        return GetSchemaResponse(
            schema=json.dumps(schema()).replace("bitrix24:", "floor:").replace('"bitrix24"', '"floor"')
        )

    async def configure(self, request: PluginConfigureRequest) -> ConfigureResponse:
        return ConfigureResponse(accept_secrets=True, supports_preview=True)

    async def check(self, request: CheckRequest) -> CheckResponse:
        return CheckResponse(inputs=request.new_inputs)

    async def diff(self, request: DiffRequest) -> DiffResponse:
        changed = [k for k, v in request.new_inputs.items() if request.old_state.get(k) != v]
        return DiffResponse(changes=bool(changed), diffs=changed)

    async def create(self, request: CreateRequest) -> CreateResponse:
        return CreateResponse("1", self.outputs(request.type, request.properties))

    async def update(self, request: UpdateRequest) -> UpdateResponse:
        return UpdateResponse(self.outputs(request.type, request.news))

    async def delete(self, request: DeleteRequest) -> None:
        return None

    @staticmethod
    def outputs(token: str, inputs: dict[str, PropertyValue]) -> dict[str, PropertyValue]:
        return {**inputs, ID_OUTPUTS[token]: PropertyValue(1.0)}


def write_executable(folder: Path) -> Path:
    """`pulumi-resource-floor` in folder, run by this Python; returns the folder, for a Pulumi.yaml plugin path."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "pulumi-resource-floor"
    here = Path(__file__).resolve().parent
    script.write_text(
        f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(here)!r})\nimport floor_plugin\nfloor_plugin.main()\n"
    )
    script.chmod(0o755)
    return folder


def main() -> None:
    server.main(sys.argv[1:], "0.0.1", Floor())


if __name__ == "__main__":
    main()
