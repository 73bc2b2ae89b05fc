"""Buying credits with Telegram Stars end to end: /buy, the invoice, pre-checkout, the
payment credited exactly once, refunds, /terms and /paysupport; and the CREDIT_PACKS setting."""

from __future__ import annotations

from typing import Any

import pytest

from bot import payments, texts
from bot.config import CreditPack, SettingsError, load_settings
from bot.playground.emulator import BotApiEmulator, EmulatedUser, TelegramApiError
from storage.users import LedgerKind
from tests.conftest import RunningBot
from tests.flows import open_invoice, start_faceswap

ADMIN = 900


async def balance_reply(user: EmulatedUser) -> str:
    """Ask /balance; since updates are handled in order, everything sent before is done."""
    await user.send_text("/balance")
    return (await user.wait_for_text("Your balance")).text or ""


async def test_buy_shows_the_packs_and_sends_a_stars_invoice(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await ann.send_text("/buy")
    packs = await ann.next_message()
    assert "Your balance: 10 credits" in (packs.text or "")
    assert [text for text, _ in packs.buttons()] == [
        "100 credits — ⭐ 50",
        "500 credits — ⭐ 200",
        "1500 credits — ⭐ 500",
    ]

    await ann.press(packs, "buy:500")
    invoice = await ann.next_message()
    assert invoice.method == "sendInvoice"
    assert invoice.raw["invoice"]["currency"] == "XTR"
    assert invoice.raw["invoice"]["total_amount"] == 200
    assert invoice.raw["invoice"]["title"] == "500 credits"
    assert invoice.params["prices"] == [{"label": "500 credits", "amount": 200}]
    assert not invoice.params.get("provider_token")
    assert invoice.params["payload"] == "credits:101:500:200"
    assert ann.callback_answers()[-1].get("text") is None


async def test_a_pack_no_longer_on_sale_is_refused_at_the_button(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await ann.send_text("/buy")
    packs = await ann.next_message()
    await ann.press_data(packs, "buy:999")
    await telegram.wait_until(lambda: bool(ann.callback_answers()))
    assert ann.callback_answers()[0]["text"] == texts.PACK_GONE
    assert not [m for m in ann.messages() if m.method == "sendInvoice"]


async def test_a_payment_is_credited_once_and_thanked(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    invoice = await open_invoice(ann)
    charge_id = await ann.pay(invoice)
    thanks = await ann.next_message()
    assert thanks.text == texts.payment_thanks(500, 510)

    # Telegram delivers the same payment again: nothing more is credited or said.
    await ann.send_successful_payment(invoice, charge_id=charge_id)
    assert await balance_reply(ann) == "Your balance: 510 credits"
    assert [m.text for m in ann.messages()].count(thanks.text) == 1
    purchases = [e for e in await bot.services.ledger.history(101) if e.kind == "purchase"]
    assert [(e.amount, e.note) for e in purchases] == [(500, "200 Stars")]
    payment = await bot.services.payments.get(charge_id)
    assert payment is not None
    assert (payment.user_id, payment.stars, payment.credits) == (101, 200, 500)


async def test_a_payment_delivered_again_after_a_restart_is_not_credited_twice(
    telegram: BotApiEmulator, start_bot: Any
) -> None:
    first = await start_bot()
    ann = telegram.user(101)
    invoice = await open_invoice(ann, 100)
    charge_id = await ann.pay(invoice)
    await ann.wait_for_text("Thank you")
    await first.stop()

    second = await start_bot()
    await ann.send_successful_payment(invoice, charge_id=charge_id)
    assert await balance_reply(ann) == "Your balance: 110 credits"
    assert await second.services.ledger.total(101) == 110


async def test_pre_checkout_refuses_a_changed_price_another_users_invoice_and_old_packs(
    telegram: BotApiEmulator, start_bot: Any
) -> None:
    first = await start_bot()
    ann, bob = telegram.user(101), telegram.user(202)
    invoice = await open_invoice(ann)

    wrong_price = await ann.send_pre_checkout_query(invoice, total_amount=1)
    not_his = await bob.send_pre_checkout_query(invoice)
    await telegram.wait_until(lambda: not_his in telegram.pre_checkout_answers)
    assert telegram.pre_checkout_answers[wrong_price] == {
        "pre_checkout_query_id": wrong_price,
        "ok": False,
        "error_message": texts.PAYMENT_OFFER_CHANGED,
    }
    assert telegram.pre_checkout_answers[not_his]["ok"] is False
    assert telegram.pre_checkout_answers[not_his]["error_message"] == texts.PAYMENT_NOT_YOURS

    # The operator changes the packs: an invoice for the old price is refused.
    await first.stop()
    await start_bot(credit_packs="500:250")
    old_pack = await ann.send_pre_checkout_query(invoice)
    await telegram.wait_until(lambda: old_pack in telegram.pre_checkout_answers)
    assert telegram.pre_checkout_answers[old_pack]["ok"] is False
    assert telegram.pre_checkout_answers[old_pack]["error_message"] == (
        texts.PAYMENT_OFFER_CHANGED
    )


async def test_a_payment_that_matches_no_pack_is_recorded_but_not_credited(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    invoice = await open_invoice(ann, 100)
    invoice.params["payload"] = "credits:101:100000:50"  # as if the invoice had been forged
    charge_id = await ann.send_successful_payment(invoice)
    assert (await ann.next_message()).text == texts.PAYMENT_NOT_RECOGNISED
    payment = await bot.services.payments.get(charge_id)
    assert payment is not None and (payment.stars, payment.credits) == (50, 0)
    assert await bot.services.ledger.balance(101) == 10


async def test_a_payment_during_a_flow_is_credited_not_taken_as_the_flows_input(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    invoice = await open_invoice(ann, 100)
    await start_faceswap(ann)
    await ann.pay(invoice)
    assert (await ann.next_message()).text == texts.payment_thanks(100, 110)


async def test_refund_returns_the_stars_and_takes_back_the_credits(
    telegram: BotApiEmulator, start_bot: Any
) -> None:
    bot = await start_bot(admin_ids=str(ADMIN))
    ann, admin = telegram.user(101), telegram.user(ADMIN)
    invoice = await open_invoice(ann)
    charge_id = await ann.pay(invoice)
    await ann.wait_for_text("Thank you")

    await admin.send_text(f"/refund {charge_id}")
    report = await admin.next_message()
    assert telegram.refunds == [(101, charge_id)]
    assert "Refunded 200 Stars to user 101" in (report.text or "")
    assert "Taken back: 500 credits; their balance: 10 credits" in (report.text or "")
    assert "Shortfall" not in (report.text or "")
    assert (await ann.next_message()).text == texts.payment_refunded(200, 500)
    refund_row = (await bot.services.ledger.history(101, limit=1))[0]
    assert (refund_row.amount, refund_row.kind, refund_row.admin_id) == (
        -500,
        LedgerKind.PURCHASE,
        ADMIN,
    )

    await admin.send_text(f"/refund {charge_id}")
    assert "was refunded on" in ((await admin.next_message()).text or "")
    assert len(telegram.refunds) == 1


async def test_refund_of_spent_credits_stops_at_zero_and_reports_the_shortfall(
    telegram: BotApiEmulator, start_bot: Any
) -> None:
    bot = await start_bot(admin_ids=str(ADMIN))
    ann, admin = telegram.user(101), telegram.user(ADMIN)
    charge_id = await ann.pay(await open_invoice(ann, 100))
    await ann.wait_for_text("Thank you")
    await bot.services.ledger.apply(101, -105, LedgerKind.CHARGE, note="spent")

    await admin.send_text(f"/refund {charge_id}")
    report = (await admin.next_message()).text or ""
    assert "Taken back: 5 credits; their balance: 0 credits" in report
    assert "Shortfall: 95 credits" in report
    assert await bot.services.ledger.balance(101) == 0
    assert await bot.services.ledger.total(101) == 0


async def test_refund_when_telegram_refunded_already_or_refuses(
    telegram: BotApiEmulator, start_bot: Any
) -> None:
    bot = await start_bot(admin_ids=str(ADMIN))
    ann, admin = telegram.user(101), telegram.user(ADMIN)
    charge_id = await ann.pay(await open_invoice(ann, 100))
    await ann.wait_for_text("Thank you")

    telegram.fail_next("refundStarPayment", TelegramApiError(400, "Bad Request: CHARGE_BROKEN"))
    await admin.send_text(f"/refund {charge_id}")
    assert (await admin.next_message()).text == texts.refund_refused("Charge_broken")
    assert await bot.services.ledger.balance(101) == 110

    # Refunded at Telegram, then the bot stopped before recording it: /refund finishes it.
    telegram.fail_next(
        "refundStarPayment", TelegramApiError(400, "Bad Request: CHARGE_ALREADY_REFUNDED")
    )
    await admin.send_text(f"/refund {charge_id}")
    assert "Refunded 50 Stars" in ((await admin.next_message()).text or "")
    assert await bot.services.ledger.balance(101) == 10


async def test_two_admins_refunding_one_payment_at_once_refund_it_once(
    telegram: BotApiEmulator, start_bot: Any
) -> None:
    bot = await start_bot(admin_ids=f"{ADMIN},{ADMIN + 1}")
    ann, admin, other = telegram.user(101), telegram.user(ADMIN), telegram.user(ADMIN + 1)
    charge_id = await ann.pay(await open_invoice(ann, 100))
    await ann.wait_for_text("Thank you")

    hold = telegram.hold("refundStarPayment", handled=True)  # refunded; the answer waits
    await admin.send_text(f"/refund {charge_id}")
    await hold.wait_reached()
    await other.send_text(f"/refund {charge_id}")
    assert "Refunded 50 Stars" in ((await other.next_message()).text or "")
    hold.release()
    assert "was refunded on" in ((await admin.next_message()).text or "")
    assert await bot.services.ledger.balance(101) == 10
    assert [m.text for m in ann.messages()].count(texts.payment_refunded(50, 100)) == 1


async def test_refund_usage_unknown_charges_and_non_admins(
    telegram: BotApiEmulator, start_bot: Any
) -> None:
    await start_bot(admin_ids=str(ADMIN))
    ann, admin = telegram.user(101), telegram.user(ADMIN)
    await admin.send_text("/refund")
    assert (await admin.next_message()).text == texts.REFUND_USAGE
    await admin.send_text("/refund stxNope")
    assert (await admin.next_message()).text == texts.no_payment("stxNope")
    await ann.send_text("/refund stxNope")
    assert (await ann.next_message()).text == texts.unknown_command("/refund")
    assert telegram.refunds == []


async def test_terms_and_paysupport_have_defaults_and_follow_the_settings(
    telegram: BotApiEmulator, start_bot: Any
) -> None:
    first = await start_bot()
    ann = telegram.user(101)
    await ann.send_text("/terms")
    assert (await ann.next_message()).text == texts.TERMS_OF_SALE
    await ann.send_text("/paysupport")
    assert (await ann.next_message()).text == texts.PAYSUPPORT
    await first.stop()

    await start_bot(terms_text="Our terms.", paysupport_text="Write to @castbot_support.")
    await ann.send_text("/terms")
    assert (await ann.next_message()).text == "Our terms."
    await ann.send_text("/paysupport")
    assert (await ann.next_message()).text == "Write to @castbot_support."
    registered = {command["command"] for command in telegram.commands}
    assert {"buy", "terms", "paysupport", "invite"} <= registered


def test_credit_packs_are_read_as_credits_and_stars() -> None:
    settings = load_settings(
        _env_file=None, telegram_bot_token="1:" + "A" * 30, credit_packs=" 10:5, 40:15 "
    )
    assert settings.credit_packs == (
        CreditPack(credits=10, stars=5),
        CreditPack(credits=40, stars=15),
    )
    default = load_settings(_env_file=None, telegram_bot_token="1:" + "A" * 30)
    assert [(pack.credits, pack.stars) for pack in default.credit_packs] == [
        (100, 50),
        (500, 200),
        (1500, 500),
    ]
    assert (default.provider_balance_alert, default.referral_credits) == (100, 10)
    assert (default.terms_text, default.paysupport_text) == ("", "")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("100", "CREDIT_PACKS must be comma-separated credits:stars pairs"),
        ("100:0", "CREDIT_PACKS must be comma-separated credits:stars pairs"),
        ("", "CREDIT_PACKS must be comma-separated credits:stars pairs"),
        ("100:50,100:60", "CREDIT_PACKS must not offer the same number of credits twice"),
    ],
)
def test_malformed_credit_packs_are_one_readable_line(value: str, problem: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(_env_file=None, telegram_bot_token="1:" + "A" * 30, credit_packs=value)
    assert str(refused.value).startswith(problem)
    assert "\n" not in str(refused.value)


def test_payloads_cannot_be_turned_into_a_bigger_pack() -> None:
    packs = (CreditPack(credits=100, stars=50), CreditPack(credits=500, stars=200))
    order = payments.Order(7, packs[0])
    payload = payments.invoice_payload(order)
    assert payments.parse_payload(payload) == order
    assert payments.refusal(packs, 7, payload, "XTR", 50) is None
    assert payments.refusal(packs, 8, payload, "XTR", 50) == texts.PAYMENT_NOT_YOURS
    assert payments.refusal(packs, 7, "credits:7:500:50", "XTR", 50) == (
        texts.PAYMENT_OFFER_CHANGED
    )
    assert payments.refusal(packs, 7, payload, "USD", 50) == texts.PAYMENT_OFFER_CHANGED
    assert payments.refusal(packs, 7, "junk", "XTR", 50) == texts.PAYMENT_NOT_YOURS
    assert payments.credits_paid_for(packs, 7, payload, "XTR", 50) == 100
    assert payments.credits_paid_for(packs, 7, payload, "XTR", 49) == 0
    assert payments.credits_paid_for(packs, 8, payload, "XTR", 50) == 0
    assert payments.credits_paid_for(packs, 7, "credits:7:500:50", "XTR", 50) == 0
