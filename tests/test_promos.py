"""Promo codes end to end: /promo for admins, /redeem and ?start=promo_ links, once per
user, and the total uses enforced under concurrent redemptions."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot import texts
from bot.playground.emulator import BotApiEmulator
from storage.promos import Redemption
from storage.users import LedgerKind
from tests.conftest import RunningBot

ADMIN = 900


@pytest.fixture
async def admin_bot(start_bot: Any) -> RunningBot:
    running: RunningBot = await start_bot(admin_ids=str(ADMIN))
    return running


async def test_an_admin_creates_a_code_and_each_user_redeems_it_once(
    telegram: BotApiEmulator, admin_bot: RunningBot
) -> None:
    admin, ann = telegram.user(ADMIN), telegram.user(101)
    await admin.send_text("/promo spring 25 100 7")
    created = (await admin.next_message()).text or ""
    assert created.startswith("Created SPRING: 25 credits, used 0 of 100, expires ")
    assert "/redeem SPRING or https://t.me/castbot_test_bot?start=promo_SPRING" in created

    await ann.send_text("/redeem Spring")
    assert (await ann.next_message()).text == texts.promo_redeemed("SPRING", 25, 35)
    await ann.send_text("/redeem SPRING")
    assert (await ann.next_message()).text == texts.promo_already("SPRING")
    assert await admin_bot.services.ledger.balance(101) == 35
    (grant, _) = await admin_bot.services.ledger.history(101)
    assert (grant.kind, grant.amount, grant.note) == (LedgerKind.GRANT, 25, "promo code SPRING")

    await admin.send_text("/promo")
    assert (await admin.next_message()).text == (
        "Promo codes:\n" + created.splitlines()[0].removeprefix("Created ")
    ).replace("used 0 of 100", "used 1 of 100")


async def test_a_deep_link_redeems_after_the_welcome(
    telegram: BotApiEmulator, admin_bot: RunningBot
) -> None:
    admin, bob = telegram.user(ADMIN), telegram.user(202, first_name="Bob")
    await admin.send_text("/promo LAUNCH 40")
    await admin.next_message()
    await bob.send_text("/start promo_LAUNCH")
    assert "You got 10 credits" in ((await bob.next_message()).text or "")
    assert (await bob.next_message()).text == texts.promo_redeemed("LAUNCH", 40, 50)


async def test_unknown_expired_and_used_up_codes_and_usage(
    telegram: BotApiEmulator, admin_bot: RunningBot
) -> None:
    admin, ann, bob = telegram.user(ADMIN), telegram.user(101), telegram.user(202)
    for command, reply in [
        ("/promo", "No promo codes yet. " + texts.PROMO_USAGE),
        ("/promo X 5", texts.PROMO_USAGE),
        ("/promo GOOD 0", texts.PROMO_USAGE),
        ("/promo GOOD 5 1 2 3", texts.PROMO_USAGE),
        ("/promo GOOD 5 1 3000000", texts.PROMO_USAGE),  # past the year 9999
        ("/promo ONCE 5 1", None),
        ("/promo ONCE 9", texts.promo_exists("ONCE")),
    ]:
        await admin.send_text(command)
        message = await admin.next_message()
        if reply is not None:
            assert message.text == reply
    await ann.send_text("/redeem ONCE")
    await ann.wait_for_text("Promo code ONCE: 5 credits added")
    await bob.send_text("/redeem ONCE")
    assert (await bob.next_message()).text == texts.promo_used_up("ONCE")
    await bob.send_text("/redeem NOPE")
    assert (await bob.next_message()).text == texts.promo_unknown("NOPE")
    await bob.send_text("/redeem")
    assert (await bob.next_message()).text == texts.REDEEM_USAGE
    await bob.send_text("/promo FREE 1000")
    assert (await bob.next_message()).text == texts.unknown_command("/promo")

    await admin_bot.services.promos.create(
        "OLD", 5, max_uses=None, expires_at="2000-01-01T00:00:00+00:00", admin_id=ADMIN
    )
    await bob.send_text("/redeem old")
    assert (await bob.next_message()).text == texts.promo_expired("OLD")
    assert await admin_bot.services.ledger.balance(202) == 10


async def test_fifty_concurrent_redemptions_use_a_code_exactly_as_often_as_allowed(
    telegram: BotApiEmulator, admin_bot: RunningBot
) -> None:
    services = admin_bot.services
    users = [telegram.user(1000 + number) for number in range(50)]
    for user in users:
        await user.send_text("/start")
    for user in users:
        await user.wait_for_text("/help")
    await services.promos.create("RUSH", 7, max_uses=12, expires_at=None, admin_id=ADMIN)

    outcomes = await asyncio.gather(
        *(services.promos.redeem("RUSH", user.id, texts.promo_note("RUSH")) for user in users)
    )
    assert sum(outcome.result is Redemption.REDEEMED for outcome in outcomes) == 12
    assert {outcome.result for outcome in outcomes} == {Redemption.REDEEMED, Redemption.USED_UP}
    promo = await services.promos.get("RUSH")
    assert promo is not None and promo.uses == 12
    balances = [await services.ledger.balance(user.id) for user in users]
    assert sorted(balances) == [10] * 38 + [17] * 12
    for user in users:
        assert await services.ledger.total(user.id) == await services.ledger.balance(user.id)


async def test_fifty_users_redeeming_through_the_bot_at_once(
    telegram: BotApiEmulator, admin_bot: RunningBot
) -> None:
    services = admin_bot.services
    await services.promos.create("CROWD", 3, max_uses=20, expires_at=None, admin_id=ADMIN)
    users = [telegram.user(2000 + number) for number in range(50)]
    for user in users:
        await user.send_text("/redeem CROWD")
    replies = [await user.next_message() for user in users]
    redeemed = [m for m in replies if (m.text or "").startswith("Promo code CROWD: 3 credits")]
    assert len(redeemed) == 20
    assert len(replies) - len(redeemed) == 30
    assert all(m.text == texts.promo_used_up("CROWD") for m in replies if m not in redeemed)
    promo = await services.promos.get("CROWD")
    assert promo is not None and promo.uses == 20
