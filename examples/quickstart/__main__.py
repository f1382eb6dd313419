"""Quickstart: a helper bot with a /help command, a button that sends /help, and an IFRAME app with an icon.

Run it with `make demo` (local emulator) or against your portal after
`pulumi config set --secret bitrix24:webhookUrl ...` and `pulumi config set --secret bitrix24:clientId ...`.
"""

import os

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

config = pulumi.Config()
handler_url = config.get("handlerUrl") or "https://example.com/bitrix24/events"
frame_url = config.get("frameUrl") or "https://example.com/bitrix24/frame"
icon = os.path.relpath(os.path.join(os.path.dirname(__file__), "icon.png"))

bot = Bot(
    "helper-bot",
    BotArgs(
        code="quickstart_helper",
        event_handler=handler_url,
        properties=BotProperties(name="Helper", color="AQUA", work_position="Answers /help"),
    ),
)

help_command = BotCommand(
    "help-command",
    BotCommandArgs(
        bot_id=bot.bot_id,
        command="help",
        event_command_add=handler_url,
        translations=[
            CommandTranslation(language_id="en", title="Show help", params="topic"),
            CommandTranslation(language_id="de", title="Hilfe anzeigen", params="Thema"),
        ],
    ),
)

help_button = ChatApp(
    "help-button",
    ChatAppArgs(
        bot_id=bot.bot_id,
        code="help_button",
        js_method="SEND",
        js_param="/help",
        icon_path=icon,
        translations=[
            Translation(language_id="en", title="Help", description="Ask the helper bot"),
            Translation(language_id="de", title="Hilfe", description="Den Helfer fragen"),
        ],
    ),
)

helper_frame = ChatApp(
    "helper-frame",
    ChatAppArgs(
        bot_id=bot.bot_id,
        code="helper_frame",
        iframe=frame_url,
        iframe_width=350,
        iframe_height=200,
        hash=config.require_secret("frameHash"),
        icon_path=icon,
        context="BOT",
        translations=[
            Translation(language_id="en", title="Helper", description="Open the helper", copyright="Example Ltd"),
            Translation(language_id="de", title="Helfer", description="Den Helfer öffnen", copyright="Example Ltd"),
        ],
    ),
)

pulumi.export("bot_id", bot.bot_id)
pulumi.export("help_command_id", help_command.command_id)
pulumi.export("help_button_app_id", help_button.app_id)
pulumi.export("helper_frame_app_id", helper_frame.app_id)
