"""Referrals: each user's invite code, who invited whom, and the inviter's one reward."""

from __future__ import annotations

import secrets

from storage.db import Database, utcnow
from storage.users import LedgerKind, apply_credits

# The invitee is a customer once they paid for credits (a pack or a plan) that were not
# refunded; welcome credits spent on jobs do not count, or throwaway accounts farm rewards.
_FIRST_PURCHASE = (
    "EXISTS (SELECT 1 FROM payments WHERE payments.user_id = referrals.invitee_id"
    " AND payments.credits > 0 AND payments.refunded_at IS NULL)"
)


class ReferralsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def code_of(self, user_id: int) -> str:
        """The user's invite code, made on first use and the same ever after."""
        async with self._db.transaction() as tx:
            row = await (
                await tx.execute("SELECT code FROM referral_codes WHERE user_id = ?", (user_id,))
            ).fetchone()
            if row is not None:
                return str(row["code"])
            # 48 random bits: unguessable enough that nobody claims a stranger's invite.
            code = secrets.token_urlsafe(6)
            await tx.execute(
                "INSERT INTO referral_codes (code, user_id) VALUES (?, ?)", (code, user_id)
            )
            return code

    async def attach(self, code: str, invitee_id: int) -> int | None:
        """Record that `invitee_id` came through `code`; returns the inviter's id, or None
        when the code is unknown, is the invitee's own, or they were invited before."""
        async with self._db.transaction() as tx:
            row = await (
                await tx.execute("SELECT user_id FROM referral_codes WHERE code = ?", (code,))
            ).fetchone()
            if row is None or row["user_id"] == invitee_id:
                return None
            inviter_id = int(row["user_id"])
            cursor = await tx.execute(
                "INSERT INTO referrals (invitee_id, inviter_id, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT (invitee_id) DO NOTHING",
                (invitee_id, inviter_id, utcnow()),
            )
            return inviter_id if cursor.rowcount == 1 else None

    async def inviter_of(self, invitee_id: int) -> int | None:
        row = await self._db.fetch_one(
            "SELECT inviter_id FROM referrals WHERE invitee_id = ?", invitee_id
        )
        return int(row["inviter_id"]) if row else None

    async def reward(self, invitee_id: int, credits: int, note: str) -> int | None:
        """Credit the inviter once, if the invitee has bought credits by now.

        Returns the inviter's id when this call paid the reward, else None.
        """
        async with self._db.transaction() as tx:
            rows = list(
                await (
                    await tx.execute(
                        "UPDATE referrals SET rewarded_at = ? WHERE invitee_id = ?"
                        f" AND rewarded_at IS NULL AND {_FIRST_PURCHASE} RETURNING inviter_id",
                        (utcnow(), invitee_id),
                    )
                ).fetchall()
            )
            if not rows:
                return None
            inviter_id = int(rows[0]["inviter_id"])
            if credits:
                await apply_credits(tx, inviter_id, credits, LedgerKind.GRANT, None, note)
            return inviter_id

    async def due(self) -> list[int]:
        """Invitees whose inviter is owed the reward (e.g. a crash came in between)."""
        rows = await self._db.fetch_all(
            f"SELECT invitee_id FROM referrals WHERE rewarded_at IS NULL AND {_FIRST_PURCHASE}"
        )
        return [int(row["invitee_id"]) for row in rows]
