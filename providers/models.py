"""Wire models shared by every generation provider.

ZenCreator's public document names the fields that matter but prints no full response
bodies, so every shape assumed here is parsed leniently: unknown fields are ignored and
optional fields may be missing. Keep all such assumptions in this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any, Final, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class WireModel(BaseModel):
    """Base for response bodies: tolerate fields the provider adds later."""

    model_config = ConfigDict(extra="ignore")


ItemT = TypeVar("ItemT", bound=WireModel)


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


# --- ZenCreator's catalog and credit history: ASSUMED SHAPES.
#
# The reference names these endpoints but prints none of their bodies. Until they are
# checked against the live OpenAPI document, the client assumes what follows and parses
# leniently (unknown fields ignored, ids that come as numbers read as strings):
#
# - a list comes bare (`[...]`) or as the one list of an object, under `items`, `data`,
#   `results` or the resource's own name (`loras`, `templates`, `categories`,
#   `photoshoot_categories`, `transactions`);
# - `GET /loras?model=` items: `id` (what tool inputs take as `lora_id`, or as a key of
#   videogen's `loras`), `name`, optional `description` and `model`;
# - `GET /templates` items: `id`, `name`, optional `description`, the `tool` the preset is
#   for and its ready `input`;
# - `GET /photoshoot-categories` items: `id` (photoshoot's `category_id`), `name`,
#   optional `description`;
# - `GET /tools/{name}`: the tool as `GET /tools` lists it, with `name` and `input_schema` (a
#   JSON Schema object); a field that maps named styles to strengths (by_prompt's and
#   by_ref's `loras`: "the allowed names are the keys listed for this field") lists those
#   names as the keys of the field's own `properties`, or else as `propertyNames.enum`;
# - `GET /transactions?limit=&offset=` items, newest first: `id`, `type` (`refund` for a
#   refund; anything else that names a generation is taken as a charge), `amount` (its sign
#   is not relied on) and, for spends and refunds, `generation_id`.


class CatalogItem(WireModel):
    """What every catalog entry has: an id to pass back, a name and a description."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    id: str
    name: str = ""
    description: str = ""

    @field_validator("name", "description", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return "" if value is None else value


class Lora(CatalogItem):
    """One LoRA style of `GET /loras?model=`."""

    model: str | None = None


class Template(CatalogItem):
    """One ready-to-use preset of `GET /templates`: send its `input` to its `tool`, or pass
    its `id` as `lora_id`."""

    tool: str | None = None
    input: dict[str, Any] = Field(default_factory=dict)


class PhotoshootCategory(CatalogItem):
    """One category of `GET /photoshoot-categories`: `photoshoot`'s `category_id`."""


class ToolInfo(WireModel):
    """One tool of `GET /tools/{name}`: its name and the JSON Schema of its input."""

    name: str
    input_schema: dict[str, Any] = Field(default_factory=dict)

    def listed_names(self, field: str) -> list[str]:
        """The names a map field of the input takes (its schema's listed keys); [] when the
        schema lists none."""
        properties = self.input_schema.get("properties")
        schema = properties.get(field) if isinstance(properties, dict) else None
        if not isinstance(schema, dict):
            return []
        keys = schema.get("properties")
        if isinstance(keys, dict):
            return [str(key) for key in keys]
        names = schema.get("propertyNames")
        if isinstance(names, dict) and isinstance(names.get("enum"), list):
            return [str(name) for name in names["enum"]]
        return []


class Transaction(WireModel):
    """One line of the credit history (`GET /transactions`): a top-up, a spend or a refund."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    id: str
    type: str
    amount: float
    generation_id: str | None = None

    @property
    def is_refund(self) -> bool:
        return self.type.lower().startswith("refund")


_LIST_KEYS: Final = (
    "items",
    "data",
    "results",
    "loras",
    "templates",
    "categories",
    "photoshoot_categories",
    "transactions",
)


class Listing(WireModel, Generic[ItemT]):
    """A list endpoint's body, bare or wrapped (see the assumptions above)."""

    items: list[ItemT]

    @model_validator(mode="before")
    @classmethod
    def _find_the_list(cls, body: object) -> object:
        if isinstance(body, list):
            return {"items": body}
        if isinstance(body, dict):
            for key in _LIST_KEYS:
                if isinstance(body.get(key), list):
                    return {"items": body[key]}
        return body


def net_charge(transactions: Iterable[Transaction], generation_id: str) -> float | None:
    """Credits a generation cost in the end: its charges less its refunds; None when no
    charge of it is among `transactions`."""
    charged = refunded = 0.0
    seen = False
    for transaction in transactions:
        if transaction.generation_id != generation_id:
            continue
        if transaction.is_refund:
            refunded += abs(transaction.amount)
        else:
            charged += abs(transaction.amount)
            seen = True
    return round(charged - refunded, 2) if seen else None


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
