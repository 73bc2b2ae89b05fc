"""Promo codes: admins create them with /promo; users redeem them with /redeem <code> or by
opening a `?start=promo_<code>` link."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot import texts
from bot.context import BotContext
from handlers.parsing import integer
from storage.promos import Redemption

START_PREFIX = "promo_"
"""Deep links carry `/start promo_<code>`."""
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{3,32}$")
"""What fits a deep link's parameter (A-Z, a-z, 0-9, _ and -, 64 at most with the prefix)."""


def _positive(text: str) -> int | None:
    number = integer(text)
    return number if number is not None and 0 < number < 2**31 else None


async def create_promo(update: Update, context: BotContext) -> None:
    """Create a code: `/promo <code> <credits> [uses] [days]`; alone, list the codes."""
    assert update.effective_message and update.effective_user
    reply = update.effective_message.reply_text
    args = context.args or []
    promos = context.services.promos
    if not args:
        await reply(texts.promo_list(await promos.all()))
        return
    numbers = [_positive(arg) for arg in args[1:]]
    if not 2 <= len(args) <= 4 or not CODE_PATTERN.match(args[0]) or None in numbers:
        await reply(texts.PROMO_USAGE)
        return
    code = args[0].upper()
    credits, max_uses, days = (numbers + [None, None])[:3]
    assert credits is not None
    expires_at = None
    if days:
        try:
            expires_at = (datetime.now(UTC) + timedelta(days=days)).isoformat(timespec="seconds")
        except OverflowError:  # a date past the year 9999
            await reply(texts.PROMO_USAGE)
            return
    promo = await promos.create(
        code,
        credits,
        max_uses=max_uses,
        expires_at=expires_at,
        admin_id=update.effective_user.id,
    )
    if promo is None:
        await reply(texts.promo_exists(code))
        return
    link = f"https://t.me/{context.bot.username}?start={START_PREFIX}{code}"
    await reply(texts.promo_created(promo, link))


async def redeem(update: Update, context: BotContext) -> None:
    """Redeem the code given after /redeem."""
    assert update.effective_message
    args = context.args or []
    if len(args) != 1:
        await update.effective_message.reply_text(texts.REDEEM_USAGE)
        return
    await _redeem(update, context, args[0])


async def redeem_from_link(update: Update, context: BotContext) -> None:
    """Redeem the code of a `?start=promo_<code>` link, after /start has greeted the user."""
    args = context.args or []
    if len(args) == 1 and args[0].startswith(START_PREFIX):
        await _redeem(update, context, args[0].removeprefix(START_PREFIX))


async def _redeem(update: Update, context: BotContext, typed: str) -> None:
    assert update.effective_message
    code = typed.upper()
    if not CODE_PATTERN.match(code):
        await update.effective_message.reply_text(texts.promo_unknown(typed[:32]))
        return
    outcome = await context.services.promos.redeem(code, context.user.id, texts.promo_note(code))
    match outcome.result:
        case Redemption.REDEEMED:
            text = texts.promo_redeemed(code, outcome.credits, outcome.balance)
        case Redemption.UNKNOWN:
            text = texts.promo_unknown(code)
        case Redemption.EXPIRED:
            text = texts.promo_expired(code)
        case Redemption.USED_UP:
            text = texts.promo_used_up(code)
        case Redemption.ALREADY:
            text = texts.promo_already(code)
    await update.effective_message.reply_text(text)


def build_promo_handlers(
    admins: filters.BaseFilter,
) -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("promo", create_promo, filters=admins),
        CommandHandler("redeem", redeem),
    ]


def build_promo_link_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    """For a later group than /start's greeting, which must still answer the same update."""
    return [CommandHandler("start", redeem_from_link)]
