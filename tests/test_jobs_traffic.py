"""The job engine's provider traffic, end to end: uploads, starts and polls of many jobs go
through the single-flight uploads, the fair start queue and the poll scheduler of the real
bot, against the fake ZenCreator keeping its limits over a scaled-down window."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot import texts
from bot.config import RateLimits
from bot.courier import Courier
from bot.jobs import JobEngine
from bot.playground.emulator import BotApiEmulator, make_jpeg
from bot.scheduler.polls import DEFAULT_CONCURRENCY
from bot.scheduler.starts import StartQueue
from bot.scheduler.traffic import Traffic
from bot.tools import FACESWAP, JobSpec
from providers.ratelimit import RateBudget
from providers.zencreator import ZenCreatorClient
from storage.db import Database
from storage.durations import DurationsRepository, ToolDuration
from storage.jobs import JobsRepository, JobState, Reservation
from storage.users import UsersRepository
from tests.conftest import ZENCREATOR_KEY, RunningBot
from tests.fakes.zencreator import FakeZenCreator
from tests.test_jobs import image_input, order_faceswap

SWAP_SECONDS = 0.3
"""How long the fake takes for a face swap; an earlier run of the bot learned as much."""


async def learned(folder: Path, tool: str, model: str, seconds: float) -> None:
    """What an earlier run of the bot on this database learned of a tool's duration."""
    db = await Database.open(folder / "castbot.sqlite3")
    try:
        await DurationsRepository(db).save(
            ToolDuration(provider="zencreator", tool=tool, model=model, seconds=seconds, samples=9)
        )
    finally:
        await db.close()


def status_polls(zencreator: FakeZenCreator) -> Counter[str]:
    """Status polls made, by generation id (a result's fetch is not one)."""
    return Counter(
        request.path.rsplit("/", 1)[1]
        for request in zencreator.requests_for("GET /generations/*")
        if not request.path.endswith("/result")
    )


async def test_fifty_jobs_get_no_429_and_each_is_polled_when_it_is_expected_done(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any, tmp_path: Path
) -> None:
    limits = RateLimits(read=20, generate=10, upload=20)
    window = 0.5
    zencreator.set_rate_limits(limits.by_bucket(), window)
    zencreator.set_durations({"faceswap": SWAP_SECONDS})
    await learned(tmp_path, "faceswap", "SDXL", SWAP_SECONDS)
    bot: RunningBot = await start_bot(
        zencreator_rate_limits=limits,
        zencreator_rate_window=window,
        zencreator_poll_interval=0.05,
    )
    users = range(1001, 1051)
    for user_id in users:
        telegram.user(user_id)
        await bot.services.users.ensure(user_id, "User", None, welcome_credits=10)
    job_ids = await asyncio.gather(*(order_faceswap(bot, telegram, user) for user in users))
    await telegram.wait_until(
        lambda: all(any(m.method == "sendDocument" for m in telegram.messages(u)) for u in users),
        timeout=120,
    )
    await bot.services.engine.wait_idle()

    assert [r for r in zencreator.requests if r.status == 429] == []
    assert len(zencreator.uploads) == 100 and len(zencreator.generations) == 50
    # No job was polled long before it was expected done, and nearly every one was done at
    # its first poll (the learning moves the expectation a little around the truth).
    polls = status_polls(zencreator)
    assert set(polls) == set(zencreator.generations)
    for generation in zencreator.generations.values():
        first = min(r.at for r in zencreator.requests_for(f"GET /generations/{generation.id}"))
        assert first >= generation.created_at + SWAP_SECONDS / 2
    assert sum(polls.values()) <= 55 and max(polls.values()) <= 2
    for job_id in job_ids:
        job = await bot.services.jobs.get(job_id)
        assert job is not None and (job.state, job.refunded) == (JobState.DELIVERED, 0)


async def test_the_same_photo_in_concurrent_jobs_is_uploaded_once(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    target = telegram.add_file(make_jpeg(color="green"))  # everyone swaps into one picture
    users = range(1001, 1006)

    async def order(user_id: int) -> None:
        telegram.user(user_id)
        await bot.services.users.ensure(user_id, "User", None, welcome_credits=10)
        face = telegram.add_file(make_jpeg(color="red"))
        spec = JobSpec(
            files=[image_input("face_asset", face), image_input("ref_asset", target)],
            options={"model": "SDXL"},
        )
        await bot.services.engine.order(
            user_id=user_id, chat_id=user_id, tool=FACESWAP, spec=spec, price=1
        )

    await asyncio.gather(*(order(user_id) for user_id in users))
    await zencreator.wait_for_generation(5)
    await bot.services.engine.wait_idle()
    assert len(zencreator.uploads) == 5 + 1
    shared = {g.input["ref_asset"] for g in zencreator.generations.values()}
    assert len(shared) == 1


async def test_waiting_jobs_start_in_turns_by_user_and_show_their_place_as_it_moves(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    """An engine whose key starts one generation a window: Ann's five jobs and then Bob's one
    go in turns, and each waiting job's status message tells its place in line."""
    db = bot.services.db
    budget = RateBudget({"generate": 1}, 0.5, name="zencreator")
    courier = Courier(bot.application.bot)
    async with ZenCreatorClient(ZENCREATOR_KEY, zencreator.base_url, budget=budget) as client:
        traffic = await Traffic.open(db, client, budget, courier.fetch, poll_floor=0.02)
        engine = JobEngine(
            JobsRepository(db),
            client,
            courier,
            traffic=dataclasses.replace(traffic, starts=StartQueue(budget, notice_every=0.05)),
            balance_of=bot.services.ledger.balance,
            retry_interval=0.02,
            max_jobs_per_user=5,
            worker_name="turns",
        )
        try:
            ann, bob = telegram.user(101), telegram.user(102)
            for user in (ann, bob):
                await bot.services.users.ensure(user.id, "User", None, welcome_credits=10)
            anns = [await order_with(engine, telegram, ann.id) for _ in range(5)]
            await zencreator.wait_until(lambda: len(zencreator.starts) >= 1)
            bobs = await order_with(engine, telegram, bob.id)
            await telegram.wait_until(
                lambda: (
                    [m.method for m in ann.messages() + bob.messages()].count("sendDocument") == 6
                ),
                timeout=30,
            )
            await engine.wait_idle()
        finally:
            await engine.stop()

    started = [start.idempotency_key for start in zencreator.starts]
    # When Bob came, Ann's first job had started and her next two were past the line,
    # waiting for the budget; then Bob, who had had no turn yet, went before her others.
    assert started == [*anns[:3], bobs, *anns[3:]]
    last = await bot.services.jobs.get(anns[4])
    assert last is not None
    status = next(m for m in ann.messages() if m.message_id == last.status_message_id)
    places = [place_of(text) for text in [status.params["text"], *status.edits]]
    shown = [place for place in places if place is not None]
    # Told at once when it had to wait, then as it moved up (Bob's job went before it).
    assert len(shown) >= 2 and shown[-1] == 1
    assert status.edits[-1] == texts.job_done(FACESWAP.title, 0)


async def order_with(engine: JobEngine, telegram: BotApiEmulator, user_id: int) -> str:
    face = telegram.add_file(make_jpeg(color="red"))
    target = telegram.add_file(make_jpeg(color="blue"))
    spec = JobSpec(
        files=[image_input("face_asset", face), image_input("ref_asset", target)],
        options={"model": "SDXL"},
    )
    job = await engine.order(user_id=user_id, chat_id=user_id, tool=FACESWAP, spec=spec, price=1)
    return job.id


def place_of(text: str) -> int | None:
    """The place in line a status text shows, if it shows one."""
    for position in range(1, 20):
        for seconds in range(0, 600, 10):
            wait = timedelta(seconds=seconds)
            if text == texts.job_in_line(FACESWAP.title, position, wait):
                return position
    return None


async def leave_backlog(folder: Path, deadlines: dict[str, datetime]) -> None:
    """Jobs a killed run left running at the provider (generation id -> deadline): charged,
    started half a minute ago, and still leased to that run."""
    db = await Database.open(folder / "castbot.sqlite3")
    jobs = JobsRepository(db)
    killed = "castbot/killed"
    try:
        for n, (generation_id, deadline) in enumerate(deadlines.items()):
            user_id = 1001 + n
            await UsersRepository(db).ensure(user_id, "User", None, welcome_credits=10)
            job = await jobs.create(
                job_id=f"backlog{n:02d}",
                user_id=user_id,
                chat_id=user_id,
                tool=FACESWAP.name,
                provider="zencreator",
                spec=JobSpec(files=[], options={"model": "SDXL"}).model_dump(mode="json"),
                price=1,
                reservation=Reservation(FACESWAP.deadline, max_unfinished=3),
            )
            assert await jobs.claim(job.id, killed, lease_seconds=60)
            await jobs.record(
                job.id,
                killed,
                state=JobState.SUBMITTED,
                generation_id=generation_id,
                submitted_at=(datetime.now(UTC) - timedelta(seconds=30)).isoformat(),
            )
            async with db.transaction() as tx:
                await tx.execute(
                    "UPDATE jobs SET deadline_at = ? WHERE id = ?", (deadline.isoformat(), job.id)
                )
    finally:
        await db.close()


async def test_a_backlog_is_polled_oldest_deadline_first_and_timed_out_only_by_a_late_poll(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any, tmp_path: Path
) -> None:
    """Forty jobs still running at the provider, which a restarted bot finds with deadlines
    a few seconds away: its read budget takes seconds to poll them all once."""
    zencreator.clock = time.time  # the job rows' deadlines are wall-clock times
    zencreator.set_rate_limits({"read": 8}, 0.5)
    zencreator.set_durations({"faceswap": 3600})
    now = datetime.now(UTC)
    deadlines = {
        zencreator.add_generation("faceswap"): now + timedelta(seconds=1 + 0.1 * n)
        for n in range(40)
    }
    for n in range(40):
        telegram.user(1001 + n)
    # Listed out of order: the restarted bot must order them itself.
    shuffled = dict(sorted(deadlines.items(), key=lambda item: hash(item[0])))
    await leave_backlog(tmp_path, shuffled)

    bot: RunningBot = await start_bot(
        zencreator_rate_limits=RateLimits(read=8),
        zencreator_rate_window=0.5,
        zencreator_poll_interval=1.0,  # a job's polls come at least this far apart
    )

    def timed_out() -> int:
        return sum(
            texts.JOB_TIMED_OUT in (message.text or "")
            for user_id in range(1001, 1041)
            for message in telegram.messages(user_id)
        )

    await telegram.wait_until(lambda: timed_out() == 40, timeout=60)
    await bot.services.engine.wait_idle()

    polls = [
        (request.path.rsplit("/", 1)[1], request.at)
        for request in zencreator.requests_for("GET /generations/*")
    ]
    first_polls = list(dict.fromkeys(generation_id for generation_id, _ in polls))
    by_deadline = sorted(deadlines, key=deadlines.__getitem__)
    # Oldest deadline first, but for the few polls under way at once overtaking each other.
    for place, generation_id in enumerate(first_polls):
        assert abs(by_deadline.index(generation_id) - place) < DEFAULT_CONCURRENCY
    # Every job was timed out by a poll made at or after its deadline, not for lack of one
    # (its last poll a poll interval before the deadline).
    for generation_id, deadline in deadlines.items():
        last = max(at for polled, at in polls if polled == generation_id)
        assert last >= deadline.timestamp()
    assert [r for r in zencreator.requests if r.status == 429] == []
