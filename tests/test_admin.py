"""The operator's commands end to end: /stats, /grant, /user, /block, /unblock, /broadcast,
their absence for everyone else, and the low-provider-balance alert."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot import alerts, broadcasts, texts
from bot.playground.emulator import BotApiEmulator, EmulatedUser
from storage.broadcasts import BroadcastsRepository
from storage.db import Database
from storage.users import LedgerKind, UsersRepository
from tests.conftest import RunningBot
from tests.fakes.zencreator import FakeZenCreator
from tests.flows import next_media, send_both_photos, start_faceswap
from tests.test_charts import CREDITS_COLOR, FIRST_TOOL_COLOR

ADMIN = 900


@pytest.fixture
async def admin_bot(start_bot: Any) -> RunningBot:
    running: RunningBot = await start_bot(admin_ids=str(ADMIN))
    return running


async def started(telegram: BotApiEmulator, *user_ids: int) -> list[EmulatedUser]:
    """Users who sent /start and read the greeting."""
    users = [telegram.user(user_id) for user_id in user_ids]
    for user in users:
        await user.send_text("/start")
        await user.wait_for_text("/help lists every command")
    return users


def balance_requests(zencreator: FakeZenCreator) -> int:
    return sum(request.path.endswith("/balance") for request in zencreator.requests)


@pytest.mark.parametrize(
    "command",
    ["/stats", "/grant 101 5", "/user 101", "/block 101", "/unblock 101", "/broadcast Hi"],
)
async def test_admin_commands_do_not_exist_for_anyone_else(
    telegram: BotApiEmulator, admin_bot: RunningBot, command: str
) -> None:
    ann = telegram.user(101)
    await ann.send_text(command)
    assert (await ann.next_message()).text == texts.unknown_command(command.split()[0])
    account = await admin_bot.services.users.get(101)
    assert account is not None and not account.blocked and account.balance == 10


async def test_without_admin_ids_nobody_is_an_admin(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    admin = telegram.user(ADMIN)
    await admin.send_text("/stats")
    assert (await admin.next_message()).text == texts.unknown_command("/stats")


async def test_stats_counts_users_jobs_money_and_the_provider_balance(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, admin_bot: RunningBot
) -> None:
    (ann,) = await started(telegram, 101)
    await start_faceswap(ann)
    await send_both_photos(ann)
    await next_media(ann, "sendDocument")
    await admin_bot.services.engine.wait_idle()
    await admin_bot.services.payments.record(
        charge_id="stxOne", user_id=101, stars=50, credits=100, payload="credits:101:100:50"
    )
    admin = telegram.user(ADMIN)
    await admin.send_text("/stats")
    report = (await admin.next_message()).text or ""
    assert "Users: 2 (active 2 in 24 h, 2 in 7 days; blocked 0; blocked the bot 0)" in report
    assert "faceswap delivered: 1" in report
    assert "Credits spent: 1 in 24 h, 1 in all" in report
    assert "Credits refunded: 0 in 24 h, 0 in all" in report
    assert "Stars received: 50 in 24 h, 50 in all" in report
    assert "Provider balance: 999 credits" in report

    chart = await admin.next_message()
    assert chart.method == "sendPhoto" and chart.file_id is not None
    assert chart.caption == texts.stats_chart_caption(30)
    image = Image.open(io.BytesIO(telegram.file_content(chart.file_id)))
    assert (image.format, image.size) == ("PNG", (1200, 800))
    drawn = {color for _, color in image.convert("RGB").getcolors(maxcolors=1 << 20) or []}
    assert {FIRST_TOOL_COLOR, CREDITS_COLOR} <= drawn  # the face swap, and the credits sold

    zencreator.fail_next("GET /balance", 401, "invalid_api_key")
    await admin.send_text("/stats")
    await admin.wait_for_text("Provider balance: unavailable")


async def test_grant_adds_and_takes_credits_in_the_admins_name(
    telegram: BotApiEmulator, admin_bot: RunningBot
) -> None:
    await started(telegram, 101)
    admin = telegram.user(ADMIN)
    await admin.send_text("/grant 101 5 sorry for the outage")
    assert (await admin.next_message()).text == texts.granted(101, 5, 15)
    await admin.send_text("/grant 101 -3")
    assert (await admin.next_message()).text == texts.granted(101, -3, 12)
    await admin.send_text("/grant 101 -100")
    assert (await admin.next_message()).text == texts.grant_below_zero(101, 12)
    await admin.send_text("/grant 555 5")
    assert (await admin.next_message()).text == texts.no_user(555)
    for wrong in ("/grant", "/grant 101", "/grant 101 0", "/grant ann 5", "/grant 101 lots"):
        await admin.send_text(wrong)
        assert (await admin.next_message()).text == texts.GRANT_USAGE

    rows = await admin_bot.services.ledger.history(101, limit=2)
    assert [(row.amount, row.kind, row.note, row.admin_id) for row in rows] == [
        (-3, LedgerKind.GRANT, None, ADMIN),
        (5, LedgerKind.GRANT, "sorry for the outage", ADMIN),
    ]
    assert await admin_bot.services.ledger.total(101) == 12


async def test_user_shows_balance_blocked_flag_jobs_and_ledger(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, admin_bot: RunningBot
) -> None:
    (ann,) = await started(telegram, 101)
    await start_faceswap(ann)
    await send_both_photos(ann)
    await next_media(ann, "sendDocument")
    admin = telegram.user(ADMIN)
    await admin.send_text("/grant 101 4 bonus")
    await admin.next_message()

    await admin.send_text("/user 101")
    card = (await admin.next_message()).text or ""
    assert card.startswith("User 101: Ann, language en")
    assert "Balance: 13 credits" in card
    assert "Blocked: no" in card
    assert "faceswap  delivered  1 credit" in card
    assert "+4  granted (bonus) [admin 900]" in card
    assert "-1  charged · Face swap #" in card
    assert "+10  welcome gift" in card
    assert card.endswith("Last payments (charge id for /refund):\nnone")
    await admin_bot.services.payments.record(
        charge_id="stxPaid", user_id=101, stars=50, credits=100, payload="credits:101:100:50"
    )
    await admin.send_text("/user 101")
    card = (await admin.next_message()).text or ""
    assert card.endswith("50 Stars for 100 credits  stxPaid")

    await admin.send_text("/user 555")
    assert (await admin.next_message()).text == texts.no_user(555)
    await admin.send_text("/user")
    assert (await admin.next_message()).text == texts.USER_USAGE


async def test_a_blocked_user_gets_one_short_reply_and_nothing_runs(
    telegram: BotApiEmulator, admin_bot: RunningBot
) -> None:
    (ann,) = await started(telegram, 101)
    await ann.send_text("/buy")
    packs = await ann.next_message()
    await ann.press(packs, "buy:100")
    invoice = await ann.next_message()
    admin = telegram.user(ADMIN)
    await admin.send_text("/block 101")
    assert (await admin.next_message()).text == texts.blocked_now(101)

    await ann.send_text("/balance")
    assert (await ann.next_message()).text == texts.ACCOUNT_BLOCKED
    await ann.send_text("/faceswap")
    assert (await ann.next_message()).text == texts.ACCOUNT_BLOCKED
    await ann.press(packs, "buy:500")
    await telegram.wait_until(lambda: len(ann.callback_answers()) == 2)
    assert ann.callback_answers()[-1]["text"] == texts.ACCOUNT_BLOCKED
    query_id = await ann.send_pre_checkout_query(invoice)
    await telegram.wait_until(lambda: query_id in telegram.pre_checkout_answers)
    assert telegram.pre_checkout_answers[query_id]["ok"] is False
    assert telegram.pre_checkout_answers[query_id]["error_message"] == texts.ACCOUNT_BLOCKED
    # A payment that went through anyway (approved before the block) is still credited.
    await ann.send_successful_payment(invoice)
    assert (await ann.next_message()).text == texts.payment_thanks(100, 110)

    await admin.send_text("/user 101")
    assert "Blocked: yes" in ((await admin.next_message()).text or "")
    await admin.send_text("/unblock 101")
    assert (await admin.next_message()).text == texts.unblocked_now(101)
    await ann.send_text("/balance")
    assert (await ann.next_message()).text == "Your balance: 110 credits"


async def test_block_refuses_admins_unknown_users_and_missing_ids(
    telegram: BotApiEmulator, admin_bot: RunningBot
) -> None:
    admin = telegram.user(ADMIN)
    await admin.send_text(f"/block {ADMIN}")
    assert (await admin.next_message()).text == texts.CANNOT_BLOCK_ADMIN
    await admin.send_text("/block 555")
    assert (await admin.next_message()).text == texts.no_user(555)
    await admin.send_text("/block")
    assert (await admin.next_message()).text == texts.BLOCK_USAGE
    await admin.send_text("/unblock x")
    assert (await admin.next_message()).text == texts.UNBLOCK_USAGE


async def test_broadcast_reaches_everyone_and_skips_who_blocked_the_bot(
    telegram: BotApiEmulator, admin_bot: RunningBot
) -> None:
    ann, bob, cid = await started(telegram, 101, 102, 103)
    telegram.block_bot(103)
    admin = telegram.user(ADMIN)
    await admin.send_text("/broadcast New: lipsync is twice as fast.\nEnjoy!")
    assert (await admin.next_message()).text == texts.broadcast_started(1, 4)
    report = await admin.wait_for_text("Broadcast #1 finished")
    assert report.text == "Broadcast #1 finished: 3 sent, 1 failed (of 4)."
    for user in (ann, bob):
        assert (await user.next_message()).text == "New: lipsync is twice as fast.\nEnjoy!"
    assert cid.messages()[-1].text != "New: lipsync is twice as fast.\nEnjoy!"
    marked = await admin_bot.services.users.get(103)
    assert marked is not None and marked.unreachable_since is not None

    # Later broadcasts skip the user, until they write to the bot again (which the account
    # handler records with `ensure`, called here directly).
    await admin.send_text("/broadcast Second")
    assert (await admin.next_message()).text == texts.broadcast_started(2, 3)
    await admin.wait_for_text("Broadcast #2 finished: 3 sent, 0 failed")
    back, _ = await admin_bot.services.users.ensure(103, "Cid", "en", welcome_credits=10)
    assert back.unreachable_since is None


async def test_broadcast_usage(telegram: BotApiEmulator, admin_bot: RunningBot) -> None:
    admin = telegram.user(ADMIN)
    await admin.send_text("/broadcast")
    assert (await admin.next_message()).text == texts.BROADCAST_USAGE


async def test_a_broadcast_resumes_after_a_restart_without_sending_twice(
    telegram: BotApiEmulator, start_bot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two messages a minute: the first bot is stopped while it waits to send the third.
    monkeypatch.setattr(broadcasts, "SENDS_PER_WINDOW", 2)
    monkeypatch.setattr(broadcasts, "WINDOW_SECONDS", 60)
    first = await start_bot(admin_ids=str(ADMIN))
    users = await started(telegram, 101, 102, 103)
    admin = telegram.user(ADMIN)
    await admin.send_text("/broadcast Hello")
    await admin.wait_for_text(texts.broadcast_started(1, 4))
    received = {user.id: user for user in [*users, admin]}

    def count(user_id: int) -> int:
        return sum(m.text == "Hello" for m in received[user_id].messages())

    await telegram.wait_until(lambda: count(101) == count(102) == 1)
    await first.stop()
    assert count(103) == count(ADMIN) == 0

    await start_bot(admin_ids=str(ADMIN))
    await admin.wait_for_text("Broadcast #1 finished: 4 sent, 0 failed (of 4).")
    assert [count(user_id) for user_id in (101, 102, 103, ADMIN)] == [1, 1, 1, 1]


async def test_a_send_cut_off_by_a_crash_is_not_repeated(
    telegram: BotApiEmulator, start_bot: Any, tmp_path: Path
) -> None:
    for user_id in (101, 102, 103, ADMIN):
        telegram.user(user_id)
    # The state a crash leaves: 101's send may have happened, 102's did; 103 and the
    # admin are still to do.
    db = await Database.open(tmp_path / "castbot.sqlite3")
    users = UsersRepository(db)
    for user_id in (101, 102, 103, ADMIN):
        await users.ensure(user_id, "User", "en", welcome_credits=10)
    repository = BroadcastsRepository(db)
    broadcast, recipients = await repository.create(ADMIN, ADMIN, "Hi")
    assert recipients == 4
    assert await repository.begin(broadcast.id, 101)
    assert await repository.begin(broadcast.id, 102)
    await repository.sent(broadcast.id, 102)
    await db.close()

    await start_bot(admin_ids=str(ADMIN))
    admin = telegram.user(ADMIN)
    await admin.wait_for_text("Broadcast #1 finished: 3 sent, 1 failed (of 4).")
    assert [m.text for m in telegram.user(103).messages()] == ["Hi"]
    assert [m.text for m in admin.messages()][0] == "Hi"
    assert telegram.user(101).messages() == telegram.user(102).messages() == []


async def test_low_provider_balance_alerts_the_admins_at_most_once_an_hour(
    telegram: BotApiEmulator,
    zencreator: FakeZenCreator,
    start_bot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(alerts, "CHECK_INTERVAL", timedelta(milliseconds=10))
    admin = telegram.user(ADMIN)
    first = await start_bot(admin_ids=str(ADMIN), provider_balance_alert=5000)
    alert = await admin.next_message()
    assert alert.text == texts.provider_balance_low(1000, 5000)
    # It keeps checking, and says nothing more within the hour, across a restart too.
    await zencreator.wait_until(lambda: balance_requests(zencreator) >= 3)
    await first.stop()
    second = await start_bot(admin_ids=str(ADMIN), provider_balance_alert=5000)
    await second.services.balance_watch.check()
    await second.services.balance_watch.provider_out_of_credits()
    assert admin.messages() == [alert]


async def test_the_provider_refusing_for_credits_alerts_whatever_the_threshold(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    admin = telegram.user(ADMIN)
    zencreator.balance = 0.5
    bot = await start_bot(admin_ids=str(ADMIN), provider_balance_alert=0)
    await bot.services.balance_watch.check()
    assert admin.messages() == []
    await bot.services.balance_watch.provider_out_of_credits()
    assert (await admin.next_message()).text == texts.provider_balance_low(0.5, 0)
    assert balance_requests(zencreator) == 2


async def test_a_job_the_provider_refuses_for_its_credits_alerts_the_admins(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    admin = telegram.user(ADMIN)
    zencreator.balance = 0
    await start_bot(admin_ids=str(ADMIN), provider_balance_alert=0)
    ann = telegram.user(101)
    await start_faceswap(ann)
    await send_both_photos(ann)
    await ann.wait_for_text("Sorry, your face swap failed")
    alert = await admin.next_message(timeout=2)
    assert alert.text == texts.provider_balance_low(0, 0)
