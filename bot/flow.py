"""The flow's rules that are not about Telegram: what an entry still needs, and the job.

A flow (storage/flows.py) is at one `step`: the index in its entry's `inputs` of the
question asked (`TERMS` while the consent is shown; `len(inputs)` once every input is in
and the job is quoted). Its `inputs` map an input's name to what was collected: a list of
files (`FileInput` dicts) for images and audio, a string for a text, `{"id": ...}` or
`{"text": ...}` for a category, and None for an optional input the user skipped. Choices
asked as steps are kept with the options, under their field.

The photo menu is a flow too (`MENU`): its inputs are the photos and their caption.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.catalog import CATALOG
from bot.catalog.model import IMAGE_KINDS, Entry, Input, InputKind, Wire
from bot.tools import FileInput, JobSpec, list_item
from storage.flows import Flow

MENU = "menu"
TERMS = -1
COLLECTING = "album"
"""The view of a flow whose album is still arriving (its photos are saved as they come)."""
MENU_PHOTOS = "photos"
MENU_CAPTION = "caption"
FILE_KINDS = IMAGE_KINDS | {InputKind.AUDIO}


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
    """The inputs of a flow started with files already chosen (from the photo menu or a
    result) and the text that came with them."""
    item = entry.input(name)
    count = item.max_count if item.kind is InputKind.PHOTOS else 1
    inputs: dict[str, Any] = {name: [file.model_dump() for file in given[:count]]}
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
        if item.kind in FILE_KINDS:
            for index, file in enumerate(files(flow, item.name)):
                field = (
                    list_item(item.field, index) if item.kind is InputKind.PHOTOS else item.field
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
)


@dataclass(frozen=True)
class ResultAction:
    """A button under a delivered result: start `tool` with the result as `input`."""

    key: str
    tool: str
    input: str


RESULT_ACTIONS = (
    ResultAction("edit", "image_editor", "photos"),
    ResultAction("upscale", "upscaler", "photo"),
    ResultAction("swap", "faceswap", "target"),
)
