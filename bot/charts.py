"""The operator's /stats chart: jobs per day by tool and credits sold per day, as a PNG.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, so no global state and no
display), in a worker thread: rendering takes a noticeable fraction of a second. matplotlib
is imported when the first chart is drawn: it costs about 60 MB and half a second of
start-up, and only an admin's /stats needs it.
"""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, date, datetime, timedelta

from bot import texts
from bot.tools import TOOLS
from storage.stats import Daily

CHART_DAYS = 30
WIDTH, HEIGHT, DPI = 12, 8, 100
"""1200 × 800 pixels: readable in a Telegram photo on a phone."""
CREDITS_COLOR = "#2ca02c"


def chart_days(days: int, today: date | None = None) -> list[date]:
    """The last `days` days in UTC, oldest first, today included."""
    last = today or datetime.now(UTC).date()
    return [last - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def render(daily: Daily, days: list[date]) -> bytes:
    """The chart as PNG bytes: stacked bars of jobs by tool above bars of credits sold."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    jobs_axes, credits_axes = figure.subplots(2, 1, sharex=True)
    positions = list(range(len(days)))
    index = {day.isoformat(): position for position, day in enumerate(days)}

    bottom = [0] * len(days)
    for tool in sorted({count.key for count in daily.jobs}):
        heights = [0] * len(days)
        for count in daily.jobs:
            if count.key == tool and count.day in index:
                heights[index[count.day]] = count.count
        label = TOOLS[tool].title if tool in TOOLS else tool
        jobs_axes.bar(positions, heights, bottom=bottom, label=label)
        bottom = [below + height for below, height in zip(bottom, heights, strict=True)]
    jobs_axes.set_title(texts.CHART_JOBS_TITLE)
    if daily.jobs:
        jobs_axes.legend(loc="upper left")

    sold = [0] * len(days)
    for count in daily.credits_sold:
        if count.day in index:
            sold[index[count.day]] = count.count
    credits_axes.bar(positions, sold, color=CREDITS_COLOR)
    credits_axes.set_title(texts.CHART_CREDITS_TITLE)

    for axes in (jobs_axes, credits_axes):
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.grid(axis="y", alpha=0.3)
    credits_axes.set_xticks(positions[::3], [day.strftime("%d %b") for day in days[::3]])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


async def stats_chart(daily: Daily, days: list[date]) -> bytes:
    """`render` off the event loop."""
    return await asyncio.to_thread(render, daily, days)
