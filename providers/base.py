"""The interfaces the job engine drives: every provider client implements one of them."""

from __future__ import annotations

from typing import Any, BinaryIO, Protocol

from providers.models import (
    Generation,
    GenerationResult,
    Lora,
    MediaKind,
    PhotoshootCategory,
    Template,
    ToolInfo,
    Training,
    TrainingFile,
    Transaction,
)


class GenerationSource(Protocol):
    """A provider whose generations are polled and fetched."""

    name: str
    """Stable identifier: the job's `provider` column, and the namespace of cached assets."""

    async def status(self, generation_id: str) -> Generation: ...

    async def result(self, generation_id: str) -> GenerationResult: ...

    async def download(self, url: str, into: BinaryIO, max_bytes: int) -> int:
        """Stream one output into `into` and return its size, never holding it whole;
        raises OutputTooLargeError, keeping nothing, when it is over `max_bytes`."""
        ...

    async def aclose(self) -> None: ...


class GenerationProvider(GenerationSource, Protocol):
    """Start/poll/fetch generation at one provider, as ZenCreator's public API shapes it."""

    async def upload(self, data: bytes, media_type: MediaKind, filename: str) -> str:
        """Upload one input file and return its asset id."""
        ...

    async def start(self, tool: str, input: dict[str, Any], idempotency_key: str) -> Generation:
        """Start a generation; the same key never starts a second one."""
        ...

    async def balance(self) -> float:
        """The provider account's remaining credits."""
        ...

    async def loras(self, model: str | None = None) -> list[Lora]:
        """LoRA styles a tool input may name, for one model or all."""
        ...

    async def templates(self) -> list[Template]:
        """Ready-to-use presets."""
        ...

    async def tool(self, name: str) -> ToolInfo:
        """One tool of the catalog, with the schema of its input."""
        ...

    async def photoshoot_categories(self) -> list[PhotoshootCategory]:
        """The curated categories `photoshoot` takes as `category_id`."""
        ...

    async def transactions(self, limit: int = 20, offset: int = 0) -> list[Transaction]:
        """The provider account's credit history, newest first."""
        ...

    async def generation_charge(self, generation_id: str) -> float | None:
        """What a generation cost the provider account in the end; None when unknown."""
        ...


class ActorProvider(GenerationSource, Protocol):
    """Trains an actor's likeness (a LoRA) and voice, and pictures a trained likeness."""

    async def available(self) -> bool:
        """Whether the provider takes actor work now. Being disabled upstream is a normal
        state, answered False, never raised."""
        ...

    async def train_likeness(
        self, images: list[TrainingFile], *, name: str, trigger_word: str, idempotency_key: str
    ) -> Training:
        """Start training a likeness LoRA on face photos (4 to 30)."""
        ...

    async def clone_voice(
        self, sample: TrainingFile, *, name: str, idempotency_key: str
    ) -> Training:
        """Start cloning a voice from one sample (instant cloning; may finish at once)."""
        ...

    async def training(self, training_id: str) -> Training:
        """Where a training started by this provider stands now."""
        ...

    async def picture(
        self, model_ref: str, trigger_word: str | None, prompt: str, idempotency_key: str
    ) -> Generation:
        """Start an image of a trained likeness from a prompt; poll it with `status`."""
        ...

    async def delete_model(self, model_ref: str) -> None:
        """Remove a trained model where the provider allows it; a missing one is no error."""
        ...
