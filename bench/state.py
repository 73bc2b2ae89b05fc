"""Part 3, the scale of state: the bot starting on a big database (many users, a backlog of
unfinished jobs the provider is still working on), its start-up time and its memory."""

from __future__ import annotations

import asyncio
import random
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import database
from bench.process import BotProcess
from bench.report import Metric, Results
from bench.scale import Scale, bot_environment, fake_zencreator
from bench.trees import Tree
from bot.playground.emulator import BotApiEmulator

USERS_FROM = 400_000
RUNNING_FOR = 3600.0
"""Seconds the provider takes for the backlog's jobs: they stay unfinished meanwhile."""
SETTLE_WINDOWS = 2
"""Rate windows the bot runs on its backlog before its memory is read."""
DEADLINES = {"faceswap": timedelta(minutes=15), "lipsync": timedelta(minutes=30)}


def metrics(scale: Scale) -> list[Metric]:
    load = f"{scale.state_users:,} users, {scale.state_jobs:,} unfinished jobs"
    return [
        Metric(f"start-up s, {load}", "< 3"),
        Metric(f"RSS MB after {SETTLE_WINDOWS} windows (peak), {load}", "< 150"),
    ]


async def measure(tree: Tree, scale: Scale) -> Results:
    startup_label, memory_label = (metric.label for metric in metrics(scale))
    rng = random.Random(3)
    async with BotApiEmulator() as telegram, fake_zencreator(scale) as zencreator:
        zencreator.set_durations({tool: RUNNING_FOR for tool in DEADLINES})
        user_ids = range(USERS_FROM, USERS_FROM + scale.state_users)
        now = datetime.now(UTC)
        jobs = []
        for n in range(scale.state_jobs):
            tool = "lipsync" if n % 4 == 0 else "faceswap"
            user_id = user_ids[n * 7 % len(user_ids)]
            telegram.user(user_id)
            jobs.append(
                database.UnfinishedJob(
                    id=f"backlog{n:05d}",
                    user_id=user_id,
                    tool=tool,
                    generation_id=zencreator.add_generation(tool),
                    submitted=now - timedelta(seconds=rng.uniform(0, 600)),
                    deadline=DEADLINES[tool],
                )
            )
        with tempfile.TemporaryDirectory(prefix="castbot-bench-") as folder:
            workdir = Path(folder)
            path = workdir / "castbot.sqlite3"
            database.create(tree, path)
            database.add_users(path, user_ids, balance=10)
            database.add_unfinished_jobs(path, jobs)
            bot = BotProcess(tree, workdir, bot_environment(scale, telegram, zencreator, path))
            startup = await bot.start(telegram)
            try:
                await asyncio.sleep(SETTLE_WINDOWS * scale.window)  # a measurement period
                rss, peak = bot.rss_mb(), bot.peak_rss_mb()
            finally:
                await bot.stop()
    return {startup_label: f"{startup:.2f}", memory_label: f"{rss:.0f} ({peak:.0f})"}
