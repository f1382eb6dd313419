"""Provider settings: stack config `bitrix24:*` first, then BITRIX24_* environment variables.

Docs: local-integrations/local-webhooks.md (the webhook URL), settings/oauth/index.md (portal, tokens, refresh),
limits.md (the plans).
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

from ._ratelimit import PLANS
from ._tokens import COMMAND, TokenStore

NAMESPACE = "bitrix24"
MAX_TIMEOUT_SECONDS = 600.0
"""A request that needs longer than ten minutes is a hung connection, not a slow portal."""
MAX_RETRIES = 20
"""More retries than this never fit the 120 s that all retries of one call may take."""
MAX_CLIENT_ID_LENGTH = 40
"""imbot.v2 takes the client id as `botToken` and refuses one longer than 40 characters (BOT_TOKEN_INVALID_LENGTH,
api-reference/chat-bots/chat-bots-v2/change-log.md)."""

NO_PORTAL = (
    "no Bitrix24 portal configured: set bitrix24:webhookUrl and bitrix24:clientId "
    "(pulumi config set --secret ...), or bitrix24:portalUrl and bitrix24:accessToken, "
    "or the BITRIX24_* environment variables"
)
STORE_SECTION = 'README, "OAuth and the token store"'

PORTALS = "portals"
"""`bitrix24:portals`: named portals, each an object with the keys of the single-portal settings."""
PORTAL_SETTINGS = "portal_settings"
"""The input in which a resource on a named portal carries that portal's settings (a secret), so that it can
still be deleted once the portal is removed from the config."""
PORTAL_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
PORTAL_NAME_RULE = "1 to 40 lowercase letters, digits, '-' or '_'"
PORTALS_SHAPE = (
    f"{NAMESPACE}:{PORTALS} must be an object of portal names, each an object of settings, e.g. "
    f"pulumi config set --secret --path '{NAMESPACE}:{PORTALS}.acme.webhookUrl' https://acme.bitrix24.com/rest/1/...."
)

N = TypeVar("N", int, float)


class ConfigSource(Protocol):
    def get(self, key: str) -> Any: ...


class SettingsError(ValueError):
    """The provider configuration is missing or malformed; `problems` holds one message per broken setting."""

    def __init__(self, *problems: str) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Settings:
    """Everything the client needs; secrets live only here, in the provider process's memory."""

    webhook_url: str | None = None
    client_id: str | None = None
    portal_url: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    oauth_client_id: str | None = None
    oauth_client_secret: str | None = None
    oauth_server_url: str | None = None
    token_store: str | None = None
    plan: str = "standard"
    timeout_seconds: float = 30.0
    max_retries: int = 5
    name: str | None = None
    """The portal's name in bitrix24:portals; None for the single-portal (default) settings."""

    def key(self, field: str) -> str:
        """Where a setting comes from, as messages name it: `bitrix24:portals.acme.clientId` for a named portal,
        `bitrix24:clientId (or BITRIX24_CLIENT_ID)` for the default one."""
        if self.name is not None:
            return f"{NAMESPACE}:{PORTALS}.{self.name}.{_KEYS[field]}"
        return f"{NAMESPACE}:{_KEYS[field]} (or {_env_name(field)})"

    def setting(self, field: str) -> str:
        """A setting's config key alone: `bitrix24:portals.acme.tokenStore`, `bitrix24:tokenStore`."""
        prefix = f"{NAMESPACE}:{PORTALS}.{self.name}." if self.name is not None else f"{NAMESPACE}:"
        return prefix + _KEYS[field]

    @property
    def base_url(self) -> str:
        """REST base ending in `/`: the webhook URL, or `<portal>/rest/` in OAuth mode."""
        if self.webhook_url:
            return self.webhook_url.rstrip("/") + "/"
        if self.portal_url:
            return self.portal_url.rstrip("/") + "/rest/"
        raise SettingsError(NO_PORTAL)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in any message: webhook code, client ids, tokens, client secret."""
        code = urlsplit(self.webhook_url or "").path.strip("/").split("/")[-1:]
        values = (
            *code,
            self.client_id,
            self.access_token,
            self.refresh_token,
            self.oauth_client_id,
            self.oauth_client_secret,
        )
        return tuple(v for v in values if v)

    def validate(self) -> None:
        """Refuse settings that cannot work, before any request, listing every problem at once."""
        problems: list[str] = []
        for field in _KEYS:
            value = getattr(self, field)
            if value is not None:
                _checked(field, value, self.key(field), problems)
        if not (self.webhook_url or self.portal_url):
            missing = NO_PORTAL if self.name is None else (
                f"{NAMESPACE}:{PORTALS}.{self.name} has neither webhookUrl (with clientId) nor portalUrl "
                "(with accessToken)"
            )  # fmt: skip
            raise SettingsError(*problems, missing)
        if urlsplit(self.base_url).scheme != "https":
            url = self.setting("webhook_url" if self.webhook_url else "portal_url")
            problems.append(f"{url} must be an https:// URL: the Bitrix24 portal is reached over https only")
        if self.webhook_url and not self.client_id:
            problems.append(f"{self.key('client_id')} is required with a webhook URL")
        if self.token_store:
            problems += self._token_store_problems()
        elif not self.webhook_url and not self.access_token:
            problems.append(
                f"{self.key('access_token')} is required with portalUrl, unless "
                f"{self.setting('token_store')} names a token store filled by {COMMAND} ({STORE_SECTION})"
            )
        if problems:
            raise SettingsError(*problems)

    def _token_store_problems(self) -> list[str]:
        """A token store needs OAuth mode, the app's keys to refresh, and tokens: stored, or seeds in config."""
        if self.webhook_url:
            return [
                f"{self.setting('token_store')} is for OAuth mode ({self.setting('portal_url')}); "
                "a webhook needs no tokens"
            ]
        problems = []
        if not (self.oauth_client_id and self.oauth_client_secret):
            env = "" if self.name else " (or BITRIX24_OAUTH_CLIENT_ID and BITRIX24_OAUTH_CLIENT_SECRET)"
            problems.append(
                f"{self.setting('oauth_client_id')} and {self.setting('oauth_client_secret')}{env} are required "
                f"with {self.setting('token_store')}, to refresh the stored tokens"
            )
        store = TokenStore(str(self.token_store))
        broken = store.problems()
        missing = None if broken or not self.portal_url else store.missing(self.portal_url, self.oauth_client_id)
        if missing and not self.access_token:
            broken.append(
                f"the token store {store.path} ({self.setting('token_store')}) {missing} and "
                f"{self.setting('access_token')} is not set: run {COMMAND} to store this app's first tokens "
                f"({STORE_SECTION})"
            )
        return problems + broken


@dataclass(frozen=True)
class Setting:
    """One `bitrix24:*` setting: its config key (also the explicit provider's input), what it is, its schema type."""

    key: str
    doc: str
    type: str = "string"


SETTINGS = {
    "webhook_url": Setting(
        "webhookUrl", "incoming webhook base, https://<portal>/rest/<user_id>/<code>/ (env BITRIX24_WEBHOOK_URL)"
    ),
    "client_id": Setting(
        "clientId", "CLIENT_ID that owns bots and apps in webhook mode, 1 to 40 characters (env BITRIX24_CLIENT_ID)"
    ),
    "portal_url": Setting("portalUrl", "OAuth mode: the portal, https://<portal>/ (env BITRIX24_PORTAL_URL)"),
    "access_token": Setting(
        "accessToken", "OAuth mode: an access token of your app; with tokenStore only a first seed"
    ),
    "refresh_token": Setting("refreshToken", "OAuth mode: a refresh token, a seed like accessToken"),
    "oauth_client_id": Setting("oauthClientId", "OAuth mode: the app's client_id, to refresh tokens"),
    "oauth_client_secret": Setting("oauthClientSecret", "OAuth mode: the app's client_secret, to refresh tokens"),
    "oauth_server_url": Setting("oauthServerUrl", "OAuth server for refresh (default https://oauth.bitrix.info/)"),
    "token_store": Setting(
        "tokenStore", "OAuth mode: the token store file that keeps the app's current tokens between runs"
    ),
    "plan": Setting("plan", "request pacing: standard (burst 50, 2/s; default), enterprise (250, 5/s) or unlimited"),
    "timeout_seconds": Setting(
        "timeoutSeconds", "per request, a number greater than 0 and at most 600 (default 30)", "number"
    ),
    "max_retries": Setting(
        "maxRetries", "retries of a safe-to-repeat failure, a whole number from 0 to 20 (default 5)", "integer"
    ),
}
"""Every setting by its Python name: the config keys, the plugin's config variables and provider inputs, and
`pulumi_bitrix24.native.Provider`'s keyword arguments come from this one table."""
_KEYS = {field: setting.key for field, setting in SETTINGS.items()}


SECRET_SETTINGS = frozenset(
    {"webhook_url", "client_id", "access_token", "refresh_token", "oauth_client_id", "oauth_client_secret"}
)
"""Settings that are credentials: set with `pulumi config set --secret`, secret in the plugin's schema, kept out of
messages (Settings.secrets)."""
SECRET_KEYS = tuple(key for field, key in _KEYS.items() if field in SECRET_SETTINGS)
"""The config keys of SECRET_SETTINGS (`webhookUrl`, `clientId`, ...)."""


def _shown(value: Any) -> str:
    """A non-secret value as it appears in a message: strings quoted, so that `""` and `" 3"` are visible."""
    return json.dumps(value) if isinstance(value, str) else str(value)


def _number(value: Any, kind: Callable[[str], N]) -> N | None:
    """A config value (a string, or a number from typed YAML) as `kind`; None when it is not one."""
    if isinstance(value, bool):
        return None
    try:
        return kind(str(value))
    except ValueError:
        return None


def _timeout_seconds(value: Any) -> float:
    number = _number(value, float)
    if number is None or not 0 < number <= MAX_TIMEOUT_SECONDS:
        raise ValueError(f"must be a number greater than 0 and at most {MAX_TIMEOUT_SECONDS:g}, got {_shown(value)}")
    return number


def _max_retries(value: Any) -> int:
    number = _number(value, int)
    if number is None or not 0 <= number <= MAX_RETRIES:
        raise ValueError(f"must be a whole number from 0 to {MAX_RETRIES}, got {_shown(value)}")
    return number


def _client_id(value: Any) -> str:
    """The value is a secret: the message gives only its length."""
    text = str(value)
    if not 1 <= len(text) <= MAX_CLIENT_ID_LENGTH:
        raise ValueError(
            f"must be 1 to {MAX_CLIENT_ID_LENGTH} characters long (the longest bot token Bitrix24 accepts), "
            f"got {len(text)} characters"
        )
    return text


def _plan(value: Any) -> str:
    if value not in PLANS:
        raise ValueError(f"must be one of {', '.join(PLANS)}, got {_shown(value)}")
    return str(value)


_RULES: dict[str, Callable[[Any], Any]] = {
    "client_id": _client_id,
    "plan": _plan,
    "timeout_seconds": _timeout_seconds,
    "max_retries": _max_retries,
}
"""Per-setting rules: each returns the value as the setting's type or raises ValueError saying the rule."""


def _broken_rule(field: str, value: Any) -> tuple[Any, str | None]:
    """`value` as the type of `field`, or None and the rule it breaks."""
    try:
        return _RULES.get(field, str)(value), None
    except ValueError as exc:
        return None, str(exc)


def setting_problems(values: Mapping[str, Any]) -> dict[str, str]:
    """The rule each given setting breaks, by its Python name (an explicit provider's inputs, checked as given)."""
    return {field: rule for field, value in values.items() if (rule := _broken_rule(field, value)[1]) is not None}


def _checked(field: str, value: Any, name: str, problems: list[str]) -> Any:
    """`value` as the type of `field`, or None with the broken rule, naming the setting `name`, added to problems."""
    parsed, rule = _broken_rule(field, value)
    if rule is not None:
        problems.append(f"{name} {rule}")
    return parsed


def _env_name(field: str) -> str:
    return "BITRIX24_" + field.upper()


def _config_keys(config: ConfigSource | None) -> list[str]:
    """Every key of the stack config. pulumi.dynamic.Config has no way to list them; it keeps them in `_props`."""
    raw = config if isinstance(config, Mapping) else getattr(config, "_props", None)
    return [str(key) for key in raw] if isinstance(raw, Mapping) else []


def unknown_keys(config: ConfigSource | None) -> list[str]:
    """A message per `bitrix24:*` key that is not a setting (a typo would otherwise be silently ignored)."""
    problems = []
    for full in sorted(_config_keys(config)):
        namespace, _, key = full.partition(":")
        if namespace != NAMESPACE or key in _KEYS.values() or key == PORTALS:
            continue
        problems.append(_unknown_key(full, key, f"{NAMESPACE}:", (*_KEYS.values(), PORTALS)))
    return problems


def closest(name: str, names: Iterable[str]) -> str | None:
    """The one of `names` that `name` most likely misspells, whatever its case and underscores (`timeout_second`,
    `webhookUrl`), or None."""
    compact = {n.replace("_", "").lower(): n for n in names}
    match = difflib.get_close_matches(name.replace("_", "").lower(), compact, n=1)
    return compact[match[0]] if match else None


def _unknown_key(full: str, key: str, prefix: str, keys: tuple[str, ...]) -> str:
    """`unknown config key ...; did you mean ...?`, or the known keys when nothing is close."""
    match = closest(key, keys)
    hint = f"did you mean {prefix}{match}?" if match else f"known keys: {', '.join(keys)}"
    return f"unknown config key {full}; {hint}"


def load_settings(config: ConfigSource | None) -> Settings:
    """Read every key from `bitrix24:<camelCase>` config, falling back to `BITRIX24_<SNAKE_CASE>`.

    Raises SettingsError naming every unknown key and every value that breaks its rule, with its source.
    """
    problems = unknown_keys(config)
    values: dict[str, Any] = {}
    for field, key in _KEYS.items():
        name = f"{NAMESPACE}:{key}"
        value = config.get(name) if config is not None else None
        if value in (None, ""):
            name, value = _env_name(field), os.environ.get(_env_name(field)) or None
        if value is not None:
            parsed = _checked(field, value, name, problems)
            if parsed is not None:
                values[field] = parsed
    if problems:
        raise SettingsError(*problems)
    return Settings(**values)


def load_portals(config: ConfigSource | None) -> dict[str, Settings | SettingsError]:
    """The named portals of `bitrix24:portals` (a structured, usually secret, config value), by name: each its
    settings, or the SettingsError naming the portal and the key of every problem it has (a bad name, an unknown
    key with a did-you-mean, a value that breaks its rule), so that one portal's mistake is reported on that
    portal's resources only. Raises SettingsError when the value itself is not an object of portals.
    Environment variables apply to the default portal only.
    """
    portals = portal_entries(config.get(f"{NAMESPACE}:{PORTALS}") if config is not None else None)
    found: dict[str, Settings | SettingsError] = {}
    for name, entry in portals.items():
        try:
            found[str(name)] = portal_settings(str(name), entry)
        except SettingsError as exc:
            found[str(name)] = exc
    return found


def portal_entries(raw: Any) -> Mapping[str, Any]:
    """The value of `bitrix24:portals` (JSON text, as Pulumi hands structured config over) as name -> entry."""
    if raw in (None, ""):
        return {}
    try:
        portals = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise SettingsError(PORTALS_SHAPE) from None
    if not isinstance(portals, Mapping):
        raise SettingsError(PORTALS_SHAPE)
    return portals


def portal_settings(name: str, entry: Any) -> Settings:
    """The settings of `bitrix24:portals.<name>` (from the config, or as a resource remembers them in its state).

    Raises SettingsError naming the portal and the key of every problem.
    """
    where = f"{NAMESPACE}:{PORTALS}.{name}"
    problems: list[str] = []
    if not PORTAL_NAME.fullmatch(name):
        problems.append(f"{where}: a portal name is {PORTAL_NAME_RULE}")
    if not isinstance(entry, Mapping):
        raise SettingsError(*problems, f"{where} must be an object of settings (webhookUrl, clientId, ...)")
    fields = {key: field for field, key in _KEYS.items()}
    values: dict[str, Any] = {}
    for key, value in entry.items():
        if key not in fields:
            problems.append(_unknown_key(f"{where}.{key}", str(key), f"{where}.", tuple(_KEYS.values())))
            continue
        parsed = _checked(fields[key], value, f"{where}.{key}", problems)
        if parsed is not None:
            values[fields[key]] = parsed
    if problems:
        raise SettingsError(*problems)
    return Settings(**values, name=name)
