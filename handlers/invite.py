"""/invite: the user's invite link; and /start through someone's link records the referral."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot import texts
from bot.context import BotContext

log = logging.getLogger(__name__)


async def invite(update: Update, context: BotContext) -> None:
    """Give the user their invite link."""
    assert update.effective_message
    referrals = context.services.referrals
    link = await referrals.link(context.user.id)
    await update.effective_message.reply_text(texts.invite(link, referrals.reward))


async def arrived_through_link(update: Update, context: BotContext) -> None:
    """Remember who invited a user whose account this very /start created."""
    if not context.account_created or not context.args:
        return
    inviter_id = await context.services.referrals.arrived(context.user.id, context.args[0])
    if inviter_id is not None:
        log.info("user %s was invited by %s", context.user.id, inviter_id)


def build_invite_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [CommandHandler("invite", invite)]


def build_referral_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    """For a later group than /start's greeting, which must still answer the same update."""
    return [CommandHandler("start", arrived_through_link)]
