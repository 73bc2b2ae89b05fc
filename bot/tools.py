"""The provider tools castbot offers, and how their jobs are described and priced."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from providers.models import FaceswapInput, LipsyncInput, MediaKind


class OutputKind(StrEnum):
    PHOTO = "photo"
    VIDEO = "video"


@dataclass(frozen=True)
class Tool:
    name: str
    """The provider's tool name, also the job's `tool` column."""
    title: str
    output: OutputKind
    input_model: type[BaseModel]
    deadline: timedelta
    """After submission; a job still running then is failed and refunded."""
    expected_outputs: int = 1


FACESWAP = Tool(
    name="faceswap",
    title="Face swap",
    output=OutputKind.PHOTO,
    input_model=FaceswapInput,
    deadline=timedelta(minutes=15),
)
LIPSYNC = Tool(
    name="lipsync",
    title="Lipsync",
    output=OutputKind.VIDEO,
    input_model=LipsyncInput,
    deadline=timedelta(minutes=30),
)
TOOLS = {tool.name: tool for tool in (FACESWAP, LIPSYNC)}


class FileInput(BaseModel):
    """A Telegram file that becomes one asset field of the provider input."""

    field: str
    file_id: str
    file_unique_id: str
    kind: MediaKind
    filename: str


class JobSpec(BaseModel):
    """Everything a job needs to run, as saved in its row before anything is charged."""

    files: list[FileInput]
    options: dict[str, Any] = Field(default_factory=dict)
    audio_seconds: float | None = None

    def provider_input(self, tool: Tool, assets: dict[str, str]) -> dict[str, Any]:
        """The tool's validated input, given the asset id of each file field."""
        return tool.input_model.model_validate({**self.options, **assets}).model_dump(mode="json")
