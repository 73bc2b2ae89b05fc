"""MockProvider: the offline generation provider used while no ZenCreator key is configured.

It is a product feature, not a test double: an operator can install castbot, try every flow
(credits, uploads, progress, delivery) and only then buy a ZenCreator key. It implements
`GenerationProvider` exactly like the real client but never touches the network:

* uploads stay in memory; generations pass queued -> processing -> succeeded over a few
  seconds of simulated processing, measured with an injectable clock;
* image tools produce a PNG drawn with Pillow that says it is a placeholder and shows the
  inputs; video tools produce a short MP4 shipped in `providers/assets/placeholder.mp4`;
* the bot may restart between `start` and `status` (jobs resume from SQLite) while this
  state is lost, so generation ids and download URLs carry the tool name, and a generation
  this instance does not know is reported as finished with a caption-only placeholder.
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
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageDraw, ImageFont, ImageOps

from providers.errors import NotFoundError
from providers.models import (
    CatalogItem,
    Generation,
    GenerationResult,
    GenerationStatus,
    MediaKind,
    Output,
)

if TYPE_CHECKING:
    from providers.base import GenerationProvider


@dataclass(frozen=True)
class _ToolSpec:
    kind: MediaKind
    """What the tool produces: decides between the PNG card and the shipped MP4."""
    title: str
    panels: tuple[tuple[str, str], ...] = ()
    """(input field, label) pairs drawn left to right as thumbnails."""


# The one place that says which tool yields video; anything else (including tools the
# catalog adds later) is treated as an image tool, as the real API would accept them too.
_TOOLS: dict[str, _ToolSpec] = {
    "faceswap": _ToolSpec(
        MediaKind.IMAGE, "face swap", (("face_asset", "face"), ("ref_asset", "target"))
    ),
    "lipsync": _ToolSpec(MediaKind.VIDEO, "lipsync"),
    "videogen": _ToolSpec(MediaKind.VIDEO, "video generation"),
    "video2video": _ToolSpec(MediaKind.VIDEO, "video to video"),
    "video_upscaler": _ToolSpec(MediaKind.VIDEO, "video upscaler"),
    "video_merger": _ToolSpec(MediaKind.VIDEO, "video merger"),
}

# Small built-in lists, so the tools that offer them show something offline.
_STYLES = (
    CatalogItem(id="mock-style-film", name="Film grain", description="A placeholder style"),
    CatalogItem(id="mock-style-neon", name="Neon", description="A placeholder style"),
)
_TEMPLATES = (
    CatalogItem(id="mock-template-studio", name="Studio portrait", description="A placeholder"),
)
_PHOTOSHOOT_CATEGORIES = (
    CatalogItem(id="mock-category-beach", name="Beach", description="A placeholder category"),
    CatalogItem(id="mock-category-city", name="City at night", description="A placeholder"),
    CatalogItem(id="mock-category-office", name="Office", description="A placeholder category"),
)

GENERATION_PREFIX = "mock-"
URL_PREFIX = "mock://generations/"
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


def _tool_of(generation_id: str) -> str:
    """The tool encoded in an id made by `start`, so a restarted instance still knows it."""
    if not generation_id.startswith(GENERATION_PREFIX):
        raise NotFoundError(404, "not_found", f"not a mock generation id: {generation_id!r}")
    parts = generation_id.split("-", 2)
    return parts[2] if len(parts) == 3 else ""


def _output_url(generation_id: str, kind: MediaKind) -> str:
    extension = "mp4" if kind is MediaKind.VIDEO else "png"
    return f"{URL_PREFIX}{generation_id}/output.{extension}"


def _generation_of(url: str) -> str:
    if not url.startswith(URL_PREFIX) or "/" not in url[len(URL_PREFIX) :]:
        raise NotFoundError(404, "not_found", f"not a mock download URL: {url!r}")
    generation_id = url[len(URL_PREFIX) :].rsplit("/", 1)[0]
    _tool_of(generation_id)  # validates the id
    return generation_id


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
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._processing_seconds = processing_seconds
        self._clock = clock
        self._assets: OrderedDict[str, _StoredAsset] = OrderedDict()
        self._generations: dict[str, _MockGeneration] = {}
        self._by_idempotency_key: dict[str, str] = {}

    async def upload(self, data: bytes, media_type: MediaKind, filename: str) -> str:
        asset_id = f"mock-asset-{uuid.uuid4().hex}"
        self._assets[asset_id] = _StoredAsset(data, media_type)
        while len(self._assets) > _MAX_ASSETS:
            self._assets.popitem(last=False)
        return asset_id

    async def start(self, tool: str, input: dict[str, Any], idempotency_key: str) -> Generation:
        known = self._by_idempotency_key.get(idempotency_key)
        if known is not None:
            return await self.status(known)
        generation = _MockGeneration(
            id=f"{GENERATION_PREFIX}{uuid.uuid4().hex}-{tool}",
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
            url = _output_url(generation_id, _spec(_tool_of(generation_id)).kind)
            outputs.append(Output(url=url, download_url=url))
        return GenerationResult(id=generation_id, status=status, outputs=outputs)

    async def download(self, url: str) -> bytes:
        generation_id = _generation_of(url)
        tool = _tool_of(generation_id)
        spec = _spec(tool)
        if spec.kind is MediaKind.VIDEO:
            return placeholder_video()
        generation = self._generations.get(generation_id)
        if generation is None:
            return await asyncio.to_thread(_render_card, spec, None, {})
        images = {
            asset_id: asset.data
            for asset_id, asset in self._assets.items()
            if asset.media_type is MediaKind.IMAGE
        }
        # Decoding uploads and encoding the PNG is CPU work: keep it off the event loop.
        return await asyncio.to_thread(_render_card, spec, generation.input, images)

    async def balance(self) -> float:
        return MOCK_BALANCE

    async def loras(self, model: str) -> list[CatalogItem]:
        return list(_STYLES)

    async def templates(self) -> list[CatalogItem]:
        return list(_TEMPLATES)

    async def photoshoot_categories(self) -> list[CatalogItem]:
        return list(_PHOTOSHOOT_CATEGORIES)

    async def aclose(self) -> None:
        """Nothing to release: no connections, no files."""

    def _status_of(self, generation_id: str) -> GenerationStatus:
        _tool_of(generation_id)
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
    if isinstance(value, str) and value and not value.startswith("mock-asset-"):
        return value if len(value) <= 60 else value[:57] + "..."
    return None


def _render_card(
    spec: _ToolSpec, input: Mapping[str, Any] | None, images: Mapping[str, bytes]
) -> bytes:
    """A deterministic PNG: same tool, input and uploaded bytes give the same file."""
    card = Image.new("RGB", _CANVAS, _BACKGROUND)
    draw = ImageDraw.Draw(card)
    caption = f"castbot placeholder — {spec.title}"
    if input is not None and isinstance(input.get("model"), str):
        caption += f" ({input['model']})"
    _draw_centered(draw, 24, caption, 26, _FOREGROUND)

    if input is not None:
        if spec.panels:
            panels = list(spec.panels)
        else:
            panels = [(k, k) for k, v in input.items() if isinstance(v, str) and v in images]
        panels = panels[:2]
        gap = 40
        left = (_CANVAS[0] - len(panels) * _THUMB - (len(panels) - 1) * gap) // 2
        for index, (field, label) in enumerate(panels):
            x = left + index * (_THUMB + gap)
            box = (x, 80, x + _THUMB, 80 + _THUMB)
            draw.rectangle(box, outline=_MUTED, width=1)
            asset_id = input.get(field)
            thumb = _thumbnail(images.get(asset_id) if isinstance(asset_id, str) else None)
            if thumb is None:
                note_font = _font(16)
                note_x = x + (_THUMB - _text_width("no preview", note_font)) / 2
                _draw_text(draw, (note_x, 80 + _THUMB / 2 - 8), "no preview", note_font, _MUTED)
            else:
                offset = (x + (_THUMB - thumb.width) // 2, 80 + (_THUMB - thumb.height) // 2)
                card.paste(thumb, offset)
            label_font = _font(18)
            label_x = x + (_THUMB - _text_width(label, label_font)) / 2
            _draw_text(draw, (label_x, 80 + _THUMB + 6), label, label_font, _FOREGROUND)

        shown = {field for field, _ in panels} | {"model"}
        details = [
            f"{key}: {text}"
            for key, value in input.items()
            if key not in shown and (text := _describe(value)) is not None
        ]
        if details:
            _draw_centered(draw, 80 + _THUMB + 36, "   ".join(details[:4]), 16, _MUTED)

    _draw_centered(draw, _CANVAS[1] - 32, _FOOTER, 14, _MUTED)
    buffer = io.BytesIO()
    card.save(buffer, format="PNG")
    return buffer.getvalue()


if TYPE_CHECKING:
    # Fails type checking if MockProvider ever drifts from the protocol.
    _conforms: GenerationProvider = MockProvider()
