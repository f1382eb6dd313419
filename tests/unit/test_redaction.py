"""Redaction: secrets never appear as whole tokens in a message, and nothing else in the message changes."""

from __future__ import annotations

import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulumi_bitrix24._client import MIN_INFIX_SECRET, Client, Redactor
from pulumi_bitrix24._config import Settings
from pulumi_bitrix24._errors import TransportError

# Few letters, so that secrets and messages share text; punctuation that surrounds ids in URLs, JSON, queries.
ALPHABET = "abxAX01_é-./=&\"': "
secrets = st.text(alphabet=ALPHABET, min_size=1, max_size=10)


def is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def has_whole_token(text: str, secret: str) -> bool:
    """Whether `secret` occurs in `text` with no letter, digit or `_` right before or right after it."""
    start = text.find(secret)
    while start >= 0:
        before, after = text[start - 1 : start], text[start + len(secret) : start + len(secret) + 1]
        if not (before and is_word(before)) and not (after and is_word(after)):
            return True
        start = text.find(secret, start + 1)
    return False


@st.composite
def message_with(draw: st.DrawFn, secret: str) -> str:
    """A message that often holds the secret, alone or glued to other text."""
    return "".join(draw(st.lists(st.one_of(st.just(secret), st.text(alphabet=ALPHABET, max_size=6)), max_size=8)))


@given(st.data(), st.lists(secrets, min_size=1, max_size=3))
def test_no_secret_is_left_as_a_whole_token(data: st.DataObject, secret_list: list[str]) -> None:
    text = data.draw(message_with(secret_list[0]))
    redacted = Redactor(tuple(secret_list))(text)
    for secret in secret_list:
        assert not has_whole_token(redacted, secret)
        if len(secret) >= MIN_INFIX_SECRET:
            assert secret not in redacted


@given(secrets, st.text(alphabet=ALPHABET, max_size=40))
def test_a_message_without_the_secret_is_unchanged(secret: str, text: str) -> None:
    if secret not in text:
        assert Redactor((secret,))(text) == text


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        (
            "Max retries exceeded with url: /rest/1/x/imbot.bot.list.json",
            "Max retries exceeded with url: /rest/1/***/imbot.bot.list.json",
        ),
        ('{"CLIENT_ID": "x", "CODE": "xx"}', '{"CLIENT_ID": "***", "CODE": "xx"}'),
        ("CLIENT_ID=x&CODE=box", "CLIENT_ID=***&CODE=box"),
        ("token abcd1234efgh inside prefixabcd1234efghsuffix", "token *** inside prefix***suffix"),
    ],
)
def test_short_secrets_are_masked_only_as_tokens_long_ones_everywhere(text: str, redacted: str) -> None:
    assert Redactor(("x", "abcd1234efgh"))(text) == redacted


def test_every_credential_is_a_secret() -> None:
    settings = Settings(
        webhook_url="https://p/rest/1/hookcode/",
        client_id="cid",
        access_token="at",
        refresh_token="rt",
        oauth_client_id="ocid",
        oauth_client_secret="ocs",
    )
    assert set(settings.secrets) == {"hookcode", "cid", "at", "rt", "ocid", "ocs"}


def test_a_one_letter_client_id_does_not_garble_a_transport_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = Client(Settings(webhook_url=f"https://127.0.0.1:{port}/rest/1/x/", client_id="x", max_retries=0))
    with pytest.raises(TransportError) as caught:
        client.call("imbot.bot.list", {})
    assert "Max retries exceeded with url: /rest/1/***/imbot.bot.list.json" in str(caught.value)
