"""ChatApp: a Bitrix24 chat application (JS command or IFRAME app) managed through imbot.app.*.

Docs (bitrix24/b24restdocs): api-reference/chats/outdated/chat-apps.md, create-app/imbot-app-register.md,
create-app/imbot-app-update.md, create-app/imbot-app-unregister.md, icon.md and context.md in the same folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pulumi
from pulumi.dynamic import ReadResult
from pydantic import AfterValidator, Field, StrictBool

from ._batching import Ref, SubCall
from ._errors import CHAT_APP_ID_ERROR, AppGoneError, ImportRefusedError, NotFoundError
from ._resource import (
    BitrixProvider,
    Failure,
    FileLimit,
    flag,
    image_failures,
    lang_entries,
)
from ._rules import (
    AT_LEAST_ONE,
    PRINTABLE,
    UNIQUE_LANGUAGES,
    HttpsUrl,
    LanguageModel,
    OnPortal,
    Text,
    WholeNumber,
    at_least,
    one_of,
)

JsMethod = Literal["PUT", "SEND", "CALL", "SUPPORT"]
Context = Literal[
    "ALL", "USER", "CHAT", "BOT", "LINES", "CALL",
    "ALL-admin", "USER-admin", "CHAT-admin", "BOT-admin", "LINES-admin", "CALL-admin",
]  # fmt: skip
"""Where the icon shows (api-reference/chats/outdated/context.md); "-admin": to administrators only."""
ICON_SIZE = (108, 66)
ICON_LIMIT = FileLimit(2**20, "a 108x66 PNG icon takes a few KB; api-reference/chats/outdated/icon.md")
IFRAME_ONLY = ("iframe_width", "iframe_height", "hash")
JS_KIND = ("js_method", "js_param")
COMMAND = (
    re.compile(r"/[A-Za-z0-9_+-]{2,}( [A-Za-z0-9_+/-]+)*"),
    'a command: "/" and at least 2 of A-Z a-z 0-9 _ + -, optionally followed by parameters, each one space and '
    "then one or more of A-Z a-z 0-9 _ + - / (no leading, trailing or double spaces), e.g. /help or /help topic",
)
JS_PARAM_RULES: dict[str, tuple[re.Pattern[str], str]] = {
    "PUT": COMMAND,
    "SEND": COMMAND,
    "CALL": (
        re.compile(r"[0-9 ()#+-]*[0-9][0-9 ()#+-]*"),
        "a phone number: digits, spaces and ( ) # + - only, at least one digit, e.g. +1 (555) 010-9999",
    ),
    "SUPPORT": (
        re.compile(r"[0-9a-fA-F]{32}"),
        "a 32-character hex Open Channel code: exactly 32 of 0-9 a-f A-F",
    ),
}
"""JS_PARAM per JS_METHOD, as the portal parses it (api-reference/chats/outdated/create-app/imbot-app-register.md)."""
FLAGS = ("extranet_support", "livechat_support", "iframe_popup", "hidden")


@dataclass
class Translation:
    """Title and texts of the app in one language (one LANG entry).

    Args:
        language_id: two lowercase letters, e.g. "en"; each language at most once per app. The docs advise
            at least "en" and "de".
        title: the app's name in that language, at least 1 character (the portal skips entries without one).
        description: the tooltip text; optional.
        copyright: IFRAME apps: the author shown in the frame; optional.
    """

    language_id: pulumi.Input[str]
    title: pulumi.Input[str]
    description: pulumi.Input[str] | None = None
    copyright: pulumi.Input[str] | None = None


@dataclass
class ChatAppArgs:
    """Arguments of a ChatApp: an IFRAME app (`iframe`) or a JS app (`js_method` + `js_param`), never both.

    `pulumi preview` checks every rule below before any request; each argument may also be a Pulumi output.

    Args:
        bot_id: the bot that owns the app, e.g. `bot.bot_id`; a whole number of at least 1. Changing it
            replaces the app.
        code: the app's code, unique per bot: 1 to 255 characters, not only spaces. Changing it replaces the app.
        translations: a list of at least one Translation, language ids unique.
        iframe: IFRAME app: the page the icon opens. An https:// URL with a real host (a DNS name or an IP
            address), without user:password@ and without whitespace or control characters anywhere.
        iframe_width: IFRAME app: frame width in px, a whole number of at least 250 (the portal would silently
            raise a smaller one); default 320.
        iframe_height: IFRAME app: frame height in px, a whole number of at least 50; default 250.
        hash: IFRAME app, required: exactly 32 characters (the portal would cut a longer one); your page uses
            it to check the request's signature. Stored as a secret.
        js_method: JS app: "PUT" puts a command into the input field, "SEND" sends it, "CALL" dials a phone
            number, "SUPPORT" opens an Open Channel support chat.
        js_param: JS app, what js_method acts on. PUT and SEND: "/" and at least 2 of A-Z a-z 0-9 _ + -,
            optionally followed by parameters, each one space and then one or more of A-Z a-z 0-9 _ + - /
            (no leading, trailing or double spaces), e.g. "/help topic". CALL: a phone number of digits,
            spaces and ( ) # + -, at least one digit. SUPPORT: the Open Channel's code, exactly 32 hex digits.
        icon_path: a PNG of exactly 108x66 px (left half inactive, right half active), at most 1 MiB, relative
            to the program's working directory; its size is checked before it is read. Without an icon the
            portal groups the app under "Chat Applications"; removing it later keeps the old icon.
        context: where the icon shows: "ALL" (default), "USER" (one-to-one chats), "CHAT" (group chats),
            "BOT" (chats with this bot), "LINES" (Open Channels) or "CALL" (telephony chats); each with the
            suffix "-admin" (e.g. "BOT-admin") shows it to administrators only.
        extranet_support: whether extranet users get the app; default False.
        livechat_support: whether the app works in Open Channel live chats; default False.
        iframe_popup: IFRAME app: the frame stays open, movable, while the user switches dialogs; default False.
        hidden: keep the icon off the input panel (the app is then opened from message buttons); default
            False. Changing it replaces the app.
        portal: the portal to manage it on: a name of bitrix24:portals ("Many portals" in the README); default
            the single-portal settings. Changing it replaces the object.
    """

    bot_id: pulumi.Input[int]
    code: pulumi.Input[str]
    translations: list[Translation]
    iframe: pulumi.Input[str] | None = None
    iframe_width: pulumi.Input[int] | None = None
    iframe_height: pulumi.Input[int] | None = None
    hash: pulumi.Input[str] | None = None
    js_method: pulumi.Input[JsMethod] | None = None
    js_param: pulumi.Input[str] | None = None
    icon_path: pulumi.Input[str] | None = None
    context: pulumi.Input[Context] | None = None
    extranet_support: pulumi.Input[bool] | None = None
    livechat_support: pulumi.Input[bool] | None = None
    iframe_popup: pulumi.Input[bool] | None = None
    hidden: pulumi.Input[bool] | None = None
    portal: pulumi.Input[str] | None = None


def _exact_length(value: str) -> str:
    if len(value) != 32:
        raise ValueError(f"must be exactly 32 characters (got {len(value)}); the portal would cut it")
    return value


class TranslationModel(LanguageModel):
    description: Text | None = None
    copyright: Text | None = None


class ChatAppModel(OnPortal):
    """Per-field rules of ChatApp inputs (api-reference/chats/outdated/create-app/imbot-app-register.md)."""

    bot_id: Annotated[WholeNumber, at_least(1, "(a bot id from imbot.register)")]
    code: Annotated[str, Field(min_length=1, max_length=255, pattern=r"\S"), PRINTABLE]
    translations: Annotated[list[TranslationModel], AT_LEAST_ONE, UNIQUE_LANGUAGES]
    iframe: HttpsUrl | None = None
    iframe_width: Annotated[WholeNumber, at_least(250, "px; the portal would silently raise it")] | None = None
    iframe_height: Annotated[WholeNumber, at_least(50, "px; the portal would silently raise it")] | None = None
    hash: Annotated[Text, AfterValidator(_exact_length)] | None = None
    js_method: JsMethod | None = None
    js_param: Text | None = None
    icon_path: str | None = None
    icon_base64: str | None = None
    icon_sha256: str | None = None
    context: Annotated[
        Context, one_of(Context, 'ALL, USER, CHAT, BOT, LINES or CALL, each optionally with "-admin" (e.g. BOT-admin)')
    ] = "ALL"
    extranet_support: StrictBool = False
    livechat_support: StrictBool = False
    iframe_popup: StrictBool = False
    hidden: StrictBool = False


def app_kind(values: dict[str, Any]) -> str | None:
    """IFRAME, JS, or None when neither (or both) are declared."""
    has_iframe = values.get("iframe") is not None
    has_js = any(values.get(k) is not None for k in JS_KIND)
    return "IFRAME" if has_iframe and not has_js else "JS" if has_js and not has_iframe else None


class ChatAppProvider(BitrixProvider[int]):
    """A Bitrix24 chat application: an icon in a bot's chats that sends a command or opens your page.

    Portal methods imbot.app.register / update / unregister (api-reference/chats/outdated/chat-apps.md);
    they work in the old messenger only. Changing bot_id, code, hidden or the kind (IFRAME or JS) replaces
    the app; any other change is one imbot.app.update. An app with the same bot and code that already
    exists is taken over (the portal cannot list apps).
    """

    model = ChatAppModel
    kind = "chat app"
    identity = ("bot_id", "code")
    replace_on = ("bot_id", "code", "hidden")
    create_only = ()
    lists_existing = False
    methods = ("imbot.app.register", "imbot.app.update", "imbot.app.unregister")
    id_param, id_output, not_found_code = "APP_ID", "app_id", CHAT_APP_ID_ERROR

    def imported(self, import_id: str) -> ReadResult:
        raise ImportRefusedError(
            "a chat app cannot be imported: the REST API has no method that reads one. Declare it instead, with "
            "its bot and code as on the portal: its first `pulumi up` takes over the app with that bot and code"
        )

    def cross_failures(self, values: dict[str, Any], unknown: set[str]) -> list[Failure]:
        if unknown & {"iframe", *JS_KIND}:
            return []
        failures: list[Failure] = []
        has_iframe, has_js = "iframe" in values, any(k in values for k in JS_KIND)
        if has_iframe == has_js:
            failures.append(("iframe", "set exactly one kind: iframe (IFRAME app) or js_method + js_param (JS app)"))
        elif has_js:
            failures += self._js_failures(values)
            failures += [(k, "applies to IFRAME apps only") for k in IFRAME_ONLY if k in values]
        elif "hash" not in values and "hash" not in unknown:
            failures.append(("hash", "is required for IFRAME apps (32 characters, used to sign requests)"))
        if isinstance(values.get("icon_path"), str) and "icon_base64" not in unknown:
            failures += image_failures("icon_path", values.get("icon_base64"), ["PNG"], exact=ICON_SIZE)
        return failures

    @staticmethod
    def _js_failures(values: dict[str, Any]) -> list[Failure]:
        method, param = values.get("js_method"), values.get("js_param")
        if method is None or param is None:
            return [("js_method" if method is None else "js_param", "JS apps need both js_method and js_param")]
        rule = JS_PARAM_RULES.get(str(method))
        if rule is not None and not rule[0].fullmatch(str(param)):
            return [("js_param", f"for js_method {method} must be {rule[1]}; got {param!r}")]
        return []

    def defaults(self, values: dict[str, Any], unknown: set[str]) -> dict[str, Any]:
        if app_kind(values) == "IFRAME":
            return {"iframe_width": 320, "iframe_height": 250}
        return {}

    def replacements(self, changed: list[str], olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
        replaces = super().replacements(changed, olds, news)
        if app_kind(olds) != app_kind(news):
            replaces += [k for k in ("iframe", "js_method") if k in changed and k not in replaces]
        return replaces

    # --- REST ------------------------------------------------------------------------------------
    def fields(self, props: dict[str, Any]) -> dict[str, Any]:
        """FIELDS of the app's own kind only, so an update never mixes IFRAME and JS settings."""
        if app_kind(props) == "IFRAME":
            fields: dict[str, Any] = {
                "IFRAME": props["iframe"],
                "IFRAME_WIDTH": props["iframe_width"],
                "IFRAME_HEIGHT": props["iframe_height"],
                "HASH": props["hash"],
            }
        else:
            fields = {"JS_METHOD": props["js_method"], "JS_PARAM": props["js_param"]}
        fields["CONTEXT"] = props["context"]
        fields.update({k.upper(): flag(props[k]) for k in FLAGS})
        fields["LANG"] = lang_entries(props["translations"])
        if props.get("icon_base64"):
            fields["ICON_FILE"] = props["icon_base64"]
        return fields

    def register_params(self, props: dict[str, Any]) -> dict[str, Any]:
        return {"BOT_ID": int(props["bot_id"]), "CODE": props["code"], **self.fields(props)}

    def register(self, props: dict[str, Any]) -> int:
        """Register, then converge, in one request: apps cannot be listed, and register answers an app that
        already has this bot and code with its id, unchanged, so the update makes it what the program says."""
        register, update, _ = self.methods
        calls = [
            SubCall(register, self.register_params(props)),
            SubCall(update, {self.id_param: Ref(0), "FIELDS": self.fields(props)}),
        ]
        try:
            app_id, _ = self.client(props).call_group(calls)
        except NotFoundError as exc:
            raise self.naming_bot(exc, props) from None
        return int(app_id)

    def converge(self, object_id: int, props: dict[str, Any], olds: dict[str, Any] | None = None) -> None:
        try:
            super().converge(object_id, props, olds)
        except NotFoundError as exc:
            if exc.code != CHAT_APP_ID_ERROR:
                raise
            raise AppGoneError(exc.method, exc.code, f"chat app {object_id} is gone from the portal") from None

    def read_back(self, object_id: int, props: dict[str, Any]) -> dict[str, Any] | None:
        """No REST method reads chat apps; the portal deletes them with their bot, so a gone bot means a gone app."""
        try:
            self.client(props).call("imbot.v2.Bot.get", {"botId": int(props["bot_id"])})
        except NotFoundError:
            return None
        return props
