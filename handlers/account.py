"""Every update from a user first makes sure the user has an account, and stops there
when the account is blocked. Before that, an edited message stops: only new messages
drive commands and flows. The account also sets the language every text of the update is
written in (bot/i18n.py)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot import texts
from bot.context import BotContext
from bot.i18n import locale_of, set_locale


async def ensure_account(update: Update, context: BotContext) -> None:
    """Create the account on first contact, attach it to the context, and speak its
    language for the rest of the update."""
    user = update.effective_user
    assert user is not None, "the guard lets through only updates from a person"
    services = context.services
    context.account, context.account_created = await services.users.ensure(
        user.id, user.full_name, user.language_code, services.settings.welcome_credits
    )
    # The handlers after this one run in the same task: the locale holds for all of them.
    set_locale(locale_of(context.account))
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
