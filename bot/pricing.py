"""Prices: ZenCreator's price tables for the tools castbot offers, in bot credits.

A quote is the provider's price times CREDIT_MULTIPLIER, rounded up to whole credits.
"""

from __future__ import annotations

import math

FACESWAP_PROVIDER_CREDITS = 1
LIPSYNC_PROVIDER_CREDITS_PER_SECOND = 3
LIPSYNC_MAX_SECONDS = 35


def to_bot_credits(provider_credits: float, multiplier: float) -> int:
    # Rounding before ceil keeps 1.1 * 3 (= 3.3000000000000003) from becoming 4.
    return math.ceil(round(provider_credits * multiplier, 6))


def faceswap_price(multiplier: float) -> int:
    return to_bot_credits(FACESWAP_PROVIDER_CREDITS, multiplier)


def started_seconds(audio_seconds: float) -> int:
    """The seconds a lipsync is billed for: every started second counts."""
    return max(1, math.ceil(audio_seconds))


def lipsync_price(audio_seconds: float, multiplier: float) -> int:
    """3 provider credits per started second of audio."""
    seconds = started_seconds(audio_seconds)
    return to_bot_credits(LIPSYNC_PROVIDER_CREDITS_PER_SECOND * seconds, multiplier)


def partial_refund(price: int, delivered: int, expected: int) -> int:
    """What a partial job gives back: the share of outputs that did not arrive, rounded up."""
    if expected <= 0 or delivered >= expected:
        return 0
    return price - price * delivered // expected
