"""Bitrix24 REST client: auth, envelope, typed errors, safe retries, per-portal pacing, redaction.

Docs: settings/how-to-call-rest-api/general-principles.md (`<base>/<method>.json`, the result and error
envelope), local-integrations/local-webhooks.md (webhook URLs), settings/oauth/index.md (the `auth` token and
its refresh), limits.md (QUERY_LIMIT_EXCEEDED, OPERATION_TIME_LIMIT and the leaky bucket the pacing follows).
"""

from __future__ import annotations

import contextlib
import itertools
import random
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any, TypeVar
from urllib.parse import urljoin

import pulumi
import requests
from tenacity import RetryCallState, Retrying, retry_if_exception
from urllib3.exceptions import NameResolutionError, NewConnectionError

from ._batching import GATHER_SECONDS, Coalescer, Outcome, Ref, SubCall
from ._config import Settings, SettingsError
from ._errors import (
    EXPIRED_TOKEN,
    OPERATION_TIME_LIMIT,
    PORTAL_MOVED,
    QUERY_LIMIT_EXCEEDED,
    REFUSED_CODES,
    SERVER_FAULT_CODES,
    AuthError,
    Bitrix24Error,
    CertificateError,
    HostNotFoundError,
    OAuthPortalMovedError,
    PortalMovedError,
    TokenRejectedError,
    TransportError,
    error_for,
)
from ._ratelimit import LeakyBucket, plan_named, with_headroom
from ._tokens import Tokens, TokenStore, TokenStoreError, grant, portal_key

Result = TypeVar("Result")

MAX_RETRY_SECONDS = 120.0
LIMIT_WAIT_SECONDS = 300.0
"""How long calls refused by the rate limit keep waiting: long enough to share a portal with another run."""
OPERATION_WAIT_SECONDS = 660.0
"""How long a call refused for its method's operating time keeps waiting: the budget's 10-minute window
(limits.md), and a minute more."""
OPERATION_RETRY_SECONDS = 30.0
"""The wait after OPERATION_TIME_LIMIT when the method's last answer named no reset still ahead."""
USER_AGENT = "pulumi-bitrix24"
IDLE_REUSE_SECONDS = 2.0
"""The longest pause after which a kept-alive connection to the portal is used again. Servers close connections
left idle (uvicorn's timeout_keep_alive and Apache's KeepAliveTimeout default to 5 s), and a request sent just as
they do is cut off unanswered though it was never read: then it cannot be told from a lost answer (RFC 9112,
section 9.3.1). After a longer pause a request goes on a new connection, at the cost of one TLS handshake."""


class _Unsent(TransportError):
    """The request never reached the portal, so sending it again is always safe."""

    hint = (
        "the portal could not be reached, so nothing was sent (retried up to bitrix24:maxRetries times). "
        "Check the host and port in bitrix24:webhookUrl or bitrix24:portalUrl and that the portal is up, then run "
        "again."
    )


class _Lost(TransportError):
    """The request may have reached the portal but no answer came back."""

    hint = (
        "the request was sent, but the connection broke or timed out before an answer came, so the portal may "
        "have carried it out. Check the network and the portal (a slow portal needs a larger "
        "bitrix24:timeoutSeconds), then run `pulumi up` again. If its preview then reports a bot or command as "
        "already existing, this request created it: take it over with adopt=True."
    )


MASK = "***"
MIN_INFIX_SECRET = 8
"""A secret this long is masked even inside a word: no ordinary word holds it by chance."""


class Redactor:
    """Replaces the configured secrets in a text with `***` without garbling the rest of it.

    A secret is masked wherever it stands as a whole token, that is not next to a letter, digit or `_` (after
    `CLIENT_ID=`, in a URL path, in a JSON string); one of MIN_INFIX_SECRET or more characters anywhere. So a
    client id `x` is masked in `CLIENT_ID=x` but `Max retries exceeded` stays as it is. A secret holding `*`,
    the mask's own character, may still seem to appear in the masks.
    """

    def __init__(self, secrets: tuple[str, ...]) -> None:
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        masked = [False] * len(text)
        while self._mask_more(text, masked):
            pass
        runs = itertools.groupby(zip(text, masked, strict=True), key=lambda pair: pair[1])
        return "".join(MASK if is_masked else "".join(char for char, _ in run) for is_masked, run in runs)

    def _mask_more(self, text: str, masked: list[bool]) -> bool:
        """Mark the occurrences to mask; False when none is left. A masked neighbour separates, as `***` will."""

        def separates(i: int) -> bool:
            return not 0 <= i < len(text) or masked[i] or not (text[i].isalnum() or text[i] == "_")

        grew = False
        for secret in self._secrets:
            start = text.find(secret)
            while start >= 0:
                end = start + len(secret)
                maskable = len(secret) >= MIN_INFIX_SECRET or (separates(start - 1) and separates(end))
                if maskable and not all(masked[start:end]):
                    masked[start:end] = [True] * len(secret)
                    grew = True
                start = text.find(secret, start + 1)
        return grew


_buckets: dict[str, LeakyBucket] = {}
_buckets_lock = threading.Lock()


def _bucket_for(settings: Settings) -> LeakyBucket:
    """One bucket per portal, shared by every client and thread of this process, just under the plan."""
    portal = portal_key(settings.base_url)
    with _buckets_lock:
        if portal not in _buckets:
            _buckets[portal] = LeakyBucket(with_headroom(plan_named(settings.plan)), adaptive=True)
        return _buckets[portal]


def _should_retry(idempotent: bool) -> Any:
    """Resend what never ran; resend what may have run only when running it twice is harmless."""

    def predicate(exc: BaseException) -> bool:
        if isinstance(exc, _Unsent):
            return True
        if isinstance(exc, _Lost):
            return idempotent
        if not isinstance(exc, Bitrix24Error):
            return False
        return exc.code in REFUSED_CODES or (idempotent and exc.code in SERVER_FAULT_CODES)

    return predicate


def _refusal_wait(exc: BaseException | None) -> float | None:
    """How long a call refused by a portal limit may keep waiting for it; None for any other failure."""
    code = exc.code if isinstance(exc, Bitrix24Error) else None
    return {QUERY_LIMIT_EXCEEDED: LIMIT_WAIT_SECONDS, OPERATION_TIME_LIMIT: OPERATION_WAIT_SECONDS}.get(str(code))


def _stop(max_retries: int) -> Any:
    """Give up after max_retries failures or MAX_RETRY_SECONDS; refusals by a portal limit are waited out for
    as long as their limit allows instead, and neither count as failures nor use up that time."""
    failures = 0
    refused_seconds = 0.0
    last: tuple[float, bool] = (0.0, False)  # when the previous attempt ended, and whether it was refused

    def stop(state: RetryCallState) -> bool:
        nonlocal failures, refused_seconds, last
        exc = state.outcome.exception() if state.outcome else None
        waited = state.seconds_since_start or 0.0
        if last[1]:  # the wait after a refusal, and the attempt it let through
            refused_seconds += waited - last[0]
        limit = _refusal_wait(exc)
        last = (waited, limit is not None)
        if limit is not None:
            return waited >= limit
        failures += 1
        return failures > max_retries or waited - refused_seconds >= MAX_RETRY_SECONDS

    return stop


def _backoff(state: RetryCallState) -> float:
    """Exponential backoff with full jitter; the rate limit is paced by the bucket, OPERATION_TIME_LIMIT waits
    for the method's budget (Client._pause knows when it is back)."""
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, Bitrix24Error) and exc.code == QUERY_LIMIT_EXCEEDED:
        return random.uniform(0, 0.5)
    if isinstance(exc, Bitrix24Error) and exc.code == OPERATION_TIME_LIMIT:
        return OPERATION_RETRY_SECONDS
    return random.uniform(0, min(8.0, 0.25 * 2**state.attempt_number))


class Client:
    """Calls REST methods on one portal with the given settings, coalescing concurrent calls into batches."""

    def __init__(self, settings: Settings) -> None:
        settings.validate()
        self._settings = settings
        self._store = TokenStore(settings.token_store) if settings.token_store else None
        stored = self._stored()
        self._access_token = stored.access_token if stored else settings.access_token
        self._refresh_token = stored.refresh_token if stored else settings.refresh_token
        self._redact = Redactor((*settings.secrets, self._access_token or "", self._refresh_token or ""))
        self._bucket = _bucket_for(settings)
        self._operating_resets: dict[str, float] = {}
        """Per method, the unix time its last answer said its operating-time budget frees up."""
        self._session = requests.Session()
        self._answered = time.monotonic()
        """When the last request to the portal ended: its connection has been idle since."""
        self._session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})
        self._lock = threading.Lock()
        # Requests are worth waiting for neighbours only where the plan limits them.
        gather = GATHER_SECONDS if self._bucket.limited else 0.0
        self._coalescer = Coalescer(
            self._post,
            self._post_batch,
            self._bucket.reserve,
            failure_of=_as_failure_of,
            gather_seconds=gather,
            token_seconds=self._bucket.token_seconds,
        )

    def operation(self) -> AbstractContextManager[None]:
        """Mark a resource operation in progress, so that its calls and those of its neighbours share requests."""
        return self._coalescer.operation()

    @property
    def is_webhook(self) -> bool:
        return bool(self._settings.webhook_url)

    def call(self, method: str, params: dict[str, Any], *, idempotent: bool = True) -> Any:
        """Call `method` and return its `result`; retries only what is safe to send again."""
        call = SubCall(method, self._owned(method, params))
        with self._naming_portal():
            return self._renewing(
                lambda: self._retrying(idempotent)(lambda: self._coalescer.submit([call])[0].unwrap())
            )

    def call_group(self, calls: list[SubCall], *, idempotent: bool = True) -> list[Any]:
        """Run calls that belong together (a later one may use an earlier result through Ref) in one request.

        A failure of the whole request is retried as a group, where safe. A call that failed on its own is
        sent again alone, where safe; a call that used its result ran with the reference unresolved
        (`$result[...]` stays text), so its answer is stale and it is sent again with the value; a call that
        succeeded without such a reference keeps its answer and is never sent twice.
        """
        owned = [SubCall(c.method, self._owned(c.method, c.params)) for c in calls]

        def attempt() -> list[Outcome]:
            outcomes = self._coalescer.submit(owned)
            if all(o.whole for o in outcomes) and outcomes[0].error is not None:
                raise outcomes[0].error
            return outcomes

        with self._naming_portal():
            outcomes = self._renewing(lambda: self._retrying(idempotent)(attempt))
            results: list[Any] = []
            stale: set[int] = set()
            for index, (call, outcome) in enumerate(zip(calls, outcomes, strict=True)):
                answered = not _refs(call.params) & stale  # its answer is its own, not that of a stale reference
                if answered and outcome.error is None:
                    results.append(outcome.value)
                    continue
                if answered and outcome.error is not None and not _should_retry(idempotent)(outcome.error):
                    raise outcome.error
                stale.add(index)
                results.append(self.call(call.method, _with_results(call.params, results), idempotent=idempotent))
            return results

    @contextlib.contextmanager
    def _naming_portal(self) -> Iterator[None]:
        """Let every Bitrix24 error of this client name its portal (one of several a fleet uses)."""
        try:
            yield
        except Bitrix24Error as exc:
            exc.on_portal(self._settings.name)
            raise

    def _retrying(self, idempotent: bool) -> Retrying:
        """The retry policy of one call or group: what is safe to resend, for how long, how far apart."""
        return Retrying(
            retry=retry_if_exception(_should_retry(idempotent)),
            stop=_stop(self._settings.max_retries),
            wait=self._pause,
            reraise=True,
        )

    def _pause(self, state: RetryCallState) -> float:
        """The wait before a retry: a method out of operating time waits until the reset its last answer named
        (the 429 answer names none: rest/classes/general/rest.php writes the time block only on success)."""
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, Bitrix24Error) and exc.code == OPERATION_TIME_LIMIT:
            left = self._operating_resets.get(exc.method, 0.0) - time.time()
            if left > 0:
                return left
        return _backoff(state)

    def _note_operating(self, method: str, timing: Any) -> None:
        """Remember when the method's operating-time budget frees up, from an answer's `time` block."""
        reset = timing.get("operating_reset_at") if isinstance(timing, dict) else None
        if isinstance(reset, int | float) and not isinstance(reset, bool):
            self._operating_resets[method] = float(reset)

    def _renewing(self, attempt: Callable[[], Result]) -> Result:
        """Run `attempt`; when the access token it used has expired, or was just renewed by another call,
        renew it (once, whoever asks) and run `attempt` again."""
        token = self._access_token
        try:
            return attempt()
        except Bitrix24Error as exc:
            if not self._renewable(exc, token):
                raise
        self._refresh(token)
        return attempt()

    def _owned(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Webhook calls name the owning application in every imbot call, batched or not."""
        if not self.is_webhook:
            return params
        if method.startswith("imbot.v2."):
            # imbot.v2 names the owning application by botToken (api-reference/chat-bots/chat-bots-v2/index.md).
            return {**params, "botToken": self._settings.client_id}
        if method.startswith("imbot."):
            return {**params, "CLIENT_ID": self._settings.client_id}
        return params

    def _post(self, method: str, params: dict[str, Any]) -> Any:
        """One HTTP request (the coalescer has paced it); the rate limit's answer tunes the shared bucket."""
        body = params if self.is_webhook else {**params, "auth": self._access_token}
        if time.monotonic() - self._answered > IDLE_REUSE_SECONDS:
            self._session.close()  # the server may be closing the idle connection right now
        try:
            response = self._session.post(
                f"{self._settings.base_url}{method}.json",
                json=body,
                timeout=self._settings.timeout_seconds,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise self._transport_error(method, exc) from None
        finally:
            self._answered = time.monotonic()
        try:
            result = self._unwrap(method, response)
        except Bitrix24Error as exc:
            if exc.code == QUERY_LIMIT_EXCEEDED and self._bucket.refused():
                pulumi.log.warn(
                    f"the portal refuses requests for its rate limit (QUERY_LIMIT_EXCEEDED) although "
                    f"{self._settings.setting('plan')} is unlimited: pacing as the standard plan (a burst of 50, "
                    "then 2 a second) for the rest of this run; set it to the portal's plan"
                )
            raise
        self._bucket.accepted()
        return result

    def _post_batch(self, cmd: dict[str, str]) -> tuple[dict[str, Any], dict[str, BaseException]]:
        """A `batch` request; each sub-call's error becomes that call's own typed error."""
        answer = self._post("batch", {"halt": 0, "cmd": cmd})
        results = answer.get("result") or {}
        timings = answer.get("result_time")
        for key, timing in timings.items() if isinstance(timings, dict) else ():
            if key in cmd:
                self._note_operating(cmd[key].partition("?")[0], timing)
        errors: dict[str, BaseException] = {}
        for key, error in (answer.get("result_error") or {}).items():
            method = cmd[key].partition("?")[0]
            errors[key] = error_for(method, str(error.get("error")), self._redact(str(error.get("error_description"))))
        for key in cmd.keys() - results.keys() - errors.keys():
            # The portal answered the batch without this call: it may or may not have run (settings/
            # how-to-call-rest-api/batch.md shows a result or an error per key), so it counts as a lost answer.
            method = cmd[key].partition("?")[0]
            errors[key] = _Lost(method, "NO_ANSWER", "the batch answer has no result for this call")
        return dict(results), errors

    def _transport_error(self, method: str, exc: requests.RequestException) -> TransportError:
        """The error of a failed send, of a kind that tells whether sending again is safe or cannot help."""
        kind: type[TransportError]
        if _caused_by(exc, ssl.SSLCertVerificationError):
            kind = CertificateError
        elif _caused_by(exc, NameResolutionError):
            kind = HostNotFoundError
        elif isinstance(exc, requests.ConnectTimeout) or _caused_by(exc, NewConnectionError):
            kind = _Unsent
        else:
            kind = _Lost
        return kind(method, "TRANSPORT_ERROR", self._redact(f"{type(exc).__name__}: {exc}"))

    def _unwrap(self, method: str, response: requests.Response) -> Any:
        if response.is_redirect:
            # A renamed portal redirects to its new address (settings/how-to-call-rest-api/change-domen.md): name
            # the new portal, never the Location's path, which repeats the webhook code.
            moved = PortalMovedError if self.is_webhook else OAuthPortalMovedError
            new_portal = portal_key(urljoin(response.url, response.headers["Location"]))
            raise moved(method, PORTAL_MOVED, self._redact(f"it now answers at {new_portal}"))
        try:
            envelope = response.json()
        except ValueError:
            envelope = None
        if isinstance(envelope, dict) and "error" in envelope:
            code = str(envelope["error"])
            error = error_for(method, code, self._redact(str(envelope.get("error_description", ""))))
            if type(error) is AuthError and not self.is_webhook:  # a token, not a webhook, was refused
                error = TokenRejectedError(error.method, error.code, error.description)
            raise error
        if response.status_code >= 500:
            raise error_for(method, "INTERNAL_SERVER_ERROR", f"HTTP {response.status_code}")
        if not isinstance(envelope, dict) or "result" not in envelope:
            raise error_for(method, "ERROR_UNEXPECTED_ANSWER", f"HTTP {response.status_code}, no result")
        self._note_operating(method, envelope.get("time"))
        return envelope["result"]

    def _renewable(self, exc: Bitrix24Error, token: str | None) -> bool:
        """An auth failure that a refresh solves: this call's token expired, or another call (of this run, or of
        another run sharing the token store) has just refreshed it: the portal then no longer knows the old one."""
        if self.is_webhook:
            return False
        if isinstance(exc, AuthError) and self._access_token != token:
            return True
        if isinstance(exc, AuthError) and self._store is not None:
            # Under the lock: a run that is refreshing right now has made the old token unknown but not yet
            # stored the new one.
            with self._locked_store():
                stored = self._stored()
            if stored is not None and stored.access_token != token:
                return True
        return exc.code == EXPIRED_TOKEN and self._can_refresh()

    def _can_refresh(self) -> bool:
        s = self._settings
        return bool(self._refresh_token and s.oauth_client_id and s.oauth_client_secret)

    def _refresh(self, expired: str | None) -> None:
        """Trade the refresh token for a new pair; the new refresh token replaces the old (settings/oauth/index.md).

        One refresh at a time: calls that met the same expired token wait for the first one's refresh and use
        its new token, since the portal accepts each refresh token only once. With a token store, other runs
        sharing it wait too: under its file lock, tokens that another run has just stored are taken instead of
        refreshing, and a new pair is stored before the lock is released.
        """
        with self._lock:
            if self._access_token != expired:
                return
            if self._store is None:
                self._use(self._refreshed(self._refresh_token))
                return
            with self._locked_store():
                stored = self._stored()
                if stored is not None and stored.access_token != expired and stored.fresh():
                    self._use(stored)
                    return
                spent = stored.refresh_token if stored else self._refresh_token
                tokens = self._refreshed(spent)
                self._use(tokens)
                self._put(tokens, spent)

    @contextlib.contextmanager
    def _locked_store(self) -> Iterator[None]:
        """Hold the token store's file lock, so that no other run refreshes meanwhile."""
        assert self._store is not None
        try:
            with self._store.locked():
                yield
        except TokenStoreError as exc:
            raise SettingsError(str(exc)) from None

    def _put(self, tokens: Tokens, spent: str | None) -> None:
        """Record this app's new tokens for this portal in the token store; `spent` is the refresh token traded."""
        assert self._store is not None
        try:
            self._store.put(str(self._settings.portal_url), str(self._settings.oauth_client_id), tokens, spent)
        except TokenStoreError as exc:
            raise SettingsError(str(exc)) from None

    def _stored(self) -> Tokens | None:
        """This app's entry for this portal in the token store, if there is a store and it has one."""
        if self._store is None or not self._settings.portal_url or not self._settings.oauth_client_id:
            return None
        try:
            return self._store.get(self._settings.portal_url, self._settings.oauth_client_id)
        except TokenStoreError as exc:
            raise SettingsError(str(exc)) from None

    def _refreshed(self, refresh_token: str | None) -> Tokens:
        """A new token pair from the OAuth server, in exchange for `refresh_token`."""
        s = self._settings
        query = {
            "grant_type": "refresh_token",
            "client_id": s.oauth_client_id or "",
            "client_secret": s.oauth_client_secret or "",
            "refresh_token": refresh_token or "",
        }
        return grant(self._session, s.oauth_server_url, query, s.timeout_seconds, self._redact)

    def _use(self, tokens: Tokens) -> None:
        """Send `tokens` from now on, and keep them out of every message."""
        self._access_token = tokens.access_token
        self._refresh_token = tokens.refresh_token or self._refresh_token
        self._redact = Redactor((*self._settings.secrets, self._access_token, self._refresh_token or ""))


def _as_failure_of(exc: BaseException, method: str) -> BaseException:
    """A failure of a whole batch request, told as the failure of one method in it (same kind, code, detail)."""
    return type(exc)(method, exc.code, exc.description) if isinstance(exc, Bitrix24Error) else exc


def _with_results(value: Any, results: list[Any]) -> Any:
    """Parameters with every Ref replaced by the result it names."""
    if isinstance(value, Ref):
        return results[value.index]
    if isinstance(value, dict):
        return {k: _with_results(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_results(v, results) for v in value]
    return value


def _refs(value: Any) -> set[int]:
    """The indexes of the calls whose results these parameters use."""
    if isinstance(value, Ref):
        return {value.index}
    if isinstance(value, dict | list):
        return set().union(*map(_refs, value.values() if isinstance(value, dict) else value))
    return set()


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind) or any(isinstance(a, kind) for a in getattr(seen, "args", ())):
            return True
        reason = getattr(seen, "reason", None)
        if isinstance(reason, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


_clients: dict[Settings, Client] = {}
_clients_lock = threading.Lock()


def client_for(settings: Settings) -> Client:
    """The process-wide client for these settings, built on first use."""
    with _clients_lock:
        if settings not in _clients:
            _clients[settings] = Client(settings)
        return _clients[settings]
