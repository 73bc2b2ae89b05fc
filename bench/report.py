"""The one table the benchmark prints, and the numbers in it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Results = dict[str, str]
"""A column: the value shown for each metric, by its label."""


@dataclass(frozen=True)
class Metric:
    label: str
    target: str = ""


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (`share` 0.95 for p95); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def seconds(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f}"


def table(metrics: Sequence[Metric], columns: Sequence[tuple[str, Results]]) -> str:
    """A Markdown table: one row per metric, one column per tree, then the target."""
    header = ["metric", *(name for name, _ in columns), "target"]
    rows = [
        [metric.label, *(results.get(metric.label, "-") for _, results in columns), metric.target]
        for metric in metrics
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(header), rule, *(line(row) for row in rows)])
