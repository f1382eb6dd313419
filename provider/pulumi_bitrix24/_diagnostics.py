"""Expected failures reach the user as their message first, not after a Python traceback.

Pulumi's dynamic provider server (pulumi/dynamic/__main__.py, run as `python -m pulumi.dynamic`) wraps every
provider method in `_abort_with_traceback`, which ends the gRPC call with `traceback.format_exc()`. Whatever a
provider raises, the CLI prints `error: Traceback (most recent call last):` and 30 to 80 lines of frames before
the one line that says what went wrong, and the SDK has no hook to change that.

That wrapper looks the name `traceback` up in the globals of its module, which in the provider process is
`sys.modules["__main__"]`. `show_expected_failures_as_messages` replaces that one global with a stand-in whose
`format_exc` gives just the message of the failures this package raises on purpose (EXPECTED: REST, transport
and configuration errors, refused takeovers, duplicates) and the real traceback for anything else, so a bug, in
this package or in another dynamic provider of the same program, keeps its full traceback.

It fails safe: it does nothing unless `__main__` is that server and still holds the real `traceback` module
(so nothing in a program, a test or another process changes, and a second import does nothing), and the
stand-in falls back to the real traceback if it cannot produce a message. An SDK that stops using the global
simply shows tracebacks again.
"""

from __future__ import annotations

import sys
import traceback
import types
from typing import Any

from ._config import SettingsError
from ._errors import Bitrix24Error, DuplicateError, ExistsError

SERVER_MODULE = "pulumi.dynamic.__main__"
"""The module `python -m pulumi.dynamic` runs as `__main__`: the SDK's dynamic provider server."""

EXPECTED: tuple[type[BaseException], ...] = (Bitrix24Error, SettingsError, ExistsError, DuplicateError)
"""Failures whose message says all a user needs; their frames would only bury it."""


class MessageFirst:
    """Stands in for the `traceback` module in the server's globals; only `format_exc` differs."""

    def __init__(self, real: types.ModuleType) -> None:
        self._real = real

    def format_exc(self, limit: int | None = None, chain: bool = True) -> str:
        """The message of an expected failure being handled; the real traceback of anything else."""
        exc = sys.exc_info()[1]
        if isinstance(exc, EXPECTED):
            try:
                return str(exc)
            except Exception:  # a message that cannot be built must not hide the failure
                pass
        return str(self._real.format_exc(limit, chain))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def show_expected_failures_as_messages() -> None:
    """Install MessageFirst in the dynamic provider server, when this process is one; otherwise do nothing."""
    server = sys.modules.get("__main__")
    if server is None or getattr(getattr(server, "__spec__", None), "name", None) != SERVER_MODULE:
        return
    if getattr(server, "traceback", None) is traceback and callable(getattr(server, "_abort_with_traceback", None)):
        vars(server)["traceback"] = MessageFirst(traceback)  # the globals `_abort_with_traceback` reads
