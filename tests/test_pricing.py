"""Prices mirror ZenCreator's tables, times CREDIT_MULTIPLIER, rounded up."""

from __future__ import annotations

import pytest

from bot.catalog import CATALOG
from bot.catalog.video import AUDIO_SECONDS
from bot.pricing import partial_refund, started_seconds, to_bot_credits


def test_faceswap_costs_one_provider_credit() -> None:
    options = {"model": "SDXL", "resolution": "4K"}
    assert CATALOG["faceswap"].price_of(options, {}, 1) == 1
    assert CATALOG["faceswap"].price_of(options, {}, 2.5) == 3


@pytest.mark.parametrize(
    ("seconds", "multiplier", "price"),
    [(1, 1, 3), (0.4, 1, 3), (5, 1, 15), (5.01, 1, 18), (35, 1, 105), (10, 2, 60), (3, 1.1, 10)],
)
def test_lipsync_charges_three_per_started_second(
    seconds: float, multiplier: float, price: int
) -> None:
    assert CATALOG["lipsync"].price_of({}, {AUDIO_SECONDS: seconds}, multiplier) == price


def test_float_noise_does_not_round_up() -> None:
    assert to_bot_credits(3, 1.1) == 4
    assert to_bot_credits(10, 0.3) == 3


@pytest.mark.parametrize(
    ("price", "delivered", "expected", "refund"),
    [(10, 0, 1, 10), (10, 1, 1, 0), (9, 1, 4, 7), (3, 1, 2, 2), (4, 2, 4, 2)],
)
def test_partial_refund_returns_the_missing_share(
    price: int, delivered: int, expected: int, refund: int
) -> None:
    assert partial_refund(price, delivered, expected) == refund


@pytest.mark.parametrize(("seconds", "billed"), [(0.2, 1), (1, 1), (2.5, 3), (35, 35)])
def test_every_started_second_is_billed(seconds: float, billed: int) -> None:
    assert started_seconds(seconds) == billed
