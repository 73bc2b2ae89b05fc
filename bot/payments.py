"""What invoices sell for Telegram Stars, as their payload says, and checking it server-side.

Two kinds of invoice: a credit pack, paid once (its payload may name the quoted job the
user is buying credits for), and a monthly plan, a Stars subscription paid every 30 days.
Telegram hands the payload back unchanged, but it is checked against what is on sale
anyway, before the payment and again when crediting it, so no invoice can turn into more
credits than it was made for.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from bot import texts
from bot.config import CreditPack

CURRENCY = "XTR"
"""Telegram Stars; such invoices take no payment provider and exactly one price."""
PAYLOAD_PREFIX = "credits"
PLAN_PAYLOAD_PREFIX = "plan"
SUBSCRIPTION_PERIOD = timedelta(days=30)
"""The only period Telegram allows for a Stars subscription (2,592,000 seconds)."""


@dataclass(frozen=True)
class Order:
    """A credit pack an invoice sells, to whom, and the quoted job it is bought for, if any."""

    user_id: int
    pack: CreditPack
    job_id: str | None = None


@dataclass(frozen=True)
class PlanOrder:
    """A monthly plan a subscription link sells, and to whom.

    The nonce makes each link's payload unique, so a renewal (which repeats the payload)
    tells which subscription it pays for.
    """

    user_id: int
    plan: CreditPack
    nonce: str


def find_pack(packs: tuple[CreditPack, ...], pack_credits: int) -> CreditPack | None:
    return next((pack for pack in packs if pack.credits == pack_credits), None)


def invoice_payload(order: Order) -> str:
    payload = f"{PAYLOAD_PREFIX}:{order.user_id}:{order.pack.credits}:{order.pack.stars}"
    return f"{payload}:{order.job_id}" if order.job_id else payload


def plan_order(user_id: int, plan: CreditPack) -> PlanOrder:
    return PlanOrder(user_id, plan, secrets.token_hex(4))


def plan_payload(order: PlanOrder) -> str:
    return (
        f"{PLAN_PAYLOAD_PREFIX}:{order.user_id}:{order.plan.credits}:{order.plan.stars}"
        f":{order.nonce}"
    )


def parse_payload(payload: str) -> Order | PlanOrder | None:
    """The order an invoice payload describes, or None if it is not one of ours."""
    prefix, *parts = payload.split(":")
    if prefix not in (PAYLOAD_PREFIX, PLAN_PAYLOAD_PREFIX) or len(parts) not in (3, 4):
        return None
    numbers, extra = parts[:3], parts[3] if len(parts) == 4 else None
    if not all(number.isdecimal() for number in numbers):
        return None
    user_id, credits, stars = (int(number) for number in numbers)
    offer = CreditPack(credits=credits, stars=stars)
    if prefix == PLAN_PAYLOAD_PREFIX:
        return PlanOrder(user_id, offer, extra) if extra else None
    return Order(user_id, offer, extra)


def refusal(
    packs: tuple[CreditPack, ...],
    payer_id: int,
    payload: str,
    currency: str,
    total: int,
    *,
    plans: tuple[CreditPack, ...] = (),
) -> str | None:
    """Why a pre-checkout query must be refused (for the payer to read), or None if valid."""
    order = parse_payload(payload)
    if order is None or order.user_id != payer_id:
        return texts.PAYMENT_NOT_YOURS
    offer, on_sale = (order.plan, plans) if isinstance(order, PlanOrder) else (order.pack, packs)
    if currency != CURRENCY or offer not in on_sale or total != offer.stars:
        return texts.PAYMENT_OFFER_CHANGED
    return None


def credits_paid_for(
    packs: tuple[CreditPack, ...], payer_id: int, payload: str, currency: str, total: int
) -> int:
    """The credits a successful payment buys; 0 if it matches nothing it may pay for.

    A pack must still be on sale: only a restart with other CREDIT_PACKS between the
    pre-checkout query and the payment gets 0 honestly; the payment is recorded anyway, for
    an admin to refund or grant. A plan's renewals are charged by Telegram at the price
    subscribed to, so they are credited as subscribed even after the plan left the sale.
    """
    order = parse_payload(payload)
    if isinstance(order, PlanOrder):
        paid_as_made = (
            order.user_id == payer_id and currency == CURRENCY and total == order.plan.stars
        )
        return order.plan.credits if paid_as_made else 0
    if order is None or refusal(packs, payer_id, payload, currency, total) is not None:
        return 0
    return order.pack.credits
