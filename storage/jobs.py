"""Jobs: one row per paid action, moved step by step by the job engine.

Every step is written here before the next one begins, so a restarted process knows
exactly where each job stands. A worker claims a job with a lease before touching it, and
every write of a step (and the refund) is made only while the worker still holds that
lease: a worker that lost it can never write an older state over a newer one.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import aiosqlite
from pydantic import BaseModel, Field, field_validator

from storage.db import Database, utcnow
from storage.users import LedgerKind, apply_credits, mark_unreachable


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
_UNFINISHED_SQL = "(" + ", ".join(f"'{state}'" for state in UNFINISHED) + ")"

# Columns the engine records as a job moves; anything else is fixed at creation or written
# by its own method (reservation, deliveries, refund, leases).
STEP_COLUMNS = frozenset(
    {
        "state",
        "generation_id",
        "status_message_id",
        "status_text",
        "outputs",
        "error",
        "submitted_at",
    }
)

_RENEW_BATCH = 500
"""Job ids per lease renewal statement (SQLite caps the parameters of one statement)."""


class JobOutput(BaseModel):
    """One result of a job, as the provider reported it."""

    url: str
    """Where the bytes are fetched; for a training, the trained model's reference."""
    asset_id: str | None = None
    """The provider's asset id of the output, which a later job takes as an input as it is."""
    link: str | None = None
    """The provider's public link to the output, given to the user when the file is too
    large for Telegram; None when the provider offers none."""


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
    deliveries: dict[str, list[int]] = Field(default_factory=dict)
    """Each send of the delivery made so far (see `record_sent`) -> its message ids."""
    exclusive_key: str | None = None
    created_at: str
    updated_at: str
    reserved_at: str | None = None
    """When the job was charged; its deadline counts from here."""
    submitted_at: str | None = None
    deadline_at: str | None = None
    lease_owner: str | None = None
    lease_expires_at: str | None = None

    @field_validator("spec", "deliveries", mode="before")
    @classmethod
    def _decode_object(cls, value: object) -> object:
        if value is None:
            return {}
        return json.loads(value) if isinstance(value, str) else value

    @field_validator("outputs", mode="before")
    @classmethod
    def _decode_list(cls, value: object) -> object:
        if value is None:
            return []
        items = json.loads(value) if isinstance(value, str) else value
        if not isinstance(items, list):
            return items
        # Rows written before outputs kept their asset id hold bare URLs.
        return [{"url": item} if isinstance(item, str) else item for item in items]


@dataclass(frozen=True)
class Reservation:
    """What charging a job checks and records besides the debit."""

    deadline: timedelta
    """How long the job may take from the charge until its result is in."""
    max_unfinished: int
    """Jobs one user may have unfinished at once; reaching it refuses the charge."""


class JobNotQuoted(Exception):
    """The job is no longer waiting for the user's confirmation (confirmed or declined)."""


class TooManyJobs(Exception):
    """The user already has the most unfinished jobs allowed; nothing was charged."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"already {limit} unfinished jobs")
        self.limit = limit


class ConflictingJob(Exception):
    """Another unfinished job does the same exclusive work; nothing was charged."""


class LeaseLost(Exception):
    """The worker no longer holds the job's lease (another one took it over); nothing was
    written, and the worker must leave the job alone."""


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
        exclusive_key: str | None = None,
        reservation: Reservation | None = None,
    ) -> Job:
        """Insert a job: quoted, or (with a reservation) charged in the same transaction.

        Raises, writing nothing: InsufficientCredits when the balance does not cover it,
        TooManyJobs at the user's limit, ConflictingJob when its exclusive work runs already.
        """
        now = utcnow()
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO jobs (id, user_id, chat_id, tool, provider, state, spec, price,"
                " exclusive_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job_id,
                    user_id,
                    chat_id,
                    tool,
                    provider,
                    JobState.QUOTED,
                    json.dumps(spec),
                    price,
                    exclusive_key,
                    now,
                    now,
                ),
            )
            if reservation is not None:
                await _reserve(tx, job_id, reservation)
            return await _fetch(tx, job_id)

    async def reserve(self, job_id: str, user_id: int, reservation: Reservation) -> Job:
        """Charge a quoted job of this user and mark it reserved, atomically.

        Raises JobNotQuoted if it was already confirmed or declined (a double press), and
        what `create` raises for a reservation.
        """
        async with self._db.transaction() as tx:
            job = await _fetch(tx, job_id)
            if job.user_id != user_id or job.state is not JobState.QUOTED:
                raise JobNotQuoted(job_id)
            await _reserve(tx, job_id, reservation)
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

    async def record(self, job_id: str, worker: str, **step: Any) -> Job:
        """Write the outcome of one step (state, generation id, outputs, ...).

        Raises LeaseLost, writing nothing, unless `worker` holds the job's lease.
        """
        unknown = set(step) - STEP_COLUMNS
        if unknown:
            raise ValueError(f"not a step column: {sorted(unknown)}")
        values = {
            column: json.dumps(_plain(value)) if isinstance(value, list) else value
            for column, value in step.items()
        }
        assignments = ", ".join(f"{column} = ?" for column in values)
        async with self._db.transaction() as tx:
            await _update_held(
                tx,
                job_id,
                worker,
                f"{assignments}, updated_at = ?",
                (*values.values(), utcnow()),
            )
            return await _fetch(tx, job_id)

    async def record_sent(self, job_id: str, worker: str, sent: dict[str, list[int]]) -> Job:
        """Add sends of the delivery (send key -> message ids) as soon as they are made.

        Raises LeaseLost, writing nothing, unless `worker` holds the job's lease.
        """
        async with self._db.transaction() as tx:
            await _update_held(
                tx,
                job_id,
                worker,
                "deliveries = json_patch(COALESCE(deliveries, '{}'), ?), updated_at = ?",
                (json.dumps(sent), utcnow()),
            )
            return await _fetch(tx, job_id)

    async def finish(self, job_id: str, worker: str, *, unreachable: bool = False) -> Job:
        """Mark the job delivered; `unreachable` also records that the user blocked the bot.

        Raises LeaseLost, writing nothing, unless `worker` holds the job's lease.
        """
        async with self._db.transaction() as tx:
            await _update_held(
                tx, job_id, worker, "state = ?, updated_at = ?", (JobState.DELIVERED, utcnow())
            )
            job = await _fetch(tx, job_id)
            if unreachable:
                await mark_unreachable(tx, job.user_id)
            return job

    async def refund(self, job_id: str, worker: str, amount: int, note: str) -> bool:
        """Give `amount` back for this job, exactly once; False if it was refunded already.

        Raises LeaseLost, writing nothing, unless `worker` holds the job's lease.
        """
        async with self._db.transaction() as tx:
            job = await _fetch(tx, job_id)
            if job.lease_owner != worker:
                raise LeaseLost(job_id)
            if job.refunded or amount <= 0:
                return False
            try:
                await apply_credits(tx, job.user_id, amount, LedgerKind.REFUND, job_id, note)
            except sqlite3.IntegrityError:
                return False
            await tx.execute("UPDATE jobs SET refunded = ? WHERE id = ?", (amount, job_id))
            return True

    async def claimable(self) -> list[str]:
        """Unfinished jobs no live worker holds, by deadline: what the engine may take."""
        rows = await self._db.fetch_all(
            f"SELECT id FROM jobs WHERE state IN {_UNFINISHED_SQL}"
            " AND (lease_owner IS NULL OR lease_expires_at < ?)"
            " ORDER BY deadline_at, created_at, id",
            _stamp(datetime.now(UTC)),
        )
        return [str(row["id"]) for row in rows]

    async def claim(self, job_id: str, worker: str, lease_seconds: float) -> bool:
        """Take or renew the lease on a job; False if another live worker holds it."""
        now = datetime.now(UTC)
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE jobs SET lease_owner = ?, lease_expires_at = ? WHERE id = ?"
                " AND (lease_owner IS NULL OR lease_owner = ? OR lease_expires_at < ?)",
                (
                    worker,
                    _stamp(now + timedelta(seconds=lease_seconds)),
                    job_id,
                    worker,
                    _stamp(now),
                ),
            )
            return cursor.rowcount == 1

    async def renew(self, worker: str, job_ids: Iterable[str], lease_seconds: float) -> set[str]:
        """Extend this worker's leases on these jobs; returns the ids it still holds."""
        expires = _stamp(datetime.now(UTC) + timedelta(seconds=lease_seconds))
        ids = list(job_ids)
        held: set[str] = set()
        async with self._db.transaction() as tx:
            for start in range(0, len(ids), _RENEW_BATCH):
                batch = ids[start : start + _RENEW_BATCH]
                placeholders = ", ".join("?" for _ in batch)
                cursor = await tx.execute(
                    f"UPDATE jobs SET lease_expires_at = ? WHERE lease_owner = ?"
                    f" AND id IN ({placeholders}) RETURNING id",
                    (expires, worker, *batch),
                )
                held.update(str(row["id"]) for row in await cursor.fetchall())
        return held

    async def release(self, job_id: str, worker: str) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL"
                " WHERE id = ? AND lease_owner = ?",
                (job_id, worker),
            )

    async def release_predecessors(self, prefix: str, worker: str) -> int:
        """Free the leases held by earlier runs of this worker: ids that start with `prefix`,
        other than `worker`. Only safe while those runs are known to be gone."""
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL"
                " WHERE substr(lease_owner, 1, ?) = ? AND lease_owner <> ?",
                (len(prefix), prefix, worker),
            )
            return cursor.rowcount

    async def delivered(self, user_id: int, tools: Iterable[str], limit: int) -> list[Job]:
        """The user's latest delivered jobs of these tools, newest first."""
        names = list(tools)
        placeholders = ", ".join("?" for _ in names)
        rows = await self._db.fetch_all(
            f"SELECT * FROM jobs WHERE user_id = ? AND state = ? AND tool IN ({placeholders})"
            " ORDER BY created_at DESC, rowid DESC LIMIT ?",
            user_id,
            JobState.DELIVERED.value,
            *names,
            limit,
        )
        return [Job.model_validate(dict(row)) for row in rows]

    async def recent(self, user_id: int, limit: int = 10) -> list[Job]:
        rows = await self._db.fetch_all(
            "SELECT * FROM jobs WHERE user_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
            user_id,
            limit,
        )
        return [Job.model_validate(dict(row)) for row in rows]


def _plain(items: list[Any]) -> list[Any]:
    return [item.model_dump() if isinstance(item, BaseModel) else item for item in items]


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


async def _reserve(tx: aiosqlite.Connection, job_id: str, reservation: Reservation) -> None:
    """Check the user's limits, debit the price and mark the quoted job reserved."""
    job = await _fetch(tx, job_id)
    row = await (
        await tx.execute(
            f"SELECT COUNT(*) AS unfinished FROM jobs WHERE user_id = ?"
            f" AND state IN {_UNFINISHED_SQL}",
            (job.user_id,),
        )
    ).fetchone()
    if row is not None and row["unfinished"] >= reservation.max_unfinished:
        raise TooManyJobs(reservation.max_unfinished)
    now = datetime.now(UTC)
    try:
        await tx.execute(
            "UPDATE jobs SET state = ?, reserved_at = ?, deadline_at = ?, updated_at = ?"
            " WHERE id = ?",
            (
                JobState.RESERVED,
                now.isoformat(timespec="seconds"),
                (now + reservation.deadline).isoformat(timespec="seconds"),
                now.isoformat(timespec="seconds"),
                job_id,
            ),
        )
    except sqlite3.IntegrityError as err:
        if "exclusive_key" in str(err):
            raise ConflictingJob(job.exclusive_key) from None
        raise
    if job.price:
        await apply_credits(tx, job.user_id, -job.price, LedgerKind.CHARGE, job_id, job.tool)


async def _update_held(
    tx: aiosqlite.Connection, job_id: str, worker: str, assignments: str, values: tuple[Any, ...]
) -> None:
    """Run `UPDATE jobs SET <assignments>` on the job if `worker` holds its lease."""
    cursor = await tx.execute(
        f"UPDATE jobs SET {assignments} WHERE id = ? AND lease_owner = ?",
        (*values, job_id, worker),
    )
    if cursor.rowcount != 1:
        raise LeaseLost(job_id)


async def _fetch(tx: aiosqlite.Connection, job_id: str) -> Job:
    row = await (await tx.execute("SELECT * FROM jobs WHERE id = ?", (job_id,))).fetchone()
    if row is None:
        raise KeyError(job_id)
    return Job.model_validate(dict(row))
