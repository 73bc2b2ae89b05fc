"""The interface the job engine drives: every generation provider implements it."""

from __future__ import annotations

from typing import Any, Protocol

from providers.models import Generation, GenerationResult, MediaKind


class GenerationProvider(Protocol):
    """Start/poll/fetch generation at one provider, as ZenCreator's public API shapes it."""

    name: str
    """Stable identifier, used as the namespace of cached asset ids."""

    async def upload(self, data: bytes, media_type: MediaKind, filename: str) -> str:
        """Upload one input file and return its asset id."""
        ...

    async def start(self, tool: str, input: dict[str, Any], idempotency_key: str) -> Generation:
        """Start a generation; the same key never starts a second one."""
        ...

    async def status(self, generation_id: str) -> Generation: ...

    async def result(self, generation_id: str) -> GenerationResult: ...

    async def download(self, url: str) -> bytes:
        """Fetch the bytes of one output."""
        ...

    async def balance(self) -> float:
        """The provider account's remaining credits."""
        ...

    async def aclose(self) -> None: ...
