"""Part 1, throughput under the provider's limits: face swaps and videos ordered at once.

The fake ZenCreator keeps the documented limits over the scaled window and ends each
generation after a fixed time, recording when. The emulator records when each result
reached its user. From the two: how close the starts came to what the generate limit
allows, how many requests the provider refused, how long a finished result took to reach
its user, and how many status polls each job cost.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import sqlite3
import tempfile
from pathlib import Path

from bench.flows import order_faceswap, order_video
from bench.process import BotProcess
from bench.report import Metric, Results, percentile, seconds
from bench.scale import LIMITS, Scale, bot_environment, fake_zencreator
from bench.trees import Tree
from bot.playground.emulator import BotApiEmulator, SentMessage

STARTS = "jobs started per window (limit 10, share of it)"
REFUSED = "429s from the provider"
FACESWAP_DELIVERY = "face swap: finished -> delivered, p50 / p95 s"
VIDEO_DELIVERY = "video: finished -> delivered, p50 / p95 s"
POLLS = "status polls per finished job"
ELAPSED = "first start -> last delivery, s"
METRICS = [
    Metric(STARTS, ">= 9 (90 %)"),
    Metric(REFUSED, "0"),
    Metric(FACESWAP_DELIVERY, "p95 <= 2"),
    Metric(VIDEO_DELIVERY),
    Metric(POLLS),
    Metric(ELAPSED),
]

RESULT_METHODS = frozenset({"sendPhoto", "sendVideo", "sendMediaGroup", "sendDocument"})
DELIVERY_TIMEOUT = 1800.0
FACESWAP_USERS_FROM = 100_000
VIDEO_USERS_FROM = 200_000


async def measure(tree: Tree, scale: Scale) -> Results:
    async with BotApiEmulator() as telegram, fake_zencreator(scale) as zencreator:
        delivered: dict[int, float] = {}

        def heard(message: SentMessage) -> None:
            if message.method in RESULT_METHODS:
                delivered.setdefault(message.chat_id, message.sent_at)

        telegram.listen(heard)
        with tempfile.TemporaryDirectory(prefix="castbot-bench-") as folder:
            workdir = Path(folder)
            database = workdir / "castbot.sqlite3"
            bot = BotProcess(tree, workdir, bot_environment(scale, telegram, zencreator, database))
            await bot.start(telegram)
            try:
                swappers = [
                    telegram.user(FACESWAP_USERS_FROM + n) for n in range(scale.faceswap_users)
                ]
                directors = [telegram.user(VIDEO_USERS_FROM + n) for n in range(scale.video_users)]
                await asyncio.gather(
                    *(order_faceswap(user) for user in swappers),
                    *(order_video(user) for user in directors),
                )
                everyone = len(swappers) + len(directors)
                # Fewer deliveries than users after that long show in the table.
                with contextlib.suppress(TimeoutError):
                    await telegram.wait_until(lambda: len(delivered) >= everyone, DELIVERY_TIMEOUT)
            finally:
                await bot.stop()
            with sqlite3.connect(database) as db:
                jobs = db.execute("SELECT chat_id, tool, generation_id FROM jobs").fetchall()

        generations = zencreator.generations
        starts = sorted(g.created_at for g in generations.values())
        span = starts[-1] - starts[0] if starts else math.nan
        # The limit allows `limit` starts at once and as many again each window after: the
        # shortest time from the first start to the last.
        limit = LIMITS["generate"]
        shortest = (math.ceil(len(starts) / limit) - 1) * scale.window
        used = shortest / span if span > 0 else 1.0
        waits: dict[str, list[float]] = {"faceswap": [], "lipsync": []}
        for chat_id, tool, generation_id in jobs:
            generation = generations.get(generation_id)
            if generation is None or generation.finished_at is None or chat_id not in delivered:
                continue
            waits[tool].append(delivered[chat_id] - generation.finished_at)
        refused = [r for r in zencreator.requests if r.status == 429]
        by_bucket = {b: sum(1 for r in refused if r.bucket == b) for b in LIMITS}
        status_polls = [
            r
            for r in zencreator.requests_for("GET /generations/*")
            if not r.path.endswith("/result")
        ]
        finished = sum(1 for g in generations.values() if g.finished_at is not None)
        elapsed = max(delivered.values(), default=math.nan) - (starts[0] if starts else math.nan)

    shortfall = "" if len(delivered) >= everyone else f" ({len(delivered)} of {everyone} done)"
    return {
        STARTS: f"{limit * used:.1f} ({used:.0%})",
        REFUSED: f"{len(refused)}"
        + (
            " (" + ", ".join(f"{b} {n}" for b, n in by_bucket.items() if n) + ")"
            if refused
            else ""
        ),
        FACESWAP_DELIVERY: _p50_p95(waits["faceswap"]),
        VIDEO_DELIVERY: _p50_p95(waits["lipsync"]),
        POLLS: f"{len(status_polls) / finished:.1f}" if finished else "n/a",
        ELAPSED: f"{seconds(elapsed)}{shortfall}",
    }


def _p50_p95(values: list[float]) -> str:
    return f"{seconds(percentile(values, 0.5))} / {seconds(percentile(values, 0.95))}"
