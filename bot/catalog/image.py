"""The image tools, and face swap: every entry's inputs, options and price table.

Prices are the reference's tables row by row (tests/test_catalog.py reads the reference and
checks every row against these). Models the reference marks NSFW-capable or "trusted" are
flagged `nsfw`; each entry's default model is one that is not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import Enum
from functools import partial

from bot import texts
from bot.catalog.model import (
    Choice,
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
from bot.tools import (
    BY_PROMPT,
    BY_REF,
    CAROUSEL,
    COLLABER,
    FACEGEN,
    FACESWAP,
    IMAGE_EDITOR,
    PHOTOSHOOT,
    UPSCALER,
)
from providers.tools import (
    Age,
    Beard,
    BodyType,
    ByRefModel,
    EditorModel,
    EyeColor,
    FaceswapModel,
    FaceswapResolution,
    Gender,
    HairColor,
    HairStyle,
    HairType,
    Makeup,
    Mode,
    Origin,
    PromptModel,
    Ratio,
    UpscalerVersion,
)

NSFW_MODELS = frozenset(
    {
        PromptModel.GENERAL_NSFW.value,
        PromptModel.SDXL_NSFW.value,
        PromptModel.FLUX_KLEIN_NSFW.value,
        EditorModel.FLUX_KLEIN_LORA.value,
    }
)
"""The image models the reference marks NSFW-capable or trusted."""


def labelled(
    label: Callable[[str], str], values: Iterable[Enum], nsfw: frozenset[Value] = frozenset()
) -> tuple[Choice, ...]:
    """A choice per value, labelled (when shown) by `label(value)`."""
    return tuple(
        Choice(value.value, partial(label, value.value), nsfw=value.value in nsfw)
        for value in values
    )


def named(field: str, values: Iterable[Enum]) -> tuple[Choice, ...]:
    """A choice per value, shown as the provider names it (translated where it is words)."""
    return labelled(partial(texts.provider_value, field), values)


def option_label(key: str) -> Callable[[], str]:
    return partial(texts.option_label, key)


def counts(highest: int) -> tuple[Choice, ...]:
    return tuple(Choice(count, partial(texts.images, count)) for count in range(1, highest + 1))


def ratio_option(default: Value = Ratio.SQUARE.value, keep_source: bool = False) -> Option:
    """The output shape; an editor may also keep the source's shape (no ratio sent)."""
    choices = named("ratio", Ratio)
    if keep_source:
        return Option(
            "ratio", option_label("ratio"), (Choice(None, texts.same_as_photo), *choices)
        )
    return Option("ratio", option_label("ratio"), choices, default, setting="ratio")


def count_option(field: str, highest: int, default: int = 1, setting: bool = True) -> Option:
    return Option(
        field,
        option_label("count"),
        counts(highest),
        default,
        setting="image_count" if setting else None,
    )


def attribute(field: str, values: type[Enum]) -> Option:
    """One of facegen's optional attributes: any (the provider's choice) or a value."""
    choices = (Choice(None, texts.any_value), *named(field, values))
    return Option(field, option_label(field), choices, None, more=True)


FACESWAP_ENTRY = Entry(
    tool=FACESWAP,
    command="faceswap",
    inputs=(
        Input("face", InputKind.FACE, "face_asset"),
        Input("target", InputKind.PHOTO, "ref_asset"),
    ),
    options=(
        Option(
            "model",
            option_label("model"),
            labelled(texts.faceswap_model, FaceswapModel),
            FaceswapModel.SDXL.value,
            setting="faceswap_model",
        ),
        Option(
            "resolution",
            option_label("resolution"),
            named("resolution", FaceswapResolution),
            FaceswapResolution.R4K.value,
            setting="faceswap_resolution",
        ),
    ),
    price=flat(1),
    consent=True,
)

IMAGINE = Entry(
    tool=BY_PROMPT,
    command="imagine",
    inputs=(Input("prompt", InputKind.TEXT, "positive_prompt"),),
    options=(
        Option(
            "model",
            option_label("model"),
            labelled(texts.image_model, PromptModel, NSFW_MODELS),
            PromptModel.GENERAL_SFW.value,
            setting="image_model",
        ),
        ratio_option(),
        Option(
            "mode",
            option_label("mode"),
            labelled(texts.mode_label, Mode),
            Mode.FAST.value,
        ),
        count_option("batch_size", 4),
        Option("loras", option_label("style"), source=Source.STYLES, wire=Wire.STYLE),
    ),
    price=Price(
        (
            PriceRow(
                {
                    "model": one_of(
                        "FLUX_KLEIN_NSFW", "NANO_BANANA", "QWEN_IMAGE_PRO", "WAN_2_7_IMAGE_PRO"
                    )
                },
                2,
            ),
            PriceRow(
                {
                    "model": one_of(
                        "GENERAL_NSFW",
                        "GENERAL_SFW",
                        "QWEN_IMAGE",
                        "SEEDREAM_5",
                        "WAN",
                        "WAN_2_7_IMAGE",
                    )
                },
                1,
            ),
            PriceRow({"model": one_of("SDXL_NSFW"), "mode": one_of("fast")}, 1),
            PriceRow({"model": one_of("SDXL_NSFW"), "mode": one_of("quality")}, 2),
        )
    ),
)

EDIT = Entry(
    tool=IMAGE_EDITOR,
    command="edit",
    inputs=(
        Input("photos", InputKind.PHOTOS, "image_assets", max_count=10),
        Input("instruction", InputKind.TEXT, "prompt"),
    ),
    options=(
        Option(
            "model",
            option_label("model"),
            labelled(texts.image_model, EditorModel, NSFW_MODELS),
            EditorModel.SEEDREAM_5.value,
            setting="image_model",
        ),
        Option(
            "lora_id",
            option_label("template"),
            source=Source.TEMPLATES,
            required=True,
            requires={"model": one_of(EditorModel.FLUX_KLEIN_LORA.value)},
        ),
        ratio_option(keep_source=True),
        count_option("number_of_images", 4),
    ),
    price=Price(
        (
            PriceRow({"model": one_of("FLUX_KLEIN_LORA")}, 3),
            PriceRow(
                {
                    "model": one_of(
                        "FLUX_KLEIN_NSFW",
                        "GENERAL_NSFW",
                        "QWEN_IMAGE",
                        "SEEDREAM_5",
                        "WAN_2_7_IMAGE",
                    )
                },
                1,
            ),
            PriceRow({"model": one_of("NANO_BANANA")}, 4),
            PriceRow({"model": one_of("QWEN_IMAGE_PRO", "WAN_2_7_IMAGE_PRO")}, 2),
        ),
        per_count="number_of_images",
    ),
    consent=True,
)

_EXCEPT_8 = one_of(4, 16, 24, 32)
UPSCALE = Entry(
    tool=UPSCALER,
    command="upscale",
    inputs=(Input("photo", InputKind.PHOTO, "image_asset"),),
    options=(
        Option(
            "version",
            option_label("version"),
            labelled(texts.upscaler_version, UpscalerVersion),
            UpscalerVersion.BASIC.value,
        ),
        Option(
            "megapixels",
            option_label("megapixels"),
            tuple(Choice(size, partial(texts.megapixels, size)) for size in (4, 8, 16, 24, 32)),
            4,
        ),
    ),
    price=Price(
        (
            PriceRow({"version": one_of("basic", "basic_safe_face"), "megapixels": _EXCEPT_8}, 1),
            PriceRow({"version": one_of("basic", "basic_safe_face"), "megapixels": one_of(8)}, 2),
            PriceRow({"version": one_of("natural_clarity")}, 1),
            PriceRow(
                {
                    "version": one_of("premium_realism", "premium_safe_face"),
                    "megapixels": _EXCEPT_8,
                },
                2,
            ),
            PriceRow(
                {
                    "version": one_of("premium_realism", "premium_safe_face"),
                    "megapixels": one_of(8),
                },
                4,
            ),
            PriceRow({"version": one_of("ultra_clarity"), "megapixels": one_of(4, 8)}, 1),
            PriceRow({"version": one_of("ultra_clarity"), "megapixels": one_of(16)}, 2),
            PriceRow({"version": one_of("ultra_clarity"), "megapixels": one_of(24)}, 3),
            PriceRow({"version": one_of("ultra_clarity"), "megapixels": one_of(32)}, 4),
        )
    ),
)

SIMILAR = Entry(
    tool=BY_REF,
    command="similar",
    inputs=(
        Input("reference", InputKind.PHOTO, "ref_asset"),
        # Only GENERAL carries a face into the shot; SDXL takes the photo alone.
        Input(
            "face",
            InputKind.FACE,
            "face_asset",
            optional=True,
            requires={"model": one_of(ByRefModel.GENERAL.value)},
        ),
    ),
    options=(
        Option(
            "model",
            option_label("model"),
            labelled(texts.similar_model, ByRefModel, one_of(ByRefModel.SDXL.value)),
            ByRefModel.GENERAL.value,
        ),
        Option(
            "mode",
            option_label("mode"),
            labelled(texts.mode_label, Mode),
            Mode.FAST.value,
        ),
        Option(
            "strength",
            option_label("strength"),
            tuple(
                Choice(value, partial(texts.strength_label, value)) for value in (0.5, 0.75, 1.0)
            ),
            1.0,
        ),
        count_option("batch_size", 4),
        Option("loras", option_label("style"), source=Source.STYLES, wire=Wire.STYLE),
    ),
    price=Price(
        (
            PriceRow({"model": one_of("GENERAL")}, 1),
            PriceRow({"model": one_of("SDXL"), "mode": one_of("fast")}, 1),
            PriceRow({"model": one_of("SDXL"), "mode": one_of("quality")}, 2),
        )
    ),
    consent=True,
)

PHOTOSHOOT_ENTRY = Entry(
    tool=PHOTOSHOOT,
    command="photoshoot",
    inputs=(
        Input("face", InputKind.FACE, "face_ref"),
        Input("body", InputKind.PHOTO, "body_ref"),
        Input(
            "category",
            InputKind.CATEGORY,
            "category_id",
            source=Source.PHOTOSHOOT_CATEGORIES,
            text_field="prompt",
        ),
    ),
    options=(count_option("image_count", 8, setting=False), ratio_option()),
    price=flat(3, per_count="image_count"),
    consent=True,
)

FACEGEN_ENTRY = Entry(
    tool=FACEGEN,
    command="facegen",
    inputs=(
        Input(
            "gender",
            InputKind.CHOICE,
            "gender",
            choices=labelled(texts.gender_label, Gender),
        ),
        Input(
            "age",
            InputKind.CHOICE,
            "age",
            choices=named("age", Age),
        ),
        Input(
            "origin",
            InputKind.CHOICE,
            "origin",
            choices=named("origin", Origin),
        ),
    ),
    options=(
        attribute("body_type", BodyType),
        attribute("eye_color", EyeColor),
        attribute("hair_color", HairColor),
        attribute("hair_type", HairType),
        attribute("hair_style", HairStyle),
        attribute("beard", Beard),
        attribute("beard_color", HairColor),
        attribute("makeup", Makeup),
    ),
    price=flat(1),
)

ANGLES = Entry(
    tool=CAROUSEL,
    command="angles",
    inputs=(Input("photo", InputKind.PHOTO, "asset_ref"),),
    options=(count_option("number_of_images", 10, default=4, setting=False), ratio_option()),
    price=flat(1, per_count="number_of_images"),
)

TOGETHER = Entry(
    tool=COLLABER,
    command="together",
    inputs=(
        Input("first", InputKind.FACE, "asset_image_1"),
        Input("second", InputKind.FACE, "asset_image_2"),
        Input("location", InputKind.PHOTO, "location_asset", optional=True),
        Input("prompt", InputKind.TEXT, "prompt", optional=True),
    ),
    options=(count_option("number_of_images", 4), ratio_option()),
    price=flat(1, per_count="number_of_images"),
    consent=True,
)
