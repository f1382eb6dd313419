"""What a user reads when `pulumi up` fails: expected failures as one message, provider bugs with a traceback.

The CLI prints each failed resource under "Diagnostics:" as `<type> (<name>):` followed by `error: <text>`;
these tests check that first line, as a user sees it in the plain (non-JSON) output.
"""

from __future__ import annotations

import socket

from .conftest import ProjectFactory
from .harness import EmulatorControl, Project, Run

CHAT_APP = "pulumi-python:dynamic/bitrix24:ChatApp"


def program(bot_id: str, extra: str = "") -> str:
    return f"""
import pulumi
from pulumi_bitrix24 import ChatApp, ChatAppArgs, Translation

app = ChatApp("helper", ChatAppArgs(bot_id={bot_id}, code="helper", js_method="SEND", js_param="/help",
                                    translations=[Translation(language_id="en", title="Help")]))
{extra}
"""


def up(project: Project) -> Run:
    """`pulumi up` as a user runs it, with the plain output; it must fail."""
    run = project.cli("up", "--yes", "--skip-preview", check=False)
    assert run.code != 0, run.output
    return run


def first_error(run: Run, resource: str) -> str:
    """The first line the Diagnostics section shows for `resource` (`<type> (<name>)`)."""
    lines = run.stdout.split("Diagnostics:", 1)[1].splitlines()
    return lines[lines.index(f"  {resource}:") + 1].strip()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_rest_error_is_one_line_naming_method_code_field_and_action(
    new_project: ProjectFactory, emulator: EmulatorControl
) -> None:
    project = new_project()
    project.program(program("999"))
    run = up(project)
    assert first_error(run, f"{CHAT_APP} (helper)") == (
        "error: Bitrix24 imbot.app.register failed with BOT_ID_ERROR (bot_id 999 is not a bot on this portal): "
        "no bot of this application has that id. Set bot_id to the bot_id of a Bot resource or of an existing bot; "
        "if the bot was deleted outside Pulumi, run `pulumi refresh`, then `pulumi up`."
    )
    assert first_error(run, "pulumi:pulumi:Stack (e2e-dev)") == "error: update failed"
    assert "Traceback" not in run.output
    emulator.assert_no_secrets([run.output])


def test_an_unreachable_portal_says_nothing_was_sent(new_project: ProjectFactory, emulator: EmulatorControl) -> None:
    project = new_project()
    port = emulator.info.base_url.rstrip("/").rsplit(":", 1)[1]
    project.config("bitrix24:webhookUrl", emulator.info.webhook_url.replace(port, str(closed_port())), secret=True)
    project.config("bitrix24:maxRetries", "0")
    project.program(program(str(emulator.make_bot())))
    run = up(project)
    line = first_error(run, f"{CHAT_APP} (helper)")
    assert line.startswith(
        "error: Bitrix24 imbot.app.register failed: the portal could not be reached, so nothing was sent"
    ), line
    assert "Connection refused" in line and "Traceback" not in run.output
    emulator.assert_no_secrets([run.output])


def test_a_lost_answer_says_the_request_may_have_arrived(
    new_project: ProjectFactory, emulator: EmulatorControl
) -> None:
    project = new_project()
    project.config("bitrix24:maxRetries", "0")
    project.program(program(str(emulator.make_bot())))
    emulator.fault("imbot.app.register", count=1, drop=True)
    run = up(project)
    line = first_error(run, f"{CHAT_APP} (helper)")
    assert line.startswith(
        "error: Bitrix24 imbot.app.register failed: the request was sent, but the connection broke or timed out "
        "before an answer came, so the portal may have carried it out."
    ), line
    assert "could not be reached" not in line and "Traceback" not in run.output
    emulator.assert_no_secrets([run.output])


BUGGY_RESOURCE = """
import pulumi.dynamic


class Buggy(pulumi.dynamic.ResourceProvider):
    def create(self, props):
        raise RuntimeError("injected provider bug")


class Failing(pulumi.dynamic.Resource):
    def __init__(self, name, opts):
        super().__init__(Buggy(), name, {}, opts)


Failing("buggy", pulumi.ResourceOptions(depends_on=[app]))
"""


def test_a_provider_bug_keeps_its_traceback(new_project: ProjectFactory, emulator: EmulatorControl) -> None:
    """The buggy provider runs in the same provider process, after this package's ChatApp was created there."""
    project = new_project()
    project.program(program(str(emulator.make_bot()), BUGGY_RESOURCE))
    emulator.clear_journal()
    run = up(project)
    assert first_error(run, "pulumi-python:dynamic:Resource (buggy)") == "error: Traceback (most recent call last):"
    assert "RuntimeError: injected provider bug" in run.output
    assert emulator.methods() == ["imbot.app.register", "imbot.app.update"]
