"""MockProvider: the offline demo provider behaves like ZenCreator without a network."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from providers.errors import NotFoundError
from providers.mock import MOCK_BALANCE, MockProvider
from providers.models import GenerationStatus, MediaKind
from tests.downloads import download_bytes


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def jpeg(color: str, size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    return buffer.getvalue()


async def start_faceswap(provider: MockProvider, key: str = "job-1") -> str:
    face = await provider.upload(jpeg("red", (400, 600)), MediaKind.IMAGE, "face.jpg")
    target = await provider.upload(jpeg("blue", (1200, 800)), MediaKind.IMAGE, "target.jpg")
    generation = await provider.start(
        "faceswap", {"ref_asset": target, "face_asset": face, "model": "SDXL"}, key
    )
    return generation.id


async def download_output(provider: MockProvider, generation_id: str) -> bytes:
    result = await provider.result(generation_id)
    assert result.status is GenerationStatus.SUCCEEDED
    assert len(result.outputs) == 1
    url = result.outputs[0].fetch_url
    assert url is not None and url.startswith("mock://")
    return await download_bytes(provider, url)


def placeholder_mp4() -> bytes:
    """The shipped file, read independently of the provider's own cached copy."""
    return (Path(__file__).parent.parent / "providers" / "assets" / "placeholder.mp4").read_bytes()


async def test_faceswap_goes_queued_processing_succeeded_as_time_passes() -> None:
    clock = FakeClock()
    provider = MockProvider(processing_seconds=3.0, clock=clock)
    face = await provider.upload(jpeg("red", (64, 64)), MediaKind.IMAGE, "face.jpg")
    target = await provider.upload(jpeg("blue", (64, 64)), MediaKind.IMAGE, "target.jpg")
    assert face != target

    started = await provider.start("faceswap", {"ref_asset": target, "face_asset": face}, "k")
    assert started.status is GenerationStatus.QUEUED
    assert (await provider.status(started.id)).status is GenerationStatus.QUEUED
    early = await provider.result(started.id)
    assert (early.status, early.outputs) == (GenerationStatus.QUEUED, [])

    clock.now += 1.5
    assert (await provider.status(started.id)).status is GenerationStatus.PROCESSING

    clock.now += 1.5
    finished = await provider.status(started.id)
    assert finished.status is GenerationStatus.SUCCEEDED
    assert finished.status.is_terminal
    assert (await provider.result(started.id)).outputs[0].fetch_url is not None


async def test_same_idempotency_key_returns_the_same_generation() -> None:
    clock = FakeClock()
    provider = MockProvider(clock=clock)
    first = await start_faceswap(provider, key="job-1")
    clock.now += 10
    replay = await provider.start("faceswap", {"ref_asset": "x", "face_asset": "y"}, "job-1")
    other = await provider.start("faceswap", {"ref_asset": "x", "face_asset": "y"}, "job-2")
    assert replay.id == first
    assert replay.status is GenerationStatus.SUCCEEDED
    assert other.id != first
    assert other.status is GenerationStatus.QUEUED


async def test_faceswap_output_is_a_deterministic_png_showing_both_inputs() -> None:
    clock = FakeClock()
    provider = MockProvider(clock=clock)
    first = await start_faceswap(provider, key="job-1")
    second = await start_faceswap(provider, key="job-2")
    clock.now += 3
    data = await download_output(provider, first)

    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        assert 256 <= image.width <= 2048 and 256 <= image.height <= 2048
        rgb = image.convert("RGB")
        # Face on the left, target on the right, as thumbnails of the uploads.
        left = rgb.getpixel((image.width // 4, image.height // 3))
        right = rgb.getpixel((image.width * 3 // 4, image.height // 3))
    assert isinstance(left, tuple) and isinstance(right, tuple)
    assert left[0] > 200 and left[2] < 60
    assert right[2] > 200 and right[0] < 60

    # Same inputs, same bytes: across generations and across provider instances.
    assert await download_output(provider, first) == data
    assert await download_output(provider, second) == data
    other_clock = FakeClock()
    other = MockProvider(clock=other_clock)
    third = await start_faceswap(other)
    other_clock.now += 3
    assert await download_output(other, third) == data


async def test_undecodable_upload_and_unknown_tool_still_give_a_png() -> None:
    clock = FakeClock()
    provider = MockProvider(processing_seconds=0.5, clock=clock)
    junk = await provider.upload(b"not an image", MediaKind.IMAGE, "face.jpg")
    swap = await provider.start("faceswap", {"ref_asset": junk, "face_asset": junk}, "a")
    novel = await provider.start("brand_new_tool", {"asset_ref": junk, "prompt": "hi"}, "b")
    clock.now += 1
    for generation_id in (swap.id, novel.id):
        data = await download_output(provider, generation_id)
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "PNG"


async def test_lipsync_output_is_the_shipped_mp4() -> None:
    clock = FakeClock()
    provider = MockProvider(clock=clock)
    image = await provider.upload(jpeg("red", (64, 64)), MediaKind.IMAGE, "face.jpg")
    audio = await provider.upload(b"ID3 fake audio", MediaKind.AUDIO, "voice.mp3")
    generation = await provider.start(
        "lipsync", {"image_asset": image, "audio_asset": audio}, "lip-1"
    )
    clock.now += 3
    result = await provider.result(generation.id)
    url = result.outputs[0].fetch_url
    assert url is not None and url.endswith(".mp4")

    data = await download_bytes(provider, url)
    assert data[4:8] == b"ftyp"
    assert data == placeholder_mp4()
    assert 1_000 < len(data) < 60_000


async def test_a_restarted_provider_finishes_generations_of_the_previous_one() -> None:
    clock = FakeClock()
    before = MockProvider(clock=clock)
    swap = await start_faceswap(before)
    lipsync = await before.start("lipsync", {"image_asset": "a", "audio_asset": "b"}, "lip")

    after = MockProvider(clock=FakeClock())  # the bot restarted: no memory, new clock
    for generation_id in (swap, lipsync.id):
        assert (await after.status(generation_id)).status is GenerationStatus.SUCCEEDED

    image = await download_output(after, swap)
    with Image.open(io.BytesIO(image)) as picture:
        assert picture.format == "PNG"
    assert await download_output(after, swap) == image
    assert (await download_output(after, lipsync.id))[4:8] == b"ftyp"


async def test_foreign_ids_and_urls_are_rejected() -> None:
    provider = MockProvider()
    with pytest.raises(NotFoundError):
        await provider.status("gen_123")
    with pytest.raises(NotFoundError):
        await download_bytes(provider, "https://cdn.example.com/output.png")


async def test_balance_is_large_and_aclose_is_harmless() -> None:
    provider = MockProvider()
    assert await provider.balance() == MOCK_BALANCE >= 100_000
    assert provider.name == "mock"
    await provider.aclose()
