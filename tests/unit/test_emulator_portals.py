"""Several emulated portals in one process: each its own objects, credentials, journal and rate limit."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from pulumi_bitrix24.emulator import Emulator
from pulumi_bitrix24.emulator._server import EmulatorInfo


def register_bot(info: EmulatorInfo, code: str) -> requests.Response:
    body = {
        "CLIENT_ID": info.client_id,
        "CODE": code,
        "EVENT_HANDLER": "https://e.example/h",
        "PROPERTIES": {"NAME": code},
    }
    return requests.post(f"{info.webhook_url}imbot.register", json=body, verify=info.ca_bundle, timeout=10)


def control(info: EmulatorInfo, path: str, verb: str = "GET") -> requests.Response:
    return requests.request(verb, f"{info.base_url}_emulator/{path}", verify=info.ca_bundle, timeout=10)


def test_portals_are_independent(tmp_path: Path) -> None:
    emulator = Emulator(tmp_path, plan="unlimited", portals=("acme", "globex"))
    emulator.start()
    try:
        acme, globex = emulator.portals["acme"], emulator.portals["globex"]
        assert acme.base_url.endswith("/acme/") and acme.ca_bundle == emulator.info.ca_bundle
        assert acme.client_id != globex.client_id and acme.webhook_url != globex.webhook_url
        assert register_bot(acme, "echo").status_code == 200
        assert register_bot(globex, "echo").status_code == 200  # same code, another portal
        assert [b["CODE"] for b in control(acme, "state").json()["bots"]] == ["echo"]
        assert control(emulator.info, "state").json()["bots"] == []
        assert [e["method"] for e in control(globex, "journal").json()] == ["imbot.register"]
        # one portal's webhook is no credential on another
        wrong = acme.webhook_url.replace("/acme/", "/globex/")
        answer = requests.post(f"{wrong}imbot.bot.list", json={}, verify=acme.ca_bundle, timeout=10)
        assert answer.json()["error"] == "NO_AUTH_FOUND"
        made = control(acme, "webhooks", "POST").json()["webhook_url"]
        assert made.startswith(acme.base_url + "rest/1/")
        assert requests.post(f"{made}imbot.bot.list", json={}, verify=acme.ca_bundle, timeout=10).status_code == 200
        oauth = control(acme, "oauth", "POST").json()
        assert oauth["portal_url"] == acme.base_url
    finally:
        emulator.stop()


@pytest.mark.parametrize("names", [("rest",), ("Acme",), ("a", "a"), ("a/b",)])
def test_portal_names_are_checked(tmp_path: Path, names: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="portal names"):
        Emulator(tmp_path, portals=names)


def test_each_portal_has_its_own_rate_limit(tmp_path: Path) -> None:
    emulator = Emulator(tmp_path, plan="standard", portals=("acme",))
    emulator.start()
    try:
        acme = emulator.portals["acme"]
        codes = [register_bot(acme, f"b{i}").json().get("error") for i in range(60)]
        assert "QUERY_LIMIT_EXCEEDED" in codes
        assert register_bot(emulator.info, "fresh").status_code == 200
    finally:
        emulator.stop()


def test_a_moved_portal_redirects_each_rest_path_to_the_same_path_at_its_new_address(tmp_path: Path) -> None:
    emulator = Emulator(tmp_path, plan="unlimited", portals=("acme",))
    emulator.start()
    try:
        acme = emulator.portals["acme"]
        new = "https://acme-renamed.example.com/"
        moved = requests.post(
            f"{acme.base_url}_emulator/move", json={"to": new}, verify=acme.ca_bundle, timeout=10
        ).json()
        assert moved == {"moved_to": new}
        hook = requests.post(
            f"{acme.webhook_url}imbot.register.json?x=1", json={}, verify=acme.ca_bundle, allow_redirects=False
        )
        assert hook.status_code == 301
        assert (
            hook.headers["Location"] == new + acme.webhook_url.removeprefix(acme.base_url) + "imbot.register.json?x=1"
        )
        app = requests.post(f"{acme.base_url}rest/imbot.bot.list", verify=acme.ca_bundle, allow_redirects=False)
        assert (app.status_code, app.headers["Location"]) == (301, new + "rest/imbot.bot.list")
        assert [(e["method"], e["status"], e["error"]) for e in control(acme, "journal").json()] == [
            ("imbot.register", 301, "moved"),
            ("imbot.bot.list", 301, "moved"),
        ]
        assert control(acme, "state").json()["bots"] == []
        assert register_bot(emulator.info, "echo").status_code == 200, "the other portal stays where it was"
        control(acme, "reset", "POST")
        assert register_bot(acme, "echo").status_code == 200, "a reset brings the portal back"
        refused = requests.post(f"{acme.base_url}_emulator/move", json={"to": "nowhere"}, verify=acme.ca_bundle)
        assert refused.status_code == 400 and "base URL" in refused.json()["error_description"]
    finally:
        emulator.stop()
