"""Recovery: `python -m bot` killed (SIGKILL) at each step of a job and started again resumes
the job within seconds and delivers every output once; and two engines on one database
never run the same step."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import pytest
from PIL import Image
from telegram.ext import ExtBot

from bot import texts
from bot.courier import Courier
from bot.jobs import JobEngine
from bot.playground.changes import Hold
from bot.playground.emulator import BotApiEmulator
from bot.scheduler.traffic import Traffic
from bot.telegram_limits import TelegramRateLimiter
from bot.tools import FACESWAP, JobSpec
from providers.ratelimit import RateBudget
from providers.zencreator import ZenCreatorClient
from storage.db import Database
from storage.jobs import JobsRepository, JobState, Reservation
from storage.users import LedgerRepository, UsersRepository
from tests.conftest import LOOSE_TELEGRAM_LIMITS, ZENCREATOR_KEY
from tests.fakes.zencreator import FakeZenCreator
from tests.flows import send_both_photos, start_faceswap
from tests.test_jobs import image_input
from tests.test_jobs_traffic import learned

ROOT = Path(__file__).resolve().parent.parent
RESUME_SECONDS = 5.0
"""A restarted bot must be moving its unfinished jobs again within this."""
STARTUP_SECONDS = 30.0
"""Generous: starting Python and the bot on a busy machine is not what is measured."""


class BotProcess:
    """One `python -m bot`, on the emulator and the fake ZenCreator; its log goes to a file."""

    def __init__(self, environment: dict[str, str], folder: Path, log: IO[bytes]) -> None:
        self._environment = environment
        self._folder = folder
        self._log = log
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=self._folder,
            env=self._environment,
            stdout=self._log,
            stderr=asyncio.subprocess.STDOUT,
        )

    async def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, no lease is given back."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()

    async def stop(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(self.process.wait(), timeout=STARTUP_SECONDS) == 0


StartBot = Callable[[], Awaitable[BotProcess]]


@pytest.fixture
async def bot_process(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, tmp_path: Path
) -> AsyncIterator[StartBot]:
    """Start the bot as a process (again, for a restart); every one left is killed."""
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_URL": telegram.root_url,
        "DATABASE_PATH": str(tmp_path / "castbot.sqlite3"),
        "ZENCREATOR_API_KEY": ZENCREATOR_KEY,
        "ZENCREATOR_API_URL": zencreator.base_url,
        "ZENCREATOR_POLL_INTERVAL": "0.05",
        **{name.upper(): str(value) for name, value in LOOSE_TELEGRAM_LIMITS.items()},
    }
    started: list[BotProcess] = []
    with (tmp_path / "bot.log").open("ab") as log:

        async def start() -> BotProcess:
            calls = len(telegram.requests)
            bot = BotProcess(environment, tmp_path, log)
            await bot.start()
            started.append(bot)
            # Up once it polls for updates (its jobs were resumed just before that).
            await telegram.wait_until(
                lambda: any(m == "getUpdates" for m, _ in telegram.requests[calls:]),
                timeout=STARTUP_SECONDS,
            )
            return bot

        yield start
        for bot in started:
            await bot.kill()


def png(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (shade, 40, 80)).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class KillPoint:
    """Where the first process dies (the request held there), and what counts the second
    process's moves on the job."""

    hold: Callable[[BotApiEmulator, FakeZenCreator], Hold]
    progress: Callable[[BotApiEmulator, FakeZenCreator], int]
    outputs: int = 1
    duplicates: int = 0
    """Sends that may repeat: the one a crash cut off between Telegram taking it and the
    bot recording it."""


async def either_sees(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, predicate: Callable[[], bool]
) -> None:
    """Wait up to RESUME_SECONDS until predicate holds, re-checked on both fakes' requests."""
    waits = [
        asyncio.create_task(fake.wait_until(predicate, RESUME_SECONDS))
        for fake in (telegram, zencreator)
    ]
    done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for wait in pending:
        wait.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    done.pop().result()


def requests(zencreator: FakeZenCreator, target: str) -> int:
    return len(zencreator.requests_for(target))


def status_messages(telegram: BotApiEmulator) -> int:
    queued = texts.job_queued(FACESWAP.title)
    return sum(m.params.get("text") == queued for m in telegram.messages(101))


def sends(telegram: BotApiEmulator, method: str) -> int:
    return [m.method for m in telegram.messages(101)].count(method)


KILL_POINTS = {
    "after reserve": KillPoint(
        hold=lambda tg, zc: tg.hold(
            "sendMessage", matching=lambda params: "queued" in params.get("text", "")
        ),
        progress=lambda tg, zc: status_messages(tg),
    ),
    "during upload": KillPoint(
        hold=lambda tg, zc: zc.hold("POST /assets"),
        progress=lambda tg, zc: requests(zc, "POST /assets"),
    ),
    "after start": KillPoint(
        hold=lambda tg, zc: zc.hold("POST /generations", handled=True),
        progress=lambda tg, zc: requests(zc, "POST /generations"),
    ),
    "during poll": KillPoint(
        hold=lambda tg, zc: zc.hold("GET /generations/*"),
        progress=lambda tg, zc: requests(zc, "GET /generations/*"),
    ),
    "after the result": KillPoint(
        hold=lambda tg, zc: zc.hold("GET /downloads/*"),
        progress=lambda tg, zc: requests(zc, "GET /downloads/*"),
    ),
    "between two outputs": KillPoint(
        hold=lambda tg, zc: tg.hold("sendDocument", skip=1),
        progress=lambda tg, zc: sends(tg, "sendDocument"),
        outputs=2,
    ),
    "between Telegram taking a send and the bot recording it": KillPoint(
        hold=lambda tg, zc: tg.hold("sendDocument", handled=True),
        progress=lambda tg, zc: sends(tg, "sendDocument"),
        outputs=2,
        duplicates=1,
    ),
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
async def test_a_job_killed_at_any_step_resumes_in_seconds_and_delivers_once(
    telegram: BotApiEmulator,
    zencreator: FakeZenCreator,
    bot_process: StartBot,
    tmp_path: Path,
    point: str,
) -> None:
    kill = KILL_POINTS[point]
    outputs = [png(shade) for shade in range(kill.outputs)]
    zencreator.plan("faceswap", outputs=outputs)
    hold = kill.hold(telegram, zencreator)
    ann = telegram.user(101)

    first = await bot_process()
    await start_faceswap(ann)
    await send_both_photos(ann)
    await hold.wait_reached(timeout=STARTUP_SECONDS)
    await first.kill()

    before = kill.progress(telegram, zencreator)
    second = await bot_process()
    await either_sees(telegram, zencreator, lambda: kill.progress(telegram, zencreator) > before)
    await telegram.wait_until(
        lambda: sends(telegram, "sendDocument") >= kill.outputs, timeout=STARTUP_SECONDS
    )
    done = texts.job_done(FACESWAP.title, 0)
    await telegram.wait_until(
        lambda: any(m.text == done for m in telegram.messages(101)), timeout=STARTUP_SECONDS
    )
    await second.stop()

    photos = "sendPhoto" if kill.outputs == 1 else "sendMediaGroup"
    assert sends(telegram, photos) == kill.outputs
    assert sends(telegram, "sendDocument") == kill.outputs + kill.duplicates
    assert status_messages(telegram) == 1
    assert len(zencreator.generations) == 1
    db = await Database.open(tmp_path / "castbot.sqlite3")
    try:
        (job,) = await JobsRepository(db).recent(101)
        # The stop may fall between the status saying done and the job being marked
        # delivered; the next start marks it without sending anything again.
        assert job.state in (JobState.DELIVERED, JobState.SUCCEEDED) and job.refunded == 0
        assert await LedgerRepository(db).balance(101) == 9
    finally:
        await db.close()


# --- Two engines on one database file -----------------------------------------------------


@dataclass
class Worker:
    engine: JobEngine
    jobs: JobsRepository
    db: Database
    client: ZenCreatorClient

    async def close(self) -> None:
        await self.engine.stop()
        await self.client.aclose()
        await self.db.close()


@pytest.fixture
async def workers(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[Worker]]]:
    """Engines on one database file, each with its own connection (as two processes)."""
    opened: list[Worker] = []
    async with ExtBot(
        telegram.token,
        base_url=f"{telegram.root_url}/bot",
        base_file_url=f"{telegram.root_url}/file/bot",
        rate_limiter=TelegramRateLimiter(10_000, 10_000, 600_000),  # as loose as the bot's
    ) as bot:

        async def open_worker(name: str, **options: float) -> Worker:
            db = await Database.open(tmp_path / "castbot.sqlite3")
            budget = RateBudget(name="zencreator")
            client = ZenCreatorClient(ZENCREATOR_KEY, zencreator.base_url, budget=budget)
            jobs = JobsRepository(db)
            courier = Courier(bot)
            engine = JobEngine(
                jobs,
                client,
                courier,
                traffic=await Traffic.open(db, client, budget, courier.fetch, poll_floor=0.02),
                balance_of=LedgerRepository(db).balance,
                retry_interval=0.02,
                worker_name=name,
                **options,  # type: ignore[arg-type]
            )
            worker = Worker(engine, jobs, db, client)
            opened.append(worker)
            return worker

        yield open_worker
        for worker in opened:
            await worker.close()


async def reserve_swap(worker: Worker, telegram: BotApiEmulator, shade: int) -> str:
    """A charged face swap of fresh photos, not yet moving (as a crash would leave it)."""
    face = telegram.add_file(png(shade))
    target = telegram.add_file(png(255 - shade))
    spec = JobSpec(files=[image_input("face_asset", face), image_input("ref_asset", target)])
    job = await worker.jobs.create(
        job_id=f"job{shade:02d}",
        user_id=101,
        chat_id=101,
        tool=FACESWAP.name,
        provider=worker.engine.provider.name,
        spec=spec.model_dump(mode="json"),
        price=1,
        reservation=Reservation(FACESWAP.deadline, max_unfinished=100),
    )
    return job.id


async def test_two_engines_on_one_database_never_run_the_same_step(
    telegram: BotApiEmulator,
    zencreator: FakeZenCreator,
    workers: Callable[..., Awaitable[Worker]],
) -> None:
    telegram.user(101)
    alpha, beta = await workers("alpha"), await workers("beta")
    await UsersRepository(alpha.db).ensure(101, "Ann", None, welcome_credits=20)
    job_ids = [await reserve_swap(alpha, telegram, shade) for shade in range(10)]

    await asyncio.gather(alpha.engine.start(), beta.engine.start())
    await telegram.wait_until(lambda: sends(telegram, "sendDocument") == 10, timeout=20)
    await asyncio.gather(alpha.engine.wait_idle(), beta.engine.wait_idle())

    # Every step ran once: one status message, two uploads, one start (never replayed)
    # and one photo and file per job.
    assert status_messages(telegram) == 10
    assert len(zencreator.uploads) == 20
    assert len(zencreator.starts) == 10 and not any(s.replayed for s in zencreator.starts)
    assert (sends(telegram, "sendPhoto"), sends(telegram, "sendDocument")) == (10, 10)
    for job_id in job_ids:
        job = await alpha.jobs.get(job_id)
        assert job is not None and job.state is JobState.DELIVERED
    assert await LedgerRepository(alpha.db).balance(101) == 10


async def expire_lease(worker: Worker, job_id: str) -> None:
    """As if the lease's owner had stalled past it."""
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat(timespec="milliseconds")
    async with worker.db.transaction() as tx:
        await tx.execute("UPDATE jobs SET lease_expires_at = ? WHERE id = ?", (past, job_id))


async def test_a_worker_that_lost_its_lease_writes_nothing_and_leaves_the_job(
    telegram: BotApiEmulator,
    zencreator: FakeZenCreator,
    workers: Callable[..., Awaitable[Worker]],
) -> None:
    telegram.user(101)
    # Launched without start(), alpha has no heartbeat: its lease lapses while it waits.
    alpha, beta = await workers("alpha"), await workers("beta")
    await UsersRepository(alpha.db).ensure(101, "Ann", None, welcome_credits=10)
    job_id = await reserve_swap(alpha, telegram, 1)
    start = zencreator.hold("POST /generations")
    alpha.engine.launch(job_id)
    await start.wait_reached()

    await expire_lease(alpha, job_id)
    beta.engine.launch(job_id)  # takes the job over and runs it to the end
    await beta.engine.wait_idle()
    delivered = await beta.jobs.get(job_id)
    assert delivered is not None and delivered.state is JobState.DELIVERED

    start.release()  # alpha hears back and tries to record the submission
    await asyncio.wait_for(alpha.engine.wait_idle(), timeout=5)
    job = await alpha.jobs.get(job_id)
    assert job is not None
    assert (job.state, job.generation_id, job.refunded) == (
        JobState.DELIVERED,
        delivered.generation_id,
        0,
    )
    assert len(zencreator.generations) == 1
    assert (sends(telegram, "sendPhoto"), sends(telegram, "sendDocument")) == (1, 1)


async def test_the_heartbeat_stops_a_step_whose_lease_was_taken_over(
    telegram: BotApiEmulator,
    zencreator: FakeZenCreator,
    workers: Callable[..., Awaitable[Worker]],
) -> None:
    telegram.user(101)
    alpha = await workers("alpha", lease_seconds=0.3)
    await UsersRepository(alpha.db).ensure(101, "Ann", None, welcome_credits=10)
    job_id = await reserve_swap(alpha, telegram, 1)
    await alpha.engine.start()
    upload = zencreator.hold("POST /assets")
    await upload.wait_reached()

    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat(timespec="milliseconds")
    async with alpha.db.transaction() as tx:
        await tx.execute(
            "UPDATE jobs SET lease_owner = 'beta/elsewhere', lease_expires_at = ? WHERE id = ?",
            (later, job_id),
        )
    # The heartbeat finds the lease gone and stops the step still waiting on the upload.
    await asyncio.wait_for(alpha.engine.wait_idle(), timeout=5)
    upload.release()
    job = await alpha.jobs.get(job_id)
    assert job is not None
    assert (job.state, job.lease_owner, job.status_message_id is not None) == (
        JobState.RESERVED,
        "beta/elsewhere",
        True,
    )
    assert zencreator.starts == []


async def test_a_job_waiting_for_its_poll_keeps_its_lease(
    telegram: BotApiEmulator,
    zencreator: FakeZenCreator,
    workers: Callable[..., Awaitable[Worker]],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A face swap is known to take a second: its job waits that long for its poll, three
    leases long, while another engine looks for jobs whose lease ran out."""
    await learned(tmp_path, "faceswap", "", 1.0)
    zencreator.set_durations({"faceswap": 1.0})
    telegram.user(101)
    alpha = await workers("alpha", lease_seconds=0.3)
    beta = await workers("beta", lease_seconds=0.3)
    await UsersRepository(alpha.db).ensure(101, "Ann", None, welcome_credits=10)
    job_id = await reserve_swap(alpha, telegram, 1)
    await alpha.engine.start()
    await zencreator.wait_for_generation()
    await beta.engine.start()  # its sweep would take the job over once its lease ran out

    await telegram.wait_until(lambda: sends(telegram, "sendDocument") == 1, timeout=10)
    await alpha.engine.wait_idle()
    job = await alpha.jobs.get(job_id)
    assert job is not None and job.state is JobState.DELIVERED
    assert len(zencreator.requests_for("GET /generations/*")) == 2  # one poll, one result
    assert "took it over" not in caplog.text
