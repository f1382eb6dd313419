"""Drives the real `pulumi` CLI offline (file backend, no update checks) against the in-process emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi_bitrix24._testkit import GENERIC_ERRORS, PortalControl
from pulumi_bitrix24._testkit import offline_env as kit_offline_env

REPO = Path(__file__).resolve().parents[2]
VENV = Path(sys.prefix)
TS_EXAMPLE = REPO / "examples" / "typescript-quickstart"


def pulumi_bin_dir() -> Path:
    """The pinned Pulumi CLI: $PULUMI_BIN, else whatever scripts/install-pulumi provides."""
    if os.environ.get("PULUMI_BIN"):
        return Path(os.environ["PULUMI_BIN"])
    out = subprocess.run([str(REPO / "scripts" / "install-pulumi")], check=True, capture_output=True, text=True)
    return Path(out.stdout.strip().splitlines()[-1])


def offline_env(bin_dir: Path, home: Path, backend: Path, ca_bundle: str | None = None) -> dict[str, str]:
    """This process's environment without Pulumi's and Bitrix24's variables, plus the kit's offline settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "BITRIX24_"))}
    env["PATH"] = f"{bin_dir}{os.pathsep}{VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    # The passphrase that the recorded states of tests/upgrade were written with.
    return {**env, **kit_offline_env(home, backend, ca_bundle), "PULUMI_CONFIG_PASSPHRASE": "e2e-passphrase"}


def json_documents(text: str) -> list[dict[str, Any]]:
    """Every JSON object in a CLI output: one for `preview --json`, an event per line for `up --json`."""
    decoder, pos, docs = json.JSONDecoder(), 0, []
    while True:
        stripped = text[pos:].lstrip()
        if not stripped:
            return docs
        doc, pos = decoder.raw_decode(text, len(text) - len(stripped))
        docs.append(doc)


@dataclass
class Run:
    """One CLI invocation's outcome; `output` is stdout and stderr together, as a user sees them."""

    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def errors(self) -> str:
        """The error diagnostics of a `--json` run, one per line: what a failed run's report must lead with, since a
        CI log keeps only the head and the tail of the whole event stream."""
        try:
            docs = json_documents(self.stdout)
        except ValueError:  # not a --json run
            return ""
        messages = []
        for doc in docs:
            events = doc.get("diagnostics") or [doc.get("diagnosticEvent") or {}]
            messages += [str(e["message"]).strip() for e in events if e.get("severity") == "error"]
        return "\n".join(f"error: {message}" for message in messages)

    def changes(self) -> dict[str, int]:
        """The operation counts of the run, e.g. {"same": 2} or {"create": 1, "update": 1}."""
        for doc in json_documents(self.stdout):
            if "changeSummary" in doc:
                return dict(doc["changeSummary"])
            if "summaryEvent" in doc:
                return dict(doc["summaryEvent"]["resourceChanges"])
        raise AssertionError(f"no change summary in pulumi output:\n{self.output}")


class Project:
    """A Pulumi project folder with one stack, driven through the CLI."""

    def __init__(self, root: Path, env: dict[str, str], name: str = "e2e", main: Path | None = None) -> None:
        """`main` runs a program folder in place (an example), instead of the project's own __main__.py."""
        self.root = root
        self.env = env
        root.mkdir(parents=True, exist_ok=True)
        (root / "Pulumi.yaml").write_text(
            f"name: {name}\nruntime:\n  name: python\n  options:\n    virtualenv: {VENV}\n"
            + (f"main: {main}\n" if main is not None else "")
        )
        self.cli("stack", "init", "dev")

    def cli(self, *args: str, check: bool = True, stdin: str | None = None) -> Run:
        proc = subprocess.run(
            ["pulumi", "--non-interactive", *args],
            input=stdin,
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        run = Run(proc.returncode, proc.stdout, proc.stderr)
        if check and run.code != 0:
            raise AssertionError(f"pulumi {' '.join(args)} failed ({run.code}):\n{run.errors()}\n{run.output}")
        return run

    def program(self, source: str) -> None:
        (self.root / "__main__.py").write_text(textwrap.dedent(source))

    def config(self, key: str, value: str, secret: bool = False, path: bool = False) -> None:
        """Set a config value, passed on stdin so that secrets never appear in a command line; `path` sets one
        key inside a structured value (`bitrix24:portals.acme.webhookUrl`)."""
        flags = [*(["--secret"] if secret else []), *(["--path"] if path else [])]
        self.cli("config", "set", *flags, key, stdin=value)

    def preview(self, check: bool = True) -> Run:
        return self.cli("preview", "--json", check=check)

    def up(self, check: bool = True) -> Run:
        return self.cli("up", "--yes", "--skip-preview", "--json", check=check)

    def destroy(self, check: bool = True) -> Run:
        return self.cli("destroy", "--yes", "--skip-preview", "--json", check=check)

    def outputs(self) -> dict[str, Any]:
        return json.loads(self.cli("stack", "output", "--json").stdout)

    def export(self) -> str:
        return self.cli("stack", "export").stdout

    def resources(self) -> list[dict[str, Any]]:
        return list(json.loads(self.export())["deployment"].get("resources") or [])


def assert_preview_rejects(project: Project, emulator: EmulatorControl, field: str, rule: str) -> None:
    """`pulumi preview` fails on `field` with a message holding `rule`, and nothing reached the portal."""
    run = project.preview(check=False)
    assert run.code != 0
    if rule[:1] in ".[:":  # a field inside a structure, or a rule on a whole structure: named by its path,
        # without Pulumi's dump of the structure
        assert f"has a problem: {field}{rule}" in run.output, run.output
    else:
        assert f"property {field} value" in run.output, run.output
        assert rule in run.output, run.output
    assert emulator.journal("") == []


def first_error(run: Run) -> str:
    """The first error a user reads about the cause, from the diagnostics of `preview --json`."""
    for doc in json_documents(run.stdout):
        for diagnostic in doc.get("diagnostics") or []:
            message = str(diagnostic["message"])
            if diagnostic.get("severity") == "error" and not any(g in message for g in GENERIC_ERRORS):
                return message
    raise AssertionError(f"no error diagnostic in the output:\n{run.output}")


def assert_preview_fails(project: Project, emulator: EmulatorControl, *texts: str) -> str:
    """`pulumi preview` fails, its first error holds every one of `texts`, and nothing reached the portal."""
    run = project.preview(check=False)
    assert run.code != 0
    first = first_error(run)
    missing = [text for text in texts if text not in first]
    assert not missing, f"{missing} not in the first error:\n{first}"
    assert emulator.journal("") == []
    return first


def assert_preview_fails_on_config(project: Project, emulator: EmulatorControl, problem: str) -> None:
    """`pulumi preview` fails with `problem` as a configuration problem of the resource, and nothing was sent."""
    run = project.preview(check=False)
    assert run.code != 0
    assert f"has a problem: bitrix24 configuration: {problem}" in run.output, run.output
    assert emulator.journal("") == []


READ_METHODS = frozenset(
    {
        "imbot.bot.list",
        "imbot.v2.bot.get",
        "imbot.v2.bot.list",
        "imbot.v2.command.list",
        "placement.get",
        "placement.list",
    }
)


class EmulatorControl(PortalControl):
    """Test-side access to the emulator: the kit's controls plus the journal queries and checks of this suite."""

    def journal(self, prefix: str = "imbot.") -> list[dict[str, Any]]:
        """The journal's HTTP requests whose method, or one of whose batched methods, starts with prefix."""
        return [
            e
            for e in self.journal_entries()
            if any(str(m).startswith(prefix) for m in [e["method"], *e.get("calls", [])])
        ]

    def methods(self, prefix: str = "imbot.") -> list[str]:
        """The REST methods called (those starting with prefix), in order, batched ones included."""
        return [m for e in self.journal(prefix) for m in e.get("calls", [e["method"]])]

    def outcomes(self) -> list[tuple[str, str | None]]:
        """(method, error) of every REST call in order; a batched call has its own error, or its request's."""
        found: list[tuple[str, str | None]] = []
        for entry in self.journal():
            calls = entry.get("calls", [entry["method"]])
            errors = entry.get("call_errors") or [entry["error"]] * len(calls)
            found += list(zip(calls, errors + [entry["error"]] * (len(calls) - len(errors)), strict=True))
        return found

    def requests(self) -> int:
        """How many HTTP requests reached the portal (a batch counts once, as for the rate limit); the OAuth
        server's `oauth/token` requests are not the portal's."""
        return len([e for e in self.journal("") if e["method"] != "oauth/token"])

    def token_grants(self) -> list[tuple[str, str | None]]:
        """(grant_type, error) of every request to the OAuth server's /oauth/token/, in order."""
        return [(e["grant_type"], e["error"]) for e in self.journal("oauth/token")]

    def writes(self, prefix: str = "imbot.") -> list[str]:
        """The methods called that can change the portal (everything but the reads)."""
        return [m for m in self.methods(prefix) if m not in READ_METHODS]

    def assert_no_secrets(self, texts: list[str], *extra: str) -> None:
        """None of the texts holds the webhook code, the CLIENT_ID or any extra secret."""
        webhook_code = self.info.webhook_url.rstrip("/").rsplit("/", 1)[1]
        for secret in (webhook_code, self.info.client_id, *extra):
            leaked = [text for text in texts if secret in text]
            assert not leaked, f"a secret appeared in {len(leaked)} of {len(texts)} texts"

    def make_command(self, bot_id: int, command: str) -> int:
        """Register a command by hand, as another tool or an earlier run would have."""
        envelope = self.call(
            "imbot.command.register",
            BOT_ID=bot_id,
            COMMAND=command,
            EVENT_COMMAND_ADD="https://example.com/by-hand",
            LANG=[{"LANGUAGE_ID": "en", "TITLE": "By hand"}],
        )
        return int(envelope["result"])

    def make_bot(self, code: str = "e2ebot", access_token: str | None = None) -> int:
        envelope = self.call(
            "imbot.register",
            access_token=access_token,
            CODE=code,
            EVENT_HANDLER="https://example.com/bot",
            PROPERTIES={"NAME": code},
        )
        return int(envelope["result"])


def portal_ids(emulator: EmulatorControl) -> dict[str, list[int]]:
    """The ids of every bot, app and command on the portal."""
    state = emulator.state()
    return {kind: sorted(o["ID"] for o in state[kind]) for kind in ("bots", "apps", "commands")}


def stack_ids(project: Project) -> dict[str, list[int]]:
    """The ids the stack's state holds, by the same kinds."""
    kinds = {"Bot": "bots", "ChatApp": "apps", "BotCommand": "commands"}
    ids: dict[str, list[int]] = {kind: [] for kind in kinds.values()}
    for resource in project.resources():
        kind = kinds.get(resource["type"].rsplit(":", 1)[-1])
        if kind is not None:
            ids[kind].append(int(resource["id"]))
    return {kind: sorted(values) for kind, values in ids.items()}
