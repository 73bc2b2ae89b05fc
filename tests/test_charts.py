"""The /stats chart: a PNG of jobs per day by tool and credits sold per day."""

from __future__ import annotations

import io
from datetime import date

from PIL import Image

from bot import charts
from storage.stats import Daily, DayCount

FIRST_TOOL_COLOR = (0x1F, 0x77, 0xB4)  # matplotlib's first colour, the first tool's bars
CREDITS_COLOR = (0x2C, 0xA0, 0x2C)
DAYS = charts.chart_days(30, today=date(2026, 3, 30))


def decoded(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.convert("RGB")


def colors(image: Image.Image) -> set[tuple[int, int, int]]:
    return {color for _, color in image.getcolors(maxcolors=1 << 20) or []}


def test_the_chart_days_are_the_last_thirty_oldest_first() -> None:
    assert len(DAYS) == 30
    assert (DAYS[0], DAYS[-1]) == (date(2026, 3, 1), date(2026, 3, 30))


def test_the_chart_draws_each_tools_jobs_and_the_credits_sold() -> None:
    daily = Daily(
        jobs=[
            DayCount(day="2026-03-29", key="faceswap", count=4),
            DayCount(day="2026-03-30", key="faceswap", count=2),
            DayCount(day="2026-03-30", key="lipsync", count=3),
            DayCount(day="2026-01-01", key="lipsync", count=9),  # outside the 30 days
        ],
        credits_sold=[DayCount(day="2026-03-30", key="", count=500)],
    )
    image = decoded(charts.render(daily, DAYS))
    assert image.size == (1200, 800)
    seen = colors(image)
    assert FIRST_TOOL_COLOR in seen and CREDITS_COLOR in seen
    assert len(seen) > 50  # text, axes and bars, not a blank canvas


def test_an_empty_month_is_still_a_chart() -> None:
    image = decoded(charts.render(Daily(jobs=[], credits_sold=[]), DAYS))
    assert image.size == (1200, 800)
    seen = colors(image)
    assert FIRST_TOOL_COLOR not in seen and CREDITS_COLOR not in seen
    assert len(seen) > 10
