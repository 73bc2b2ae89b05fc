"""/lipsync end to end: a portrait, up to 35 s of audio, a quote to confirm, a video back."""

from __future__ import annotations

from typing import Any

from bot import texts
from bot.playground.emulator import (
    MB,
    BotApiEmulator,
    EmulatedUser,
    SentMessage,
    make_jpeg,
    make_voice,
)
from tests.conftest import RunningBot
from tests.fakes.zencreator import FakeZenCreator
from tests.flows import accept_terms, lipsync_quote, wav

PORTRAIT = make_jpeg(color="orange")


async def reach_audio_step(user: EmulatedUser) -> None:
    await user.send_text("/lipsync")
    await accept_terms(user)
    intro = await user.wait_for_text("Step 1 of 2")
    assert "3 credits per second" in (intro.text or "")
    await user.send_photo(PORTRAIT)
    await user.wait_for_text("Step 2 of 2")


async def test_lipsync_is_quoted_charged_per_second_and_delivered_as_video(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(welcome_credits=50)
    ann = telegram.user(101)
    await reach_audio_step(ann)
    await ann.send_voice(duration=12)
    quote = await ann.wait_for_text("Start?")
    assert quote.text == lipsync_quote(12, 36, 50)
    assert await bot.services.ledger.balance(101) == 50

    await ann.press(quote, texts.start_button(36))
    generation = await zencreator.wait_for_generation()
    await telegram.wait_until(lambda: any(m.method == "sendVideo" for m in ann.messages()))
    sent = next(m for m in ann.messages() if m.method == "sendVideo")

    portrait_upload, audio_upload = zencreator.uploads
    assert (portrait_upload.media_type, audio_upload.media_type) == ("image", "audio")
    assert (portrait_upload.data, audio_upload.data) == (PORTRAIT, make_voice(12))
    assert generation.tool == "lipsync"
    assert generation.input["image_asset"] == portrait_upload.asset_id
    assert generation.input["audio_asset"] == audio_upload.asset_id
    assert telegram.file_content(sent.file_id or "") == generation.outputs[0].data
    assert await bot.services.ledger.balance(101) == 14
    assert quote.text == texts.JOB_ACCEPTED


async def test_audio_over_35_seconds_is_refused_before_any_charge_or_upload(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await reach_audio_step(ann)
    await ann.send_voice(duration=40)
    refusal = await ann.next_message()
    assert refusal.text == texts.audio_too_long(40, 35)
    assert "35 seconds" in (refusal.text or "")
    assert zencreator.uploads == []
    assert await bot.services.ledger.balance(101) == 10
    await ann.send_voice(duration=2)
    assert "Start?" in ((await ann.next_message()).text or "")


async def test_audio_sent_as_a_file_is_measured(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    await start_bot(welcome_credits=20)
    ann = telegram.user(101)
    await reach_audio_step(ann)
    await ann.send_document(wav(2.5), file_name="hello.wav", mime_type="audio/wav")
    quote = await ann.next_message()
    assert quote.text == lipsync_quote(3, 9, 20)
    await ann.send_text("/lipsync")
    await ann.wait_for_text("Step 1 of 2")
    await ann.send_photo(PORTRAIT)
    await ann.wait_for_text("Step 2 of 2")
    await ann.send_document(wav(36), file_name="long.wav", mime_type="audio/wav")
    assert (await ann.next_message()).text == texts.audio_too_long(36, 35)
    await ann.send_document(b"not audio at all", file_name="x.mp3", mime_type="audio/mpeg")
    assert (await ann.next_message()).text == texts.AUDIO_UNREADABLE


async def test_wrong_input_at_each_step(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await ann.send_text("/lipsync")
    terms = await ann.wait_for_text("please agree to these terms")
    await ann.send_text("ok")
    assert (await ann.next_message()).text == texts.TERMS_WAITING
    await ann.press(terms, texts.TERMS_AGREE_BUTTON)
    await ann.wait_for_text("Step 1 of 2")
    await ann.send_voice(duration=3)
    assert (await ann.next_message()).text == texts.PHOTO_EXPECTED
    await ann.send_document(PORTRAIT, file_name="p.webp", mime_type="image/webp")
    assert "JPG, PNG image" in ((await ann.next_message()).text or "")
    await ann.send_document(PORTRAIT, file_name="p.jpg", mime_type="image/jpeg", file_size=6 * MB)
    assert (await ann.next_message()).text == texts.file_too_large(5 * MB)
    await ann.send_photo(PORTRAIT)
    await ann.wait_for_text("Step 2 of 2")
    await ann.send_photo(PORTRAIT)
    assert (await ann.next_message()).text == texts.AUDIO_EXPECTED
    await ann.send_sticker()
    assert (await ann.next_message()).text == texts.AUDIO_EXPECTED
    await ann.send_text("/cancel")
    assert (await ann.next_message()).text == texts.CANCELLED
    assert zencreator.uploads == []


async def test_a_declined_or_repeated_quote_charges_at_most_once(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await reach_audio_step(ann)
    await ann.send_voice(duration=2)
    quote = await ann.wait_for_text("Start?")
    start_pressed_late = quote.buttons()[0][1]
    await ann.press(quote, texts.CANCEL_BUTTON)
    await telegram.wait_until(lambda: quote.text == texts.QUOTE_DECLINED)
    answered = len(ann.callback_answers())
    await ann.press_data(quote, start_pressed_late)
    await telegram.wait_until(lambda: len(ann.callback_answers()) == answered + 1)
    assert ann.callback_answers()[-1]["text"] == texts.QUOTE_GONE
    assert await bot.services.ledger.balance(101) == 10

    await reach_audio_step_again(ann)
    await ann.send_voice(duration=2)
    second = await ann.wait_for_text("Start?")
    start = second.buttons()[0][1]
    answered = len(ann.callback_answers())
    await ann.press_data(second, start)
    await ann.press_data(second, start)
    await telegram.wait_until(lambda: len(ann.callback_answers()) == answered + 2)
    await zencreator.wait_for_generation()
    await bot.services.engine.wait_idle()
    assert len(zencreator.generations) == 1
    assert await bot.services.ledger.balance(101) == 4


async def reach_audio_step_again(user: EmulatedUser) -> None:
    await user.send_text("/lipsync")
    await user.wait_for_text("Step 1 of 2")
    await user.send_photo(PORTRAIT)
    await user.wait_for_text("Step 2 of 2")


async def test_not_enough_credits_for_the_quote(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    await start_bot(welcome_credits=5)
    ann = telegram.user(101)
    await reach_audio_step(ann)
    await ann.send_voice(duration=4)
    refusal = await ann.next_message()
    assert refusal.text == texts.short_of_credits(12, 5)
    assert [data for _, data in refusal.buttons()][0].startswith("buy:100:")
    assert zencreator.uploads == []


async def test_a_forged_confirmation_for_another_users_quote_is_refused(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann, eve = telegram.user(101), telegram.user(666, first_name="Eve")
    await reach_audio_step(ann)
    await ann.send_voice(duration=2)
    quote: SentMessage = await ann.wait_for_text("Start?")
    await eve.send_text("/start")
    eves_view = await eve.next_message()
    await eve.press_data(eves_view, quote.buttons()[0][1])
    await telegram.wait_until(lambda: len(eve.callback_answers()) == 1)
    assert eve.callback_answers()[0]["text"] == texts.QUOTE_GONE
    assert await bot.services.ledger.balance(101) == 10
    assert await bot.services.ledger.balance(666) == 10
    assert zencreator.uploads == []
