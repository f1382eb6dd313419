"""ChatApp: a Bitrix24 chat application (JS command or IFRAME app) managed through imbot.app.*.

Docs: api-reference/chats/outdated/chat-apps.md and its imbot-app-register.md / update / unregister pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pulumi
from pulumi.dynamic import Resource
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool

from ._batching import Ref, SubCall
from ._errors import CHAT_APP_ID_ERROR, AppGoneError, NotFoundError
from ._program import bot_reference, declare, refuse_import
from ._resource import BitrixProvider, Failure, flag, image_failures, lang_entries, read_image_base64
from ._rules import AT_LEAST_ONE, UNIQUE_LANGUAGES, HttpsUrl, LanguageModel, at_least, full_match

ICON_SIZE = (108, 66)
IFRAME_ONLY = ("iframe_width", "iframe_height", "hash")
JS_KIND = ("js_method", "js_param")
JS_PARAM_RULES = {
    "PUT": (re.compile(r"/[A-Za-z0-9_+-]{2,}( [A-Za-z0-9_+/-]+)*"), "a command such as /help [params]"),
    "SEND": (re.compile(r"/[A-Za-z0-9_+-]{2,}( [A-Za-z0-9_+/-]+)*"), "a command such as /help [params]"),
    "CALL": (re.compile(r"[0-9 ()#+-]*[0-9][0-9 ()#+-]*"), "a phone number (digits, space, - + ( ) #)"),
    "SUPPORT": (re.compile(r"[0-9a-fA-F]{32}"), "a 32-character hex Open Channel code"),
}
CONTEXT_RULE = re.compile(r"(ALL|USER|CHAT|BOT|LINES|CALL)(-admin)?")
FLAGS = ("extranet_support", "livechat_support", "iframe_popup", "hidden")


@dataclass
class Translation:
    """Title and texts of the app in one language (LANG entry)."""

    language_id: pulumi.Input[str]
    title: pulumi.Input[str]
    description: pulumi.Input[str] | None = None
    copyright: pulumi.Input[str] | None = None


@dataclass
class ChatAppArgs:
    """Arguments of a ChatApp: either `iframe` (IFRAME app) or `js_method` + `js_param` (JS app)."""

    bot_id: pulumi.Input[int]
    code: pulumi.Input[str]
    translations: list[Translation]
    iframe: pulumi.Input[str] | None = None
    iframe_width: pulumi.Input[int] | None = None
    iframe_height: pulumi.Input[int] | None = None
    hash: pulumi.Input[str] | None = None
    js_method: pulumi.Input[str] | None = None
    js_param: pulumi.Input[str] | None = None
    icon_path: pulumi.Input[str] | None = None
    context: pulumi.Input[str] | None = None
    extranet_support: pulumi.Input[bool] | None = None
    livechat_support: pulumi.Input[bool] | None = None
    iframe_popup: pulumi.Input[bool] | None = None
    hidden: pulumi.Input[bool] | None = None


def _exact_length(value: str) -> str:
    if len(value) != 32:
        raise ValueError(f"must be exactly 32 characters (got {len(value)}); the portal would cut it")
    return value


class TranslationModel(LanguageModel):
    description: str | None = None
    copyright: str | None = None


class ChatAppModel(BaseModel):
    """Per-field rules of ChatApp inputs (facts §5.1)."""

    model_config = ConfigDict(extra="ignore")
    bot_id: Annotated[int, at_least(1, "(a bot id from imbot.register)")]
    code: Annotated[str, Field(min_length=1, max_length=255, pattern=r"\S")]
    translations: Annotated[list[TranslationModel], AT_LEAST_ONE, UNIQUE_LANGUAGES]
    iframe: HttpsUrl | None = None
    iframe_width: Annotated[int, at_least(250, "px; the portal would silently raise it")] | None = None
    iframe_height: Annotated[int, at_least(50, "px; the portal would silently raise it")] | None = None
    hash: Annotated[str, AfterValidator(_exact_length)] | None = None
    js_method: Literal["PUT", "SEND", "CALL", "SUPPORT"] | None = None
    js_param: str | None = None
    icon_path: str | None = None
    icon_base64: str | None = None
    context: Annotated[str, full_match(CONTEXT_RULE, "ALL, USER, CHAT, BOT, LINES or CALL, optionally -admin")] = "ALL"
    extranet_support: StrictBool = False
    livechat_support: StrictBool = False
    iframe_popup: StrictBool = False
    hidden: StrictBool = False


def app_kind(values: dict[str, Any]) -> str | None:
    """IFRAME, JS, or None when neither (or both) are declared."""
    has_iframe = values.get("iframe") is not None
    has_js = any(values.get(k) is not None for k in JS_KIND)
    return "IFRAME" if has_iframe and not has_js else "JS" if has_js and not has_iframe else None


class ChatAppProvider(BitrixProvider):
    """CRUD of one chat app through imbot.app.register / update / unregister."""

    model = ChatAppModel
    kind = "chat app"
    identity = ("bot_id", "code")
    replace_on = ("bot_id", "code", "hidden")
    create_only = ()
    lists_existing = False
    methods = ("imbot.app.register", "imbot.app.update", "imbot.app.unregister")
    id_param, id_output, not_found_code = "APP_ID", "app_id", CHAT_APP_ID_ERROR

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
        if "icon_path" in values and "icon_base64" not in unknown:
            failures += image_failures("icon_path", values.get("icon_base64"), ["PNG"], exact=ICON_SIZE)
        return failures

    @staticmethod
    def _js_failures(values: dict[str, Any]) -> list[Failure]:
        method, param = values.get("js_method"), values.get("js_param")
        if method is None or param is None:
            return [("js_method" if method is None else "js_param", "JS apps need both js_method and js_param")]
        rule = JS_PARAM_RULES.get(str(method))
        if rule is not None and not rule[0].fullmatch(str(param)):
            return [("js_param", f"for js_method {method} must be {rule[1]}")]
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
            app_id, _ = self.client().call_group(calls)
        except NotFoundError as exc:
            raise self.naming_bot(exc, props) from None
        return int(app_id)

    def converge(self, object_id: int, props: dict[str, Any]) -> None:
        try:
            super().converge(object_id, props)
        except NotFoundError as exc:
            if exc.code != CHAT_APP_ID_ERROR:
                raise
            raise AppGoneError(exc.method, exc.code, f"chat app {object_id} is gone from the portal") from None

    def read_back(self, object_id: int, props: dict[str, Any]) -> dict[str, Any] | None:
        """No REST method reads chat apps; the portal deletes them with their bot, so a gone bot means a gone app."""
        try:
            self.client().call("imbot.v2.Bot.get", {"botId": int(props["bot_id"])})
        except NotFoundError:
            return None
        return props


class ChatApp(Resource, module="bitrix24", name="ChatApp"):
    """A Bitrix24 chat application hung on a bot; `app_id` is its portal id."""

    app_id: pulumi.Output[int]
    bot_id: pulumi.Output[int]
    code: pulumi.Output[str]

    def __init__(self, resource_name: str, args: ChatAppArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        refuse_import("ChatApp", opts)
        declare("ChatApp", resource_name, {"bot_id": bot_reference(args.bot_id), "code": args.code})
        props: dict[str, Any] = {
            "bot_id": args.bot_id,
            "code": args.code,
            "iframe": args.iframe,
            "iframe_width": args.iframe_width,
            "iframe_height": args.iframe_height,
            "hash": None if args.hash is None else pulumi.Output.secret(args.hash),
            "js_method": args.js_method,
            "js_param": args.js_param,
            "icon_path": args.icon_path,
            "icon_base64": read_image_base64(args.icon_path),
            "context": args.context,
            "extranet_support": args.extranet_support,
            "livechat_support": args.livechat_support,
            "iframe_popup": args.iframe_popup,
            "hidden": args.hidden,
            "translations": [_translation_props(t) for t in args.translations],
            "app_id": None,
        }
        secret = pulumi.ResourceOptions(additional_secret_outputs=["hash"])
        super().__init__(ChatAppProvider(), resource_name, props, pulumi.ResourceOptions.merge(opts, secret))
        self.app_id = self.id.apply(int)


def _translation_props(t: Translation) -> dict[str, Any]:
    return {
        "language_id": t.language_id,
        "title": t.title,
        "description": t.description,
        "copyright": t.copyright,
    }
