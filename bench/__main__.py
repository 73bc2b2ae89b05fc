"""`python -m bench`: run the benchmark against this tree and the baseline; print one table.

    .venv/bin/python -m bench                      # everything (about 10 minutes)
    .venv/bin/python -m bench --parts throughput   # one part
    .venv/bin/python -m bench --no-baseline        # this tree only
    .venv/bin/python -m bench --quick              # a tenth of the counts: checks the harness

Numbers measured while other programs load the machine are not worth comparing; the header
shows the load average before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack

from bench import state, throughput, updates
from bench.report import Metric, Results, table
from bench.scale import Scale
from bench.trees import DEFAULT_BASELINE, Tree, baseline_tree, this_tree

Part = Callable[[Tree, Scale], Awaitable[Results]]
PARTS: dict[str, tuple[Part, Callable[[Scale], list[Metric]]]] = {
    "throughput": (throughput.measure, lambda scale: throughput.METRICS),
    "updates": (updates.measure, updates.metrics),
    "state": (state.measure, state.metrics),
}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--parts",
        default=",".join(PARTS),
        help=f"comma-separated parts to run, of {', '.join(PARTS)} (default: all)",
    )
    parser.add_argument(
        "--baseline",
        default=DEFAULT_BASELINE,
        help=f"the commit to compare with (default {DEFAULT_BASELINE}, the original engine)",
    )
    parser.add_argument("--no-baseline", action="store_true", help="run this tree only")
    parser.add_argument("--quick", action="store_true", help="a tenth of the counts")
    arguments = parser.parse_args()
    parts = [part.strip() for part in arguments.parts.split(",") if part.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    scale = Scale().quick() if arguments.quick else Scale()
    # The fakes log every refused request; the table counts them instead.
    logging.basicConfig(level=logging.ERROR)
    with ExitStack() as trees:
        chosen = [this_tree()]
        if not arguments.no_baseline:
            chosen.append(trees.enter_context(baseline_tree(arguments.baseline)))
        print(_header(scale, chosen), flush=True)
        began = time.monotonic()
        columns = asyncio.run(_run(parts, chosen, scale))
        metrics = [metric for part in parts for metric in PARTS[part][1](scale)]
        print(f"finished in {time.monotonic() - began:.0f} s; {_load()}\n")
        print(table(metrics, columns))
    return 0


async def _run(parts: list[str], trees: list[Tree], scale: Scale) -> list[tuple[str, Results]]:
    columns: list[tuple[str, Results]] = [(tree.label, {}) for tree in trees]
    for part in parts:
        measure, _ = PARTS[part]
        for tree, (_, results) in zip(trees, columns, strict=True):
            print(f"running {part} on {tree.label} ...", file=sys.stderr, flush=True)
            results.update(await measure(tree, scale))
    return columns


def _header(scale: Scale, trees: list[Tree]) -> str:
    return (
        f"castbot benchmark: {', '.join(tree.label for tree in trees)}; python"
        f" {platform.python_version()}, {os.cpu_count()} CPUs; {_load()}\n{scale.describe()}"
    )


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


if __name__ == "__main__":
    sys.exit(main())
