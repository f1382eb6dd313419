"""`pulumi-bitrix24-tokens`: put an OAuth app's first tokens into the token store, so `pulumi up` runs unattended.

Two ways in: the install data the portal posts to a local app's installation URL (the ONAPPINSTALL event,
api-reference/common/events/on-app-install.md, whose `auth` block carries the tokens as
_includes/auth-params-in-events.md lists them), or an authorization code traded at the OAuth server
(settings/oauth/index.md). Secrets come from environment variables or stdin, never from the command line.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple, TextIO
from urllib.parse import parse_qsl, urlsplit

import requests

from ._client import Redactor
from ._errors import Bitrix24Error
from ._tokens import (
    COMMAND,
    OAUTH_SERVER,
    Tokens,
    TokenStore,
    TokenStoreError,
    app_key,
    grant,
    portal_key,
    tokens_from,
)

_AUTH_FIELD = re.compile(r"auth\[(\w+)\]")
EXCHANGE_TIMEOUT_SECONDS = 30.0
CLIENT_ID_ENV = "BITRIX24_OAUTH_CLIENT_ID"


class CommandError(Exception):
    """A failure the user can fix; the message says how and holds no secret."""


def install_auth(text: str) -> dict[str, str]:
    """The `auth` block of ONAPPINSTALL install data, sent as a form body (`auth[access_token]=...`) or as JSON."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            document = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise CommandError(f"the install data looks like JSON but is not valid JSON ({exc.msg})") from None
        auth = document.get("auth", document) if isinstance(document, dict) else None
        if not isinstance(auth, dict):
            raise CommandError("the install data's `auth` is not an object")
        return {str(k): str(v) for k, v in auth.items() if v is not None}
    fields = {}
    for key, value in parse_qsl(stripped, keep_blank_values=True):
        match = _AUTH_FIELD.fullmatch(key)
        if match:
            fields[match[1]] = value
    return fields


def _portal_of(answer: dict[str, str]) -> str | None:
    """The portal an install data or token answer is about: its `client_endpoint` (`https://<portal>/rest/`)."""
    endpoint = answer.get("client_endpoint")
    if endpoint:
        parts = urlsplit(endpoint)
        return f"{parts.scheme}://{parts.netloc}/"
    return None


def tokens_from_install(auth: dict[str, str], portal: str | None) -> tuple[str, Tokens]:
    """The portal and tokens of an install data `auth` block; refuses one without tokens or for another portal."""
    missing = [f"auth[{k}]" for k in ("access_token", "refresh_token") if not auth.get(k)]
    if missing:
        raise CommandError(
            f"the install data has no {' and no '.join(missing)}: give the body the portal posted to the app's "
            "installation URL (ONAPPINSTALL)"
        )
    found = _portal_of(auth) or (f"https://{auth['domain']}/" if auth.get("domain") else None)
    if portal and found and portal_key(found) != portal_key(portal):
        raise CommandError(f"the install data is for {portal_key(found)}, not for --portal {portal_key(portal)}")
    chosen = portal or found
    if not chosen:
        raise CommandError("the install data names no portal (auth[domain]): give --portal https://<portal>/")
    return chosen, tokens_from(auth)


def _lines(stream: TextIO) -> Iterator[str]:
    for line in stream:
        yield line.strip()


class Secrets:
    """Secrets from their environment variables, else asked for (a terminal) or read one per line from stdin."""

    def __init__(self, stdin: TextIO, ask: Callable[[str], str] = getpass.getpass) -> None:
        self._stdin = stdin
        self._lines = _lines(stdin)
        self._ask = ask
        self.seen: list[str] = []

    def get(self, env: str, prompt: str) -> str:
        value = os.environ.get(env) or ""
        if not value:
            value = self._ask(f"{prompt}: ") if self._stdin.isatty() else next(self._lines, "")
        if not value:
            raise CommandError(f"no {prompt}: set {env}, or give it on stdin")
        self.seen.append(value)
        return value


def _config_lines(portal: str, store: TokenStore, oauth_server: str) -> list[str]:
    """The stack settings that point the provider at these tokens; the OAuth server only where not the default."""
    lines = [
        f"pulumi config set bitrix24:portalUrl {portal}",
        f"pulumi config set --plaintext bitrix24:tokenStore {store.path}",  # the path is no secret
        "pulumi config set --secret bitrix24:oauthClientId       # asks for the app's client_id",
        "pulumi config set --secret bitrix24:oauthClientSecret   # asks for the app's client_secret",
    ]
    if portal_key(oauth_server) != portal_key(OAUTH_SERVER):
        lines.append(f"pulumi config set bitrix24:oauthServerUrl {oauth_server}")
    return lines


def _options(parser: argparse.ArgumentParser, defaults: bool) -> None:
    """The options every mode takes, accepted before or after the mode word: the main parser holds their
    defaults, a mode's parser sets only what is given after its word (argparse.SUPPRESS)."""

    def default(env: str) -> str | None:
        return os.environ.get(env) if defaults else argparse.SUPPRESS

    parser.add_argument(
        "--store",
        default=default("BITRIX24_TOKEN_STORE"),
        help="the token store file (default: $BITRIX24_TOKEN_STORE)",
    )
    parser.add_argument(
        "--portal",
        default=default("BITRIX24_PORTAL_URL"),
        help="the portal, https://<portal>/ (default: $BITRIX24_PORTAL_URL, else taken from the install data)",
    )
    parser.add_argument(
        "--oauth-server",
        default=default("BITRIX24_OAUTH_SERVER_URL"),
        help=f"the OAuth server (default: $BITRIX24_OAUTH_SERVER_URL, else the install data's server_endpoint, "
        f"else {OAUTH_SERVER})",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=COMMAND,
        description="Store a Bitrix24 OAuth app's first tokens in the token store (bitrix24:tokenStore).",
        epilog="Secrets are read from BITRIX24_OAUTH_CLIENT_ID, BITRIX24_OAUTH_CLIENT_SECRET and BITRIX24_AUTH_CODE, "
        "else asked for, or read one per line from stdin; never from the command line.",
    )
    _options(parser, defaults=True)
    modes = parser.add_subparsers(dest="mode", required=True)
    install = modes.add_parser("install", help="take the tokens from the app's install data (ONAPPINSTALL)")
    install.add_argument("file", nargs="?", default="-", help="the install data, form-encoded or JSON (default: stdin)")
    code = modes.add_parser("code", help="trade an authorization code for tokens at the OAuth server")
    for mode in (install, code):
        _options(mode, defaults=False)
    return parser


class Taken(NamedTuple):
    """What a mode took in: the portal, the app's client id, its tokens and the OAuth server that renews them."""

    portal: str
    client_id: str
    tokens: Tokens
    oauth_server: str


def _install(args: argparse.Namespace, stdin: TextIO, secrets: Secrets) -> Taken:
    """The portal and tokens of the install data in a file or on stdin, and the app's client id, which the
    install data does not hold (on-app-install.md) but the store needs to keep one entry per app."""
    if args.file == "-" and not os.environ.get(CLIENT_ID_ENV) and not stdin.isatty():
        raise CommandError(
            f"the install data comes on stdin, so set {CLIENT_ID_ENV} to the app's client_id (the store keeps "
            "one entry per app), or give the install data as a file"
        )
    try:
        text = stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot read the install data {args.file}: {exc.strerror}") from None
    auth = install_auth(text)
    secrets.seen += [auth[k] for k in ("access_token", "refresh_token", "application_token") if auth.get(k)]
    portal, tokens = tokens_from_install(auth, args.portal)
    server = args.oauth_server or (portal_key(auth["server_endpoint"]) if auth.get("server_endpoint") else None)
    return Taken(portal, secrets.get(CLIENT_ID_ENV, "client_id"), tokens, server or OAUTH_SERVER)


def _code(args: argparse.Namespace, stdin: TextIO, secrets: Secrets) -> Taken:
    """The portal, and the tokens the OAuth server gives for an authorization code."""
    if not args.portal:
        raise CommandError("give --portal https://<portal>/ (or set BITRIX24_PORTAL_URL)")
    query = {
        "grant_type": "authorization_code",
        "client_id": secrets.get(CLIENT_ID_ENV, "client_id"),
        "client_secret": secrets.get("BITRIX24_OAUTH_CLIENT_SECRET", "client_secret"),
        "code": secrets.get("BITRIX24_AUTH_CODE", "authorization code"),
    }
    server = args.oauth_server or OAUTH_SERVER
    with requests.Session() as session:
        session.headers["User-Agent"] = COMMAND
        tokens = grant(session, server, query, EXCHANGE_TIMEOUT_SECONDS, Redactor(tuple(secrets.seen)))
    secrets.seen += [tokens.access_token, tokens.refresh_token or ""]
    return Taken(str(args.portal), query["client_id"], tokens, server)


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Run the command; 0 when the tokens are stored, 1 with a message on stderr when not."""
    args = _parser().parse_args(argv)
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    secrets = Secrets(stdin)
    try:
        if not args.store:
            raise CommandError("give --store PATH (or set BITRIX24_TOKEN_STORE): the file that will hold the tokens")
        store = TokenStore(args.store)
        problems = store.problems()
        if problems:
            raise CommandError("; ".join(problems))
        taken = (_install if args.mode == "install" else _code)(args, stdin, secrets)
        if not taken.tokens.refresh_token:
            raise CommandError("the OAuth server returned no refresh token; the provider could not renew the tokens")
        store.save(taken.portal, taken.client_id, taken.tokens)
        others = store.others(taken.portal, taken.client_id)
    except (CommandError, TokenStoreError, Bitrix24Error) as exc:
        text = exc.message() if isinstance(exc, Bitrix24Error) else str(exc)
        print(f"{COMMAND}: error: {Redactor(tuple(secrets.seen))(text)}", file=sys.stderr)
        return 1
    portal, expires = portal_key(taken.portal), taken.tokens.expires
    until = f", access token valid until {datetime.fromtimestamp(expires, UTC):%Y-%m-%d %H:%M} UTC" if expires else ""
    print(
        f"Stored the tokens of OAuth app {app_key(taken.client_id)} for {portal} in {store.path}{until}.", file=stdout
    )
    if others:
        print(
            f"The store keeps the tokens of the other apps of {portal} as they were: {', '.join(others)}.", file=stdout
        )
    print("Configure the stack (the two secrets are asked for, so they stay off the command line):", file=stdout)
    for line in _config_lines(portal, store, taken.oauth_server):
        print(f"  {line}", file=stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
