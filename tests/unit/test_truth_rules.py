"""Truth rules in isolation: the run ledger, duplicate identities in a program, takeover checks, read-back."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from pulumi_bitrix24 import _program
from pulumi_bitrix24._config import Settings, SettingsError
from pulumi_bitrix24._errors import ExistsError, OwnershipError
from pulumi_bitrix24._ledger import Ledger
from pulumi_bitrix24._resource import Existing
from pulumi_bitrix24.bot import BotProvider
from pulumi_bitrix24.bot_command import BotCommandProvider
from pulumi_bitrix24.widget import WidgetProvider

from .conftest import Portal
from .test_emulator_placements import App

BOT_INPUTS: dict[str, Any] = {
    "code": "echo",
    "event_handler": "https://example.com/events",
    "properties": {"name": "Echo", "color": "AQUA"},
}


# --- ledger --------------------------------------------------------------------------------------
def test_an_identity_is_claimed_once_per_portal_and_kind() -> None:
    ledger = Ledger()
    assert ledger.claim("p1", "bot", ("echo",))
    assert not ledger.claim("p1", "bot", ("echo",))
    assert ledger.claim("p2", "bot", ("echo",)) and ledger.claim("p1", "bot command", ("echo",))


def test_ledger_remembers_owned_absent_and_taken_separately() -> None:
    ledger = Ledger()
    ledger.own("p", "bot", ("a",), "inputs-of-a")
    ledger.found_absent("p", "bot", ("b",))
    ledger.record("p", "chat app", 7)
    assert ledger.owner("p", "bot", ("a",)) == "inputs-of-a" and ledger.owner("p", "bot", ("b",)) is None
    ledger.release("p", "bot", ("a",))
    assert ledger.owner("p", "bot", ("a",)) is None  # deleted in this run: a create may take the identity
    assert ledger.absent("p", "bot", ("b",)) and not ledger.absent("p", "bot", ("a",))
    assert ledger.recorded("p", "chat app", 7)
    assert not ledger.recorded("p", "bot", 7) and not ledger.recorded("q", "chat app", 7)


# --- program-side identities ---------------------------------------------------------------------
@pytest.fixture
def fresh_program(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Empty program-side registries, and an event loop for Outputs (an earlier asyncio.run may have left none)."""
    monkeypatch.setattr(_program, "_declared", {})
    monkeypatch.setattr(_program, "_bot_outputs", {})
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    asyncio.set_event_loop(None)
    loop.close()


def test_two_resources_with_one_identity_fail_the_program(fresh_program: None) -> None:
    _program.declare("Bot", "first", {"code": "echo"})
    _program.declare("Bot", "other", {"code": "other"})
    with pytest.raises(_program.ProgramError, match="Bot resources 'first' and 'second' both declare code 'echo'"):
        _program.declare("Bot", "second", {"code": "echo"})


def test_a_bot_output_stands_for_its_bot_until_it_has_an_id(fresh_program: None) -> None:
    bot_id: pulumi.Output[int] = pulumi.Output.from_input(1)
    _program.remember_bot(bot_id, "echo", None)
    assert _program.bot_reference(bot_id) == _program.BotOf("echo")
    other: pulumi.Output[int] = pulumi.Output.from_input(1)
    assert _program.bot_reference(other) is other and _program.bot_reference(5) == 5
    _program.declare("ChatApp", "a", {"bot_id": _program.bot_reference(bot_id), "code": "x"})
    _program.declare("ChatApp", "b", {"bot_id": 5, "code": "x"})  # a plain id is another identity
    with pytest.raises(_program.ProgramError, match="both declare bot_id of Bot 'echo', code 'x'"):
        _program.declare("ChatApp", "c", {"bot_id": _program.bot_reference(bot_id), "code": "x"})


def test_import_option_is_refused_with_the_way_out() -> None:
    _program.refuse_import("Bot", None)
    _program.refuse_import("Bot", pulumi.ResourceOptions(protect=True))
    with pytest.raises(_program.ProgramError, match=r"cannot import dynamic resources such as Bot.*adopt=True"):
        _program.refuse_import("Bot", pulumi.ResourceOptions(import_="5"))


# --- takeover checks -----------------------------------------------------------------------------
class CountingBots(BotProvider):
    """A Bot provider whose portal lookups are scripted and counted."""

    def __init__(self, found: Existing | None) -> None:
        self.found = found
        self.lookups = 0
        self._settings = Settings(webhook_url="https://portal.example/rest/1/code/", client_id="stack-a")

    def find_existing(self, props: dict[str, Any]) -> Existing | None:
        self.lookups += 1
        return self.found


@pytest.fixture
def fresh_ledger(monkeypatch: pytest.MonkeyPatch) -> Ledger:
    ledger = Ledger()
    monkeypatch.setattr("pulumi_bitrix24._resource.LEDGER", ledger)
    return ledger


def reasons(provider: BotProvider, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, str]:
    return {f.property: f.reason for f in provider.check(olds, news).failures}


@pytest.mark.parametrize(
    ("found", "adopt", "expected"),
    [
        (None, False, None),
        (Existing(5, ours=True), False, "bot code 'echo' already exists on the portal (id 5). If this resource had"),
        (Existing(5, ours=True), True, None),
        (Existing(5, ours=False), True, "belongs to another application"),
    ],
    ids=["absent", "exists", "adopted", "foreign"],
)
def test_a_create_checks_the_portal_for_its_identity(
    fresh_ledger: Ledger, found: Existing | None, adopt: bool, expected: str | None
) -> None:
    provider = CountingBots(found)
    got = reasons(provider, {}, {**BOT_INPUTS, "adopt": adopt})
    assert provider.lookups == 1
    assert (got.get("code") is None) if expected is None else (expected in got["code"])


def test_a_replacement_is_not_mistaken_for_a_takeover(fresh_ledger: Ledger) -> None:
    provider = CountingBots(Existing(5, ours=True))
    stored = {**BOT_INPUTS, "type": "B", "openline": False}
    assert reasons(provider, stored, {**BOT_INPUTS, "type": "H"}) == {}  # first check: with the old inputs
    assert reasons(provider, {}, {**BOT_INPUTS, "type": "H"}) == {}  # the replacement's create check
    assert provider.lookups == 0


CHECKED = {"type": "B", "openline": False}
"""Defaults that check fills in: the old inputs of a resource in state have them."""


def test_an_update_that_moves_to_a_taken_identity_is_refused_even_with_adopt(fresh_ledger: Ledger) -> None:
    provider = CountingBots(Existing(9, ours=True))
    got = reasons(provider, {**BOT_INPUTS, **CHECKED, "code": "old"}, {**BOT_INPUTS, "adopt": True})
    assert "cannot change this bot to the bot code 'echo': the portal already has that one (id 9)" in got["code"]


@pytest.mark.parametrize(("adopt", "refused"), [(False, True), (True, False)])
def test_a_replacement_onto_an_object_an_interrupted_up_made_may_adopt_it(
    fresh_ledger: Ledger, adopt: bool, refused: bool
) -> None:
    """A replacement's new object is a create: one that exists already (the interrupted run made it) is refused
    with the way out, or adopted with adopt=True, instead of a clash no flag can settle."""
    provider = CountingBots(Existing(9, ours=True))
    got = reasons(provider, {**BOT_INPUTS, **CHECKED, "code": "old"}, {**BOT_INPUTS, "type": "H", "adopt": adopt})
    assert ("code" in got) == refused
    if refused:
        assert "perhaps made by an interrupted `pulumi up`: set adopt=True" in got["code"]


def test_an_adoption_previews_the_id_it_will_take(fresh_ledger: Ledger) -> None:
    """check puts the found id into the inputs, so a preview (where outputs are the checked inputs) knows it."""
    result = CountingBots(Existing(5, ours=True)).check({}, {**BOT_INPUTS, "adopt": True})
    assert not result.failures and result.inputs["bot_id"] == 5
    result = CountingBots(Existing(5, ours=True)).check({}, BOT_INPUTS)
    assert result.failures and "bot_id" not in result.inputs


def test_a_second_resource_with_an_identity_of_this_stack_is_refused(fresh_ledger: Ledger) -> None:
    provider = CountingBots(None)
    assert reasons(provider, BOT_INPUTS, BOT_INPUTS) == {}  # the resource in state, checked first
    got = reasons(provider, {}, {**BOT_INPUTS, "properties": {"name": "Other"}})
    assert got["code"] == "another resource of this stack already manages the bot code 'echo'"
    assert provider.lookups == 0


def test_unknown_identity_is_left_to_the_create(fresh_ledger: Ledger) -> None:
    provider = CountingBots(Existing(5, ours=True))
    assert reasons(provider, {}, {**BOT_INPUTS, "code": pulumi.runtime.rpc.UNKNOWN}) == {}
    assert provider.lookups == 0


# --- read-back against the in-process emulator ---------------------------------------------------
@pytest.fixture
def trust(portal: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", portal.info.ca_bundle)


def configured(provider: Any, portal: Portal) -> Any:
    provider._settings = Settings(webhook_url=portal.info.webhook_url, client_id=portal.info.client_id)
    return provider


def test_bot_read_back_maps_the_v2_view_to_inputs(portal: Portal, trust: None) -> None:
    bot_id = portal.bot("echo")
    portal.result(
        "imbot.update",
        BOT_ID=bot_id,
        FIELDS={"CODE": "echo2", "PROPERTIES": {"NAME": "Hand", "COLOR": "RED", "WORK_POSITION": "Clerk"}},
    )
    provider = configured(BotProvider(), portal)
    stored = {**BOT_INPUTS, "type": "H", "openline": False, "bot_id": bot_id}
    stored["properties"] = {"name": "Echo", "color": "AQUA", "last_name": None, "work_position": None}
    current = provider.read_back(bot_id, stored)
    assert current["code"] == "echo2" and current["type"] == "H"  # v1 "H" reads back as "bot"
    assert current["properties"] == {"name": "Hand", "color": "RED", "last_name": None, "work_position": None}
    portal.result("imbot.unregister", BOT_ID=bot_id)
    assert provider.read_back(bot_id, stored) is None


def test_bot_lookup_by_code_or_id_describes_the_bot_and_its_owner(portal: Portal, trust: None) -> None:
    bot_id = portal.bot("echo")
    portal.result("imbot.update", BOT_ID=bot_id, FIELDS={"PROPERTIES": {"NAME": "Echo", "COLOR": "RED"}})
    other = portal.bot("foreign", client_id="another-app")
    provider = configured(BotProvider(), portal)
    expected = {"bot_id": bot_id, "code": "echo", "type": "B", "openline": False, "ours": True}
    assert provider.lookup({}, "echo", None) == {**expected, "properties": {"name": "Echo", "color": "RED"}}
    assert provider.lookup({}, None, bot_id) == provider.lookup({}, "echo", None)
    assert provider.lookup({}, "foreign", None)["ours"] is False  # type: ignore[index]
    assert provider.lookup({}, None, other + 100) is None


def test_command_lookup_and_read_back_use_the_bot_command_list(portal: Portal, trust: None) -> None:
    bot_id = portal.bot("echo")
    command_id = portal.result(
        "imbot.command.register",
        BOT_ID=bot_id,
        COMMAND="help",
        EVENT_COMMAND_ADD="https://example.com/c",
        HIDDEN="Y",
        LANG=[{"LANGUAGE_ID": "en", "TITLE": "Help"}],
    )
    provider = configured(BotCommandProvider(), portal)
    stored = {"bot_id": bot_id, "command": "help", "common": False, "hidden": False, "extranet_support": False}
    assert provider.find_existing(stored) == Existing(command_id, ours=True)
    assert provider.find_existing({**stored, "command": "info"}) is None
    assert provider.read_back(command_id, stored) == {**stored, "hidden": True}
    assert provider.read_back(command_id + 100, stored) is None


def test_bot_commands_lookup_lists_what_the_portal_reads_and_refuses_a_foreign_bot(portal: Portal, trust: None) -> None:
    bot_id = portal.bot("echo")
    lang = [{"LANGUAGE_ID": "de", "TITLE": "Hilfe", "PARAMS": "Thema"}, {"LANGUAGE_ID": "en", "TITLE": "Help"}]
    command_id = portal.result(
        "imbot.command.register",
        BOT_ID=bot_id,
        COMMAND="help",
        EVENT_COMMAND_ADD="https://example.com/c",
        COMMON="Y",
        EXTRANET_SUPPORT="Y",
        LANG=lang,
    )
    provider = configured(BotCommandProvider(), portal)
    expected = {"command_id": command_id, "command": "help", "title": "Help", "params": ""}
    flags = {"common": True, "hidden": False, "extranet_support": True}
    assert provider.lookup({}, bot_id) == [{**expected, **flags}]  # texts in the portal's language (en)
    assert provider.lookup({}, portal.bot("quiet")) == []
    assert provider.lookup({}, bot_id + 100) is None
    foreign = portal.bot("foreign", client_id="another-app")
    with pytest.raises(OwnershipError, match=r"BOT_OWNERSHIP_ERROR .*belongs to another REST application"):
        provider.lookup({}, foreign)


def test_widgets_lookup_lists_this_apps_widgets_by_placement(portal: Portal, trust: None) -> None:
    app, other = App(portal), App(portal)
    app.result("placement.bind", PLACEMENT="IM_TEXTAREA", HANDLER="https://w.example.com/a", TITLE="A",
               OPTIONS={"iconName": "fa-cog", "width": 50})  # fmt: skip
    app.result("placement.bind", PLACEMENT="IM_CONTEXT_MENU", HANDLER="https://w.example.com/b", TITLE="B")
    other.result("placement.bind", PLACEMENT="IM_TEXTAREA", HANDLER="https://w.example.com/c", TITLE="C",
                 OPTIONS={"iconName": "fa-cog"})  # fmt: skip
    provider = WidgetProvider()
    provider._settings = Settings(portal_url=portal.info.base_url, access_token=app.tokens["access_token"])
    textarea = provider.lookup({}, "IM_TEXTAREA")
    options = {"icon_name": "fa-cog", "width": 50, "height": 100, "extranet": False, "context": ["ALL"], "role": "USER"}
    assert textarea == [{"placement": "IM_TEXTAREA", "handler": "https://w.example.com/a", "title": "A",
                         "description": "", "options": options}]  # fmt: skip
    assert [w["handler"] for w in provider.lookup({}, None)] == ["https://w.example.com/a", "https://w.example.com/b"]
    assert provider.lookup({}, "IM_NAVIGATION") == []
    with pytest.raises(ValueError, match=r"must be one of IM_TEXTAREA, .* \(in capitals\), got 'im_textarea'"):
        provider.lookup({}, "im_textarea")
    webhook = configured(WidgetProvider(), portal)
    with pytest.raises(SettingsError, match="widgets need an OAuth application"):
        webhook.lookup({}, None)


@pytest.mark.parametrize("adopt", [True, False], ids=["adopt", "no-adopt"])
def test_a_widget_bound_between_check_and_create_is_adopted_only_with_adopt(
    portal: Portal, trust: None, fresh_ledger: Ledger, adopt: bool
) -> None:
    """A bind of an interrupted run that the portal finished late (after this run's check looked and found
    nothing): with adopt=True the create takes it over, else it is refused with the way out."""
    app = App(portal)
    provider = WidgetProvider()
    provider._settings = Settings(portal_url=portal.info.base_url, access_token=app.tokens["access_token"])
    declared = {"placement": "IM_TEXTAREA", "handler": "https://w.example.com/a", "title": "Declared",
                "icon_name": "fa-cog", "adopt": adopt}  # fmt: skip
    checked = provider.check({}, declared)
    assert not checked.failures
    app.result("placement.bind", PLACEMENT="IM_TEXTAREA", HANDLER="https://w.example.com/a", TITLE="Late",
               OPTIONS={"iconName": "fa-cog"})  # fmt: skip
    if not adopt:
        with pytest.raises(ExistsError, match=r"already exists on the portal .* set adopt=True"):
            provider.create(checked.inputs)
        return
    created = provider.create(checked.inputs)
    assert created.outs["adopted"] is True
    assert [(w["handler"], w["title"]) for w in provider.lookup({}, "IM_TEXTAREA")] == [
        ("https://w.example.com/a", "Declared")
    ]
