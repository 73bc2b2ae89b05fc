"""The flow's rules that are not about Telegram: what an entry still needs, and the job.

A flow (storage/flows.py) is at one `step`: the index in its entry's `inputs` of the
question asked (`TERMS` while the consent is shown; `len(inputs)` once every input is in
and the job is quoted). Its `inputs` map an input's name to what was collected: a list of
files (`FileInput` dicts) for images, audio and videos, a `VideoLinkInput` dict for a video
given as a link, a string for a text, `{"id": ...}` or `{"text": ...}` for a category, and
None for an optional input the user skipped. The clips of a CLIPS input gather under
`gathering(item)` until the user says they are all in. Choices asked as steps are kept with
the options, under their field; what was measured from the inputs, in `measures`.

The photo menu is a flow too (`MENU`): its inputs are the photos and their caption; so is
the video menu (`VIDEO_MENU`): a video (or a link to one) and its measures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from bot.catalog import CATALOG
from bot.catalog.model import IMAGE_KINDS, Entry, Input, InputKind, Wire
from bot.tools import FileInput, JobSpec, list_item
from providers.models import MediaKind
from storage.flows import Flow

MENU = "menu"
VIDEO_MENU = "video_menu"
TERMS = -1
COLLECTING = "album"
"""The view of a flow whose album is still arriving (its photos are saved as they come)."""
MENU_PHOTOS = "photos"
MENU_CAPTION = "caption"
MENU_VIDEO = "video"
FILE_KINDS = IMAGE_KINDS | {InputKind.AUDIO, InputKind.VIDEO, InputKind.CLIPS}
LIST_KINDS = frozenset({InputKind.PHOTOS, InputKind.CLIPS})


class VideoLinkInput(BaseModel):
    """A video given as an Instagram or TikTok link: the provider field it goes in."""

    field: str
    url: str


def gathering(item: Input) -> str:
    """Where the clips of a CLIPS input gather until the user says they are all in."""
    return f"{item.name}+"


def link_of(flow: Flow, name: str) -> VideoLinkInput | None:
    value = flow.inputs.get(name)
    return VideoLinkInput.model_validate(value) if isinstance(value, dict) else None


def entry_of(flow: Flow) -> Entry | None:
    return CATALOG.get(flow.tool)


def face_tools() -> list[Entry]:
    """The tools that take a face (an actor's card offers them)."""
    return [
        entry
        for entry in CATALOG.values()
        if any(item.kind is InputKind.FACE for item in entry.inputs)
    ]


def quoted(entry: Entry) -> int:
    """The step of a flow whose inputs are all in."""
    return len(entry.inputs)


def is_active(flow: Flow | None) -> bool:
    """Whether the flow still waits for something from the user (the menu and a flow at
    its quote do not: what the user sends next starts something else)."""
    if flow is None:
        return False
    entry = entry_of(flow)
    return entry is not None and flow.step < quoted(entry)


def files(flow: Flow, name: str) -> list[FileInput]:
    value = flow.inputs.get(name)
    return [FileInput.model_validate(item) for item in value] if isinstance(value, list) else []


def is_collected(flow: Flow, item: Input) -> bool:
    if item.kind is InputKind.CHOICE:
        return item.field in flow.options
    return item.name in flow.inputs


def missing(entry: Entry, flow: Flow) -> list[Input]:
    """The inputs still to ask for, in order, given the options chosen."""
    return [item for item in entry.asked(flow.options) if not is_collected(flow, item)]


def prefill(
    entry: Entry, name: str, given: list[FileInput], caption: str | None
) -> dict[str, Any]:
    """The inputs of a flow started with files already chosen (from a menu or a result) and
    the text that came with them; clips start gathering."""
    item = entry.input(name)
    count = item.max_count if item.kind in LIST_KINDS else 1
    key = gathering(item) if item.kind is InputKind.CLIPS else name
    inputs: dict[str, Any] = {key: [file.model_dump() for file in given[:count]]}
    text = next((i for i in entry.inputs if i.kind is InputKind.TEXT), None)
    if caption and text is not None and len(caption) <= text.max_chars:
        inputs[text.name] = caption
    return inputs


def job_spec(entry: Entry, flow: Flow) -> JobSpec:
    """The job of a flow whose inputs are all in, its options as resolved."""
    job_files: list[FileInput] = []
    fields: dict[str, Any] = {}
    for item in entry.asked(flow.options):
        value = flow.inputs.get(item.name)
        link = link_of(flow, item.name) if item.kind is InputKind.VIDEO else None
        if link is not None:
            fields[link.field] = link.url
        elif item.kind in FILE_KINDS:
            for index, file in enumerate(files(flow, item.name)):
                field = (
                    list_item(item.field, index, item.item_key)
                    if item.kind in LIST_KINDS
                    else item.field
                )
                job_files.append(file.model_copy(update={"field": field}))
        elif item.kind is InputKind.TEXT:
            if value is not None:
                fields[item.field] = value
        elif item.kind is InputKind.CATEGORY:
            if isinstance(value, dict) and value.get("id"):
                fields[item.field] = value["id"]
            elif isinstance(value, dict) and item.text_field is not None:
                fields[item.text_field] = value.get("text", "")
        else:
            fields[item.field] = flow.options[item.field]
    for option in entry.options:
        if option.field not in flow.options:
            continue
        value = flow.options[option.field]
        if option.wire is Wire.STYLE:
            fields[option.field] = None if value is None else {value: 1.0}
        else:
            fields[option.field] = value
    return JobSpec(files=job_files, options=fields, measures=dict(flow.measures))


@dataclass(frozen=True)
class MenuAction:
    """A button of the photo menu: start `tool` with the photo as its input `input`."""

    key: str
    tool: str
    input: str


MENU_ACTIONS = (
    MenuAction("swap_face", "faceswap", "face"),
    MenuAction("swap_target", "faceswap", "target"),
    MenuAction("edit", "image_editor", "photos"),
    MenuAction("upscale", "upscaler", "photo"),
    MenuAction("similar", "by_ref", "reference"),
    MenuAction("angles", "carousel", "photo"),
    MenuAction("lipsync", "lipsync", "portrait"),
    MenuAction("animate", "videogen", "photo"),
)
VIDEO_MENU_ACTIONS = (
    MenuAction("motion", "video2video", "source"),
    MenuAction("upscale_video", "video_upscaler", "video"),
    MenuAction("merge", "video_merger", "clips"),
)
"""The video menu's buttons; a link offers only those whose input takes links."""


@dataclass(frozen=True)
class ResultAction:
    """A button under a delivered result of `media`: start `tool` with it as `input`."""

    key: str
    tool: str
    input: str
    media: MediaKind = MediaKind.IMAGE


RESULT_ACTIONS = (
    ResultAction("edit", "image_editor", "photos"),
    ResultAction("upscale", "upscaler", "photo"),
    ResultAction("swap", "faceswap", "target"),
    ResultAction("animate", "videogen", "photo"),
    ResultAction("lipsync", "lipsync", "portrait"),
    ResultAction("upscale_video", "video_upscaler", "video", MediaKind.VIDEO),
    ResultAction("merge", "video_merger", "clips", MediaKind.VIDEO),
)
