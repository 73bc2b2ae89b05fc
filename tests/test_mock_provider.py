"""MockProvider: the offline demo provider behaves like ZenCreator without a network."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from providers.errors import NotFoundError
from providers.mock import MOCK_BALANCE, MockProvider
from providers.models import GenerationStatus, MediaKind, Output
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


# --- Every tool of the catalog


async def finished(
    provider: MockProvider, clock: FakeClock, tool: str, input: dict[str, Any]
) -> list[Output]:
    """Start a generation, let it finish, and return its outputs."""
    generation = await provider.start(tool, input, f"key-{tool}-{len(input)}-{clock.now}")
    clock.now += 3
    result = await provider.result(generation.id)
    assert result.status is GenerationStatus.SUCCEEDED
    return result.outputs


IMAGE_TOOLS = [  # tool, input (asset fields filled in by the test), outputs expected
    ("upscaler", {"image_asset": "I", "version": "ultra_clarity", "megapixels": 16}, 1),
    ("faceswap", {"ref_asset": "I", "face_asset": "I"}, 1),
    ("by_prompt", {"positive_prompt": "a fox", "model": "GENERAL_SFW"}, 1),
    ("by_prompt", {"positive_prompt": "a fox", "batch_size": 3}, 3),
    ("by_ref", {"ref_asset": "I", "face_asset": "I"}, 4),
    ("by_ref", {"ref_asset": "I", "batch_size": 2}, 2),
    ("photoshoot", {"face_ref": "I", "body_ref": "I", "category_id": "c", "image_count": 3}, 3),
    ("photoshoot", {"face_ref": "I", "body_ref": "I", "image_count": 2, "number_of_images": 2}, 4),
    ("facegen", {"gender": "Female", "age": "26-35", "origin": "European"}, 4),
    ("carousel", {"asset_ref": "I"}, 4),
    ("carousel", {"asset_ref": "I", "number_of_images": 10}, 10),
    ("image_editor", {"image_assets": ["I", "I"], "prompt": "hats"}, 1),
    ("image_editor", {"image_assets": ["I"], "prompt": "hats", "number_of_images": 2}, 2),
    ("image_editor", {"image_assets": ["I", "I", "I"], "prompt": "x", "batch_mode": True}, 3),
    ("collaber", {"asset_image_1": "I", "asset_image_2": "I", "number_of_images": 2}, 2),
    ("undress", {"image_asset": "I"}, 1),
]
VIDEO_TOOLS = [
    ("lipsync", {"image_asset": "I", "audio_asset": "A"}),
    ("videogen", {"ref_asset": "I", "model": "seedance_pro_fast", "duration": 5}),
    ("video2video", {"image_asset": "I", "instagram_url": "https://www.instagram.com/reel/x/"}),
    ("video_upscaler", {"video_asset": "V", "scale_factor": "2"}),
    ("video_merger", {"clips": [{"asset_id": "V"}, {"asset_id": "V"}]}),
]


async def with_assets(provider: MockProvider, input: dict[str, Any]) -> dict[str, Any]:
    async def resolve(value: object) -> object:
        if isinstance(value, list):
            return [await resolve(item) for item in value]
        if isinstance(value, dict):
            return {key: await resolve(item) for key, item in value.items()}
        if value == "I":
            return await provider.upload(jpeg("red", (64, 64)), MediaKind.IMAGE, "photo.jpg")
        if value == "A":
            return await provider.upload(b"ID3 audio", MediaKind.AUDIO, "voice.mp3")
        if value == "V":
            return await provider.upload(placeholder_mp4(), MediaKind.VIDEO, "clip.mp4")
        return value

    resolved = await resolve(input)
    assert isinstance(resolved, dict)
    return resolved


@pytest.mark.parametrize(("tool", "input", "count"), IMAGE_TOOLS)
async def test_image_tools_make_as_many_cards_as_asked(
    tool: str, input: dict[str, Any], count: int
) -> None:
    clock = FakeClock()
    provider = MockProvider(clock=clock)
    outputs = await finished(provider, clock, tool, await with_assets(provider, input))
    assert len(outputs) == count
    assert len({output.asset_id for output in outputs}) == count
    cards = [await download_bytes(provider, output.fetch_url or "") for output in outputs]
    for card in cards:
        with Image.open(io.BytesIO(card)) as image:
            assert image.format == "PNG" and image.size == (768, 512)
    assert len(set(cards)) == count  # each card says which of the outputs it is


@pytest.mark.parametrize(("tool", "input"), VIDEO_TOOLS)
async def test_video_tools_give_the_shipped_mp4(tool: str, input: dict[str, Any]) -> None:
    clock = FakeClock()
    provider = MockProvider(clock=clock)
    (output,) = await finished(provider, clock, tool, await with_assets(provider, input))
    assert output.asset_id is not None and (output.fetch_url or "").endswith(".mp4")
    assert await download_bytes(provider, output.fetch_url or "") == placeholder_mp4()


async def test_cards_name_the_tool_and_the_options() -> None:
    clock = FakeClock()
    provider = MockProvider(clock=clock)

    async def card(tool: str, input: dict[str, Any]) -> bytes:
        (output,) = await finished(provider, clock, tool, input)
        return await download_bytes(provider, output.fetch_url or "")

    fast = await card("by_prompt", {"positive_prompt": "a fox", "mode": "fast"})
    quality = await card("by_prompt", {"positive_prompt": "a fox", "mode": "quality"})
    nano = await card("by_prompt", {"positive_prompt": "a fox", "model": "NANO_BANANA"})
    undress = await card("undress", {"mode": "fast"})
    upscale = await card("upscaler", {"mode": "fast"})
    assert len({fast, quality, nano, undress, upscale}) == 5
    assert await card("by_prompt", {"positive_prompt": "a fox", "mode": "fast"}) == fast


async def test_an_output_is_an_asset_the_next_tool_takes() -> None:
    clock = FakeClock()
    provider = MockProvider(clock=clock)
    subject = await provider.upload(jpeg("red", (400, 400)), MediaKind.IMAGE, "red.jpg")
    angles = await finished(provider, clock, "carousel", {"asset_ref": subject})
    first = angles[0].asset_id
    assert first is not None and first != subject

    upscaled = await finished(provider, clock, "upscaler", {"image_asset": first})
    card = await download_bytes(provider, upscaled[0].fetch_url or "")
    with Image.open(io.BytesIO(card)) as image:
        # The source panel shows the carousel card, whose own panel shows the red photo.
        pixel = image.convert("RGB").getpixel((image.width // 2, image.height // 2 - 20))
    assert isinstance(pixel, tuple) and pixel[0] > 200 and pixel[1] < 60

    clip = await finished(provider, clock, "videogen", {"ref_asset": first})
    clip_asset = clip[0].asset_id
    merged = await finished(
        provider, clock, "video_merger", {"clips": [{"asset_id": clip_asset}] * 2}
    )
    assert await download_bytes(provider, merged[0].fetch_url or "") == placeholder_mp4()
    # A video output is no image: as an image input it just has no preview.
    odd = await finished(provider, clock, "upscaler", {"image_asset": clip_asset})
    with Image.open(io.BytesIO(await download_bytes(provider, odd[0].fetch_url or ""))) as image:
        assert image.format == "PNG"


async def test_a_restarted_provider_knows_how_many_outputs_a_generation_had() -> None:
    clock = FakeClock()
    before = MockProvider(clock=clock)
    angles = await before.start("carousel", {"asset_ref": "x", "number_of_images": 3}, "a")
    faces = await before.start("facegen", {"gender": "Male"}, "f")
    clip = await before.start("videogen", {"ref_asset": "x"}, "v")

    after_clock = FakeClock()
    after = MockProvider(clock=after_clock)
    for generation_id, count in ((angles.id, 3), (faces.id, 4), (clip.id, 1)):
        outputs = (await after.result(generation_id)).outputs
        assert len(outputs) == count
        cards = {await download_bytes(after, output.fetch_url or "") for output in outputs}
        assert len(cards) == count
    # Its outputs still work as inputs of the new instance.
    chained = (await after.result(angles.id)).outputs[1].asset_id
    assert chained is not None
    (edited,) = await finished(after, after_clock, "image_editor", {"image_assets": [chained]})
    with Image.open(io.BytesIO(await download_bytes(after, edited.fetch_url or ""))) as image:
        assert image.format == "PNG"


async def test_ids_made_before_outputs_were_counted_still_work() -> None:
    provider = MockProvider()
    legacy = "mock-0123456789abcdef-faceswap"
    (output,) = (await provider.result(legacy)).outputs
    assert output.fetch_url == "mock://generations/mock-0123456789abcdef-faceswap/output-0.png"
    old_url = "mock://generations/mock-0123456789abcdef-lipsync/output.mp4"
    assert await download_bytes(provider, old_url) == placeholder_mp4()
    with Image.open(io.BytesIO(await download_bytes(provider, output.fetch_url))) as image:
        assert image.format == "PNG"


async def test_the_built_in_catalog_offers_no_undressing() -> None:
    provider = MockProvider()
    loras, templates = await provider.loras(), await provider.templates()
    categories = await provider.photoshoot_categories()
    assert loras and templates and categories
    for entry in (*loras, *templates, *categories):
        text = f"{entry.name} {entry.description}".lower()
        assert entry.id and entry.name and "undress" not in text and "nud" not in text
    wan = await provider.loras("wan@2.2")
    assert wan and {lora.model for lora in wan} == {"wan@2.2"}
    assert await provider.loras("kling@2.6") == []
    assert all(t.tool and t.input for t in templates)


async def test_the_built_in_schemas_list_named_styles_for_the_styled_tools() -> None:
    provider = MockProvider()
    for tool in ("by_prompt", "by_ref"):
        names = (await provider.tool(tool)).listed_names("loras")
        assert names and all(name.isidentifier() for name in names)
    assert (await provider.tool("faceswap")).listed_names("loras") == []


async def test_nothing_is_charged_offline() -> None:
    provider = MockProvider()
    generation = await provider.start("undress", {"image_asset": "x"}, "u")
    assert await provider.transactions() == []
    assert await provider.generation_charge(generation.id) is None
