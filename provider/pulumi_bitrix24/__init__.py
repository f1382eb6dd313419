"""Pulumi resources for Bitrix24 messenger integrations: bots, bot commands, chat apps and messenger widgets."""

from ._errors import Bitrix24Error
from ._program import ProgramError, portal_names
from .bot import Bot, BotArgs, BotProperties
from .bot_command import BotCommand, BotCommandArgs, CommandTranslation
from .chat_app import ChatApp, ChatAppArgs, Translation
from .widget import Widget, WidgetArgs, WidgetTranslation

__all__ = [
    "Bitrix24Error",
    "Bot",
    "BotArgs",
    "BotCommand",
    "BotCommandArgs",
    "BotProperties",
    "ChatApp",
    "ChatAppArgs",
    "CommandTranslation",
    "ProgramError",
    "Translation",
    "Widget",
    "WidgetArgs",
    "WidgetTranslation",
    "portal_names",
]
