"""Editing the message under a pressed button, where a double tap asks twice for one edit.

Both taps of a double tap reach the bot before the first one's edit shows, so the second
asks for the text the message has by then, and Telegram refuses an edit that changes nothing
with 'message is not modified'. That refusal means the message already reads as asked.
"""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardMarkup
from telegram.error import BadRequest


async def edit_text(
    query: CallbackQuery, text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> None:
    """Show `text` (and `reply_markup`) in the message of the pressed button."""
    try:
        await query.edit_message_text(text, reply_markup=reply_markup)
    except BadRequest as err:
        if "not modified" not in err.message:
            raise


async def edit_markup(query: CallbackQuery, reply_markup: InlineKeyboardMarkup | None) -> None:
    """Show `reply_markup` under the message of the pressed button."""
    try:
        await query.edit_message_reply_markup(reply_markup)
    except BadRequest as err:
        if "not modified" not in err.message:
            raise
