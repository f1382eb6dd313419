"""The program under test: a support bot with a /help command, its event handler read from the stack's config."""

import pulumi

from pulumi_bitrix24 import Bot, BotArgs, BotCommand, BotCommandArgs, BotProperties, CommandTranslation

handler = pulumi.Config().require("handlerUrl")
bot = Bot("support-bot", BotArgs(code="support", event_handler=handler, properties=BotProperties(name="Support")))
BotCommand(
    "help-command",
    BotCommandArgs(
        bot_id=bot.bot_id,
        command="help",
        event_command_add=handler,
        translations=[CommandTranslation(language_id="en", title="Help")],
    ),
)
pulumi.export("bot_id", bot.bot_id)
