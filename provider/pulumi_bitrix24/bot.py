"""Bot: a Bitrix24 chat bot, managed through imbot.register / update / unregister and read through imbot.v2.

Docs (bitrix24/b24restdocs): api-reference/chat-bots/outdated/bots/imbot-register.md, imbot-update.md and
imbot-unregister.md (v1 methods), api-reference/chat-bots/chat-bots-v2/imbot.v2/bots/bot-get.md (reads; v1 bots
are visible in v2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

import pulumi
from pulumi.dynamic import ReadResult
from pydantic import AfterValidator, BaseModel, Field, StrictBool

from ._errors import BOT_ID_ERROR, ImportRefusedError, NotFoundError
from ._palette import HEX_COLOR
from ._resource import (
    BitrixProvider,
    Existing,
    Failure,
    FileLimit,
    flag,
    image_failures,
)
from ._rules import PRINTABLE, STRICT, HttpsUrl, OnPortal, Text, full_match

Color = Literal[
    "RED", "GREEN", "MINT", "LIGHT_BLUE", "DARK_BLUE", "PURPLE", "AQUA", "PINK",
    "LIME", "BROWN", "AZURE", "KHAKI", "SAND", "MARENGO", "GRAY", "GRAPHITE",
]  # fmt: skip
"""PROPERTIES.COLOR of imbot.register (api-reference/chat-bots/outdated/bots/imbot-register.md)."""
BotType = Literal["B", "O", "H", "S"]
Gender = Literal["M", "F"]
EVENTS = ("message_add", "message_update", "message_delete", "welcome_message", "bot_delete")
REQUIRED_EVENTS = ("message_add", "welcome_message", "bot_delete")
PHOTO_LIMIT = (5000, 5000)
PHOTO_FILE_LIMIT = FileLimit(
    10 * 2**20,
    "the portal takes avatars up to 5000x5000 px and files up to 100 MB "
    "(api-reference/chat-bots/chat-bots-v2/index.md); the photo travels base64 inside one request",
)
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
    """How the bot appears in the messenger (PROPERTIES of imbot.register); `name` or `last_name` is required.

    Args:
        name: first name shown in chats. Required unless last_name is set.
        last_name: last name. Required unless name is set.
        color: avatar colour, one of RED, GREEN, MINT, LIGHT_BLUE, DARK_BLUE, PURPLE, AQUA, PINK, LIME, BROWN,
            AZURE, KHAKI, SAND, MARENGO, GRAY, GRAPHITE.
        email: an e-mail address (text@text.text, no spaces); the portal refuses one of a real user.
        birthday: a real date written YYYY-MM-DD.
        work_position: the job title shown under the name.
        www: the bot's website: an https:// URL with a real host (a DNS name or an IP address), without
            user:password@ and without whitespace or control characters anywhere.
        gender: "M" or "F".
        photo_path: avatar file, PNG or JPEG of at most 5000x5000 px and at most 10 MiB, relative to the
            program's working directory; its size is checked before it is read. Removing it keeps the old photo.
    """

    name: pulumi.Input[str] | None = None
    last_name: pulumi.Input[str] | None = None
    color: pulumi.Input[Color] | None = None
    email: pulumi.Input[str] | None = None
    birthday: pulumi.Input[str] | None = None
    work_position: pulumi.Input[str] | None = None
    www: pulumi.Input[str] | None = None
    gender: pulumi.Input[Gender] | None = None
    photo_path: pulumi.Input[str] | None = None


@dataclass
class BotArgs:
    """Arguments of a Bot: one `event_handler` for every event, or the event_* URLs one by one.

    `pulumi preview` checks every rule below before any request; each argument may also be a Pulumi output.
    Every URL must be an https:// URL with a real host (a DNS name or an IP address), without user:password@
    and without whitespace or control characters anywhere.

    Args:
        code: the bot's code, unique on the portal: 1 to 255 characters, not only spaces.
        properties: a BotProperties: name, colour, photo and the rest of the bot's profile.
        type: "B" (default; in group chats sees only messages addressed to it), "O" (Open Channels bot; forces
            openline), "H" (human-like: shows typing first) or "S" (supervisor: reads every message of its chats).
            Changing it replaces the bot.
        openline: whether the bot works in Open Channels; default False (True for type "O"). Changing it
            replaces the bot.
        event_handler: one URL for all five events; set it or the event_* URLs, not both.
        event_message_add: URL for new messages (ONIMBOTMESSAGEADD); required without event_handler.
        event_message_update: URL for edited messages; optional (the portal sends it to O bots and openline bots).
        event_message_delete: URL for deleted messages; optional, as event_message_update.
        event_welcome_message: URL called when the bot joins a chat; required without event_handler.
        event_bot_delete: URL called when the bot is deleted; required without event_handler.
        portal: the portal to manage it on: a name of bitrix24:portals ("Many portals" in the README); default
            the single-portal settings. Changing it replaces the object.
        adopt: take over a bot of this application that already exists with this code, instead of refusing
            to create it; default False. Matters only when the resource is created.
    """

    code: pulumi.Input[str]
    properties: BotProperties
    type: pulumi.Input[BotType] | None = None
    openline: pulumi.Input[bool] | None = None
    event_handler: pulumi.Input[str] | None = None
    event_message_add: pulumi.Input[str] | None = None
    event_message_update: pulumi.Input[str] | None = None
    event_message_delete: pulumi.Input[str] | None = None
    event_welcome_message: pulumi.Input[str] | None = None
    event_bot_delete: pulumi.Input[str] | None = None
    adopt: pulumi.Input[bool] | None = None
    portal: pulumi.Input[str] | None = None


def _iso_date(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a date written YYYY-MM-DD") from None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


class PropertiesModel(BaseModel):
    model_config = STRICT
    name: Text | None = None
    last_name: Text | None = None
    color: Color | None = None
    email: Annotated[str, full_match(re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+"), "an e-mail address")] | None = None
    birthday: Annotated[str, AfterValidator(_iso_date)] | None = None
    work_position: Text | None = None
    www: HttpsUrl | None = None
    gender: Gender | None = None
    photo_path: str | None = None
    photo_base64: str | None = None
    photo_sha256: str | None = None


class BotModel(OnPortal):
    """Per-field rules of Bot inputs (api-reference/chat-bots/outdated/bots/imbot-register.md)."""

    code: Annotated[str, Field(min_length=1, max_length=255, pattern=r"\S"), PRINTABLE]
    type: BotType = "B"
    openline: StrictBool = False
    properties: PropertiesModel
    event_handler: HttpsUrl | None = None
    event_message_add: HttpsUrl | None = None
    event_message_update: HttpsUrl | None = None
    event_message_delete: HttpsUrl | None = None
    event_welcome_message: HttpsUrl | None = None
    event_bot_delete: HttpsUrl | None = None
    adopt: StrictBool = False


class BotProvider(BitrixProvider[int]):
    """A Bitrix24 chat bot; `bot_id` is its portal id (give it to ChatApp and BotCommand).

    Portal methods imbot.register / update / unregister (api-reference/chat-bots/outdated/bots/imbot-register.md),
    read back through imbot.v2.Bot.get on refresh. Changing type or openline replaces the bot (the old one is
    unregistered first: the portal keys bots by code); any other change is one imbot.update, and bot_id stays
    the same. Deleting a bot on the portal deletes its chat apps and commands too.
    """

    model = BotModel
    kind = "bot"
    identity = ("code",)
    replace_on = ("type", "openline")
    methods = ("imbot.register", "imbot.update", "imbot.unregister")
    id_param, id_output, not_found_code = "BOT_ID", "bot_id", BOT_ID_ERROR
    unread = ("event_handler", *(f"event_{e}" for e in EVENTS))

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
            if isinstance(props.get("photo_path"), str):
                photo = props.get("photo_base64")
                found = image_failures("properties", photo, ["PNG", "JPEG"], largest=PHOTO_LIMIT)
                failures += [("", f"properties.photo_path: {reason}") for _, reason in found]
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

    def update_fields(self, props: dict[str, Any], olds: dict[str, Any] | None) -> dict[str, Any]:
        """fields, without the properties that no declaration of this bot ever named and that the portal never
        reads back: an imported or adopted bot keeps the e-mail, birthday and website it has, which nobody could
        see, while a property the program removed is still cleared."""
        fields = self.fields(props)
        named = {*props["properties"], *((olds or {}).get("properties") or {}), *READABLE_PROPERTIES}
        kept = {api for name, api in PROPERTY_NAMES.items() if name not in named}
        fields["PROPERTIES"] = {k: v for k, v in fields["PROPERTIES"].items() if k not in kept}
        return fields

    def register_params(self, props: dict[str, Any]) -> dict[str, Any]:
        return {**self.fields(props), "TYPE": props["type"], "OPENLINE": flag(props["openline"])}

    def find_existing(self, props: dict[str, Any]) -> Existing[int] | None:
        """imbot.v2.Bot.get by code; only the owning application gets the extended format (with moduleId)."""
        try:
            bot = self.client(props).call("imbot.v2.Bot.get", {"code": props["code"]})["bot"]
        except NotFoundError:
            return None
        return Existing(int(bot["id"]), ours="moduleId" in bot)

    def read_back(self, object_id: int, props: dict[str, Any]) -> dict[str, Any] | None:
        """Code, type, openline and the declared readable properties; handlers, e-mail, photo are not readable."""
        try:
            found = self.client(props).call("imbot.v2.Bot.get", {"botId": object_id})
        except NotFoundError:
            return None
        bot, user = found["bot"], _user_of(found, object_id)
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

    def lookup(self, props: dict[str, Any], code: str | None, bot_id: int | None) -> dict[str, Any] | None:
        """A bot of the portal found by code or id (getBot): its id, whether this application owns it, and what
        imbot.v2.Bot.get tells of it by input names (code, type, openline, the readable properties); None when
        the portal has no such bot."""
        try:
            found = self.client(props).call("imbot.v2.Bot.get", {"code": code} if bot_id is None else {"botId": bot_id})
        except NotFoundError:
            return None
        bot = found["bot"]
        user = _user_of(found, int(bot["id"]))
        properties = {name: str(user[key]) for name, key in READABLE_PROPERTIES.items() if user.get(key)}
        if "color" in properties:
            properties["color"] = HEX_COLOR.get(properties["color"], properties["color"])
        return {
            "bot_id": int(bot["id"]),
            "code": str(bot["code"]),
            "type": V2_TYPES.get(str(bot.get("type")), "B"),
            "openline": bool(bot.get("isSupportOpenline")),
            "properties": properties,
            "ours": "moduleId" in bot,
        }

    def imported(self, import_id: str) -> ReadResult:
        """A bot of this application by its id: code, type, openline and the readable properties. imbot.v2 names
        type H "bot", as B: it reads as B. The handler URLs are never read back."""
        if not import_id.isdecimal() or int(import_id) < 1:
            raise ImportRefusedError(f"the id to import is a bot id, a whole number such as 27; got {import_id!r}")
        bot_id = int(import_id)
        found = self.lookup({}, None, bot_id)
        if found is None:
            raise ImportRefusedError(f"the portal has no bot with id {bot_id}")
        if not found.pop("ours"):
            raise ImportRefusedError(
                f"bot {bot_id} (code {found['code']!r}) belongs to another application (another bitrix24:clientId "
                "or OAuth app): import it with the credentials that created it"
            )
        inputs = {k: v for k, v in found.items() if k != "bot_id"}
        return ReadResult(str(bot_id), {**inputs, "bot_id": bot_id, "adopted": False}, inputs)


def _user_of(found: dict[str, Any], object_id: int) -> dict[str, Any]:
    """The bot's own user (its profile) among the users of an imbot.v2.Bot.get answer."""
    users: list[dict[str, Any]] = found.get("users") or []
    return next((u for u in users if int(u.get("id", 0)) == object_id), {})
