"""The provider tools castbot offers, and how their jobs are described and priced."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, model_validator

from bot import texts
from providers.models import MediaKind
from providers.tools import (
    ByPromptInput,
    ByRefInput,
    CarouselInput,
    CollaberInput,
    FacegenInput,
    FaceswapInput,
    ImageEditorInput,
    LipsyncInput,
    PhotoshootInput,
    UpscalerInput,
    Video2VideoInput,
    VideogenInput,
    VideoMergerInput,
    VideoUpscalerInput,
)


class OutputKind(StrEnum):
    PHOTO = "photo"
    """Sent as a photo (several as albums); one Telegram cannot show goes as a document."""
    VIDEO = "video"
    DOCUMENT = "document"
    """Sent as a file, untouched (an upscaled image keeps every pixel)."""


class ToolKind(StrEnum):
    """Which provider runs a tool's jobs, and what they produce."""

    GENERATION = "generation"
    """Media from the generation provider (ZenCreator, or the offline mock)."""
    ACTOR_PICTURE = "actor_picture"
    """An image of a trained likeness, from the actor provider that trained it."""
    LIKENESS = "likeness"
    """A likeness LoRA trained at an actor provider; its result is a model, not media."""
    VOICE = "voice"
    """A voice cloned at an actor provider; its result is a voice, not media."""

    @property
    def is_training(self) -> bool:
        return self in (ToolKind.LIKENESS, ToolKind.VOICE)


@dataclass(frozen=True)
class Tool:
    name: str
    """The provider's tool name (castbot's own for actor tools), also the job's `tool`."""
    title: str
    output: OutputKind | None
    """What is delivered; None for trainings, whose result is recorded on the actor."""
    input_model: type[BaseModel]
    deadline: timedelta
    """Counted from the charge; a job whose result is not in by then is failed and refunded."""
    kind: ToolKind = ToolKind.GENERATION
    count_option: str | None = None
    """The option that sets how many outputs a job makes (`batch_size`, `number_of_images`);
    None: one output."""
    photo_also_as_file: bool = False
    """Each photo sent also comes as a file, which Telegram does not recompress."""

    def expected_outputs(self, options: dict[str, Any]) -> int:
        """How many outputs a job with these options makes (what a partial job is refunded by)."""
        if self.count_option is None:
            return 1
        return int(options.get(self.count_option, 1))


FACESWAP = Tool(
    name="faceswap",
    title=texts.TOOL_TITLES["faceswap"],
    output=OutputKind.PHOTO,
    input_model=FaceswapInput,
    deadline=timedelta(minutes=15),
    photo_also_as_file=True,
)
LIPSYNC = Tool(
    name="lipsync",
    title=texts.TOOL_TITLES["lipsync"],
    output=OutputKind.VIDEO,
    input_model=LipsyncInput,
    deadline=timedelta(minutes=30),
)
BY_PROMPT = Tool(
    name="by_prompt",
    title=texts.TOOL_TITLES["by_prompt"],
    output=OutputKind.PHOTO,
    input_model=ByPromptInput,
    deadline=timedelta(minutes=15),
    count_option="batch_size",
)
IMAGE_EDITOR = Tool(
    name="image_editor",
    title=texts.TOOL_TITLES["image_editor"],
    output=OutputKind.PHOTO,
    input_model=ImageEditorInput,
    deadline=timedelta(minutes=15),
    count_option="number_of_images",
)
UPSCALER = Tool(
    name="upscaler",
    title=texts.TOOL_TITLES["upscaler"],
    output=OutputKind.DOCUMENT,
    input_model=UpscalerInput,
    deadline=timedelta(minutes=15),
)
BY_REF = Tool(
    name="by_ref",
    title=texts.TOOL_TITLES["by_ref"],
    output=OutputKind.PHOTO,
    input_model=ByRefInput,
    deadline=timedelta(minutes=15),
    count_option="batch_size",
)
PHOTOSHOOT = Tool(
    name="photoshoot",
    title=texts.TOOL_TITLES["photoshoot"],
    output=OutputKind.PHOTO,
    input_model=PhotoshootInput,
    # Every shot is generated from scratch, one after another.
    deadline=timedelta(minutes=30),
    count_option="image_count",
)
FACEGEN = Tool(
    name="facegen",
    title=texts.TOOL_TITLES["facegen"],
    output=OutputKind.PHOTO,
    input_model=FacegenInput,
    deadline=timedelta(minutes=15),
)
CAROUSEL = Tool(
    name="carousel",
    title=texts.TOOL_TITLES["carousel"],
    output=OutputKind.PHOTO,
    input_model=CarouselInput,
    deadline=timedelta(minutes=20),
    count_option="number_of_images",
)
COLLABER = Tool(
    name="collaber",
    title=texts.TOOL_TITLES["collaber"],
    output=OutputKind.PHOTO,
    input_model=CollaberInput,
    deadline=timedelta(minutes=15),
    count_option="number_of_images",
)

# Video generation takes minutes at the provider; the reference gives no durations.
VIDEOGEN = Tool(
    name="videogen",
    title=texts.TOOL_TITLES["videogen"],
    output=OutputKind.VIDEO,
    input_model=VideogenInput,
    deadline=timedelta(hours=1),
)
VIDEO2VIDEO = Tool(
    name="video2video",
    title=texts.TOOL_TITLES["video2video"],
    output=OutputKind.VIDEO,
    input_model=Video2VideoInput,
    deadline=timedelta(hours=1),
)
VIDEO_UPSCALER = Tool(
    name="video_upscaler",
    title=texts.TOOL_TITLES["video_upscaler"],
    output=OutputKind.VIDEO,
    input_model=VideoUpscalerInput,
    deadline=timedelta(hours=1),
)
VIDEO_MERGER = Tool(
    name="video_merger",
    title=texts.TOOL_TITLES["video_merger"],
    output=OutputKind.VIDEO,
    input_model=VideoMergerInput,
    deadline=timedelta(minutes=30),
)


class ActorJobInput(BaseModel):
    """What every actor job records about its actor, copied when it is ordered."""

    actor_id: int
    actor_name: str


class LikenessInput(ActorJobInput):
    trigger_word: str


class PictureInput(ActorJobInput):
    model_ref: str
    trigger_word: str | None = None
    prompt: str


ACTOR_LIKENESS = Tool(
    name="actor_likeness",
    title=texts.TOOL_TITLES["actor_likeness"],
    output=None,
    input_model=LikenessInput,
    # Scenario queues trainings; Framehood's own timeout is 20 minutes.
    deadline=timedelta(hours=2),
    kind=ToolKind.LIKENESS,
)
ACTOR_VOICE = Tool(
    name="actor_voice",
    title=texts.TOOL_TITLES["actor_voice"],
    output=None,
    input_model=ActorJobInput,
    deadline=timedelta(minutes=20),
    kind=ToolKind.VOICE,
)
ACTOR_PICTURE = Tool(
    name="actor_picture",
    title=texts.TOOL_TITLES["actor_picture"],
    output=OutputKind.PHOTO,
    input_model=PictureInput,
    deadline=timedelta(minutes=10),
    kind=ToolKind.ACTOR_PICTURE,
)
TOOLS = {
    tool.name: tool
    for tool in (
        FACESWAP,
        LIPSYNC,
        BY_PROMPT,
        IMAGE_EDITOR,
        UPSCALER,
        BY_REF,
        PHOTOSHOOT,
        FACEGEN,
        CAROUSEL,
        COLLABER,
        VIDEOGEN,
        VIDEO2VIDEO,
        VIDEO_UPSCALER,
        VIDEO_MERGER,
        ACTOR_LIKENESS,
        ACTOR_VOICE,
        ACTOR_PICTURE,
    )
}


class FileInput(BaseModel):
    """One asset field of the provider input: a Telegram file to upload, or an asset the
    provider already holds (an earlier result), which is used as it is.

    A field that takes a list of assets (`image_assets`) gets one input per item, named
    `image_assets.0`, `image_assets.1`, ... in order; one that takes a list of objects
    (video_merger's `clips`) names the key too: `clips.0.asset_id` (see `list_item`).
    """

    field: str
    file_id: str | None = None
    file_unique_id: str | None = None
    kind: MediaKind
    filename: str
    asset_id: str | None = None
    file_size: int | None = None
    """The size Telegram gave for a Telegram file, when it gave one: a file taken before a
    tool was chosen (on the photo menu) is checked against the tool's limit with it."""

    @model_validator(mode="after")
    def _one_source(self) -> FileInput:
        telegram_file = self.file_id is not None and self.file_unique_id is not None
        if telegram_file == (self.asset_id is not None):
            raise ValueError("a file input is a Telegram file or a provider asset, not both")
        return self


LIST_ITEM = "."


def list_item(field: str, index: int, key: str | None = None) -> str:
    """The file field of item `index` of a list field (under `key`, in a list of objects)."""
    item = f"{field}{LIST_ITEM}{index}"
    return item if key is None else f"{item}{LIST_ITEM}{key}"


class JobSpec(BaseModel):
    """Everything a job needs to run, as saved in its row before anything is charged."""

    files: list[FileInput]
    options: dict[str, Any] = Field(default_factory=dict)
    """Every other field of the provider input (texts and option values)."""
    measures: dict[str, float | None] = Field(default_factory=dict)
    """What was measured from the inputs and priced (`audio_seconds`), kept so the same job
    can be quoted again; None for a length not known in advance, charged at its most."""

    @property
    def charged_at_most(self) -> bool:
        """Whether the price was the most the job can cost (a length not known in advance):
        the provider's real charge settles it."""
        return None in self.measures.values()

    def provider_input(self, tool: Tool, assets: dict[str, str]) -> dict[str, Any]:
        """The tool's validated input, given the asset id of each file field."""
        fields: dict[str, Any] = dict(self.options)
        items: dict[str, list[tuple[int, Any]]] = {}
        for field, asset_id in assets.items():
            name, *path = field.split(LIST_ITEM)
            if not path:
                fields[field] = asset_id
                continue
            item = asset_id if len(path) == 1 else {path[1]: asset_id}
            items.setdefault(name, []).append((int(path[0]), item))
        for name, numbered in items.items():
            fields[name] = [item for _, item in sorted(numbered, key=lambda pair: pair[0])]
        return tool.input_model.model_validate(fields).model_dump(mode="json")
