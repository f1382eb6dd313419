"""A program of every webhook resource kind, with a photo, icons and a secret hash: states it wrote with earlier
versions are kept beside it (tests/upgrade/*.json) and must preview with no changes under this version."""

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

handler = "https://example.com/bitrix24/events"
bot = Bot(
    "bot",
    BotArgs(code="upgrade_bot", event_handler=handler, properties=BotProperties(name="Up", photo_path="icon.png")),
)
BotCommand(
    "command",
    BotCommandArgs(
        bot_id=bot.bot_id,
        command="help",
        event_command_add=handler,
        translations=[CommandTranslation(language_id="en", title="Help", params="topic")],
    ),
)
ChatApp(
    "button",
    ChatAppArgs(
        bot_id=bot.bot_id,
        code="button",
        js_method="SEND",
        js_param="/help",
        icon_path="icon.png",
        translations=[Translation(language_id="en", title="Help")],
    ),
)
ChatApp(
    "frame",
    ChatAppArgs(
        bot_id=bot.bot_id,
        code="frame",
        iframe="https://example.com/frame",
        hash=pulumi.Config().require_secret("frameHash"),
        icon_path="icon.png",
        translations=[Translation(language_id="en", title="Frame", copyright="Example Ltd")],
    ),
)
