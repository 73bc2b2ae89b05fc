"""Updates the bot does not serve, stopped before any other handler sees them.

Edited messages (editing `/grant 101 500` must not grant again, nor an edited photo feed a
flow: python-telegram-bot hands edits to command and message handlers alike), channel
posts, messages sent on behalf of a chat (an anonymous group admin, a channel's post
forwarded into its discussion group), updates from no person (or from a bot), and kinds of
update no feature handles (reactions, member changes, inline queries, ...) get nothing: no
reply, no account. A press on a button of an inline message (the bot sends none, so the data
is someone else's) is answered, so no spinner is left turning, and goes no further.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.context import BotContext


async def guard(update: Update, context: BotContext) -> None:
    """Let through only messages, button presses and payments of a person."""
    query = update.callback_query
    if query is not None and (query.message is None or query.data is None):
        await query.answer()
        raise ApplicationHandlerStop
    if not served(update):
        raise ApplicationHandlerStop


def served(update: Update) -> bool:
    user = update.effective_user
    if user is None or user.is_bot:
        return False
    if update.message is not None:
        return update.message.sender_chat is None
    return update.callback_query is not None or update.pre_checkout_query is not None


def build_guard_handler() -> TypeHandler[Update, BotContext]:
    return TypeHandler(Update, guard)
