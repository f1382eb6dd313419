"""The plugin front end: its schema follows the models, and its handlers only translate to and from the core."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import pytest
from pulumi.dynamic import CheckFailure as CoreFailure
from pulumi.dynamic import CreateResult
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import (
    CheckRequest,
    ConfigureRequest,
    CreateRequest,
    DiffRequest,
    InvokeRequest,
    PropertyDiffKind,
    UpdateRequest,
)
from pulumi.runtime.proto.provider_pb2 import DiffResponse as DiffResponseProto
from pydantic import BaseModel

from pulumi_bitrix24._errors import ImportRefusedError, OwnershipError
from pulumi_bitrix24._plugin import Bitrix24Provider, failure, plain, wrapped
from pulumi_bitrix24._schema import (
    DERIVED,
    FRONT_END_ONLY,
    GET_BOT,
    GET_BOT_COMMANDS,
    GET_WIDGETS,
    KINDS,
    TRANSIENT,
    Builder,
    SchemaError,
    argument_docs,
    camel,
    schema,
)
from pulumi_bitrix24.chat_app import ChatAppArgs, ChatAppModel

APP = "urn:pulumi:dev::p::bitrix24:index:ChatApp::app"
BOT = "urn:pulumi:dev::p::bitrix24:index:Bot::bot"
HASH = "0123456789abcdef0123456789abcdef"


def values(**kwargs: Any) -> dict[str, PropertyValue]:
    return {k: wrapped(v) for k, v in kwargs.items()}


def iframe_app(**overrides: Any) -> dict[str, PropertyValue]:
    app = values(
        botId=5,
        code="frame",
        iframe="https://example.com/frame",
        hash=HASH,
        translations=[{"language_id": "en", "title": "Frame"}],
    )
    return {**app, **values(**overrides)}


@pytest.fixture
def plugin() -> Bitrix24Provider:
    provider = Bitrix24Provider()
    args = values(webhookUrl="https://portal.example/rest/1/code/", clientId="stack-a", maxRetries=4)
    asyncio.run(provider.configure(ConfigureRequest({}, args, True, False)))
    return provider


# --- schema ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_every_model_field_is_a_schema_property_with_its_help_text(kind: Any) -> None:
    resource = schema()["resources"][kind.token]
    declared = set(kind.provider.model.model_fields) - FRONT_END_ONLY - TRANSIENT - DERIVED.keys()
    assert set(resource["inputProperties"]) == {camel(name) for name in declared}
    docs = argument_docs(kind.args)
    for name in declared:
        assert resource["inputProperties"][camel(name)]["description"] == docs[name]
    assert set(resource["inputProperties"]) <= set(resource["properties"])


def test_a_model_field_without_a_documented_argument_fails_the_schema() -> None:
    class Grown(ChatAppModel):
        colour: str | None = None

    with pytest.raises(SchemaError, match=r"ChatApp.colour is not documented in ChatAppArgs's Args"):
        Builder().object_of(Grown, ChatAppArgs, "ChatApp", {"translations": KINDS[2].entries["translations"]})


def test_a_model_field_of_a_type_with_no_schema_type_fails_the_schema() -> None:
    class Odd(BaseModel):
        code: complex

    with pytest.raises(SchemaError, match="no schema type"):
        Builder().object_of(Odd, ChatAppArgs, "ChatApp", {})


def test_the_schema_marks_secrets_and_closed_sets() -> None:
    generated = schema()
    app = generated["resources"]["bitrix24:index:ChatApp"]
    assert app["inputProperties"]["hash"]["secret"] and app["properties"]["hash"]["secret"]
    assert app["properties"]["appId"]["type"] == "integer"
    assert "iconSha256" in app["properties"] and "iconSha256" not in app["inputProperties"]
    assert "iconBase64" not in app["properties"]  # a file is kept as its digest, never its content
    assert generated["config"]["variables"]["webhookUrl"]["secret"]
    assert "secret" not in generated["config"]["variables"]["plan"]
    methods = generated["types"]["bitrix24:index:ChatAppJsMethod"]["enum"]
    assert [m["value"] for m in methods] == ["PUT", "SEND", "CALL", "SUPPORT"]
    bot = generated["resources"]["bitrix24:index:Bot"]
    assert bot["inputProperties"]["properties"] == {
        "$ref": "#/types/bitrix24:index:BotProperties",
        "description": argument_docs(KINDS[0].args)["properties"],
    }


def test_argument_docs_read_continuations_and_shared_entries() -> None:
    from pulumi_bitrix24.widget import WidgetArgs

    docs = argument_docs(WidgetArgs)
    assert docs["width"] == docs["height"] and docs["width"].startswith("IM_TEXTAREA: the size")
    assert docs["handler"].endswith("Changing it replaces it.")


# --- values ----------------------------------------------------------------------------------------
def test_values_cross_over_with_camel_case_keys_unknowns_and_whole_numbers() -> None:
    value = wrapped({"bot_id": 5, "translations": [{"language_id": "en"}], "iframe": pulumi_unknown()})
    assert value.value["botId"] == PropertyValue(5.0)  # type: ignore[index]
    assert computed(value.value["iframe"])  # type: ignore[index]
    assert plain(value) == {"bot_id": 5.0, "translations": [{"language_id": "en"}], "iframe": pulumi_unknown()}


def computed(value: PropertyValue) -> bool:
    """Whether a value is unknown, as the engine reads it: the UNKNOWN string (the SDK cannot send Computed)."""
    return value.value == pulumi_unknown()


def pulumi_unknown() -> str:
    from pulumi.runtime.rpc import UNKNOWN

    return UNKNOWN


# --- handlers --------------------------------------------------------------------------------------
def test_check_names_the_camel_case_property_with_the_core_rule(plugin: Bitrix24Provider) -> None:
    response = asyncio.run(plugin.check(CheckRequest(APP, {}, iframe_app(iframeWidth=100), b"")))
    found = {f.property: f.reason for f in response.failures}
    assert found == {"iframeWidth": "must be at least 250 px; the portal would silently raise it, got 100"}


def test_check_names_a_nested_path_in_camel_case(plugin: Bitrix24Provider) -> None:
    bad = iframe_app(translations=[{"language_id": "EN", "title": "Frame"}])
    response = asyncio.run(plugin.check(CheckRequest(APP, {}, bad, b"")))
    assert [f.reason for f in response.failures] == [
        "translations[0].languageId: must be a two-letter lowercase code such as en"
    ]


def test_check_fills_defaults_keeps_unknowns_and_the_hash_secret(plugin: Bitrix24Provider) -> None:
    inputs = {**iframe_app(), "botId": PropertyValue(pulumi_unknown())}
    response = asyncio.run(plugin.check(CheckRequest(APP, {}, inputs, b"")))
    assert response.failures == []
    assert response.inputs is not None
    assert response.inputs["iframeWidth"] == PropertyValue(320.0)
    assert computed(response.inputs["botId"])
    assert response.inputs["hash"].is_secret


def test_a_configuration_problem_fails_check_naming_the_key() -> None:
    provider = Bitrix24Provider()
    asyncio.run(provider.configure(ConfigureRequest({}, values(webhookUrl="https://p.example/rest/1/c/"), True, False)))
    response = asyncio.run(provider.check(CheckRequest(APP, {}, iframe_app(), b"")))
    assert [f.reason for f in response.failures] == [
        "bitrix24 configuration: bitrix24:clientId (or BITRIX24_CLIENT_ID) is required with a webhook URL"
    ]


def test_preview_create_and_update_send_nothing_and_keep_known_ids(
    plugin: Bitrix24Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    core = plugin.cores["bitrix24:index:ChatApp"]
    monkeypatch.setattr(core, "client", lambda props: pytest.fail("a preview reached the portal"))
    created = asyncio.run(plugin.create(CreateRequest(APP, iframe_app(), 0, preview=True)))
    assert created.resource_id == "" and computed(created.properties["appId"])
    olds = {**iframe_app(), **values(appId=7)}
    updated = asyncio.run(plugin.update(UpdateRequest(APP, "7", olds, iframe_app(code="x"), 0, [], preview=True)))
    assert updated.properties["appId"] == PropertyValue(7.0)
    assert updated.properties["hash"].is_secret


def test_diff_reports_each_changed_property_and_the_replacements(plugin: Bitrix24Provider) -> None:
    olds = {**iframe_app(), **values(appId=7, iframeWidth=320, iframeHeight=250)}
    news = {**olds, **values(iframeWidth=400, code="other")}
    response = asyncio.run(plugin.diff(DiffRequest(APP, "7", olds, news, [])))
    assert response.changes and response.replaces == ["code"] and response.delete_before_replace is False
    assert {k: v.kind for k, v in response.detailed_diff.items()} == {
        "code": PropertyDiffKind.UPDATE_REPLACE,
        "iframeWidth": PropertyDiffKind.UPDATE,
    }
    same = asyncio.run(plugin.diff(DiffRequest(APP, "7", olds, olds, [])))
    assert same.changes is False and same.detailed_diff == {}


def test_blocking_creates_run_side_by_side(plugin: Bitrix24Provider, monkeypatch: pytest.MonkeyPatch) -> None:
    """The core blocks on REST calls: 16 creates of 0.2 s each take about 0.2 s, not 3.2 s."""
    core = plugin.cores["bitrix24:index:Bot"]

    def slow_create(props: dict[str, Any]) -> CreateResult:
        time.sleep(0.2)
        return CreateResult("1", props)

    monkeypatch.setattr(core, "create", slow_create)

    async def sixteen() -> None:
        await asyncio.gather(*(plugin.create(CreateRequest(BOT, values(code=f"b{i}"), 0, False)) for i in range(16)))

    started = time.monotonic()
    asyncio.run(sixteen())
    assert time.monotonic() - started < 1.0


# --- docs ------------------------------------------------------------------------------------------
def test_the_readme_shows_the_tested_yaml_example_verbatim() -> None:
    """Every YAML block of the plugin's README section is a piece of examples/yaml-quickstart/Pulumi.yaml or
    examples/yaml-widgets/Pulumi.yaml, which the e2e tests run, so they cannot drift apart."""
    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text()
    section = readme.split("## Using the provider plugin (YAML and other languages)\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.DOTALL)
    examples = [(root / "examples" / name / "Pulumi.yaml").read_text() for name in ("yaml-quickstart", "yaml-widgets")]
    assert len(blocks) >= 2
    for block in blocks:
        assert any(block in example for example in examples), block
    assert all(any(block in example for block in blocks) for example in examples)  # each example is shown


@pytest.mark.parametrize(
    ("new", "replaced"),
    [
        ({"webhookUrl": "https://acme.example/rest/1/rotated/"}, []),
        ({"webhookUrl": "https://globex.example/rest/1/code/"}, ["webhookUrl"]),
        ({"clientId": "stack-b"}, ["clientId"]),
        ({"maxRetries": 2}, []),
    ],
    ids=["rotated-webhook", "other-portal", "other-owner", "other-retries"],
)
def test_a_provider_is_replaced_only_for_another_portal_or_owner(new: dict[str, Any], replaced: list[str]) -> None:
    olds = values(webhookUrl="https://acme.example/rest/1/code/", clientId="stack-a")
    response = asyncio.run(Bitrix24Provider().diff_config(DiffRequest("urn", "", olds, {**olds, **values(**new)}, [])))
    assert response.changes == DiffResponseProto.DIFF_SOME and response.replaces == replaced
    same = asyncio.run(Bitrix24Provider().diff_config(DiffRequest("urn", "", olds, olds, [])))
    assert same.changes == DiffResponseProto.DIFF_NONE


@pytest.mark.parametrize("args", [{}, {"code": "echo", "botId": 5}], ids=["neither", "both"])
def test_get_bot_takes_code_or_bot_id(plugin: Bitrix24Provider, args: dict[str, Any]) -> None:
    response = asyncio.run(plugin.invoke(InvokeRequest(GET_BOT, values(**args))))
    assert [(f.property, f.reason) for f in response.failures] == [("code", "give either code or botId")]


def test_get_bot_answers_in_schema_names_or_says_what_is_missing(
    plugin: Bitrix24Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    bots = plugin.cores["bitrix24:index:Bot"]
    found = {"bot_id": 5, "code": "echo", "type": "B", "openline": False, "properties": {"last_name": "X"}}
    monkeypatch.setattr(bots, "lookup", lambda props, code, bot_id: {**found, "ours": True} if bot_id == 5 else None)
    response = asyncio.run(plugin.invoke(InvokeRequest(GET_BOT, values(botId=5))))
    assert plain(PropertyValue(response.return_value)) == {**found, "ours": True}
    assert response.return_value["properties"].value["lastName"] == PropertyValue("X")  # type: ignore[index]
    missing = asyncio.run(plugin.invoke(InvokeRequest(GET_BOT, values(botId=6))))
    assert [(f.property, f.reason) for f in missing.failures] == [("botId", "the portal has no bot with botId 6")]


def reasons_of(plugin: Bitrix24Provider, token: str, **args: Any) -> list[tuple[str, str]]:
    response = asyncio.run(plugin.invoke(InvokeRequest(token, values(**args))))
    return [(f.property, f.reason) for f in response.failures]


def test_get_bot_commands_names_botid_in_every_refusal(
    plugin: Bitrix24Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert reasons_of(plugin, GET_BOT_COMMANDS) == [
        ("botId", "must be a bot id, a whole number of at least 1; got None")
    ]
    commands = plugin.cores["bitrix24:index:BotCommand"]

    def lookup(props: dict[str, Any], bot_id: int) -> list[dict[str, Any]] | None:
        if bot_id == 7:
            raise OwnershipError("imbot.v2.Command.list", "BOT_OWNERSHIP_ERROR")
        return [{"command_id": 3, "command": "help", "extranet_support": True}] if bot_id == 5 else None

    monkeypatch.setattr(commands, "lookup", lookup)
    [(field, reason)] = reasons_of(plugin, GET_BOT_COMMANDS, botId=7)
    assert field == "botId" and reason.startswith("bot 7 belongs to another application: Bitrix24 imbot.v2.Command")
    assert reasons_of(plugin, GET_BOT_COMMANDS, botId=6) == [("botId", "the portal has no bot with botId 6")]
    response = asyncio.run(plugin.invoke(InvokeRequest(GET_BOT_COMMANDS, values(botId=5))))
    [command] = response.return_value["commands"].value  # type: ignore[union-attr]
    assert command.value["extranetSupport"] == PropertyValue(True)  # type: ignore[index]


def test_get_widgets_names_the_placement_or_the_configuration(plugin: Bitrix24Provider) -> None:
    [(field, reason)] = reasons_of(plugin, GET_WIDGETS, placement="IM_SMILES_SELECTOR")
    assert field == "placement" and reason.startswith("IM_SMILES_SELECTOR is archived since im 25.1600.0")
    [(field, reason)] = reasons_of(plugin, GET_WIDGETS)  # the fixture's provider has a webhook
    assert field == "" and "widgets need an OAuth application" in reason
    with pytest.raises(ValueError, match="unknown function bitrix24:index:getChats; this provider has"):
        asyncio.run(plugin.invoke(InvokeRequest("bitrix24:index:getChats", {})))


@pytest.mark.parametrize(
    ("kind", "import_id", "why"),
    [
        ("Widget", "IM_TEXTAREA", "the id to import is the placement and the handler URL"),
        ("Bot", "support", "the id to import is a bot id, a whole number such as 27; got 'support'"),
        ("Bot", "0", "the id to import is a bot id"),
        ("BotCommand", "5", "the id to import is the bot id and the command id, e.g. 27/5; got '5'"),
        ("BotCommand", "27/help", "the id to import is the bot id and the command id"),
        ("ChatApp", "5", "a chat app cannot be imported: the REST API has no method that reads one"),
    ],
)
def test_an_import_id_of_the_wrong_form_is_refused_before_any_request(
    plugin: Bitrix24Provider, kind: str, import_id: str, why: str
) -> None:
    with pytest.raises(ImportRefusedError, match=re.escape(why)):
        plugin.core(f"bitrix24:index:{kind}").imported(import_id)


def test_a_mistyped_config_key_is_named_with_the_key_it_probably_means() -> None:
    provider = Bitrix24Provider()
    args = values(webhookURL="https://p.example/rest/1/c/", clientId="stack-a")
    asyncio.run(provider.configure(ConfigureRequest({}, args, True, False)))
    response = asyncio.run(provider.check(CheckRequest(APP, {}, iframe_app(), b"")))
    assert "unknown config key bitrix24:webhookURL; did you mean bitrix24:webhookUrl?" in response.failures[0].reason


def test_only_a_leading_path_of_a_reason_is_renamed() -> None:
    renamed = failure(CoreFailure("", "properties.photo_path: must be PNG or JPEG, got GIF"))
    assert (renamed.property, renamed.reason) == ("", "properties.photoPath: must be PNG or JPEG, got GIF")
    kept = failure(CoreFailure("", "Bitrix24 answered error_code: stays as it is"))
    assert kept.reason == "Bitrix24 answered error_code: stays as it is"


def test_generated_sdks_carry_the_package_version_and_no_download_server() -> None:
    generated = schema()
    languages = generated["language"]
    assert languages["nodejs"] == {"respectSchemaVersion": True}
    assert languages["go"]["respectSchemaVersion"] and languages["go"]["importBasePath"].endswith("/sdk/go/bitrix24")
    assert "pluginDownloadURL" not in generated  # the plugin is installed with the Python package, never downloaded
