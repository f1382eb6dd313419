"""One emulated portal: auth, rate limit, fault injection, the journal, and method dispatch.

Docs: settings/how-to-call-rest-api/general-principles.md (URLs, envelope), _includes/system-errors.md (the
errors of every method), limits.md (the leaky bucket), settings/how-to-call-rest-api/batch.md.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .._ratelimit import LeakyBucket, Plan
from ._methods import METHODS, V2_METHODS, ApiError, Caller
from ._operating import OperatingBudget
from ._params import parse_query, php_truthy, upper_keys
from ._placements import GLOBAL_METHODS, PLACEMENT_METHODS
from ._store import Store

MAX_BATCH = 50
"""Commands a batch runs (CRestUtil::BATCH_MAX_LENGTH, rest/classes/general/rest_util.php)."""
BATCH_TOO_LONG = "Max batch length exceeded"
SECRET_PARAMS = frozenset(
    {"AUTH", "CLIENT_ID", "CLIENTID", "BOTTOKEN", "BOT_TOKEN", "HASH", "CLIENT_SECRET", "REFRESH_TOKEN", "ACCESS_TOKEN"}
)
JOURNAL_SIZE = 20_000
JOURNAL_TEXT = 1024  # longest string a journal entry keeps verbatim
JOURNAL_BUDGET = 8192  # characters of verbatim values per journal entry; the rest is fingerprinted
JOURNAL_SLOT = 64  # what a list or object slot is charged: room for a scalar or a fingerprint
DEFAULT_USER_ID = 1


def mask(value: Any) -> str:
    """A stable fingerprint instead of a secret, so tests can compare values without seeing them."""
    return "sha256:" + hashlib.sha256(str(value).encode()).hexdigest()[:16]


def masked(params: Any, longest: float = math.inf, budget: float = math.inf) -> Any:
    """Copy of params with every secret-bearing key replaced by its fingerprint, at any depth.

    Strings longer than `longest` characters, and values that no longer fit in `budget` characters, become
    fingerprints too; each slot of a list or object is charged JOURNAL_SLOT, so whatever fills it fits.
    """
    left = budget

    def copy(key: Any, value: Any) -> Any:
        nonlocal left
        if str(key).upper() in SECRET_PARAMS:
            return mask(value)
        if isinstance(value, str):
            if len(value) > min(longest, left):
                return f"{mask(value)}…({len(value.encode())} bytes)"
            left -= len(value)
            return value
        if isinstance(value, dict | list):
            if len(value) * JOURNAL_SLOT > left:
                return f"{mask(json.dumps(value))}…({len(value)} items)"
            left -= len(value) * JOURNAL_SLOT
            if isinstance(value, dict):
                return {k: copy(k, v) for k, v in value.items()}
            return [copy(None, v) for v in value]
        return value

    return copy(None, params)


def journaled(params: dict[str, Any]) -> Any:
    """Params as the journal keeps them: masked, and small whatever was sent, so the journal stays cheap.
    A batch's sub-calls are shown decoded, so that their secrets are masked too."""
    decoded = dict(params)
    for key, value in params.items():
        commands = batch_commands({key: value}) if str(key).upper() == "CMD" else None
        if commands is not None:
            decoded[key] = {k: _decoded_command(v) for k, v in commands.items()}
    return masked(decoded, JOURNAL_TEXT, JOURNAL_BUDGET)


def _decoded_command(command: Any) -> Any:
    method, _, query = str(command).partition("?")
    try:
        return {"method": normalize_method(method), "params": parse_query(query)}
    except ApiError:
        return command


def batch_commands(params: dict[str, Any]) -> dict[str, Any] | None:
    """A batch's `cmd` map, key -> `method?query` (a list is keyed by position); None when there is none.
    The server reads `CMD` and `HALT` whatever their case (rest_provider.php, CRestProvider::methodsBatch
    uppercases the keys)."""
    commands = upper_keys(params).get("CMD")
    if isinstance(commands, list):
        return {str(i): c for i, c in enumerate(commands)}
    return {str(k): c for k, c in commands.items()} if isinstance(commands, dict) else None


def batch_methods(params: dict[str, Any]) -> list[str]:
    """The methods a batch request calls, in order (the server skips a command that is not a string)."""
    commands = batch_commands(params) or {}
    return [normalize_method(c.partition("?")[0]) for c in commands.values() if isinstance(c, str)]


@dataclass(frozen=True)
class Latency:
    """A distant portal: each HTTP request takes a network round trip, half before it arrives and half after it
    is answered, plus server time per call inside it (a batch runs its calls one after another); requests are
    served in parallel, as a portal's worker pool serves them."""

    round_trip: float = 0.0
    call_seconds: float = 0.0

    def before(self) -> float:
        return self.round_trip / 2

    def after(self, calls: int) -> float:
        return self.call_seconds * calls + self.round_trip / 2


@dataclass
class Fault:
    """What the next `count` calls of a method get instead of an answer."""

    count: int
    error: str | None = None
    status: int = 400
    description: str = "Injected fault"
    drop: bool = False
    stall: float = 0.0
    after: bool = False
    """Do the work first, then fail: a portal that answers 5xx, stalls or drops after the change is made."""
    garble: bool = False
    """Answer HTTP 200 with a body that is not JSON."""

    @property
    def ends_request(self) -> bool:
        """A stall, drop or garbled answer hits the whole HTTP request, also when a batch sub-call meets it."""
        return bool(self.stall or self.drop or self.garble)

    @property
    def cuts_request(self) -> bool:
        """A drop or a garbled answer: the portal stops there (later calls of a batch do not run)."""
        return bool(self.drop or self.garble)


@dataclass(frozen=True)
class Auth:
    """An authenticated call: its kind, the OAuth app (None for webhooks) and granted scopes."""

    kind: str
    oauth_client_id: str | None
    scopes: tuple[str, ...]
    user_id: int = DEFAULT_USER_ID
    caller: str = ""
    """Whose operating time a call counts: the webhook's or the OAuth app's (LoadLimiter keys on it)."""


@dataclass
class Portal:
    """State and behaviour shared by every request to the emulated portal."""

    store: Store
    plan: Plan
    token_lifetime: float = 3600.0
    clock: Callable[[], float] = time.monotonic
    operating_scale: float = 1.0
    """Real seconds per second of the operating-time budget (see OperatingBudget)."""
    bucket: LeakyBucket = field(init=False)
    operating: OperatingBudget = field(init=False)
    journal: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=JOURNAL_SIZE))
    faults: dict[str, deque[Fault]] = field(default_factory=dict)
    moved_to: str | None = None
    """The new base URL of a renamed portal: every REST request is redirected there (see Controls.move)."""
    latency: Latency = field(default_factory=lambda: Latency())
    """How far away the portal is (see Latency); none by default."""

    def __post_init__(self) -> None:
        self.bucket = LeakyBucket(self.plan, self.clock)
        self.operating = OperatingBudget(self.operating_scale)

    # --- auth ----------------------------------------------------------------------------------
    def webhook_auth(self, user_id: int, code: str) -> Auth:
        scopes = self.store.webhook_scopes(user_id, code)
        if scopes is None:
            raise ApiError("NO_AUTH_FOUND", "Wrong authorization data", 401)
        return Auth("webhook", None, scopes, user_id, f"webhook {user_id} {mask(code)}")

    def token_auth(self, access_token: str) -> Auth:
        token = self.store.token(access_token) if access_token else None
        if token is None:
            raise ApiError("NO_AUTH_FOUND", "Wrong authorization data", 401)
        if token.expires_at <= time.time():
            raise ApiError("expired_token", "The access token provided has expired.", 401)
        return Auth("oauth", token.client_id, token.scopes, token.user_id, f"app {token.client_id}")

    # --- faults --------------------------------------------------------------------------------
    def add_fault(self, method: str, fault: Fault) -> None:
        self.faults.setdefault(method.lower(), deque()).append(fault)

    def take_fault(self, method: str) -> Fault | None:
        queue = self.faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.count -= 1
        if fault.count <= 0:
            queue.popleft()
        return fault

    # --- calls ---------------------------------------------------------------------------------
    def call(self, method: str, auth: Auth, params: dict[str, Any], ending: list[Fault] | None = None) -> Any:
        """Run one method (or a batch) for an authenticated caller; raises ApiError. A batch sub-call that meets
        a fault ending the request stops the batch there and adds the fault to `ending` for the HTTP layer.
        A method whose operating time is spent is refused before it runs (CRestServer::processCall)."""
        key = (auth.caller, method)
        if self.operating.blocked(key):
            raise ApiError("OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit.", 429)
        started, began = time.time(), time.perf_counter()
        result = self._run(method, auth, params, ending)
        self.operating.spend(key, started, time.perf_counter() - began)
        return result

    def time_of(self, auth: Auth, method: str, started: float) -> dict[str, Any]:
        """The `time` block of a call that succeeded, with its method's operating time (appendDebugInfo)."""
        return {**time_block(started), **self.operating.fields((auth.caller, method), started)}

    def _run(self, method: str, auth: Auth, params: dict[str, Any], ending: list[Fault] | None) -> Any:
        if method == "batch":
            return self._batch(auth, params, [] if ending is None else ending)
        handler = METHODS.get(method) or V2_METHODS.get(method) or PLACEMENT_METHODS.get(method)
        handler = handler or GLOBAL_METHODS.get(method)
        if handler is None:
            raise ApiError("ERROR_METHOD_NOT_FOUND", f"Method not found: {method}", 404)
        scope = None if method in GLOBAL_METHODS else method.split(".")[0]
        if scope is not None and scope not in auth.scopes:
            raise ApiError("insufficient_scope", "The request requires higher privileges than provided.", 403)
        caller = Caller(auth.oauth_client_id, auth.user_id, auth.scopes)
        return handler(self.store, caller, params if method in V2_METHODS else upper_keys(params))

    def _batch(self, auth: Auth, params: dict[str, Any], ending: list[Fault]) -> dict[str, Any]:
        """`method?query` sub-calls in order, each seeing the results so far through `$result[key]...`
        references (settings/how-to-call-rest-api/batch.md).

        As the server does (rest_provider.php, CRestProvider::methodsBatch): the first MAX_BATCH commands run,
        every later one answers ERROR_BATCH_LENGTH_EXCEEDED in result_error (HTTP 200 for the batch); a command
        that is not a string is skipped, though it counts; `halt`, read with PHP's truthiness, stops at the
        first error; only a call that succeeded has its `result_time`.
        """
        commands = batch_commands(params)
        if commands is None:
            raise ApiError("INVALID_REQUEST", "cmd must be a map of key -> method?query")
        halt = php_truthy(upper_keys(params).get("HALT"))
        sections: dict[str, dict[str, Any]] = {name: {} for name in BATCH_SECTIONS}
        for position, (key, command) in enumerate(commands.items()):
            if position >= MAX_BATCH:
                sections["error"][key] = {"error": "ERROR_BATCH_LENGTH_EXCEEDED", "error_description": BATCH_TOO_LONG}
            elif isinstance(command, str):
                self._batch_call(auth, key, command, sections, ending)
            if (halt and key in sections["error"]) or any(fault.cuts_request for fault in ending):
                break
        return {f"result_{name}" if name != "result" else name: found or [] for name, found in sections.items()}

    def _batch_call(
        self, auth: Auth, key: str, command: str, sections: dict[str, dict[str, Any]], ending: list[Fault]
    ) -> None:
        """Run one sub-call of a batch into `sections`; a fault that ends the request goes to `ending`."""
        started = time.time()
        method, _, query = command.partition("?")
        method = normalize_method(method)
        try:
            if method == "batch":
                raise ApiError("ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage", 405)
            fault = self.take_fault(method)
            if fault is not None and not fault.after:
                if fault.cuts_request:
                    ending.append(fault)
                    return
                if fault.stall:  # a slow call delays the whole answer; the batch still runs every call
                    ending.append(fault)
                else:
                    raise ApiError(fault.error or "INTERNAL_SERVER_ERROR", fault.description, fault.status)
            sections["result"][key] = self.call(method, auth, resolve_references(parse_query(query), sections))
            sections["time"][key] = self.time_of(auth, method, started)
            if fault is not None and fault.after and fault.ends_request:
                ending.append(fault)
            elif fault is not None and fault.after:
                raise ApiError(fault.error or "INTERNAL_SERVER_ERROR", fault.description, fault.status)
        except ApiError as exc:
            sections["error"][key] = {"error": exc.code, "error_description": exc.description}

    def record(self, entry: dict[str, Any]) -> None:
        self.journal.append(entry)

    def state(self) -> dict[str, Any]:
        """Every stored messenger object with secrets fingerprinted, for tests and debugging."""
        return {
            kind + "s": [{"ID": r.id, "OWNER": mask(r.owner), **masked(r.data)} for r in self.store.all(kind)]
            for kind in ("bot", "app", "command", "placement")
        }


BATCH_SECTIONS = ("result", "error", "total", "next", "time")
"""What a batch collects per sub-call key; answered as result, result_error, result_total, ..."""
_REFERENCE = re.compile(r"\$(result|error|total|next|time)((?:\[[^\]]+\])+)", re.IGNORECASE)


def resolve_references(value: Any, sections: dict[str, dict[str, Any]]) -> Any:
    """Replace `$result[key][field]...` in sub-call parameters with earlier results (rest CRestUtil::
    ParseBatchQuery): a parameter that is only a reference takes the value itself, one that contains a
    reference gets its text; a path stops at the first missing key, as the portal's does."""
    if isinstance(value, dict):
        return {k: resolve_references(v, sections) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_references(v, sections) for v in value]
    if not isinstance(value, str):
        return value
    for match in list(_REFERENCE.finditer(value)):
        found: Any = sections[match.group(1).lower()]
        for part in re.findall(r"\[([^\]]+)\]", match.group(2)):
            if not isinstance(found, dict) or part not in found:
                break
            found = found[part]
        if match.group(0) == value:
            return found
        if isinstance(found, str | int | float):
            value = value.replace(match.group(0), str(found))
    return value


def normalize_method(raw: str) -> str:
    """Method names are case-insensitive and may carry a `.json` suffix."""
    name = raw.strip().lower()
    return name[: -len(".json")] if name.endswith(".json") else name


def time_block(started: float) -> dict[str, Any]:
    """The `time` object of a response envelope (api-reference/data-types.md), but for the operating time."""
    finished = time.time()
    return {
        "start": started,
        "finish": finished,
        "duration": finished - started,
        "processing": finished - started,
        "date_start": datetime.fromtimestamp(started, UTC).astimezone().isoformat(timespec="seconds"),
        "date_finish": datetime.fromtimestamp(finished, UTC).astimezone().isoformat(timespec="seconds"),
    }
