"""Bot: a Bitrix24 chat bot, managed through imbot.register / update / unregister and read through imbot.v2.

Docs: api-reference/chat-bots/outdated/bots/imbot-register.md (v1 methods),
api-reference/chat-bots/chat-bots-v2/imbot.v2/bots/bot-get.md (reads; v1 bots are visible in v2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

import pulumi
from pulumi.dynamic import Resource
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool

from ._errors import BOT_ID_ERROR, NotFoundError
from ._palette import HEX_COLOR
from ._program import declare, refuse_import, remember_bot
from ._resource import BitrixProvider, Existing, Failure, flag, image_failures, read_image_base64
from ._rules import HttpsUrl, full_match

COLORS = (
    "RED", "GREEN", "MINT", "LIGHT_BLUE", "DARK_BLUE", "PURPLE", "AQUA", "PINK",
    "LIME", "BROWN", "AZURE", "KHAKI", "SAND", "MARENGO", "GRAY", "GRAPHITE",
)  # fmt: skip
EVENTS = ("message_add", "message_update", "message_delete", "welcome_message", "bot_delete")
REQUIRED_EVENTS = ("message_add", "welcome_message", "bot_delete")
PHOTO_LIMIT = (5000, 5000)
V2_TYPES = {"bot": "B", "openline": "O", "supervisor": "S"}
"""imbot.v2 type names of v1 TYPE letters; v1 "H" has no v2 name and reads back as "bot"."""
READABLE_PROPERTIES = {
    "name": "firstName",
    "last_name": "lastName",
    "work_position": "workPosition",
    "gender": "gender",
    "color": "color",
}
"""Bot properties that imbot.v2 reads return (users[] of Bot.get), by their input names."""
PROPERTY_NAMES = {
    "name": "NAME",
    "last_name": "LAST_NAME",
    "color": "COLOR",
    "email": "EMAIL",
    "birthday": "PERSONAL_BIRTHDAY",
    "work_position": "WORK_POSITION",
    "www": "PERSONAL_WWW",
    "gender": "PERSONAL_GENDER",
}


@dataclass
class BotProperties:
    """How the bot appears in the messenger; `name` or `last_name` is required."""

    name: pulumi.Input[str] | None = None
    last_name: pulumi.Input[str] | None = None
    color: pulumi.Input[str] | None = None
    email: pulumi.Input[str] | None = None
    birthday: pulumi.Input[str] | None = None
    work_position: pulumi.Input[str] | None = None
    www: pulumi.Input[str] | None = None
    gender: pulumi.Input[str] | None = None
    photo_path: pulumi.Input[str] | None = None


@dataclass
class BotArgs:
    """Arguments of a Bot: one `event_handler` for every event, or the event_* URLs one by one."""

    code: pulumi.Input[str]
    properties: BotProperties
    type: pulumi.Input[str] | None = None
    openline: pulumi.Input[bool] | None = None
    event_handler: pulumi.Input[str] | None = None
    event_message_add: pulumi.Input[str] | None = None
    event_message_update: pulumi.Input[str] | None = None
    event_message_delete: pulumi.Input[str] | None = None
    event_welcome_message: pulumi.Input[str] | None = None
    event_bot_delete: pulumi.Input[str] | None = None
    adopt: pulumi.Input[bool] | None = None
    """Take over a bot that already exists on the portal with this code, instead of refusing to create it."""


def _iso_date(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a date written YYYY-MM-DD") from None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


class PropertiesModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    last_name: str | None = None
    color: Literal[COLORS] | None = None  # type: ignore[valid-type]
    email: Annotated[str, full_match(re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+"), "an e-mail address")] | None = None
    birthday: Annotated[str, AfterValidator(_iso_date)] | None = None
    work_position: str | None = None
    www: Annotated[str, full_match(re.compile(r"https?://\S+"), "an http(s):// URL")] | None = None
    gender: Literal["M", "F"] | None = None
    photo_path: str | None = None
    photo_base64: str | None = None


class BotModel(BaseModel):
    """Per-field rules of Bot inputs (facts §6.1)."""

    model_config = ConfigDict(extra="ignore")
    code: Annotated[str, Field(min_length=1, max_length=255, pattern=r"\S")]
    type: Literal["B", "O", "H", "S"] = "B"
    openline: StrictBool = False
    properties: PropertiesModel
    event_handler: HttpsUrl | None = None
    event_message_add: HttpsUrl | None = None
    event_message_update: HttpsUrl | None = None
    event_message_delete: HttpsUrl | None = None
    event_welcome_message: HttpsUrl | None = None
    event_bot_delete: HttpsUrl | None = None
    adopt: StrictBool = False


class BotProvider(BitrixProvider):
    """CRUD of one bot; imbot.update cannot change TYPE or OPENLINE, so those replace."""

    model = BotModel
    kind = "bot"
    identity = ("code",)
    replace_on = ("type", "openline")
    methods = ("imbot.register", "imbot.update", "imbot.unregister")
    id_param, id_output, not_found_code = "BOT_ID", "bot_id", BOT_ID_ERROR

    def cross_failures(self, values: dict[str, Any], unknown: set[str]) -> list[Failure]:
        failures: list[Failure] = []
        events = {e for e in EVENTS if f"event_{e}" in values or f"event_{e}" in unknown}
        if "event_handler" in values or "event_handler" in unknown:
            if events:
                failures.append(("event_handler", "set event_handler or the event_* URLs, not both"))
        else:
            failures += [
                (f"event_{e}", "is required unless event_handler is set") for e in REQUIRED_EVENTS if e not in events
            ]
        if values.get("type") == "O" and values.get("openline") is False:
            failures.append(("openline", "must be true for TYPE O (Open Channels) bots"))
        props = values.get("properties")
        if "properties" not in unknown and isinstance(props, dict):
            if not props.get("name") and not props.get("last_name"):
                failures.append(("properties", "name or last_name is required"))
            if props.get("photo_path") is not None:
                photo = props.get("photo_base64")
                found = image_failures("properties", photo, ["PNG", "JPEG"], largest=PHOTO_LIMIT)
                failures += [("properties", f".photo_path: {reason}") for _, reason in found]
        return failures

    def defaults(self, values: dict[str, Any], unknown: set[str]) -> dict[str, Any]:
        return {"openline": True} if values.get("type") == "O" else {}

    # --- REST ------------------------------------------------------------------------------------
    def fields(self, props: dict[str, Any]) -> dict[str, Any]:
        """CODE, the five handlers and every property ("" clears one that was removed)."""
        if props.get("event_handler"):
            events = dict.fromkeys(EVENTS, props["event_handler"])
        else:
            events = {e: props.get(f"event_{e}") or "" for e in EVENTS}
        declared = props["properties"]
        properties = {api: declared.get(name) or "" for name, api in PROPERTY_NAMES.items()}
        if declared.get("photo_base64"):
            properties["PERSONAL_PHOTO"] = declared["photo_base64"]
        fields = {f"EVENT_{e.upper()}": url for e, url in events.items() if url}
        return {"CODE": props["code"], **fields, "PROPERTIES": properties}

    def register_params(self, props: dict[str, Any]) -> dict[str, Any]:
        return {**self.fields(props), "TYPE": props["type"], "OPENLINE": flag(props["openline"])}

    def find_existing(self, props: dict[str, Any]) -> Existing | None:
        """imbot.v2.Bot.get by code; only the owning application gets the extended format (with moduleId)."""
        try:
            bot = self.client().call("imbot.v2.Bot.get", {"code": props["code"]})["bot"]
        except NotFoundError:
            return None
        return Existing(int(bot["id"]), ours="moduleId" in bot)

    def read_back(self, object_id: int, props: dict[str, Any]) -> dict[str, Any] | None:
        """Code, type, openline and the declared readable properties; handlers, e-mail, photo are not readable."""
        try:
            found = self.client().call("imbot.v2.Bot.get", {"botId": object_id})
        except NotFoundError:
            return None
        bot = found["bot"]
        users: list[dict[str, Any]] = found.get("users") or []
        user = next((u for u in users if int(u.get("id", 0)) == object_id), {})
        read_type = V2_TYPES.get(str(bot.get("type")), props.get("type"))
        properties = dict(props["properties"])
        for name, key in READABLE_PROPERTIES.items():
            if properties.get(name) is None or key not in user:
                continue  # properties the program leaves unset are not managed, so not compared
            value = str(user[key] or "")
            properties[name] = (HEX_COLOR.get(value, value) if name == "color" else value) or None
        return {
            **props,
            "code": str(bot.get("code", props["code"])),
            "type": "H" if props.get("type") == "H" and read_type == "B" else read_type,
            "openline": bool(bot.get("isSupportOpenline", props.get("openline"))),
            "properties": properties,
        }


class Bot(Resource, module="bitrix24", name="Bot"):
    """A Bitrix24 chat bot; `bot_id` is its portal id (use it for ChatApp and BotCommand)."""

    bot_id: pulumi.Output[int]
    code: pulumi.Output[str]
    adopted: pulumi.Output[bool]

    def __init__(self, resource_name: str, args: BotArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        refuse_import("Bot", opts)
        declare("Bot", resource_name, {"code": args.code})
        p = args.properties
        properties = {name: getattr(p, name) for name in (*PROPERTY_NAMES, "photo_path")}
        properties["photo_base64"] = read_image_base64(p.photo_path)
        props: dict[str, Any] = {
            "code": args.code,
            "type": args.type,
            "openline": args.openline,
            "properties": properties,
            "event_handler": args.event_handler,
            **{f"event_{e}": getattr(args, f"event_{e}") for e in EVENTS},
            "adopt": args.adopt,
            "bot_id": None,
            "adopted": None,
        }
        super().__init__(BotProvider(), resource_name, props, opts)
        # The resource id stays known while an in-place update is previewed, so dependents preview no replace.
        self.bot_id = self.id.apply(int)
        remember_bot(self.bot_id, resource_name)
