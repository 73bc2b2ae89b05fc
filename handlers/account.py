"""Every update from a user first makes sure the user has an account, and stops there
when the account is blocked. Before that, an edited message stops: only new messages
drive commands and flows."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot import texts
from bot.context import BotContext


async def ensure_account(update: Update, context: BotContext) -> None:
    """Create the account on first contact and attach it to the context."""
    user = update.effective_user
    assert user is not None, "the guard lets through only updates from a person"
    services = context.services
    context.account, context.account_created = await services.users.ensure(
        user.id, user.full_name, user.language_code, services.settings.welcome_credits
    )
    # A payment that went through is still credited: the Stars are taken already.
    if context.account.blocked and not (update.message and update.message.successful_payment):
        await refuse_blocked(update)
        raise ApplicationHandlerStop


async def refuse_blocked(update: Update) -> None:
    """One short answer, in the form the update needs; a payment is refused."""
    if update.pre_checkout_query:
        await update.pre_checkout_query.answer(ok=False, error_message=texts.ACCOUNT_BLOCKED)
    elif update.callback_query:
        await update.callback_query.answer(texts.ACCOUNT_BLOCKED)
    elif update.message:
        await update.message.reply_text(texts.ACCOUNT_BLOCKED)


def build_account_handler() -> TypeHandler[Update, BotContext]:
    return TypeHandler(Update, ensure_account)
