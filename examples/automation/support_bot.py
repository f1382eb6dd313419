"""The program both forms of up.py run: a support bot and its id as a stack output."""

import pulumi

from pulumi_bitrix24 import Bot, BotArgs, BotProperties


def program() -> None:
    bot = Bot(
        "support-bot",
        BotArgs(
            code="support",
            event_handler="https://example.com/bitrix24/events",
            properties=BotProperties(name="Support"),
        ),
    )
    pulumi.export("bot_id", bot.bot_id)
