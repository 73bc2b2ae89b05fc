"""Telegram file intake: audio is priced and limited by the length decoded from its bytes,
never by the duration the sender's client claims."""

from __future__ import annotations

from typing import Any

from bot import texts
from bot.playground.emulator import BotApiEmulator, EmulatedUser, TelegramApiError, make_voice
from tests.conftest import RunningBot
from tests.fakes.zencreator import FakeZenCreator
from tests.flows import FACE, accept_terms, lipsync_quote, start_new_actor


async def reach_lipsync_audio(user: EmulatedUser) -> None:
    await user.send_text("/lipsync")
    await accept_terms(user)
    await user.wait_for_text("Step 1 of 2")
    await user.send_photo(FACE)
    await user.wait_for_text("Step 2 of 2")


async def test_a_voice_note_claiming_one_second_is_priced_by_its_real_twenty(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(welcome_credits=100)
    ann = telegram.user(101)
    await reach_lipsync_audio(ann)
    await ann.send_voice(make_voice(20), duration=1)
    quote = await ann.wait_for_text("Start?")
    assert quote.text == lipsync_quote(20, 60, 100)
    await ann.press(quote, texts.start_button(60))
    generation = await zencreator.wait_for_generation()
    assert generation.tool == "lipsync"
    await bot.services.engine.wait_idle()
    assert await bot.services.ledger.balance(101) == 40


async def test_a_voice_note_over_the_limit_is_refused_whatever_it_claims(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await reach_lipsync_audio(ann)
    await ann.send_voice(make_voice(40), duration=5)
    assert (await ann.next_message()).text == texts.audio_too_long(40, 35)
    # The claim cannot make a short note long either.
    await ann.send_voice(make_voice(2), duration=40)
    assert (await ann.next_message()).text == lipsync_quote(2, 6, 10)
    assert zencreator.uploads == []


async def test_an_actor_voice_sample_is_measured_too(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await start_new_actor(ann)
    await ann.send_text("Anna")
    await ann.wait_for_text("Now send photos")
    await ann.send_photo(FACE)
    saved = await ann.wait_for_text(texts.actor_photos_saved("Anna", 1))
    await ann.press(saved, texts.DONE_BUTTON)
    await ann.wait_for_text("Optional: send a voice sample")
    await ann.send_voice(make_voice(5), duration=15)
    assert (await ann.next_message()).text == texts.voice_length_refused(5, 10, 180)
    await ann.send_voice(make_voice(11), duration=3)
    await ann.wait_for_text(texts.actor_saved("Anna"))
    (actor,) = await bot.services.actors.list(101)
    assert actor.voice is not None and actor.voice.seconds == 11


async def test_audio_that_cannot_be_read_or_fetched_is_refused_politely(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await reach_lipsync_audio(ann)
    await ann.send_voice(b"OggS but not really", duration=3)
    assert (await ann.next_message()).text == texts.AUDIO_UNREADABLE
    telegram.fail_next("getFile", TelegramApiError(400, "Bad Request: file is too big"))
    await ann.send_voice(duration=3)
    assert (await ann.next_message()).text == texts.file_too_large(20 * 1024 * 1024)
    telegram.fail_next("getFile", TelegramApiError(500, "Internal Server Error"))
    await ann.send_voice(duration=3)
    assert (await ann.next_message()).text == texts.AUDIO_NOT_FETCHED
    await ann.send_voice(duration=3)
    assert (await ann.next_message()).text == lipsync_quote(3, 9, 10)
    assert zencreator.uploads == []
