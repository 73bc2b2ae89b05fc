"""The operator's commands: /stats, /grant, /user, /block, /unblock, /broadcast and /backup.

Each is registered with the ADMIN_IDS filter, so for anyone else it does not exist.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from telegram import InputFile, Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot import charts, texts
from bot.context import BotContext
from bot.courier import UPLOAD_LIMIT
from handlers.parsing import integer
from storage.backup import write_backup
from storage.users import InsufficientCredits, LedgerKind, UnknownUser

RECENT = 5
"""How many jobs, ledger rows and payments /user shows."""


def _only_user_id(context: BotContext) -> int | None:
    args = context.args or []
    return integer(args[0]) if len(args) == 1 else None


async def stats(update: Update, context: BotContext) -> None:
    """Users, jobs, money, and the provider's own balance; then the 30-day chart."""
    assert update.effective_message
    services = context.services
    overview = await services.stats.overview()
    balance = await services.balance_watch.balance()
    await update.effective_message.reply_text(texts.stats(overview, balance))
    days = charts.chart_days(charts.CHART_DAYS)
    chart = await charts.stats_chart(await services.stats.daily(days[0]), days)
    await update.effective_message.reply_photo(
        InputFile(chart, filename="stats.png"),
        caption=texts.stats_chart_caption(charts.CHART_DAYS),
    )


async def grant(update: Update, context: BotContext) -> None:
    """Give a user credits, or take them with a negative number; the ledger names the admin."""
    assert update.effective_message and update.effective_user
    reply = update.effective_message.reply_text
    args = context.args or []
    user_id = integer(args[0]) if args else None
    amount = integer(args[1]) if len(args) > 1 else None
    if user_id is None or not amount:
        await reply(texts.GRANT_USAGE)
        return
    try:
        balance = await context.services.ledger.apply(
            user_id,
            amount,
            LedgerKind.GRANT,
            note=" ".join(args[2:]) or None,
            admin_id=update.effective_user.id,
        )
    except UnknownUser:
        await reply(texts.no_user(user_id))
    except InsufficientCredits as refused:
        await reply(texts.grant_below_zero(user_id, refused.balance))
    else:
        await reply(texts.granted(user_id, amount, balance))


async def user(update: Update, context: BotContext) -> None:
    """Show one user: balance, blocked flag, last jobs, ledger rows and payments."""
    assert update.effective_message
    reply = update.effective_message.reply_text
    user_id = _only_user_id(context)
    if user_id is None:
        await reply(texts.USER_USAGE)
        return
    services = context.services
    account = await services.users.get(user_id)
    if account is None:
        await reply(texts.no_user(user_id))
        return
    await reply(
        texts.user_card(
            account,
            await services.jobs.recent(user_id, limit=RECENT),
            await services.ledger.history(user_id, limit=RECENT),
            await services.payments.recent(user_id, limit=RECENT),
            await services.referrals.inviter_of(user_id),
        )
    )


async def block(update: Update, context: BotContext) -> None:
    """Block a user: from now on their messages get one short reply and nothing else."""
    await _set_blocked(update, context, blocked=True)


async def unblock(update: Update, context: BotContext) -> None:
    """Let a blocked user use the bot again."""
    await _set_blocked(update, context, blocked=False)


async def _set_blocked(update: Update, context: BotContext, *, blocked: bool) -> None:
    assert update.effective_message
    reply = update.effective_message.reply_text
    user_id = _only_user_id(context)
    if user_id is None:
        await reply(texts.BLOCK_USAGE if blocked else texts.UNBLOCK_USAGE)
        return
    if blocked and user_id in context.services.settings.admin_ids:
        await reply(texts.CANNOT_BLOCK_ADMIN)
        return
    if await context.services.users.get(user_id) is None:
        await reply(texts.no_user(user_id))
        return
    await context.services.users.set_blocked(user_id, blocked)
    await reply(texts.blocked_now(user_id) if blocked else texts.unblocked_now(user_id))


async def broadcast(update: Update, context: BotContext) -> None:
    """Store a message for every user, then send it in the background and report at the end."""
    message = update.effective_message
    assert message and message.text and update.effective_user
    parts = message.text.split(maxsplit=1)
    if len(parts) < 2:
        await message.reply_text(texts.BROADCAST_USAGE)
        return
    broadcaster = context.services.broadcaster
    stored, recipients = await broadcaster.create(
        update.effective_user.id, message.chat_id, parts[1]
    )
    await message.reply_text(texts.broadcast_started(stored.id, recipients))
    broadcaster.launch(stored.id)


async def backup(update: Update, context: BotContext) -> None:
    """Send the admin a consistent, compressed copy of the database."""
    message = update.effective_message
    assert message
    name = f"castbot-{datetime.now(UTC):%Y%m%d-%H%M%S}.sqlite3.gz"
    with tempfile.TemporaryDirectory(prefix="castbot-backup-") as folder:
        path = Path(folder) / name
        # The copy is read through a connection of its own, off the event loop.
        size = await asyncio.to_thread(write_backup, context.services.settings.database_path, path)
        if size > UPLOAD_LIMIT:
            await message.reply_text(texts.backup_too_large(size, UPLOAD_LIMIT))
            return
        await message.reply_document(path, filename=name, caption=texts.backup_caption(size))


def build_admin_handlers(
    admins: filters.BaseFilter,
) -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler(name, callback, filters=admins)
        for name, callback in (
            ("stats", stats),
            ("grant", grant),
            ("user", user),
            ("block", block),
            ("unblock", unblock),
            ("broadcast", broadcast),
            ("backup", backup),
        )
    ]
