"""Run by test_mocks.py in a process of its own (Pulumi's mocks are process-wide): resources under mocks."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pulumi
import pytest

REPO = Path(__file__).resolve().parents[2]


class Mocks(pulumi.runtime.Mocks):
    """Pulumi's documented mocks, with a hook to return other ids or outputs."""

    ids: ClassVar[dict[str, str]] = {}
    extra: ClassVar[dict[str, dict[str, Any]]] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return self.ids.get(args.name, args.name + "_id"), {**args.inputs, **self.extra.get(args.name, {})}

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


pulumi.runtime.set_mocks(Mocks(), preview=False)

from pulumi_bitrix24 import (  # noqa: E402
    Bot,
    BotArgs,
    BotProperties,
    ChatApp,
    ChatAppArgs,
    ProgramError,
    Translation,
    Widget,
    WidgetArgs,
)

HANDLER = "https://example.com/h"


def bot(name: str, **properties: Any) -> Bot:
    return Bot(name, BotArgs(code=name, event_handler=HANDLER, properties=BotProperties(name="B", **properties)))


def app(name: str, bot_id: Any, **args: Any) -> ChatApp:
    args = {"js_method": "SEND", "js_param": "/help", **args}
    return ChatApp(name, ChatAppArgs(bot_id=bot_id, code=name, translations=[Translation("en", "T")], **args))


def resolved(output: pulumi.Output[Any]) -> Any:
    return output.future()


@pulumi.runtime.test
def test_ids_are_whatever_the_mock_returns() -> Any:
    Mocks.ids = {"numbered": "17"}
    Mocks.extra = {"reporting": {"bot_id": 42}}
    plain, numbered, reporting = bot("plain"), bot("numbered"), bot("reporting")
    button = app("button", plain.bot_id)

    def check(values: list[Any]) -> None:
        assert values == [None, "plain_id", 17, 42, "button_id", None, "SEND"]

    return pulumi.Output.all(
        plain.bot_id, plain.id, numbered.bot_id, reporting.bot_id, button.id, button.app_id, button.js_method
    ).apply(check)


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda: bot("b1", www="http://example.com"), "properties.www: must be an https:// URL"),
        (lambda: bot("b2", color="purple"), "properties.color: Input should be 'RED'"),
        (lambda: app("a1", 5, iframe_width=100), "iframe_width: must be at least 250 px"),
        (lambda: app("a2", 5, icon_path="no-such-icon.png"), "icon_path: file not found or not readable"),
        (lambda: app("a3", 5, js_method="send"), "js_method: Input should be 'PUT', 'SEND', 'CALL' or 'SUPPORT'"),
        (
            lambda: Widget("w1", WidgetArgs(placement="IM_TEXTAREA", handler="http://w.example.com/", title="W")),
            "handler: must be an https:// URL",
        ),
    ],
)
def test_the_argument_rules_run_under_mocks(make: Any, problem: str) -> None:
    with pytest.raises(ProgramError, match=r"breaks the rules `pulumi preview` checks:\n") as raised:
        make()
    assert problem in str(raised.value)


def test_values_known_only_later_are_left_to_check() -> None:
    app("later", pulumi.Output.from_input(5).apply(lambda n: n), iframe=None)


class Recorded(Mocks):
    """Mocks that keep what each resource was registered with: its type token and inputs."""

    registered: ClassVar[dict[str, tuple[str, dict[str, Any]]]] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.registered[args.name] = (args.typ, dict(args.inputs))
        return super().new_resource(args)


@pulumi.runtime.test
def test_the_plugins_resources_send_the_schemas_names_and_read_back_pythons() -> None:
    from pulumi_bitrix24 import native

    pulumi.runtime.set_mocks(Recorded(), preview=False)
    Mocks.extra["nbot"] = {"botId": 7}
    portal = native.Provider("acme", webhook_url="https://acme.example/rest/1/code/", client_id="c", max_retries=3)
    args = BotArgs(code="nbot", event_handler=HANDLER, properties=BotProperties(name="B", last_name="L"))
    made = native.Bot("nbot", args, pulumi.ResourceOptions(provider=portal))

    def check(values: list[Any]) -> None:
        bot_id, properties = values
        assert bot_id == 7 and properties == {"name": "B", "last_name": "L"}
        typ, inputs = Recorded.registered["nbot"]
        assert typ == "bitrix24:index:Bot"
        assert inputs == {"code": "nbot", "eventHandler": HANDLER, "properties": {"name": "B", "lastName": "L"}}
        assert Recorded.registered["acme"][1]["maxRetries"] == "3"  # provider settings travel as config strings

    return pulumi.Output.all(made.bot_id, made.properties).apply(check)


def test_the_plugins_resources_refuse_a_portal_name_and_an_unknown_setting() -> None:
    from pulumi_bitrix24 import native

    with pytest.raises(ProgramError, match=r"Bot 'p': portal names a portal of bitrix24:portals.*provider=Provider"):
        native.Bot("p", BotArgs(code="p", event_handler=HANDLER, properties=BotProperties(name="B"), portal="acme"))
    unknown = r"Provider 'x': unknown setting 'webhook'; did you mean webhook_url\? the settings are webhook_url"
    with pytest.raises(ProgramError, match=unknown):
        native.Provider("x", webhook="https://acme.example/rest/1/code/")
