"""A renamed portal: its old address redirects every request; `pulumi preview` says where it went and which key to
change, once per resource, without following the redirect and without a secret in the output."""

from __future__ import annotations

import re

from .conftest import ProjectFactory
from .harness import EmulatorControl

NEW_ADDRESS = "https://renamed.example.com/"
BOT = "pulumi-python:dynamic/bitrix24:Bot"
PROGRAM = """
from pulumi_bitrix24 import Bot, BotArgs, BotProperties

for code in ("first", "second"):
    Bot(code, BotArgs(code=code, event_handler="https://example.com/bot", properties=BotProperties(name=code)))
"""


def diagnostics(output: str) -> dict[str, list[str]]:
    """The errors of the plain output's Diagnostics section, by resource (`<type> (<name>)`)."""
    found: dict[str, list[str]] = {}
    resource = ""
    for line in output.split("Diagnostics:", 1)[1].splitlines():
        if header := re.fullmatch(r"  (\S.*):", line):
            resource = header.group(1)
        elif line.strip().startswith("error: "):
            found.setdefault(resource, []).append(line.strip())
    return found


def test_preview_on_a_moved_portal_names_its_new_address_and_the_key_to_change(
    new_project: ProjectFactory, emulator: EmulatorControl
) -> None:
    project = new_project()
    project.program(PROGRAM)
    moved = emulator.session.post(
        f"{emulator.info.base_url}_emulator/move", json={"to": NEW_ADDRESS}, verify=emulator.info.ca_bundle, timeout=10
    )
    moved.raise_for_status()
    run = project.cli("preview", check=False)
    assert run.code != 0
    bots = {resource: errors for resource, errors in diagnostics(run.output).items() if resource.startswith(BOT)}
    assert bots, run.output  # Pulumi stops at the first failed check, so one bot or both
    for errors in bots.values():
        assert len(errors) == 1, errors
        provider_part = errors[0].split("has a problem: ", 1)[1]
        assert "failed with PORTAL_MOVED (it now answers at https://renamed.example.com/)" in provider_part
        assert "Put the new address in bitrix24:webhookUrl in place of the old one" in provider_part
        assert len(provider_part) < 400, provider_part
    assert run.output.count("PORTAL_MOVED") == 2 * len(bots), "once inline and once under Diagnostics, per resource"
    assert "Traceback" not in run.output
    emulator.assert_no_secrets([run.output])
    assert {(e["status"], e["error"]) for e in emulator.journal("")} == {(301, "moved")}, "nothing else was sent"
