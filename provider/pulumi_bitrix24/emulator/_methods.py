"""The imbot REST methods as documented, and as the Bitrix24 im module implements them where the docs are silent.

Docs: api-reference/chats/outdated/create-app/imbot-app-register.md (and -update, -unregister) for imbot.app.*;
api-reference/chat-bots/outdated/bots/ and .../commands/ for imbot.* and imbot.command.*; the im module's
CIMRestService and its App and Bot classes for what those pages leave out (check order, duplicates).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .._palette import COLOR_HEX
from ._store import Record, Store

MAX_BOTS_PER_APP = 5
BOT_EVENTS = (
    "EVENT_MESSAGE_ADD",
    "EVENT_MESSAGE_UPDATE",
    "EVENT_MESSAGE_DELETE",
    "EVENT_WELCOME_MESSAGE",
    "EVENT_BOT_DELETE",
)
REQUIRED_BOT_EVENTS = ("EVENT_MESSAGE_ADD", "EVENT_WELCOME_MESSAGE", "EVENT_BOT_DELETE")
APP_FLAGS = ("HIDDEN", "EXTRANET_SUPPORT", "LIVECHAT_SUPPORT", "IFRAME_POPUP")
_JS_PARAM_RULES = {
    "PUT": re.compile(r"/[A-Za-z0-9\-_+]{2,}(?: [^ ]+)*"),
    "SEND": re.compile(r"/[A-Za-z0-9\-_+]{2,}(?: [^ ]+)*"),
    "CALL": re.compile(r"[0-9 \-+()#]+$"),
    "SUPPORT": re.compile(r"[0-9a-fA-F]{32}$"),
}
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")


Method = Callable[["Store", "Caller", dict[str, Any]], Any]


class ApiError(Exception):
    """A REST error envelope: code, description and HTTP status."""

    def __init__(self, code: str, description: str, status: int = 400) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.status = status


@dataclass(frozen=True)
class Caller:
    """Who is calling: the REST app that will own what it creates, or None in webhook mode."""

    oauth_client_id: str | None
    user_id: int = 1
    """The portal user behind the token or webhook."""
    scopes: tuple[str, ...] = ()

    def owner(self, params: dict[str, Any]) -> str:
        """The owning app id; webhooks must name theirs with CLIENT_ID.

        Docs: api-reference/chat-bots/outdated/bots/imbot-register.md (CLIENT_ID).
        """
        if self.oauth_client_id is not None:
            return self.oauth_client_id
        client_id = str(params.get("CLIENT_ID") or "")
        if not client_id:
            raise ApiError("ACCESS_DENIED", "Client ID not specified", 403)
        return "custom" + client_id


def _flag(value: Any) -> str:
    return "Y" if str(value).upper() == "Y" or value is True else "N"


def _int(value: Any) -> int:
    """A positive id as SQLite can hold it, or 0 (which matches nothing)."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return 0
    return number if 0 < number < 2**63 else 0


def _is_https_url(value: Any) -> bool:
    parts = urlsplit(str(value or ""))
    return parts.scheme == "https" and bool(parts.hostname)


def _is_image(value: Any) -> bool:
    try:
        raw = base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        return False
    return raw.startswith(_IMAGE_MAGIC)


def _fields(params: dict[str, Any]) -> dict[str, Any]:
    fields = params.get("FIELDS")
    return fields if isinstance(fields, dict) else {}


def _owned(store: Store, kind: str, object_id: int, owner: str, missing: ApiError) -> Record:
    record = store.get(kind, object_id)
    if record is None:
        raise missing
    if record.owner != owner:
        raise ApiError("APP_ID_ERROR", "Application does not own this object")
    return record


def _languages(value: Any, with_params: bool = False) -> list[dict[str, str]]:
    """LANG entries without LANGUAGE_ID or TITLE are skipped; ids are lowercased (the im module's CIMRestService)."""
    entries = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    keys = ("DESCRIPTION", "COPYRIGHT") if not with_params else ("PARAMS",)
    result = []
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("LANGUAGE_ID") or not entry.get("TITLE"):
            continue
        item = {"LANGUAGE_ID": str(entry["LANGUAGE_ID"]).lower(), "TITLE": str(entry["TITLE"])}
        item.update({k: str(entry.get(k) or "") for k in keys})
        result.append(item)
    return result


# --- bots ----------------------------------------------------------------------------------------
def _bot_events(source: dict[str, Any], required: tuple[str, ...]) -> dict[str, str]:
    events = dict.fromkeys(BOT_EVENTS, source["EVENT_HANDLER"]) if source.get("EVENT_HANDLER") else {}
    events.update({k: source[k] for k in BOT_EVENTS if source.get(k)})
    for name in BOT_EVENTS:
        if (name in required and not events.get(name)) or (name in events and not _is_https_or_http(events[name])):
            raise ApiError(f"{name}_ERROR", f'Handler for "{name}" must be a valid URL')
    return {k: str(v) for k, v in events.items()}


def _is_https_or_http(value: Any) -> bool:
    parts = urlsplit(str(value))
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _bot_properties(value: Any) -> dict[str, str]:
    props = {str(k).upper(): str(v) for k, v in value.items()} if isinstance(value, dict) else {}
    if "PERSONAL_PHOTO" in props and not _is_image(props["PERSONAL_PHOTO"]):
        del props["PERSONAL_PHOTO"]
    return props


def bot_register(store: Store, caller: Caller, params: dict[str, Any]) -> Any:
    owner = caller.owner(params)
    code = str(params.get("CODE") or "")
    if not code:
        raise ApiError("CODE_ERROR", "Bot code isn't specified")
    # imbot.register answers an existing code with its id, whichever app owns it (im module Bot::register).
    for bot in store.find("bot", limit=1, CODE=code):
        return bot.id
    events = _bot_events(params, REQUIRED_BOT_EVENTS)
    props = _bot_properties(params.get("PROPERTIES"))
    if not props.get("NAME") and not props.get("LAST_NAME"):
        raise ApiError("NAME_ERROR", "Bot name isn't specified")
    if store.count("bot", owner) >= MAX_BOTS_PER_APP:
        raise ApiError("MAX_COUNT_ERROR", "Has reached the maximum number of bots for application")
    bot_type = str(params.get("TYPE") or "B").upper()
    bot_type = bot_type if bot_type in ("B", "O", "H", "S") else "B"
    openline = "Y" if bot_type == "O" else _flag(params.get("OPENLINE"))
    data = {"CODE": code, "TYPE": bot_type, "OPENLINE": openline, "PROPERTIES": props, **events}
    return store.insert("bot", owner, data)


def bot_update(store: Store, caller: Caller, params: dict[str, Any]) -> Any:
    owner = caller.owner(params)
    bot = _owned(store, "bot", _int(params.get("BOT_ID")), owner, ApiError("BOT_ID_ERROR", "Bot not found"))
    fields = _fields(params)
    if not fields:
        raise ApiError("WRONG_REQUEST", "Update fields can't be empty")
    data = dict(bot.data)
    data.update(_bot_events(fields, ()))
    if fields.get("CODE"):
        data["CODE"] = str(fields["CODE"])
    if "PROPERTIES" in fields:
        props = {**data["PROPERTIES"], **_bot_properties(fields["PROPERTIES"])}
        if not props.get("NAME") and not props.get("LAST_NAME"):
            raise ApiError("NAME_ERROR", "Bot name can't be empty")
        data["PROPERTIES"] = props
    store.replace(bot.id, data)
    return True


def bot_unregister(store: Store, caller: Caller, params: dict[str, Any]) -> Any:
    owner = caller.owner(params)
    bot = _owned(store, "bot", _int(params.get("BOT_ID")), owner, ApiError("BOT_ID_ERROR", "Bot not found"))
    for kind in ("app", "command"):
        for record in store.find(kind, BOT_ID=bot.id):
            store.delete(record.id)
    store.delete(bot.id)
    return True


def bot_list(store: Store, caller: Caller, params: dict[str, Any]) -> Any:
    bots = {
        str(bot.id): {
            "ID": bot.id,
            "NAME": bot.data["PROPERTIES"].get("NAME", ""),
            "CODE": bot.data["CODE"],
            "OPENLINE": bot.data["OPENLINE"],
        }
        for bot in store.all("bot")
    }
    return bots or []


# --- chat apps -----------------------------------------------------------------------------------
def _app_kind_fields(source: dict[str, Any], required: bool) -> dict[str, Any]:
    """Parse JS or IFRAME fields; a usable JS pair wins over IFRAME.

    Docs: api-reference/chats/outdated/create-app/imbot-app-update.md; register does the same in the im module.
    """
    method = str(source.get("JS_METHOD") or "").upper()
    param = str(source.get("JS_PARAM") or "")
    if method in _JS_PARAM_RULES and param:
        match = _JS_PARAM_RULES[method].search(param)
        if match is None:
            raise ApiError("PARAMS_ERROR", "Iframe or JS method isn't specified")
        return {"JS_METHOD": method, "JS_PARAM": match.group(0).strip(), "IFRAME": ""}
    if source.get("IFRAME"):
        if not _is_https_url(source["IFRAME"]):
            raise ApiError("IFRAME_HTTPS", "Iframe params must be HTTPS site")
        return {"IFRAME": str(source["IFRAME"]), "JS_METHOD": "", "JS_PARAM": ""}
    if required:
        raise ApiError("PARAMS_ERROR", "Iframe or JS method isn't specified")
    return {}


def _app_common_fields(source: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if "IFRAME_WIDTH" in source:
        fields["IFRAME_WIDTH"] = max(250, _int(source["IFRAME_WIDTH"]) or 320)
    if "IFRAME_HEIGHT" in source:
        fields["IFRAME_HEIGHT"] = max(50, _int(source["IFRAME_HEIGHT"]) or 250)
    if "HASH" in source:
        fields["HASH"] = str(source["HASH"] or "")[:32]
    if "ICON_FILE" in source and _is_image(source["ICON_FILE"]):
        fields["ICON_FILE"] = str(source["ICON_FILE"])
    if "CONTEXT" in source:
        fields["CONTEXT"] = str(source["CONTEXT"] or "all").lower()
    fields.update({flag: _flag(source[flag]) for flag in APP_FLAGS if flag in source})
    if "LANG" in source:
        fields["LANG"] = _languages(source["LANG"])
    return fields


def app_register(store: Store, caller: Caller, params: dict[str, Any]) -> Any:
    owner = caller.owner(params)
    code = str(params.get("CODE") or "")
    if not code:
        raise ApiError("CODE_ERROR", "App code isn't specified")
    kind_fields = _app_kind_fields(params, required=True)
    bot = store.get("bot", _int(params.get("BOT_ID")))
    if bot is None:
        raise ApiError("BOT_ID_ERROR", "Bot not found")
    if bot.owner != owner:
        raise ApiError("APP_ID_ERROR", "Bot belongs to another application")
    fields = {"IFRAME_WIDTH": 320, "IFRAME_HEIGHT": 250, "HASH": "", "CONTEXT": "all", "ICON_FILE": ""}
    fields.update(dict.fromkeys(APP_FLAGS, "N"))
    fields.update(kind_fields)
    fields.update(_app_common_fields(params))
    if kind_fields["IFRAME"] and not fields["HASH"]:
        raise ApiError("HASH_ERROR", "Hash can't be empty")
    if not fields.get("LANG") and fields["HIDDEN"] != "Y":
        raise ApiError("LANG_ERROR", "Lang set can't be empty")
    for app in store.find("app", limit=1, BOT_ID=bot.id, CODE=code):
        return app.id
    return store.insert("app", owner, {"BOT_ID": bot.id, "CODE": code, **fields})


def app_update(store: Store, caller: Caller, params: dict[str, Any]) -> Any:
    owner = caller.owner(params)
    missing = ApiError("CHAT_APP_ID_ERROR", "App not found")
    app = _owned(store, "app", _int(params.get("APP_ID")), owner, missing)
    fields = _fields(params)
    data = {**app.data, **_app_kind_fields(fields, required=False), **_app_common_fields(fields)}
    store.replace(app.id, data)
    return True


def _unregister(kind: str, id_param: str, missing_code: str, missing_text: str) -> Method:
    """The unregister method of an object kind without dependents: owner check, then delete."""

    def unregister(store: Store, caller: Caller, params: dict[str, Any]) -> Any:
        missing = ApiError(missing_code, missing_text)
        record = _owned(store, kind, _int(params.get(id_param)), caller.owner(params), missing)
        store.delete(record.id)
        return True

    return unregister


# --- bot commands --------------------------------------------------------------------------------
_COMMAND = re.compile(r"^[A-Za-z0-9]+$")


def _command_fields(source: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if "COMMAND" in source:
        if not _COMMAND.match(str(source["COMMAND"] or "")):
            raise ApiError("COMMAND_ERROR", "Command isn't specified")
        fields["COMMAND"] = str(source["COMMAND"])
    if "EVENT_COMMAND_ADD" in source:
        if not _is_https_or_http(source["EVENT_COMMAND_ADD"]):
            raise ApiError("EVENT_COMMAND_ADD_ERROR", 'Handler for "Command add" event isn\'t specified')
        fields["EVENT_COMMAND_ADD"] = str(source["EVENT_COMMAND_ADD"])
    fields.update({flag: _flag(source[flag]) for flag in ("HIDDEN", "EXTRANET_SUPPORT") if flag in source})
    if "LANG" in source:
        fields["LANG"] = _languages(source["LANG"], with_params=True)
    return fields


def command_register(store: Store, caller: Caller, params: dict[str, Any]) -> Any:
    owner = caller.owner(params)
    for required, code in (("EVENT_COMMAND_ADD", "EVENT_COMMAND_ADD_ERROR"), ("COMMAND", "COMMAND_ERROR")):
        if not params.get(required):
            raise ApiError(code, f"{required} isn't specified")
    fields = {"HIDDEN": "N", "EXTRANET_SUPPORT": "N", **_command_fields(params)}
    bot = store.get("bot", _int(params.get("BOT_ID")))
    if bot is None:
        raise ApiError("BOT_ID_ERROR", "Bot not found")
    if bot.owner != owner:
        raise ApiError("APP_ID_ERROR", "Bot belongs to another application")
    if not fields.get("LANG"):
        raise ApiError("LANG_ERROR", "Lang set can't be empty")
    fields.update(BOT_ID=bot.id, COMMON=_flag(params.get("COMMON")))
    return store.insert("command", owner, fields)


def command_update(store: Store, caller: Caller, params: dict[str, Any]) -> Any:
    owner = caller.owner(params)
    missing = ApiError("COMMAND_ID_ERROR", "Command not found")
    command = _owned(store, "command", _int(params.get("COMMAND_ID")), owner, missing)
    fields = _fields(params)
    if not fields:
        raise ApiError("WRONG_REQUEST", "Update fields can't be empty")
    store.replace(command.id, {**command.data, **_command_fields(fields)})
    return True


# --- imbot.v2 reads ------------------------------------------------------------------------------
# Bots and commands registered through v1 are visible in v2 (api-reference/chat-bots/chat-bots-v2/migration.md);
# a v1 webhook bot's owner "custom"+CLIENT_ID is what v2 derives from botToken (imbot BotController source).
V2_TYPES = {"B": "bot", "H": "bot", "O": "openline", "S": "supervisor"}
PORTAL_LANGUAGE = "en"


def _v2_param(params: dict[str, Any], *names: str) -> Any:
    """v2 controllers read camelCase or UPPER_CASE names as sent (no case folding)."""
    return next((params[n] for n in names if params.get(n) not in (None, "")), None)


def _v2_owner(caller: Caller, params: dict[str, Any]) -> str:
    """OAuth: the app; webhook: "custom" + botToken (or the deprecated CLIENT_ID)."""
    if caller.oauth_client_id is not None:
        return caller.oauth_client_id
    token = _v2_param(params, "botToken", "BOT_TOKEN", "clientId", "CLIENT_ID")
    if token is None:
        raise ApiError("BOT_TOKEN_NOT_SPECIFIED", "Bot token not specified (botToken is required for webhook auth)")
    return "custom" + str(token)


def _v2_bot(bot: Record, owner: str) -> dict[str, Any]:
    """The Bot object; the owner also sees moduleId, eventMode and the counters."""
    item: dict[str, Any] = {
        "id": bot.id,
        "code": bot.data["CODE"],
        "type": V2_TYPES.get(bot.data["TYPE"], "bot"),
        "isHidden": False,
        "isSupportOpenline": bot.data["OPENLINE"] == "Y",
        "isReactionsEnabled": True,
        "backgroundId": None,
        "language": PORTAL_LANGUAGE,
    }
    if bot.owner == owner:
        item.update(moduleId="rest", eventMode="webhook", countMessage=0, countCommand=0, countChat=0, countUser=0)
    return item


def _v2_user(bot: Record) -> dict[str, Any]:
    """The bot's User object: its profile as the messenger shows it (colour as hex)."""
    props = bot.data["PROPERTIES"]
    first, last = props.get("NAME", ""), props.get("LAST_NAME", "")
    return {
        "id": bot.id,
        "active": True,
        "name": " ".join(p for p in (first, last) if p),
        "firstName": first,
        "lastName": last,
        "workPosition": props.get("WORK_POSITION", ""),
        "color": COLOR_HEX.get(props.get("COLOR", ""), ""),
        "gender": props.get("PERSONAL_GENDER", ""),
        "avatar": "",
        "bot": True,
        "type": "bot",
    }


def v2_bot_get(store: Store, caller: Caller, params: dict[str, Any]) -> Any:
    """By botId (any owner) or by code (first match); brief format for other owners' bots."""
    owner = _v2_owner(caller, params)
    bot_id, code = _v2_param(params, "botId", "BOT_ID"), _v2_param(params, "code", "CODE")
    if bot_id is not None:
        bot = store.get("bot", _int(bot_id))
    elif code is not None:
        bot = next(iter(store.find("bot", limit=1, CODE=str(code))), None)
    else:
        raise ApiError("PARAMS_REQUIRED", "botId or code is required")
    if bot is None:
        raise ApiError("BOT_NOT_FOUND", "Bot not found")
    return {"bot": _v2_bot(bot, owner), "users": [_v2_user(bot)]}


def v2_bot_list(store: Store, caller: Caller, params: dict[str, Any]) -> Any:
    """The caller's bots only, a page at a time; hasNextPage is simply "the page is full"."""
    owner = _v2_owner(caller, params)
    limit = _int(_v2_param(params, "limit", "LIMIT")) or 50
    offset = max(0, _int(_v2_param(params, "offset", "OFFSET")))
    page = store.find("bot", limit=limit, offset=offset, owner=owner)
    return {
        "bots": [_v2_bot(b, owner) for b in page],
        "users": [_v2_user(b) for b in page],
        "hasNextPage": len(page) == limit,
    }


def _v2_command(command: Record) -> dict[str, Any]:
    """A command as Command.list shows it: texts only in the portal language."""
    lang = command.data.get("LANG", [])
    text = next((e for e in lang if e["LANGUAGE_ID"] == PORTAL_LANGUAGE), lang[0] if lang else {})
    return {
        "id": command.id,
        "botId": command.data["BOT_ID"],
        "command": "/" + command.data["COMMAND"],
        "title": text.get("TITLE", ""),
        "params": text.get("PARAMS", ""),
        "common": command.data["COMMON"] == "Y",
        "hidden": command.data["HIDDEN"] == "Y",
        "extranetSupport": command.data["EXTRANET_SUPPORT"] == "Y",
        "category": "",
        "context": "",
    }


def v2_command_list(store: Store, caller: Caller, params: dict[str, Any]) -> Any:
    """Every command of one of the caller's bots (no pagination)."""
    owner = _v2_owner(caller, params)
    bot_id = _int(_v2_param(params, "botId", "BOT_ID"))
    if not bot_id:
        raise ApiError("BOT_ID_REQUIRED", "botId is required")
    bot = store.get("bot", bot_id)
    if bot is None:
        raise ApiError("BOT_NOT_FOUND", "Bot not found")
    if bot.owner != owner:
        raise ApiError("BOT_OWNERSHIP_ERROR", "Bot was installed by another rest application", 403)
    commands = store.find("command", BOT_ID=bot.id)
    return {"commands": [_v2_command(c) for c in commands]}


V2_METHODS: dict[str, Method] = {
    "imbot.v2.bot.get": v2_bot_get,
    "imbot.v2.bot.list": v2_bot_list,
    "imbot.v2.command.list": v2_command_list,
}
"""imbot.v2 controllers, which take their parameters as sent (case preserved)."""

METHODS: dict[str, Method] = {
    "imbot.register": bot_register,
    "imbot.update": bot_update,
    "imbot.unregister": bot_unregister,
    "imbot.bot.list": bot_list,
    "imbot.app.register": app_register,
    "imbot.app.update": app_update,
    "imbot.app.unregister": _unregister("app", "APP_ID", "CHAT_APP_ID_ERROR", "App not found"),
    "imbot.command.register": command_register,
    "imbot.command.update": command_update,
    "imbot.command.unregister": _unregister("command", "COMMAND_ID", "COMMAND_ID_ERROR", "Command not found"),
}
