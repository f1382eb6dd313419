"""Validation rules shared by the resource models, each failing with a message that states the rule."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from typing import Annotated, Any, TypeVar, get_args
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from ._config import PORTAL_NAME, PORTAL_NAME_RULE

URL_RULE = (
    "must be an https:// URL with a real host (a DNS name or an IP address), without user:password@ and without "
    "whitespace or control characters anywhere"
)
_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def kind_of(value: Any) -> str:
    """A value's type in the words of a Pulumi program (numbers reach the provider as floats, whatever was written)."""
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, int | float):
        return f"the number {value:g}"
    if isinstance(value, str):
        return f"the text {value[:40]!r}" + ("..." if len(value) > 40 else "")
    if isinstance(value, list | tuple):
        return "a list"
    return "an object (mapping)" if isinstance(value, dict) else type(value).__name__


def _unprintable(value: str) -> str | None:
    """The first whitespace, control or invisible format character, e.g. "'\\r' at position 20"."""
    for position, char in enumerate(value):
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Zs"):
            return f"{char!r} at position {position}"
    return None


def _host_problem(host: str) -> str | None:
    """Why `host` cannot name a machine: an IP address, or a DNS name of 1-63 character labels (IDN allowed)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return None
    except ValueError:
        pass
    try:
        ascii_host = host.rstrip(".").encode("idna").decode("ascii")
    except UnicodeError:
        return f"host {host!r} is not a valid host name"
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        return f"host {host!r} is not a valid host name (labels of letters, digits and inner hyphens)"
    return None


def url_problem(value: str) -> str | None:
    """What breaks the URL rule (URL_RULE), or None. The raw text is checked first: urlsplit drops CR, LF, tab."""
    found = _unprintable(value)
    if found is not None:
        return f"has {found}"
    try:
        parts = urlsplit(value)
    except ValueError as exc:  # an unbalanced IPv6 bracket, for one
        return f"cannot be parsed ({exc})"
    if parts.scheme != "https":
        return f"has scheme {parts.scheme or 'none'!r}"
    if "@" in parts.netloc:
        return "has user info before '@' (credentials in a URL end up in plain text in the state)"
    if not parts.hostname:
        return "has no host"
    try:
        parts.port  # noqa: B018 (property access validates the port)
    except ValueError:
        return "has an invalid port"
    return _host_problem(parts.hostname)


def _https_url(value: str) -> str:
    problem = url_problem(value)
    if problem is not None:
        raise ValueError(f"{URL_RULE}; this one {problem}")
    return value


HttpsUrl = Annotated[str, AfterValidator(_https_url)]
"""The one rule of every URL argument: the portal calls it (or shows it), so it must be a clean https URL."""


def _whole_number(value: Any) -> Any:
    """Pulumi hands every number to a dynamic provider as a float: take 400.0 as 400, refuse 400.5, "400", True."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"must be a whole number, got {kind_of(value)}")
    return value


LARGEST_INT = 2**31 - 1
"""The portal keeps whole numbers in MySQL INT columns (b_im_app.IFRAME_WIDTH, b_im_bot.BOT_ID: im module,
install/db/mysql/install.sql), so nothing larger survives; the engine's float64 loses digits above 2**53 anyway."""


def _at_most_int(value: int) -> int:
    if value > LARGEST_INT:
        raise ValueError(f"must be at most {LARGEST_INT} (the portal keeps it in a 32-bit column), got {value}")
    return value


WholeNumber = Annotated[int, BeforeValidator(_whole_number), AfterValidator(_at_most_int)]


def _printable(value: str) -> str:
    """Control characters (NUL, ESC, DEL, ...) end up stored as they are and break what shows the text."""
    for position, char in enumerate(value):
        if unicodedata.category(char) == "Cc" and char not in "\t\n\r":
            raise ValueError(
                f"must not contain control characters (only tab and line breaks are allowed), got {char!r} at "
                f"position {position}"
            )
    return value


PRINTABLE = AfterValidator(_printable)
Text = Annotated[str, PRINTABLE]
"""Every text the portal stores: any characters but controls other than tab and line breaks (a constrained
text puts PRINTABLE after its Field, so that pydantic words the length rules for text)."""


def listed(values: list[str], shown: int = 5) -> str:
    """Values for a message, the first few and then how many more: a message must stay one readable line."""
    more = len(values) - shown
    return ", ".join(values[:shown]) + (f" and {more} more" if more > 0 else "")


def one_of(choices: Any, explanation: str) -> Any:
    """A closed set of values (a Literal type) whose message lists them the way users write them."""
    allowed = set(get_args(choices))

    def check(value: Any) -> Any:
        if value not in allowed:
            raise ValueError(f"must be {explanation}, got {value!r}")
        return value

    return BeforeValidator(check)


def at_least(minimum: int, why: str) -> Any:
    """A lower bound whose message says why it exists."""

    def check(value: int) -> int:
        if value < minimum:
            raise ValueError(f"must be at least {minimum} {why}, got {value}")
        return value

    return AfterValidator(check)


def full_match(rule: re.Pattern[str], explanation: str) -> Any:
    """The whole value must match `rule`; the message is `must be <explanation>`."""

    def check(value: str) -> str:
        if not rule.fullmatch(value):
            raise ValueError(f"must be {explanation}")
        return value

    return AfterValidator(check)


STRICT = ConfigDict(strict=True, extra="forbid", defer_build=True)
"""Models of nested entries: no coercion (text stays text, "yes" is no boolean) and no unknown keys. Every model
defers building its validator to its first use: the program imports the models and never validates."""


class LanguageModel(BaseModel):
    """One LANG entry: the portal skips entries without LANGUAGE_ID or TITLE and lowercases ids."""

    model_config = STRICT
    language_id: Annotated[str, full_match(re.compile(r"[a-z]{2}"), "a two-letter lowercase code such as en")]
    title: Annotated[str, Field(min_length=1), PRINTABLE]


Language = TypeVar("Language", bound=LanguageModel)


def _unique_languages(items: list[Language]) -> list[Language]:
    ids = [t.language_id for t in items]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"language_id must be unique, repeated: {listed(duplicates)}")
    return items


UNIQUE_LANGUAGES = AfterValidator(_unique_languages)
AT_LEAST_ONE = Field(min_length=1)


PortalName = Annotated[str, full_match(PORTAL_NAME, f"a portal name of bitrix24:portals: {PORTAL_NAME_RULE}")]


class OnPortal(BaseModel):
    """The `portal` argument every resource has: a named portal of bitrix24:portals, or None for the default.

    Resource models check inputs strictly and ignore the keys they do not rule on (the engine's, secrets)."""

    model_config = ConfigDict(extra="ignore", strict=True, defer_build=True)
    portal: PortalName | None = None
