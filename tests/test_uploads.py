"""Single-flight uploads: concurrent jobs with the same file upload it once, to the fake
ZenCreator over HTTP, through the real asset cache."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.playground.emulator import make_jpeg
from bot.tools import FileInput
from bot.uploads import SingleFlightUploads
from providers.errors import InternalServerError
from providers.models import MediaKind
from providers.zencreator import ZenCreatorClient
from storage.assets import AssetCache
from storage.db import Database
from tests.fakes.zencreator import FakeZenCreator

KEY = "zc_live_testkey_uploads"
PHOTOS = {"AQADface": make_jpeg(color="red"), "AQADtarget": make_jpeg(color="blue")}


class Telegram:
    """Telegram's file downloads, held until the test lets them through."""

    def __init__(self) -> None:
        self.fetched: list[str] = []
        self.open = asyncio.Event()
        self._asked = asyncio.Event()

    async def fetch(self, file_id: str) -> bytes:
        self.fetched.append(file_id)
        self._asked.set()
        await self.open.wait()
        return PHOTOS[file_id.replace("file-", "AQAD")]

    async def wait_for_fetches(self, count: int) -> None:
        while len(self.fetched) < count:
            self._asked.clear()
            await asyncio.wait_for(self._asked.wait(), timeout=5)


def photo(unique_id: str, field: str = "face_asset") -> FileInput:
    return FileInput(
        field=field,
        file_id=unique_id.replace("AQAD", "file-"),
        file_unique_id=unique_id,
        kind=MediaKind.IMAGE,
        filename="photo.jpg",
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeZenCreator]:
    async with FakeZenCreator(api_key=KEY) as server:
        yield server


@pytest.fixture
async def cache(tmp_path: Path) -> AsyncIterator[AssetCache]:
    db = await Database.open(tmp_path / "castbot.sqlite3")
    yield AssetCache(db)
    await db.close()


@pytest.fixture
async def client(fake: FakeZenCreator) -> AsyncIterator[ZenCreatorClient]:
    async with ZenCreatorClient(KEY, fake.base_url) as zc:
        yield zc


@pytest.fixture
def telegram() -> Telegram:
    return Telegram()


@pytest.fixture
def uploads(
    client: ZenCreatorClient, cache: AssetCache, telegram: Telegram
) -> SingleFlightUploads:
    return SingleFlightUploads(client, cache, telegram.fetch)


async def test_concurrent_jobs_with_one_photo_upload_it_once(
    fake: FakeZenCreator, cache: AssetCache, telegram: Telegram, uploads: SingleFlightUploads
) -> None:
    askers = [asyncio.create_task(uploads.asset_id(photo("AQADface"))) for _ in range(10)]
    await asyncio.sleep(0)
    telegram.open.set()
    asset_ids = await asyncio.gather(*askers)
    assert len(fake.uploads) == 1 and telegram.fetched == ["file-face"]
    assert set(asset_ids) == {fake.uploads[0].asset_id}
    assert fake.uploads[0].data == PHOTOS["AQADface"]
    assert await cache.get("zencreator", "AQADface") == asset_ids[0]
    # Later jobs find it in the cache.
    assert await uploads.asset_id(photo("AQADface", "ref_asset")) == asset_ids[0]
    assert len(fake.uploads) == 1


async def test_different_photos_upload_side_by_side(
    fake: FakeZenCreator, telegram: Telegram, uploads: SingleFlightUploads
) -> None:
    telegram.open.set()
    face, target = await asyncio.gather(
        uploads.asset_id(photo("AQADface")), uploads.asset_id(photo("AQADtarget", "ref_asset"))
    )
    assert face != target and len(fake.uploads) == 2


async def test_a_failed_upload_fails_every_waiter_and_the_next_asker_tries_again(
    fake: FakeZenCreator, telegram: Telegram, uploads: SingleFlightUploads
) -> None:
    fake.fail_next("POST /assets", 500)
    askers = [asyncio.create_task(uploads.asset_id(photo("AQADface"))) for _ in range(3)]
    await asyncio.sleep(0)
    telegram.open.set()
    outcomes = await asyncio.gather(*askers, return_exceptions=True)
    assert all(isinstance(outcome, InternalServerError) for outcome in outcomes)
    assert len(fake.requests_for("POST /assets")) == 1  # an upload is not retried blindly
    asset_id = await uploads.asset_id(photo("AQADface"))
    assert [upload.asset_id for upload in fake.uploads] == [asset_id]


async def test_an_asker_that_leaves_does_not_stop_the_upload_for_the_others(
    fake: FakeZenCreator, telegram: Telegram, uploads: SingleFlightUploads
) -> None:
    first = asyncio.create_task(uploads.asset_id(photo("AQADface")))
    second = asyncio.create_task(uploads.asset_id(photo("AQADface")))
    await asyncio.sleep(0)
    first.cancel()
    telegram.open.set()
    assert await second == fake.uploads[0].asset_id
    assert first.cancelled() and len(fake.uploads) == 1


async def test_a_job_s_files_are_asked_for_together(
    fake: FakeZenCreator, telegram: Telegram, uploads: SingleFlightUploads
) -> None:
    files = [photo("AQADface"), photo("AQADtarget", "ref_asset")]
    job = asyncio.create_task(uploads.asset_ids(files))
    await telegram.wait_for_fetches(2)  # both began before either was done
    telegram.open.set()
    asset_ids = await job
    uploaded = {upload.data: upload.asset_id for upload in fake.uploads}
    assert asset_ids == {
        "face_asset": uploaded[PHOTOS["AQADface"]],
        "ref_asset": uploaded[PHOTOS["AQADtarget"]],
    }


async def test_an_input_that_is_already_an_asset_is_used_as_it_is(
    fake: FakeZenCreator, telegram: Telegram, uploads: SingleFlightUploads
) -> None:
    earlier_result = FileInput(
        field="face_asset", kind=MediaKind.IMAGE, filename="result.png", asset_id="asset_0042"
    )
    assert await uploads.asset_id(earlier_result) == "asset_0042"
    assert fake.uploads == [] and telegram.fetched == []


async def test_closing_stops_uploads_under_way(
    fake: FakeZenCreator, telegram: Telegram, uploads: SingleFlightUploads
) -> None:
    asker = asyncio.create_task(uploads.asset_id(photo("AQADface")))
    await asyncio.sleep(0)
    await uploads.aclose()
    with pytest.raises(asyncio.CancelledError):
        await asker
    assert fake.uploads == []
