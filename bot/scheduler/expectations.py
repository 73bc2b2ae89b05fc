"""How long a provider's jobs take, per tool and model: learned from the jobs it finished.

The poll scheduler polls a job when it expects it to be done, so it needs a good guess of
how long each kind of job takes. Before a tool and model have finished once at a provider,
the guess is `STARTING_GUESSES` (the provider publishes no durations; these are rough
figures for a quiet day). Each finished job then moves the expectation a quarter of the
way towards the duration seen, and every change is kept in SQLite, so a restart starts
from what was learned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Protocol

from storage.durations import ToolDuration

STARTING_GUESSES: Final[Mapping[str, float]] = MappingProxyType(
    {
        # ZenCreator, images
        "faceswap": 15.0,
        "upscaler": 30.0,
        "by_prompt": 30.0,
        "by_ref": 30.0,
        "image_editor": 30.0,
        "facegen": 30.0,
        "undress": 30.0,
        "collaber": 45.0,
        "photoshoot": 60.0,
        "carousel": 60.0,
        # ZenCreator, videos
        "lipsync": 120.0,
        "videogen": 180.0,
        "video_merger": 60.0,
        "video2video": 300.0,
        "video_upscaler": 300.0,
        # Actor providers (Framehood gives a likeness training 20 minutes)
        "actor_picture": 30.0,
        "actor_voice": 30.0,
        "actor_likeness": 1200.0,
    }
)
"""Seconds, by tool, until the first job of a tool and model has finished."""
DEFAULT_GUESS: Final = 60.0
"""Seconds, for a tool `STARTING_GUESSES` does not name."""
SMOOTHING: Final = 0.25
"""How far one finished job moves the expectation towards its own duration."""
SHORTEST: Final = 0.1
"""Seconds; no job is expected to take less."""


class DurationStore(Protocol):
    """Where learned durations are kept (storage.durations.DurationsRepository)."""

    async def of_provider(self, provider: str) -> list[ToolDuration]: ...

    async def save(self, duration: ToolDuration) -> None: ...


@dataclass(frozen=True)
class Expectation:
    seconds: float
    learned: bool
    """False while it is still the starting guess."""


class Expectations:
    """Expected durations of one provider's jobs, by tool and model."""

    def __init__(
        self,
        provider: str,
        store: DurationStore,
        guesses: Mapping[str, float] = STARTING_GUESSES,
    ) -> None:
        self._provider = provider
        self._store = store
        self._guesses = guesses
        self._learned: dict[tuple[str, str], ToolDuration] = {}

    async def load(self) -> None:
        """Read what earlier runs learned."""
        for duration in await self._store.of_provider(self._provider):
            self._learned[duration.tool, duration.model] = duration

    def of(self, tool: str, model: str = "") -> Expectation:
        learned = self._learned.get((tool, model))
        if learned is not None:
            return Expectation(learned.seconds, learned=True)
        return Expectation(self._guesses.get(tool, DEFAULT_GUESS), learned=False)

    async def learn(self, tool: str, model: str, seconds: float) -> None:
        """One job of `tool` and `model` took `seconds`; the first replaces the guess."""
        seconds = max(seconds, SHORTEST)
        known = self._learned.get((tool, model))
        if known is None:
            duration = ToolDuration(
                provider=self._provider, tool=tool, model=model, seconds=seconds, samples=1
            )
        else:
            moved = known.seconds + SMOOTHING * (seconds - known.seconds)
            duration = known.model_copy(update={"seconds": moved, "samples": known.samples + 1})
        self._learned[tool, model] = duration
        await self._store.save(duration)
