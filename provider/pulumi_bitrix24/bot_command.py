"""BotCommand: a slash command of a bot, managed through imbot.command.* and read through imbot.v2.Command.list.

Docs (bitrix24/b24restdocs): api-reference/chat-bots/outdated/commands/imbot-command-register.md,
imbot-command-update.md and imbot-command-unregister.md (v1 methods),
api-reference/chat-bots/chat-bots-v2/imbot.v2/commands/command-list.md (reads).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

import pulumi
from pulumi.dynamic import ReadResult
from pydantic import StrictBool

from ._errors import (
    COMMAND_ID_ERROR,
    ImportRefusedError,
    NotFoundError,
    OwnershipError,
    with_detail,
)
from ._resource import BitrixProvider, Existing, flag, lang_entries, whole
from ._rules import (
    AT_LEAST_ONE,
    UNIQUE_LANGUAGES,
    HttpsUrl,
    LanguageModel,
    OnPortal,
    Text,
    WholeNumber,
    at_least,
    full_match,
)

FLAGS = ("hidden", "extranet_support")


@dataclass
class CommandTranslation:
    """Title of the command and a hint for its parameters in one language (one LANG entry).

    Args:
        language_id: two lowercase letters, e.g. "en"; each language at most once per command.
        title: what the command does, shown in the command list; at least 1 character.
        params: a hint for the command's parameters, e.g. "topic"; optional.
    """

    language_id: pulumi.Input[str]
    title: pulumi.Input[str]
    params: pulumi.Input[str] | None = None


@dataclass
class BotCommandArgs:
    """Arguments of a BotCommand; `command` is written without the leading slash.

    `pulumi preview` checks every rule below before any request; each argument may also be a Pulumi output.

    Args:
        bot_id: the bot that answers the command, e.g. `bot.bot_id`; a whole number of at least 1. Changing it
            replaces the command.
        command: the command's name without the slash, Latin letters and digits only (`help` for /help).
        event_command_add: the URL the portal calls when someone uses the command: an https:// URL with a real
            host (a DNS name or an IP address), without user:password@ and without whitespace or control
            characters anywhere.
        translations: a list of at least one CommandTranslation, language ids unique.
        common: whether the command works in every chat (True) or only in chats with the bot (False, default).
            Changing it replaces the command.
        hidden: keep the command out of the command list; default False.
        extranet_support: whether extranet users may use it; default False.
        portal: the portal to manage it on: a name of bitrix24:portals ("Many portals" in the README); default
            the single-portal settings. Changing it replaces the object.
        adopt: take over a command the bot already has under this name, instead of refusing to create it;
            default False. Matters only when the resource is created.
    """

    bot_id: pulumi.Input[int]
    command: pulumi.Input[str]
    event_command_add: pulumi.Input[str]
    translations: list[CommandTranslation]
    common: pulumi.Input[bool] | None = None
    hidden: pulumi.Input[bool] | None = None
    extranet_support: pulumi.Input[bool] | None = None
    adopt: pulumi.Input[bool] | None = None
    portal: pulumi.Input[str] | None = None


class CommandTranslationModel(LanguageModel):
    params: Text | None = None


class BotCommandModel(OnPortal):
    """Per-field rules of BotCommand inputs (api-reference/chat-bots/outdated/commands/imbot-command-register.md)."""

    bot_id: Annotated[WholeNumber, at_least(1, "(a bot id from imbot.register)")]
    command: Annotated[str, full_match(re.compile(r"[A-Za-z0-9]+"), "Latin letters and digits only, no slash")]
    event_command_add: HttpsUrl
    translations: Annotated[list[CommandTranslationModel], AT_LEAST_ONE, UNIQUE_LANGUAGES]
    common: StrictBool = False
    hidden: StrictBool = False
    extranet_support: StrictBool = False
    adopt: StrictBool = False


class BotCommandProvider(BitrixProvider[int]):
    """A bot's slash command (for example /help); `command_id` is its portal id.

    Portal methods imbot.command.register / update / unregister
    (api-reference/chat-bots/outdated/commands/imbot-command-register.md), read back through
    imbot.v2.Command.list on refresh. Changing bot_id or common replaces the command; any other change is one
    imbot.command.update. Register is sent once per create: after a lost answer the bot's commands are looked up.
    """

    model = BotCommandModel
    kind = "bot command"
    identity = ("bot_id", "command")
    replace_on = ("bot_id", "common")
    methods = ("imbot.command.register", "imbot.command.update", "imbot.command.unregister")
    id_param, id_output, not_found_code = "COMMAND_ID", "command_id", COMMAND_ID_ERROR
    unread = ("event_command_add",)
    idempotent = False  # a repeated imbot.command.register makes a second command
    located = "on the bot"

    def object_name(self, props: dict[str, Any]) -> str:
        return f"command /{props.get('command')} of bot {whole(props.get('bot_id'))}"

    def fields(self, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "COMMAND": props["command"],
            "EVENT_COMMAND_ADD": props["event_command_add"],
            **{k.upper(): flag(props[k]) for k in FLAGS},
            "LANG": lang_entries(props["translations"]),
        }

    def register_params(self, props: dict[str, Any]) -> dict[str, Any]:
        return {"BOT_ID": int(props["bot_id"]), "COMMON": flag(props["common"]), **self.fields(props)}

    def commands_of(self, props: dict[str, Any]) -> list[dict[str, Any]]:
        """The commands of the resource's bot (imbot.v2.Command.list; texts only in the portal's language)."""
        bot_id = int(props["bot_id"])
        try:
            listed = self.client(props).call("imbot.v2.Command.list", {"botId": bot_id})
        except NotFoundError as exc:
            raise with_detail(exc, f"bot_id {bot_id} is not a bot on this portal") from None
        return list(listed.get("commands") or [])

    def lookup(self, props: dict[str, Any], bot_id: int) -> list[dict[str, Any]] | None:
        """The commands of one of this application's bots as the portal reads them (getBotCommands), by output
        names: title and params only in the portal's language; None when the portal has no such bot. A bot of
        another application raises OwnershipError (imbot.v2.Command.list lists the caller's own bots only)."""
        try:
            commands = self.commands_of({**props, "bot_id": bot_id})
        except NotFoundError:
            return None
        return [
            {
                "command_id": int(c["id"]),
                "command": str(c["command"]).lstrip("/"),
                "title": str(c.get("title") or ""),
                "params": str(c.get("params") or ""),
                "common": bool(c["common"]),
                "hidden": bool(c["hidden"]),
                "extranet_support": bool(c["extranetSupport"]),
            }
            for c in commands
        ]

    def find_existing(self, props: dict[str, Any]) -> Existing[int] | None:
        """Commands can only be registered on the caller's own bot, so any command found there is ours."""
        name = props["command"]
        found = [c for c in self.commands_of(props) if str(c["command"]).lstrip("/") == name]
        return Existing(int(found[0]["id"]), ours=True) if found else None

    def read_back(self, object_id: int, props: dict[str, Any]) -> dict[str, Any] | None:
        """Name and flags from the bot's command list; titles are not compared (only one language is readable)."""
        try:
            commands = self.commands_of(props)
        except NotFoundError:
            return None
        found = next((c for c in commands if int(c["id"]) == object_id), None)
        if found is None:
            return None
        return {
            **props,
            "command": str(found["command"]).lstrip("/"),
            "common": bool(found["common"]),
            "hidden": bool(found["hidden"]),
            "extranet_support": bool(found["extranetSupport"]),
        }

    def imported(self, import_id: str) -> ReadResult:
        """A command by its bot and its id ("27/5": imbot.v2.Command.list needs the bot): name and flags, and the
        title and params in the portal's language, the only ones the portal reads back (the bot's `language`). The
        handler URL is never read back."""
        ids = re.fullmatch(r"([1-9]\d*)/([1-9]\d*)", import_id)
        if ids is None:
            raise ImportRefusedError(f"the id to import is the bot id and the command id, e.g. 27/5; got {import_id!r}")
        bot_id, command_id = int(ids[1]), int(ids[2])
        try:
            commands = self.lookup({}, bot_id)
        except OwnershipError:
            raise ImportRefusedError(
                f"bot {bot_id} belongs to another application (another bitrix24:clientId or OAuth app): import "
                "its commands with the credentials that created it"
            ) from None
        if commands is None:
            raise ImportRefusedError(f"the portal has no bot with id {bot_id}")
        found = next((c for c in commands if c["command_id"] == command_id), None)
        if found is None:
            raise ImportRefusedError(f"bot {bot_id} has no command with id {command_id} on the portal")
        title, params = found.pop("title"), found.pop("params")
        inputs = {k: v for k, v in found.items() if k != "command_id"}
        if title:
            language = self.client({}).call("imbot.v2.Bot.get", {"botId": bot_id})["bot"]["language"]
            translation = {"language_id": language, "title": title, **({"params": params} if params else {})}
            inputs["translations"] = [translation]
        inputs["bot_id"] = bot_id
        return ReadResult(str(command_id), {**inputs, "command_id": command_id, "adopted": False}, inputs)
