"""/start, /help, /balance, /history, /cancel and replies to the unexpected, end to end."""

from __future__ import annotations

from typing import Any

from bot import texts
from bot.playground.emulator import BotApiEmulator
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
    first = (await ann.next_message()).text or ""
    assert "+10  welcome gift" in first
    for amount in range(1, 12):
        await bot.services.ledger.apply(101, amount, LedgerKind.GRANT, note=f"gift {amount}")
    await ann.send_text("/history")
    lines = ((await ann.next_message()).text or "").splitlines()[2:]
    assert len(lines) == 10
    assert "+11  granted (gift 11)" in lines[0]
    assert "welcome" not in "\n".join(lines)


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
