"""MockProvider: the offline generation provider used while no ZenCreator key is configured.

It is a product feature, not a test double: an operator can install castbot, try every flow
(credits, uploads, progress, delivery, chaining one result into the next tool) and only then
buy a ZenCreator key. It implements `GenerationProvider` exactly like the real client but
never touches the network:

* uploads stay in memory; generations pass queued -> processing -> succeeded over a few
  seconds of simulated processing, measured with an injectable clock;
* every tool of ZenCreator's catalog has a placeholder. Image tools produce as many PNG
  cards as the input asks for (`batch_size`, `number_of_images`, `image_count`, several
  faces for facegen), drawn with Pillow, each saying it is a placeholder and showing the
  tool, its main options and its input images; video tools produce the short MP4 shipped in
  `providers/assets/placeholder.mp4`;
* each output carries an `asset_id` that later generations take as an input (its card then
  shows as that input's thumbnail), so results chain offline as they do at ZenCreator;
* the catalog endpoints answer from a small built-in list (a tool's schema lists only
  the named styles of by_prompt and by_ref); the credit history is empty,
  since nothing is charged;
* the bot may restart between `start` and `status` (jobs resume from SQLite) while this
  state is lost, so generation ids carry the tool and the number of outputs, and output
  URLs and asset ids carry the generation id: a generation this instance does not know is
  reported as finished with caption-only placeholders.
"""

from __future__ import annotations

import asyncio
import io
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from PIL import Image, ImageDraw, ImageFont, ImageOps

from providers.errors import NotFoundError, OutputTooLargeError
from providers.models import (
    Generation,
    GenerationResult,
    GenerationStatus,
    Lora,
    MediaKind,
    Output,
    PhotoshootCategory,
    Template,
    ToolInfo,
    Transaction,
)
from providers.ratelimit import Clock

if TYPE_CHECKING:
    from providers.base import GenerationProvider

Input = Mapping[str, Any]


def _number(input: Input, name: str, default: int) -> int:
    """A count option as sent, or its default when it is missing or not a positive int."""
    value = input.get(name, default)
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default
    )


def _edited_images(input: Input) -> int:
    sources = input.get("image_assets")
    per_source = _number(input, "number_of_images", 1)
    if input.get("batch_mode") is True and isinstance(sources, list) and sources:
        return per_source * len(sources)
    return per_source


FACEGEN_VARIANTS = 4
"""Faces per facegen request ("several variants" at ZenCreator)."""


@dataclass(frozen=True)
class _ToolSpec:
    kind: MediaKind
    """What the tool produces: decides between the PNG card and the shipped MP4."""
    title: str
    panels: tuple[tuple[str, str], ...] = ()
    """(input field, label) pairs drawn left to right as thumbnails; none listed: the
    input's first images."""
    count: Callable[[Input], int] = lambda _: 1
    """How many outputs an input asks for."""
    faces: bool = False
    """Draw made-up faces in place of thumbnails (facegen has no input image)."""


# Every tool of ZenCreator's catalog; a tool not listed (one the catalog adds later) is
# treated as an image tool with one output, as the real API would accept it too.
_TOOLS: dict[str, _ToolSpec] = {
    "faceswap": _ToolSpec(
        MediaKind.IMAGE, "face swap", (("face_asset", "face"), ("ref_asset", "target"))
    ),
    "upscaler": _ToolSpec(MediaKind.IMAGE, "upscaler", (("image_asset", "source"),)),
    "by_prompt": _ToolSpec(
        MediaKind.IMAGE, "image from a prompt", count=lambda i: _number(i, "batch_size", 1)
    ),
    "by_ref": _ToolSpec(
        MediaKind.IMAGE,
        "similar image",
        (("ref_asset", "reference"), ("face_asset", "face")),
        count=lambda i: _number(i, "batch_size", 4),
    ),
    "photoshoot": _ToolSpec(
        MediaKind.IMAGE,
        "photoshoot",
        (("face_ref", "face"), ("body_ref", "body")),
        count=lambda i: _number(i, "image_count", 1) * _number(i, "number_of_images", 1),
    ),
    "facegen": _ToolSpec(
        MediaKind.IMAGE, "face generator", count=lambda _: FACEGEN_VARIANTS, faces=True
    ),
    "carousel": _ToolSpec(
        MediaKind.IMAGE,
        "camera angles",
        (("asset_ref", "subject"),),
        count=lambda i: _number(i, "number_of_images", 4),
    ),
    "image_editor": _ToolSpec(MediaKind.IMAGE, "image editor", count=_edited_images),
    "collaber": _ToolSpec(
        MediaKind.IMAGE,
        "two in one frame",
        (("asset_image_1", "first"), ("asset_image_2", "second")),
        count=lambda i: _number(i, "number_of_images", 1),
    ),
    "undress": _ToolSpec(MediaKind.IMAGE, "undress", (("image_asset", "source"),)),
    "lipsync": _ToolSpec(MediaKind.VIDEO, "lipsync"),
    "videogen": _ToolSpec(MediaKind.VIDEO, "video generation"),
    "video2video": _ToolSpec(MediaKind.VIDEO, "video to video"),
    "video_upscaler": _ToolSpec(MediaKind.VIDEO, "video upscaler"),
    "video_merger": _ToolSpec(MediaKind.VIDEO, "video merger"),
}

GENERATION_PREFIX = "mock-"
URL_PREFIX = "mock://generations/"
ASSET_PREFIX = "mock-asset-"
OUTPUT_ASSET_PREFIX = "mock-asset-out-"
MOCK_BALANCE = 1_000_000.0
"""What `balance()` reports: large enough that no operator check ever trips on it."""

# Uploads are kept only so placeholders can show thumbnails; bound them so a bot left in
# demo mode for weeks does not grow without limit (an evicted asset just has no preview).
_MAX_ASSETS = 256
_QUEUED_SHARE = 1 / 3
"""Fraction of `processing_seconds` a generation spends `queued` before `processing`."""

_CANVAS = (768, 512)
_THUMB = 300
_BACKGROUND = (43, 45, 66)
_FOREGROUND = (237, 242, 244)
_MUTED = (141, 153, 174)
_FOOTER = "placeholder result · demo mode without a ZenCreator API key"

# The built-in catalog: a few harmless entries of each list, so the flows that offer them
# have something to show offline.
_LORAS = (
    Lora(
        id="mock-lora-wave",
        name="Wave hello",
        description="A friendly wave to the camera.",
        model="wan@2.2",
    ),
    Lora(
        id="mock-lora-spin",
        name="Slow spin",
        description="The camera circles the character once.",
        model="wan@2.2",
    ),
    Lora(
        id="mock-lora-film-noir",
        name="Film noir",
        description="High-contrast black and white.",
        model="FLUX_KLEIN_LORA",
    ),
)
_TEMPLATES = (
    Template(
        id="mock-template-watercolor",
        name="Watercolor portrait",
        description="Turns a photo into a soft watercolor painting.",
        tool="image_editor",
        input={
            "model": "FLUX_KLEIN_LORA",
            "lora_id": "mock-template-watercolor",
            "prompt": "a watercolor painting of the person",
        },
    ),
    Template(
        id="mock-template-beach",
        name="Beach day",
        description="A sunny beach photo, ready to post.",
        tool="by_prompt",
        input={"positive_prompt": "a person on a sunny beach", "model": "GENERAL_SFW"},
    ),
)
_STYLE_NAMES = ("athletic", "curvy", "petite", "slim")
"""The named styles the built-in schemas of by_prompt and by_ref list for `loras`."""
_STYLED_TOOLS = frozenset({"by_prompt", "by_ref"})
_CATEGORIES = (
    PhotoshootCategory(
        id="mock-category-studio",
        name="Studio portraits",
        description="Clean backdrops and soft light.",
    ),
    PhotoshootCategory(
        id="mock-category-street", name="Street style", description="City streets, candid."
    ),
    PhotoshootCategory(
        id="mock-category-travel", name="Travel", description="Landmarks and landscapes."
    ),
)


@dataclass(frozen=True)
class _StoredAsset:
    data: bytes
    media_type: MediaKind


@dataclass(frozen=True)
class _MockGeneration:
    id: str
    tool: str
    input: dict[str, Any]
    started_at: float


def _spec(tool: str) -> _ToolSpec:
    return _TOOLS.get(tool) or _ToolSpec(MediaKind.IMAGE, tool.replace("_", " "))


def _parse_generation_id(generation_id: str) -> tuple[str, int]:
    """The tool and output count encoded in an id made by `start` (`mock-HEX-COUNT-TOOL`),
    so a restarted instance still knows them; ids of older versions carry no count."""
    if not generation_id.startswith(GENERATION_PREFIX):
        raise NotFoundError(404, "not_found", f"not a mock generation id: {generation_id!r}")
    parts = generation_id.split("-", 2)
    if len(parts) != 3:
        return "", 1
    count, _, tool = parts[2].partition("-")
    if count.isdigit() and tool:
        return tool, int(count)
    return parts[2], 1


def _output_url(generation_id: str, index: int, kind: MediaKind) -> str:
    extension = "mp4" if kind is MediaKind.VIDEO else "png"
    return f"{URL_PREFIX}{generation_id}/output-{index}.{extension}"


def _output_of_url(url: str) -> tuple[str, int]:
    """(generation id, output index) of a URL made by `_output_url`."""
    if not url.startswith(URL_PREFIX) or "/" not in url[len(URL_PREFIX) :]:
        raise NotFoundError(404, "not_found", f"not a mock download URL: {url!r}")
    generation_id, name = url[len(URL_PREFIX) :].rsplit("/", 1)
    _parse_generation_id(generation_id)  # validates the id
    stem = name.partition(".")[0]
    index = stem.removeprefix("output-")
    return generation_id, int(index) if index.isdigit() else 0


def _output_asset_id(generation_id: str, index: int) -> str:
    return f"{OUTPUT_ASSET_PREFIX}{index}-{generation_id}"


def _output_of_asset(asset_id: str) -> tuple[str, int] | None:
    """(generation id, output index) of an output's asset id; None for other ids."""
    if not asset_id.startswith(OUTPUT_ASSET_PREFIX):
        return None
    index, _, generation_id = asset_id[len(OUTPUT_ASSET_PREFIX) :].partition("-")
    if not index.isdigit() or not generation_id.startswith(GENERATION_PREFIX):
        return None
    return generation_id, int(index)


PLACEHOLDER_VIDEO = Path(__file__).parent / "assets" / "placeholder.mp4"


@cache
def placeholder_video() -> bytes:
    """The shipped 2 s 320x320 H.264/AAC MP4 card; read once, no ffmpeg at runtime."""
    return PLACEHOLDER_VIDEO.read_bytes()


class MockProvider:
    """Offline `GenerationProvider` that returns labelled placeholder results."""

    name: str = "mock"

    def __init__(
        self,
        processing_seconds: float = 3.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self._processing_seconds = processing_seconds
        self._clock = clock
        self._assets: OrderedDict[str, _StoredAsset] = OrderedDict()
        self._generations: dict[str, _MockGeneration] = {}
        self._by_idempotency_key: dict[str, str] = {}

    async def upload(self, data: bytes, media_type: MediaKind, filename: str) -> str:
        asset_id = f"{ASSET_PREFIX}{uuid.uuid4().hex}"
        self._assets[asset_id] = _StoredAsset(data, media_type)
        while len(self._assets) > _MAX_ASSETS:
            self._assets.popitem(last=False)
        return asset_id

    async def start(self, tool: str, input: dict[str, Any], idempotency_key: str) -> Generation:
        known = self._by_idempotency_key.get(idempotency_key)
        if known is not None:
            return await self.status(known)
        count = _spec(tool).count(input)
        generation = _MockGeneration(
            id=f"{GENERATION_PREFIX}{uuid.uuid4().hex}-{count}-{tool}",
            tool=tool,
            input=dict(input),
            started_at=self._clock(),
        )
        self._generations[generation.id] = generation
        self._by_idempotency_key[idempotency_key] = generation.id
        return Generation(id=generation.id, status=GenerationStatus.QUEUED)

    async def status(self, generation_id: str) -> Generation:
        return Generation(id=generation_id, status=self._status_of(generation_id))

    async def result(self, generation_id: str) -> GenerationResult:
        status = self._status_of(generation_id)
        outputs: list[Output] = []
        if status is GenerationStatus.SUCCEEDED:
            tool, count = _parse_generation_id(generation_id)
            kind = _spec(tool).kind
            for index in range(count):
                url = _output_url(generation_id, index, kind)
                asset_id = _output_asset_id(generation_id, index)
                outputs.append(Output(asset_id=asset_id, url=url, download_url=url))
        return GenerationResult(id=generation_id, status=status, outputs=outputs)

    async def download(self, url: str, into: BinaryIO, max_bytes: int) -> int:
        data = await self._output(url)
        if len(data) > max_bytes:
            raise OutputTooLargeError(max_bytes, len(data))
        into.write(data)
        return len(data)

    async def _output(self, url: str) -> bytes:
        """The placeholder an output URL stands for (small: a PNG card or a short MP4)."""
        generation_id, index = _output_of_url(url)
        tool, count = _parse_generation_id(generation_id)
        spec = _spec(tool)
        if spec.kind is MediaKind.VIDEO:
            return placeholder_video()
        generation = self._generations.get(generation_id)
        card = _Card(spec, index, count)
        if generation is None:
            return await asyncio.to_thread(_render_card, card, None, {})
        images = {
            asset_id: data
            for asset_id in _asset_ids(generation.input)
            if (data := await self._image_of(asset_id)) is not None
        }
        # Decoding inputs and encoding the PNG is CPU work: keep it off the event loop.
        return await asyncio.to_thread(_render_card, card, generation.input, images)

    async def balance(self) -> float:
        return MOCK_BALANCE

    async def loras(self, model: str | None = None) -> list[Lora]:
        return [lora for lora in _LORAS if model is None or lora.model == model]

    async def templates(self) -> list[Template]:
        return list(_TEMPLATES)

    async def photoshoot_categories(self) -> list[PhotoshootCategory]:
        return list(_CATEGORIES)

    async def tool(self, name: str) -> ToolInfo:
        """A built-in schema that lists only what the flows read of it: the named styles of
        by_prompt and by_ref."""
        properties: dict[str, Any] = {}
        if name in _STYLED_TOOLS:
            styles = {style: {"type": "number"} for style in _STYLE_NAMES}
            properties["loras"] = {"type": ["object", "null"], "properties": styles}
        return ToolInfo(name=name, input_schema={"type": "object", "properties": properties})

    async def transactions(self, limit: int = 20, offset: int = 0) -> list[Transaction]:
        """Nothing is ever charged offline, so the history is empty."""
        return []

    async def generation_charge(self, generation_id: str) -> float | None:
        """Unknown: the mock charges nothing and prices nothing."""
        return None

    async def aclose(self) -> None:
        """Nothing to release: no connections, no files."""

    async def _image_of(self, asset_id: str) -> bytes | None:
        """The image an input asset id names: an upload, or an earlier image output."""
        stored = self._assets.get(asset_id)
        if stored is not None:
            return stored.data if stored.media_type is MediaKind.IMAGE else None
        output = _output_of_asset(asset_id)
        if output is None or _spec(_parse_generation_id(output[0])[0]).kind is MediaKind.VIDEO:
            return None
        return await self._output(_output_url(*output, MediaKind.IMAGE))

    def _status_of(self, generation_id: str) -> GenerationStatus:
        _parse_generation_id(generation_id)
        generation = self._generations.get(generation_id)
        if generation is None:
            # Started by an instance that is gone (bot restart): call it done so the
            # resumed job completes instead of hanging forever.
            return GenerationStatus.SUCCEEDED
        elapsed = self._clock() - generation.started_at
        if elapsed >= self._processing_seconds:
            return GenerationStatus.SUCCEEDED
        if elapsed >= self._processing_seconds * _QUEUED_SHARE:
            return GenerationStatus.PROCESSING
        return GenerationStatus.QUEUED


def _asset_ids(input: Input) -> list[str]:
    """Every string of the input that may name an asset, lists included, in order."""
    found: list[str] = []
    for value in input.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item.startswith(ASSET_PREFIX):
                found.append(item)
    return found


# --- placeholder image ---------------------------------------------------------------------

_Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def _font(size: int) -> _Font:
    # Pillow's bundled default font: present everywhere Pillow is, so the output does not
    # depend on which system fonts the operator happens to have.
    return ImageFont.load_default(size=size)


def _text_width(text: str, font: _Font) -> float:
    dash = font.getlength("M")
    return sum(font.getlength(part) for part in text.split("—")) + dash * text.count("—")


def _draw_text(
    draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, font: _Font, fill: Any
) -> None:
    """Draw text, painting em dashes by hand: the bundled font has no glyph for them."""
    x, y = xy
    dash = font.getlength("M")
    top, bottom = font.getbbox("x")[1], font.getbbox("x")[3]
    for index, part in enumerate(text.split("—")):
        if index:
            middle = y + (top + bottom) / 2
            draw.line([(x + dash * 0.15, middle), (x + dash * 0.85, middle)], fill, width=2)
            x += dash
        draw.text((x, y), part, font=font, fill=fill)
        x += font.getlength(part)


def _draw_centered(
    draw: ImageDraw.ImageDraw, y: float, text: str, size: int, fill: Any, min_size: int = 12
) -> None:
    font = _font(size)
    # Shrink long captions (long tool or model names) until they fit the card.
    while size > min_size and _text_width(text, font) > _CANVAS[0] - 40:
        size -= 2
        font = _font(size)
    _draw_text(draw, ((_CANVAS[0] - _text_width(text, font)) / 2, y), text, font, fill)


def _thumbnail(data: bytes | None) -> Image.Image | None:
    if data is None:
        return None
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.draft("RGB", (_THUMB, _THUMB))  # JPEG: decode at reduced size
            image = ImageOps.exif_transpose(opened).convert("RGB")
    except Exception:  # any undecodable upload (or a decompression bomb) gets no preview
        return None
    image.thumbnail((_THUMB, _THUMB))
    return image


def _describe(value: Any) -> str | None:
    if isinstance(value, bool | int | float):
        return str(value)
    if isinstance(value, str) and value and not value.startswith(ASSET_PREFIX):
        return value if len(value) <= 60 else value[:57] + "..."
    return None


@dataclass(frozen=True)
class _Card:
    """Which output a card is: the tool, and its place among the generation's outputs."""

    spec: _ToolSpec
    index: int
    count: int


def _panels(spec: _ToolSpec, input: Input, images: Mapping[str, bytes]) -> list[tuple[str, Any]]:
    """(label, asset id) of the thumbnails to draw, at most two: the tool's own fields, or
    else the first images of the input (lists included)."""
    if spec.panels:
        return [(label, input.get(field)) for field, label in spec.panels][:2]
    found: list[tuple[str, Any]] = []
    for key, value in input.items():
        items = value if isinstance(value, list) else [value]
        for number, item in enumerate(items, start=1):
            if isinstance(item, str) and item in images:
                found.append((f"{key} {number}" if isinstance(value, list) else key, item))
    return found[:2]


_SKIN_TONES = ((241, 194, 125), (224, 172, 105), (198, 134, 66), (141, 85, 36), (255, 219, 172))
_HAIR_COLOURS = ((44, 34, 43), (183, 138, 68), (106, 78, 66), (165, 42, 42), (220, 208, 186))


def _draw_face(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], index: int) -> None:
    """A simple made-up face, different for each index, as a facegen placeholder."""
    x0, y0, x1, y1 = box
    centre_x, centre_y, radius = (x0 + x1) / 2, (y0 + y1) / 2 + 10, (x1 - x0) * 0.3
    skin = _SKIN_TONES[index % len(_SKIN_TONES)]
    hair = _HAIR_COLOURS[index % len(_HAIR_COLOURS)]
    draw.ellipse(
        (
            centre_x - radius * 1.15,
            centre_y - radius * 1.45,
            centre_x + radius * 1.15,
            centre_y + radius * 0.9,
        ),
        fill=hair,
    )
    draw.ellipse(
        (centre_x - radius, centre_y - radius * 1.2, centre_x + radius, centre_y + radius * 1.2),
        fill=skin,
    )
    for side in (-1, 1):
        eye_x = centre_x + side * radius * 0.4
        draw.ellipse((eye_x - 9, centre_y - 25, eye_x + 9, centre_y - 13), fill=_FOREGROUND)
        draw.ellipse((eye_x - 4, centre_y - 23, eye_x + 4, centre_y - 15), fill=_BACKGROUND)
    mouth = (centre_x - radius * 0.4, centre_y + 10, centre_x + radius * 0.4, centre_y + 50)
    draw.arc(mouth, 20, 160, fill=(150, 60, 60), width=4)


def _render_card(card: _Card, input: Input | None, images: Mapping[str, bytes]) -> bytes:
    """A deterministic PNG: same tool, output index, input and input images give the same
    file."""
    spec = card.spec
    image = Image.new("RGB", _CANVAS, _BACKGROUND)
    draw = ImageDraw.Draw(image)
    caption = f"castbot placeholder — {spec.title}"
    if input is not None and isinstance(input.get("model"), str):
        caption += f" ({input['model']})"
    _draw_centered(draw, 24, caption, 26, _FOREGROUND)
    if card.count > 1:
        _draw_centered(draw, 54, f"image {card.index + 1} of {card.count}", 16, _MUTED)

    if spec.faces:
        left = (_CANVAS[0] - _THUMB) // 2
        _draw_face(draw, (left, 80, left + _THUMB, 80 + _THUMB), card.index)
    if input is not None:
        panels = [] if spec.faces else _panels(spec, input, images)
        gap = 40
        left = (_CANVAS[0] - len(panels) * _THUMB - (len(panels) - 1) * gap) // 2
        for index, (label, asset_id) in enumerate(panels):
            x = left + index * (_THUMB + gap)
            box = (x, 80, x + _THUMB, 80 + _THUMB)
            draw.rectangle(box, outline=_MUTED, width=1)
            thumb = _thumbnail(images.get(asset_id) if isinstance(asset_id, str) else None)
            if thumb is None:
                note_font = _font(16)
                note_x = x + (_THUMB - _text_width("no preview", note_font)) / 2
                _draw_text(draw, (note_x, 80 + _THUMB / 2 - 8), "no preview", note_font, _MUTED)
            else:
                offset = (x + (_THUMB - thumb.width) // 2, 80 + (_THUMB - thumb.height) // 2)
                image.paste(thumb, offset)
            label_font = _font(18)
            label_x = x + (_THUMB - _text_width(label, label_font)) / 2
            _draw_text(draw, (label_x, 80 + _THUMB + 6), label, label_font, _FOREGROUND)

        details = [
            f"{key}: {text}"
            for key, value in input.items()
            if key != "model" and (text := _describe(value)) is not None
        ]
        if details:
            _draw_centered(draw, 80 + _THUMB + 36, "   ".join(details[:4]), 16, _MUTED)

    _draw_centered(draw, _CANVAS[1] - 32, _FOOTER, 14, _MUTED)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


if TYPE_CHECKING:
    # Fails type checking if MockProvider ever drifts from the protocol.
    _conforms: GenerationProvider = MockProvider()
