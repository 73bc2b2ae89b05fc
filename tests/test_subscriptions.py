"""Monthly plans end to end: /subscription's Stars subscription links, the first payment and
each renewal credited once per charge id, cancel and re-enable, refunds; SUBSCRIPTION_PLANS."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot import texts
from bot.config import CreditPack, SettingsError, load_settings
from bot.playground.emulator import BotApiEmulator, EmulatedUser, PaymentFailed
from storage.users import LedgerKind
from tests.conftest import RunningBot

ADMIN = 900
PLANS = "300:250,1000:700"


def day(unix_time: int) -> str:
    return datetime.fromtimestamp(unix_time, UTC).isoformat()


async def plan_links(user: EmulatedUser) -> dict[str, str]:
    """/subscription without a plan: the plans' buttons, text to link."""
    await user.send_text("/subscription")
    message = await user.wait_for_text("Choose a plan")
    return dict(message.buttons())


async def subscribe(telegram: BotApiEmulator, user: EmulatedUser) -> str:
    """Subscribe to the 300-credit plan; returns the first charge id."""
    links = await plan_links(user)
    charge_id = await user.pay_link(links[texts.plan_button(300, 250)])
    await user.wait_for_text("Your monthly plan is on")
    return charge_id


async def test_subscribing_credits_the_plan_and_links_are_stars_subscriptions(
    telegram: BotApiEmulator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(subscription_plans=PLANS)
    ann = telegram.user(101)
    links = await plan_links(ann)
    assert list(links) == [texts.plan_button(300, 250), texts.plan_button(1000, 700)]
    invoice = telegram._invoice_links[links[texts.plan_button(300, 250)]]
    assert invoice["subscription_period"] == 2_592_000
    assert invoice["currency"] == "XTR"
    assert invoice["prices"] == [{"label": texts.plan_title(300), "amount": 250}]
    assert invoice["payload"].startswith("plan:101:300:250:")

    charge_id = await ann.pay_link(links[texts.plan_button(300, 250)])
    expires = telegram.subscriptions[charge_id].expires
    assert (await ann.next_message()).text == texts.plan_started(300, 310, day(expires))
    assert await bot.services.ledger.balance(101) == 310

    await ann.send_text("/subscription")
    status = await ann.next_message()
    plan = await bot.services.payments.current_subscription(101)
    assert plan is not None and plan.charge_id == charge_id and not plan.canceled
    assert status.text == texts.subscription_status(plan)
    assert "It renews on" in (status.text or "")
    assert [text for text, _ in status.buttons()] == [texts.CANCEL_PLAN_BUTTON]


async def test_a_renewal_is_credited_once_even_when_delivered_twice(
    telegram: BotApiEmulator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(subscription_plans=PLANS)
    ann = telegram.user(101)
    first = await subscribe(telegram, ann)
    renewal = await ann.renew_subscription(first)
    expires = telegram.subscriptions[first].expires
    await ann.wait_for_text(texts.plan_renewed(300, 610, day(expires)))

    await ann.deliver_payment_again(renewal)
    await ann.deliver_payment_again(first)
    await ann.send_text("/balance")
    assert (await ann.next_message()).text == "Your balance: 610 credits"
    purchases = [
        e for e in await bot.services.ledger.history(101) if e.kind is LedgerKind.PURCHASE
    ]
    assert [entry.amount for entry in purchases] == [300, 300]
    plan = await bot.services.payments.current_subscription(101)
    assert plan is not None and plan.expires_at == day(expires)
    payment = await bot.services.payments.get(renewal)
    assert payment is not None and payment.subscription_id == plan.id


async def test_cancel_and_re_enable_the_renewal(telegram: BotApiEmulator, start_bot: Any) -> None:
    bot: RunningBot = await start_bot(subscription_plans=PLANS)
    ann = telegram.user(101)
    first = await subscribe(telegram, ann)
    await ann.send_text("/subscription")
    status = await ann.next_message()

    await ann.press(status, texts.CANCEL_PLAN_BUTTON)
    await telegram.wait_until(lambda: telegram.subscriptions[first].canceled_by_bot)
    await telegram.wait_until(lambda: "It is cancelled" in (status.text or ""))
    assert [text for text, _ in status.buttons()] == [texts.RENEW_PLAN_BUTTON]
    assert ann.callback_answers()[-1]["text"] == texts.PLAN_CANCELED
    with pytest.raises(PaymentFailed):
        await ann.renew_subscription(first)

    await ann.press(status, texts.RENEW_PLAN_BUTTON)
    await telegram.wait_until(lambda: "It renews on" in (status.text or ""))
    assert not telegram.subscriptions[first].canceled_by_bot
    plan = await bot.services.payments.current_subscription(101)
    assert plan is not None and not plan.canceled
    await ann.renew_subscription(first)
    await ann.wait_for_text("Your monthly plan renewed")


async def test_a_double_tap_on_cancel_renewal_cancels_once_and_answers_both_taps(
    telegram: BotApiEmulator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(subscription_plans=PLANS)
    ann = telegram.user(101)
    first = await subscribe(telegram, ann)
    await ann.send_text("/subscription")
    status = await ann.next_message()
    await ann.press(status, texts.CANCEL_PLAN_BUTTON)
    await ann.press(status, texts.CANCEL_PLAN_BUTTON)  # before the first tap's edit showed
    await telegram.wait_until(lambda: len(ann.callback_answers()) == 2)
    await bot.application.update_queue.join()  # marked done once its handlers ran
    assert [answer["text"] for answer in ann.callback_answers()] == [texts.PLAN_CANCELED] * 2
    assert telegram.subscriptions[first].canceled_by_bot
    edits = [method for method, _ in telegram.requests if method == "editUserStarSubscription"]
    assert len(edits) == 1
    assert "It is cancelled" in (status.text or "")
    assert not any(m.text == texts.SOMETHING_WENT_WRONG for m in ann.messages())


async def test_a_stale_or_forged_plan_button_changes_nothing(
    telegram: BotApiEmulator, start_bot: Any
) -> None:
    await start_bot(subscription_plans=PLANS)
    ann, eve = telegram.user(101), telegram.user(666)
    first = await subscribe(telegram, ann)
    await eve.send_text("/balance")
    eves_view = await eve.next_message()
    await eve.press_data(eves_view, "sub:cancel:1")
    await telegram.wait_until(lambda: bool(eve.callback_answers()))
    assert eve.callback_answers()[0]["text"] == texts.SUBSCRIPTION_GONE
    assert not telegram.subscriptions[first].canceled_by_bot


async def test_refunding_a_plans_payment_stops_its_renewal(
    telegram: BotApiEmulator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(subscription_plans=PLANS, admin_ids=str(ADMIN))
    ann, admin = telegram.user(101), telegram.user(ADMIN)
    first = await subscribe(telegram, ann)
    renewal = await ann.renew_subscription(first)
    await ann.wait_for_text("Your monthly plan renewed")

    await admin.send_text(f"/refund {renewal}")
    report = (await admin.next_message()).text or ""
    assert "Refunded 250 Stars to user 101" in report
    assert texts.plan_refund_note(True, None) in report
    assert telegram.refunds == [(101, renewal)]
    assert telegram.subscriptions[first].canceled_by_bot
    assert await bot.services.ledger.balance(101) == 310
    plan = await bot.services.payments.current_subscription(101)
    assert plan is not None and plan.canceled


async def test_without_plans_subscription_points_to_the_packs(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await ann.send_text("/subscription")
    assert (await ann.next_message()).text == texts.PLANS_OFF
    assert not [method for method, _ in telegram.requests if method == "createInvoiceLink"]


async def test_a_plan_taken_off_sale_is_refused_at_checkout(
    telegram: BotApiEmulator, start_bot: Any
) -> None:
    first = await start_bot(subscription_plans=PLANS)
    ann = telegram.user(101)
    links = await plan_links(ann)
    await first.stop()
    await start_bot(subscription_plans="300:300")
    with pytest.raises(PaymentFailed, match=texts.PAYMENT_OFFER_CHANGED):
        await ann.pay_link(links[texts.plan_button(300, 250)])


def test_subscription_plans_are_read_as_credits_and_stars_a_month() -> None:
    token = "1:" + "A" * 30
    settings = load_settings(_env_file=None, telegram_bot_token=token, subscription_plans=PLANS)
    assert settings.subscription_plans == (
        CreditPack(credits=300, stars=250),
        CreditPack(credits=1000, stars=700),
    )
    assert load_settings(_env_file=None, telegram_bot_token=token).subscription_plans == ()
    off = load_settings(_env_file=None, telegram_bot_token=token, subscription_plans=" ")
    assert off.subscription_plans == ()
    with pytest.raises(SettingsError, match="SUBSCRIPTION_PLANS must not cost more than 10000"):
        load_settings(_env_file=None, telegram_bot_token=token, subscription_plans="100:10001")
    with pytest.raises(SettingsError, match="SUBSCRIPTION_PLANS must be comma-separated"):
        load_settings(_env_file=None, telegram_bot_token=token, subscription_plans="300")
