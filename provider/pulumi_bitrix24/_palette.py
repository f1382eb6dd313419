"""The Bitrix24 messenger colour palette: the codes the REST API takes and the hex colours it reads back.

Codes: api-reference/chat-bots/outdated/bots/imbot-register.md (PROPERTIES.COLOR); hex values as the im module's
Color class defines them (users[].color of imbot.v2 reads, api-reference/chat-bots/chat-bots-v2/entities.md).
"""

from __future__ import annotations

COLOR_HEX = {
    "RED": "#df532d", "GREEN": "#64a513", "MINT": "#4ba984", "LIGHT_BLUE": "#4ba5c3", "DARK_BLUE": "#3e99ce",
    "PURPLE": "#8474c8", "AQUA": "#1eb4aa", "PINK": "#f76187", "LIME": "#58cc47", "BROWN": "#ab7761",
    "AZURE": "#29619b", "KHAKI": "#728f7a", "SAND": "#ba9c7b", "ORANGE": "#e8a441", "MARENGO": "#556574",
    "GRAY": "#909090", "GRAPHITE": "#5e5f5e", "COPILOT": "#8d51eb",
}  # fmt: skip
HEX_COLOR = {hex_value: code for code, hex_value in COLOR_HEX.items()}
