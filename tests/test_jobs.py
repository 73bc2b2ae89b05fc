"""The job engine against both fakes: settlement, deadlines, retries, caching, status edits."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot import texts
from bot.playground.emulator import BotApiEmulator, FileRef, make_jpeg
from bot.tools import FACESWAP, LIPSYNC, FileInput, JobSpec
from providers.models import MediaKind
from storage.jobs import JobState
from tests.conftest import ZENCREATOR_KEY, RunningBot
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
        user_id=user_id, chat_id=user_id, tool=FACESWAP, spec=spec, price=1
    )
    return job.id


async def move_deadline(bot: RunningBot, job_id: str, when: datetime) -> None:
    """Set a job's deadline as if it had been charged long ago."""
    async with bot.services.db.transaction() as tx:
        await tx.execute(
            "UPDATE jobs SET deadline_at = ? WHERE id = ?", (when.isoformat(), job_id)
        )


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


async def test_a_status_edit_telegram_is_slow_to_take_never_holds_up_the_job(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    zencreator.plan("faceswap", polls_until_done=3)
    first_edit = telegram.hold("editMessageText")
    ann = telegram.user(101)
    await bot.services.users.ensure(101, "Ann", None, welcome_credits=10)
    job_id = await order_faceswap(bot, telegram, 101)
    await first_edit.wait_reached()
    # The result comes while the status message still waits for its first edit.
    await next_media(ann, "sendDocument")
    first_edit.release()
    done = texts.job_done("Face swap", 0)
    await telegram.wait_until(lambda: any(m.text == done for m in ann.messages()))
    await bot.services.engine.wait_idle()
    job = await bot.services.jobs.get(job_id)
    assert job is not None and job.state is JobState.DELIVERED
    status = next(m for m in ann.messages() if m.message_id == job.status_message_id)
    # Texts that came while the first edit was under way gave way to the latest.
    assert status.edits == [texts.job_processing("Face swap", timedelta(0)), done]


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
    await move_deadline(bot, job_id, datetime.now(UTC) - timedelta(seconds=1))
    failure = await ann.wait_for_text("Sorry, your face swap failed")
    assert texts.JOB_TIMED_OUT in (failure.text or "")
    assert await bot.services.ledger.balance(101) == 10


async def test_a_job_whose_deadline_passed_while_it_waited_is_not_started(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    """A bot stopped for longer than a job's deadline (or a line as long) fails the job
    before starting it: started, it would be paid at the provider and then timed out."""
    upload = zencreator.hold("POST /assets")
    first: RunningBot = await start_bot()
    ann = telegram.user(101)
    await first.services.users.ensure(101, "Ann", None, welcome_credits=10)
    job_id = await order_faceswap(first, telegram, 101)
    await upload.wait_reached()
    await move_deadline(first, job_id, datetime.now(UTC) - timedelta(seconds=1))
    await first.stop()
    upload.release()

    second: RunningBot = await start_bot()
    failure = await ann.wait_for_text("Sorry, your face swap failed")
    assert texts.JOB_TIMED_OUT in (failure.text or "")
    assert zencreator.generations == {}
    assert await second.services.ledger.balance(101) == 10


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
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    # Budgets big enough that the failed starts never wait for one: the job retries at once.
    zencreator.set_rate_limits(None)
    bot: RunningBot = await start_bot(zencreator_rate_limits="generate=100000")
    zencreator.fail_next("POST /generations", 503, times=10_000)
    ann = telegram.user(101)
    await bot.services.users.ensure(101, "Ann", None, welcome_credits=10)
    job_id = await order_faceswap(bot, telegram, 101)
    await zencreator.wait_until(lambda: len(zencreator.requests_for("POST /generations")) >= 4)
    # The deadline passes while the job waits to try again.
    await move_deadline(bot, job_id, datetime.now(UTC) + timedelta(seconds=0.5))
    failure = await ann.wait_for_text("Sorry, your face swap failed")
    assert "temporary problem" in (failure.text or "")
    assert await bot.services.ledger.balance(101) == 10


async def test_an_input_telegram_no_longer_has_fails_at_once_and_is_refunded(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await bot.services.users.ensure(101, "Ann", None, welcome_credits=10)
    gone = FileRef("AgACAgIAAxkBAAIBexpired", "AQADexpired", 1000)  # an expired file id
    too_big = telegram.add_file(make_jpeg(), file_size=21 * 1024 * 1024)  # over getFile's 20 MB
    for face in (gone, too_big):
        spec = JobSpec(
            files=[image_input("face_asset", face), image_input("ref_asset", face)],
            options={"model": "SDXL"},
        )
        job = await bot.services.engine.order(
            user_id=101, chat_id=101, tool=FACESWAP, spec=spec, price=1
        )
        failure = await ann.wait_for_text("Sorry, your face swap failed")
        assert texts.INPUT_FILE_UNAVAILABLE in (failure.text or "")
        await bot.services.engine.wait_idle()
        settled = await bot.services.jobs.get(job.id)
        assert settled is not None and settled.refunded == 1
    # Each was asked for once: a refusal is not retried.
    assert [params["file_id"] for method, params in telegram.requests if method == "getFile"] == [
        gone.file_id,
        too_big.file_id,
    ]
    assert zencreator.uploads == [] and zencreator.starts == []
    assert await bot.services.ledger.balance(101) == 10


async def test_a_user_may_have_only_so_many_jobs_running(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(max_jobs_per_user=2)
    zencreator.plan("faceswap", polls_until_done=None, times=None)
    ann = telegram.user(101)
    await bot.services.users.ensure(101, "Ann", None, welcome_credits=10)
    for _ in range(2):
        await order_faceswap(bot, telegram, 101)
    await zencreator.wait_for_generation(2)

    await start_faceswap(ann)
    await send_both_photos(ann)
    refusal = await ann.wait_for_text("jobs running")
    assert refusal.text == texts.too_many_jobs(2)
    assert await bot.services.ledger.balance(101) == 8
    assert len(await bot.services.jobs.recent(101)) == 2

    for generation_id in zencreator.generations:
        zencreator.finish(generation_id)
    await bot.services.engine.wait_idle()
    await order_faceswap(bot, telegram, 101)
    await zencreator.wait_for_generation(3)
    assert await bot.services.ledger.balance(101) == 7


async def test_the_first_poll_waits_its_interval_after_the_start(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    """The start answered the status: polling at once would spend a read for nothing."""
    bot: RunningBot = await start_bot(zencreator_poll_interval=0.5)
    telegram.user(101)
    await bot.services.users.ensure(101, "Ann", None, welcome_credits=10)
    await order_faceswap(bot, telegram, 101)

    def started() -> bool:
        return any(r.status == 201 for r in zencreator.requests_for("POST /generations"))

    await zencreator.wait_until(started)
    loop = asyncio.get_running_loop()
    answered_at = loop.time()
    await zencreator.wait_until(lambda: bool(zencreator.requests_for("GET /generations/*")))
    assert loop.time() - answered_at >= 0.45


async def test_each_job_event_is_logged_once_without_prompts_or_secrets(
    telegram: BotApiEmulator,
    zencreator: FakeZenCreator,
    bot: RunningBot,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    ann = telegram.user(101)
    await bot.services.users.ensure(101, "Ann", None, welcome_credits=30)
    portrait = telegram.add_file(make_jpeg())
    voice = telegram.add_file(b"OggS" + bytes(64))
    spec = JobSpec(
        files=[
            image_input("image_asset", portrait),
            FileInput(
                field="audio_asset",
                file_id=voice.file_id,
                file_unique_id=voice.file_unique_id,
                kind=MediaKind.AUDIO,
                filename="voice.ogg",
            ),
        ],
        options={"prompt": "whispering-secret-prompt"},
    )
    delivered = await bot.services.engine.order(
        user_id=101, chat_id=101, tool=LIPSYNC, spec=spec, price=3
    )
    await next_media(ann, "sendVideo")
    zencreator.plan("lipsync", status="failed", error="no face found")
    failed = await bot.services.engine.order(
        user_id=101, chat_id=101, tool=LIPSYNC, spec=spec, price=3
    )
    await ann.wait_for_text("Sorry, your lipsync failed")
    await bot.services.engine.wait_idle()

    def events(job_id: str) -> list[str]:
        return [
            record.getMessage().split(":")[0].removeprefix(f"job {job_id} ")
            for record in caplog.records
            if record.name == "bot.jobs"
            and record.getMessage().startswith(f"job {job_id} ")
            and record.levelno == logging.INFO
        ]

    assert events(delivered.id) == ["ordered", "started", "finished", "delivered"]
    assert events(failed.id) == ["ordered", "started", "failed", "refunded"]
    assert all("lipsync" in r.getMessage() for r in caplog.records if r.name == "bot.jobs")
    # httpx logs URLs with the token at INFO; `python -m bot` turns it down to WARNING.
    ours = [r for r in caplog.records if r.name.split(".")[0] in ("bot", "providers", "storage")]
    logged = "\n".join(record.getMessage() for record in ours)
    assert "whispering-secret-prompt" not in logged
    assert ZENCREATOR_KEY not in logged and telegram.token not in logged
