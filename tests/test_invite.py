"""Referrals end to end: /invite, arriving through the link, and the inviter's reward once
the invited user first buys credits (jobs paid with the welcome credits earn nothing)."""

from __future__ import annotations

from typing import Any

from bot import texts
from bot.playground.emulator import BotApiEmulator, EmulatedUser
from storage.jobs import JobState
from storage.users import LedgerKind
from tests.conftest import RunningBot
from tests.fakes.zencreator import FakeZenCreator
from tests.flows import open_invoice, send_both_photos, start_faceswap

LINK_PREFIX = "https://t.me/castbot_test_bot?start="


async def invite_link(user: EmulatedUser) -> str:
    await user.send_text("/invite")
    text = (await user.wait_for_text("Invite friends")).text or ""
    return next(word for word in text.split() if word.startswith(LINK_PREFIX))


async def arrive(user: EmulatedUser, link: str) -> None:
    """Open the bot through a link, as Telegram does: /start with the link's parameter."""
    await user.send_text(f"/start {link.removeprefix(LINK_PREFIX)}")
    await user.wait_for_text("/help lists every command")
    await handled(user)


async def handled(user: EmulatedUser) -> None:
    """Wait until the user's updates so far are handled completely: the referral is
    recorded after the greeting, and updates are handled one after the other."""
    await user.send_text("/balance")
    await user.wait_for_text("Your balance")


async def swap(bot: RunningBot, user: EmulatedUser, *, first: bool) -> None:
    """One whole face swap, until the engine is done with it."""
    if first:
        await start_faceswap(user)
    else:
        await user.send_text("/faceswap")
        await user.wait_for_text("Step 1 of 2")
    await send_both_photos(user)
    await user.wait_for_text("Face swap")
    await bot.services.engine.wait_idle()


async def rewards(bot: RunningBot, user_id: int) -> list[int]:
    return [
        entry.amount
        for entry in await bot.services.ledger.history(user_id, limit=50)
        if entry.kind is LedgerKind.GRANT and entry.note == texts.REFERRAL_NOTE
    ]


async def test_invite_gives_a_lasting_deep_link(telegram: BotApiEmulator, bot: RunningBot) -> None:
    ann = telegram.user(101)
    link = await invite_link(ann)
    assert link.startswith(f"{LINK_PREFIX}ref_")
    assert len(link.removeprefix(f"{LINK_PREFIX}ref_")) == 8
    assert await invite_link(ann) == link
    assert "You get 10 credits when a friend" in (ann.messages()[-1].text or "")


async def test_a_new_user_through_the_link_gets_the_normal_welcome_and_nobody_earns_yet(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann, bob = telegram.user(101), telegram.user(202, first_name="Bob")
    link = await invite_link(ann)
    await bob.send_text(f"/start {link.removeprefix(LINK_PREFIX)}")
    welcome = await bob.next_message()
    assert "Hi Bob" in (welcome.text or "") and "You got 10 credits" in (welcome.text or "")
    await handled(bob)
    assert await bot.services.referrals.inviter_of(202) == 101
    assert await bot.services.ledger.balance(101) == 10
    assert await bot.services.ledger.balance(202) == 10


async def test_own_links_links_for_existing_accounts_and_unknown_codes_earn_nothing(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann, bob, cid = telegram.user(101), telegram.user(202), telegram.user(303)
    link = await invite_link(ann)
    await arrive(ann, link)
    await bob.send_text("/start")
    await bob.wait_for_text("/help")
    await arrive(bob, link)
    await arrive(cid, f"{LINK_PREFIX}ref_nosuchcode")
    for user_id in (101, 202, 303):
        assert await bot.services.referrals.inviter_of(user_id) is None


async def test_jobs_paid_with_the_welcome_credits_earn_the_inviter_nothing(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    """Three throwaway invitees each finish a job on their free credits: no reward (the
    bot used to pay 10 for each)."""
    ann = telegram.user(101)
    link = await invite_link(ann)
    for number in range(3):
        throwaway = telegram.user(300 + number)
        await arrive(throwaway, link)
        await swap(bot, throwaway, first=True)
        (job,) = await bot.services.jobs.recent(throwaway.id)
        assert job.state is JobState.DELIVERED and not job.refunded
    await handled(ann)
    assert await rewards(bot, 101) == []
    assert await bot.services.ledger.balance(101) == 10


async def test_the_inviter_is_paid_once_when_the_invitee_first_buys_credits(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann, bob = telegram.user(101), telegram.user(202)
    await arrive(bob, await invite_link(ann))
    await bob.pay(await open_invoice(bob, 100))
    await bob.wait_for_text("Thank you")
    await ann.wait_for_text(texts.referral_reward(10))
    assert await rewards(bot, 101) == [10]

    await bob.pay(await open_invoice(bob, 500))
    await bob.wait_for_text("Thank you")
    await handled(bob)
    assert await rewards(bot, 101) == [10]
    assert await bot.services.ledger.balance(101) == 20
    assert [m.text for m in ann.messages()].count(texts.referral_reward(10)) == 1


async def test_a_monthly_plan_is_a_purchase_too(telegram: BotApiEmulator, start_bot: Any) -> None:
    bot: RunningBot = await start_bot(subscription_plans="300:250")
    ann, bob = telegram.user(101), telegram.user(202)
    await arrive(bob, await invite_link(ann))
    await bob.send_text("/subscription")
    (link,) = [url for _, url in (await bob.wait_for_text("Choose a plan")).buttons()]
    await bob.pay_link(link)
    await ann.wait_for_text(texts.referral_reward(10))
    assert await rewards(bot, 101) == [10]


async def test_a_reward_missed_by_a_stop_is_paid_at_the_next_start_and_only_once(
    telegram: BotApiEmulator, start_bot: Any
) -> None:
    first = await start_bot()
    ann, bob = telegram.user(101), telegram.user(202)
    await arrive(bob, await invite_link(ann))
    # The purchase is recorded, then the bot stops before the reward is paid.
    await first.services.payments.record(
        charge_id="stxLost", user_id=202, stars=50, credits=100, payload="credits:202:100:50"
    )
    await first.stop()
    second = await start_bot()
    assert await rewards(second, 101) == [10]
    await second.stop()
    third = await start_bot()
    assert await rewards(third, 101) == [10]
    assert await third.services.ledger.balance(101) == 20
