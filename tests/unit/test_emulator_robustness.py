"""Whatever parameters arrive, the emulator answers with a result or a documented error, never a crash."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pulumi_bitrix24._ratelimit import PLANS
from pulumi_bitrix24.emulator._methods import METHODS, ApiError
from pulumi_bitrix24.emulator._portal import Auth, Portal
from pulumi_bitrix24.emulator._store import Store

KEYS = [
    "BOT_ID", "APP_ID", "COMMAND_ID", "CODE", "CLIENT_ID", "FIELDS", "LANG", "PROPERTIES", "IFRAME", "HASH",
    "JS_METHOD", "JS_PARAM", "ICON_FILE", "IFRAME_WIDTH", "EVENT_HANDLER", "EVENT_MESSAGE_ADD", "COMMAND",
    "EVENT_COMMAND_ADD", "TYPE", "HIDDEN", "cmd", "halt",
]  # fmt: skip
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), inner),
    max_leaves=8,
)
PORTAL = Portal(Store(Path(tempfile.mkdtemp()) / "fuzz.sqlite3"), PLANS["unlimited"])
AUTH = Auth("webhook", None, ("imbot",))


@settings(max_examples=500, deadline=None, derandomize=True)  # the same examples in every CI run
@given(st.sampled_from([*METHODS, "batch"]), st.dictionaries(st.sampled_from(KEYS), values, max_size=6))
def test_random_parameters_never_crash(method: str, params: dict[str, Any]) -> None:
    try:
        PORTAL.call(method, AUTH, {"CLIENT_ID": "fuzz", **params})
    except ApiError as exc:
        assert exc.code and exc.status in (400, 401, 403, 404, 405)
