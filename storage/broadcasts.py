"""Broadcasts: the message and one delivery row per recipient, written before any send.

A delivery moves pending → sending → sent | failed, and 'sending' is recorded before the
message goes out: a broadcast resumed after a crash never sends anyone the message twice.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from storage.db import Database, utcnow
from storage.users import mark_unreachable


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


INTERRUPTED = "interrupted; not sent again in case it arrived"
BLOCKED = "blocked the bot"


class Broadcast(BaseModel):
    id: int
    admin_id: int
    chat_id: int
    text: str
    created_at: str
    finished_at: str | None = None


class BroadcastCounts(BaseModel):
    recipients: int
    sent: int
    failed: int


class BroadcastsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, admin_id: int, chat_id: int, text: str) -> tuple[Broadcast, int]:
        """Store the broadcast with a pending delivery for every reachable user not blocked.

        Returns the broadcast and its number of recipients.
        """
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "INSERT INTO broadcasts (admin_id, chat_id, text, created_at) VALUES (?, ?, ?, ?)",
                (admin_id, chat_id, text, utcnow()),
            )
            broadcast_id = cursor.lastrowid
            recipients = await tx.execute(
                "INSERT INTO broadcast_deliveries (broadcast_id, user_id)"
                " SELECT ?, id FROM users WHERE NOT blocked AND unreachable_since IS NULL",
                (broadcast_id,),
            )
            row = await (
                await tx.execute("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
            ).fetchone()
        assert row is not None
        return Broadcast.model_validate(dict(row)), recipients.rowcount

    async def get(self, broadcast_id: int) -> Broadcast | None:
        row = await self._db.fetch_one("SELECT * FROM broadcasts WHERE id = ?", broadcast_id)
        return Broadcast.model_validate(dict(row)) if row else None

    async def unfinished(self) -> list[Broadcast]:
        rows = await self._db.fetch_all(
            "SELECT * FROM broadcasts WHERE finished_at IS NULL ORDER BY id"
        )
        return [Broadcast.model_validate(dict(row)) for row in rows]

    async def give_up_interrupted(self, broadcast_id: int) -> None:
        """Fail the deliveries a crash left 'sending': they may have arrived already."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE broadcast_deliveries SET state = ?, error = ?, updated_at = ?"
                " WHERE broadcast_id = ? AND state = ?",
                (DeliveryState.FAILED, INTERRUPTED, utcnow(), broadcast_id, DeliveryState.SENDING),
            )

    async def pending(self, broadcast_id: int) -> list[int]:
        """The recipients still to send to, in a stable order."""
        rows = await self._db.fetch_all(
            "SELECT user_id FROM broadcast_deliveries WHERE broadcast_id = ? AND state = ?"
            " ORDER BY user_id",
            broadcast_id,
            DeliveryState.PENDING,
        )
        return [int(row["user_id"]) for row in rows]

    async def begin(self, broadcast_id: int, user_id: int) -> bool:
        """Mark one delivery as being sent; False if it is no longer pending."""
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE broadcast_deliveries SET state = ?, updated_at = ?"
                " WHERE broadcast_id = ? AND user_id = ? AND state = ?",
                (DeliveryState.SENDING, utcnow(), broadcast_id, user_id, DeliveryState.PENDING),
            )
            return cursor.rowcount == 1

    async def sent(self, broadcast_id: int, user_id: int) -> None:
        await self._finish(broadcast_id, user_id, DeliveryState.SENT, None)

    async def failed(self, broadcast_id: int, user_id: int, error: str) -> None:
        await self._finish(broadcast_id, user_id, DeliveryState.FAILED, error)

    async def blocked(self, broadcast_id: int, user_id: int) -> None:
        """The user blocked the bot: fail the delivery and skip them in later broadcasts."""
        await self._finish(broadcast_id, user_id, DeliveryState.FAILED, BLOCKED, blocked=True)

    async def _finish(
        self,
        broadcast_id: int,
        user_id: int,
        state: DeliveryState,
        error: str | None,
        *,
        blocked: bool = False,
    ) -> None:
        now = utcnow()
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE broadcast_deliveries SET state = ?, error = ?, updated_at = ?"
                " WHERE broadcast_id = ? AND user_id = ?",
                (state, error, now, broadcast_id, user_id),
            )
            if blocked:
                await mark_unreachable(tx, user_id)

    async def finish(self, broadcast_id: int) -> BroadcastCounts | None:
        """Close the broadcast and count its deliveries; None if it was closed already."""
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE broadcasts SET finished_at = ? WHERE id = ? AND finished_at IS NULL",
                (utcnow(), broadcast_id),
            )
            if cursor.rowcount != 1:
                return None
            row = await (
                await tx.execute(
                    "SELECT COUNT(*) AS recipients,"
                    " COALESCE(SUM(state = 'sent'), 0) AS sent,"
                    " COALESCE(SUM(state = 'failed'), 0) AS failed"
                    " FROM broadcast_deliveries WHERE broadcast_id = ?",
                    (broadcast_id,),
                )
            ).fetchone()
        assert row is not None
        return BroadcastCounts.model_validate(dict(row))
