"""Pulumi resources for Bitrix24 messenger integrations: chat apps, bots and bot commands."""
