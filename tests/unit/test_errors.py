"""Error messages: the method and code first, the field where the code names one, then what to do."""

from __future__ import annotations

import pytest

from pulumi_bitrix24._errors import InvalidRequestError, NotFoundError, error_for, with_detail


@pytest.mark.parametrize(
    ("method", "code", "field"),
    [
        ("imbot.app.register", "IFRAME_HTTPS", "iframe"),
        ("imbot.app.register", "HASH_ERROR", "hash"),
        ("imbot.app.register", "LANG_ERROR", "translations"),
        ("imbot.register", "EVENT_MESSAGE_ADD_ERROR", "event_message_add (or event_handler)"),
        ("imbot.command.register", "COMMAND_ERROR", "command"),
    ],
)
def test_a_field_error_names_the_argument_to_fix(method: str, code: str, field: str) -> None:
    error = error_for(method, code, "the portal's words")
    assert isinstance(error, InvalidRequestError) and error.field == field
    assert str(error) == (
        f"Bitrix24 {method} failed with {code} (the portal's words): the portal refused the value of {field}. "
        "Fix that argument and run `pulumi up` again."
    )


def test_an_unknown_code_still_names_method_and_code() -> None:
    error = error_for("imbot.app.update", "SOMETHING_NEW", "")
    assert error.field is None
    assert str(error).startswith("Bitrix24 imbot.app.update failed with SOMETHING_NEW: the portal refused the values")


def test_a_missing_bot_says_how_to_name_one() -> None:
    error = with_detail(error_for("imbot.app.register", "BOT_ID_ERROR", "Bot not found"), "bot_id 999 is not a bot")
    assert isinstance(error, NotFoundError) and error.field == "bot_id"
    assert str(error).startswith(
        "Bitrix24 imbot.app.register failed with BOT_ID_ERROR (bot_id 999 is not a bot): no bot of this application "
        "has that id. Set bot_id to the bot_id of a Bot resource"
    )


def test_a_missing_object_says_refresh_then_up() -> None:
    error = error_for("imbot.app.update", "CHAT_APP_ID_ERROR", "App not found")
    assert "Run `pulumi refresh` to drop it from the stack, then `pulumi up`" in str(error)


@pytest.mark.parametrize("method", ["imbot.update", "imbot.unregister", "imbot.v2.Bot.get"])
def test_a_bot_resource_missing_its_own_bot_says_refresh_then_up(method: str) -> None:
    error = error_for(method, "BOT_ID_ERROR" if method.startswith("imbot.u") else "BOT_NOT_FOUND", "Bot not found")
    assert error.field is None
    assert "Run `pulumi refresh` to drop it from the stack, then `pulumi up`" in str(error)
