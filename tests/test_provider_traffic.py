"""Fifty concurrent jobs' whole traffic through one key: uploads (single-flight), starts (the
fair queue), polls (the scheduler), results and downloads, against the fake ZenCreator with
a window scaled down to 0.3 s. The server never refuses a request: the budget never sends
one the server's window could refuse, however slow the machine is."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.playground.emulator import make_jpeg
from bot.scheduler.expectations import Expectations
from bot.scheduler.polls import PolledJob, PollScheduler
from bot.scheduler.starts import StartQueue
from bot.tools import FileInput
from bot.uploads import SingleFlightUploads
from providers.models import MediaKind
from providers.ratelimit import RateBudget
from providers.zencreator import ZenCreatorClient
from storage.assets import AssetCache
from storage.db import Database
from storage.durations import DurationsRepository
from tests.downloads import download_bytes
from tests.fakes.zencreator import FakeZenCreator

KEY = "zc_live_testkey_traffic"
LIMITS = {"read": 20, "generate": 10, "upload": 10}
WINDOW = 0.3
JOBS = 50
PHOTO = make_jpeg(64, 64)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "castbot.sqlite3")
    yield database
    await database.close()


async def test_fifty_concurrent_jobs_get_no_429(db: Database) -> None:
    async with FakeZenCreator(api_key=KEY, rate_limits=LIMITS, rate_window=WINDOW) as fake:
        fake.set_durations({"faceswap": 0.2})
        budget = RateBudget(LIMITS, WINDOW)
        async with ZenCreatorClient(KEY, fake.base_url, budget=budget) as zc:

            async def from_telegram(file_id: str) -> bytes:
                return PHOTO

            uploads = SingleFlightUploads(zc, AssetCache(db), from_telegram)
            starts = StartQueue(budget)
            expectations = Expectations(zc.name, DurationsRepository(db))
            polls = PollScheduler(expectations, floor=0.05)

            async def job(n: int) -> bytes:
                job_id = f"job-{n}"
                files = [
                    FileInput(
                        field="face_asset",
                        file_id=f"face-{n}",
                        file_unique_id=f"AQADface{n}",
                        kind=MediaKind.IMAGE,
                        filename="face.jpg",
                    ),
                    FileInput(  # everyone swaps into the same picture
                        field="ref_asset",
                        file_id="target",
                        file_unique_id="AQADtarget",
                        kind=MediaKind.IMAGE,
                        filename="target.jpg",
                    ),
                ]
                assets = await uploads.asset_ids(files)
                async with starts.turn(job_id, user_id=n % 7):
                    generation = await zc.start("faceswap", assets, job_id)
                submitted = time.time()
                polled = PolledJob(job_id, "faceswap", "", submitted, submitted + 600)
                while True:
                    outcome = await polls.poll(polled, lambda: zc.status(generation.id))
                    if outcome.status.status.is_terminal:
                        await polls.finished(job_id)
                        break
                result = await zc.result(generation.id)
                url = result.outputs[0].download_url
                assert url is not None
                return await download_bytes(zc, url)

            outputs = await asyncio.gather(*(job(n) for n in range(JOBS)))
            await polls.aclose()

    assert len(outputs) == JOBS and all(outputs)
    assert [r for r in fake.requests if r.status == 429] == []
    assert all(refused == 0 for refused in budget.refused.values())
    assert len(fake.uploads) == JOBS + 1  # the shared picture went up once
    assert len(fake.generations) == JOBS
    assert expectations.of("faceswap").learned
