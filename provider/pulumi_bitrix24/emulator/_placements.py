"""Messenger widgets: placement.bind / unbind / get / list, and the app.info and user.admin reads beside them.

Docs (bitrix24/b24restdocs): api-reference/widgets/placement-bind.md (and -unbind, -get, -list),
api-reference/widgets/im/index.md and widgets/mobile-app.md (the messenger codes and their options). Where the
pages are silent the behaviour follows the rest module's Api\\Placement (permission, option defaults and casting,
uniqueness, unbind counting) and the im module's V2\\Marketplace\\Placement and RegistrationValidator (option
checks), as read in the public dump yuliai/bitrix-modules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .._palette import COLOR_HEX
from ._methods import ApiError, Caller, Method
from ._store import Store

APP_NAME = "Emulated local app"
"""The title a handler gets when bound without any title (the app's name, as the rest module does)."""
CONTEXTS = frozenset({"ALL", "USER", "CHAT", "LINES", "CRM"})
ROLES = frozenset({"USER", "ADMIN"})


@dataclass(frozen=True)
class Option:
    """One declared option of a placement: its type, its default and whether bind requires it."""

    type: str
    default: Any = None
    required: bool = False


_ICON = Option("string", required=True)
_EXTRANET, _CONTEXT, _ROLE = Option("string", "N"), Option("string", "ALL"), Option("string", "USER")
_COLOR, _SIZE = Option("string"), Option("int", 100)

PLACEMENTS: dict[str, tuple[dict[str, Option], tuple[str, ...]]] = {
    "IM_TEXTAREA": (
        {"iconName": _ICON, "extranet": _EXTRANET, "context": _CONTEXT, "role": _ROLE, "color": _COLOR,
         "width": _SIZE, "height": _SIZE},
        ("iconName", "extranet", "context", "role", "color", "height", "width"),
    ),
    "IM_SIDEBAR": (
        {"iconName": _ICON, "extranet": _EXTRANET, "context": _CONTEXT, "role": _ROLE, "color": _COLOR},
        ("iconName", "extranet", "context", "role", "color"),
    ),
    "IM_CONTEXT_MENU": (
        {"extranet": _EXTRANET, "context": _CONTEXT, "role": _ROLE},
        ("extranet", "context", "role"),
    ),
    "IM_NAVIGATION": (
        {"iconName": _ICON, "extranet": _EXTRANET, "role": _ROLE},
        ("iconName", "extranet", "role"),
    ),
    "IM_SMILES_SELECTOR": ({"extranet": _EXTRANET, "role": _ROLE, "context": _CONTEXT}, ()),
    # The mobile placement's declaration is not in the dump; its options and checks follow widgets/mobile-app.md.
    "IMMOBILE_CONTEXT_MENU": (
        {"context": _CONTEXT, "extranet": _EXTRANET, "role": _ROLE},
        ("extranet", "context", "role"),
    ),
}  # fmt: skip
"""Each messenger placement code: its declared options, and the option checks its register callback runs."""


ADMIN_USER_ID = 1
"""The emulated portal's administrator; every other user id is a plain employee."""


def _is_admin(caller: Caller) -> bool:
    return caller.user_id == ADMIN_USER_ID


def _application(caller: Caller) -> str:
    """The calling OAuth app; webhooks and frame sessions are refused (Api\\Placement::getApplicationInfo)."""
    if caller.oauth_client_id is None:
        raise ApiError(
            "WRONG_AUTH_TYPE", "Current authorization type is denied for this method Application context required", 403
        )
    return caller.oauth_client_id


def _administering(store: Store, caller: Caller) -> str:
    """bind, unbind and get need an app token of a portal administrator (Api\\Placement::checkPermission)."""
    app = _application(caller)
    if not _is_admin(caller):
        raise ApiError("ACCESS_DENIED", "Access denied!", 403)
    return app


def _placement_code(params: dict[str, Any]) -> str:
    code = params.get("PLACEMENT")
    if not isinstance(code, str):
        raise ApiError("ERROR_ARGUMENT", "Argument 'PLACEMENT' must be of type string", 400)
    if not code:
        raise ApiError("ERROR_ARGUMENT", "Argument 'PLACEMENT' is null or empty", 400)
    return code.upper()


def _check_handler(handler: Any) -> str:
    """A handler must be an http(s) URL whose host has a dot (HandlerHelper::checkCallback)."""
    if not handler:
        raise ApiError("ERROR_ARGUMENT", "Argument 'HANDLER' is null or empty", 400)
    parts = urlsplit(str(handler))
    if "." not in (parts.hostname or ""):
        raise ApiError("ERROR_WRONG_HANDLER_URL", "Wrong handler URL", 400)
    if parts.scheme not in ("http", "https"):
        raise ApiError("ERROR_UNSUPPORTED_PROTOCOL", "Unsupported event handler protocol", 400)
    return str(handler)


def _options(declared: dict[str, Option], given: Any) -> dict[str, Any]:
    """Only declared keys are kept, defaults filled in and values cast to the declared type; unknown keys are
    dropped silently (Api\\Placement::prepareOptions)."""
    if not declared:
        return {}
    given = given if isinstance(given, dict) else {}
    for name, option in declared.items():
        if option.required and name not in given:
            raise ApiError("ERROR_ARGUMENT", f"Argument '{name}' is null or empty", 400)
    kept: dict[str, Any] = {}
    for name, option in declared.items():
        value = given.get(name, option.default)
        kept[name] = _as_int(value) if option.type == "int" else "" if value is None else str(value)
    return kept


def _as_int(value: Any) -> int:
    """PHP's (int) cast: leading digits count, anything else is 0."""
    match = re.match(r"\s*[+-]?\d+", str(value or ""))
    return int(match.group()) if match else 0


def _option_problem(options: dict[str, Any], checks: tuple[str, ...]) -> tuple[str, str] | None:
    """The im module's checks of a messenger placement; like RegistrationValidator, the last failing one wins."""
    problem = None
    for name in checks:
        value = options.get(name)
        if name == "iconName":
            if not value:
                problem = ("EMPTY_ERROR_ICON_NAME", "Field iconName is empty.")
            elif len(value) > 50 or not re.search(r"[a-zA-Z \-]", value):
                problem = ("INVALID_ERROR_ICON_NAME", "Field iconName is invalid.")
        elif name == "extranet" and value not in ("N", "Y"):
            problem = ("INVALID_ERROR_EXTRANET", "Field extranet is invalid.")
        elif name == "context" and not set(str(value).strip().split(";")) <= CONTEXTS:
            problem = ("INVALID_ERROR_CONTEXT", "Field context is invalid.")
        elif name == "role" and value not in ROLES:
            problem = ("INVALID_ERROR_ROLE", "Field role is invalid.")
        elif name == "color" and value != "" and value not in COLOR_HEX:
            problem = ("INVALID_ERROR_COLOR", "Field color is invalid.")
        elif name in ("width", "height") and _as_int(value) < 0:
            problem = (f"INVALID_ERROR_{name.upper()}", f"Field {name} is invalid.")
    return problem


def _texts(params: dict[str, Any]) -> dict[str, dict[str, str]]:
    """LANG_ALL wins over the top-level TITLE/DESCRIPTION/GROUP_NAME, which go to the portal's language."""
    lang_all = params.get("LANG_ALL")
    if isinstance(lang_all, dict) and lang_all:
        return {
            str(lang): {f: str((item if isinstance(item, dict) else {}).get(f) or "").strip() for f in _TEXT_FIELDS}
            for lang, item in lang_all.items()
        }
    if not any(params.get(f) for f in _TEXT_FIELDS):
        return {}
    return {PORTAL_LANGUAGE: {f: str(params.get(f) or "").strip() for f in _TEXT_FIELDS}}


_TEXT_FIELDS = ("TITLE", "DESCRIPTION", "GROUP_NAME")
PORTAL_LANGUAGE = "en"


def placement_bind(store: Store, caller: Caller, params: dict[str, Any]) -> Any:
    """Bind a handler to a placement; (app, placement, handler) is unique."""
    app = _administering(store, caller)
    code = _placement_code(params)
    if code == "DEFAULT":
        raise ApiError("ERROR_ARGUMENT", "Wrong value of argument 'PLACEMENT'", 400)
    handler = _check_handler(params.get("HANDLER"))
    if code not in PLACEMENTS:
        raise ApiError("ERROR_PLACEMENT_NOT_FOUND", "Placement not found", 400)
    if params.get("USER_ID") not in (None, "", "0", 0):
        raise ApiError("ERROR_PLACEMENT_USER_MODE", "User mode is not available.", 400)
    declared, checks = PLACEMENTS[code]
    options = _options(declared, params.get("OPTIONS"))
    texts = _texts(params)
    problem = _option_problem(options, checks)
    if problem is not None:
        # The register callback's {error, error_description} is passed through without an exception: HTTP 200.
        raise ApiError(*problem, 200)
    if _bound(store, app, code, handler):
        raise ApiError("ERROR_CORE", "Unable to set placement handler: Handler already binded", 400)
    langs = texts or {PORTAL_LANGUAGE: {"TITLE": APP_NAME, "DESCRIPTION": "", "GROUP_NAME": ""}}
    store.insert("placement", app, {"PLACEMENT": code, "HANDLER": handler, "OPTIONS": options, "LANG_ALL": langs})
    return True


def _bound(store: Store, app: str, code: str, handler: str | None = None) -> list[int]:
    """Ids of the app's rows for a placement (and handler, when given), oldest first."""
    rows = store.find("placement", owner=app)
    return [r.id for r in rows if r.data["PLACEMENT"] == code and handler in (None, r.data["HANDLER"])]


def placement_unbind(store: Store, caller: Caller, params: dict[str, Any]) -> Any:
    """Unbind the app's handler, or every handler of the placement when HANDLER is empty.

    The rest module counts each deleted row twice (once found, once deleted), so one handler answers count 2.
    """
    app = _administering(store, caller)
    code = _placement_code(params)
    if code not in PLACEMENTS:
        return {"count": 0}
    rows = _bound(store, app, code, str(params["HANDLER"]) if params.get("HANDLER") else None)
    for row in rows:
        store.delete(row)
    return {"count": 2 * len(rows)}


def placement_get(store: Store, caller: Caller, params: dict[str, Any]) -> Any:
    """Every handler of the calling app, stored options included, ordered by id."""
    app = _administering(store, caller)
    result = []
    for row in store.find("placement", owner=app):
        langs: dict[str, dict[str, str]] = row.data["LANG_ALL"]
        default = langs.get(PORTAL_LANGUAGE) or next(iter(langs.values()), {})
        result.append(
            {
                "id": row.id,
                "placement": row.data["PLACEMENT"],
                "userId": 0,
                "handler": row.data["HANDLER"],
                "options": row.data["OPTIONS"] or [],
                "title": default.get("TITLE", ""),
                "description": default.get("DESCRIPTION", ""),
                "langAll": langs,
            }
        )
    return result


def placement_list(store: Store, caller: Caller, params: dict[str, Any]) -> Any:
    """The placement codes the app may bind; any user of the app may ask."""
    _application(caller)
    return sorted(PLACEMENTS)


def app_info(store: Store, caller: Caller, params: dict[str, Any]) -> Any:
    """The calling app (an installed local app), or for a webhook its scopes (CRestProvider::appInfo)."""
    if caller.oauth_client_id is None:
        return {"SCOPE": list(caller.scopes), "LICENSE": "en_selfhosted"}
    return {
        "ID": store.oauth_app_number(caller.oauth_client_id),
        "CODE": caller.oauth_client_id,
        "VERSION": 1,
        "STATUS": "L",
        "INSTALLED": True,
        "PAYMENT_EXPIRED": "N",
        "DAYS": None,
        "LANGUAGE_ID": PORTAL_LANGUAGE,
        "LICENSE": "en_selfhosted",
    }


def user_admin(store: Store, caller: Caller, params: dict[str, Any]) -> Any:
    """Whether the user behind the token or webhook is a portal administrator (rest Api\\User::isAdmin)."""
    return _is_admin(caller)


PLACEMENT_METHODS: dict[str, Method] = {
    "placement.bind": placement_bind,
    "placement.unbind": placement_unbind,
    "placement.get": placement_get,
    "placement.list": placement_list,
}
"""Methods of the `placement` scope; top-level parameter names are case-insensitive (array_change_key_case)."""
GLOBAL_METHODS: dict[str, Method] = {"app.info": app_info, "user.admin": user_admin}
"""Methods every token or webhook may call, whatever its scopes."""
