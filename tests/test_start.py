"""/start, /help, /balance, /history, /cancel and replies to the unexpected, end to end."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot import texts
from bot.playground.emulator import BotApiEmulator, SentMessage
from storage.jobs import Reservation
from storage.users import LedgerKind
from tests.conftest import RunningBot


async def test_start_creates_the_account_and_grants_welcome_credits_once(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann = telegram.user(101, first_name="Ann")
    await ann.send_text("/start")
    greeting = await ann.next_message()
    assert "Hi Ann" in (greeting.text or "")
    assert "You got 10 credits" in (greeting.text or "")
    assert "/faceswap" in (greeting.text or "")

    await ann.send_text("/start")
    again = await ann.next_message()
    assert "You got" not in (again.text or "")
    assert "Your balance: 10 credits" in (again.text or "")

    await ann.send_text("/balance")
    assert (await ann.next_message()).text == "Your balance: 10 credits"
    history = await bot.services.ledger.history(101)
    assert [(entry.kind, entry.amount) for entry in history] == [("welcome", 10)]


async def test_start_in_demo_mode_says_results_are_placeholders(
    telegram: BotApiEmulator, start_bot: Any
) -> None:
    await start_bot(zencreator_api_key="")
    ann = telegram.user(101)
    await ann.send_text("/start")
    assert texts.MOCK_NOTICE in ((await ann.next_message()).text or "")


async def test_commands_are_registered_and_listed_in_help(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    registered = {command["command"] for command in telegram.commands}
    assert {"start", "help", "faceswap", "lipsync", "balance", "history", "cancel"} <= registered
    ann = telegram.user(101)
    await ann.send_text("/help")
    help_text = (await ann.next_message()).text or ""
    for command in registered:
        assert f"/{command} — " in help_text


async def test_any_command_creates_the_account(telegram: BotApiEmulator, bot: RunningBot) -> None:
    bob = telegram.user(202, first_name="Bob")
    await bob.send_text("/balance")
    assert (await bob.next_message()).text == "Your balance: 10 credits"
    account = await bot.services.users.get(202)
    assert account is not None and account.name == "Bob"


async def test_history_lists_the_last_ten_changes(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await ann.send_text("/history")
    first = await ann.next_message()
    assert "+10  welcome gift" in (first.text or "")
    assert first.buttons() == []
    for amount in range(1, 12):
        await bot.services.ledger.apply(101, amount, LedgerKind.GRANT, note=f"gift {amount}")
    await ann.send_text("/history")
    lines = ((await ann.next_message()).text or "").splitlines()[2:]
    assert len(lines) == 10
    assert "+11  granted (gift 11)" in lines[0]
    assert "welcome" not in "\n".join(lines)


def history_rows(message: SentMessage) -> list[str]:
    return (message.text or "").splitlines()[2:]


async def test_history_pages_through_the_whole_ledger_with_each_rows_job(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await ann.send_text("/start")
    await ann.wait_for_text("/help")
    jobs = bot.services.jobs
    charged = await jobs.create(
        job_id="ab12cd34" + "0" * 24,
        user_id=101,
        chat_id=101,
        tool="faceswap",
        provider="zencreator",
        spec={},
        price=1,
        reservation=Reservation(deadline=timedelta(minutes=15), max_unfinished=3),
    )
    assert await jobs.claim(charged.id, "test-worker", lease_seconds=60)
    await jobs.refund(charged.id, "test-worker", 1, "face swap did not complete")
    for amount in range(1, 21):
        await bot.services.ledger.apply(101, amount, LedgerKind.GRANT, note=f"gift {amount}")

    await ann.send_text("/history")
    page = await ann.next_message()
    assert [row.split("UTC  ")[1] for row in history_rows(page)] == [
        f"+{amount}  granted (gift {amount})" for amount in range(20, 10, -1)
    ]
    assert [text for text, _ in page.buttons()] == [texts.HISTORY_OLDER_BUTTON]

    await ann.press(page, texts.HISTORY_OLDER_BUTTON)
    await telegram.wait_until(lambda: "gift 10)" in (page.text or ""))
    assert len(history_rows(page)) == 10
    assert [text for text, _ in page.buttons()] == [
        texts.HISTORY_OLDER_BUTTON,
        texts.HISTORY_NEWER_BUTTON,
    ]

    await ann.press(page, texts.HISTORY_OLDER_BUTTON)
    await telegram.wait_until(lambda: "welcome gift" in (page.text or ""))
    assert [row.split("UTC  ")[1] for row in history_rows(page)] == [
        "+1  refunded · Face swap #ab12cd34",
        "-1  charged · Face swap #ab12cd34",
        "+10  welcome gift",
    ]
    assert [text for text, _ in page.buttons()] == [texts.HISTORY_NEWER_BUTTON]

    await ann.press(page, texts.HISTORY_NEWER_BUTTON)
    await telegram.wait_until(lambda: "gift 10)" in (page.text or ""))
    assert "gift 1)" in history_rows(page)[-1]


async def test_a_double_tap_on_a_history_button_turns_the_page_once(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await ann.send_text("/start")
    await ann.wait_for_text("/help")
    for amount in range(1, 11):
        await bot.services.ledger.apply(101, amount, LedgerKind.GRANT, note=f"gift {amount}")
    await ann.send_text("/history")
    page = await ann.next_message()
    await ann.press(page, texts.HISTORY_OLDER_BUTTON)
    await ann.press(page, texts.HISTORY_OLDER_BUTTON)  # before the first tap's edit showed
    await telegram.wait_until(lambda: len(ann.callback_answers()) == 2)
    await bot.application.update_queue.join()  # marked done once its handlers ran
    assert history_rows(page)[-1].endswith("+10  welcome gift")
    assert not any(m.text == texts.SOMETHING_WENT_WRONG for m in ann.messages())


async def test_history_buttons_show_only_the_users_own_rows(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann, eve = telegram.user(101), telegram.user(666)
    await ann.send_text("/start")
    await ann.wait_for_text("/help")
    await bot.services.ledger.apply(101, 5, LedgerKind.GRANT, note="for Ann only")
    await eve.send_text("/history")
    page = await eve.next_message()
    await eve.press_data(page, "hist:newer:0")
    await eve.press_data(page, "hist:older:" + "9" * 60)
    await eve.press_data(page, "hist:sideways:1")
    await telegram.wait_until(lambda: len(eve.callback_answers()) == 3)
    assert all("for Ann only" not in text for text in [page.text or "", *page.edits])


async def test_cancel_outside_a_flow(telegram: BotApiEmulator, bot: RunningBot) -> None:
    ann = telegram.user(101)
    await ann.send_text("/cancel")
    assert (await ann.next_message()).text == texts.NOTHING_TO_CANCEL


async def test_unexpected_input_points_to_help(telegram: BotApiEmulator, bot: RunningBot) -> None:
    ann = telegram.user(101)
    await ann.send_text("hello there")
    assert (await ann.next_message()).text == texts.NOT_UNDERSTOOD
    await ann.send_sticker()
    assert (await ann.next_message()).text == texts.NOT_UNDERSTOOD
    await ann.send_photo(b"\xff\xd8 a stray photo")
    assert (await ann.next_message()).text == texts.photo_menu(1)
    await ann.send_text("/frobnicate now")
    assert (await ann.next_message()).text == texts.unknown_command("/frobnicate")


async def test_updates_sent_while_the_bot_was_down_are_handled(
    telegram: BotApiEmulator, start_bot: Any
) -> None:
    ann = telegram.user(101)
    await ann.send_text("/start")
    await ann.send_text("/balance")
    await start_bot()
    assert "Hi Ann" in ((await ann.next_message()).text or "")
    assert (await ann.next_message()).text == "Your balance: 10 credits"


async def test_an_error_in_a_handler_gets_a_short_apology(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    await bot.services.db.close()  # every query now fails
    ann = telegram.user(101)
    await ann.send_text("/balance")
    reply = await ann.next_message()
    assert reply.text == texts.SOMETHING_WENT_WRONG
