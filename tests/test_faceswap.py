"""/faceswap end to end: the real bot against the fake Telegram and ZenCreator servers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot import texts
from bot.playground.emulator import MB, BotApiEmulator
from providers.http import DEFAULT_MAX_RETRIES
from storage.jobs import JobState
from storage.users import LedgerKind
from tests.conftest import RunningBot
from tests.fakes.zencreator import FakeZenCreator
from tests.flows import FACE, TARGET, accept_terms, next_media, send_both_photos, start_faceswap


async def test_face_swap_is_delivered_with_face_and_target_in_place(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    intro = await start_faceswap(ann)
    assert "costs 1 credit" in (intro.text or "")
    assert "balance: 10 credits" in (intro.text or "")
    await ann.send_photo(FACE)
    target_question = await ann.wait_for_text("Step 2 of 2")
    await ann.press(target_question, texts.faceswap_model("GENERAL_ADVANCED"))
    await telegram.wait_until(lambda: "✓ Advanced" in str(target_question.reply_markup))
    await ann.send_photo(TARGET)

    generation = await zencreator.wait_for_generation()
    result_photo = await next_media(ann, "sendPhoto")
    result_file = await next_media(ann, "sendDocument")

    face_upload, target_upload = zencreator.uploads
    assert (face_upload.data, target_upload.data) == (FACE, TARGET)
    assert face_upload.media_type == target_upload.media_type == "image"
    assert generation.tool == "faceswap"
    assert generation.input["face_asset"] == face_upload.asset_id
    assert generation.input["ref_asset"] == target_upload.asset_id
    assert generation.input["model"] == "GENERAL_ADVANCED"
    expected = generation.outputs[0].data
    assert telegram.file_content(result_photo.file_id or "") == expected
    assert telegram.file_content(result_file.file_id or "") == expected

    job = (await bot.services.jobs.recent(101))[0]
    assert generation.idempotency_key == job.id
    assert await bot.services.ledger.balance(101) == 9
    status = next(m for m in ann.messages() if m.message_id == job.status_message_id)
    await telegram.wait_until(lambda: (status.text or "").startswith("✅"))
    assert status.edits[-1] == texts.job_done("Face swap", 0)


async def test_default_model_needs_no_click_and_terms_are_asked_once(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await start_faceswap(ann)
    await send_both_photos(ann)
    first = await zencreator.wait_for_generation()
    assert first.input["model"] == "SDXL"
    result = await next_media(ann, "sendPhoto")
    assert result.caption == texts.result_card("Face swap", 1, 1, 9, reusable=True)
    await next_media(ann, "sendDocument")
    account = await bot.services.users.get(101)
    assert account is not None and account.terms_accepted_at is not None

    await ann.send_text("/faceswap")
    intro = await ann.next_message()
    assert "Step 1 of 2" in (intro.text or "")


async def test_wrong_input_at_each_step_gets_told_what_is_expected(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await start_faceswap(ann)
    await ann.send_sticker()
    assert (await ann.next_message()).text == texts.PHOTO_EXPECTED
    await ann.send_voice(b"OggS", duration=3)
    assert (await ann.next_message()).text == texts.PHOTO_EXPECTED
    await ann.send_document(b"GIF89a", file_name="a.gif", mime_type="image/gif")
    assert "JPG, PNG, WEBP" in ((await ann.next_message()).text or "")
    await ann.send_document(FACE, file_name="big.jpg", mime_type="image/jpeg", file_size=25 * MB)
    assert (await ann.next_message()).text == texts.file_too_large(20 * MB)

    await ann.send_document(FACE, file_name="face.jpg", mime_type="image/jpeg")
    await ann.wait_for_text("Step 2 of 2")
    await ann.send_text("here is the target")
    assert (await ann.next_message()).text == texts.PHOTO_EXPECTED
    await ann.send_photo(TARGET)
    await next_media(ann, "sendPhoto")
    assert zencreator.uploads[0].data == FACE
    assert await bot.services.ledger.balance(101) == 9


async def test_other_commands_work_during_the_flow_and_cancel_leaves_it(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await start_faceswap(ann)
    await ann.send_photo(FACE)
    await ann.wait_for_text("Step 2 of 2")
    await ann.send_text("/balance")
    assert (await ann.next_message()).text == "Your balance: 10 credits"
    await ann.send_text("/cancel")
    assert (await ann.next_message()).text == texts.CANCELLED
    # Outside a flow a photo opens the photo menu: nothing is swapped or charged.
    await ann.send_photo(TARGET)
    assert (await ann.next_message()).text == texts.photo_menu(1)
    assert zencreator.uploads == []
    assert await bot.services.ledger.balance(101) == 10


async def test_not_enough_credits_charges_and_sends_nothing(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    bot = await start_bot(welcome_credits=0)
    ann = telegram.user(101)
    await ann.send_text("/faceswap")
    await accept_terms(ann)
    refusal = await ann.wait_for_text("Not enough credits")
    assert refusal.text == texts.not_enough_credits(1, 0)
    await ann.send_photo(FACE)
    assert (await ann.next_message()).text == texts.photo_menu(1)
    assert zencreator.uploads == [] and zencreator.starts == []
    assert await bot.services.ledger.history(101) == []


async def test_balance_spent_during_the_flow_is_refused_at_the_charge(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await start_faceswap(ann)
    await ann.send_photo(FACE)
    await ann.wait_for_text("Step 2 of 2")
    await bot.services.ledger.apply(101, -10, LedgerKind.GRANT, note="spent elsewhere")
    await ann.send_photo(TARGET)
    refusal = await ann.next_message()
    assert refusal.text == texts.short_of_credits(1, 0)
    assert [text for text, _ in refusal.buttons()][0] == texts.pack_button(100, 50)
    assert zencreator.uploads == []
    # The swap is kept as a quote, to start once credits are bought.
    (kept,) = await bot.services.jobs.recent(101)
    assert kept.state is JobState.QUOTED and kept.price == 1
    assert refusal.buttons()[0][1] == f"buy:100:{kept.id}"


async def test_a_failed_generation_is_refunded_with_the_reason(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    zencreator.plan("faceswap", status="failed", error="No face found on the face photo")
    ann = telegram.user(101)
    await start_faceswap(ann)
    await send_both_photos(ann)
    failure = await ann.wait_for_text("Sorry, your face swap failed")
    assert "No face found on the face photo" in (failure.text or "")
    assert "1 credit refunded" in (failure.text or "")
    await ann.send_text("/balance")
    assert (await ann.wait_for_text("Your balance")).text == "Your balance: 10 credits"
    await ann.send_text("/history")
    history = (await ann.wait_for_text("credit changes")).text or ""
    assert "+1  refunded" in history and "-1  charged" in history


async def test_a_provider_side_problem_is_shown_as_temporary_and_refunded(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    zencreator.balance = 0  # the operator's ZenCreator account ran dry: 402
    ann = telegram.user(101)
    await start_faceswap(ann)
    await send_both_photos(ann)
    failure = await ann.wait_for_text("Sorry, your face swap failed")
    assert "temporary problem" in (failure.text or "")
    assert "insufficient" not in (failure.text or "").lower()
    assert await bot.services.ledger.balance(101) == 10


async def test_a_restart_mid_job_delivers_once_and_charges_once(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    zencreator.plan("faceswap", polls_until_done=None)
    first = await start_bot()
    ann = telegram.user(101)
    await start_faceswap(ann)
    await send_both_photos(ann)
    generation = await zencreator.wait_for_generation()
    await zencreator.wait_until(lambda: generation.polls >= 1)
    await first.stop()

    zencreator.finish(generation.id)
    second = await start_bot()
    await next_media(ann, "sendDocument")
    await second.services.engine.wait_idle()

    assert len(zencreator.generations) == 1
    assert len(zencreator.uploads) == 2
    assert [m.method for m in ann.messages()].count("sendPhoto") == 1
    assert await second.services.ledger.balance(101) == 9
    job = (await second.services.jobs.recent(101))[0]
    assert job.state == "delivered"


async def test_a_restart_before_submission_resumes_with_the_same_key(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    """The provider started the generation, but the bot never heard back before it stopped."""
    attempts = 1 + DEFAULT_MAX_RETRIES
    zencreator.fail_next("POST /generations", 500, process=True, times=attempts)
    first = await start_bot()
    ann = telegram.user(101)
    await start_faceswap(ann)
    await send_both_photos(ann)
    await zencreator.wait_until(lambda: len(zencreator.starts) == attempts)
    await first.stop()

    second = await start_bot()
    await next_media(ann, "sendDocument")
    await second.services.engine.wait_idle()
    (job,) = await second.services.jobs.recent(101)
    assert len(zencreator.generations) == 1
    assert len(zencreator.starts) == attempts + 1
    assert {start.idempotency_key for start in zencreator.starts} == {job.id}
    assert await second.services.ledger.balance(101) == 9


async def test_an_idle_flow_ends_quietly_after_ten_minutes(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await start_faceswap(ann)
    await ann.send_photo(FACE)
    await ann.wait_for_text("Step 2 of 2")
    # Nine minutes later the flow still waits for the target...
    await age_flow(bot, 101, timedelta(minutes=9))
    await ann.send_text("/balance")
    await ann.wait_for_text("Your balance")
    assert await bot.services.flows.get(101) is not None

    # ... and ten minutes after the last touch it is over, without a word.
    await age_flow(bot, 101, timedelta(minutes=10, seconds=1))
    sent_before = len(ann.messages())
    await ann.send_photo(TARGET)
    assert (await ann.next_message()).text == texts.photo_menu(1)
    assert len(ann.messages()) == sent_before + 1
    assert zencreator.uploads == []
    assert await bot.services.ledger.balance(101) == 10


async def age_flow(bot: RunningBot, user_id: int, age: timedelta) -> None:
    """Make the user's flow look last touched `age` ago."""
    touched = (datetime.now(UTC) - age).isoformat(timespec="seconds")
    async with bot.services.db.transaction() as tx:
        await tx.execute("UPDATE flows SET updated_at = ? WHERE user_id = ?", (touched, user_id))
