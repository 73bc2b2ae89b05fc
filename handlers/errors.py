"""The one error handler: log the exception, then tell the user something went wrong; and
stop the bot when another process polls its token."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import Conflict, TelegramError

from bot import texts
from bot.context import CONFLICTS_KEY, BotContext
from bot.polling import ConflictWatch

log = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    """Log with the traceback; the user gets a short apology, never the exception text."""
    if isinstance(context.error, Conflict):
        on_conflict(context)
        return
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.callback_query is not None:
        # No endless spinner; the handler may have answered it already (Telegram refuses).
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(update.effective_chat.id, texts.SOMETHING_WENT_WRONG)
        except TelegramError:
            log.warning("could not tell chat %s about the error", update.effective_chat.id)


def on_conflict(context: BotContext) -> None:
    """A 409 from getUpdates: note the first, stop at the second (see bot/polling.py)."""
    watch: ConflictWatch = context.bot_data[CONFLICTS_KEY]
    if not watch.persists():
        log.warning(
            "a getUpdates of this bot was ended by another one (409 Conflict): is another"
            " process polling its token?"
        )
        return
    if not watch.stopped:
        watch.stopped = True
        log.error(
            "another process is polling Telegram with this bot's token; stopping"
            " (only one castbot may run per token)"
        )
        context.application.stop_running()
