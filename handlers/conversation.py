"""The handler list type, and the actor conversation's ConversationHandler: it cancels,
times out, and gives way to anything that starts a tool."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler
from telegram.warnings import PTBUserWarning

from bot import texts
from bot.context import BotContext

IDLE_TIMEOUT_SECONDS = 600
Handlers = list[BaseHandler[Update, BotContext, Any]]


async def cancel(update: Update, context: BotContext) -> int:
    """Leave the flow; what it collected is forgotten."""
    assert update.effective_message
    context.user_data.clear()
    await update.effective_message.reply_text(texts.CANCELLED)
    return ConversationHandler.END


def ending(handler: BaseHandler[Update, BotContext, Any]) -> BaseHandler[Update, BotContext, Any]:
    """The handler, ending the conversation after it has run."""
    callback = handler.callback

    async def run(update: Update, context: BotContext) -> int:
        context.user_data.clear()
        await callback(update, context)
        return ConversationHandler.END

    handler.callback = run
    return handler


def build_flow(
    name: str,
    entry_points: Handlers,
    states: dict[object, Handlers],
    interrupts: Sequence[BaseHandler[Update, BotContext, Any]] = (),
) -> ConversationHandler[BotContext]:
    """A per-user conversation that /cancel leaves and that ends quietly when idle; the
    `interrupts` (what starts another flow) end it and then do what they do."""
    with warnings.catch_warnings():
        # PTB warns that inline buttons are tracked per chat, not per message; that is
        # intended here: a flow has one message with buttons at a time.
        warnings.filterwarnings("ignore", message=".*per_message=False", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=entry_points,
            states=states,
            fallbacks=[CommandHandler("cancel", cancel), *map(ending, interrupts)],
            allow_reentry=True,
            conversation_timeout=IDLE_TIMEOUT_SECONDS,
            name=name,
        )
