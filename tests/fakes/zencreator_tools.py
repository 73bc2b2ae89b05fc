"""ZenCreator's tool catalog as the fake implements it: every tool's input fields, the rules
that cross fields, its price and how many outputs it makes.

Read from /work/shared/reference/zencreator-public-api.md and nothing else: the fake is an
independent implementation of the provider, so nothing here comes from the bot's own
catalog or price code. Each tool is one `ToolSpec`:

* `fields`: name, type (``string``, ``integer``, ``number``, ``boolean``, ``object``,
  ``string[]``, ``object[]``), required or default, nullable, ``one of`` choices, bounds,
  and for asset ids the media type the asset must have;
* `rules`: what the reference says across fields (a model that takes no ``480p``, one source
  of exactly three, ...);
* `price`: credits charged on acceptance, from the reference's table or rule, as data;
* `outputs`: how many files a success produces.

`accept(tool, input, context)` refuses a bad input with a 422 whose message starts with the
field (``invalid(field, reason)``) and returns the price and output count. Unknown fields
are refused. The reference leaves some points open; the reading taken is written next to
the code, after "Reading:".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from tests.fakes.canned import ApiError, invalid

JSON = dict[str, Any]
FieldType = Literal["string", "integer", "number", "boolean", "object", "string[]", "object[]"]
OutputKind = Literal["image", "video"]

RATIOS = ("16:9", "1:1", "21:9", "2:3", "3:2", "3:4", "4:3", "9:16")
MODES = ("fast", "quality")
RESOLUTIONS = ("1080p", "480p", "720p")
BODY_SHAPE_LORAS = ("athletic", "curvy", "petite", "slim")
"""The names `by_prompt` and `by_ref` list as keys of their `loras` field (the reference
says the allowed names are listed in the tool's schema without printing them)."""

MAX_LIPSYNC_AUDIO_SECONDS = 35.0
MAX_LIPSYNC_IMAGE_BYTES = 5 * 1024 * 1024
FACEGEN_VARIANTS = 4
"""Reading: "returns several variants per request"; the fake returns four."""
MAX_UPSCALED_SIDE = 5120
LINK_SOURCE_CAP_SECONDS = 30
"""`dreamactor_m2` and `kling_2_6_sfw` bill at most 30 s of source video."""


class StoredMedia(Protocol):
    """What the fake knows of a stored asset (an upload or an earlier output)."""

    media_type: str
    content_type: str
    data: bytes
    duration: float | None
    width: int | None
    height: int | None
    fps: float | None


@dataclass(frozen=True)
class Context:
    """The provider state an input is checked against."""

    assets: Mapping[str, StoredMedia]
    link_seconds: Callable[[str], float]
    """How long the video behind an Instagram/TikTok URL is."""
    loras: Sequence[JSON]
    templates: Sequence[JSON]
    categories: Sequence[JSON]


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    required: bool = False
    default: Any = None
    nullable: bool = False
    choices: tuple[Any, ...] = ()
    media: str | None = None
    """An asset id (or for ``string[]``, asset ids) of this media type."""
    minimum: float | None = None
    maximum: float | None = None
    min_items: int | None = None
    max_items: int | None = None
    keys: tuple[str, ...] = ()
    """For an ``object`` map: the only keys it may have (none listed: any key)."""
    non_empty: bool = False

    def schema(self) -> JSON:
        """This field as JSON Schema, for `GET /tools`."""
        if self.type.endswith("[]"):
            item: JSON = {"type": self.type[:-2]}
            schema: JSON = {"type": "array", "items": item}
        else:
            schema = {"type": self.type}
        if self.nullable:
            schema["type"] = [schema["type"], "null"]
        if self.choices:
            schema["enum"] = list(self.choices)
        if not self.required:
            schema["default"] = self.default
        for key, value in (
            ("minimum", self.minimum),
            ("maximum", self.maximum),
            ("minItems", self.min_items),
            ("maxItems", self.max_items),
        ):
            if value is not None:
                schema[key] = value
        if self.keys:
            schema["properties"] = {key: {"type": "number"} for key in self.keys}
            schema["additionalProperties"] = False
        return schema


Inputs = Mapping[str, Any]
"""An input with every field present: what was sent, and defaults for the rest."""


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    output: OutputKind
    many: bool
    """Outputs listed as ``image_assets`` (an array) rather than one asset."""
    fields: tuple[Field, ...]
    price: Callable[[Inputs, Context], float]
    price_text: str
    outputs: Callable[[Inputs], int] = field(default=lambda _: 1)
    rules: Callable[[Inputs, Context], None] = field(default=lambda _, __: None)

    def as_json(self) -> JSON:
        """The tool as `GET /tools` lists it."""
        if self.many:
            output = {"image_assets": "array[string]"}
        else:
            output = {f"{self.output}_asset": "string"}
        return {
            "name": self.name,
            "description": self.description,
            "price": self.price_text,
            "input_schema": {
                "type": "object",
                "properties": {f.name: f.schema() for f in self.fields},
                "required": [f.name for f in self.fields if f.required],
                "additionalProperties": False,
            },
            "outputs": output,
        }


@dataclass(frozen=True)
class Acceptance:
    price: float
    outputs: int


def accept(tool: ToolSpec, tool_input: JSON, context: Context) -> Acceptance:
    """Validate `tool_input` as the tool's schema and rules would; return what it costs."""
    names = {f.name for f in tool.fields}
    for name in tool_input:
        if name not in names:
            raise invalid(name, "unknown field")
    values: dict[str, Any] = {}
    for spec in tool.fields:
        if spec.name in tool_input:
            values[spec.name] = _check(spec, tool_input[spec.name], context)
        elif spec.required:
            raise invalid(spec.name, "field required")
        else:
            values[spec.name] = spec.default
    tool.rules(values, context)
    return Acceptance(round(float(tool.price(values, context)), 2), tool.outputs(values))


# --- Field checks

_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "string[]": "an array of strings",
    "object[]": "an array of objects",
}


def _is(value: Any, type_name: str) -> bool:
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_name == "boolean":
        return isinstance(value, bool)
    if type_name == "object":
        return isinstance(value, dict)
    item_type = type_name[:-2]
    return isinstance(value, list) and all(_is(item, item_type) for item in value)


def _check(spec: Field, value: Any, context: Context) -> Any:
    if value is None:
        if spec.nullable:
            return None
        raise invalid(spec.name, f"must be {_TYPE_NAMES[spec.type]}, not null")
    if not _is(value, spec.type):
        raise invalid(spec.name, f"must be {_TYPE_NAMES[spec.type]}")
    if spec.choices and value not in spec.choices:
        raise invalid(spec.name, f"must be one of {' | '.join(map(str, spec.choices))}")
    if spec.minimum is not None and value < spec.minimum:
        raise invalid(spec.name, f"must be at least {spec.minimum:g}")
    if spec.maximum is not None and value > spec.maximum:
        raise invalid(spec.name, f"must be at most {spec.maximum:g}")
    if spec.non_empty and not value.strip():
        raise invalid(spec.name, "must not be empty")
    if spec.min_items is not None and len(value) < spec.min_items:
        raise invalid(spec.name, f"needs at least {spec.min_items} items")
    if spec.max_items is not None and len(value) > spec.max_items:
        raise invalid(spec.name, f"takes at most {spec.max_items} items")
    if spec.type == "object" and spec.keys:
        _check_strengths(spec.name, value, spec.keys)
    if spec.media is not None:
        for index, asset_id in enumerate(value if isinstance(value, list) else [value]):
            where = f"item {index + 1}: " if isinstance(value, list) else ""
            stored_asset(context, spec.name, asset_id, spec.media, where)
    return value


def stored_asset(
    context: Context, name: str, asset_id: str, media_type: str, where: str = ""
) -> StoredMedia:
    """The stored asset `asset_id`, which must be of `media_type`; else a 422 on `name`."""
    asset = context.assets.get(asset_id)
    if asset is None:
        raise invalid(name, f"{where}no asset {asset_id!r}")
    if asset.media_type != media_type:
        raise invalid(name, f"{where}must be an {media_type} asset, not {asset.media_type}")
    return asset


def _check_strengths(name: str, value: Mapping[str, Any], allowed: Collection[str]) -> None:
    """A `loras` map of LoRA name to strength."""
    for key, strength in value.items():
        if key not in allowed:
            raise invalid(name, f"unknown LoRA {key!r}; one of {' | '.join(allowed)}")
        if not _is(strength, "number"):
            raise invalid(name, f"the strength of {key!r} must be a number")


def _started_seconds(seconds: float) -> int:
    """Reading: per-second prices count every started second (3.2 s bills as 4)."""
    return math.ceil(round(seconds, 3))


# --- Price tables, as the reference prints them: each row is (column alternatives, credits)
# with None for *any*; the first row whose every column matches gives the price.

Row = tuple[tuple[tuple[Any, ...] | None, ...], Any]


def _look_up(table: Sequence[Row], *values: Any) -> Any:
    for columns, credits in table:
        if all(
            alternatives is None or value in alternatives
            for value, alternatives in zip(values, columns, strict=True)
        ):
            return credits
    return None


# --- upscaler

UPSCALER_VERSIONS = (
    "basic",
    "basic_safe_face",
    "natural_clarity",
    "premium_realism",
    "premium_safe_face",
    "ultra_clarity",
)
UPSCALER_PRICES: tuple[Row, ...] = (
    ((("basic", "basic_safe_face"), (4, 16, 24, 32)), 1),
    ((("basic", "basic_safe_face"), (8,)), 2),
    ((("natural_clarity",), None), 1),
    ((("premium_realism", "premium_safe_face"), (4, 16, 24, 32)), 2),
    ((("premium_realism", "premium_safe_face"), (8,)), 4),
    ((("ultra_clarity",), (4, 8)), 1),
    ((("ultra_clarity",), (16,)), 2),
    ((("ultra_clarity",), (24,)), 3),
    ((("ultra_clarity",), (32,)), 4),
)

UPSCALER = ToolSpec(
    name="upscaler",
    description="Increase the resolution of an existing image while restoring or adding detail.",
    output="image",
    many=False,
    fields=(
        Field("image_asset", "string", required=True, media="image"),
        Field("version", "string", default="basic", choices=UPSCALER_VERSIONS),
        Field("megapixels", "integer", default=4, choices=(4, 8, 16, 24, 32)),
        Field("creativity", "integer", default=3, choices=(0, 1, 2, 3, 4, 5)),
    ),
    price=lambda v, _: _look_up(UPSCALER_PRICES, v["version"], v["megapixels"]),
    price_text="by version and megapixels",
)

# --- faceswap

FACESWAP = ToolSpec(
    name="faceswap",
    description="Swap a face on a photo: the face from face_asset onto the person in ref_asset.",
    output="image",
    many=False,
    fields=(
        Field("ref_asset", "string", required=True, media="image"),
        Field("face_asset", "string", required=True, media="image"),
        Field(
            "model",
            "string",
            default="SDXL",
            choices=("FULL_HEAD", "GENERAL", "GENERAL_ADVANCED", "SDXL"),
        ),
        Field("resolution", "string", default="4K", choices=("2K", "4K")),
    ),
    price=lambda _, __: 1,
    price_text="1 credit",
)

# --- by_prompt

BY_PROMPT_MODELS = (
    "FLUX_KLEIN_NSFW",
    "GENERAL_NSFW",
    "GENERAL_SFW",
    "NANO_BANANA",
    "QWEN_IMAGE",
    "QWEN_IMAGE_PRO",
    "SDXL_NSFW",
    "SEEDREAM_5",
    "WAN",
    "WAN_2_7_IMAGE",
    "WAN_2_7_IMAGE_PRO",
)
BY_PROMPT_PRICES: tuple[Row, ...] = (
    ((("FLUX_KLEIN_NSFW", "NANO_BANANA", "QWEN_IMAGE_PRO", "WAN_2_7_IMAGE_PRO"), None), 2),
    (
        (
            ("GENERAL_NSFW", "GENERAL_SFW", "QWEN_IMAGE", "SEEDREAM_5", "WAN", "WAN_2_7_IMAGE"),
            None,
        ),
        1,
    ),
    ((("SDXL_NSFW",), ("fast",)), 1),
    ((("SDXL_NSFW",), ("quality",)), 2),
)

BY_PROMPT = ToolSpec(
    name="by_prompt",
    description="Generate an image from a text prompt, with no input image.",
    output="image",
    many=False,
    fields=(
        Field("positive_prompt", "string", required=True, non_empty=True),
        Field("negative_prompt", "string", default=""),
        Field("loras", "object", nullable=True, keys=BODY_SHAPE_LORAS),
        Field("batch_size", "integer", default=1, minimum=1),
        Field("model", "string", default="GENERAL_NSFW", choices=BY_PROMPT_MODELS),
        Field("ratio", "string", default="1:1", choices=RATIOS),
        Field("mode", "string", default="fast", choices=MODES),
        Field("width", "integer", nullable=True, minimum=1),
        Field("height", "integer", nullable=True, minimum=1),
    ),
    # Reading: the table prices a call, not an image: unlike image_editor, collaber or
    # carousel the reference does not multiply by the batch.
    price=lambda v, _: _look_up(BY_PROMPT_PRICES, v["model"], v["mode"]),
    price_text="by model and mode",
    outputs=lambda v: v["batch_size"],
)

# --- by_ref

BY_REF_PRICES: tuple[Row, ...] = (
    ((("GENERAL",), None), 1),
    ((("SDXL",), ("fast",)), 1),
    ((("SDXL",), ("quality",)), 2),
)

BY_REF = ToolSpec(
    name="by_ref",
    description="Generate a similar image from a reference photo (image-to-image).",
    output="image",
    many=True,
    fields=(
        Field("ref_asset", "string", required=True, media="image"),
        Field("face_asset", "string", nullable=True, media="image"),
        Field("model", "string", default="SDXL", choices=("GENERAL", "SDXL")),
        Field("mode", "string", default="fast", choices=MODES),
        Field("positive_prompt", "string", default=""),
        Field("negative_prompt", "string", default=""),
        Field("batch_size", "integer", default=4, minimum=1, maximum=10),
        Field("strength", "number", default=1.0, minimum=0.0, maximum=1.0),
        Field("keep_pose", "boolean", default=False),
        Field("swap_background", "boolean", default=False),
        Field("loras", "object", nullable=True, keys=BODY_SHAPE_LORAS),
    ),
    price=lambda v, _: _look_up(BY_REF_PRICES, v["model"], v["mode"]),
    price_text="by model and mode",
    outputs=lambda v: v["batch_size"],
)

# --- photoshoot


def _photoshoot_rules(values: Inputs, context: Context) -> None:
    category = values["category_id"]
    if category is not None:
        if category not in {c["id"] for c in context.categories}:
            raise invalid("category_id", f"no photoshoot category {category!r}")
    elif not values["prompt"].strip():
        # Reading: "provide prompt for a custom shot, or category_id": one of them is needed.
        raise invalid("prompt", "give a prompt or a category_id")


def _photoshoot_images(values: Inputs) -> int:
    # Reading: image_count shots of number_of_images parallel images each, 3 credits per
    # image: "3 per image x number_of_images" and "3 per image x image_count" both hold.
    count: int = values["image_count"] * values["number_of_images"]
    return count


PHOTOSHOOT = ToolSpec(
    name="photoshoot",
    description="A consistent photoshoot of one character from a face photo and a body photo.",
    output="image",
    many=True,
    fields=(
        Field("face_ref", "string", required=True, media="image"),
        Field("body_ref", "string", required=True, media="image"),
        Field("prompt", "string", default=""),
        Field("category_id", "string", nullable=True),
        Field("image_count", "integer", default=1, minimum=1),
        Field("ratio", "string", default="1:1", choices=RATIOS),
        Field("width", "integer", default=1024, minimum=1),
        Field("height", "integer", default=1024, minimum=1),
        Field("number_of_images", "integer", default=1, minimum=1),
    ),
    price=lambda v, _: 3 * _photoshoot_images(v),
    price_text="3 credits per image",
    outputs=_photoshoot_images,
    rules=_photoshoot_rules,
)

# --- facegen

HAIR_COLORS = (
    "Black",
    "Blonde",
    "Blue",
    "Brunette",
    "Gray",
    "Green",
    "Honey",
    "Ombre",
    "Pink",
    "Platinum",
    "Red",
    "Salt and Pepper",
    "Violet",
)
FACEGEN = ToolSpec(
    name="facegen",
    description="Generate a brand-new face from structured attributes.",
    output="image",
    many=True,
    fields=(
        Field("gender", "string", required=True, choices=("Female", "Male")),
        Field(
            "age",
            "string",
            required=True,
            choices=("18-25", "26-35", "36-45", "46-55", "56-65", "66-75", "75-85", "85+"),
        ),
        Field(
            "origin",
            "string",
            required=True,
            choices=(
                "Central American",
                "Central Asian",
                "East Asian",
                "European",
                "Middle Eastern",
                "North African",
                "North American",
                "Oceanian / Pacific Islander",
                "South American",
                "South Asian",
                "Southeast Asian",
            ),
        ),
        Field(
            "body_type",
            "string",
            nullable=True,
            choices=("Chubby", "Curvy", "Fit", "Muscular", "Normal", "Slim"),
        ),
        Field(
            "eye_color",
            "string",
            nullable=True,
            choices=(
                "Albino",
                "Amber",
                "Blue",
                "Brown",
                "Gray",
                "Green",
                "Hazel",
                "Heterochromia",
                "Red",
                "Violet",
            ),
        ),
        Field("hair_color", "string", nullable=True, choices=HAIR_COLORS),
        Field(
            "hair_type",
            "string",
            nullable=True,
            choices=(
                "Bald",
                "Coily",
                "Curly",
                "Frizzy",
                "Silky",
                "Straight",
                "Thick",
                "Thin",
                "Wavy",
            ),
        ),
        Field(
            "hair_style",
            "string",
            nullable=True,
            choices=(
                "Afro",
                "Bob",
                "Bowl",
                "Braids",
                "Bun",
                "Buzzcut",
                "Caesar",
                "Mohawk",
                "Pigtails",
                "Pixie",
                "Ponytail",
                "Shag",
                "Undercut",
                "Updo",
            ),
        ),
        Field(
            "beard",
            "string",
            nullable=True,
            choices=(
                "Anchor Beard",
                "Balbo Beard",
                "Chevron Mustache",
                "Chinstrap Beard",
                "Circle Beard",
                "Corporate Beard",
                "Ducktail Beard",
                "Friendly Mutton Chops",
                "Full Beard",
                "Garibaldi Beard",
                "Goatee",
                "Handlebar Mustache",
                "Horseshoe Mustache",
                "Imperial Mustache",
                "Mutton Chops",
                "Pencil Mustache",
                "Soul Patch",
                "Stubble Beard",
                "Van Dyke Beard",
                "Zappa Mustache",
            ),
        ),
        Field("beard_color", "string", nullable=True, choices=HAIR_COLORS),
        Field(
            "makeup",
            "string",
            nullable=True,
            choices=(
                "Anime Makeup",
                "Artistic Makeup",
                "Avant-garde Makeup",
                "Bohemian Makeup",
                "Boho Makeup",
                "Classic Makeup",
                "Cut Crease Makeup",
                "Dewy Makeup",
                "Edgy Makeup",
                "Festival Makeup",
                "Glam Makeup",
                "Glowy Makeup",
                "Golden Makeup",
                "Monochromatic Makeup",
                "Natural Makeup",
                "Party Makeup",
                "Retro Makeup",
                "Sunset Eye Makeup",
                "Vintage Makeup",
                "Watercolor Makeup",
            ),
        ),
    ),
    price=lambda _, __: 1,
    price_text="1 credit",
    outputs=lambda _: FACEGEN_VARIANTS,
)

# --- carousel

CAROUSEL = ToolSpec(
    name="carousel",
    description="The same subject from different camera angles (up to 10).",
    output="image",
    many=True,
    fields=(
        Field("asset_ref", "string", required=True, media="image"),
        Field("ratio", "string", default="1:1", choices=RATIOS),
        Field("width", "integer", default=1024, minimum=1),
        Field("height", "integer", default=1024, minimum=1),
        Field("number_of_images", "integer", default=4, minimum=1, maximum=10),
    ),
    price=lambda v, _: v["number_of_images"],
    price_text="1 credit per image",
    outputs=lambda v: v["number_of_images"],
)

# --- videogen

VIDEOGEN_MODELS = (
    "grok@4.1",
    "kling@1.6",
    "kling@2.1",
    "kling@2.5",
    "kling@2.6",
    "seedance_pro",
    "seedance_pro_fast",
    "seedance_v1_5_pro",
    "wan@2.2",
    "wan@2.2-lora",
    "wan@2.5",
    "wan@2.6",
    "wan@2.6-flash",
    "wan@2.7",
    "wan@2.7-nsfw",
)
VIDEOGEN_NO_480P = ("wan@2.6", "wan@2.6-flash", "wan@2.7", "wan@2.7-nsfw", "seedance_v1_5_pro")
VIDEOGEN_ONLY_480P_720P = ("grok@4.1",)
VIDEOGEN_LAST_FRAME = ("kling@2.1", "seedance_pro", "seedance_v1_5_pro")
VIDEOGEN_LORAS = ("wan@2.2-lora",)
LORA_MODEL_OF = {"wan@2.2-lora": "wan@2.2"}
"""The `GET /loras?model=` a videogen model's `loras` come from."""

_KLING = ("kling@1.6", "kling@2.1", "kling@2.5")
_WAN_25_27 = ("wan@2.5", "wan@2.7")
_WAN_26_27_NSFW = ("wan@2.6", "wan@2.7-nsfw")
_SEEDANCE = ("seedance_pro", "seedance_pro_fast")
_YES, _NO = (True,), (False,)

# (model, duration, generate_audio) -> credits at (480p, 720p, 1080p)
VIDEOGEN_PRICES: tuple[Row, ...] = (
    ((("grok@4.1",), (5,), None), (10, 15, 15)),
    ((("grok@4.1",), (6,), None), (12, 18, 18)),
    ((("grok@4.1",), (8,), None), (16, 24, 24)),
    ((("grok@4.1",), (10,), None), (20, 30, 30)),
    ((("grok@4.1",), (12,), None), (24, 36, 36)),
    ((("grok@4.1",), (15,), None), (30, 45, 45)),
    ((_KLING, (5, 6, 8, 12, 15), None), (7, 7, 7)),
    ((_KLING, (10,), None), (13, 13, 13)),
    ((("kling@2.6",), (5,), _YES), (10, 10, 10)),
    ((("kling@2.6",), (5,), _NO), (5, 5, 5)),
    ((("kling@2.6",), (6,), _YES), (12, 12, 12)),
    ((("kling@2.6",), (6,), _NO), (6, 6, 6)),
    ((("kling@2.6",), (8,), _YES), (16, 16, 16)),
    ((("kling@2.6",), (8,), _NO), (8, 8, 8)),
    ((("kling@2.6",), (10,), _YES), (20, 20, 20)),
    ((("kling@2.6",), (10,), _NO), (10, 10, 10)),
    ((("kling@2.6",), (12,), _YES), (24, 24, 24)),
    ((("kling@2.6",), (12,), _NO), (12, 12, 12)),
    ((("kling@2.6",), (15,), _YES), (30, 30, 30)),
    ((("kling@2.6",), (15,), _NO), (15, 15, 15)),
    ((("seedance_pro",), (5,), None), (4, 8, 15)),
    ((_SEEDANCE, (6, 8, 12, 15), None), (7, 7, 7)),
    ((("seedance_pro",), (10,), None), (8, 15, 30)),
    ((("seedance_pro_fast",), (5,), None), (2, 4, 7)),
    ((("seedance_pro_fast",), (10,), None), (4, 8, 13)),
    ((("seedance_v1_5_pro",), (5,), _YES), (8, 8, 16)),
    ((("seedance_v1_5_pro",), (5,), _NO), (4, 4, 8)),
    ((("seedance_v1_5_pro",), (6, 8, 15), _YES), (8, 8, 8)),
    ((("seedance_v1_5_pro",), (6, 8, 15), _NO), (4, 4, 4)),
    ((("seedance_v1_5_pro",), (10,), _YES), (8, 16, 32)),
    ((("seedance_v1_5_pro",), (10,), _NO), (4, 8, 16)),
    ((("seedance_v1_5_pro",), (12,), _YES), (8, 20, 40)),
    ((("seedance_v1_5_pro",), (12,), _NO), (4, 10, 20)),
    ((("wan@2.2",), (5, 6, 10, 12, 15), None), (10, 10, 10)),
    ((("wan@2.2",), (8,), None), (13, 13, 13)),
    ((("wan@2.2-lora",), None, None), (10, 10, 10)),
    ((_WAN_25_27, (5,), None), (5, 10, 15)),
    ((_WAN_25_27, (6,), None), (6, 12, 18)),
    ((_WAN_25_27, (8,), None), (8, 16, 24)),
    ((_WAN_25_27, (10,), None), (10, 20, 30)),
    ((_WAN_25_27, (12,), None), (12, 24, 36)),
    ((_WAN_25_27, (15,), None), (15, 30, 45)),
    ((("wan@2.6",), (5,), None), (10, 10, 15)),
    ((_WAN_26_27_NSFW, (6,), None), (12, 12, 18)),
    ((_WAN_26_27_NSFW, (8,), None), (16, 16, 24)),
    ((("wan@2.6",), (10,), None), (20, 20, 30)),
    ((_WAN_26_27_NSFW, (12,), None), (24, 24, 36)),
    ((("wan@2.6",), (15,), None), (30, 30, 45)),
    ((("wan@2.6-flash",), (5,), _YES), (5, 5, 7)),
    ((("wan@2.6-flash",), (5, 6), _NO), (3, 3, 4)),
    ((("wan@2.6-flash",), (6,), _YES), (6, 6, 9)),
    ((("wan@2.6-flash",), (8,), _YES), (8, 8, 12)),
    ((("wan@2.6-flash",), (8,), _NO), (4, 4, 6)),
    ((("wan@2.6-flash",), (10,), _YES), (10, 10, 14)),
    ((("wan@2.6-flash",), (10,), _NO), (5, 5, 7)),
    ((("wan@2.6-flash",), (12,), _YES), (12, 12, 17)),
    ((("wan@2.6-flash",), (12,), _NO), (6, 6, 8)),
    ((("wan@2.6-flash",), (15,), _YES), (15, 15, 21)),
    ((("wan@2.6-flash",), (15,), _NO), (8, 8, 10)),
    ((("wan@2.7-nsfw",), (5,), None), (10, 13, 17)),
    ((("wan@2.7-nsfw",), (10,), None), (20, 26, 34)),
    ((("wan@2.7-nsfw",), (15,), None), (30, 39, 51)),
)
_RESOLUTION_COLUMN = {"480p": 0, "720p": 1, "1080p": 2}


def _videogen_price(values: Inputs, _: Context) -> float:
    model, duration = values["model"], values["duration"]
    credits = _look_up(VIDEOGEN_PRICES, model, duration, values["generate_audio"])
    if credits is None:
        raise invalid("duration", f"{model} has no price for {duration} s")
    price: float = credits[_RESOLUTION_COLUMN[values["resolution"]]]
    return price


def _videogen_rules(values: Inputs, context: Context) -> None:
    model, resolution = values["model"], values["resolution"]
    if resolution == "480p" and model in VIDEOGEN_NO_480P:
        raise invalid("resolution", f"{model} does not support 480p; use 720p or 1080p")
    if model in VIDEOGEN_ONLY_480P_720P and resolution not in ("480p", "720p"):
        raise invalid("resolution", f"{model} accepts only 480p or 720p")
    if values["last_frame"] is not None and model not in VIDEOGEN_LAST_FRAME:
        raise invalid(
            "last_frame", f"{model} takes no last frame; only {', '.join(VIDEOGEN_LAST_FRAME)}"
        )
    loras = values["loras"]
    if loras is not None:
        if model not in VIDEOGEN_LORAS:
            raise invalid("loras", f"{model} takes no loras; only {', '.join(VIDEOGEN_LORAS)}")
        listed = {lora["id"] for lora in context.loras if lora["model"] == LORA_MODEL_OF[model]}
        for lora_id, scale in loras.items():
            if lora_id not in listed:
                raise invalid("loras", f"no LoRA {lora_id!r} for {LORA_MODEL_OF[model]}")
            # Reading: "scale settings" is a number or an object of numbers.
            if not (_is(scale, "number") or _is(scale, "object")):
                raise invalid("loras", f"the scale of {lora_id!r} must be a number or an object")


VIDEOGEN = ToolSpec(
    name="videogen",
    description="Animate a photo into a video (image-to-video).",
    output="video",
    many=False,
    fields=(
        Field("ref_asset", "string", required=True, media="image"),
        Field("model", "string", default="wan@2.2", choices=VIDEOGEN_MODELS),
        Field("last_frame", "string", nullable=True, media="image"),
        Field("audio_asset", "string", nullable=True, media="audio"),
        Field("prompt", "string", default=""),
        Field("duration", "integer", default=5, choices=(5, 6, 8, 10, 12, 15)),
        Field("negative_prompt", "string", default=""),
        Field("resolution", "string", default="720p", choices=RESOLUTIONS),
        Field("generate_audio", "boolean", default=True),
        Field("camera_fixed", "boolean", default=False),
        Field("prompt_extend", "boolean", default=False),
        Field("loras", "object", nullable=True),
    ),
    price=_videogen_price,
    price_text="by model, duration, generate_audio and resolution",
    rules=_videogen_rules,
)

# --- image_editor

IMAGE_EDITOR_PRICES: tuple[Row, ...] = (
    ((("FLUX_KLEIN_LORA",),), 3),
    ((("FLUX_KLEIN_NSFW", "GENERAL_NSFW", "QWEN_IMAGE", "SEEDREAM_5", "WAN_2_7_IMAGE"),), 1),
    ((("NANO_BANANA",),), 4),
    ((("QWEN_IMAGE_PRO", "WAN_2_7_IMAGE_PRO"),), 2),
)
IMAGE_EDITOR_MODELS = (
    "FLUX_KLEIN_LORA",
    "FLUX_KLEIN_NSFW",
    "GENERAL_NSFW",
    "NANO_BANANA",
    "QWEN_IMAGE",
    "QWEN_IMAGE_PRO",
    "SEEDREAM_5",
    "WAN_2_7_IMAGE",
    "WAN_2_7_IMAGE_PRO",
)


def _image_editor_images(values: Inputs) -> int:
    # Reading: batch_mode edits each source separately, number_of_images results each; the
    # price is per produced image.
    sources = len(values["image_assets"]) if values["batch_mode"] else 1
    count: int = values["number_of_images"] * sources
    return count


def _image_editor_rules(values: Inputs, context: Context) -> None:
    lora_id = values["lora_id"]
    if lora_id is None:
        if values["model"] == "FLUX_KLEIN_LORA":
            raise invalid("lora_id", "required when model is FLUX_KLEIN_LORA")
        return
    known = {t["id"] for t in context.templates} | {
        lora["id"] for lora in context.loras if lora["model"] == "FLUX_KLEIN_LORA"
    }
    if lora_id not in known:
        raise invalid("lora_id", f"no template or LoRA {lora_id!r}")


IMAGE_EDITOR = ToolSpec(
    name="image_editor",
    description="Edit and composite existing images by prompt.",
    output="image",
    many=True,
    fields=(
        Field("image_assets", "string[]", required=True, media="image", min_items=1),
        Field("prompt", "string", required=True, non_empty=True),
        Field("model", "string", default="GENERAL_NSFW", choices=IMAGE_EDITOR_MODELS),
        Field("ratio", "string", nullable=True, choices=RATIOS),
        Field("width", "integer", default=1024, minimum=1),
        Field("height", "integer", default=1024, minimum=1),
        Field("batch_mode", "boolean", default=False),
        Field("number_of_images", "integer", default=1, minimum=1),
        Field("sequential_generation", "boolean", default=False),
        Field("lora_id", "string", nullable=True),
    ),
    price=lambda v, _: _look_up(IMAGE_EDITOR_PRICES, v["model"]) * _image_editor_images(v),
    price_text="by model, per image",
    outputs=_image_editor_images,
    rules=_image_editor_rules,
)

# --- collaber

COLLABER = ToolSpec(
    name="collaber",
    description="Put two characters together in one frame.",
    output="image",
    many=True,
    fields=(
        Field("asset_image_1", "string", required=True, media="image"),
        Field("asset_image_2", "string", required=True, media="image"),
        Field("location_asset", "string", nullable=True, media="image"),
        Field("prompt", "string", nullable=True),
        Field("ratio", "string", default="1:1", choices=RATIOS),
        Field("width", "integer", default=1024, minimum=1),
        Field("height", "integer", default=1024, minimum=1),
        Field("number_of_images", "integer", default=1, minimum=1, maximum=4),
    ),
    price=lambda v, _: v["number_of_images"],
    price_text="1 credit per image",
    outputs=lambda v: v["number_of_images"],
)

# --- video2video

VIDEO2VIDEO_MODES = (
    "animate_nsfw",
    "animate_sfw",
    "dreamactor_m2",
    "kling_2_6_sfw",
    "replace_nsfw",
    "replace_sfw",
)
VIDEO2VIDEO_SOURCES = ("video_asset", "instagram_url", "tiktok_url")
LINK_HOSTS = {"instagram_url": "instagram.com", "tiktok_url": "tiktok.com"}
PER_SECOND_MODES = {"dreamactor_m2": 1.0, "kling_2_6_sfw": 2.0}
# resolution -> (flat credits up to 5 s, credits per second after that); 1080p has no flat.
FLAT_THEN_PER_SECOND = {"480p": (7.0, 1.4), "720p": (13.0, 2.8)}
PER_SECOND_1080P = 2.8
FLAT_SECONDS = 5


def _video2video_rules(values: Inputs, context: Context) -> None:
    given = [name for name in VIDEO2VIDEO_SOURCES if values[name] is not None]
    if len(given) != 1:
        name = given[1] if given else "video_asset"
        raise invalid(name, "give exactly one of video_asset, instagram_url, tiktok_url")
    for name, host in LINK_HOSTS.items():
        url = values[name]
        if url is not None:
            parts = urlsplit(url)
            hostname = parts.hostname or ""
            if parts.scheme not in ("http", "https") or not (
                hostname == host or hostname.endswith("." + host)
            ):
                raise invalid(name, f"must be a link to {host}")


def _video2video_price(values: Inputs, context: Context) -> float:
    if values["video_asset"] is not None:
        video = stored_asset(context, "video_asset", values["video_asset"], "video")
        if video.duration is None:
            raise invalid("video_asset", "the video could not be read")
        seconds = _started_seconds(video.duration)
    else:
        url = values["instagram_url"] or values["tiktok_url"]
        seconds = _started_seconds(context.link_seconds(url))
    mode = values["mode"]
    if mode in PER_SECOND_MODES:
        return PER_SECOND_MODES[mode] * min(seconds, LINK_SOURCE_CAP_SECONDS)
    resolution = values["resolution"]
    if resolution == "1080p":
        return PER_SECOND_1080P * seconds
    # Reading: the flat price covers the first 5 s; each second after costs the rate.
    flat, rate = FLAT_THEN_PER_SECOND[resolution]
    return flat + rate * max(seconds - FLAT_SECONDS, 0)


VIDEO2VIDEO = ToolSpec(
    name="video2video",
    description="Transfer motion or replace a character in a video.",
    output="video",
    many=False,
    fields=(
        Field("image_asset", "string", required=True, media="image"),
        Field("video_asset", "string", nullable=True, media="video"),
        Field("instagram_url", "string", nullable=True),
        Field("tiktok_url", "string", nullable=True),
        Field("mode", "string", default="replace_sfw", choices=VIDEO2VIDEO_MODES),
        Field("resolution", "string", default="720p", choices=RESOLUTIONS),
        Field("keep_original_sound", "boolean", default=True),
    ),
    price=_video2video_price,
    price_text="by mode, resolution and the source video's duration",
    rules=_video2video_rules,
)

# --- lipsync


def _lipsync_rules(values: Inputs, context: Context) -> None:
    image = stored_asset(context, "image_asset", values["image_asset"], "image")
    if image.content_type not in ("image/jpeg", "image/png"):
        raise invalid("image_asset", "must be a JPG or PNG image")
    if len(image.data) > MAX_LIPSYNC_IMAGE_BYTES:
        raise invalid("image_asset", "the image must be under 5 MB")
    seconds = _audio_seconds(values, context)
    if seconds > MAX_LIPSYNC_AUDIO_SECONDS:
        raise invalid(
            "audio_asset", f"audio is {seconds:g} s long; at most {MAX_LIPSYNC_AUDIO_SECONDS:g} s"
        )


def _audio_seconds(values: Inputs, context: Context) -> float:
    audio = stored_asset(context, "audio_asset", values["audio_asset"], "audio")
    if audio.duration is None:
        raise invalid("audio_asset", "the audio could not be read")
    return audio.duration


LIPSYNC = ToolSpec(
    name="lipsync",
    description="Make a character speak your audio (talking head).",
    output="video",
    many=False,
    fields=(
        Field("image_asset", "string", required=True, media="image"),
        Field("audio_asset", "string", required=True, media="audio"),
        Field("prompt", "string", default=""),
        Field("model", "string", default="GENERAL_NSFW", choices=("GENERAL_NSFW",)),
    ),
    price=lambda v, context: 3 * _started_seconds(_audio_seconds(v, context)),
    price_text="3 credits per second of audio",
    rules=_lipsync_rules,
)

# --- undress

UNDRESS = ToolSpec(
    name="undress",
    description="Fully removes clothing from the character in an image.",
    output="image",
    many=False,
    fields=(Field("image_asset", "string", required=True, media="image"),),
    price=lambda _, __: 3,
    price_text="3 credits",
)

# --- video_upscaler

SCALE_FACTORS = (
    "max",
    "2",
    "3",
    "4",
    "5",
    "6",
    "7",
    "8",
    "9",
    "10",
    "15",
    "20",
    "25",
    "30",
    "40",
    "50",
    "75",
    "100",
)


def _upscaled_size(values: Inputs, context: Context) -> tuple[int, int, float, float]:
    """Output width, height, and the source's duration and frame rate, measured."""
    video = stored_asset(context, "video_asset", values["video_asset"], "video")
    if None in (video.width, video.height, video.duration, video.fps):
        raise invalid("video_asset", "the video could not be read")
    assert video.width and video.height and video.duration and video.fps
    factor = values["scale_factor"]
    scale = MAX_UPSCALED_SIDE / max(video.width, video.height) if factor == "max" else int(factor)
    width, height = round(video.width * scale), round(video.height * scale)
    if max(width, height) > MAX_UPSCALED_SIDE:
        # Reading: "up to 5K on the longest side" is a limit, not a clamp.
        raise invalid(
            "scale_factor",
            f"{video.width}x{video.height} x {factor} is {width}x{height}; "
            f"the longest side may be at most {MAX_UPSCALED_SIDE} px",
        )
    return width, height, video.duration, video.fps


def _fps_multiplier(fps: float) -> int:
    return 1 if fps <= 30 else 2 if fps <= 60 else 3


def _video_upscaler_price(values: Inputs, context: Context) -> float:
    width, height, seconds, fps = _upscaled_size(values, context)
    megapixels = width * height / 1_000_000
    return 2 * megapixels * _started_seconds(seconds) * _fps_multiplier(fps)


VIDEO_UPSCALER = ToolSpec(
    name="video_upscaler",
    description="A sharper, higher-resolution video, up to 5K on the longest side.",
    output="video",
    many=False,
    fields=(
        Field("video_asset", "string", required=True, media="video"),
        # Reading: optional with no default printed; the fake doubles the size.
        Field("scale_factor", "string", default="2", choices=SCALE_FACTORS),
    ),
    price=_video_upscaler_price,
    price_text="2 credits x output megapixels x seconds x FPS multiplier",
)

# --- video_merger

CLIP_FIELDS = (
    Field("asset_id", "string", required=True, media="video"),
    Field("trim", "number", nullable=True, minimum=0),
    Field("duration", "number", nullable=True, minimum=0),
)
"""Reading: "asset_id + trim + duration" names a clip's keys; trim and duration are
seconds (where the clip starts, how long it plays), optional."""


def _video_merger_rules(values: Inputs, context: Context) -> None:
    names = {f.name for f in CLIP_FIELDS}
    for index, clip in enumerate(values["clips"]):
        where = f"clip {index + 1}"
        for name in clip:
            if name not in names:
                raise invalid("clips", f"{where}: unknown field {name!r}")
        for spec in CLIP_FIELDS:
            if spec.name not in clip:
                if spec.required:
                    raise invalid("clips", f"{where}: {spec.name} required")
                continue
            try:
                _check(spec, clip[spec.name], context)
            except ApiError as err:
                raise invalid("clips", f"{where}: {err.message}") from err


VIDEO_MERGER = ToolSpec(
    name="video_merger",
    description="Concatenate 2-5 video clips with transitions.",
    output="video",
    many=False,
    fields=(
        Field("clips", "object[]", required=True, min_items=2, max_items=5),
        Field("transition", "string", default="cut", choices=("cut", "dissolve", "fade", "slide")),
        Field("keep_audio", "boolean", default=True),
        Field("fps", "integer", default=30, choices=(24, 30)),
        Field("width", "integer", default=1280, minimum=1),
        Field("height", "integer", default=720, minimum=1),
    ),
    price=lambda _, __: 1,
    price_text="1 credit",
    rules=_video_merger_rules,
)

TOOLS: Mapping[str, ToolSpec] = {
    tool.name: tool
    for tool in (
        UPSCALER,
        FACESWAP,
        BY_PROMPT,
        BY_REF,
        PHOTOSHOOT,
        FACEGEN,
        CAROUSEL,
        VIDEOGEN,
        IMAGE_EDITOR,
        COLLABER,
        VIDEO2VIDEO,
        LIPSYNC,
        UNDRESS,
        VIDEO_UPSCALER,
        VIDEO_MERGER,
    )
}
