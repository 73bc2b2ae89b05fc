"""Jobs: one row per paid action, moved step by step by the job engine.

Every step is written here before the next one begins, so a restarted process knows
exactly where each job stands. A worker claims a job with a lease before touching it.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import aiosqlite
from pydantic import BaseModel, Field, field_validator

from storage.db import Database, utcnow
from storage.users import LedgerKind, apply_credits


class JobState(StrEnum):
    QUOTED = "quoted"
    RESERVED = "reserved"
    SUBMITTED = "submitted"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    PARTIAL = "partial"
    DELIVERED = "delivered"
    DECLINED = "declined"
    """A quote the user turned down; nothing was charged."""


UNFINISHED = (
    JobState.RESERVED,
    JobState.SUBMITTED,
    JobState.SUCCEEDED,
    JobState.FAILED,
    JobState.PARTIAL,
)

# Columns the engine records as a job moves; anything else is fixed at creation.
STEP_COLUMNS = frozenset(
    {
        "state",
        "generation_id",
        "status_message_id",
        "status_text",
        "outputs",
        "error",
        "delivered_message_ids",
        "submitted_at",
        "deadline_at",
    }
)


class JobOutput(BaseModel):
    """One result of a job, as the provider reported it."""

    url: str
    """Where the bytes are fetched; for a training, the trained model's reference."""
    asset_id: str | None = None
    """The provider's asset id of the output, which a later job takes as an input as it is."""


class Job(BaseModel):
    id: str
    user_id: int
    chat_id: int
    tool: str
    provider: str
    state: JobState
    spec: dict[str, Any]
    price: int
    generation_id: str | None = None
    status_message_id: int | None = None
    status_text: str | None = None
    outputs: list[JobOutput] = Field(default_factory=list)
    error: str | None = None
    """Why it failed, in words safe to show the user; None for a generic reason."""
    refunded: int = 0
    delivered_message_ids: list[int] = Field(default_factory=list)
    created_at: str
    updated_at: str
    submitted_at: str | None = None
    deadline_at: str | None = None
    lease_owner: str | None = None
    lease_expires_at: str | None = None

    @field_validator("spec", mode="before")
    @classmethod
    def _decode_spec(cls, value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value

    @field_validator("outputs", "delivered_message_ids", mode="before")
    @classmethod
    def _decode_list(cls, value: object) -> object:
        if value is None:
            return []
        items = json.loads(value) if isinstance(value, str) else value
        if not isinstance(items, list):
            return items
        # Rows written before outputs kept their asset id hold bare URLs.
        return [{"url": item} if isinstance(item, str) else item for item in items]


class JobNotQuoted(Exception):
    """The job is no longer waiting for the user's confirmation (confirmed or declined)."""


class JobsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        *,
        job_id: str,
        user_id: int,
        chat_id: int,
        tool: str,
        provider: str,
        spec: dict[str, Any],
        price: int,
        reserve: bool,
    ) -> Job:
        """Insert a job: only quoted, or reserved with its debit in the same transaction.

        Raises InsufficientCredits, writing nothing, when a reservation is not affordable.
        """
        now = utcnow()
        state = JobState.RESERVED if reserve else JobState.QUOTED
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO jobs (id, user_id, chat_id, tool, provider, state, spec, price,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job_id,
                    user_id,
                    chat_id,
                    tool,
                    provider,
                    state,
                    json.dumps(spec),
                    price,
                    now,
                    now,
                ),
            )
            if reserve:
                await _debit(tx, job_id, user_id, price, tool)
            return await _fetch(tx, job_id)

    async def reserve(self, job_id: str, user_id: int) -> Job:
        """Charge a quoted job of this user and mark it reserved, atomically.

        Raises JobNotQuoted if it was already confirmed or declined (a double press),
        InsufficientCredits if the balance no longer covers it.
        """
        async with self._db.transaction() as tx:
            job = await _fetch(tx, job_id)
            if job.user_id != user_id or job.state is not JobState.QUOTED:
                raise JobNotQuoted(job_id)
            await _debit(tx, job_id, user_id, job.price, job.tool)
            await tx.execute(
                "UPDATE jobs SET state = ?, updated_at = ? WHERE id = ?",
                (JobState.RESERVED, utcnow(), job_id),
            )
            return await _fetch(tx, job_id)

    async def decline(self, job_id: str, user_id: int) -> Job:
        """Turn down a quote; raises JobNotQuoted if it is no longer one."""
        async with self._db.transaction() as tx:
            job = await _fetch(tx, job_id)
            if job.user_id != user_id or job.state is not JobState.QUOTED:
                raise JobNotQuoted(job_id)
            await tx.execute(
                "UPDATE jobs SET state = ?, updated_at = ? WHERE id = ?",
                (JobState.DECLINED, utcnow(), job_id),
            )
            return await _fetch(tx, job_id)

    async def get(self, job_id: str) -> Job | None:
        row = await self._db.fetch_one("SELECT * FROM jobs WHERE id = ?", job_id)
        return Job.model_validate(dict(row)) if row else None

    async def record(self, job_id: str, **step: Any) -> Job:
        """Write the outcome of one step (state, generation id, outputs, ...)."""
        unknown = set(step) - STEP_COLUMNS
        if unknown:
            raise ValueError(f"not a step column: {sorted(unknown)}")
        values = {
            column: json.dumps(_plain(value)) if isinstance(value, list) else value
            for column, value in step.items()
        }
        assignments = ", ".join(f"{column} = ?" for column in values)
        async with self._db.transaction() as tx:
            await tx.execute(
                f"UPDATE jobs SET {assignments}, updated_at = ? WHERE id = ?",
                (*values.values(), utcnow(), job_id),
            )
            return await _fetch(tx, job_id)

    async def refund(self, job_id: str, amount: int, note: str) -> bool:
        """Give `amount` back for this job, exactly once; False if it was refunded already."""
        async with self._db.transaction() as tx:
            job = await _fetch(tx, job_id)
            if job.refunded or amount <= 0:
                return False
            try:
                await apply_credits(tx, job.user_id, amount, LedgerKind.REFUND, job_id, note)
            except sqlite3.IntegrityError:
                return False
            await tx.execute("UPDATE jobs SET refunded = ? WHERE id = ?", (amount, job_id))
            return True

    async def unfinished(self) -> list[Job]:
        """Every job the engine still has to move on, oldest first."""
        placeholders = ", ".join("?" for _ in UNFINISHED)
        rows = await self._db.fetch_all(
            f"SELECT * FROM jobs WHERE state IN ({placeholders}) ORDER BY created_at, id",
            *UNFINISHED,
        )
        return [Job.model_validate(dict(row)) for row in rows]

    async def claim(self, job_id: str, worker: str, lease_seconds: float) -> bool:
        """Take or renew the lease on a job; False if another live worker holds it."""
        now = datetime.now(UTC)
        expires = (now + timedelta(seconds=lease_seconds)).isoformat(timespec="milliseconds")
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE jobs SET lease_owner = ?, lease_expires_at = ? WHERE id = ?"
                " AND (lease_owner IS NULL OR lease_owner = ? OR lease_expires_at < ?)",
                (worker, expires, job_id, worker, now.isoformat(timespec="milliseconds")),
            )
            return cursor.rowcount == 1

    async def release(self, job_id: str, worker: str) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL"
                " WHERE id = ? AND lease_owner = ?",
                (job_id, worker),
            )

    async def recent(self, user_id: int, limit: int = 10) -> list[Job]:
        rows = await self._db.fetch_all(
            "SELECT * FROM jobs WHERE user_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
            user_id,
            limit,
        )
        return [Job.model_validate(dict(row)) for row in rows]


def _plain(items: list[Any]) -> list[Any]:
    return [item.model_dump() if isinstance(item, BaseModel) else item for item in items]


async def _debit(
    tx: aiosqlite.Connection, job_id: str, user_id: int, price: int, tool: str
) -> None:
    if price:
        await apply_credits(tx, user_id, -price, LedgerKind.CHARGE, job_id, tool)


async def _fetch(tx: aiosqlite.Connection, job_id: str) -> Job:
    row = await (await tx.execute("SELECT * FROM jobs WHERE id = ?", (job_id,))).fetchone()
    if row is None:
        raise KeyError(job_id)
    return Job.model_validate(dict(row))
