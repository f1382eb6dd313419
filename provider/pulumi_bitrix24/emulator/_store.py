"""The emulated portal's state in SQLite, so it survives restarts; one lock serialises every change."""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS webhooks (
    user_id INTEGER NOT NULL, code TEXT NOT NULL, scopes TEXT NOT NULL, PRIMARY KEY (user_id, code));
CREATE TABLE IF NOT EXISTS oauth_apps (client_id TEXT PRIMARY KEY, client_secret TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    access_token TEXT PRIMARY KEY, refresh_token TEXT UNIQUE NOT NULL, client_id TEXT NOT NULL,
    scopes TEXT NOT NULL, expires_at REAL NOT NULL, lifetime REAL NOT NULL, user_id INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS auth_codes (
    code TEXT PRIMARY KEY, client_id TEXT NOT NULL, expires_at REAL NOT NULL, user_id INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS objects (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, owner TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS objects_by_owner ON objects (kind, owner);
CREATE INDEX IF NOT EXISTS objects_by_code ON objects (kind, json_extract(data, '$.CODE'));
CREATE INDEX IF NOT EXISTS objects_by_bot ON objects (kind, json_extract(data, '$.BOT_ID'));
"""
_INDEXED = {"owner": "owner", "CODE": "json_extract(data, '$.CODE')", "BOT_ID": "json_extract(data, '$.BOT_ID')"}
"""The columns find() can filter on, each backed by an index, so lookups stay fast as the portal grows."""

DEFAULT_SCOPES = ("imbot", "im", "basic", "placement")
CODE_LIFETIME = 30.0
"""An authorization code works once and for 30 seconds (settings/oauth/index.md)."""


@dataclass(frozen=True)
class Record:
    """One stored messenger object (bot, chat app or command) and the REST app that owns it."""

    id: int
    kind: str
    owner: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Token:
    """An OAuth access token with what it grants."""

    client_id: str
    scopes: tuple[str, ...]
    expires_at: float
    user_id: int = 1


class Store:
    """Thread-safe access to the SQLite file in the data folder."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        for table in ("tokens", "auth_codes"):  # a data folder from before tokens and codes named their user
            if "user_id" not in {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}:
                self._db.execute(f"ALTER TABLE {table} ADD COLUMN user_id INTEGER NOT NULL DEFAULT 1")
        self.lock = threading.RLock()

    def close(self) -> None:
        with self.lock:
            self._db.close()

    def _one(self, sql: str, *args: Any) -> Any:
        return self._db.execute(sql, args).fetchone()

    # --- settings ------------------------------------------------------------------------------
    def meta(self, key: str, make_default: Callable[[], str]) -> str:
        """Read a setting, storing a made default the first time so that it stays stable across restarts."""
        with self.lock:
            row = self._one("SELECT value FROM meta WHERE key = ?", key)
            if row is not None:
                return str(row[0])
            value = make_default()
            self._db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))
            return value

    # --- auth ----------------------------------------------------------------------------------
    def add_webhook(self, user_id: int, scopes: tuple[str, ...] = DEFAULT_SCOPES) -> str:
        """Create an incoming webhook and return its secret code."""
        code = secrets.token_hex(8)
        with self.lock:
            self._db.execute(
                "INSERT INTO webhooks (user_id, code, scopes) VALUES (?, ?, ?)",
                (user_id, code, ",".join(scopes)),
            )
        return code

    def webhook_scopes(self, user_id: int, code: str) -> tuple[str, ...] | None:
        with self.lock:
            row = self._one("SELECT scopes FROM webhooks WHERE user_id = ? AND code = ?", user_id, code)
        return None if row is None else tuple(row[0].split(","))

    def add_oauth_app(self) -> tuple[str, str]:
        """Register an OAuth application; returns (client_id, client_secret)."""
        client_id = "local." + secrets.token_hex(8)
        client_secret = secrets.token_urlsafe(24)
        with self.lock:
            self._db.execute("INSERT INTO oauth_apps VALUES (?, ?)", (client_id, client_secret))
        return client_id, client_secret

    def oauth_secret(self, client_id: str) -> str | None:
        with self.lock:
            row = self._one("SELECT client_secret FROM oauth_apps WHERE client_id = ?", client_id)
        return None if row is None else str(row[0])

    def issue_token(
        self, client_id: str, lifetime: float, scopes: tuple[str, ...] = DEFAULT_SCOPES, user_id: int = 1
    ) -> dict[str, Any]:
        """Issue an access/refresh token pair of a user, as the OAuth server's token response shows it."""
        access, refresh = secrets.token_hex(24), secrets.token_hex(24)
        expires_at = time.time() + lifetime
        with self.lock:
            self._db.execute(
                "INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?, ?)",
                (access, refresh, client_id, ",".join(scopes), expires_at, lifetime, user_id),
            )
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires": int(expires_at),
            "expires_in": int(lifetime),
            "scope": ",".join(scopes),
            "client_id": client_id,
            "user_id": user_id,
        }

    def token(self, access_token: str) -> Token | None:
        with self.lock:
            row = self._one(
                "SELECT client_id, scopes, expires_at, user_id FROM tokens WHERE access_token = ?", access_token
            )
        return None if row is None else Token(row[0], tuple(row[1].split(",")), row[2], row[3])

    def oauth_app_number(self, client_id: str) -> int:
        """The app's numeric id on the portal (app.info ID)."""
        with self.lock:
            row = self._one("SELECT rowid FROM oauth_apps WHERE client_id = ?", client_id)
        return 0 if row is None else int(row[0])

    def rotate_refresh_token(self, client_id: str, refresh_token: str) -> dict[str, Any] | None:
        """Trade a refresh token for a new pair; the old pair stops working (settings/oauth/index.md)."""
        with self.lock:
            row = self._one(
                "SELECT scopes, lifetime, user_id FROM tokens WHERE refresh_token = ? AND client_id = ?",
                refresh_token,
                client_id,
            )
            if row is None:
                return None
            self._db.execute("DELETE FROM tokens WHERE refresh_token = ?", (refresh_token,))
            return self.issue_token(client_id, row[1], tuple(row[0].split(",")), row[2])

    def issue_code(self, client_id: str, user_id: int = 1) -> str | None:
        """A one-time authorization code for an OAuth app, as the portal's authorize step hands it out to the
        user who authorized it (the tokens it buys are that user's)."""
        if self.oauth_secret(client_id) is None:
            return None
        code = secrets.token_hex(16)
        with self.lock:
            self._db.execute(
                "INSERT INTO auth_codes VALUES (?, ?, ?, ?)", (code, client_id, time.time() + CODE_LIFETIME, user_id)
            )
        return code

    def redeem_code(self, client_id: str, code: str, lifetime: float) -> dict[str, Any] | None:
        """Trade an authorization code for a token pair; the code is used up, whether it was still valid or not."""
        with self.lock:
            row = self._one(
                "SELECT expires_at, user_id FROM auth_codes WHERE code = ? AND client_id = ?", code, client_id
            )
            if row is None:
                return None
            self._db.execute("DELETE FROM auth_codes WHERE code = ?", (code,))
            fresh = row[0] > time.time()
            return self.issue_token(client_id, lifetime, user_id=row[1]) if fresh else None

    def expire_tokens(self) -> None:
        """Test control: make every access token expired now."""
        with self.lock:
            self._db.execute("UPDATE tokens SET expires_at = 0")

    # --- messenger objects ---------------------------------------------------------------------
    def insert(self, kind: str, owner: str, data: dict[str, Any]) -> int:
        with self.lock:
            cur = self._db.execute(
                "INSERT INTO objects (kind, owner, data) VALUES (?, ?, ?)", (kind, owner, json.dumps(data))
            )
            return int(cur.lastrowid or 0)

    def get(self, kind: str, object_id: int) -> Record | None:
        with self.lock:
            row = self._one("SELECT id, kind, owner, data FROM objects WHERE kind = ? AND id = ?", kind, object_id)
        return None if row is None else Record(row[0], row[1], row[2], json.loads(row[3]))

    def all(self, kind: str) -> list[Record]:
        with self.lock:
            rows = self._db.execute(
                "SELECT id, kind, owner, data FROM objects WHERE kind = ? ORDER BY id", (kind,)
            ).fetchall()
        return [Record(r[0], r[1], r[2], json.loads(r[3])) for r in rows]

    def find(self, kind: str, limit: int = -1, offset: int = 0, **where: Any) -> list[Record]:
        """Objects of a kind whose indexed fields (owner, CODE, BOT_ID) equal the given values, by id."""
        clauses = "".join(f" AND {_INDEXED[name]} = ?" for name in where)
        sql = f"SELECT id, kind, owner, data FROM objects WHERE kind = ?{clauses} ORDER BY id LIMIT ? OFFSET ?"
        with self.lock:
            rows = self._db.execute(sql, (kind, *where.values(), limit, offset)).fetchall()
        return [Record(r[0], r[1], r[2], json.loads(r[3])) for r in rows]

    def count(self, kind: str, owner: str) -> int:
        with self.lock:
            return int(self._one("SELECT count(*) FROM objects WHERE kind = ? AND owner = ?", kind, owner)[0])

    def replace(self, object_id: int, data: dict[str, Any]) -> None:
        with self.lock:
            self._db.execute("UPDATE objects SET data = ? WHERE id = ?", (json.dumps(data), object_id))

    def delete(self, object_id: int) -> None:
        with self.lock:
            self._db.execute("DELETE FROM objects WHERE id = ?", (object_id,))

    def reset(self) -> None:
        """Test control: forget every messenger object (auth and settings stay)."""
        with self.lock:
            self._db.execute("DELETE FROM objects")
