"""Every provider tool the chat offers, described once as data (see `bot.catalog.model`).

`CATALOG` maps each entry's name (its tool's name) to the entry, in the order /help lists
them. A tool is added by adding an entry here; the flow and the menus read only this.
"""

from __future__ import annotations

from telegram import BotCommand

from bot import texts
from bot.catalog.image import (
    ANGLES,
    EDIT,
    FACEGEN_ENTRY,
    FACESWAP_ENTRY,
    IMAGINE,
    PHOTOSHOOT_ENTRY,
    SIMILAR,
    TOGETHER,
    UPSCALE,
)
from bot.catalog.model import Entry
from bot.catalog.video import ANIMATE, LIPSYNC_ENTRY, MERGE, MOTION, UPSCALE_VIDEO
from bot.i18n import use_locale
from bot.pricing import to_bot_credits

CATALOG: dict[str, Entry] = {
    entry.name: entry
    for entry in (
        IMAGINE,
        EDIT,
        UPSCALE,
        SIMILAR,
        PHOTOSHOOT_ENTRY,
        FACEGEN_ENTRY,
        ANGLES,
        TOGETHER,
        FACESWAP_ENTRY,
        LIPSYNC_ENTRY,
        ANIMATE,
        MOTION,
        UPSCALE_VIDEO,
        MERGE,
    )
}


def command_menu(multiplier: float) -> list[tuple[str, str]]:
    """The bot's commands and their descriptions, every tool with its price (for the
    command menu and /help)."""
    tools = []
    for entry in CATALOG.values():
        amounts = sorted({to_bot_credits(row.credits, multiplier) for row in entry.price.rows})
        per = (
            "megapixel"
            if entry.price.enlargement
            else "second"
            if entry.price.per_second
            else "image"
            if entry.price.per_count
            else None
        )
        summary = texts.price_summary(amounts[0], len(amounts) > 1, per)
        tools.append((entry.command, entry.name, summary))
    return texts.commands(tools)


def bot_commands(locale: str, multiplier: float) -> list[BotCommand]:
    """The command menu as Telegram takes it, described in one language."""
    with use_locale(locale):
        return [BotCommand(command, text) for command, text in command_menu(multiplier)]
