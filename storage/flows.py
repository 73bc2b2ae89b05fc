"""Flows: the one conversation each user is in, stored so that a restart loses no step.

A flow row holds what the flow knows (tool, step, inputs, options) and which message's
keyboard is live. Every change bumps its revision, which the live keyboard's buttons carry:
a button of an older revision, or of a flow that ended, is refused. Revisions keep growing
across flows (`flow_revisions` outlives the rows), so an ended flow's buttons never match
the next one. Writes are conditional on the revision the writer read, so two writers (an
update and an album's settle timer) cannot overwrite each other.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import aiosqlite
from pydantic import BaseModel, Field, field_validator

from storage.db import Database, utcnow

IDLE = timedelta(minutes=10)
"""A flow nobody touched for this long is over."""

_JSON_COLUMNS = ("inputs", "options", "measures", "offered")
_COLUMNS = frozenset(
    {
        "tool",
        "step",
        "priced",
        "inputs",
        "options",
        "measures",
        "message_id",
        "view",
        "offered",
        "quote_job_id",
        "album",
    }
)


class Flow(BaseModel):
    user_id: int
    chat_id: int
    tool: str
    step: int
    priced: bool = False
    """The question of `step` showed the job's final price: its answer orders the job."""
    inputs: dict[str, Any] = Field(default_factory=dict)
    options: dict[str, Any] = Field(default_factory=dict)
    measures: dict[str, float | None] = Field(default_factory=dict)
    """What was measured from the inputs; None for a length not known in advance."""
    message_id: int | None = None
    revision: int
    view: str = ""
    offered: list[str] = Field(default_factory=list)
    quote_job_id: str | None = None
    album: str | None = None
    updated_at: str

    @field_validator(*_JSON_COLUMNS, mode="before")
    @classmethod
    def _decode(cls, value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value


class FlowsRepository:
    def __init__(self, db: Database, idle: timedelta = IDLE) -> None:
        self._db = db
        self._idle = idle

    async def get(self, user_id: int) -> Flow | None:
        """The user's flow; one idle for too long is deleted and None returned."""
        async with self._db.transaction() as tx:
            flow = await _fetch(tx, user_id)
            if flow is None or not self._expired(flow):
                return flow
            await tx.execute("DELETE FROM flows WHERE user_id = ?", (user_id,))
            return None

    async def start(self, user_id: int, chat_id: int, **fields: Any) -> tuple[Flow, Flow | None]:
        """Begin a flow, replacing the user's current one; returns the new flow and the one it
        replaced (None if there was none, or it had gone idle)."""
        _check(fields)
        async with self._db.transaction() as tx:
            previous = await _fetch(tx, user_id)
            if previous is not None and self._expired(previous):
                previous = None
            revision = await _next_revision(tx, user_id)
            values = {"view": "", "offered": [], "inputs": {}, "options": {}, "measures": {}}
            values |= fields
            await tx.execute("DELETE FROM flows WHERE user_id = ?", (user_id,))
            columns = ", ".join(values)
            placeholders = ", ".join("?" for _ in values)
            await tx.execute(
                f"INSERT INTO flows (user_id, chat_id, revision, updated_at, {columns})"
                f" VALUES (?, ?, ?, ?, {placeholders})",
                (user_id, chat_id, revision, utcnow(), *_encode(values).values()),
            )
            flow = await _fetch(tx, user_id)
            assert flow is not None
            return flow, previous

    async def save(self, flow: Flow, **changes: Any) -> Flow | None:
        """Write changes under a new revision, if the flow is still at `flow.revision`;
        None when it changed or ended meanwhile."""
        _check(changes)
        try:
            async with self._db.transaction() as tx:
                revision = await _next_revision(tx, flow.user_id)
                assignments = "".join(f", {column} = ?" for column in changes)
                cursor = await tx.execute(
                    f"UPDATE flows SET revision = ?, updated_at = ?{assignments}"
                    " WHERE user_id = ? AND revision = ?",
                    (revision, utcnow(), *_encode(changes).values(), flow.user_id, flow.revision),
                )
                if cursor.rowcount != 1:
                    raise _Stale  # rolls the revision counter back too
                return await _fetch(tx, flow.user_id)
        except _Stale:
            return None

    async def attach(
        self, flow: Flow, message_id: int, quote_job_id: str | None = None
    ) -> Flow | None:
        """Record the message that shows the flow's keyboard (and the job it quotes),
        keeping the revision its buttons were made with; None when the flow changed or
        ended meanwhile."""
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE flows SET message_id = ?, quote_job_id = ?, updated_at = ?"
                " WHERE user_id = ? AND revision = ?",
                (message_id, quote_job_id, utcnow(), flow.user_id, flow.revision),
            )
            if cursor.rowcount != 1:
                return None
            return await _fetch(tx, flow.user_id)

    async def end(self, user_id: int, revision: int | None = None) -> Flow | None:
        """Delete the user's flow (only at `revision`, when given); returns what was
        deleted, or None."""
        async with self._db.transaction() as tx:
            flow = await _fetch(tx, user_id)
            if flow is None or (revision is not None and flow.revision != revision):
                return None
            await tx.execute("DELETE FROM flows WHERE user_id = ?", (user_id,))
            return flow

    def _expired(self, flow: Flow) -> bool:
        return datetime.fromisoformat(flow.updated_at) < datetime.now(UTC) - self._idle


class _Stale(Exception):
    """The flow changed since it was read."""


async def _fetch(tx: aiosqlite.Connection, user_id: int) -> Flow | None:
    row = await (await tx.execute("SELECT * FROM flows WHERE user_id = ?", (user_id,))).fetchone()
    return Flow.model_validate(dict(row)) if row else None


async def _next_revision(tx: aiosqlite.Connection, user_id: int) -> int:
    cursor = await tx.execute(
        "INSERT INTO flow_revisions (user_id, revision) VALUES (?, 1)"
        " ON CONFLICT (user_id) DO UPDATE SET revision = revision + 1 RETURNING revision",
        (user_id,),
    )
    row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


def _check(fields: dict[str, Any]) -> None:
    unknown = set(fields) - _COLUMNS
    if unknown:
        raise ValueError(f"not a flow column: {sorted(unknown)}")


def _encode(values: dict[str, Any]) -> dict[str, Any]:
    return {
        column: json.dumps(value) if column in _JSON_COLUMNS else value
        for column, value in values.items()
    }
