"""The quickstart's bot, command and button moved into a component: `class SupportBot(pulumi.ComponentResource)`.

Moving a resource under a parent changes its URN, so each child carries an alias of its old parent (the stack);
without it Pulumi would create the objects anew, which the provider refuses, as they exist. The README's
"Refactoring: renames and components" walks through it.
"""

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


class SupportBot(pulumi.ComponentResource):
    """A bot with its /help command and a button that sends it."""

    def __init__(self, name: str, handler_url: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("examples:index:SupportBot", name, None, opts)
        # Where these resources were before the move: at the top of the stack.
        moved = pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)])
        self.bot = Bot(
            "helper-bot",
            BotArgs(
                code="quickstart_helper",
                event_handler=handler_url,
                properties=BotProperties(name="Helper", color="AQUA", work_position="Answers /help"),
            ),
            opts=moved,
        )
        help_in = [CommandTranslation(language_id="en", title="Show help", params="topic")]
        BotCommand(
            "help-command",
            BotCommandArgs(bot_id=self.bot.bot_id, command="help", event_command_add=handler_url, translations=help_in),
            opts=moved,
        )
        ChatApp(
            "help-button",
            ChatAppArgs(
                bot_id=self.bot.bot_id,
                code="help_button",
                js_method="SEND",
                js_param="/help",
                translations=[Translation(language_id="en", title="Help", description="Ask the helper bot")],
            ),
            opts=moved,
        )
        self.register_outputs({"bot_id": self.bot.bot_id})


support = SupportBot("support", pulumi.Config().get("handlerUrl") or "https://example.com/bitrix24/events")
pulumi.export("bot_id", support.bot.bot_id)
