"""The job engine against both fakes: settlement, deadlines, retries, caching, status edits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot import texts
from bot.playground.emulator import BotApiEmulator, FileRef, make_jpeg
from bot.pricing import faceswap_price
from bot.tools import FACESWAP, FileInput, JobSpec
from providers.models import MediaKind
from storage.jobs import JobState
from tests.conftest import RunningBot
from tests.fakes.zencreator import FakeZenCreator
from tests.flows import next_media, send_both_photos, start_faceswap


def image_input(field: str, file: FileRef) -> FileInput:
    """A photo the user sent, as the job spec records it."""
    return FileInput(
        field=field,
        file_id=file.file_id,
        file_unique_id=file.file_unique_id,
        kind=MediaKind.IMAGE,
        filename=f"{field}.jpg",
    )


async def order_faceswap(bot: RunningBot, telegram: BotApiEmulator, user_id: int) -> str:
    """Order a swap straight from the engine, as the handler does; returns the job id."""
    face = telegram.add_file(make_jpeg(color="red"))
    target = telegram.add_file(make_jpeg(color="blue"))
    spec = JobSpec(
        files=[image_input("face_asset", face), image_input("ref_asset", target)],
        options={"model": "SDXL"},
    )
    job = await bot.services.engine.order(
        user_id=user_id, chat_id=user_id, tool=FACESWAP, spec=spec, price=faceswap_price(1)
    )
    return job.id


async def test_the_status_message_moves_without_redundant_edits(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    zencreator.plan("faceswap", polls_until_done=5)
    ann = telegram.user(101)
    await start_faceswap(ann)
    await send_both_photos(ann)
    await next_media(ann, "sendDocument")
    await bot.services.engine.wait_idle()
    (job,) = await bot.services.jobs.recent(101)
    status = next(m for m in ann.messages() if m.message_id == job.status_message_id)
    assert status.params["text"] == texts.job_queued("Face swap")
    assert status.edits == [
        texts.job_processing("Face swap", timedelta(0)),
        texts.job_done("Face swap", 0),
    ]
    assert not [refusal for refusal in telegram.refusals if "not modified" in refusal[2]]


async def test_a_partial_generation_without_outputs_is_refunded(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    zencreator.plan("faceswap", status="partial", error="Face too small", outputs=[])
    telegram.user(101)
    await bot.services.users.ensure(101, "Ann", None, welcome_credits=10)
    job_id = await order_faceswap(bot, telegram, 101)
    await bot.services.engine.wait_idle()
    job = await bot.services.jobs.get(job_id)
    assert job is not None and job.state is JobState.DELIVERED and job.refunded == 1
    assert await bot.services.ledger.balance(101) == 10


async def test_a_job_past_its_deadline_is_failed_and_refunded(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    zencreator.plan("faceswap", polls_until_done=None)
    ann = telegram.user(101)
    await bot.services.users.ensure(101, "Ann", None, welcome_credits=10)
    job_id = await order_faceswap(bot, telegram, 101)
    generation = await zencreator.wait_for_generation()
    await zencreator.wait_until(lambda: generation.polls >= 1)
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    await bot.services.jobs.record(job_id, deadline_at=past)
    failure = await ann.wait_for_text("Sorry, your face swap failed")
    assert texts.JOB_TIMED_OUT in (failure.text or "")
    assert await bot.services.ledger.balance(101) == 10


async def test_passing_provider_errors_while_polling_are_waited_out(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    zencreator.fail_next("GET /generations/*", 503, times=6)
    ann = telegram.user(101)
    await bot.services.users.ensure(101, "Ann", None, welcome_credits=10)
    await order_faceswap(bot, telegram, 101)
    await next_media(ann, "sendDocument")
    assert await bot.services.ledger.balance(101) == 9


async def test_an_input_the_provider_refuses_is_explained_and_refunded(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    zencreator.fail_next(
        "POST /generations", 422, "validation_error", message="face_asset: no face detected"
    )
    ann = telegram.user(101)
    await bot.services.users.ensure(101, "Ann", None, welcome_credits=10)
    await order_faceswap(bot, telegram, 101)
    failure = await ann.wait_for_text("Sorry, your face swap failed")
    assert texts.provider_refused_input("face_asset: no face detected") in (failure.text or "")
    assert await bot.services.ledger.balance(101) == 10


async def test_the_same_telegram_file_is_uploaded_once(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    telegram.user(101)
    await bot.services.users.ensure(101, "Ann", None, welcome_credits=10)
    face = telegram.add_file(make_jpeg(color="red"))
    spec = JobSpec(files=[image_input("face_asset", face), image_input("ref_asset", face)])
    for _ in range(2):
        await bot.services.engine.order(
            user_id=101, chat_id=101, tool=FACESWAP, spec=spec, price=1
        )
        await bot.services.engine.wait_idle()
    assert len(zencreator.uploads) == 1
    assert len(zencreator.generations) == 2
    assert {g.input["face_asset"] for g in zencreator.generations.values()} == {
        zencreator.uploads[0].asset_id
    }


async def test_both_flows_run_on_the_offline_mock_provider(
    telegram: BotApiEmulator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(zencreator_api_key="", welcome_credits=20)
    ann = telegram.user(101)
    await start_faceswap(ann)
    await send_both_photos(ann)
    await telegram.wait_until(
        lambda: any(m.method == "sendDocument" for m in ann.messages()), timeout=15
    )
    result = next(m for m in ann.messages() if m.method == "sendPhoto")
    assert telegram.file_content(result.file_id or "").startswith(b"\x89PNG")

    await ann.send_text("/lipsync")
    await ann.wait_for_text("Step 1 of 2")
    await ann.send_photo(make_jpeg())
    await ann.wait_for_text("Step 2 of 2")
    await ann.send_voice(duration=3)
    quote = await ann.wait_for_text("Start?")
    await ann.press(quote, texts.start_button(9))
    await telegram.wait_until(
        lambda: any(m.method == "sendVideo" for m in ann.messages()), timeout=15
    )
    video = next(m for m in ann.messages() if m.method == "sendVideo")
    assert telegram.file_content(video.file_id or "")[4:8] == b"ftyp"
    assert await bot.services.ledger.balance(101) == 20 - 1 - 9


async def test_a_provider_down_until_the_deadline_fails_the_job_and_refunds(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    zencreator.fail_next("POST /generations", 503, times=10_000)
    ann = telegram.user(101)
    await bot.services.users.ensure(101, "Ann", None, welcome_credits=10)
    job_id = await order_faceswap(bot, telegram, 101)
    await zencreator.wait_until(lambda: len(zencreator.requests_for("POST /generations")) >= 4)
    long_ago = (datetime.now(UTC) - FACESWAP.deadline - timedelta(seconds=1)).isoformat()
    async with bot.services.db.transaction() as tx:
        await tx.execute("UPDATE jobs SET created_at = ? WHERE id = ?", (long_ago, job_id))
    failure = await ann.wait_for_text("Sorry, your face swap failed")
    assert "temporary problem" in (failure.text or "")
    assert await bot.services.ledger.balance(101) == 10
