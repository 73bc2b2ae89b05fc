"""Charging: start a job whose price the user knows, the buttons under a price quote, and the
credit packs offered wherever the balance falls short (so that is never a dead end)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot import texts
from bot.config import CreditPack
from bot.context import BotContext
from bot.tools import JobSpec, Tool
from handlers.conversation import Handlers
from storage.jobs import ConflictingJob, Job, JobNotQuoted, TooManyJobs
from storage.users import InsufficientCredits

CONFIRM_PREFIX = "job:go:"
DECLINE_PREFIX = "job:no:"
BUY_PREFIX = "buy:"
"""`buy:<credits>`, or `buy:<credits>:<job id>` for a pack bought to afford a quoted job."""

Rows = Sequence[Sequence[InlineKeyboardButton]]


@dataclass(frozen=True)
class Offer:
    """A quote shown to the user: the quoted job and the message that shows it."""

    job: Job
    message_id: int


async def place_order(
    update: Update, context: BotContext, tool: Tool, spec: JobSpec, price: int
) -> None:
    """Charge and start the job; if the balance falls short, keep it as a quote instead and
    offer the credit packs. The engine reports from here on."""
    assert update.effective_chat and update.effective_user
    try:
        await context.services.engine.order(
            user_id=update.effective_user.id,
            chat_id=update.effective_chat.id,
            tool=tool,
            spec=spec,
            price=price,
        )
    except InsufficientCredits as refused:
        job = await context.services.engine.quote(
            user_id=update.effective_user.id,
            chat_id=update.effective_chat.id,
            tool=tool,
            spec=spec,
            price=price,
        )
        await update.effective_chat.send_message(
            texts.short_of_credits(refused.needed, refused.balance),
            reply_markup=packs_keyboard(context.services.settings.credit_packs, job),
        )
    except TooManyJobs as refused:
        await update.effective_chat.send_message(texts.too_many_jobs(refused.limit))


async def balance_covering(update: Update, context: BotContext, price: int) -> int | None:
    """The user's balance if it covers `price`; otherwise None, after offering the packs."""
    assert update.effective_chat
    balance = await context.services.ledger.balance(context.user.id)
    if balance < price:
        await update.effective_chat.send_message(
            texts.not_enough_credits(price, balance),
            reply_markup=packs_keyboard(context.services.settings.credit_packs),
        )
        return None
    return balance


async def offer(
    update: Update,
    context: BotContext,
    tool: Tool,
    spec: JobSpec,
    price: int,
    describe: Callable[[int], str],
    provider: str | None = None,
    options: Rows = (),
) -> Offer | None:
    """Save the inputs with their price and ask the user to confirm the charge.

    `describe` words the offer, given the user's balance; `provider` names the actor
    provider of an actor job; `options` are rows of buttons shown above Start (a flow's
    options, which change the job). A balance short of the price gets the credit packs
    instead, the quote being kept for after the payment, and None is returned.
    """
    assert update.effective_chat and update.effective_user
    job = await context.services.engine.quote(
        user_id=update.effective_user.id,
        chat_id=update.effective_chat.id,
        tool=tool,
        spec=spec,
        price=price,
        provider=provider,
    )
    balance = await context.services.ledger.balance(context.user.id)
    if balance < price:
        await update.effective_chat.send_message(
            texts.short_of_credits(price, balance),
            reply_markup=packs_keyboard(context.services.settings.credit_packs, job),
        )
        return None
    message = await update.effective_chat.send_message(
        describe(balance), reply_markup=quote_keyboard(job, options)
    )
    return Offer(job, message.message_id)


def quote_keyboard(job: Job, options: Rows = ()) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            *options,
            [
                InlineKeyboardButton(
                    texts.start_button(job.price), callback_data=CONFIRM_PREFIX + job.id
                ),
                InlineKeyboardButton(texts.CANCEL_BUTTON, callback_data=DECLINE_PREFIX + job.id),
            ],
        ]
    )


def packs_keyboard(packs: tuple[CreditPack, ...], job: Job | None = None) -> InlineKeyboardMarkup:
    """One button per credit pack; with a job, paying offers to start that job after."""
    suffix = f":{job.id}" if job is not None else ""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.pack_button(pack.credits, pack.stars),
                    callback_data=f"{BUY_PREFIX}{pack.credits}{suffix}",
                )
            ]
            for pack in packs
        ]
    )


async def confirm(update: Update, context: BotContext) -> None:
    """Charge a quoted job and start it; short of credits, keep it and offer the packs."""
    query = update.callback_query
    assert query and query.data
    job_id = query.data.removeprefix(CONFIRM_PREFIX)
    try:
        await context.services.engine.confirm(job_id, query.from_user.id)
    except (JobNotQuoted, KeyError):
        await query.answer(texts.QUOTE_GONE, show_alert=True)
        return
    except InsufficientCredits as refused:
        job = await context.services.jobs.get(job_id)
        await query.answer()
        await query.edit_message_text(
            texts.short_of_credits(refused.needed, refused.balance),
            reply_markup=packs_keyboard(context.services.settings.credit_packs, job),
        )
        return
    except TooManyJobs as refused:
        await query.answer()
        await query.edit_message_text(texts.too_many_jobs(refused.limit))
        return
    except ConflictingJob:
        await query.answer()
        await query.edit_message_text(texts.ALREADY_UNDER_WAY)
        return
    await query.answer()
    await query.edit_message_text(texts.JOB_ACCEPTED)


async def decline(update: Update, context: BotContext) -> None:
    """Drop a quote without charging."""
    query = update.callback_query
    assert query and query.data
    try:
        await context.services.engine.decline(
            query.data.removeprefix(DECLINE_PREFIX), query.from_user.id
        )
    except (JobNotQuoted, KeyError):
        await query.answer(texts.QUOTE_GONE, show_alert=True)
        return
    await query.answer()
    await query.edit_message_text(texts.QUOTE_DECLINED)


def build_order_handlers() -> Handlers:
    return [
        CallbackQueryHandler(confirm, pattern=f"^{CONFIRM_PREFIX}"),
        CallbackQueryHandler(decline, pattern=f"^{DECLINE_PREFIX}"),
    ]
