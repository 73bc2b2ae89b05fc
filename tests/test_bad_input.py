"""Bad input never crashes a handler: forged button data, updates without a person, presses
on inline messages, runaway numbers. Each gets a quiet refusal or nothing, and every press is
answered."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot import texts
from bot.playground.emulator import BotApiEmulator
from handlers.parsing import LARGEST, integer, number_after
from tests.conftest import RunningBot

SIXTY_DIGITS = "9" * 60


@pytest.fixture
def errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Every ERROR logged while the test runs (the error handler logs each exception)."""
    caplog.set_level(logging.ERROR)
    return caplog.records


def test_only_ascii_numbers_that_fit_are_numbers() -> None:
    assert integer("42") == 42 and integer("-7") == -7
    assert integer(str(LARGEST)) == LARGEST and integer(str(LARGEST + 1)) is None
    for bad in ("²", "٣", "4.0", "", "-", "1e3", " 1", SIXTY_DIGITS, "0x10"):
        assert integer(bad) is None, bad
    assert number_after("buy:", "buy:100") == 100
    assert number_after("buy:", "sell:100") is None
    assert number_after("buy:", None) is None


async def test_forged_numbers_in_buttons_are_refused_politely(
    telegram: BotApiEmulator, bot: RunningBot, errors: list[logging.LogRecord]
) -> None:
    ann = telegram.user(101)
    await ann.send_text("/buy")
    packs = await ann.next_message()
    for forged in ("buy:²", f"buy:{SIXTY_DIGITS}", "buy:"):
        await ann.press_data(packs, forged)
    for forged in (f"actor:open:{SIXTY_DIGITS}", "actor:open:²", "actor:use:-1"):
        await ann.press_data(packs, forged)
    await telegram.wait_until(lambda: len(ann.callback_answers()) == 6)
    answers = [answer.get("text") for answer in ann.callback_answers()]
    assert answers == [texts.PACK_GONE] * 3 + [texts.ACTOR_GONE] * 3
    assert not [m for m in ann.messages() if m.method == "sendInvoice"]
    assert errors == []


async def test_forged_numbers_in_the_studios_buttons_are_refused_politely(
    telegram: BotApiEmulator, bot: RunningBot, errors: list[logging.LogRecord]
) -> None:
    ann = telegram.user(101)
    await ann.send_text("/imagine a red fox")
    quote = await ann.wait_for_text("Start?")
    revision = next(data for _, data in quote.buttons() if data.startswith("flow:")).split(":")[1]
    (job,) = await bot.services.jobs.recent(101)
    forged = {
        f"flow:{revision}:o:٣": texts.STALE_BUTTON,  # int() reads Arabic-Indic digits
        "set:o:²": texts.STALE_BUTTON,
        f"set:v:0:{SIXTY_DIGITS}": texts.STALE_BUTTON,
        "hist:older:²": None,
        f"hist:newer:{SIXTY_DIGITS}": None,
        f"res:{job.id}:edit:²": texts.RESULT_GONE,
        "actor:save:²": texts.STALE_BUTTON,
        f"actor:save:{SIXTY_DIGITS}": texts.STALE_BUTTON,
    }
    for data in forged:
        await ann.press_data(quote, data)
    await telegram.wait_until(lambda: len(ann.callback_answers()) == len(forged))
    assert [answer.get("text") for answer in ann.callback_answers()] == list(forged.values())
    assert errors == []


async def test_a_press_no_feature_takes_is_answered(
    telegram: BotApiEmulator, bot: RunningBot, errors: list[logging.LogRecord]
) -> None:
    ann = telegram.user(101)
    await ann.send_text("/buy")
    packs = await ann.next_message()
    for stale in ("faceswap:model:sdxl", "actor:done", "terms:agree", "🙃" * 16, "x"):
        await ann.press_data(packs, stale)
    await telegram.wait_until(lambda: len(ann.callback_answers()) == 5)
    assert {answer.get("text") for answer in ann.callback_answers()} == {texts.BUTTON_GONE}
    assert telegram.unanswered_callback_queries() == []
    assert errors == []


async def test_a_press_on_an_inline_message_is_answered_and_goes_no_further(
    telegram: BotApiEmulator, bot: RunningBot, errors: list[logging.LogRecord]
) -> None:
    ann = telegram.user(101)
    await ann.press_inline("buy:100")
    await ann.press_inline("actor:open:1")
    await telegram.wait_until(lambda: len(ann.callback_answers()) == 2)
    assert ann.messages() == []
    assert await bot.services.users.get(101) is None
    assert errors == []


async def test_channel_posts_and_anonymous_admins_get_nothing(
    telegram: BotApiEmulator, bot: RunningBot, errors: list[logging.LogRecord]
) -> None:
    channel = telegram.group(-1001, kind="channel")
    group = telegram.group(-1002)
    bob = telegram.user(202, "Bob")
    for text in ("/start", "/balance", "/faceswap", "hello"):
        await channel.post(text)
        await group.send_text(text)  # an anonymous admin
    # A member who addresses the bot in the group is answered there, as groups are.
    await group.send_text("/balance@castbot_test_bot", sender=bob)
    await telegram.wait_until(lambda: len(group.messages()) == 1)
    assert group.messages()[0].text == texts.GROUP_REPLY
    await telegram.wait_until(lambda: telegram.pending_updates == 0)
    await bot.services.engine.wait_idle()
    assert channel.messages() == []
    assert await bot.services.users.get(1087968824) is None  # no account for the stand-in
    assert errors == []


async def test_an_endless_unknown_command_is_named_by_its_entity(
    telegram: BotApiEmulator, bot: RunningBot, errors: list[logging.LogRecord]
) -> None:
    ann = telegram.user(101)
    await ann.send_text("/" + "a" * 4000)
    assert (await ann.next_message()).text == texts.unknown_command("/" + "a" * 32)
    assert errors == []


async def test_runaway_numbers_for_admin_commands_get_the_usage(
    telegram: BotApiEmulator, start_bot: Any, errors: list[logging.LogRecord]
) -> None:
    await start_bot(admin_ids="900")
    admin = telegram.user(900)
    await admin.send_text(f"/grant 900 {SIXTY_DIGITS}")
    assert (await admin.next_message()).text == texts.GRANT_USAGE
    await admin.send_text(f"/user {SIXTY_DIGITS}")
    assert (await admin.next_message()).text == texts.USER_USAGE
    for promo in ("/promo SPRING ²", f"/promo SPRING 5 {SIXTY_DIGITS}", "/promo SPRING 5 -1"):
        await admin.send_text(promo)
        assert (await admin.next_message()).text == texts.PROMO_USAGE
    assert errors == []
