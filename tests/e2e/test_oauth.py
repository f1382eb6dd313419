"""OAuth mode with a token store, through the real CLI: refresh once mid-run, rotation kept, concurrent runs."""

from __future__ import annotations

import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pulumi_bitrix24._tokens import Tokens, TokenStore, app_key

from .conftest import ProjectFactory
from .harness import VENV, EmulatorControl, Project, Run, assert_preview_fails_on_config

APPS = 20


def apps_program(count: int, command: str = "/help") -> str:
    """One hand-made bot (config botId) with `count` JS chat apps, created in parallel."""
    return "\n".join(
        [
            "import pulumi",
            "from pulumi_bitrix24 import ChatApp, ChatAppArgs, Translation",
            "bot_id = pulumi.Config().require_int('botId')",
            f"for i in range({count}):",
            "    ChatApp(f'app{i}', ChatAppArgs(bot_id=bot_id, code=f'app{i}', js_method='SEND',",
            f"        js_param={command!r}, translations=[Translation(language_id='en', title='Help')]))",
            "",
        ]
    )


def bot_program(code: str) -> str:
    return "\n".join(
        [
            "from pulumi_bitrix24 import Bot, BotArgs, BotProperties",
            f"Bot('bot', BotArgs(code={code!r}, event_handler='https://example.com/bot',",
            f"    properties=BotProperties(name={code!r})))",
            "",
        ]
    )


def oauth_stack(project: Project, app: dict[str, Any], store: Path) -> None:
    """OAuth mode with a token store; the app's keys are secrets, its tokens are not in the config."""
    project.config("bitrix24:portalUrl", app["portal_url"])
    # Pulumi takes a key named like a token for a secret unless told otherwise; the path is no secret.
    project.cli("config", "set", "--plaintext", "bitrix24:tokenStore", stdin=str(store))
    project.config("bitrix24:oauthClientId", app["client_id"], secret=True)
    project.config("bitrix24:oauthClientSecret", app["client_secret"], secret=True)
    project.config("bitrix24:oauthServerUrl", app["portal_url"])


def portal_objects(emulator: EmulatorControl, kind: str) -> set[int]:
    return {int(o["ID"]) for o in emulator.state()[kind + "s"]}


def stack_ids(project: Project, output: str) -> set[int]:
    return {int(r["outputs"][output]) for r in project.resources() if output in r.get("outputs", {})}


def stored(store: Path, app: dict[str, Any]) -> Tokens:
    tokens = TokenStore(store).get(app["portal_url"], app["client_id"])
    assert tokens is not None
    return tokens


def token_command(
    project: Project, app: dict[str, Any], *argv: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run pulumi-bitrix24-tokens as a user would, the app's keys in its environment."""
    env = {
        **project.env,
        "BITRIX24_OAUTH_CLIENT_ID": app["client_id"],
        "BITRIX24_OAUTH_CLIENT_SECRET": app["client_secret"],
    }
    command = [str(VENV / "bin" / "pulumi-bitrix24-tokens"), *argv]
    return subprocess.run(command, input=stdin, env=env, capture_output=True, text=True, timeout=60)


def configure_as_printed(project: Project, app: dict[str, Any], printed: str) -> None:
    """Set exactly the config lines the token command printed, typing the two secrets it asks for."""
    answers = {"bitrix24:oauthClientId": app["client_id"], "bitrix24:oauthClientSecret": app["client_secret"]}
    lines = [line.split("#")[0].split() for line in printed.splitlines() if line.strip().startswith("pulumi config")]
    for words in lines:
        project.cli(*words[1:], stdin=answers.get(words[-1]))


def test_a_token_expiring_mid_run_is_refreshed_once_and_kept_for_the_next_run(
    new_project: ProjectFactory, emulator: EmulatorControl, tmp_path: Path
) -> None:
    app, store = emulator.oauth_app(), tmp_path / "tokens.json"
    project = new_project(configure=False)
    oauth_stack(project, app, store)
    project.config("bitrix24:accessToken", app["access_token"], secret=True)  # seeds: the store is still empty
    project.config("bitrix24:refreshToken", app["refresh_token"], secret=True)
    project.config("botId", str(emulator.make_bot("oauthbot", access_token=app["access_token"])))
    project.program(apps_program(APPS))
    emulator.clear_journal()
    emulator.fault("batch", stall=0.3, count=100)  # each create's request takes a while: room to expire mid-run
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(project.up)
        while not [m for m, error in emulator.outcomes() if error is None]:
            assert not running.done(), running.result().output
            time.sleep(0.02)
        emulator.expire_tokens()
        first = running.result()
    assert first.changes() == {"create": APPS + 1}
    outcomes = emulator.outcomes()
    assert ("imbot.app.register", None) in outcomes and ("imbot.app.register", "expired_token") in outcomes
    assert emulator.token_grants() == [("refresh_token", None)]
    assert stack_ids(project, "app_id") == portal_objects(emulator, "app")  # nothing orphaned, nothing missing
    rotated = stored(store, app)
    assert rotated.refresh_token != app["refresh_token"]

    emulator.expire_tokens()  # the next run: only the stored, rotated refresh token still works
    project.program(apps_program(APPS, command="/start"))
    second = project.up()
    assert second.changes() == {"update": APPS, "same": 1}
    assert emulator.token_grants() == [("refresh_token", None)] * 2
    assert stack_ids(project, "app_id") == portal_objects(emulator, "app")
    latest = stored(store, app)
    config = project.cli("config", "--show-secrets", "--json").stdout
    assert rotated.access_token not in config and latest.refresh_token not in config  # never in the stack config
    texts = [first.output, second.output, project.export(), project.cli("stack", "history").output]
    secrets = (app["client_id"], app["client_secret"], app["access_token"], app["refresh_token"])
    emulator.assert_no_secrets(texts, *secrets, rotated.access_token, rotated.refresh_token or "", latest.access_token)


def test_two_concurrent_runs_sharing_a_store_both_succeed(
    new_project: ProjectFactory, emulator: EmulatorControl, tmp_path: Path
) -> None:
    app, store = emulator.oauth_app(), tmp_path / "tokens.json"
    TokenStore(store).save(app["portal_url"], app["client_id"], Tokens(app["access_token"], app["refresh_token"]))
    projects = [new_project(name, configure=False) for name in ("first", "second")]
    for project in projects:
        oauth_stack(project, app, store)
        project.program(bot_program(f"bot-{project.root.name}"))
    emulator.expire_tokens()
    emulator.clear_journal()
    with ThreadPoolExecutor(2) as pool:
        runs: list[Run] = list(pool.map(lambda p: p.up(), projects))
    assert [run.changes() for run in runs] == [{"create": 2}] * 2
    assert emulator.token_grants() == [("refresh_token", None)]
    assert set().union(*(stack_ids(p, "bot_id") for p in projects)) == portal_objects(emulator, "bot")
    assert len(portal_objects(emulator, "bot")) == 2
    latest = stored(store, app)
    secrets = (app["client_id"], app["client_secret"], app["access_token"], app["refresh_token"], latest.access_token)
    emulator.assert_no_secrets([run.output for run in runs] + [p.export() for p in projects], *secrets)


def test_the_token_command_then_pulumi_up(
    new_project: ProjectFactory, emulator: EmulatorControl, tmp_path: Path
) -> None:
    app, store = emulator.oauth_app(), tmp_path / "tokens.json"
    project = new_project(configure=False)
    oauth_stack(project, app, store)
    project.program(bot_program("from-code"))
    missing = f"the token store {store} (bitrix24:tokenStore) has no tokens for {app['portal_url']}"
    assert_preview_fails_on_config(
        project, emulator, missing + " and bitrix24:accessToken is not set: run pulumi-bitrix24-tokens"
    )

    code = emulator.oauth_code(app["client_id"])
    argv = ("--store", str(store), "--portal", app["portal_url"], "code", "--oauth-server", app["portal_url"])
    command = token_command(project, app, *argv, stdin=code + "\n")
    assert command.returncode == 0, command.stderr
    assert f"pulumi config set --plaintext bitrix24:tokenStore {store}" in command.stdout
    assert emulator.token_grants() == [("authorization_code", None)]

    up = project.up()
    assert up.changes() == {"create": 2}
    assert stack_ids(project, "bot_id") == portal_objects(emulator, "bot")
    latest = stored(store, app)
    texts = [command.stdout, command.stderr, up.output, project.export()]
    emulator.assert_no_secrets(texts, code, app["client_id"], app["client_secret"], latest.access_token)
    assert latest.refresh_token and latest.refresh_token not in "".join(texts)


def install_data(app: dict[str, Any]) -> str:
    """The form body the portal posts to the app's installation path (ONAPPINSTALL), for an emulator app."""
    auth = {
        "access_token": app["access_token"],
        "refresh_token": app["refresh_token"],
        "expires_in": app["expires_in"],
        "client_endpoint": app["portal_url"] + "rest/",
        "server_endpoint": app["portal_url"] + "rest/",
    }
    return "event=ONAPPINSTALL&" + "&".join(f"auth[{key}]={value}" for key, value in auth.items())


def test_two_oauth_apps_sharing_a_store_each_keep_their_tokens(
    new_project: ProjectFactory, emulator: EmulatorControl, tmp_path: Path
) -> None:
    store, apps = tmp_path / "tokens.json", [emulator.oauth_app(), emulator.oauth_app()]
    portal = apps[0]["portal_url"]
    projects = [new_project(name, configure=False) for name in ("first", "second")]
    code = emulator.oauth_code(apps[0]["client_id"])
    first = token_command(projects[0], apps[0], "code", "--store", str(store), "--portal", portal,
                          "--oauth-server", portal, stdin=code + "\n")  # fmt: skip
    (tmp_path / "install.txt").write_text(install_data(apps[1]))
    second = token_command(projects[1], apps[1], "--store", str(store), "install", str(tmp_path / "install.txt"))
    assert (first.returncode, first.stderr, second.returncode, second.stderr) == (0, "", 0, "")
    assert f"pulumi config set bitrix24:oauthServerUrl {portal}" in second.stdout  # taken from the install data
    assert (
        f"keeps the tokens of the other apps of {portal} as they were: {app_key(apps[0]['client_id'])}."
        in second.stdout
    )
    for project, app, command in zip(projects, apps, (first, second), strict=True):
        configure_as_printed(project, app, command.stdout)
        project.program(bot_program(f"bot-{project.root.name}"))
        assert project.up().changes() == {"create": 2}

    emulator.expire_tokens()  # each stack must now refresh its own app's tokens
    emulator.clear_journal()
    for project in projects:
        project.program(bot_program(f"bot-{project.root.name}").replace("name=", "last_name='Renamed', name="))
        assert project.up().changes() == {"update": 1, "same": 1}
    assert emulator.token_grants() == [("refresh_token", None)] * 2
    assert set().union(*(stack_ids(p, "bot_id") for p in projects)) == portal_objects(emulator, "bot")
    assert len(portal_objects(emulator, "bot")) == 2
    texts = [first.stdout, second.stdout] + [p.export() for p in projects]
    emulator.assert_no_secrets(texts, *(a[k] for a in apps for k in ("client_id", "client_secret", "access_token")))


def test_a_store_restored_from_an_older_copy_fails_saying_so(
    new_project: ProjectFactory, emulator: EmulatorControl, tmp_path: Path
) -> None:
    app, store = emulator.oauth_app(), tmp_path / "tokens.json"
    TokenStore(store).save(app["portal_url"], app["client_id"], Tokens(app["access_token"], app["refresh_token"]))
    cached = store.read_bytes()  # what a CI cache saved before the run
    project = new_project(configure=False)
    oauth_stack(project, app, store)
    project.program(bot_program("cached"))
    emulator.expire_tokens()
    assert project.up().changes() == {"create": 2}  # refreshed: the cached refresh token is spent now
    store.write_bytes(cached)  # the next job restores the cache
    emulator.expire_tokens()
    project.program(bot_program("cached").replace("name=", "last_name='Again', name="))
    run = project.up(check=False)
    assert run.code != 0
    # The emulator forgets a refreshed pair's access token at once: the copy's token is refused, not refreshed
    # (a spent refresh token itself fails with invalid_grant and says so; tests/unit/test_tokens.py).
    assert "failed with NO_AUTH_FOUND" in run.output and "If another copy of the token store" in run.output
    assert "store new tokens with pulumi-bitrix24-tokens" in run.output
    emulator.assert_no_secrets([run.output], app["client_id"], app["client_secret"], app["refresh_token"])
