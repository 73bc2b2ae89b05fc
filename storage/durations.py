"""Learned durations: how long each provider's tools (and models) take, per finished job."""

from __future__ import annotations

from pydantic import BaseModel

from storage.db import Database, utcnow


class ToolDuration(BaseModel):
    """The expected duration of one tool and model at one provider."""

    provider: str
    tool: str
    model: str
    """'' for a tool without a model option."""
    seconds: float
    samples: int
    """How many finished jobs it was learned from."""


class DurationsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def of_provider(self, provider: str) -> list[ToolDuration]:
        rows = await self._db.fetch_all(
            "SELECT provider, tool, model, seconds, samples FROM tool_durations"
            " WHERE provider = ? ORDER BY tool, model",
            provider,
        )
        return [ToolDuration.model_validate(dict(row)) for row in rows]

    async def save(self, duration: ToolDuration) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO tool_durations (provider, tool, model, seconds, samples, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (provider, tool, model)"
                " DO UPDATE SET seconds = excluded.seconds, samples = excluded.samples,"
                " updated_at = excluded.updated_at",
                (
                    duration.provider,
                    duration.tool,
                    duration.model,
                    duration.seconds,
                    duration.samples,
                    utcnow(),
                ),
            )
