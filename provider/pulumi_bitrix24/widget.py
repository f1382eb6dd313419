"""Widget: a messenger widget (an app's button, tab or menu item in the chat), managed through placement.*.

Docs (bitrix24/b24restdocs): api-reference/widgets/placement-bind.md, placement-unbind.md, placement-get.md;
api-reference/widgets/im/index.md, textarea.md, sidebar.md, context-menu.md, navigation.md and
widgets/mobile-app.md for the messenger placement codes and their options. The option defaults, checks and the
(app, placement, handler) uniqueness follow the rest module's Api\\Placement and the im module's
V2\\Marketplace\\Placement, as the facts sheet (bitrix24-next-facts.md, section 1) quotes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

import pulumi
from pulumi.dynamic import ReadResult
from pydantic import AfterValidator, BeforeValidator, Field, StrictBool

from ._batching import SubCall
from ._config import SettingsError
from ._errors import Bitrix24Error, ExistsError, ImportRefusedError, InvalidRequestError, with_detail
from ._resource import BitrixProvider, Existing, Failure, flag, is_unknown
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

PLACEMENT_OPTIONS = {
    "IM_TEXTAREA": ("icon_name", "extranet", "context", "role", "color", "width", "height"),
    "IM_SIDEBAR": ("icon_name", "extranet", "context", "role", "color"),
    "IM_CONTEXT_MENU": ("extranet", "context", "role"),
    "IM_NAVIGATION": ("icon_name", "extranet", "role"),
    "IMMOBILE_CONTEXT_MENU": ("extranet", "context", "role"),
}
"""The messenger placements and the options each one keeps (the portal silently drops any other option)."""
NEEDS_ICON = frozenset({"IM_TEXTAREA", "IM_SIDEBAR", "IM_NAVIGATION"})
ARCHIVED = {"IM_SMILES_SELECTOR": "archived since im 25.1600.0: the portal accepts it but never shows it"}
OPTION_NAMES = {
    "icon_name": "iconName",
    "extranet": "extranet",
    "context": "context",
    "role": "role",
    "color": "color",
    "width": "width",
    "height": "height",
}
"""Each option argument and its key in OPTIONS."""
OPTION_DEFAULTS: dict[str, Any] = {"extranet": False, "context": ["ALL"], "role": "USER", "width": 100, "height": 100}
"""What the portal stores for an option left out (Api\\Placement::prepareOptions fills the declared defaults)."""
Placement = Literal["IM_TEXTAREA", "IM_SIDEBAR", "IM_CONTEXT_MENU", "IM_NAVIGATION", "IMMOBILE_CONTEXT_MENU"]
Context = Literal["ALL", "USER", "CHAT", "LINES", "CRM"]
Role = Literal["USER", "ADMIN"]
WidgetColor = Literal[
    "RED", "GREEN", "MINT", "LIGHT_BLUE", "DARK_BLUE", "PURPLE", "AQUA", "PINK", "LIME", "BROWN",
    "AZURE", "KHAKI", "SAND", "ORANGE", "MARENGO", "GRAY", "GRAPHITE", "COPILOT",
]  # fmt: skip
"""The messenger palette (im Color::getColors), which, unlike a bot's colour, includes ORANGE and COPILOT."""
PORTAL_LANGUAGE = "en"
WIDGETS_NEED_OAUTH = (
    "widgets need an OAuth application: Bitrix24 refuses placement.* calls from incoming webhooks "
    "(WRONG_AUTH_TYPE). Have a portal administrator create a local application (API only, scope placement), "
    "configure bitrix24:portalUrl, bitrix24:oauthClientId, bitrix24:oauthClientSecret and bitrix24:tokenStore "
    "instead of bitrix24:webhookUrl, and take its tokens in with pulumi-bitrix24-tokens (README, 'Messenger "
    "widgets')"
)


@dataclass
class WidgetTranslation:
    """The widget's texts in one language (one LANG_ALL entry).

    Args:
        language_id: two lowercase letters, e.g. "en"; each language at most once per widget.
        title: the label users see (tab, button or menu item); at least 1 character.
        description: a longer text; optional (the messenger rarely shows it).
    """

    language_id: pulumi.Input[str]
    title: pulumi.Input[str]
    description: pulumi.Input[str] | None = None


@dataclass
class WidgetArgs:
    """Arguments of a Widget: where it appears (`placement`), the page it opens (`handler`), its label and options.

    `pulumi preview` checks every rule below before any request; each argument may also be a Pulumi output.

    Args:
        placement: where the widget appears: "IM_TEXTAREA" (app panel above the message box), "IM_SIDEBAR"
            (applications block of the chat sidebar), "IM_CONTEXT_MENU" (a message's "More" menu),
            "IM_NAVIGATION" (messenger navigation) or "IMMOBILE_CONTEXT_MENU" (apps menu of a mobile chat).
            Changing it replaces the widget.
        handler: the page the portal opens (it POSTs the widget's context to it): an https:// URL with a
            public host name (it must contain a dot). One widget per placement and handler; to show two items
            in one placement, give them different URLs (e.g. another query string). Changing it replaces it.
        title: the label, in the portal's language; give either `title` or `translations`, not both (with
            translations the portal ignores the title).
        description: a longer text next to `title`; optional.
        translations: a list of WidgetTranslation, language ids unique, instead of `title`.
        icon_name: a Font Awesome 4 icon such as "fa-paperclip", at most 50 characters; required for
            IM_TEXTAREA, IM_SIDEBAR and IM_NAVIGATION, not taken by the others.
        extranet: whether extranet users see the widget; default False.
        context: the chats it appears in, a list of "ALL" (default), "USER" (one-to-one chats), "CHAT" (group
            chats), "LINES" (open channels), "CRM" (CRM chats); "ALL" stands alone. Not for IM_NAVIGATION.
        role: "USER" (everyone, default) or "ADMIN" (portal administrators only).
        color: IM_TEXTAREA and IM_SIDEBAR: the button colour, one of the messenger palette (RED, GREEN, MINT,
            LIGHT_BLUE, DARK_BLUE, PURPLE, AQUA, PINK, LIME, BROWN, AZURE, KHAKI, SAND, ORANGE, MARENGO, GRAY,
            GRAPHITE, COPILOT); default none.
        width, height: IM_TEXTAREA: the size of the opened frame in percent, whole numbers of at least 0;
            default 100.
        portal: the portal to manage it on: a name of bitrix24:portals ("Many portals" in the README); default
            the single-portal settings. Changing it replaces the object.
        adopt: take over a widget that this OAuth app already bound with this placement and handler, instead
            of refusing to create it; default False. Matters only when the resource is created.
    """

    placement: pulumi.Input[Placement]
    handler: pulumi.Input[str]
    title: pulumi.Input[str] | None = None
    description: pulumi.Input[str] | None = None
    translations: list[WidgetTranslation] | None = None
    icon_name: pulumi.Input[str] | None = None
    extranet: pulumi.Input[bool] | None = None
    context: pulumi.Input[list[Context]] | None = None
    role: pulumi.Input[Role] | None = None
    color: pulumi.Input[WidgetColor] | None = None
    width: pulumi.Input[int] | None = None
    height: pulumi.Input[int] | None = None
    adopt: pulumi.Input[bool] | None = None
    portal: pulumi.Input[str] | None = None


def _placement(value: Any) -> Any:
    """Placement codes are written as the docs write them, in capitals, as every closed set of this package is
    (the portal would upper-case them); say why an archived one is refused."""
    if value in ARCHIVED:
        raise ValueError(f"{value} is {ARCHIVED[value]}; use IM_TEXTAREA or IM_SIDEBAR")
    if value not in PLACEMENT_OPTIONS:
        raise ValueError(f"must be one of {', '.join(PLACEMENT_OPTIONS)} (in capitals), got {value!r}")
    return value


def _public_host(value: str) -> str:
    if "." not in (urlsplit(value).hostname or ""):
        raise ValueError("must name a public host, with a dot in its name (the portal refuses others)")
    return value


def _trimmed(value: str) -> str:
    if value != value.strip():
        raise ValueError("must not begin or end with whitespace (the portal trims it, which would show as drift)")
    return value


def _context_alone(value: list[str]) -> list[str]:
    if "ALL" in value and len(value) > 1:
        raise ValueError('"ALL" already includes every chat type: give "ALL" alone, or only the types you want')
    if len(set(value)) != len(value):
        raise ValueError("must not repeat a chat type")
    order = get_args(Context)
    return sorted(value, key=order.index)  # a set of chat types: the same set in another order is no change


Label = Annotated[str, Field(min_length=1), PRINTABLE, AfterValidator(_trimmed)]
ICON_NAME = re.compile(r"[a-zA-Z \-]")


def _icon_name(value: str) -> str:
    if len(value) > 50 or not ICON_NAME.search(value):
        raise ValueError('must be a Font Awesome 4 icon name such as "fa-paperclip", at most 50 characters')
    return value


class WidgetTranslationModel(LanguageModel):
    title: Label
    description: Annotated[Text, AfterValidator(_trimmed)] | None = None


class WidgetModel(OnPortal):
    """Per-field rules of Widget inputs (api-reference/widgets/placement-bind.md, api-reference/widgets/im/)."""

    placement: Annotated[Placement, BeforeValidator(_placement)]
    handler: Annotated[HttpsUrl, AfterValidator(_public_host)]
    title: Label | None = None
    description: Annotated[Text, AfterValidator(_trimmed)] | None = None
    translations: Annotated[list[WidgetTranslationModel], AT_LEAST_ONE, UNIQUE_LANGUAGES] | None = None
    icon_name: Annotated[str, AfterValidator(_icon_name)] | None = None
    extranet: StrictBool | None = None
    context: (
        Annotated[
            list[Annotated[Context, one_of(Context, "ALL, USER, CHAT, LINES or CRM")]],
            AT_LEAST_ONE,
            AfterValidator(_context_alone),
        ]
        | None
    ) = None
    role: Annotated[Role, one_of(Role, '"USER" (everyone) or "ADMIN" (administrators only)')] | None = None
    color: Annotated[WidgetColor, one_of(WidgetColor, "a messenger palette colour such as RED or AZURE")] | None = None
    width: Annotated[WholeNumber, at_least(0, "(percent of the chat window)")] | None = None
    height: Annotated[WholeNumber, at_least(0, "(percent of the chat window)")] | None = None
    adopt: StrictBool = False


class WidgetProvider(BitrixProvider[str]):
    """A messenger widget: your page behind a button, tab or menu item in Bitrix24 chats (the successor of chat
    apps in the new messenger).

    Portal methods placement.bind / unbind (api-reference/widgets/placement-bind.md), read back through
    placement.get on refresh; they need an OAuth application and an administrator's token, never a webhook.
    Changing placement or handler replaces the widget; any other change is an unbind and a bind in one request.
    """

    model = WidgetModel
    kind = "widget"
    identity = ("placement", "handler")
    replace_on = ("placement", "handler")
    methods = ("placement.bind", "placement.bind", "placement.unbind")
    id_param, id_output, not_found_code = "HANDLER", None, ""
    idempotent = False  # a repeated bind fails with "Handler already binded"

    def object_name(self, props: dict[str, Any]) -> str:
        return f"widget {props.get('handler')!r} in {props.get('placement')}"

    def object_id(self, id_: str) -> str:
        return id_

    # --- check -------------------------------------------------------------------------------------
    def settings_failures(self, props: dict[str, Any]) -> list[Failure]:
        failures = super().settings_failures(props)
        if not failures and not is_unknown(props.get("portal")) and self.settings(props).webhook_url:
            failures.append(("", f"bitrix24 configuration: {WIDGETS_NEED_OAUTH}"))
        return failures

    def cross_failures(self, values: dict[str, Any], unknown: set[str]) -> list[Failure]:
        failures: list[Failure] = []
        texts = [k for k in ("title", "translations") if k in values or k in unknown]
        if not texts:
            failures.append(("title", "give the widget a title (or translations): it is the label users see"))
        elif len(texts) == 2 and not unknown & {"title", "translations"}:
            failures.append(("title", "give either title or translations, not both: with translations the portal "
                                      "ignores the title"))  # fmt: skip
        code = str(values.get("placement", "")).upper()
        if "placement" in unknown or code not in PLACEMENT_OPTIONS:
            return failures
        taken = PLACEMENT_OPTIONS[code]
        for option in OPTION_NAMES:
            if option in values and option not in taken:
                failures.append((option, f"is not an option of {code}, which takes {', '.join(taken)}"))
        if code in NEEDS_ICON and "icon_name" not in values and "icon_name" not in unknown:
            failures.append(("icon_name", f'is required for {code}: a Font Awesome 4 icon such as "fa-paperclip"'))
        return failures

    def defaults(self, values: dict[str, Any], unknown: set[str]) -> dict[str, Any]:
        code = values.get("placement")
        if code not in PLACEMENT_OPTIONS:
            return {}
        return {k: v for k, v in OPTION_DEFAULTS.items() if k in PLACEMENT_OPTIONS[code] and k not in unknown}

    # --- REST --------------------------------------------------------------------------------------
    def id_for(self, props: dict[str, Any]) -> str:
        """The resource id: placement and handler, which name the widget on the portal (a handler has no spaces)."""
        return f"{props['placement']} {props['handler']}"

    def options(self, props: dict[str, Any]) -> dict[str, Any]:
        """OPTIONS of bind: the placement's options as the portal writes them (Y/N, `;`-joined contexts)."""
        found = {k: props[k] for k in PLACEMENT_OPTIONS[props["placement"]] if props.get(k) is not None}
        if "extranet" in found:
            found["extranet"] = flag(found["extranet"])
        if "context" in found:
            found["context"] = ";".join(found["context"])
        return {OPTION_NAMES[k]: v for k, v in found.items()}

    def register_params(self, props: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {"PLACEMENT": props["placement"], "HANDLER": props["handler"]}
        if props.get("translations"):
            params["LANG_ALL"] = {
                t["language_id"]: {"TITLE": t["title"], "DESCRIPTION": t.get("description") or ""}
                for t in props["translations"]
            }
        else:
            params.update({k.upper(): props[k] for k in ("title", "description") if props.get(k)})
        options = self.options(props)
        return {**params, "OPTIONS": options} if options else params

    def registered(self, result: Any, props: dict[str, Any]) -> str:
        return self.id_for(props)

    def register(self, props: dict[str, Any]) -> str:
        """Bind; a handler bound in the meantime (after the preview looked) is refused like any takeover."""
        try:
            return super().register(props)
        except InvalidRequestError as exc:
            if "already binded" not in exc.description:
                raise
            existing = Existing(self.id_for(props), ours=True)
            raise ExistsError(self.takeover_message(props, existing)) from None

    def converge(self, object_id: str, props: dict[str, Any], olds: dict[str, Any] | None = None) -> None:
        """No placement.update exists: unbind this handler and bind it again with every declared field, in one
        request. Unbind always names the handler; without one the portal removes every handler of the placement."""
        unbind = SubCall(self.methods[2], self.unbind_params(props))
        self.client(props).call_group([unbind, SubCall(self.methods[0], self.register_params(props))], idempotent=False)

    def failed_update(self, failure: Bitrix24Error, olds: dict[str, Any], news: dict[str, Any]) -> Bitrix24Error:
        """An unbind + bind whose bind failed leaves no widget: bind the old one again, so that the state (which
        keeps the old inputs) stays true."""
        try:
            if self.bound(news) is not None:
                return failure
            old = self.normalized(olds)
            self.client(old).call(self.methods[0], self.register_params(old), idempotent=False)
        except Bitrix24Error as again:
            return with_detail(
                failure,
                f"{failure.description}; the widget was unbound and binding it again as it was failed too "
                f"({again.code}): it is missing from the portal now. Run `pulumi refresh`, then `pulumi up`",
            )
        return with_detail(failure, f"{failure.description}; the widget was bound again as it was before this change")

    def unbind_params(self, props: dict[str, Any]) -> dict[str, Any]:
        return {"PLACEMENT": props["placement"], "HANDLER": props["handler"]}

    def unregister(self, object_id: str, props: dict[str, Any]) -> None:
        """Unbind names the handler; a handler that is already gone answers count 0, which is success."""
        self.client(props).call(self.methods[2], self.unbind_params(props))

    # --- reads -------------------------------------------------------------------------------------
    def bound(self, props: dict[str, Any]) -> dict[str, Any] | None:
        """This widget as placement.get shows it (every handler of the OAuth app), or None."""
        listed = self.client(props).call("placement.get", {})
        key = (props["placement"], props["handler"])
        return next((w for w in listed or [] if (str(w["placement"]).upper(), w["handler"]) == key), None)

    def lookup(self, props: dict[str, Any], placement: str | None) -> list[dict[str, Any]]:
        """This application's widgets as placement.get shows them (getWidgets), in one placement or all, by
        output names: title and description in the portal's language, the stored options as the arguments name
        them. placement.get needs an OAuth application, as every placement.* method does."""
        if placement is not None:
            _placement(placement)
        if self.settings(props).webhook_url:
            raise SettingsError(f"bitrix24 configuration: {WIDGETS_NEED_OAUTH}")
        listed = self.client(props).call("placement.get", {})
        return [
            {
                "placement": str(w["placement"]).upper(),
                "handler": str(w["handler"]),
                "title": str(w.get("title") or ""),
                "description": str(w.get("description") or ""),
                "options": {k: v for k, v in self._read_options(w.get("options") or {}).items() if v is not None},
            }
            for w in listed or []
            if placement in (None, str(w["placement"]).upper())
        ]

    def find_existing(self, props: dict[str, Any]) -> Existing[str] | None:
        """placement.get lists only the caller app's handlers, so any handler found is ours."""
        return Existing(self.id_for(props), ours=True) if self.bound(props) is not None else None

    def read_back(self, object_id: str, props: dict[str, Any]) -> dict[str, Any] | None:
        """Texts and options as the portal stores them, in the program's terms."""
        found = self.bound(props)
        if found is None:
            return None
        current = {**props, **self._read_options(found.get("options") or {})}
        langs: dict[str, dict[str, str]] = found.get("langAll") or {}
        if props.get("translations"):
            order = [t["language_id"] for t in props["translations"]]
            ranked = sorted(langs, key=lambda lang: order.index(lang) if lang in order else len(order))
            current["translations"] = [_translation(lang, langs[lang]) for lang in ranked]
        else:
            current.pop("description", None)
            current["title"] = found.get("title") or ""
            if found.get("description"):
                current["description"] = found["description"]
        return current

    def imported(self, import_id: str) -> ReadResult:
        """A widget of this application by its id, the placement and the handler (id_for): placement.get tells
        the rest, and lists this application's widgets only."""
        placement, _, handler = import_id.partition(" ")
        if not handler:
            raise ImportRefusedError(
                f"the id to import is the placement and the handler URL, e.g. 'IM_TEXTAREA https://example.com/"
                f"widget'; got {import_id!r}"
            )
        props = {"placement": placement.upper(), "handler": handler}
        current = self.read(import_id, props)
        if current.id is None:
            raise ImportRefusedError(
                f"the {self.describe(props)} is not on the portal; placement.get lists the widgets of this "
                "application only, so a widget of another application cannot be imported"
            )
        return current

    @staticmethod
    def _read_options(stored: dict[str, Any]) -> dict[str, Any]:
        read: dict[str, Any] = {}
        for option, key in OPTION_NAMES.items():
            if key not in stored:
                continue
            value = stored[key]
            if option == "extranet":
                value = value == "Y"
            elif option == "context":
                value = [c for c in str(value).split(";") if c]
            elif option == "color" and not value:
                value = None
            read[option] = value
        return read


def _translation(language: str, texts: dict[str, str]) -> dict[str, str]:
    entry = {"language_id": language, "title": texts.get("TITLE") or ""}
    if texts.get("DESCRIPTION"):
        entry["description"] = texts["DESCRIPTION"]
    return entry
