"""The provider plugin from a Pulumi YAML program (examples/yaml-quickstart, as the README shows it), through the
real CLI and the YAML language host, against the emulator."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pulumi_bitrix24._schema import schema

from .harness import VENV, EmulatorControl, first_error, json_documents, offline_env, portal_ids
from .plugin_harness import (
    COMMAND_FLAGS,
    HASH,
    WIDGETS_EXAMPLE,
    YamlFactory,
    assert_state_matches_portal,
    by_type,
    example,
    yaml_program,
)


def test_yaml_quickstart_preview_up_refresh_destroy(yaml_project: YamlFactory, emulator: EmulatorControl) -> None:
    project = yaml_project(example(), emulator)
    assert project.preview().changes() == {"create": 5}
    assert emulator.writes("") == []  # the provider computes the preview without a single changing request

    assert project.up().changes() == {"create": 5}
    assert_state_matches_portal(project, emulator)
    outputs = project.outputs()
    assert outputs["botId"] == emulator.state()["bots"][0]["ID"]
    assert outputs["helperName"] == "Helper"  # getBot, invoked once the bot has an id
    [command] = emulator.state()["commands"]  # getBotCommands: the command as the portal holds it, texts in English
    english = next(e for e in command["LANG"] if e["LANGUAGE_ID"] == "en")
    flags = {name: command[key] == "Y" for name, key in COMMAND_FLAGS.items()}
    expected = {"commandId": command["ID"], "command": command["COMMAND"], "title": english["TITLE"]}
    assert outputs["helperCommands"] == [{**expected, "params": english["PARAMS"], **flags}]
    exported = project.export()
    assert HASH not in exported and emulator.info.client_id not in exported  # secrets stay encrypted
    [frame] = [a for a in emulator.state()["apps"] if a["CODE"] == "helper_frame"]
    assert frame["IFRAME_WIDTH"] == 350 and frame["CONTEXT"] == "bot"
    [button] = [a for a in emulator.state()["apps"] if a["CODE"] == "help_button"]
    assert button["ICON_FILE"]  # iconPath is read relative to the project, as in a Python program

    emulator.clear_journal()
    assert project.up().changes() == {"same": 5}
    assert emulator.writes("") == []

    bot_id = outputs["botId"]
    emulator.call("imbot.update", BOT_ID=bot_id, FIELDS={"PROPERTIES": {"NAME": "Renamed by hand"}})
    assert project.cli("refresh", "--yes", "--json").changes() == {"update": 1, "same": 4}
    [bot] = by_type(project, "Bot")
    assert bot["properties"]["name"] == "Renamed by hand"
    assert_state_matches_portal(project, emulator)

    assert project.destroy().changes() == {"delete": 5}
    assert portal_ids(emulator) == {"bots": [], "apps": [], "commands": []}


@pytest.mark.parametrize(
    ("edit", "field", "rule"),
    [
        (("iframeWidth: 350", "iframeWidth: 100"), "iframeWidth", "must be at least 250 px"),
        (("eventHandler: ${handlerUrl}", "eventHandler: http://example.com/events"), "eventHandler", "https://"),
    ],
    ids=["narrow-frame", "http-url"],
)
def test_bad_yaml_input_fails_at_preview_naming_the_property(
    yaml_project: YamlFactory, emulator: EmulatorControl, edit: tuple[str, str], field: str, rule: str
) -> None:
    project = yaml_project(example(edit), emulator)
    run = project.preview(check=False)
    assert run.code != 0
    error = first_error(run)
    assert f"property {field} value" in error and rule in error, error
    assert emulator.writes("") == []  # the bot's check may have looked its code up; nothing was changed


def test_a_value_of_the_wrong_type_is_refused_by_the_engine_naming_the_property_and_its_line(
    yaml_project: YamlFactory, emulator: EmulatorControl
) -> None:
    """The schema types every property: Pulumi YAML refuses a string for a whole number before the plugin runs."""
    project = yaml_project(example(("iframeWidth: 350", 'iframeWidth: "wide"')), emulator)
    run = project.preview(check=False)
    assert run.code != 0
    assert "iframeWidth: Cannot assign type 'string' to type 'integer'" in run.output, run.output
    assert "on Pulumi.yaml line" in run.output
    assert emulator.writes("") == []


TWO_PORTALS = yaml_program(
    "two-portals",
    """config:
  globexWebhook:
    type: string
    secret: true
  globexClientId:
    type: string
    secret: true
resources:
  globex:
    type: pulumi:providers:bitrix24
    properties:
      webhookUrl: ${globexWebhook}
      clientId: ${globexClientId}
  acmeBot:
    type: bitrix24:index:Bot
    properties:
      code: helper
      eventHandler: https://example.com/acme
      properties:
        name: Acme helper
  globexBot:
    type: bitrix24:index:Bot
    properties:
      code: helper
      eventHandler: https://example.com/globex
      properties:
        name: Globex helper
    options:
      provider: ${globex}
""",
)


def test_an_explicit_provider_manages_a_second_portal_and_rotates_in_place(
    yaml_project: YamlFactory, two_portals: dict[str, EmulatorControl]
) -> None:
    acme, globex = two_portals["acme"], two_portals["globex"]
    project = yaml_project(TWO_PORTALS, acme)
    project.config("globexWebhook", globex.info.webhook_url, secret=True)
    project.config("globexClientId", globex.info.client_id, secret=True)
    project.up()
    names = {p: [b["PROPERTIES"]["NAME"] for b in c.state()["bots"]] for p, c in two_portals.items()}
    assert names == {"acme": ["Acme helper"], "globex": ["Globex helper"]}  # one code, one bot per portal
    assert globex.info.client_id not in project.export()

    project.config("globexWebhook", globex.webhook(["imbot"]), secret=True)  # a new webhook code, same portal
    assert project.preview().changes() == {"update": 1, "same": 3}  # the provider; no bot is replaced
    project.up()
    globex.clear_journal()
    project.destroy()
    assert globex.writes() == ["imbot.unregister"]  # through the rotated webhook
    assert [c.state()["bots"] for c in two_portals.values()] == [[], []]


LOOKUP_WITHOUT_PROVIDER = yaml_program(
    "lookup",
    """config:
  globexWebhook:
    type: string
    secret: true
resources:
  globex:
    type: pulumi:providers:bitrix24
    properties:
      webhookUrl: ${globexWebhook}
      clientId: some-app
variables:
  found:
    fn::invoke:
      function: bitrix24:index:getBot
      arguments:
        code: helper
""",
)


def test_an_explicit_providers_bad_setting_is_refused_at_the_provider_naming_its_input(
    yaml_project: YamlFactory, emulator: EmulatorControl
) -> None:
    settings = "      clientId: some-app\n      plan: premium\n      timeoutSeconds: 0\n"
    program = LOOKUP_WITHOUT_PROVIDER.replace("      clientId: some-app\n", settings).split("variables:")[0]
    project = yaml_project(program, emulator, webhook=False)
    project.config("globexWebhook", emulator.info.webhook_url, secret=True)
    run = project.preview(check=False)
    assert run.code != 0
    assert "property plan value {premium} has a problem: must be one of standard, enterprise, unlimited" in run.output
    assert "property timeoutSeconds value {0} has a problem: must be a number greater than 0" in run.output
    assert "bitrix24:plan" not in run.output
    assert emulator.requests() == 0


def test_a_lookup_that_forgot_its_explicit_provider_says_how_to_pass_it(
    yaml_project: YamlFactory, emulator: EmulatorControl
) -> None:
    project = yaml_project(LOOKUP_WITHOUT_PROVIDER, emulator, webhook=False)
    project.config("globexWebhook", emulator.info.webhook_url, secret=True)
    run = project.preview(check=False)
    assert run.code != 0
    assert "no Bitrix24 portal configured" in run.output, run.output
    assert "to ask an explicit provider, pass it: `options: provider: ${name}` in YAML" in run.output
    assert "Traceback" not in run.output


EMPTY = yaml_program("imports")


def test_a_widget_bound_by_hand_is_imported_and_its_generated_code_changes_nothing(
    yaml_project: YamlFactory, emulator: EmulatorControl
) -> None:
    app = emulator.oauth_app()
    project = yaml_project(EMPTY, emulator, webhook=False)
    project.config("bitrix24:portalUrl", app["portal_url"])
    project.config("bitrix24:accessToken", app["access_token"], secret=True)
    bound = emulator.call(
        "placement.bind",
        access_token=app["access_token"],
        PLACEMENT="IM_TEXTAREA",
        HANDLER="https://example.com/by-hand",
        TITLE="By hand",
        OPTIONS={"iconName": "fa-cog", "width": 50},
    )
    assert bound["result"] is True

    project.cli("import", "bitrix24:index:Widget", "byHand", "IM_TEXTAREA https://example.com/by-hand", "--yes",
                "--out", "imported.yaml")  # fmt: skip
    generated = (project.root / "imported.yaml").read_text()
    assert "iconName: fa-cog" in generated and "width: 50" in generated and "title: By hand" in generated
    (project.root / "Pulumi.yaml").write_text((project.root / "Pulumi.yaml").read_text() + generated)
    emulator.clear_journal()
    project.cli("preview", "--expect-no-changes")
    assert emulator.writes("") == []


def test_a_bot_and_its_command_made_by_hand_are_imported_their_handlers_given_in_the_import_file(
    yaml_project: YamlFactory, emulator: EmulatorControl
) -> None:
    """The REST API reads a bot and a command back, but not their handler URLs: the import file gives them (its
    `inputs`), and since nothing can tell that the portal holds those, the first `up` sends them once."""
    project = yaml_project(EMPTY, emulator)
    unread = {"EMAIL": "help@example.com", "PERSONAL_WWW": "https://example.com", "PERSONAL_BIRTHDAY": "2020-01-31"}
    profile = {"NAME": "By hand", "COLOR": "AQUA", "WORK_POSITION": "Helper", **unread}
    bot_id = emulator.call("imbot.register", CODE="byhand", EVENT_HANDLER="https://example.com/bot", PROPERTIES=profile)
    command_id = emulator.make_command(bot_id["result"], "help")
    bot_id = bot_id["result"]
    alone = project.cli("import", "bitrix24:index:Bot", "alone", str(bot_id), "--preview-only")  # no import file
    assert (
        "property eventMessageAdd value {<nil>} has a problem: is required unless event_handler is set. The "
        "portal never reads it back: to import, give it in the `inputs` of an import file" in alone.output
    )
    imports = [
        ("Bot", "byHand", str(bot_id), {"eventHandler": "https://example.com/bot"}),
        ("BotCommand", "help", f"{bot_id}/{command_id}", {"eventCommandAdd": "https://example.com/by-hand"}),
    ]
    spec = [{"type": f"bitrix24:index:{t}", "name": n, "id": i, "inputs": given} for t, n, i, given in imports]
    (project.root / "imports.json").write_text(json.dumps({"resources": spec}))
    project.cli("import", "--file", "imports.json", "--yes", "--out", "imported.yaml")
    generated = (project.root / "imported.yaml").read_text()
    for line in ["code: byhand", "color: AQUA", "workPosition: Helper", "eventHandler: https://example.com/bot",
                 "command: help", "title: By hand", "eventCommandAdd: https://example.com/by-hand"]:  # fmt: skip
        assert line in generated, generated
    assert {r["id"] for r in project.resources() if r["type"].startswith("bitrix24:index:")} == {
        str(bot_id),
        str(command_id),
    }
    (project.root / "Pulumi.yaml").write_text((project.root / "Pulumi.yaml").read_text() + generated)
    emulator.clear_journal()
    preview = project.preview()
    assert emulator.writes("") == []
    assert preview.changes() == {"update": 2, "same": 1}, preview.output  # the handlers: unread, so sent once
    assert project.up().changes() == {"update": 2, "same": 1}
    assert sorted(emulator.writes()) == ["imbot.command.update", "imbot.update"]
    [bot] = emulator.state()["bots"]
    assert (bot["ID"], bot["PROPERTIES"]["NAME"], bot["PROPERTIES"]["COLOR"]) == (bot_id, "By hand", "AQUA")
    assert {k: bot["PROPERTIES"][k] for k in unread} == unread  # never read back, never declared: left as they were
    project.cli("preview", "--expect-no-changes")
    assert_state_matches_portal(project, emulator)


@pytest.mark.parametrize(
    ("kind", "import_id", "refusal"),
    [
        ("Bot", "{other}", "bot {other} (code 'theirs') belongs to another application"),
        ("Bot", "999", "the portal has no bot with id 999"),
        ("BotCommand", "{other}/1", "bot {other} belongs to another application"),
        ("BotCommand", "{ours}/999", "bot {ours} has no command with id 999 on the portal"),
        ("ChatApp", "1", "no method that reads one. Declare it instead, with its bot and code as on the portal"),
    ],
)
def test_an_import_the_portal_cannot_serve_is_refused_naming_why(
    yaml_project: YamlFactory, emulator: EmulatorControl, kind: str, import_id: str, refusal: str
) -> None:
    project = yaml_project(EMPTY, emulator)
    ids = {"ours": emulator.make_bot("ours")}
    theirs = emulator.call("imbot.register", CLIENT_ID="another-app", CODE="theirs", EVENT_HANDLER="https://e.com/b",
                           PROPERTIES={"NAME": "Theirs"})  # fmt: skip
    ids["other"] = theirs["result"]
    refused = project.cli("import", f"bitrix24:index:{kind}", "it", import_id.format(**ids), "--yes", check=False)
    assert refused.code != 0
    assert refusal.format(**ids) in refused.output, refused.output
    assert "Traceback" not in refused.output
    assert [r for r in project.resources() if r["type"].startswith("bitrix24:")] == []


def test_yaml_widgets_example_lists_the_bound_widget_as_the_portal_holds_it(
    yaml_project: YamlFactory, emulator: EmulatorControl
) -> None:
    app = emulator.oauth_app()
    project = yaml_project(example(folder=WIDGETS_EXAMPLE), emulator, webhook=False, folder=WIDGETS_EXAMPLE)
    project.config("bitrix24:portalUrl", app["portal_url"])
    project.config("bitrix24:accessToken", app["access_token"], secret=True)
    elsewhere = {"PLACEMENT": "IM_SIDEBAR", "HANDLER": "https://example.com/elsewhere", "TITLE": "Elsewhere"}
    emulator.call("placement.bind", access_token=app["access_token"], **elsewhere, OPTIONS={"iconName": "fa-cog"})
    project.up()
    [bound] = [w for w in emulator.state()["placements"] if w["PLACEMENT"] == "IM_TEXTAREA"]
    stored = {k: v for k, v in bound["OPTIONS"].items() if v != ""}  # no colour is stored as ""
    options = {**stored, "extranet": stored["extranet"] == "Y", "context": stored["context"].split(";")}
    title = bound["LANG_ALL"]["en"]["TITLE"]
    expected = {"placement": "IM_TEXTAREA", "handler": bound["HANDLER"], "title": title, "description": ""}
    assert project.outputs()["textareaWidgets"] == [{**expected, "options": options}]  # IM_SIDEBAR's is left out
    assert options["width"] == 60 and options["iconName"] == "fa-sticky-note"


LOOKUPS = yaml_program(
    "lookups",
    """config:
  botId:
    type: integer
variables:
  commands:
    fn::invoke:
      function: bitrix24:index:getBotCommands
      arguments:
        botId: ${botId}
outputs:
  commands: ${commands.commands}
""",
)


def test_get_bot_commands_refuses_a_bot_of_another_application(
    yaml_project: YamlFactory, emulator: EmulatorControl
) -> None:
    foreign = emulator.call(
        "imbot.register", CLIENT_ID="another-app", CODE="theirs", EVENT_HANDLER="https://example.com/h",
        PROPERTIES={"NAME": "Theirs"},
    )["result"]  # fmt: skip
    project = yaml_project(LOOKUPS, emulator)
    project.config("botId", str(foreign))
    run = project.preview(check=False)
    assert run.code != 0
    assert f"bot {foreign} belongs to another application" in run.output, run.output
    assert "BOT_OWNERSHIP_ERROR" in run.output and "Use the same bitrix24:clientId" in run.output


def test_the_core_messages_reach_the_user(yaml_project: YamlFactory, emulator: EmulatorControl) -> None:
    adopting = (
        EMPTY
        + """resources:
  handmade:
    type: bitrix24:index:Bot
    properties:
      code: handmade
      adopt: true
      eventHandler: https://example.com/events
      properties:
        name: Handmade
"""
    )
    bot_id = emulator.make_bot("handmade")
    run = yaml_project(adopting, emulator).up()
    shown = [
        (event["severity"], event["message"])
        for doc in json_documents(run.stdout)
        if (event := doc.get("diagnosticEvent")) and "adopted" in event["message"]
    ]
    # As in the dynamic front end: an info message, not the plugin's stderr (which the engine keeps as debug).
    assert shown == [("info", f"adopted the existing bot code 'handmade' (id {bot_id}), as adopt=True asks\n")]


def test_pulumi_package_get_schema_prints_the_generated_schema(
    pulumi_bin: Path, pulumi_home: Path, tmp_path: Path
) -> None:
    env = offline_env(pulumi_bin, pulumi_home, tmp_path)
    plugin = VENV / "bin" / "pulumi-resource-bitrix24"
    run = subprocess.run(["pulumi", "package", "get-schema", str(plugin)], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == schema()
