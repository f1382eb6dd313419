"""Pulumi resources for Bitrix24 messenger integrations: chat apps, bots and bot commands."""

from ._errors import Bitrix24Error
from .chat_app import ChatApp, ChatAppArgs, Translation

__all__ = ["Bitrix24Error", "ChatApp", "ChatAppArgs", "Translation"]
