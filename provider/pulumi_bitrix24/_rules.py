"""Validation rules shared by the resource models, each failing with a message that states the rule."""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _https_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("must be an https:// URL with a host (the portal refuses anything else)")
    return value


HttpsUrl = Annotated[str, AfterValidator(_https_url)]


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


class LanguageModel(BaseModel):
    """One LANG entry: the portal skips entries without LANGUAGE_ID or TITLE and lowercases ids."""

    model_config = ConfigDict(extra="forbid")
    language_id: Annotated[str, full_match(re.compile(r"[a-z]{2}"), "a two-letter lowercase code such as en")]
    title: Annotated[str, Field(min_length=1)]


Language = TypeVar("Language", bound=LanguageModel)


def _unique_languages(items: list[Language]) -> list[Language]:
    ids = [t.language_id for t in items]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"language_id must be unique, repeated: {', '.join(duplicates)}")
    return items


UNIQUE_LANGUAGES = AfterValidator(_unique_languages)
AT_LEAST_ONE = Field(min_length=1)
