"""Credit packs sold for Telegram Stars: the invoice payload, and checking it server-side.

The payload names the buyer and the pack (credits and price). Telegram hands it back
unchanged, but it is checked against the packs on sale anyway, before the payment and
again when crediting it, so no invoice can turn into more credits than its pack holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import texts
from bot.config import CreditPack

CURRENCY = "XTR"
"""Telegram Stars; such invoices take no payment provider and exactly one price."""
PAYLOAD_PREFIX = "credits"


@dataclass(frozen=True)
class Order:
    """What an invoice sells, and to whom."""

    user_id: int
    pack: CreditPack


def find_pack(packs: tuple[CreditPack, ...], pack_credits: int) -> CreditPack | None:
    return next((pack for pack in packs if pack.credits == pack_credits), None)


def invoice_payload(order: Order) -> str:
    return f"{PAYLOAD_PREFIX}:{order.user_id}:{order.pack.credits}:{order.pack.stars}"


def parse_payload(payload: str) -> Order | None:
    """The order an invoice payload describes, or None if it is not one of ours."""
    prefix, *numbers = payload.split(":")
    if prefix != PAYLOAD_PREFIX or len(numbers) != 3 or not all(n.isdigit() for n in numbers):
        return None
    user_id, pack_credits, price = (int(number) for number in numbers)
    return Order(user_id, CreditPack(credits=pack_credits, stars=price))


def refusal(
    packs: tuple[CreditPack, ...], payer_id: int, payload: str, currency: str, total: int
) -> str | None:
    """Why a pre-checkout query must be refused (for the payer to read), or None if valid."""
    order = parse_payload(payload)
    if order is None or order.user_id != payer_id:
        return texts.PAYMENT_NOT_YOURS
    if currency != CURRENCY or order.pack not in packs or total != order.pack.stars:
        return texts.PAYMENT_OFFER_CHANGED
    return None


def credits_paid_for(
    packs: tuple[CreditPack, ...], payer_id: int, payload: str, currency: str, total: int
) -> int:
    """The credits a successful payment buys; 0 if it matches no pack on sale.

    Only a restart with other CREDIT_PACKS between the pre-checkout query and the payment
    gets 0 honestly; the payment is recorded anyway, for an admin to refund or grant.
    """
    if refusal(packs, payer_id, payload, currency, total) is not None:
        return 0
    order = parse_payload(payload)
    assert order is not None
    return order.pack.credits
