"""Telegram Stars payments: credited once per charge id, refunded at most once.

The payment row and its ledger row are written in one transaction, and the charge id is
unique, so a payment Telegram delivers twice (or again after a restart) credits once.
"""

from __future__ import annotations

from pydantic import BaseModel

from storage.db import Database, utcnow
from storage.users import LedgerKind, apply_credits


class Payment(BaseModel):
    id: int
    telegram_payment_charge_id: str
    user_id: int
    stars: int
    credits: int
    payload: str
    created_at: str
    refunded_at: str | None = None
    refunded_by: int | None = None
    refunded_credits: int | None = None


class Purchase(BaseModel):
    """The outcome of recording a payment."""

    payment: Payment
    credited: bool
    """False when this charge id was recorded before: nothing was credited this time."""
    balance: int


class PaymentRefund(BaseModel):
    """The outcome of refunding a payment: what could be debited, and what could not."""

    payment: Payment
    debited: int
    shortfall: int
    balance: int


class PaymentNotFound(Exception):
    """No payment with this charge id."""


class PaymentAlreadyRefunded(Exception):
    def __init__(self, payment: Payment) -> None:
        super().__init__(payment.telegram_payment_charge_id)
        self.payment = payment


class PaymentsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self, *, charge_id: str, user_id: int, stars: int, credits: int, payload: str
    ) -> Purchase:
        """Store the payment and credit it, unless this charge id is already stored."""
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "INSERT INTO payments (telegram_payment_charge_id, user_id, stars, credits,"
                " payload, created_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (telegram_payment_charge_id) DO NOTHING",
                (charge_id, user_id, stars, credits, payload, utcnow()),
            )
            credited = cursor.rowcount == 1
            if credited and credits:
                await apply_credits(
                    tx, user_id, credits, LedgerKind.PURCHASE, None, f"{stars} Stars"
                )
            row = await (
                await tx.execute(
                    "SELECT p.*, u.balance FROM payments p JOIN users u ON u.id = p.user_id"
                    " WHERE telegram_payment_charge_id = ?",
                    (charge_id,),
                )
            ).fetchone()
        assert row is not None
        return Purchase(
            payment=Payment.model_validate(dict(row)), credited=credited, balance=row["balance"]
        )

    async def get(self, charge_id: str) -> Payment | None:
        row = await self._db.fetch_one(
            "SELECT * FROM payments WHERE telegram_payment_charge_id = ?", charge_id
        )
        return Payment.model_validate(dict(row)) if row else None

    async def recent(self, user_id: int, limit: int = 5) -> list[Payment]:
        rows = await self._db.fetch_all(
            "SELECT * FROM payments WHERE user_id = ? ORDER BY id DESC LIMIT ?", user_id, limit
        )
        return [Payment.model_validate(dict(row)) for row in rows]

    async def refund(self, charge_id: str, admin_id: int, note: str) -> PaymentRefund:
        """Mark the payment refunded and take its credits back, down to a zero balance.

        Raises PaymentNotFound, or PaymentAlreadyRefunded (writing nothing).
        """
        async with self._db.transaction() as tx:
            row = await (
                await tx.execute(
                    "SELECT p.*, u.balance FROM payments p JOIN users u ON u.id = p.user_id"
                    " WHERE telegram_payment_charge_id = ?",
                    (charge_id,),
                )
            ).fetchone()
            if row is None:
                raise PaymentNotFound(charge_id)
            payment = Payment.model_validate(dict(row))
            if payment.refunded_at is not None:
                raise PaymentAlreadyRefunded(payment)
            # Credits already spent cannot be taken back; a balance never goes negative.
            debited = min(payment.credits, int(row["balance"]))
            balance = int(row["balance"])
            if debited:
                balance = await apply_credits(
                    tx, payment.user_id, -debited, LedgerKind.PURCHASE, None, note, admin_id
                )
            await tx.execute(
                "UPDATE payments SET refunded_at = ?, refunded_by = ?, refunded_credits = ?"
                " WHERE id = ?",
                (utcnow(), admin_id, debited, payment.id),
            )
        refunded = await self.get(charge_id)
        assert refunded is not None
        return PaymentRefund(
            payment=refunded,
            debited=debited,
            shortfall=payment.credits - debited,
            balance=balance,
        )
