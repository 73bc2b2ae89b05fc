"""Consent before a user's first use of a tool that takes a real person's face."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MaybeInaccessibleMessage,
    Message,
    Update,
)
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot import texts
from bot.context import BotContext
from handlers.conversation import Handlers

TERMS = "terms"
AGREE = "terms:agree"

Step = Callable[[Update, BotContext], Awaitable[object]]


async def unless_agreed(update: Update, context: BotContext, begin: Step) -> object:
    """Run `begin` if the user agreed to the terms; otherwise show them and wait."""
    if context.user.terms_accepted_at is not None:
        return await begin(update, context)
    assert update.effective_chat
    await update.effective_chat.send_message(texts.TERMS, reply_markup=terms_keyboard())
    return TERMS


def terms_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.TERMS_AGREE_BUTTON, callback_data=AGREE)]]
    )


def shows_terms(message: MaybeInaccessibleMessage | None) -> bool:
    """Whether the message is the terms with their *I agree* button still under them."""
    markup = message.reply_markup if isinstance(message, Message) else None
    return markup is not None and any(
        button.callback_data == AGREE for row in markup.inline_keyboard for button in row
    )


def terms_state(begin: Step) -> Handlers:
    """The handlers of the TERMS state: agreeing continues the flow with `begin`."""

    async def agree(update: Update, context: BotContext) -> object:
        """Record the consent, then continue where the user was."""
        query = update.callback_query
        assert query
        await context.services.users.accept_terms(context.user.id)
        await query.answer()
        await query.edit_message_text(texts.TERMS_ACCEPTED)
        return await begin(update, context)

    async def waiting(update: Update, context: BotContext) -> None:
        """Remind the user that the flow waits for the consent."""
        assert update.effective_message
        await update.effective_message.reply_text(texts.TERMS_WAITING)

    return [
        CallbackQueryHandler(agree, pattern=f"^{AGREE}$"),
        MessageHandler(~filters.COMMAND, waiting),
    ]
