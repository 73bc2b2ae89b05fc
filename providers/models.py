"""Wire models shared by every generation provider.

ZenCreator's public document names the fields that matter but prints no full response
bodies, so every shape assumed here is parsed leniently: unknown fields are ignored and
optional fields may be missing. Keep all such assumptions in this module.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class WireModel(BaseModel):
    """Base for response bodies: tolerate fields the provider adds later."""

    model_config = ConfigDict(extra="ignore")


class MediaKind(StrEnum):
    """The `media_type` form field of an asset upload."""

    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"


class GenerationStatus(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"

    @property
    def is_terminal(self) -> bool:
        return self in (self.SUCCEEDED, self.PARTIAL, self.FAILED)


class Asset(WireModel):
    """`POST /api/public/v1/assets` response."""

    asset_id: str


class Generation(WireModel):
    """`POST /generations` and `GET /generations/{id}` response."""

    id: str
    status: GenerationStatus
    error: str | None = None
    """Why a generation ended `failed` or `partial`; the provider's own words."""


class Output(WireModel):
    """One produced file of a finished generation."""

    asset_id: str | None = None
    """The output as an asset: a later generation takes it as an input with no upload
    (the catalog's `Outputs` name asset fields; the result's key is assumed, see README)."""
    url: str | None = None
    download_url: str | None = None
    """Preferred for fetching the bytes; `url` may be a viewer page."""

    @property
    def fetch_url(self) -> str | None:
        return self.download_url or self.url


class GenerationResult(WireModel):
    """`GET /generations/{id}/result` response."""

    id: str
    status: GenerationStatus
    error: str | None = None
    outputs: list[Output] = Field(default_factory=list)


class Balance(WireModel):
    """`GET /api/public/v1/balance` response."""

    balance: float


class CatalogItem(WireModel):
    """One entry of `GET /loras`, `GET /templates` or `GET /photoshoot-categories`.

    The reference prints no body for these; assumed: objects with an `id` (what a tool
    input takes: `loras` key, `lora_id`, `category_id`), a `name` (or `title`) and a
    `description`, listed bare or under one key of an object (`{"items": [...]}`).
    """

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    id: str
    name: str = ""
    description: str = ""

    @model_validator(mode="before")
    @classmethod
    def _title_as_name(cls, value: Any) -> Any:
        if isinstance(value, dict) and not value.get("name") and value.get("title"):
            return {**value, "name": value["title"]}
        return value


class CatalogList(WireModel):
    items: list[CatalogItem]

    @model_validator(mode="before")
    @classmethod
    def _unwrap(cls, value: Any) -> Any:
        if isinstance(value, list):
            return {"items": value}
        if isinstance(value, dict) and "items" not in value:
            lists = [item for item in value.values() if isinstance(item, list)]
            if len(lists) == 1:
                return {"items": lists[0]}
        return value


MAX_UPLOAD_BYTES = 50 * 1024 * 1024
"""`POST /assets` accepts files up to "50 MB"; read as MiB (the document does not say)."""


class ErrorDetail(WireModel):
    """The `error` object of the error envelope `{"error": {"code": ..., "message": ...}}`."""

    code: str | None = None
    message: str | None = None
    field: str | None = None
    """Not in the document; read in case the provider names a 422's field outright."""


class ValidationIssue(WireModel):
    """One item of a FastAPI-style `{"detail": [...]}` body, which a 422 may come as."""

    loc: list[str | int] = Field(default_factory=list)
    msg: str | None = None


class ErrorEnvelope(WireModel):
    """Any error body: the documented envelope, or FastAPI's default validation shape."""

    error: ErrorDetail | str | None = None
    detail: list[ValidationIssue] | str | None = None


# --- Actor training (Scenario, Framehood): the provider-neutral view the engine works with.


class TrainingState(StrEnum):
    QUEUED = "queued"
    TRAINING = "training"
    TRAINED = "trained"
    FAILED = "failed"
    """Failed or cancelled at the provider."""

    @property
    def is_terminal(self) -> bool:
        return self in (self.TRAINED, self.FAILED)


class Training(BaseModel):
    """Where one likeness or voice training stands at its provider."""

    id: str
    """What `ActorProvider.training` is asked with (a Scenario model id, a Framehood job id)."""
    state: TrainingState
    stage: str | None = None
    """The provider's own name for the current stage, e.g. Scenario's `running-train`."""
    progress: float | None = None
    """0 to 1, when the provider reports it."""
    remaining_seconds: float | None = None
    error: str | None = None
    """Why it failed, in the provider's words."""
    model_ref: str | None = None
    """Once trained: what later calls name the result by (a model id, a LoRA file URL, a
    voice id)."""


class TrainingFile(BaseModel):
    """One training input: a face photo or a voice sample."""

    data: bytes
    filename: str
    kind: MediaKind
