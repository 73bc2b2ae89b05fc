"""A job charged the most it could cost (a linked video) is settled at what the provider really
charged: the difference comes back once, even when the credit history cannot be read at once."""

from __future__ import annotations

from typing import Any

from bot import texts
from bot.playground.emulator import BotApiEmulator, make_jpeg
from bot.settlement import ChargeSettlement
from bot.tools import VIDEO2VIDEO, FileInput, JobSpec
from providers.mock import MockProvider
from providers.models import MediaKind
from storage.jobs import Job, JobState
from tests.conftest import RunningBot
from tests.fakes.zencreator import FakeZenCreator

REEL = "https://www.instagram.com/reel/C3xYz1ab/"


def link_spec(zencreator: FakeZenCreator, measures: dict[str, float | None]) -> JobSpec:
    face = FileInput(
        field="image_asset",
        kind=MediaKind.IMAGE,
        filename="face.jpg",
        asset_id=zencreator.add_asset(make_jpeg()),
    )
    return JobSpec(
        files=[face],
        options={"instagram_url": REEL, "mode": "dreamactor_m2"},
        measures=measures,
    )


async def order(bot: RunningBot, spec: JobSpec, price: int) -> str:
    await bot.services.users.ensure(101, "Ann", None, welcome_credits=100)
    job = await bot.services.engine.order(
        user_id=101, chat_id=101, tool=VIDEO2VIDEO, spec=spec, price=price
    )
    return job.id


async def test_a_passing_error_reading_the_charge_is_waited_out_and_nothing_sent_twice(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(credit_multiplier=1.5)
    telegram.user(101)
    zencreator.set_link_duration(REEL, 12)
    zencreator.fail_next("GET /transactions", 503, times=6)
    job_id = await order(bot, link_spec(zencreator, {"video_seconds": None}), 45)
    await bot.services.engine.wait_idle()
    job = await bot.services.jobs.get(job_id)
    assert job is not None and job.state is JobState.DELIVERED
    # 12 provider credits at 1.5 are 18 bot credits: 27 of the 45 come back.
    assert job.refunded == 27
    assert await bot.services.ledger.balance(101) == 100 - 45 + 27
    videos = [m for m in telegram.messages(101) if m.method == "sendVideo"]
    assert len(videos) == 1
    status = [
        m
        for m in telegram.messages(101)
        if m.text == texts.job_done_overcharged("Motion transfer", 27)
    ]
    assert len(status) == 1


async def test_a_job_priced_from_a_measured_video_is_not_settled_again(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    telegram.user(101)
    job_id = await order(bot, link_spec(zencreator, {"video_seconds": 12.0}), 30)
    await bot.services.engine.wait_idle()
    job = await bot.services.jobs.get(job_id)
    assert job is not None and (job.state, job.refunded) == (JobState.DELIVERED, 0)
    assert not any(r.path.endswith("/transactions") for r in zencreator.requests)


def finished(provider: str, generation_id: str | None, measures: dict[str, float | None]) -> Job:
    spec = JobSpec(files=[], options={}, measures=measures)
    return Job(
        id="job",
        user_id=1,
        chat_id=1,
        tool="video2video",
        provider=provider,
        state=JobState.SUCCEEDED,
        spec=spec.model_dump(),
        price=60,
        generation_id=generation_id,
        created_at="2025-01-01T00:00:00+00:00",
        updated_at="2025-01-01T00:00:00+00:00",
    )


async def test_an_unknown_charge_keeps_the_most_charged() -> None:
    mock = MockProvider()
    settlement = ChargeSettlement(mock, 1)
    assert await settlement.overcharged(finished("mock", "mock-1-1-video2video", {"s": None})) == 0
    assert await settlement.overcharged(finished("mock", None, {"s": None})) == 0
    assert await settlement.overcharged(finished("scenario", "g", {"s": None})) == 0
