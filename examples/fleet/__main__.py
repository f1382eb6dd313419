"""Fleet: the quickstart's helper bot, its /help command and its /help button on every portal of the stack.

The portals come from the stack's config, one entry each (secrets, like the single-portal keys):
    pulumi config set --secret --path 'bitrix24:portals.acme.webhookUrl' https://acme.bitrix24.com/rest/1/...
    pulumi config set --secret --path 'bitrix24:portals.acme.clientId' ...
Add a portal to the config and `pulumi up` creates its objects only; remove one and `pulumi up` deletes them.
See the README, "Many portals".
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
    portal_names,
)

config = pulumi.Config()
handler_url = config.get("handlerUrl") or "https://example.com/bitrix24/events"
icon = os.path.relpath(os.path.join(os.path.dirname(__file__), "..", "quickstart", "icon.png"))

for portal in portal_names():
    bot = Bot(
        f"{portal}-helper-bot",
        BotArgs(
            portal=portal,
            code="fleet_helper",  # the same code on every portal: identities are per portal
            event_handler=handler_url,
            properties=BotProperties(name="Helper", color="AQUA", work_position="Answers /help"),
        ),
    )
    help_command = BotCommand(
        f"{portal}-help-command",
        BotCommandArgs(
            portal=portal,
            bot_id=bot.bot_id,
            command="help",
            event_command_add=handler_url,
            translations=[CommandTranslation(language_id="en", title="Show help", params="topic")],
        ),
    )
    help_button = ChatApp(
        f"{portal}-help-button",
        ChatAppArgs(
            portal=portal,
            bot_id=bot.bot_id,
            code="help_button",
            js_method="SEND",
            js_param="/help",
            icon_path=icon,
            translations=[Translation(language_id="en", title="Help", description="Ask the helper bot")],
        ),
    )
    pulumi.export(
        portal,
        {"bot_id": bot.bot_id, "help_command_id": help_command.command_id, "help_button_app_id": help_button.app_id},
    )
