"""Pulumi resources for Bitrix24 messenger integrations: bots, bot commands, chat apps and messenger widgets."""

from ._dynamic import Bot, BotCommand, ChatApp, Widget
from ._errors import Bitrix24Error
from ._interpreter import share_interpreter
from ._program import ProgramError, portal_names
from .bot import BotArgs, BotProperties
from .bot_command import BotCommandArgs, CommandTranslation
from .chat_app import ChatAppArgs, Translation
from .widget import WidgetArgs, WidgetTranslation

share_interpreter()  # before any stack.up() of an inline program that uses the package (see _interpreter)

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
