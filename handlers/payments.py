"""/buy credits with Telegram Stars, the payment itself, /refund for admins, /terms and
/paysupport (which Telegram requires of bots that sell digital goods)."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LabeledPrice, Update
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
from handlers.parsing import number_after

log = logging.getLogger(__name__)

BUY_PREFIX = "buy:"


async def buy(update: Update, context: BotContext) -> None:
    """Show the credit packs as buttons."""
    assert update.effective_message
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.pack_button(pack.credits, pack.stars),
                    callback_data=f"{BUY_PREFIX}{pack.credits}",
                )
            ]
            for pack in context.services.settings.credit_packs
        ]
    )
    await update.effective_message.reply_text(
        texts.buy_intro(context.user.balance), reply_markup=keyboard
    )


async def send_invoice(update: Update, context: BotContext) -> None:
    """Send the invoice for the chosen pack; Telegram shows the Pay button under it."""
    query = update.callback_query
    assert query and update.effective_chat
    pack_credits = number_after(BUY_PREFIX, query.data)
    packs = context.services.settings.credit_packs
    pack = payments.find_pack(packs, pack_credits) if pack_credits is not None else None
    if pack is None:
        await query.answer(texts.PACK_GONE, show_alert=True)
        return
    await query.answer()
    await update.effective_chat.send_invoice(
        title=texts.credits(pack.credits),
        description=texts.invoice_description(pack.credits),
        payload=payments.invoice_payload(payments.Order(query.from_user.id, pack)),
        currency=payments.CURRENCY,
        prices=[LabeledPrice(texts.credits(pack.credits), pack.stars)],
        provider_token="",
    )


async def pre_checkout(update: Update, context: BotContext) -> None:
    """Approve the payment if the invoice is the payer's and its pack is on sale as priced."""
    query = update.pre_checkout_query
    assert query
    reason = payments.refusal(
        context.services.settings.credit_packs,
        query.from_user.id,
        query.invoice_payload,
        query.currency,
        query.total_amount,
    )
    if reason is None:
        await query.answer(ok=True)
    else:
        log.info("pre-checkout of user %s refused: %s", query.from_user.id, reason)
        await query.answer(ok=False, error_message=reason)


async def paid(update: Update, context: BotContext) -> None:
    """Credit the payment, once per charge id, and thank the buyer."""
    message = update.effective_message
    assert message and message.successful_payment and update.effective_user
    payment = message.successful_payment
    user_id = update.effective_user.id
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
    )
    if not purchase.credited:
        log.info("payment %s was delivered again; not credited twice", purchase.payment.id)
        return
    if not credits:
        log.error("payment %s matches no credit pack; refund it", purchase.payment.id)
        await message.reply_text(texts.PAYMENT_NOT_RECOGNISED)
        return
    await message.reply_text(texts.payment_thanks(credits, purchase.balance))


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
    outcome = await payments_repository.refund(
        charge_id, update.effective_user.id, texts.STARS_REFUND_NOTE
    )
    await reply(texts.refund_done(outcome))
    try:
        await context.bot.send_message(
            payment.user_id, texts.payment_refunded(payment.stars, outcome.debited)
        )
    except TelegramError as err:
        log.info("could not tell user %s about their refund: %r", payment.user_id, err)


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
