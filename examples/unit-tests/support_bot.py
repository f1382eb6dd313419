"""The code under test: a support bot with a /help command and a button, as a function a program calls."""

import pulumi

from pulumi_bitrix24 import (
    Bot,
    BotArgs,
    BotCommand,
    BotCommandArgs,
    BotProperties,
    ChatApp,
    ChatAppArgs,
    CommandTranslation,
    Translation,
)


def support_bot(handler_url: str, color: str = "AQUA") -> tuple[Bot, BotCommand, ChatApp]:
    bot = Bot(
        "support-bot",
        BotArgs(code="support", event_handler=handler_url, properties=BotProperties(name="Support", color=color)),
    )
    command = BotCommand(
        "help-command",
        BotCommandArgs(
            bot_id=bot.bot_id,
            command="help",
            event_command_add=handler_url,
            translations=[CommandTranslation(language_id="en", title="Show help")],
        ),
    )
    button = ChatApp(
        "help-button",
        ChatAppArgs(
            bot_id=bot.bot_id,
            code="help_button",
            js_method="SEND",
            js_param="/help",
            translations=[Translation(language_id="en", title="Help")],
        ),
    )
    pulumi.export("bot_id", bot.bot_id)
    return bot, command, button
