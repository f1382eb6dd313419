"""`pulumi-resource-bitrix24`: the resource provider plugin that Pulumi starts for `bitrix24:*` resources.

The engine runs the executable with its address; the SDK's server (pulumi.provider.experimental.server) prints the
port it listens on as the first line of stdout, so nothing else may print there.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from importlib.metadata import version
from typing import Any

import grpc  # type: ignore[import-untyped]  # no stubs; only StatusCode is used
from pulumi.provider.experimental import server

from ._diagnostics import EXPECTED
from ._errors import ImportRefusedError
from ._plugin import Bitrix24Provider

RPCS = ("CheckConfig", "DiffConfig", "Configure", "Check", "Diff", "Create", "Update", "Read", "Delete", "Invoke")
Handler = Callable[[Any, Any, Any], Awaitable[Any]]
SHOWN = (*EXPECTED, ImportRefusedError)
"""Failures shown as their message alone: those of the dynamic front end, and a refused import."""


def _message_first(handler: Handler) -> Handler:
    """The SDK ends a failed call with the error's message followed by its Python stack, which buries what went
    wrong; an expected failure (the same set as in the dynamic front end) ends the call with its message alone."""

    async def run(self: Any, request: Any, context: Any) -> Any:
        try:
            return await handler(self, request, context)
        except Exception as exc:
            cause = exc if isinstance(exc, SHOWN) else exc.__context__
            if isinstance(cause, SHOWN):
                await context.abort(grpc.StatusCode.UNKNOWN, str(cause))
            raise

    return run


class MessageFirstServicer(server.ProviderServicer):
    """The SDK's servicer, its failures shown as messages."""


for _name in RPCS:
    setattr(MessageFirstServicer, _name, _message_first(getattr(server.ProviderServicer, _name)))


def main() -> None:
    """Serve the provider until the engine stops it."""
    server.ProviderServicer = MessageFirstServicer  # type: ignore[misc]  # main() builds the servicer it names
    engine = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)  # as server.main reads it
    server.main(sys.argv[1:], version("pulumi-bitrix24"), Bitrix24Provider(engine))


if __name__ == "__main__":
    main()
