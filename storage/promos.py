"""Promo codes: created by admins, redeemed once per user, never past their total uses.

A redemption is one transaction: the checks, the redemption row, the use count and the
credit. The connection's lock runs transactions one at a time, and the count is also bounded
by a CHECK, so however many users redeem at once no code is used more often than allowed.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from storage.db import Database, utcnow
from storage.users import LedgerKind, apply_credits


class PromoCode(BaseModel):
    code: str
    credits: int
    max_uses: int | None
    """None: any number of users may redeem it (each once)."""
    uses: int
    expires_at: str | None
    created_by: int
    created_at: str


class Redemption(StrEnum):
    REDEEMED = "redeemed"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED_UP = "used_up"
    ALREADY = "already"
    """This user redeemed the code before."""


class RedeemOutcome(BaseModel):
    result: Redemption
    credits: int = 0
    balance: int = 0


class PromosRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        code: str,
        credits: int,
        *,
        max_uses: int | None,
        expires_at: str | None,
        admin_id: int,
    ) -> PromoCode | None:
        """Store a new code; None when a code of that name exists already."""
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "INSERT INTO promo_codes (code, credits, max_uses, expires_at, created_by,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO NOTHING",
                (code, credits, max_uses, expires_at, admin_id, utcnow()),
            )
            if cursor.rowcount != 1:
                return None
        return await self.get(code)

    async def get(self, code: str) -> PromoCode | None:
        row = await self._db.fetch_one("SELECT * FROM promo_codes WHERE code = ?", code)
        return PromoCode.model_validate(dict(row)) if row else None

    async def all(self) -> list[PromoCode]:
        rows = await self._db.fetch_all("SELECT * FROM promo_codes ORDER BY created_at, code")
        return [PromoCode.model_validate(dict(row)) for row in rows]

    async def redeem(self, code: str, user_id: int, note: str) -> RedeemOutcome:
        """Credit the code's credits to the user, if it exists, is valid and has uses left,
        and the user has not redeemed it before; otherwise say which of these failed."""
        now = utcnow()
        async with self._db.transaction() as tx:
            row = await (
                await tx.execute("SELECT * FROM promo_codes WHERE code = ?", (code,))
            ).fetchone()
            if row is None:
                return RedeemOutcome(result=Redemption.UNKNOWN)
            promo = PromoCode.model_validate(dict(row))
            if promo.expires_at is not None and promo.expires_at <= now:
                return RedeemOutcome(result=Redemption.EXPIRED)
            redeemed_before = await (
                await tx.execute(
                    "SELECT 1 FROM promo_redemptions WHERE code = ? AND user_id = ?",
                    (code, user_id),
                )
            ).fetchone()
            if redeemed_before is not None:
                return RedeemOutcome(result=Redemption.ALREADY)
            if promo.max_uses is not None and promo.uses >= promo.max_uses:
                return RedeemOutcome(result=Redemption.USED_UP)
            await tx.execute(
                "INSERT INTO promo_redemptions (code, user_id, created_at) VALUES (?, ?, ?)",
                (code, user_id, now),
            )
            await tx.execute("UPDATE promo_codes SET uses = uses + 1 WHERE code = ?", (code,))
            balance = await apply_credits(tx, user_id, promo.credits, LedgerKind.GRANT, None, note)
        return RedeemOutcome(result=Redemption.REDEEMED, credits=promo.credits, balance=balance)
