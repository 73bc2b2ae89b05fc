"""/subscription: the monthly plans (Telegram Stars subscriptions) as payment links, or the
user's current plan with a button to cancel or re-enable its renewal.

The payments themselves (the first one and every renewal) arrive as `successful_payment`
and are credited in handlers/payments.py, once per charge id.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LabeledPrice, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import payments, texts
from bot.context import BotContext
from handlers.edits import edit_text
from storage.payments import Subscription

log = logging.getLogger(__name__)

CANCEL_PREFIX = "sub:cancel:"
RENEW_PREFIX = "sub:renew:"


async def subscription(update: Update, context: BotContext) -> None:
    """Show the current plan with its renewal button, or the plans to subscribe to."""
    assert update.effective_message
    services = context.services
    current = await services.payments.current_subscription(context.user.id)
    if current is not None:
        await update.effective_message.reply_text(
            texts.subscription_status(current), reply_markup=status_keyboard(current)
        )
        return
    plans = services.settings.subscription_plans
    if not plans:
        await update.effective_message.reply_text(texts.PLANS_OFF)
        return
    buttons = []
    for plan in plans:
        order = payments.plan_order(context.user.id, plan)
        link = await context.bot.create_invoice_link(
            title=texts.plan_title(plan.credits),
            description=texts.plan_description(plan.credits),
            payload=payments.plan_payload(order),
            currency=payments.CURRENCY,
            prices=[LabeledPrice(texts.plan_title(plan.credits), plan.stars)],
            subscription_period=payments.SUBSCRIPTION_PERIOD,
        )
        buttons.append(
            [InlineKeyboardButton(texts.plan_button(plan.credits, plan.stars), url=link)]
        )
    await update.effective_message.reply_text(
        texts.plans_intro(context.user.balance), reply_markup=InlineKeyboardMarkup(buttons)
    )


def status_keyboard(plan: Subscription) -> InlineKeyboardMarkup:
    button = (
        InlineKeyboardButton(texts.RENEW_PLAN_BUTTON, callback_data=f"{RENEW_PREFIX}{plan.id}")
        if plan.canceled
        else InlineKeyboardButton(
            texts.CANCEL_PLAN_BUTTON, callback_data=f"{CANCEL_PREFIX}{plan.id}"
        )
    )
    return InlineKeyboardMarkup([[button]])


async def cancel_renewal(update: Update, context: BotContext) -> None:
    """Turn the plan's renewal off at Telegram; the paid period runs to its end."""
    await _set_renewal(update, context, CANCEL_PREFIX, canceled=True)


async def allow_renewal(update: Update, context: BotContext) -> None:
    """Let the plan renew again."""
    await _set_renewal(update, context, RENEW_PREFIX, canceled=False)


async def _set_renewal(
    update: Update, context: BotContext, prefix: str, *, canceled: bool
) -> None:
    query = update.callback_query
    assert query and query.data
    repository = context.services.payments
    plan = await repository.current_subscription(query.from_user.id)
    # Only the user's current plan can be changed, from a button that names it.
    if plan is None or query.data.removeprefix(prefix) != str(plan.id):
        await query.answer(texts.SUBSCRIPTION_GONE, show_alert=True)
        return
    # A second tap of a double tap finds the change made; it only answers and shows it.
    if plan.canceled != canceled:
        try:
            await context.bot.edit_user_star_subscription(plan.user_id, plan.charge_id, canceled)
        except BadRequest as err:
            log.warning("Telegram refused to change subscription %s: %s", plan.id, err.message)
            await query.answer(texts.SUBSCRIPTION_EDIT_REFUSED, show_alert=True)
            return
        plan = await repository.set_canceled(plan.id, canceled)
    await query.answer(texts.PLAN_CANCELED if canceled else texts.PLAN_RENEWABLE)
    await edit_text(query, texts.subscription_status(plan), status_keyboard(plan))


def build_subscription_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("subscription", subscription),
        CallbackQueryHandler(cancel_renewal, pattern=f"^{CANCEL_PREFIX}"),
        CallbackQueryHandler(allow_renewal, pattern=f"^{RENEW_PREFIX}"),
    ]
