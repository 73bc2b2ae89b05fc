"""/buy credits with Telegram Stars, the payment itself (packs and monthly plans), /refund
for admins, /terms and /paysupport (which Telegram requires of bots that sell digital goods)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from telegram import LabeledPrice, Message, SuccessfulPayment, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from bot import payments, texts
from bot.context import BotContext
from bot.i18n import use_locale, user_locale
from bot.tools import TOOLS
from handlers.orders import BUY_PREFIX, packs_keyboard, quote_keyboard
from handlers.parsing import integer
from storage.jobs import JobState
from storage.payments import PaymentAlreadyRefunded, Purchase, SubscriptionTerm

log = logging.getLogger(__name__)


async def buy(update: Update, context: BotContext) -> None:
    """Show the credit packs as buttons."""
    assert update.effective_message
    await update.effective_message.reply_text(
        texts.buy_intro(context.user.balance),
        reply_markup=packs_keyboard(context.services.settings.credit_packs),
    )


async def send_invoice(update: Update, context: BotContext) -> None:
    """Send the invoice for the chosen pack; Telegram shows the Pay button under it."""
    query = update.callback_query
    assert query and query.data and update.effective_chat
    number, _, job_id = query.data.removeprefix(BUY_PREFIX).partition(":")
    pack_credits = integer(number)
    packs = context.services.settings.credit_packs
    pack = payments.find_pack(packs, pack_credits) if pack_credits is not None else None
    if pack is None:
        await query.answer(texts.PACK_GONE, show_alert=True)
        return
    await query.answer()
    order = payments.Order(query.from_user.id, pack, job_id or None)
    await update.effective_chat.send_invoice(
        title=texts.invoice_title(pack.credits),
        description=texts.invoice_description(pack.credits),
        payload=payments.invoice_payload(order),
        currency=payments.CURRENCY,
        prices=[LabeledPrice(texts.invoice_title(pack.credits), pack.stars)],
        provider_token="",
    )


async def pre_checkout(update: Update, context: BotContext) -> None:
    """Approve the payment if the invoice is the payer's and its pack is on sale as priced."""
    query = update.pre_checkout_query
    assert query
    settings = context.services.settings
    reason = payments.refusal(
        settings.credit_packs,
        query.from_user.id,
        query.invoice_payload,
        query.currency,
        query.total_amount,
        plans=settings.subscription_plans,
    )
    if reason is None:
        await query.answer(ok=True)
    else:
        log.info("pre-checkout of user %s refused: %s", query.from_user.id, reason)
        await query.answer(ok=False, error_message=reason)


async def paid(update: Update, context: BotContext) -> None:
    """Credit the payment, once per charge id, and thank the buyer; then pay the referral
    reward a first purchase earns, and offer the job the credits were bought for."""
    message = update.effective_message
    assert message and message.successful_payment and update.effective_user
    payment = message.successful_payment
    user_id = update.effective_user.id
    order = payments.parse_payload(payment.invoice_payload)
    credits = payments.credits_paid_for(
        context.services.settings.credit_packs,
        user_id,
        payment.invoice_payload,
        payment.currency,
        payment.total_amount,
    )
    purchase = await context.services.payments.record(
        charge_id=payment.telegram_payment_charge_id,
        user_id=user_id,
        stars=payment.total_amount,
        credits=credits,
        payload=payment.invoice_payload,
        subscription=_term(payment) if isinstance(order, payments.PlanOrder) else None,
    )
    if not purchase.credited:
        log.info("payment %s was delivered again; not credited twice", purchase.payment.id)
        return
    if not credits:
        log.error("payment %s matches nothing on sale; refund it", purchase.payment.id)
        await message.reply_text(texts.PAYMENT_NOT_RECOGNISED)
        return
    await message.reply_text(_thanks(payment, purchase))
    await context.services.referrals.on_purchase(user_id)
    if isinstance(order, payments.Order) and order.job_id:
        await _offer_to_resume(message, context, order.job_id, purchase.balance)


def _term(payment: SuccessfulPayment) -> SubscriptionTerm:
    """The subscription a plan's payment extends, until when."""
    # Telegram sends the expiration date with every payment of a subscription.
    expires = payment.subscription_expiration_date or (
        datetime.now(UTC) + payments.SUBSCRIPTION_PERIOD
    )
    return SubscriptionTerm(
        payload=payment.invoice_payload,
        expires_at=expires.astimezone(UTC).isoformat(timespec="seconds"),
    )


def _thanks(payment: SuccessfulPayment, purchase: Purchase) -> str:
    plan = purchase.subscription
    if plan is None:
        return texts.payment_thanks(purchase.payment.credits, purchase.balance)
    if payment.is_first_recurring:
        return texts.plan_started(purchase.payment.credits, purchase.balance, plan.expires_at)
    return texts.plan_renewed(purchase.payment.credits, purchase.balance, plan.expires_at)


async def _offer_to_resume(
    message: Message, context: BotContext, job_id: str, balance: int
) -> None:
    """Offer the quote the credits were bought for, if it still waits and is affordable."""
    job = await context.services.jobs.get(job_id)
    if job is None or job.user_id != context.user.id or job.state is not JobState.QUOTED:
        return
    if job.price > balance:
        return
    await message.reply_text(
        texts.resume_offer(TOOLS[job.tool].title, job.price, balance),
        reply_markup=quote_keyboard(job),
    )


async def refund(update: Update, context: BotContext) -> None:
    """Refund a payment's Stars and take back its credits, as far as they are unspent."""
    assert update.effective_message and update.effective_user
    reply = update.effective_message.reply_text
    args = context.args or []
    if len(args) != 1:
        await reply(texts.REFUND_USAGE)
        return
    charge_id = args[0]
    payments_repository = context.services.payments
    payment = await payments_repository.get(charge_id)
    if payment is None:
        await reply(texts.no_payment(charge_id))
        return
    if payment.refunded_at is not None:
        await reply(texts.payment_already_refunded(payment))
        return
    try:
        await context.bot.refund_star_payment(payment.user_id, charge_id)
    except BadRequest as err:
        # Refunded at Telegram but not here (a crash came in between): finish the job.
        if "ALREADY_REFUNDED" not in err.message.upper():
            await reply(texts.refund_refused(err.message))
            return
    # The buyer's ledger and notice are in the buyer's language, not the admin's.
    buyer_locale = await user_locale(context.services.users, payment.user_id)
    with use_locale(buyer_locale):
        note = texts.STARS_REFUND_NOTE
    try:
        outcome = await payments_repository.refund(charge_id, update.effective_user.id, note)
    except PaymentAlreadyRefunded as done:  # by another admin meanwhile
        await reply(texts.payment_already_refunded(done.payment))
        return
    report = texts.refund_done(outcome)
    if payment.subscription_id is not None:
        report += "\n" + await _stop_renewal(context, payment.subscription_id)
    await reply(report)
    with use_locale(buyer_locale):
        notice = texts.payment_refunded(payment.stars, outcome.debited)
    try:
        await context.bot.send_message(payment.user_id, notice)
    except TelegramError as err:
        log.info("could not tell user %s about their refund: %r", payment.user_id, err)


async def _stop_renewal(context: BotContext, subscription_id: int) -> str:
    """Cancel the renewal of the plan a refunded payment paid for; returns the report line."""
    repository = context.services.payments
    plan = await repository.subscription(subscription_id)
    assert plan is not None
    try:
        await context.bot.edit_user_star_subscription(plan.user_id, plan.charge_id, True)
    except BadRequest as err:
        return texts.plan_refund_note(False, err.message)
    await repository.set_canceled(subscription_id, True)
    return texts.plan_refund_note(True, None)


async def terms(update: Update, context: BotContext) -> None:
    """Show the terms of use and of sale."""
    assert update.effective_message
    await update.effective_message.reply_text(
        context.services.settings.terms_text or texts.TERMS_OF_SALE
    )


async def paysupport(update: Update, context: BotContext) -> None:
    """Tell buyers where to get help with a payment."""
    assert update.effective_message
    await update.effective_message.reply_text(
        context.services.settings.paysupport_text or texts.PAYSUPPORT
    )


def build_payment_handlers(
    admins: filters.BaseFilter,
) -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("buy", buy),
        CallbackQueryHandler(send_invoice, pattern=f"^{BUY_PREFIX}"),
        PreCheckoutQueryHandler(pre_checkout),
        MessageHandler(filters.SUCCESSFUL_PAYMENT, paid),
        CommandHandler("refund", refund, filters=admins),
        CommandHandler("terms", terms),
        CommandHandler("paysupport", paysupport),
    ]
