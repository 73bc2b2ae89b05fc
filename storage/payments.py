"""Telegram Stars payments: credited once per charge id, refunded at most once; and the
monthly plans (Stars subscriptions) whose every renewal is such a payment.

The payment row and its ledger row are written in one transaction, and the charge id is
unique, so a payment Telegram delivers twice (or again after a restart) credits once.
"""

from __future__ import annotations

import aiosqlite
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
    subscription_id: int | None = None
    """The plan this payment paid a month of; None for a credit pack."""


class Subscription(BaseModel):
    """A monthly plan a user subscribed to with Telegram Stars."""

    id: int
    user_id: int
    payload: str
    charge_id: str
    """The first payment's charge id, which names the subscription to Telegram."""
    credits: int
    stars: int
    expires_at: str
    """The end of the period paid for so far; a renewal moves it on."""
    canceled: bool
    """Renewal was turned off through the bot."""
    created_at: str


class SubscriptionTerm(BaseModel):
    """What a payment of a plan says about its subscription."""

    payload: str
    expires_at: str


class Purchase(BaseModel):
    """The outcome of recording a payment."""

    payment: Payment
    credited: bool
    """False when this charge id was recorded before: nothing was credited this time."""
    balance: int
    subscription: Subscription | None = None


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
        self,
        *,
        charge_id: str,
        user_id: int,
        stars: int,
        credits: int,
        payload: str,
        subscription: SubscriptionTerm | None = None,
    ) -> Purchase:
        """Store the payment and credit it, unless this charge id is already stored.

        A payment of a plan also starts its subscription (the first payment) or moves its
        end on (a renewal), in the same transaction.
        """
        now = utcnow()
        async with self._db.transaction() as tx:
            exists = await (
                await tx.execute(
                    "SELECT 1 FROM payments WHERE telegram_payment_charge_id = ?", (charge_id,)
                )
            ).fetchone()
            credited = exists is None
            if credited:
                subscription_id = None
                if subscription is not None:
                    subscription_id = await _extend(
                        tx, subscription, charge_id, user_id, stars, credits, now
                    )
                await tx.execute(
                    "INSERT INTO payments (telegram_payment_charge_id, user_id, stars, credits,"
                    " payload, created_at, subscription_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (charge_id, user_id, stars, credits, payload, now, subscription_id),
                )
                if credits:
                    await apply_credits(
                        tx, user_id, credits, LedgerKind.PURCHASE, None, f"{stars} Stars"
                    )
            found = await _payment_and_balance(tx, charge_id)
            assert found is not None
            payment, balance = found
            plan = None
            if payment.subscription_id is not None:
                plan = await _subscription(tx, payment.subscription_id)
        return Purchase(payment=payment, credited=credited, balance=balance, subscription=plan)

    async def get(self, charge_id: str) -> Payment | None:
        row = await self._db.fetch_one(
            "SELECT * FROM payments WHERE telegram_payment_charge_id = ?", charge_id
        )
        return Payment.model_validate(dict(row)) if row else None

    async def subscription(self, subscription_id: int) -> Subscription | None:
        row = await self._db.fetch_one("SELECT * FROM subscriptions WHERE id = ?", subscription_id)
        return Subscription.model_validate(dict(row)) if row else None

    async def current_subscription(self, user_id: int) -> Subscription | None:
        """The user's plan whose paid period has not ended yet (the latest, if several)."""
        row = await self._db.fetch_one(
            "SELECT * FROM subscriptions WHERE user_id = ? AND expires_at > ?"
            " ORDER BY expires_at DESC, id DESC LIMIT 1",
            user_id,
            utcnow(),
        )
        return Subscription.model_validate(dict(row)) if row else None

    async def set_canceled(self, subscription_id: int, canceled: bool) -> Subscription:
        """Record that renewal was turned off (or allowed again) through the bot."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE subscriptions SET canceled = ? WHERE id = ?", (canceled, subscription_id)
            )
            return await _subscription(tx, subscription_id)

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
            found = await _payment_and_balance(tx, charge_id)
            if found is None:
                raise PaymentNotFound(charge_id)
            payment, balance = found
            if payment.refunded_at is not None:
                raise PaymentAlreadyRefunded(payment)
            # Credits already spent cannot be taken back; a balance never goes negative.
            debited = min(payment.credits, balance)
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


async def _extend(
    tx: aiosqlite.Connection,
    term: SubscriptionTerm,
    charge_id: str,
    user_id: int,
    stars: int,
    credits: int,
    now: str,
) -> int:
    """Start the subscription a plan's payload names, or move its end on; returns its id.

    Renewals repeat the first payment's payload; whichever payment arrives first (normally
    the first one) gives the subscription its charge id.
    """
    rows = list(
        await (
            await tx.execute(
                "INSERT INTO subscriptions (user_id, payload, charge_id, credits, stars,"
                " expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (payload) DO UPDATE SET"
                " expires_at = max(expires_at, excluded.expires_at) RETURNING id",
                (user_id, term.payload, charge_id, credits, stars, term.expires_at, now),
            )
        ).fetchall()
    )
    return int(rows[0]["id"])


async def _payment_and_balance(
    tx: aiosqlite.Connection, charge_id: str
) -> tuple[Payment, int] | None:
    """The payment of this charge id and its payer's balance now."""
    row = await (
        await tx.execute(
            "SELECT p.*, u.balance FROM payments p JOIN users u ON u.id = p.user_id"
            " WHERE telegram_payment_charge_id = ?",
            (charge_id,),
        )
    ).fetchone()
    return (Payment.model_validate(dict(row)), int(row["balance"])) if row else None


async def _subscription(tx: aiosqlite.Connection, subscription_id: int) -> Subscription:
    row = await (
        await tx.execute("SELECT * FROM subscriptions WHERE id = ?", (subscription_id,))
    ).fetchone()
    if row is None:
        raise KeyError(subscription_id)
    return Subscription.model_validate(dict(row))
