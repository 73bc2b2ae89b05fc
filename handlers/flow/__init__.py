"""The one flow: walks any catalog entry, from the command (or a menu, or a result) to the
job; and the photo-first and video-first menus.

State lives in SQLite (storage/flows.py, rules in bot/flow.py); this package parses what
the user sends (`answers`), asks and quotes (`steps`), draws the buttons (`keyboards`),
and keeps the menus and albums (`menu`). Orders go through handlers/orders.py.
"""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.catalog import CATALOG
from bot.flow import face_tools
from handlers.conversation import Handlers
from handlers.flow.answers import on_button, on_message
from handlers.flow.keyboards import PREFIX
from handlers.flow.menu import SAVE_AS_ACTOR, menu_photo_as_actor
from handlers.flow.steps import agree_to_terms, begin, cancel, leave, start_command, use_actor
from handlers.terms import AGREE

__all__ = [
    "SAVE_AS_ACTOR",
    "begin",
    "build_flow_handlers",
    "build_flow_message_handlers",
    "leave",
    "menu_photo_as_actor",
    "starting_handlers",
]


def build_flow_handlers() -> Handlers:
    """The buttons that drive a flow, and /cancel (what starts one is `starting_handlers`;
    the messages come last, see `build_flow_message_handlers`)."""
    return [
        CallbackQueryHandler(on_button, pattern=f"^{PREFIX}"),
        CallbackQueryHandler(agree_to_terms, pattern=f"^{AGREE}$"),
        CommandHandler("cancel", cancel),
    ]


def starting_handlers() -> Handlers:
    """What starts a tool's flow: its command, an actor card's tool button. The actor
    conversation ends itself on these too."""
    tools = "|".join(entry.name for entry in face_tools())
    return [
        CommandHandler([entry.command for entry in CATALOG.values()], start_command),
        CallbackQueryHandler(use_actor, pattern=f"^({tools}):with:"),
    ]


def build_flow_message_handlers() -> Handlers:
    """What a user sends: an answer to the flow, or a photo for the menu (a channel post has
    no user to be in a flow)."""
    anything = filters.UpdateType.MESSAGE & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    return [MessageHandler(anything, on_message)]
