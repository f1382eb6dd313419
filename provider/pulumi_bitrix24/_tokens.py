"""The token store: a JSON file keeping the current OAuth tokens of each (portal, OAuth app) across runs.

The portal rotates the refresh token on every refresh and each one works once (settings/oauth/index.md), so the
new pair must be kept somewhere that the next run reads: never the stack config, which Pulumi records in the
state. Writes are atomic (temp file, fsync, os.replace), the file is private to its owner (0600), and a file lock
serialises refreshes of every process that shares the file. Each app has its own entry, since each app's tokens
act as that app (its bots and apps belong to it, api-reference/chat-bots/outdated/bots/imbot-register.md) and its
refresh token works only with its own client id (settings/oauth/index.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from ._errors import AuthError, TransportError

if TYPE_CHECKING:  # requests and filelock load where they are used: every program imports this module (through
    # _config for its settings checks) and none refreshes or opens a store, so they would cost each `pulumi up` ~40 ms
    import requests

LOCK_TIMEOUT_SECONDS = 300.0
"""How long a run waits for another one's refresh: a refresh is one request, bounded by bitrix24:timeoutSeconds."""
STORE_VERSION = 2
"""1: one entry per portal (`portals.<portal>.access_token`); 2: one per app (`portals.<portal>.apps.<app>`)."""
UNCLAIMED = "unclaimed"
"""The app key of tokens written by version 1, which did not record their app: any app of the portal may use
them until one refreshes them (their refresh token then is spent) and stores its own."""
PRIVATE = 0o600
OAUTH_SERVER = "https://oauth.bitrix.info/"
"""Where tokens are refreshed and codes exchanged, unless bitrix24:oauthServerUrl says otherwise."""
COMMAND = "pulumi-bitrix24-tokens"
REFRESH = "oauth refresh"


class TokenStoreError(ValueError):
    """The token store cannot be used as it is; the message says what to do and holds no secret."""


@dataclass(frozen=True)
class Tokens:
    """One portal's OAuth tokens; `expires` is the access token's expiry as a unix time, when known."""

    access_token: str
    refresh_token: str | None = None
    expires: float | None = None

    def fresh(self, now: float | None = None) -> bool:
        """True unless the recorded expiry has passed (the portal may still refuse it earlier)."""
        return self.expires is None or self.expires > (time.time() if now is None else now)


class OAuthServerError(TransportError):
    """The OAuth server (not the portal) gave no usable answer."""

    hint = (
        "no usable answer came from the OAuth server. On Bitrix24 cloud it is https://oauth.bitrix.info (the "
        "default); the emulator and some self-hosted portals are their own: give --oauth-server to "
        f"{COMMAND}, or set bitrix24:oauthServerUrl, to the portal's address."
    )


class GrantError(AuthError):
    """The OAuth server refused to issue tokens (a used-up refresh token, an expired code, a wrong app secret)."""

    hint = (
        f"the OAuth server issued no tokens. A refresh token works only once and an authorization code for 30 s: "
        f'store new tokens with {COMMAND} (README, "OAuth and the token store"), and check '
        "bitrix24:oauthClientId and bitrix24:oauthClientSecret."
    )

    def advice(self) -> str:
        """A refused refresh token was most likely spent already: say where a spent one comes from."""
        if self.method != REFRESH or self.code != "invalid_grant":
            return self.hint
        return (
            "the refresh token was already used, and each one works only once: every refresh stores its "
            "successor in the token store. A store restored from an older copy (a CI cache, a backup, another "
            "machine's copy) or a refreshToken seed still in the config holds a spent one. Keep the store in one "
            f'persistent place that every run writes back to, and store new tokens with {COMMAND} (README, "OAuth '
            'and the token store").'
        )


def _seconds(value: Any) -> float | None:
    """A number of seconds from JSON or form data (where it is text), or None."""
    if isinstance(value, bool) or value in (None, ""):
        return None
    try:
        return float(str(value))
    except ValueError:
        return None


def tokens_from(answer: Mapping[str, Any], now: float | None = None) -> Tokens:
    """Tokens from a token response or install data: expiry from `expires` (unix time), else now + `expires_in`."""
    expires = _seconds(answer.get("expires"))
    expires_in = _seconds(answer.get("expires_in"))
    if expires is None and expires_in is not None:
        expires = (time.time() if now is None else now) + expires_in
    refresh = answer.get("refresh_token")
    return Tokens(str(answer["access_token"]), str(refresh) if refresh else None, expires)


def grant(
    session: requests.Session,
    server: str | None,
    query: dict[str, str],
    timeout: float,
    redact: Callable[[str], str],
) -> Tokens:
    """Ask the OAuth server for tokens: `grant_type=refresh_token` or `authorization_code` (settings/oauth/index.md).

    The query holds the client secret and a one-time token: a failure's text never shows the query.
    """
    from requests import RequestException

    method = REFRESH if query.get("grant_type") == "refresh_token" else "oauth code exchange"
    try:
        response = session.get(f"{(server or OAUTH_SERVER).rstrip('/')}/oauth/token/", params=query, timeout=timeout)
        answer = response.json()
    except (RequestException, ValueError) as exc:
        text = f"{type(exc).__name__}: {exc}".replace(urlencode(query), "<query>")
        raise OAuthServerError(method, "TRANSPORT_ERROR", redact(text)) from None
    if not isinstance(answer, dict) or not isinstance(answer.get("access_token"), str):
        answer = answer if isinstance(answer, dict) else {}
        code = str(answer.get("error") or f"HTTP {response.status_code}")
        raise GrantError(method, code, redact(str(answer.get("error_description", ""))))
    return tokens_from(answer)


def portal_key(url: str) -> str:
    """A portal's key, whatever URL of it the user typed (its root, a webhook URL, its REST base):
    `https://host[:port]/`, host in lower case, plus any path before `/rest/` (the emulator serves extra
    portals under a path). The token store and the pacing buckets keep one entry per key."""
    parts = urlsplit(url.strip() if "//" in url else f"https://{url.strip()}")
    host = (parts.hostname or "").lower()
    port = f":{parts.port}" if parts.port and parts.port != 443 else ""
    root = f"{parts.path.rstrip('/')}/".split("/rest/", 1)[0].rstrip("/")
    return f"{parts.scheme.lower() or 'https'}://{host}{port}{root}/"


def app_key(client_id: str) -> str:
    """An OAuth app's key in the store and in messages: a fingerprint of its client id, which is a secret."""
    return "sha256:" + hashlib.sha256(client_id.encode()).hexdigest()[:16]


class TokenStore:
    """A token store file; every method re-reads it, so a run sees what another run has written."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        from filelock import FileLock

        self.path = Path(path).expanduser().absolute()
        self._lock = FileLock(f"{self.path}.lock", timeout=LOCK_TIMEOUT_SECONDS, mode=PRIVATE)

    def problems(self) -> list[str]:
        """What stops the store from being used (missing folder, loose permissions, broken JSON), as messages."""
        if not self.path.parent.is_dir():
            return [f"the folder of bitrix24:tokenStore {self.path} does not exist; create it first"]
        try:
            self._entries()
        except TokenStoreError as exc:
            return [str(exc)]
        return []

    def get(self, portal: str, client_id: str) -> Tokens | None:
        """The stored tokens of an OAuth app on a portal (or a version 1 store's unclaimed ones), or None."""
        apps = self._entries().get(portal_key(portal), {})
        entry = apps.get(app_key(client_id)) or apps.get(UNCLAIMED)
        if not isinstance(entry, dict) or not isinstance(entry.get("access_token"), str):
            return None
        refresh = entry.get("refresh_token")
        expires = entry.get("expires")
        return Tokens(
            entry["access_token"],
            refresh if isinstance(refresh, str) else None,
            float(expires) if isinstance(expires, int | float) else None,
        )

    def others(self, portal: str, client_id: str) -> list[str]:
        """The keys of the other OAuth apps that have tokens for the portal, sorted."""
        apps = self._entries().get(portal_key(portal), {})
        return sorted(set(apps) - {app_key(client_id), UNCLAIMED})

    def missing(self, portal: str, client_id: str | None) -> str | None:
        """What the store lacks for an app on a portal, as the end of a sentence; None when it has the app's
        tokens, or when the app is not known (no client id) and some app has tokens for the portal."""
        if not self._entries().get(portal_key(portal)):
            return f"has no tokens for {portal_key(portal)}"
        if client_id is None or self.get(portal, client_id) is not None:
            return None
        others = self.others(portal, client_id)
        whose = "another OAuth app (app" if len(others) == 1 else "other OAuth apps (apps"
        return (
            f"has no tokens of this OAuth app (app {app_key(client_id)}) for {portal_key(portal)}, only those of "
            f"{whose} {', '.join(others)})"
        )

    def put(self, portal: str, client_id: str, tokens: Tokens, spent: str | None = None) -> None:
        """Record an app's tokens, keeping every other entry, except unclaimed ones whose refresh token `spent`
        has just been traded for these; call it while holding `locked()`."""
        entries = self._entries()
        apps = entries.setdefault(portal_key(portal), {})
        apps[app_key(client_id)] = {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "expires": tokens.expires,
            "updated": int(time.time()),
        }
        unclaimed = apps.get(UNCLAIMED)
        if spent and isinstance(unclaimed, dict) and unclaimed.get("refresh_token") == spent:
            del apps[UNCLAIMED]
        self._write({"version": STORE_VERSION, "portals": {k: {"apps": v} for k, v in entries.items()}})

    def save(self, portal: str, client_id: str, tokens: Tokens) -> None:
        """Record an app's tokens under the store's lock."""
        with self.locked():
            self.put(portal, client_id, tokens)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's file lock: one process at a time reads, refreshes and writes."""
        from filelock import Timeout

        try:
            with self._lock:
                yield
        except Timeout:
            raise TokenStoreError(
                f"another process has held the lock of the token store {self.path} for more than "
                f"{LOCK_TIMEOUT_SECONDS:g} s; check for a hung pulumi run and run again"
            ) from None

    def _entries(self) -> dict[str, dict[str, Any]]:
        """Each portal's entries by app key, or none when the file does not exist yet; refuses a file others can
        read. A version 1 portal entry (the tokens themselves) is read as the portal's unclaimed entry."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise TokenStoreError(f"cannot read the token store {self.path}: {exc.strerror}") from None
        with os.fdopen(fd, "rb") as file:
            mode = stat.S_IMODE(os.fstat(file.fileno()).st_mode)
            if os.name == "posix" and mode & 0o077:
                raise TokenStoreError(
                    f"the token store {self.path} can be read by other users (mode {mode:o}); it holds OAuth "
                    f"tokens: run `chmod 600 {self.path}`"
                )
            raw = file.read()
        try:
            document = json.loads(raw)
        except ValueError:
            document = None
        if not isinstance(document, dict) or not isinstance(document.get("portals"), dict):
            raise TokenStoreError(
                f"the token store {self.path} is not a token store (a JSON object with `portals`); "
                "move it away and run pulumi-bitrix24-tokens again"
            )
        return {
            portal: dict(entry["apps"]) if isinstance(entry.get("apps"), dict) else {UNCLAIMED: entry}
            for portal, entry in document["portals"].items()
            if isinstance(entry, dict)
        }

    def _write(self, document: dict[str, Any]) -> None:
        """Replace the file at once: a crash leaves the old file or the new one, never a part of either."""
        try:
            fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        except OSError as exc:
            raise TokenStoreError(f"cannot write the token store {self.path}: {exc.strerror}") from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                os.fchmod(file.fileno(), PRIVATE)
                json.dump(document, file, indent=2, sort_keys=True)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp, self.path)
        except BaseException as exc:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            if isinstance(exc, OSError):
                raise TokenStoreError(f"cannot write the token store {self.path}: {exc.strerror}") from None
            raise
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
