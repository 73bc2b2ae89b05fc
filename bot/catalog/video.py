"""The tools whose result is a video: every entry's inputs, options and price.

Prices are the reference's tables and rules (tests/test_catalog.py reads the reference and
checks every row and rule against these). Where the reference leaves a point open, the
reading taken is written next to the data; the README lists them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from bot import texts
from bot.catalog.image import labelled, named, option_label
from bot.catalog.model import (
    MAX_FACTOR,
    Choice,
    Enlargement,
    Entry,
    Input,
    InputKind,
    Option,
    Price,
    PriceRow,
    Source,
    Value,
    Wire,
    flat,
    one_of,
)
from bot.tools import LIPSYNC, VIDEO2VIDEO, VIDEO_MERGER, VIDEO_UPSCALER, VIDEOGEN
from providers.tools import MotionMode, ScaleFactor, Transition, VideoModel, VideoResolution

AUDIO_SECONDS = "audio_seconds"
VIDEO_SECONDS = "video_seconds"
LIPSYNC_MAX_SECONDS = 35
"""The provider refuses longer audio."""

LIPSYNC_ENTRY = Entry(
    tool=LIPSYNC,
    command="lipsync",
    inputs=(
        # The provider takes JPG or PNG portraits under 5 MB.
        Input(
            "portrait",
            InputKind.FACE,
            "image_asset",
            max_bytes=5 * 1024 * 1024,
            mime_types=frozenset({"image/jpeg", "image/png"}),
        ),
        Input(
            "audio",
            InputKind.AUDIO,
            "audio_asset",
            max_seconds=LIPSYNC_MAX_SECONDS,
            measure=AUDIO_SECONDS,
        ),
    ),
    price=flat(3, per_second=AUDIO_SECONDS),
    consent=True,
)

# --- videogen (/animate)

MODELS = tuple(model.value for model in VideoModel)
MODEL_BUTTONS = (
    VideoModel.SEEDANCE_PRO_FAST,
    VideoModel.SEEDANCE_PRO,
    VideoModel.SEEDANCE_V1_5_PRO,
    VideoModel.KLING_1_6,
    VideoModel.KLING_2_1,
    VideoModel.KLING_2_5,
    VideoModel.KLING_2_6,
    VideoModel.GROK_4_1,
    VideoModel.WAN_2_5,
    VideoModel.WAN_2_6,
    VideoModel.WAN_2_6_FLASH,
    VideoModel.WAN_2_7,
    VideoModel.WAN_2_2,
    VideoModel.WAN_2_2_LORA,
    VideoModel.WAN_2_7_NSFW,
)
"""The models in the order their buttons show: the default first, the 18+ ones last."""
NO_480P = one_of("wan@2.6", "wan@2.6-flash", "wan@2.7", "wan@2.7-nsfw", "seedance_v1_5_pro")
ONLY_480P_720P = one_of("grok@4.1")
LAST_FRAME_MODELS = one_of("kling@2.1", "seedance_pro", "seedance_v1_5_pro")
LORA_MODELS = one_of("wan@2.2-lora")
LORA_LIST_MODEL = "wan@2.2"
"""The model `GET /loras?model=` lists wan@2.2-lora's LoRAs for."""
SOUND_PRICED_MODELS = one_of("kling@2.6", "seedance_v1_5_pro", "wan@2.6-flash")
"""The models whose price depends on `generate_audio`: the sound option is offered for
these only (elsewhere the provider's default stands)."""
AUDIO_INPUT_MODELS = one_of("wan@2.5", "wan@2.6", "wan@2.6-flash", "wan@2.7", "wan@2.7-nsfw")
"""Reading: the reference says `audio_asset` drives the video "for models that support audio
input" without naming them. The WAN line from 2.5 on is the one whose models take a driving
audio track; the others only make their own sound (`generate_audio`)."""
NSFW_VIDEO_MODELS = one_of("wan@2.2", "wan@2.2-lora", "wan@2.7-nsfw")
"""The models the reference ties to NSFW: "uncensored NSFW base", the quick guide's "NSFW
content — wan@2.7-nsfw or wan@2.2-lora". Merely "uncensored" ones (Seedance) are not."""


def _models_except(*excluded: frozenset[Value]) -> frozenset[Value]:
    left_out = frozenset().union(*excluded)
    return frozenset(model for model in MODELS if model not in left_out)


_P480, _P720, _P1080 = (
    r.value for r in (VideoResolution.P480, VideoResolution.P720, VideoResolution.P1080)
)
_ANY = None
_KLING = ("kling@1.6", "kling@2.1", "kling@2.5")
_WAN_25_27 = ("wan@2.5", "wan@2.7")
_WAN_26_27_NSFW = ("wan@2.6", "wan@2.7-nsfw")
_SEEDANCE = ("seedance_pro", "seedance_pro_fast")


def _resolution(value: str, **requires: frozenset[Value]) -> Choice:
    return Choice(value, partial(texts.provider_value, "resolution", value), requires=requires)


def _switch(label: Callable[[bool], str]) -> tuple[Choice, ...]:
    """An on/off option's choices, on first."""
    return tuple(Choice(value, partial(label, value)) for value in (True, False))


# The reference's table as it prints it: (models, durations, generate_audio) -> credits at
# 480p, 720p and 1080p; None is *any*. Its 480p and 1080p prices of models that cannot make
# them are kept (the resolution choices leave those out).
VIDEOGEN_TABLE: tuple[
    tuple[tuple[str, ...], tuple[int, ...] | None, bool | None, tuple[float, float, float]], ...
] = (
    (("grok@4.1",), (5,), _ANY, (10, 15, 15)),
    (("grok@4.1",), (6,), _ANY, (12, 18, 18)),
    (("grok@4.1",), (8,), _ANY, (16, 24, 24)),
    (("grok@4.1",), (10,), _ANY, (20, 30, 30)),
    (("grok@4.1",), (12,), _ANY, (24, 36, 36)),
    (("grok@4.1",), (15,), _ANY, (30, 45, 45)),
    (_KLING, (5, 6, 8, 12, 15), _ANY, (7, 7, 7)),
    (_KLING, (10,), _ANY, (13, 13, 13)),
    (("kling@2.6",), (5,), True, (10, 10, 10)),
    (("kling@2.6",), (5,), False, (5, 5, 5)),
    (("kling@2.6",), (6,), True, (12, 12, 12)),
    (("kling@2.6",), (6,), False, (6, 6, 6)),
    (("kling@2.6",), (8,), True, (16, 16, 16)),
    (("kling@2.6",), (8,), False, (8, 8, 8)),
    (("kling@2.6",), (10,), True, (20, 20, 20)),
    (("kling@2.6",), (10,), False, (10, 10, 10)),
    (("kling@2.6",), (12,), True, (24, 24, 24)),
    (("kling@2.6",), (12,), False, (12, 12, 12)),
    (("kling@2.6",), (15,), True, (30, 30, 30)),
    (("kling@2.6",), (15,), False, (15, 15, 15)),
    (("seedance_pro",), (5,), _ANY, (4, 8, 15)),
    (_SEEDANCE, (6, 8, 12, 15), _ANY, (7, 7, 7)),
    (("seedance_pro",), (10,), _ANY, (8, 15, 30)),
    (("seedance_pro_fast",), (5,), _ANY, (2, 4, 7)),
    (("seedance_pro_fast",), (10,), _ANY, (4, 8, 13)),
    (("seedance_v1_5_pro",), (5,), True, (8, 8, 16)),
    (("seedance_v1_5_pro",), (5,), False, (4, 4, 8)),
    (("seedance_v1_5_pro",), (6, 8, 15), True, (8, 8, 8)),
    (("seedance_v1_5_pro",), (6, 8, 15), False, (4, 4, 4)),
    (("seedance_v1_5_pro",), (10,), True, (8, 16, 32)),
    (("seedance_v1_5_pro",), (10,), False, (4, 8, 16)),
    (("seedance_v1_5_pro",), (12,), True, (8, 20, 40)),
    (("seedance_v1_5_pro",), (12,), False, (4, 10, 20)),
    (("wan@2.2",), (5, 6, 10, 12, 15), _ANY, (10, 10, 10)),
    (("wan@2.2",), (8,), _ANY, (13, 13, 13)),
    (("wan@2.2-lora",), _ANY, _ANY, (10, 10, 10)),
    (_WAN_25_27, (5,), _ANY, (5, 10, 15)),
    (_WAN_25_27, (6,), _ANY, (6, 12, 18)),
    (_WAN_25_27, (8,), _ANY, (8, 16, 24)),
    (_WAN_25_27, (10,), _ANY, (10, 20, 30)),
    (_WAN_25_27, (12,), _ANY, (12, 24, 36)),
    (_WAN_25_27, (15,), _ANY, (15, 30, 45)),
    (("wan@2.6",), (5,), _ANY, (10, 10, 15)),
    (_WAN_26_27_NSFW, (6,), _ANY, (12, 12, 18)),
    (_WAN_26_27_NSFW, (8,), _ANY, (16, 16, 24)),
    (("wan@2.6",), (10,), _ANY, (20, 20, 30)),
    (_WAN_26_27_NSFW, (12,), _ANY, (24, 24, 36)),
    (("wan@2.6",), (15,), _ANY, (30, 30, 45)),
    (("wan@2.6-flash",), (5,), True, (5, 5, 7)),
    (("wan@2.6-flash",), (5, 6), False, (3, 3, 4)),
    (("wan@2.6-flash",), (6,), True, (6, 6, 9)),
    (("wan@2.6-flash",), (8,), True, (8, 8, 12)),
    (("wan@2.6-flash",), (8,), False, (4, 4, 6)),
    (("wan@2.6-flash",), (10,), True, (10, 10, 14)),
    (("wan@2.6-flash",), (10,), False, (5, 5, 7)),
    (("wan@2.6-flash",), (12,), True, (12, 12, 17)),
    (("wan@2.6-flash",), (12,), False, (6, 6, 8)),
    (("wan@2.6-flash",), (15,), True, (15, 15, 21)),
    (("wan@2.6-flash",), (15,), False, (8, 8, 10)),
    (("wan@2.7-nsfw",), (5,), _ANY, (10, 13, 17)),
    (("wan@2.7-nsfw",), (10,), _ANY, (20, 26, 34)),
    (("wan@2.7-nsfw",), (15,), _ANY, (30, 39, 51)),
)


def _videogen_rows() -> tuple[PriceRow, ...]:
    rows = []
    for models, durations, sound, credits in VIDEOGEN_TABLE:
        for resolution, amount in zip((_P480, _P720, _P1080), credits, strict=True):
            when = {"model": one_of(*models), "resolution": one_of(resolution)}
            if durations is not None:
                when["duration"] = one_of(*durations)
            if sound is not None:
                when["generate_audio"] = one_of(sound)
            rows.append(PriceRow(when, amount))
    return tuple(rows)


ANIMATE = Entry(
    tool=VIDEOGEN,
    command="animate",
    inputs=(
        Input("photo", InputKind.PHOTO, "ref_asset"),
        # Asked before the prompt, so the prompt (always asked) carries the options.
        Input(
            "last_frame",
            InputKind.PHOTO,
            "last_frame",
            optional=True,
            requires={"model": LAST_FRAME_MODELS},
        ),
        Input(
            "audio",
            InputKind.AUDIO,
            "audio_asset",
            optional=True,
            requires={"model": AUDIO_INPUT_MODELS},
        ),
        Input("prompt", InputKind.TEXT, "prompt", optional=True),
    ),
    options=(
        Option(
            "model",
            option_label("model"),
            labelled(texts.video_model, MODEL_BUTTONS, NSFW_VIDEO_MODELS),
            VideoModel.SEEDANCE_PRO_FAST.value,
            setting="video_model",
        ),
        Option(
            "duration",
            option_label("duration"),
            tuple(
                Choice(length, partial(texts.seconds, length)) for length in (5, 6, 8, 10, 12, 15)
            ),
            5,
            setting="video_duration",
        ),
        Option(
            "resolution",
            option_label("resolution"),
            (
                _resolution(_P480, model=_models_except(NO_480P)),
                _resolution(_P720),
                _resolution(_P1080, model=_models_except(ONLY_480P_720P)),
            ),
            _P720,
            setting="video_resolution",
        ),
        Option(
            "generate_audio",
            option_label("sound"),
            _switch(texts.sound_label),
            True,
            requires={"model": SOUND_PRICED_MODELS},
        ),
        # "LoRA styles ... as a map of LoRA id to scale settings": one style at full scale.
        Option(
            "loras",
            option_label("style"),
            source=Source.LORAS,
            scope=LORA_LIST_MODEL,
            required=True,
            wire=Wire.STYLE,
            requires={"model": LORA_MODELS},
        ),
    ),
    price=Price(_videogen_rows()),
    consent=True,
)

# --- video2video (/motion)

PER_SECOND_MODES = one_of(MotionMode.DREAMACTOR_M2.value, MotionMode.KLING_2_6_SFW.value)
OTHER_MODES = one_of(*(mode.value for mode in MotionMode)) - PER_SECOND_MODES
NSFW_MODES = one_of(MotionMode.REPLACE_NSFW.value, MotionMode.ANIMATE_NSFW.value)
MODE_BUTTONS = (
    MotionMode.REPLACE_SFW,
    MotionMode.ANIMATE_SFW,
    MotionMode.KLING_2_6_SFW,
    MotionMode.DREAMACTOR_M2,
    MotionMode.REPLACE_NSFW,
    MotionMode.ANIMATE_NSFW,
)
"""The modes in the order their buttons show, the 18+ ones last."""
MOTION_MAX_SECONDS = 30
"""`dreamactor_m2` and `kling_2_6_sfw` are "capped at 30 seconds of source video"."""
FLAT_SECONDS = 5

MOTION = Entry(
    tool=VIDEO2VIDEO,
    command="motion",
    inputs=(
        Input("character", InputKind.FACE, "image_asset"),
        Input(
            "source",
            InputKind.VIDEO,
            "video_asset",
            measure=VIDEO_SECONDS,
            links={"instagram": "instagram_url", "tiktok": "tiktok_url"},
        ),
    ),
    options=(
        Option(
            "mode",
            option_label("mode"),
            labelled(texts.motion_mode, MODE_BUTTONS, NSFW_MODES),
            MotionMode.REPLACE_SFW.value,
        ),
        Option(
            "resolution",
            option_label("resolution"),
            named("resolution", VideoResolution),
            _P720,
        ),
        Option(
            "keep_original_sound",
            option_label("sound"),
            _switch(texts.keep_sound_label),
            True,
            requires={"mode": one_of(MotionMode.KLING_2_6_SFW.value)},
        ),
    ),
    # Reading: "flat 7 credits for videos up to 5 seconds, then 1.4 credits per second" bills
    # each started second after the fifth at the rate, on top of the flat price.
    price=Price(
        (
            PriceRow(
                {"mode": one_of(MotionMode.DREAMACTOR_M2.value)},
                1,
                max_seconds=MOTION_MAX_SECONDS,
            ),
            PriceRow(
                {"mode": one_of(MotionMode.KLING_2_6_SFW.value)},
                2,
                max_seconds=MOTION_MAX_SECONDS,
            ),
            PriceRow(
                {"mode": OTHER_MODES, "resolution": one_of(_P480)},
                1.4,
                flat=7,
                flat_seconds=FLAT_SECONDS,
            ),
            PriceRow(
                {"mode": OTHER_MODES, "resolution": one_of(_P720)},
                2.8,
                flat=13,
                flat_seconds=FLAT_SECONDS,
            ),
            PriceRow({"mode": OTHER_MODES, "resolution": one_of(_P1080)}, 2.8),
        ),
        per_second=VIDEO_SECONDS,
    ),
    consent=True,
)

# --- video_upscaler (/upscalevideo)

MAX_UPSCALED_SIDE = 5120
"""Output "up to 5K on the longest side"; `max` upscales to at most 5120 px."""

UPSCALE_VIDEO = Entry(
    tool=VIDEO_UPSCALER,
    command="upscalevideo",
    inputs=(Input("video", InputKind.VIDEO, "video_asset", measure=VIDEO_SECONDS),),
    options=(
        Option(
            "scale_factor",
            option_label("scale"),
            (
                *(
                    Choice(factor.value, partial(texts.scale_factor, factor.value))
                    for factor in ScaleFactor
                    if factor.value != MAX_FACTOR
                ),
                Choice(MAX_FACTOR, partial(texts.largest_scale, MAX_UPSCALED_SIDE)),
            ),
            ScaleFactor.X2.value,
        ),
    ),
    # "2 credits x output megapixels x duration in seconds x FPS multiplier (x1 up to 30 fps,
    # x2 up to 60 fps, x3 above)"; reading: every started second counts, as for lipsync.
    price=Price(
        (PriceRow({}, 2),),
        per_second=VIDEO_SECONDS,
        enlargement=Enlargement(
            "scale_factor", MAX_UPSCALED_SIDE, fps_steps=((30, 1), (60, 2)), fps_above=3
        ),
    ),
)

# --- video_merger (/merge)

MERGE = Entry(
    tool=VIDEO_MERGER,
    command="merge",
    inputs=(
        Input("clips", InputKind.CLIPS, "clips", min_count=2, max_count=5, item_key="asset_id"),
    ),
    options=(
        Option(
            "transition",
            option_label("transition"),
            labelled(texts.transition_label, Transition),
            Transition.CUT.value,
        ),
        Option(
            "keep_audio",
            option_label("keep_audio"),
            _switch(texts.keep_sound_label),
            True,
        ),
    ),
    price=flat(1),
)
