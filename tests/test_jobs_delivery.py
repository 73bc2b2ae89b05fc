"""Delivering results: every output kind, albums, what Telegram refuses, 429s, big files,
users who blocked the bot, and the result card."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from PIL import Image
from pydantic import BaseModel, ConfigDict
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import texts
from bot.courier import Courier
from bot.jobs import JobEngine, ResultCard
from bot.playground.emulator import BotApiEmulator, SentMessage, TelegramApiError
from bot.scheduler.traffic import Traffic
from bot.tools import FACESWAP, TOOLS, FileInput, JobSpec, OutputKind, Tool
from providers.models import MediaKind
from providers.ratelimit import RateBudget
from storage.jobs import Job, JobsRepository, JobState
from tests.conftest import RunningBot
from tests.fakes.zencreator import FakeZenCreator
from tests.test_jobs import order_faceswap

MB = 1024 * 1024


class AnyInput(BaseModel):
    model_config = ConfigDict(extra="allow")


def catalog_entry(name: str, output: OutputKind) -> Tool:
    """A tool as the catalog describes one (the studios add these names for real)."""
    return Tool(
        name=name,
        title=name.replace("_", " ").capitalize(),
        output=output,
        input_model=AnyInput,
        deadline=timedelta(minutes=15),
    )


PICTURES = catalog_entry("by_prompt", OutputKind.PHOTO)
CLIPS = catalog_entry("videogen", OutputKind.VIDEO)
UPSCALES = catalog_entry("upscaler", OutputKind.DOCUMENT)


SPECS: dict[str, JobSpec] = {}
"""A valid input of each tool above, naming assets of this test's fake ZenCreator."""


@pytest.fixture(autouse=True)
def catalog(
    monkeypatch: pytest.MonkeyPatch, telegram: BotApiEmulator, zencreator: FakeZenCreator
) -> None:
    """The tools above in the catalog, valid inputs for them, and Ann in a chat with the bot."""
    for tool in (PICTURES, CLIPS, UPSCALES):
        monkeypatch.setitem(TOOLS, tool.name, tool)
    monkeypatch.setitem(
        SPECS, PICTURES.name, JobSpec(files=[], options={"positive_prompt": "a lighthouse"})
    )
    for tool, field in ((CLIPS, "ref_asset"), (UPSCALES, "image_asset")):
        photo = FileInput(
            field=field,
            kind=MediaKind.IMAGE,
            filename="photo.png",
            asset_id=zencreator.add_asset(),
        )
        monkeypatch.setitem(SPECS, tool.name, JobSpec(files=[photo]))
    telegram.user(101)


def png(width: int = 8, height: int = 8, shade: int = 0) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (shade, 90, 160)).save(buffer, format="PNG")
    return buffer.getvalue()


def mp4(number: int) -> bytes:
    return b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + f"clip {number}".encode()


async def order(bot: RunningBot, tool: Tool, engine: JobEngine | None = None) -> str:
    await bot.services.users.ensure(101, "Ann", None, welcome_credits=10)
    job = await (engine or bot.services.engine).order(
        user_id=101, chat_id=101, tool=tool, spec=SPECS[tool.name], price=1
    )
    return job.id


async def order_swap(bot: RunningBot, telegram: BotApiEmulator) -> str:
    await bot.services.users.ensure(101, "Ann", None, welcome_credits=10)
    return await order_faceswap(bot, telegram, 101)


async def settled(bot: RunningBot, job_id: str, engine: JobEngine | None = None) -> Job:
    """The job once its engine has nothing left to do."""
    await asyncio.wait_for((engine or bot.services.engine).wait_idle(), timeout=15)
    job = await bot.services.jobs.get(job_id)
    assert job is not None
    return job


def results(telegram: BotApiEmulator) -> list[SentMessage]:
    """The result messages sent to Ann (not the status message nor texts)."""
    return [m for m in telegram.messages(101) if m.method != "sendMessage"]


def content(telegram: BotApiEmulator, message: SentMessage) -> bytes:
    return telegram.file_content(message.file_id or "")


@pytest.mark.parametrize(
    ("count", "albums", "sends"),
    [
        (1, 0, ["sendPhoto"]),
        (2, 1, ["sendMediaGroup"] * 2),
        (10, 1, ["sendMediaGroup"] * 10),
        (11, 1, ["sendMediaGroup"] * 10 + ["sendPhoto"]),
        (23, 3, ["sendMediaGroup"] * 23),
    ],
)
async def test_photos_come_as_albums_of_at_most_ten(
    telegram: BotApiEmulator,
    zencreator: FakeZenCreator,
    bot: RunningBot,
    count: int,
    albums: int,
    sends: list[str],
) -> None:
    outputs = [png(shade=index) for index in range(count)]
    zencreator.plan("by_prompt", outputs=outputs)
    job_id = await order(bot, PICTURES)
    job = await settled(bot, job_id)
    assert job.state is JobState.DELIVERED and job.refunded == 0
    sent = results(telegram)
    assert [m.method for m in sent] == sends
    assert [content(telegram, m) for m in sent] == outputs
    assert [method for method, _ in telegram.requests].count("sendMediaGroup") == albums


async def test_a_photo_telegram_cannot_show_goes_as_a_document(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    fine = png(shade=1)
    too_wide = png(width=10_001, height=1)  # width + height over 10000
    too_narrow = png(width=2_100, height=100)  # sides over 20 to 1
    too_heavy = png(shade=2) + bytes(11 * MB)  # over sendPhoto's 10 MB
    zencreator.plan("by_prompt", outputs=[fine, too_wide, too_narrow, too_heavy])
    job = await settled(bot, await order(bot, PICTURES))
    assert job.state is JobState.DELIVERED
    sent = results(telegram)
    assert [m.method for m in sent] == ["sendPhoto"] + ["sendDocument"] * 3
    assert [content(telegram, m) for m in sent] == [fine, too_wide, too_narrow, too_heavy]
    assert sent[1].raw["document"]["file_name"].endswith(".png")
    assert not [r for r in telegram.refusals if r[0] == "sendPhoto"]


async def test_a_photo_telegram_refuses_goes_as_a_document(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    # Refused with its card and again without it: the photo itself is what Telegram refuses.
    telegram.fail_next(
        "sendPhoto", TelegramApiError(400, "Bad Request: IMAGE_PROCESS_FAILED"), times=2
    )
    job = await settled(bot, await order_swap(bot, telegram))
    assert (job.state, job.refunded) == (JobState.DELIVERED, 0)
    sent = results(telegram)
    # Refused as a photo, the result goes once, as a file; no second copy of it follows.
    assert [m.method for m in sent] == ["sendDocument"]
    assert await bot.services.ledger.balance(101) == 9


async def test_document_outputs_go_as_files_and_face_swaps_also_as_one(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    zencreator.plan("upscaler", outputs=[png(shade=1), png(shade=2)])
    job = await settled(bot, await order(bot, UPSCALES))
    assert job.state is JobState.DELIVERED
    assert [m.method for m in results(telegram)] == ["sendDocument"] * 2

    assert FACESWAP.photo_also_as_file
    face_swap = await settled(bot, await order_swap(bot, telegram))
    sent = results(telegram)[2:]
    assert [m.method for m in sent] == ["sendPhoto", "sendDocument"]
    assert content(telegram, sent[0]) == content(telegram, sent[1])
    assert set(face_swap.deliveries) == {"0", "0:file", "card"}


async def test_a_video_shows_it_is_uploading(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    zencreator.plan("videogen", outputs=[mp4(1)])
    job = await settled(bot, await order(bot, CLIPS))
    assert job.state is JobState.DELIVERED
    (video,) = results(telegram)
    assert video.method == "sendVideo" and content(telegram, video) == mp4(1)
    calls = [(method, params.get("action")) for method, params in telegram.requests]
    action = calls.index(("sendChatAction", "upload_video"))
    assert action < calls.index(("sendVideo", None))


async def test_a_result_over_the_upload_limit_becomes_its_link(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    zencreator.plan("videogen", outputs=[bytes(50 * MB + 1)])
    job = await settled(bot, await order(bot, CLIPS))
    assert (job.state, job.refunded) == (JobState.DELIVERED, 0)
    generation = next(iter(zencreator.generations.values()))
    link = generation.outputs[0].url
    notice = await telegram.user(101).wait_for_text(link)
    assert notice.text == texts.result_link(CLIPS.title, link)
    assert results(telegram) == []
    assert await bot.services.ledger.balance(101) == 9


async def test_a_429_mid_delivery_is_waited_out_and_nothing_is_sent_twice(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    zencreator.plan("videogen", outputs=[mp4(1), mp4(2), mp4(3)])
    first = telegram.hold("sendVideo", handled=True)
    job_id = await order(bot, CLIPS)
    await first.wait_reached()
    telegram.rate_limit(1, retry_after=1)  # the next send: the second video
    first.release()
    loop = asyncio.get_running_loop()
    await telegram.wait_until(lambda: any(r[1] == 429 for r in telegram.refusals))
    refused_at = loop.time()
    await telegram.wait_until(lambda: len(results(telegram)) == 2)
    assert loop.time() - refused_at >= 0.9  # the retry_after Telegram asked for

    job = await settled(bot, job_id)
    assert (job.state, job.refunded) == (JobState.DELIVERED, 0)
    assert [content(telegram, m) for m in results(telegram)] == [mp4(1), mp4(2), mp4(3)]


async def test_a_refusal_mid_delivery_sends_that_output_as_a_file_and_the_rest_once(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    zencreator.plan("videogen", outputs=[mp4(1), mp4(2), mp4(3)])
    first = telegram.hold("sendVideo", handled=True)
    job_id = await order(bot, CLIPS)
    await first.wait_reached()
    telegram.fail_next(
        "sendVideo", TelegramApiError(400, "Bad Request: VIDEO_CONTENT_TYPE_INVALID")
    )
    first.release()
    job = await settled(bot, job_id)
    assert (job.state, job.refunded) == (JobState.DELIVERED, 0)
    sent = results(telegram)
    assert [m.method for m in sent] == ["sendVideo", "sendDocument", "sendVideo"]
    assert [content(telegram, m) for m in sent] == [mp4(1), mp4(2), mp4(3)]


async def test_a_result_refused_in_every_form_fails_and_is_refunded_once(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    zencreator.plan("videogen", outputs=[mp4(1)])
    upload = telegram.hold("sendVideo")
    job_id = await order(bot, CLIPS)
    await upload.wait_reached()
    # The video is tried with its result card, then without; then as a file, then its link.
    for method, times in (("sendVideo", 2), ("sendDocument", 1), ("sendMessage", 1)):
        telegram.fail_next(method, TelegramApiError(400, "Bad Request: wrong file"), times=times)
    upload.release()
    job = await settled(bot, job_id)
    assert (job.state, job.refunded) == (JobState.DELIVERED, 1)
    failure = await telegram.user(101).wait_for_text("Sorry, your videogen failed")
    assert texts.RESULT_UNDELIVERABLE in (failure.text or "")
    # One try in each form, then the refund: nothing is sent again and again.
    tries = [method for method, _ in telegram.requests if method in ("sendVideo", "sendDocument")]
    assert tries == ["sendVideo", "sendVideo", "sendDocument"]
    assert await bot.services.ledger.balance(101) == 10
    assert await bot.services.ledger.total(101) == 10


async def test_a_user_who_blocked_the_bot_is_marked_and_not_refunded(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    download = zencreator.hold("GET /downloads/*")
    job_id = await order_swap(bot, telegram)
    await download.wait_reached()
    telegram.block_bot(101)
    download.release()
    job = await settled(bot, job_id)
    assert (job.state, job.refunded) == (JobState.DELIVERED, 0)
    sends = [method for method, _ in telegram.requests if method.startswith("send")]
    assert sends.count("sendPhoto") == 1 and "sendDocument" not in sends
    user = await bot.services.users.get(101)
    assert user is not None and user.unreachable_since is not None
    assert await bot.services.ledger.balance(101) == 9


class Presenter:
    """Counts its calls; the card's buttons chain the result into another tool."""

    def __init__(self, caption: str = "Your swap is ready") -> None:
        self.caption = caption
        self.callback_data: str | None = None
        """None: `again:<job>`."""
        self.presented: list[str] = []

    async def present(self, job: Job) -> ResultCard:
        self.presented.append(job.id)
        data = self.callback_data or f"again:{job.id[:8]}"
        button = InlineKeyboardButton("Again", callback_data=data)
        return ResultCard(self.caption, InlineKeyboardMarkup([[button]]))


@pytest.fixture
async def cards(bot: RunningBot) -> AsyncIterator[tuple[JobEngine, Presenter]]:
    """A second engine on the bot's database whose results carry a presenter's card."""
    presenter = Presenter()
    db = bot.services.db
    provider = bot.services.engine.provider
    courier = Courier(bot.application.bot)
    engine = JobEngine(
        JobsRepository(db),
        provider,
        courier,
        traffic=await Traffic.open(db, provider, RateBudget(), courier.fetch, poll_floor=0.02),
        balance_of=bot.services.ledger.balance,
        retry_interval=0.02,
        worker_name="cards",
        presenter=presenter,
    )
    yield engine, presenter
    await engine.stop()


async def test_a_single_result_carries_its_card(
    telegram: BotApiEmulator,
    zencreator: FakeZenCreator,
    bot: RunningBot,
    cards: tuple[JobEngine, Presenter],
) -> None:
    engine, presenter = cards
    zencreator.plan("by_prompt", outputs=[png()])
    job_id = await order(bot, PICTURES, engine)
    job = await settled(bot, job_id, engine)
    assert job.state is JobState.DELIVERED
    (photo,) = results(telegram)
    assert photo.caption == presenter.caption
    assert photo.buttons() == [("Again", f"again:{job_id[:8]}")]
    assert presenter.presented == [job_id]
    assert job.deliveries["card"] == job.deliveries["0"]


async def test_an_album_is_followed_by_its_card(
    telegram: BotApiEmulator,
    zencreator: FakeZenCreator,
    bot: RunningBot,
    cards: tuple[JobEngine, Presenter],
) -> None:
    engine, presenter = cards
    zencreator.plan("by_prompt", outputs=[png(shade=1), png(shade=2), png(shade=3)])
    job_id = await order(bot, PICTURES, engine)
    await settled(bot, job_id, engine)
    ann = telegram.user(101)
    card = await ann.wait_for_text(presenter.caption)
    assert card.buttons() == [("Again", f"again:{job_id[:8]}")]
    assert [m.method for m in telegram.messages(101)].count("sendMediaGroup") == 3
    assert all(m.caption is None for m in results(telegram))
    assert presenter.presented == [job_id]


async def test_a_caption_too_long_for_media_comes_as_its_own_message(
    telegram: BotApiEmulator,
    zencreator: FakeZenCreator,
    bot: RunningBot,
    cards: tuple[JobEngine, Presenter],
) -> None:
    engine, presenter = cards
    presenter.caption = "x" * 1025
    zencreator.plan("videogen", outputs=[mp4(1)])
    job_id = await order(bot, CLIPS, engine)
    job = await settled(bot, job_id, engine)
    (video,) = results(telegram)
    assert video.caption is None
    card = await telegram.user(101).wait_for_text(presenter.caption)
    assert job.deliveries["card"] == [card.message_id]


async def test_a_card_telegram_refuses_costs_the_result_nothing(
    telegram: BotApiEmulator,
    zencreator: FakeZenCreator,
    bot: RunningBot,
    cards: tuple[JobEngine, Presenter],
) -> None:
    engine, presenter = cards
    presenter.callback_data = "x" * 65  # over Telegram's 64 bytes
    zencreator.plan("by_prompt", outputs=[png()])
    job = await settled(bot, await order(bot, PICTURES, engine), engine)
    assert (job.state, job.refunded) == (JobState.DELIVERED, 0)
    (photo,) = results(telegram)
    assert photo.method == "sendPhoto" and photo.caption is None
    assert job.deliveries == {"0": [photo.message_id], "card": []}
