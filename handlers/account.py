"""Every update from a user first makes sure the user has an account."""

from __future__ import annotations

from telegram import Update
from telegram.ext import TypeHandler

from bot.context import BotContext


async def ensure_account(update: Update, context: BotContext) -> None:
    """Create the account on first contact and attach it to the context."""
    user = update.effective_user
    if user is None or user.is_bot:
        return
    services = context.services
    context.account, context.account_created = await services.users.ensure(
        user.id, user.full_name, user.language_code, services.settings.welcome_credits
    )


def build_account_handler() -> TypeHandler[Update, BotContext]:
    return TypeHandler(Update, ensure_account)
