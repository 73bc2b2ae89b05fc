"""Prices in bot credits: the provider's price (the catalog's tables, bot/catalog) times
CREDIT_MULTIPLIER, rounded up to whole credits.
"""

from __future__ import annotations

import math


def to_bot_credits(provider_credits: float, multiplier: float) -> int:
    # Rounding before ceil keeps 1.1 * 3 (= 3.3000000000000003) from becoming 4.
    return math.ceil(round(provider_credits * multiplier, 6))


def started_seconds(seconds: float) -> int:
    """The seconds a per-second price bills: every started second counts (a millisecond of
    measuring noise starts none: 3.0004 s bills as 3)."""
    return max(1, math.ceil(round(seconds, 3)))


def partial_refund(price: int, delivered: int, expected: int) -> int:
    """What a partial job gives back: the share of outputs that did not arrive, rounded up."""
    if expected <= 0 or delivered >= expected:
        return 0
    return price - price * delivered // expected
