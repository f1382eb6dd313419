"""Provider settings: stack config `bitrix24:*` first, then BITRIX24_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from ._ratelimit import PLANS


class ConfigSource(Protocol):
    def get(self, key: str) -> Any: ...


class SettingsError(ValueError):
    """The provider configuration is missing or malformed."""


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
    plan: str = "standard"
    timeout_seconds: float = 30.0
    max_retries: int = 5

    @property
    def base_url(self) -> str:
        """REST base ending in `/`: the webhook URL, or `<portal>/rest/` in OAuth mode."""
        if self.webhook_url:
            return self.webhook_url.rstrip("/") + "/"
        if self.portal_url:
            return self.portal_url.rstrip("/") + "/rest/"
        raise SettingsError(
            "no Bitrix24 portal configured: set bitrix24:webhookUrl and bitrix24:clientId "
            "(pulumi config set --secret ...), or bitrix24:portalUrl and bitrix24:accessToken, "
            "or the BITRIX24_* environment variables"
        )

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in any message: webhook code, client id, tokens."""
        code = urlsplit(self.webhook_url or "").path.strip("/").split("/")[-1:]
        values = (
            *code,
            self.client_id,
            self.access_token,
            self.refresh_token,
            self.oauth_client_secret,
        )
        return tuple(v for v in values if v)

    def validate(self) -> None:
        """Refuse settings that cannot work, before any request."""
        url = self.base_url
        if urlsplit(url).scheme != "https":
            raise SettingsError("the Bitrix24 portal must be reached over https:// (plain http is refused)")
        if self.webhook_url and not self.client_id:
            raise SettingsError("bitrix24:clientId (or BITRIX24_CLIENT_ID) is required with a webhook URL")
        if not self.webhook_url and not self.access_token:
            raise SettingsError("bitrix24:accessToken (or BITRIX24_ACCESS_TOKEN) is required with portalUrl")
        if self.plan not in PLANS:
            raise SettingsError(f"bitrix24:plan must be one of {', '.join(PLANS)}, not {self.plan!r}")


_KEYS = {
    "webhook_url": "webhookUrl",
    "client_id": "clientId",
    "portal_url": "portalUrl",
    "access_token": "accessToken",
    "refresh_token": "refreshToken",
    "oauth_client_id": "oauthClientId",
    "oauth_client_secret": "oauthClientSecret",
    "oauth_server_url": "oauthServerUrl",
    "plan": "plan",
    "timeout_seconds": "timeoutSeconds",
    "max_retries": "maxRetries",
}


def _env_name(key: str) -> str:
    return "BITRIX24_" + key.upper()


def load_settings(config: ConfigSource | None) -> Settings:
    """Read every key from `bitrix24:<camelCase>` config, falling back to `BITRIX24_<SNAKE_CASE>`."""
    values: dict[str, Any] = {}
    for field, key in _KEYS.items():
        value = config.get(f"bitrix24:{key}") if config is not None else None
        if value in (None, ""):
            value = os.environ.get(_env_name(field)) or None
        if value is not None:
            values[field] = value
    try:
        if "timeout_seconds" in values:
            values["timeout_seconds"] = float(values["timeout_seconds"])
        if "max_retries" in values:
            values["max_retries"] = int(values["max_retries"])
    except ValueError as exc:
        raise SettingsError(f"bitrix24:timeoutSeconds / maxRetries must be numbers: {exc}") from None
    return Settings(**values)
