"""BotCommand: a slash command of a bot, managed through imbot.command.* (facts §6.5)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

import pulumi
from pulumi.dynamic import Resource
from pydantic import BaseModel, ConfigDict, StrictBool

from ._errors import COMMAND_ID_ERROR
from ._resource import BitrixProvider, flag, lang_entries
from ._rules import AT_LEAST_ONE, UNIQUE_LANGUAGES, HttpsUrl, LanguageModel, at_least, full_match

FLAGS = ("hidden", "extranet_support")


@dataclass
class CommandTranslation:
    """Title of the command and a hint for its parameters in one language."""

    language_id: pulumi.Input[str]
    title: pulumi.Input[str]
    params: pulumi.Input[str] | None = None


@dataclass
class BotCommandArgs:
    """Arguments of a BotCommand; `command` is written without the leading slash."""

    bot_id: pulumi.Input[int]
    command: pulumi.Input[str]
    event_command_add: pulumi.Input[str]
    translations: list[CommandTranslation]
    common: pulumi.Input[bool] | None = None
    hidden: pulumi.Input[bool] | None = None
    extranet_support: pulumi.Input[bool] | None = None


class CommandTranslationModel(LanguageModel):
    params: str | None = None


class BotCommandModel(BaseModel):
    """Per-field rules of BotCommand inputs."""

    model_config = ConfigDict(extra="ignore")
    bot_id: Annotated[int, at_least(1, "(a bot id from imbot.register)")]
    command: Annotated[str, full_match(re.compile(r"[A-Za-z0-9]+"), "Latin letters and digits only, no slash")]
    event_command_add: HttpsUrl
    translations: Annotated[list[CommandTranslationModel], AT_LEAST_ONE, UNIQUE_LANGUAGES]
    common: StrictBool = False
    hidden: StrictBool = False
    extranet_support: StrictBool = False


class BotCommandProvider(BitrixProvider):
    """CRUD of one command; COMMON cannot be updated, and a command belongs to one bot."""

    model = BotCommandModel
    replace_on = ("bot_id", "common")
    methods = ("imbot.command.register", "imbot.command.update", "imbot.command.unregister")
    id_param, id_output, not_found_code = "COMMAND_ID", "command_id", COMMAND_ID_ERROR
    adopts_existing = False  # no duplicate detection: a second register makes a second command

    def same_identity(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        return all(olds.get(k) == news.get(k) for k in ("bot_id", "command"))

    def fields(self, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "COMMAND": props["command"],
            "EVENT_COMMAND_ADD": props["event_command_add"],
            **{k.upper(): flag(props[k]) for k in FLAGS},
            "LANG": lang_entries(props["translations"]),
        }

    def register_params(self, props: dict[str, Any]) -> dict[str, Any]:
        return {"BOT_ID": int(props["bot_id"]), "COMMON": flag(props["common"]), **self.fields(props)}


class BotCommand(Resource, module="bitrix24", name="BotCommand"):
    """A bot's slash command (for example /help); `command_id` is its portal id."""

    command_id: pulumi.Output[int]
    command: pulumi.Output[str]

    def __init__(self, resource_name: str, args: BotCommandArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        props: dict[str, Any] = {
            "bot_id": args.bot_id,
            "command": args.command,
            "event_command_add": args.event_command_add,
            "translations": [
                {"language_id": t.language_id, "title": t.title, "params": t.params} for t in args.translations
            ],
            "common": args.common,
            "hidden": args.hidden,
            "extranet_support": args.extranet_support,
            "command_id": None,
        }
        super().__init__(BotCommandProvider(), resource_name, props, opts)
