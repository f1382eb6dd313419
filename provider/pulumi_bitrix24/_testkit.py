"""What the test kit and this repository's own tests share: the emulator's /_emulator controls as a client, and
the environment that keeps the Pulumi CLI local (own PULUMI_HOME, file backend, no update check or download)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import requests

from .emulator import EmulatorInfo

PASSPHRASE = "bitrix24-test-passphrase"
"""The passphrase of the test stacks' secrets provider: their backend is a temporary folder."""

GENERIC_ERRORS = ("Resource monitor has terminated", "an unhandled error occurred")
"""Pulumi's own follow-up errors once a program or a check failed; they never say what was wrong."""


def cli_folder(bin_dir: Path | None) -> Path | None:
    """The folder of the Pulumi CLI to use: `bin_dir`, else $PULUMI_BIN, else None (the `pulumi` on PATH)."""
    if bin_dir is not None:
        return bin_dir
    return Path(os.environ["PULUMI_BIN"]) if os.environ.get("PULUMI_BIN") else None


def offline_env(home: Path, backend: Path, ca_bundle: str | None = None) -> dict[str, str]:
    """The variables that keep Pulumi local: own PULUMI_HOME, file backend, no update check, no plugin download,
    a fixed passphrase, and the emulator's CA for the provider's requests."""
    env = {
        "PULUMI_HOME": str(home),
        "PULUMI_BACKEND_URL": backend.as_uri(),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
    }
    if ca_bundle:
        env["REQUESTS_CA_BUNDLE"] = ca_bundle
    return env


class PortalControl:
    """A client of one emulated portal: REST calls with its default webhook, and its /_emulator controls."""

    def __init__(self, info: EmulatorInfo) -> None:
        self.info = info
        self.session = requests.Session()

    def _control(self, verb: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.session.request(
            verb, f"{self.info.base_url}_emulator/{path}", json=body, timeout=10, verify=self.info.ca_bundle
        )
        response.raise_for_status()
        return response.json()

    def state(self) -> dict[str, Any]:
        """Every bot, app, command and placement the portal holds, secrets fingerprinted."""
        return dict(self._control("GET", "state"))

    def reset(self) -> None:
        """Empty the portal: no objects, journal, faults, extra webhooks or OAuth apps."""
        self._control("POST", "reset")

    def fault(self, method: str, **spec: Any) -> None:
        """Make the next calls of `method` fail: `count`, `error`, `status`, `drop`, `stall`, `garble`, `after`."""
        self._control("POST", "faults", {"method": method, **spec})

    def journal_entries(self) -> list[dict[str, Any]]:
        """Every request the portal received since the last reset, secrets fingerprinted."""
        return list(self._control("GET", "journal"))

    def clear_journal(self) -> None:
        self._control("DELETE", "journal")

    def webhook(self, scopes: list[str]) -> str:
        """A new inbound webhook URL with these scopes."""
        return str(self._control("POST", "webhooks", {"scopes": scopes})["webhook_url"])

    def oauth_app(self, lifetime: float = 3600, admin: bool = True) -> dict[str, Any]:
        """A new OAuth app (client_id, client_secret) with the tokens of an administrator, or of a plain employee."""
        return dict(self._control("POST", "oauth", {"lifetime": lifetime, "admin": admin}))

    def oauth_code(self, client_id: str) -> str:
        """A one-time authorization code of an OAuth app, as the portal's authorize redirect would carry it."""
        return str(self._control("POST", "oauth-code", {"client_id": client_id})["code"])

    def expire_tokens(self) -> None:
        self._control("POST", "expire-tokens")

    def call(self, method: str, *, access_token: str | None = None, **params: Any) -> Any:
        """Call a REST method with the default webhook and CLIENT_ID, or as an OAuth app with its token."""
        if access_token is None:
            url, body = f"{self.info.webhook_url}{method}.json", {"CLIENT_ID": self.info.client_id, **params}
        else:
            url, body = f"{self.info.base_url}rest/{method}.json", {"auth": access_token, **params}
        response = self.session.post(url, json=body, timeout=10, verify=self.info.ca_bundle)
        return response.json()
