"""The fake ZenCreator against the reference: every tool accepts a valid input and charges
exactly the reference's price (one case per price-table row, at least), refuses invalid
inputs naming the field, refuses what the reference forbids, makes as many outputs as
asked (each an asset a later generation takes), and serves the catalog and credit history.

Expected prices are written out here from the reference's tables, not read from the fake's
own tables, so a slip in either shows.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from providers.errors import InputValidationError
from providers.zencreator import ZenCreatorClient
from tests.fakes import zencreator_tools
from tests.fakes.media import video_file
from tests.fakes.zencreator import (
    DEFAULT_BALANCE,
    DEFAULT_MP4,
    FakeZenCreator,
    GenerationRecord,
    default_png,
)
from tests.fakes.zencreator_catalog import UNDRESS_LORA_ID, UNDRESS_TEMPLATE_ID

KEY = "zc_live_testkey_s3cr3t"
API = "/api/public/v1"
_keys = itertools.count(1)


async def no_sleep(delay: float) -> None:
    """Retries are not what these tests are about."""


@pytest.fixture
async def fake() -> AsyncIterator[FakeZenCreator]:
    async with FakeZenCreator(api_key=KEY, rate_limits=None, polls_until_done=0) as server:
        yield server


@pytest.fixture
async def client(fake: FakeZenCreator) -> AsyncIterator[ZenCreatorClient]:
    async with ZenCreatorClient(KEY, fake.base_url, max_retries=0, sleep=no_sleep) as zc:
        yield zc


async def start(
    fake: FakeZenCreator, client: ZenCreatorClient, tool: str, tool_input: dict[str, Any]
) -> GenerationRecord:
    generation = await client.start(tool, tool_input, f"key-{next(_keys)}")
    return fake.generations[generation.id]


async def charge(
    fake: FakeZenCreator, client: ZenCreatorClient, tool: str, tool_input: dict[str, Any]
) -> float:
    """What starting the generation charged, checked against the balance too."""
    before = fake.balance
    record = await start(fake, client, tool, tool_input)
    assert fake.balance == pytest.approx(before - record.charge)
    return record.charge


async def refused_field(
    fake: FakeZenCreator, client: ZenCreatorClient, tool: str, tool_input: dict[str, Any]
) -> str | None:
    """The field a refused start names; the refusal must cost nothing."""
    before, generations = fake.balance, len(fake.generations)
    with pytest.raises(InputValidationError) as caught:
        await client.start(tool, tool_input, f"key-{next(_keys)}")
    assert caught.value.status_code == 422 and caught.value.code == "validation_error"
    assert fake.balance == before and len(fake.generations) == generations
    return caught.value.field


async def finish(client: ZenCreatorClient, record: GenerationRecord) -> None:
    await client.status(record.id)
    assert record.is_terminal


def image(fake: FakeZenCreator) -> str:
    return fake.add_asset()


def audio(fake: FakeZenCreator, seconds: float = 5.0) -> str:
    return fake.add_asset(b"OggS" + bytes(64), "audio", duration=seconds)


def video(fake: FakeZenCreator, *args: Any) -> str:
    """A real MP4 stored as an asset: `video_file`'s width, height, seconds and fps."""
    return fake.add_asset(video_file(*args), "video")


# --- upscaler: version x megapixels


@pytest.mark.parametrize(
    ("version", "megapixels", "credits"),
    [
        ("basic", 4, 1),
        ("basic_safe_face", 32, 1),
        ("basic", 8, 2),
        ("basic_safe_face", 8, 2),
        ("natural_clarity", 8, 1),
        ("natural_clarity", 32, 1),
        ("premium_realism", 16, 2),
        ("premium_safe_face", 24, 2),
        ("premium_realism", 8, 4),
        ("premium_safe_face", 8, 4),
        ("ultra_clarity", 4, 1),
        ("ultra_clarity", 8, 1),
        ("ultra_clarity", 16, 2),
        ("ultra_clarity", 24, 3),
        ("ultra_clarity", 32, 4),
    ],
)
async def test_upscaler_price(
    fake: FakeZenCreator, client: ZenCreatorClient, version: str, megapixels: int, credits: int
) -> None:
    tool_input = {"image_asset": image(fake), "version": version, "megapixels": megapixels}
    assert await charge(fake, client, "upscaler", tool_input) == credits


async def test_upscaler_defaults_to_basic_at_4_megapixels(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    assert await charge(fake, client, "upscaler", {"image_asset": image(fake)}) == 1
    tool_input = {"image_asset": image(fake), "creativity": 0, "version": "premium_realism"}
    assert await charge(fake, client, "upscaler", tool_input) == 2


# --- faceswap, undress, facegen: flat


async def test_flat_prices(fake: FakeZenCreator, client: ZenCreatorClient) -> None:
    swap = {"ref_asset": image(fake), "face_asset": image(fake), "model": "GENERAL_ADVANCED"}
    assert await charge(fake, client, "faceswap", swap) == 1
    assert await charge(fake, client, "undress", {"image_asset": image(fake)}) == 3
    face = {"gender": "Male", "age": "85+", "origin": "Oceanian / Pacific Islander"}
    assert await charge(fake, client, "facegen", face) == 1
    full_face = face | {
        "body_type": "Fit",
        "eye_color": "Heterochromia",
        "hair_color": "Salt and Pepper",
        "hair_type": "Coily",
        "hair_style": "Caesar",
        "beard": "Friendly Mutton Chops",
        "beard_color": "Honey",
        "makeup": "Sunset Eye Makeup",
    }
    assert await charge(fake, client, "facegen", full_face) == 1
    assert await charge(fake, client, "facegen", face | {"makeup": None}) == 1


# --- by_prompt: model x mode, per call


BY_PROMPT_CREDITS = {  # model: (fast, quality)
    "FLUX_KLEIN_NSFW": (2, 2),
    "NANO_BANANA": (2, 2),
    "QWEN_IMAGE_PRO": (2, 2),
    "WAN_2_7_IMAGE_PRO": (2, 2),
    "GENERAL_NSFW": (1, 1),
    "GENERAL_SFW": (1, 1),
    "QWEN_IMAGE": (1, 1),
    "SEEDREAM_5": (1, 1),
    "WAN": (1, 1),
    "WAN_2_7_IMAGE": (1, 1),
    "SDXL_NSFW": (1, 2),
}


@pytest.mark.parametrize("model", sorted(BY_PROMPT_CREDITS))
async def test_by_prompt_price(fake: FakeZenCreator, client: ZenCreatorClient, model: str) -> None:
    for mode, credits in zip(("fast", "quality"), BY_PROMPT_CREDITS[model], strict=True):
        tool_input = {"positive_prompt": "a red fox", "model": model, "mode": mode}
        assert await charge(fake, client, "by_prompt", tool_input) == credits


async def test_by_prompt_batch_makes_that_many_images_for_the_price_of_one_call(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    tool_input = {
        "positive_prompt": "a red fox",
        "batch_size": 3,
        "ratio": "9:16",
        "loras": {"curvy": 0.5, "slim": 1},
        "width": None,
        "height": 1920,
    }
    record = await start(fake, client, "by_prompt", tool_input)
    assert record.charge == 1  # GENERAL_NSFW, fast
    await finish(client, record)
    assert [o.data for o in record.outputs] == [default_png(n) for n in range(3)]
    assert len(set(o.data for o in record.outputs)) == 3


# --- by_ref: model x mode, per call


@pytest.mark.parametrize(
    ("model", "mode", "credits"),
    [
        ("GENERAL", "fast", 1),
        ("GENERAL", "quality", 1),
        ("SDXL", "fast", 1),
        ("SDXL", "quality", 2),
    ],
)
async def test_by_ref_price(
    fake: FakeZenCreator, client: ZenCreatorClient, model: str, mode: str, credits: int
) -> None:
    tool_input = {"ref_asset": image(fake), "model": model, "mode": mode}
    assert await charge(fake, client, "by_ref", tool_input) == credits


async def test_by_ref_makes_four_images_by_default(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    tool_input = {
        "ref_asset": image(fake),
        "face_asset": image(fake),
        "model": "GENERAL",
        "strength": 0.4,
        "keep_pose": True,
        "swap_background": False,
        "loras": None,
    }
    record = await start(fake, client, "by_ref", tool_input)
    await finish(client, record)
    assert record.charge == 1 and len(record.outputs) == 4
    ten = await start(fake, client, "by_ref", {"ref_asset": image(fake), "batch_size": 10})
    await finish(client, ten)
    assert ten.charge == 1 and len(ten.outputs) == 10


# --- photoshoot: 3 per image


@pytest.mark.parametrize(
    ("counts", "credits", "images"),
    [({}, 3, 1), ({"image_count": 5}, 15, 5), ({"image_count": 2, "number_of_images": 2}, 12, 4)],
)
async def test_photoshoot_price_and_images(
    fake: FakeZenCreator,
    client: ZenCreatorClient,
    counts: dict[str, int],
    credits: int,
    images: int,
) -> None:
    tool_input = {"face_ref": image(fake), "body_ref": image(fake), "category_id": "cat_beach"}
    record = await start(fake, client, "photoshoot", tool_input | counts)
    await finish(client, record)
    assert record.charge == credits and len(record.outputs) == images


async def test_photoshoot_takes_a_prompt_instead_of_a_category(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    tool_input = {"face_ref": image(fake), "body_ref": image(fake), "prompt": "in a park"}
    assert await charge(fake, client, "photoshoot", tool_input | {"ratio": "3:4"}) == 3


# --- facegen: several variants for one credit


async def test_facegen_returns_several_variants(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    face = {"gender": "Female", "age": "26-35", "origin": "European"}
    record = await start(fake, client, "facegen", face)
    await finish(client, record)
    assert record.charge == 1 and len(record.outputs) > 1


# --- carousel and collaber: 1 per image


@pytest.mark.parametrize(("count", "credits"), [(None, 4), (1, 1), (7, 7), (10, 10)])
async def test_carousel_price_per_image(
    fake: FakeZenCreator, client: ZenCreatorClient, count: int | None, credits: int
) -> None:
    tool_input: dict[str, Any] = {"asset_ref": image(fake)}
    if count is not None:
        tool_input["number_of_images"] = count
    record = await start(fake, client, "carousel", tool_input)
    await finish(client, record)
    assert record.charge == credits and len(record.outputs) == credits


@pytest.mark.parametrize(("count", "credits"), [(None, 1), (2, 2), (4, 4)])
async def test_collaber_price_per_image(
    fake: FakeZenCreator, client: ZenCreatorClient, count: int | None, credits: int
) -> None:
    tool_input: dict[str, Any] = {
        "asset_image_1": image(fake),
        "asset_image_2": image(fake),
        "location_asset": image(fake),
        "prompt": "dancing together",
    }
    if count is not None:
        tool_input["number_of_images"] = count
    record = await start(fake, client, "collaber", tool_input)
    await finish(client, record)
    assert record.charge == credits and len(record.outputs) == credits


# --- image_editor: model rate x images


IMAGE_EDITOR_CREDITS = {
    "FLUX_KLEIN_LORA": 3,
    "FLUX_KLEIN_NSFW": 1,
    "GENERAL_NSFW": 1,
    "QWEN_IMAGE": 1,
    "SEEDREAM_5": 1,
    "WAN_2_7_IMAGE": 1,
    "NANO_BANANA": 4,
    "QWEN_IMAGE_PRO": 2,
    "WAN_2_7_IMAGE_PRO": 2,
}


@pytest.mark.parametrize("model", sorted(IMAGE_EDITOR_CREDITS))
async def test_image_editor_price_per_image(
    fake: FakeZenCreator, client: ZenCreatorClient, model: str
) -> None:
    tool_input: dict[str, Any] = {"image_assets": [image(fake)], "prompt": "blue hair"}
    tool_input["model"] = model
    if model == "FLUX_KLEIN_LORA":
        tool_input["lora_id"] = "tpl_watercolor"
    rate = IMAGE_EDITOR_CREDITS[model]
    assert await charge(fake, client, "image_editor", tool_input) == rate
    record = await start(fake, client, "image_editor", tool_input | {"number_of_images": 3})
    await finish(client, record)
    assert record.charge == 3 * rate and len(record.outputs) == 3


async def test_image_editor_batch_mode_edits_each_source(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    sources = [image(fake), image(fake), image(fake)]
    combined = await start(fake, client, "image_editor", {"image_assets": sources, "prompt": "x"})
    await finish(client, combined)
    assert combined.charge == 1 and len(combined.outputs) == 1
    tool_input = {
        "image_assets": sources,
        "prompt": "x",
        "model": "QWEN_IMAGE_PRO",
        "batch_mode": True,
        "number_of_images": 2,
        "sequential_generation": True,
        "ratio": None,
        "width": 768,
        "height": 1344,
    }
    each = await start(fake, client, "image_editor", tool_input)
    await finish(client, each)
    assert each.charge == 12 and len(each.outputs) == 6


async def test_image_editor_takes_a_flux_lora_as_lora_id(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    tool_input = {
        "image_assets": [image(fake)],
        "prompt": "noir",
        "model": "FLUX_KLEIN_LORA",
        "lora_id": "lora_film_noir",
    }
    assert await charge(fake, client, "image_editor", tool_input) == 3


# --- videogen: model x duration x generate_audio x resolution

RES = ("480p", "720p", "1080p")
VIDEOGEN_ROWS = [  # one case per row of the reference's table: credits at 480p, 720p, 1080p
    ("grok@4.1", 5, True, (10, 15, 15)),
    ("grok@4.1", 6, False, (12, 18, 18)),
    ("grok@4.1", 8, True, (16, 24, 24)),
    ("grok@4.1", 10, False, (20, 30, 30)),
    ("grok@4.1", 12, True, (24, 36, 36)),
    ("grok@4.1", 15, False, (30, 45, 45)),
    ("kling@1.6", 5, True, (7, 7, 7)),
    ("kling@2.1", 15, False, (7, 7, 7)),
    ("kling@2.5", 10, True, (13, 13, 13)),
    ("kling@2.6", 5, True, (10, 10, 10)),
    ("kling@2.6", 5, False, (5, 5, 5)),
    ("kling@2.6", 6, True, (12, 12, 12)),
    ("kling@2.6", 6, False, (6, 6, 6)),
    ("kling@2.6", 8, True, (16, 16, 16)),
    ("kling@2.6", 8, False, (8, 8, 8)),
    ("kling@2.6", 10, True, (20, 20, 20)),
    ("kling@2.6", 10, False, (10, 10, 10)),
    ("kling@2.6", 12, True, (24, 24, 24)),
    ("kling@2.6", 12, False, (12, 12, 12)),
    ("kling@2.6", 15, True, (30, 30, 30)),
    ("kling@2.6", 15, False, (15, 15, 15)),
    ("seedance_pro", 5, True, (4, 8, 15)),
    ("seedance_pro", 12, False, (7, 7, 7)),
    ("seedance_pro_fast", 6, True, (7, 7, 7)),
    ("seedance_pro", 10, True, (8, 15, 30)),
    ("seedance_pro_fast", 5, False, (2, 4, 7)),
    ("seedance_pro_fast", 10, True, (4, 8, 13)),
    ("seedance_v1_5_pro", 5, True, (8, 8, 16)),
    ("seedance_v1_5_pro", 5, False, (4, 4, 8)),
    ("seedance_v1_5_pro", 8, True, (8, 8, 8)),
    ("seedance_v1_5_pro", 15, False, (4, 4, 4)),
    ("seedance_v1_5_pro", 10, True, (8, 16, 32)),
    ("seedance_v1_5_pro", 10, False, (4, 8, 16)),
    ("seedance_v1_5_pro", 12, True, (8, 20, 40)),
    ("seedance_v1_5_pro", 12, False, (4, 10, 20)),
    ("wan@2.2", 12, True, (10, 10, 10)),
    ("wan@2.2", 8, False, (13, 13, 13)),
    ("wan@2.2-lora", 15, False, (10, 10, 10)),
    ("wan@2.5", 5, True, (5, 10, 15)),
    ("wan@2.7", 6, False, (6, 12, 18)),
    ("wan@2.5", 8, False, (8, 16, 24)),
    ("wan@2.7", 10, True, (10, 20, 30)),
    ("wan@2.5", 12, True, (12, 24, 36)),
    ("wan@2.7", 15, False, (15, 30, 45)),
    ("wan@2.6", 5, True, (10, 10, 15)),
    ("wan@2.7-nsfw", 6, True, (12, 12, 18)),
    ("wan@2.6", 8, False, (16, 16, 24)),
    ("wan@2.6", 10, True, (20, 20, 30)),
    ("wan@2.7-nsfw", 12, False, (24, 24, 36)),
    ("wan@2.6", 15, False, (30, 30, 45)),
    ("wan@2.6-flash", 5, True, (5, 5, 7)),
    ("wan@2.6-flash", 6, False, (3, 3, 4)),
    ("wan@2.6-flash", 6, True, (6, 6, 9)),
    ("wan@2.6-flash", 8, True, (8, 8, 12)),
    ("wan@2.6-flash", 8, False, (4, 4, 6)),
    ("wan@2.6-flash", 10, True, (10, 10, 14)),
    ("wan@2.6-flash", 10, False, (5, 5, 7)),
    ("wan@2.6-flash", 12, True, (12, 12, 17)),
    ("wan@2.6-flash", 12, False, (6, 6, 8)),
    ("wan@2.6-flash", 15, True, (15, 15, 21)),
    ("wan@2.6-flash", 15, False, (8, 8, 10)),
    ("wan@2.7-nsfw", 5, False, (10, 13, 17)),
    ("wan@2.7-nsfw", 10, True, (20, 26, 34)),
    ("wan@2.7-nsfw", 15, True, (30, 39, 51)),
]
NO_480P = {"wan@2.6", "wan@2.6-flash", "wan@2.7", "wan@2.7-nsfw", "seedance_v1_5_pro"}


@pytest.mark.parametrize(("model", "duration", "audio", "credits"), VIDEOGEN_ROWS)
async def test_videogen_price(
    fake: FakeZenCreator,
    client: ZenCreatorClient,
    model: str,
    duration: int,
    audio: bool,
    credits: tuple[int, int, int],
) -> None:
    base = {"ref_asset": image(fake), "model": model, "duration": duration}
    for resolution, expected in zip(RES, credits, strict=True):
        tool_input = base | {"resolution": resolution, "generate_audio": audio}
        forbidden = (resolution == "480p" and model in NO_480P) or (
            model == "grok@4.1" and resolution == "1080p"
        )
        if forbidden:
            assert await refused_field(fake, client, "videogen", tool_input) == "resolution"
        else:
            assert await charge(fake, client, "videogen", tool_input) == expected


async def test_videogen_defaults_are_wan_2_2_for_5_s_at_720p(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    record = await start(fake, client, "videogen", {"ref_asset": image(fake)})
    assert record.charge == 10
    await finish(client, record)
    assert [o.data for o in record.outputs] == [DEFAULT_MP4]
    assert record.outputs[0].content_type == "video/mp4"


@pytest.mark.parametrize("model", sorted(NO_480P))
async def test_videogen_refuses_480p_where_the_reference_forbids_it(
    fake: FakeZenCreator, client: ZenCreatorClient, model: str
) -> None:
    tool_input = {"ref_asset": image(fake), "model": model, "resolution": "480p"}
    assert await refused_field(fake, client, "videogen", tool_input) == "resolution"


async def test_videogen_grok_takes_only_480p_or_720p(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    tool_input = {"ref_asset": image(fake), "model": "grok@4.1", "resolution": "1080p"}
    assert await refused_field(fake, client, "videogen", tool_input) == "resolution"


LAST_FRAME_MODELS = {"kling@2.1", "seedance_pro", "seedance_v1_5_pro"}
VIDEOGEN_MODELS = sorted({row[0] for row in VIDEOGEN_ROWS})


@pytest.mark.parametrize("model", VIDEOGEN_MODELS)
async def test_videogen_last_frame_only_where_supported(
    fake: FakeZenCreator, client: ZenCreatorClient, model: str
) -> None:
    tool_input = {"ref_asset": image(fake), "model": model, "last_frame": image(fake)}
    if model in LAST_FRAME_MODELS:
        assert await charge(fake, client, "videogen", tool_input) > 0
    else:
        assert await refused_field(fake, client, "videogen", tool_input) == "last_frame"
    assert await charge(fake, client, "videogen", tool_input | {"last_frame": None}) > 0


@pytest.mark.parametrize("model", VIDEOGEN_MODELS)
async def test_videogen_loras_only_for_wan_2_2_lora(
    fake: FakeZenCreator, client: ZenCreatorClient, model: str
) -> None:
    tool_input = {
        "ref_asset": image(fake),
        "model": model,
        "loras": {"lora_blink_wave": 0.8},
    }
    if model == "wan@2.2-lora":
        assert await charge(fake, client, "videogen", tool_input) == 10
    else:
        assert await refused_field(fake, client, "videogen", tool_input) == "loras"


async def test_videogen_loras_must_be_listed_for_wan_2_2(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    base = {"ref_asset": image(fake), "model": "wan@2.2-lora"}
    with_scale_object = base | {"loras": {"lora_blink_hair_flip": {"scale": 1.0}}}
    assert await charge(fake, client, "videogen", with_scale_object) == 10
    for loras in ({"lora_nope": 1}, {"lora_film_noir": 1}, {"lora_blink_wave": "high"}):
        assert await refused_field(fake, client, "videogen", base | {"loras": loras}) == "loras"


async def test_videogen_takes_an_audio_asset_and_the_other_options(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    tool_input = {
        "ref_asset": image(fake),
        "model": "kling@2.6",
        "audio_asset": audio(fake),
        "prompt": "she waves",
        "negative_prompt": "blur",
        "duration": 6,
        "generate_audio": False,
        "camera_fixed": True,
        "prompt_extend": True,
    }
    assert await charge(fake, client, "videogen", tool_input) == 6
    wrong = tool_input | {"audio_asset": image(fake)}
    assert await refused_field(fake, client, "videogen", wrong) == "audio_asset"


async def test_a_videogen_duration_without_a_price_row_is_refused(
    fake: FakeZenCreator, client: ZenCreatorClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every duration of the published table has a row; drop one to see the refusal.
    rows = tuple(r for r in zencreator_tools.VIDEOGEN_PRICES if r[0][0] != ("wan@2.2",))
    monkeypatch.setattr(zencreator_tools, "VIDEOGEN_PRICES", rows)
    tool_input = {"ref_asset": image(fake), "model": "wan@2.2", "duration": 8}
    assert await refused_field(fake, client, "videogen", tool_input) == "duration"


# --- video2video: mode, resolution and the measured source duration


@pytest.mark.parametrize(
    ("seconds", "mode", "resolution", "credits"),
    [
        (3, "dreamactor_m2", "720p", 3),
        (3, "kling_2_6_sfw", "1080p", 6),
        (3, "replace_sfw", "480p", 7),
        (3, "animate_sfw", "720p", 13),
        (3, "replace_nsfw", "1080p", 8.4),
        (5, "animate_nsfw", "480p", 7),
        (5, "replace_sfw", "720p", 13),
        (8, "replace_sfw", "480p", 11.2),
        (8, "replace_nsfw", "720p", 21.4),
        (8, "animate_sfw", "1080p", 22.4),
        (8, "dreamactor_m2", "480p", 8),
        (8, "kling_2_6_sfw", "720p", 16),
        (2.2, "dreamactor_m2", "720p", 3),
    ],
)
async def test_video2video_price_from_the_uploaded_video(
    fake: FakeZenCreator,
    client: ZenCreatorClient,
    seconds: float,
    mode: str,
    resolution: str,
    credits: float,
) -> None:
    source = video(fake, 128, 72, seconds, 5)
    tool_input = {
        "image_asset": image(fake),
        "video_asset": source,
        "mode": mode,
        "resolution": resolution,
        "keep_original_sound": False,
    }
    assert await charge(fake, client, "video2video", tool_input) == pytest.approx(credits)


async def test_video2video_per_second_modes_bill_at_most_30_s(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    long = video(fake, 64, 64, 40, 1)
    base = {"image_asset": image(fake), "video_asset": long}
    assert await charge(fake, client, "video2video", base | {"mode": "dreamactor_m2"}) == 30
    assert await charge(fake, client, "video2video", base | {"mode": "kling_2_6_sfw"}) == 60
    uncapped = base | {"mode": "animate_nsfw"}  # 720p: 13 + 2.8 x 35
    assert await charge(fake, client, "video2video", uncapped) == pytest.approx(111)


async def test_video2video_from_a_link_uses_the_test_set_duration(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    reel = "https://www.instagram.com/reel/Cabc123/"
    fake.set_link_duration(reel, 12)
    tool_input = {"image_asset": image(fake), "instagram_url": reel, "mode": "dreamactor_m2"}
    assert await charge(fake, client, "video2video", tool_input) == 12
    tiktok = {  # no duration set: link_duration, 10 s; 480p: 7 + 1.4 x 5
        "image_asset": image(fake),
        "tiktok_url": "https://vm.tiktok.com/ZMabc/",
        "mode": "replace_nsfw",
        "resolution": "480p",
    }
    assert await charge(fake, client, "video2video", tiktok) == 14


@pytest.mark.parametrize(
    ("sources", "field"),
    [
        ({}, "video_asset"),
        ({"video_asset": "V", "tiktok_url": "https://www.tiktok.com/@a/video/1"}, "tiktok_url"),
        ({"instagram_url": "https://www.tiktok.com/@a/video/1"}, "instagram_url"),
        ({"tiktok_url": "ftp://tiktok.com/x"}, "tiktok_url"),
        ({"instagram_url": "https://instagram.com.evil.example/reel/1"}, "instagram_url"),
        ({"video_asset": "I"}, "video_asset"),
    ],
)
async def test_video2video_needs_exactly_one_valid_source(
    fake: FakeZenCreator, client: ZenCreatorClient, sources: dict[str, str], field: str
) -> None:
    named = {"V": video(fake), "I": image(fake)}
    tool_input = {"image_asset": image(fake)} | {k: named.get(v, v) for k, v in sources.items()}
    assert await refused_field(fake, client, "video2video", tool_input) == field


async def test_video2video_refuses_a_video_it_cannot_read(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    broken = fake.add_asset(b"\x00\x00\x00\x18ftypmp42 not really", "video")
    tool_input = {"image_asset": image(fake), "video_asset": broken}
    assert await refused_field(fake, client, "video2video", tool_input) == "video_asset"


# --- video_upscaler: 2 x output megapixels x seconds x FPS multiplier


@pytest.mark.parametrize(
    ("source", "scale", "credits"),
    [
        ((320, 240, 2, 24), "2", 1.23),  # 640x480 = 0.3072 MP x 2 x 2 s
        ((320, 240, 2, 24), "max", 78.64),  # 5120x3840 = 19.6608 MP x 2 x 2 s
        ((320, 240, 2, 60), "2", 2.46),  # x2 up to 60 fps
        ((320, 240, 2, 120), "2", 3.69),  # x3 above
        ((320, 240, 2, 30), "3", 2.76),  # 960x720 = 0.6912 MP x 2 x 2 s x1
        ((320, 240, 2.5, 24), "2", 1.84),  # 3 started seconds
        ((64, 48, 1, 24), "50", 15.36),  # 3200x2400 = 7.68 MP x 2 x 1 s
    ],
)
async def test_video_upscaler_price_from_the_measured_video(
    fake: FakeZenCreator,
    client: ZenCreatorClient,
    source: tuple[int, int, float, float],
    scale: str,
    credits: float,
) -> None:
    tool_input = {"video_asset": video(fake, *source), "scale_factor": scale}
    assert await charge(fake, client, "video_upscaler", tool_input) == credits


async def test_video_upscaler_limits(fake: FakeZenCreator, client: ZenCreatorClient) -> None:
    source = video(fake, 320, 240, 1, 24)
    assert await charge(fake, client, "video_upscaler", {"video_asset": source}) == 0.61
    for scale in ("20", 2, "1", "max2"):  # 6400 px; not a string; not on the list
        tool_input = {"video_asset": source, "scale_factor": scale}
        assert await refused_field(fake, client, "video_upscaler", tool_input) == "scale_factor"


# --- video_merger: 1 credit


async def test_video_merger(fake: FakeZenCreator, client: ZenCreatorClient) -> None:
    clips = [{"asset_id": video(fake)}, {"asset_id": video(fake), "trim": 0.5, "duration": 2}]
    tool_input = {
        "clips": clips,
        "transition": "dissolve",
        "keep_audio": False,
        "fps": 24,
        "width": 720,
        "height": 1280,
    }
    assert await charge(fake, client, "video_merger", tool_input) == 1
    five = [{"asset_id": video(fake)} for _ in range(5)]
    assert await charge(fake, client, "video_merger", {"clips": five}) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"clips": "one"}, "clips"),
        ({"clips": ["V"]}, "clips"),
        ({"clips": [{"asset_id": "V"}]}, "clips"),
        ({"clips": [{"asset_id": "V"}] * 6}, "clips"),
        ({"clips": [{"asset_id": "V"}, {"asset_id": "I"}]}, "clips"),
        ({"clips": [{"asset_id": "V"}, {}]}, "clips"),
        ({"clips": [{"asset_id": "V"}, {"asset_id": "V", "speed": 2}]}, "clips"),
        ({"clips": [{"asset_id": "V"}, {"asset_id": "V", "trim": -1}]}, "clips"),
        ({"transition": "wipe"}, "transition"),
        ({"fps": 25}, "fps"),
        ({"keep_audio": "yes"}, "keep_audio"),
    ],
)
async def test_video_merger_refusals(
    fake: FakeZenCreator, client: ZenCreatorClient, change: dict[str, Any], field: str
) -> None:
    named = {"V": video(fake), "I": image(fake)}

    def resolve(value: Any) -> Any:
        if isinstance(value, list):
            return [resolve(item) for item in value]
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return named.get(value, value) if isinstance(value, str) else value

    tool_input = {"clips": [{"asset_id": video(fake)}, {"asset_id": video(fake)}]}
    tool_input |= resolve(change)
    assert await refused_field(fake, client, "video_merger", tool_input) == field


# --- lipsync


async def test_lipsync_price_per_started_second(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    tool_input = {"image_asset": image(fake), "audio_asset": audio(fake, 35)}
    assert await charge(fake, client, "lipsync", tool_input) == 105
    tool_input = {"image_asset": image(fake), "audio_asset": audio(fake, 0.4), "prompt": "sing"}
    assert await charge(fake, client, "lipsync", tool_input) == 3
    too_long = {"image_asset": image(fake), "audio_asset": audio(fake, 35.5)}
    assert await refused_field(fake, client, "lipsync", too_long) == "audio_asset"


# --- Validation common to every tool


VALID_INPUTS: dict[str, dict[str, Any]] = {  # "I" an image, "A" an audio, "V" a video asset
    "upscaler": {"image_asset": "I"},
    "faceswap": {"ref_asset": "I", "face_asset": "I"},
    "by_prompt": {"positive_prompt": "a fox"},
    "by_ref": {"ref_asset": "I"},
    "photoshoot": {"face_ref": "I", "body_ref": "I", "category_id": "cat_studio"},
    "facegen": {"gender": "Female", "age": "18-25", "origin": "South Asian"},
    "carousel": {"asset_ref": "I"},
    "videogen": {"ref_asset": "I"},
    "image_editor": {"image_assets": ["I"], "prompt": "add a hat"},
    "collaber": {"asset_image_1": "I", "asset_image_2": "I"},
    "video2video": {"image_asset": "I", "video_asset": "V"},
    "lipsync": {"image_asset": "I", "audio_asset": "A"},
    "undress": {"image_asset": "I"},
    "video_upscaler": {"video_asset": "V"},
    "video_merger": {"clips": [{"asset_id": "V"}, {"asset_id": "V"}]},
}


def resolve_assets(fake: FakeZenCreator, tool_input: dict[str, Any]) -> dict[str, Any]:
    makers = {"I": lambda: image(fake), "A": lambda: audio(fake), "V": lambda: video(fake)}

    def resolve(value: Any) -> Any:
        if isinstance(value, list):
            return [resolve(item) for item in value]
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return makers[value]() if isinstance(value, str) and value in makers else value

    resolved: dict[str, Any] = resolve(tool_input)
    return resolved


def test_every_tool_of_the_reference_is_covered() -> None:
    assert set(VALID_INPUTS) == set(zencreator_tools.TOOLS)


@pytest.mark.parametrize("tool", sorted(VALID_INPUTS))
async def test_every_tool_refuses_unknown_and_missing_fields(
    fake: FakeZenCreator, client: ZenCreatorClient, tool: str
) -> None:
    tool_input = resolve_assets(fake, VALID_INPUTS[tool])
    assert await charge(fake, client, tool, tool_input) > 0
    assert await refused_field(fake, client, tool, tool_input | {"colour": "red"}) == "colour"
    for name in VALID_INPUTS[tool]:
        if name in ("category_id", "video_asset") and tool in ("photoshoot", "video2video"):
            continue  # optional, but one of a pair is needed: see the tool's own tests
        missing = {k: v for k, v in tool_input.items() if k != name}
        assert await refused_field(fake, client, tool, missing) == name


ASSET_FIELDS = [  # (tool, field, an asset of the wrong media type)
    ("upscaler", "image_asset", "V"),
    ("faceswap", "face_asset", "A"),
    ("by_ref", "ref_asset", "V"),
    ("photoshoot", "body_ref", "A"),
    ("carousel", "asset_ref", "V"),
    ("videogen", "ref_asset", "V"),
    ("collaber", "asset_image_2", "A"),
    ("video2video", "image_asset", "V"),
    ("video2video", "video_asset", "I"),
    ("lipsync", "audio_asset", "I"),
    ("undress", "image_asset", "A"),
    ("video_upscaler", "video_asset", "I"),
]


@pytest.mark.parametrize(("tool", "field", "wrong"), ASSET_FIELDS)
async def test_asset_fields_name_stored_assets_of_the_right_type(
    fake: FakeZenCreator, client: ZenCreatorClient, tool: str, field: str, wrong: str
) -> None:
    tool_input = resolve_assets(fake, VALID_INPUTS[tool])
    wrong_type = tool_input | resolve_assets(fake, {field: wrong})
    assert await refused_field(fake, client, tool, wrong_type) == field
    assert await refused_field(fake, client, tool, tool_input | {field: "asset_9999"}) == field
    assert await refused_field(fake, client, tool, tool_input | {field: 42}) == field


@pytest.mark.parametrize(
    ("tool", "change", "field"),
    [
        ("upscaler", {"megapixels": 5}, "megapixels"),
        ("upscaler", {"megapixels": "8"}, "megapixels"),
        ("upscaler", {"creativity": True}, "creativity"),
        ("upscaler", {"version": "BASIC"}, "version"),
        ("faceswap", {"resolution": "8K"}, "resolution"),
        ("by_prompt", {"positive_prompt": "  "}, "positive_prompt"),
        ("by_prompt", {"batch_size": 0}, "batch_size"),
        ("by_prompt", {"batch_size": 2.0}, "batch_size"),
        ("by_prompt", {"ratio": "5:4"}, "ratio"),
        ("by_prompt", {"loras": {"gigantic": 1}}, "loras"),
        ("by_prompt", {"loras": {"curvy": "max"}}, "loras"),
        ("by_prompt", {"loras": ["curvy"]}, "loras"),
        ("by_prompt", {"model": None}, "model"),
        ("by_ref", {"batch_size": 11}, "batch_size"),
        ("by_ref", {"strength": 1.5}, "strength"),
        ("by_ref", {"keep_pose": 1}, "keep_pose"),
        ("photoshoot", {"category_id": "cat_moon"}, "category_id"),
        ("photoshoot", {"category_id": None}, "prompt"),
        ("photoshoot", {"image_count": 0}, "image_count"),
        ("facegen", {"gender": "female"}, "gender"),
        ("facegen", {"makeup": "Clown Makeup"}, "makeup"),
        ("facegen", {"beard_color": "Teal"}, "beard_color"),
        ("carousel", {"number_of_images": 11}, "number_of_images"),
        ("videogen", {"duration": 7}, "duration"),
        ("videogen", {"model": "sora"}, "model"),
        ("videogen", {"generate_audio": "false"}, "generate_audio"),
        ("image_editor", {"image_assets": []}, "image_assets"),
        ("image_editor", {"image_assets": "I"}, "image_assets"),
        ("image_editor", {"prompt": ""}, "prompt"),
        ("image_editor", {"model": "FLUX_KLEIN_LORA"}, "lora_id"),
        ("image_editor", {"lora_id": "tpl_nope"}, "lora_id"),
        ("image_editor", {"lora_id": "lora_blink_wave"}, "lora_id"),
        ("image_editor", {"number_of_images": 0}, "number_of_images"),
        ("collaber", {"number_of_images": 5}, "number_of_images"),
        ("collaber", {"prompt": 5}, "prompt"),
        ("video2video", {"mode": "swap"}, "mode"),
        ("lipsync", {"model": "SDXL"}, "model"),
    ],
)
async def test_invalid_values_are_refused_naming_the_field(
    fake: FakeZenCreator, client: ZenCreatorClient, tool: str, change: dict[str, Any], field: str
) -> None:
    tool_input = resolve_assets(fake, VALID_INPUTS[tool]) | resolve_assets(fake, change)
    assert await refused_field(fake, client, tool, tool_input) == field


async def test_the_image_assets_of_a_list_are_checked_one_by_one(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    tool_input = {"image_assets": [image(fake), audio(fake)], "prompt": "x"}
    with pytest.raises(InputValidationError) as caught:
        await client.start("image_editor", tool_input, "list-1")
    assert caught.value.field == "image_assets" and "item 2" in str(caught.value)


# --- Outputs are assets


async def test_every_output_is_an_asset_a_later_generation_takes(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    angles = await start(fake, client, "carousel", {"asset_ref": image(fake)})
    await finish(client, angles)
    result = await client.result(angles.id)
    asset_ids = [output.asset_id for output in result.outputs]
    assert len(asset_ids) == 4 and len(set(asset_ids)) == 4
    assert all(a is not None and fake.assets[a].media_type == "image" for a in asset_ids)
    edit = {"image_assets": asset_ids, "prompt": "brighter", "batch_mode": True}
    assert await charge(fake, client, "image_editor", edit) == 4

    clip = await start(fake, client, "videogen", {"ref_asset": asset_ids[0]})
    await finish(client, clip)
    clip_asset = (await client.result(clip.id)).outputs[0].asset_id
    assert clip_asset is not None and fake.assets[clip_asset].media_type == "video"
    # The default video is a real 1 s 128x72 MP4 at 24 fps, measured like an upload:
    # 256x144 = 0.036864 MP x 2 x 1 s.
    upscale = {"video_asset": clip_asset, "scale_factor": "2"}
    assert await charge(fake, client, "video_upscaler", upscale) == 0.07
    merge = {"clips": [{"asset_id": clip_asset}, {"asset_id": clip_asset}]}
    assert await charge(fake, client, "video_merger", merge) == 1


async def test_a_partial_generation_makes_one_output_fewer(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    fake.plan("carousel", status="partial", polls_until_done=0)
    record = await start(fake, client, "carousel", {"asset_ref": image(fake)})
    await finish(client, record)
    assert record.status == "partial" and len(record.outputs) == 3


# --- Catalog endpoints


async def get(fake: FakeZenCreator, path: str, **params: Any) -> httpx.Response:
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {KEY}"}) as http:
        return await http.get(f"{fake.base_url}{API}{path}", params=params)


async def test_tools_lists_every_tool_with_its_input_schema(fake: FakeZenCreator) -> None:
    listed = (await get(fake, "/tools")).json()["items"]
    assert {tool["name"] for tool in listed} == set(VALID_INPUTS)
    videogen = (await get(fake, "/tools/videogen")).json()
    schema = videogen["input_schema"]
    assert schema["required"] == ["ref_asset"] and schema["additionalProperties"] is False
    assert schema["properties"]["duration"] == {
        "type": "integer",
        "enum": [5, 6, 8, 10, 12, 15],
        "default": 5,
    }
    assert schema["properties"]["last_frame"]["type"] == ["string", "null"]
    assert videogen["outputs"] == {"video_asset": "string"}
    editor = (await get(fake, "/tools/image_editor")).json()
    assert editor["outputs"] == {"image_assets": "array[string]"}
    by_prompt = (await get(fake, "/tools/by_prompt")).json()
    assert set(by_prompt["input_schema"]["properties"]["loras"]["properties"]) == {
        "athletic",
        "curvy",
        "petite",
        "slim",
    }
    missing = await get(fake, "/tools/teleport")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


async def test_loras_templates_and_categories(fake: FakeZenCreator) -> None:
    wan = (await get(fake, "/loras", model="wan@2.2")).json()["items"]
    assert {lora["model"] for lora in wan} == {"wan@2.2"} and len(wan) == 3
    assert len((await get(fake, "/loras")).json()["items"]) == 4
    assert (await get(fake, "/loras", model="kling@2.6")).json()["items"] == []
    reveal = next(lora for lora in wan if lora["id"] == UNDRESS_LORA_ID)
    assert "undress" in reveal["description"] and "undress" not in reveal["name"].lower()

    templates = (await get(fake, "/templates")).json()["items"]
    undress = next(t for t in templates if t["id"] == UNDRESS_TEMPLATE_ID)
    assert undress["name"] == "Undress" and undress["tool"] == "image_editor"
    categories = (await get(fake, "/photoshoot-categories")).json()["items"]
    assert [c["id"] for c in categories] == ["cat_studio", "cat_street", "cat_beach"]
    assert all(r.bucket == "read" for r in fake.requests)


async def test_a_template_input_is_a_valid_input_of_its_tool(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    assets = {
        "image_editor": {"image_assets": [image(fake)]},
        "by_prompt": {},
        "videogen": {"ref_asset": image(fake)},
    }
    for template in fake.templates:
        tool_input = template["input"] | assets[template["tool"]]
        assert await charge(fake, client, template["tool"], tool_input) > 0


async def test_catalog_and_tools_need_the_key(fake: FakeZenCreator) -> None:
    async with httpx.AsyncClient() as http:
        for path in ("/tools", "/loras", "/templates", "/photoshoot-categories", "/transactions"):
            response = await http.get(f"{fake.base_url}{API}{path}")
            assert response.json()["error"]["code"] == "missing_api_key"


# --- Credit history


async def test_transactions_record_top_ups_spends_and_refunds(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    assert fake.balance == DEFAULT_BALANCE
    kept = await start(fake, client, "undress", {"image_asset": image(fake)})
    fake.plan("upscaler", status="failed", error="too small", polls_until_done=0)
    failed = await start(fake, client, "upscaler", {"image_asset": image(fake), "megapixels": 8})
    await finish(client, failed)
    fake.top_up(50)
    assert fake.balance == DEFAULT_BALANCE - 3 + 50

    body = (await get(fake, "/transactions")).json()
    assert body["total"] == 5
    lines = [(t["type"], t["amount"], t["generation_id"]) for t in body["items"]]
    assert lines == [
        ("topup", 50, None),
        ("refund", 2, failed.id),
        ("spend", -2, failed.id),
        ("spend", -3, kept.id),
        ("topup", DEFAULT_BALANCE, None),
    ]
    assert body["items"][0]["balance_after"] == fake.balance
    page = (await get(fake, "/transactions", limit=2, offset=1)).json()["items"]
    assert [t["type"] for t in page] == ["refund", "spend"]
    for bad in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "ten"}):
        response = await get(fake, "/transactions", **bad)
        assert response.status_code == 422
        assert response.json()["error"]["message"].startswith(next(iter(bad)))


async def test_an_idempotent_replay_is_not_charged_twice(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    tool_input = {"image_asset": image(fake)}
    first = await client.start("undress", tool_input, "same")
    again = await client.start("undress", tool_input, "same")
    assert first.id == again.id
    assert [t.type for t in fake.transactions] == ["topup", "spend"]
