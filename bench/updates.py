"""Part 2, update handling: many users sending /balance and plain text, each sending the next
message once the bot answered the last (as people do), with the Bot API answering at once
and then with a real round trip's delay on every call.

The bot keeps Telegram's flood limits, 30 messages a second in all by default: a thousand
users chatting at once would measure only that. Telegram lets a bot go faster with paid
broadcasts (up to 1000 messages a second), so this part runs the bot with
TELEGRAM_MESSAGES_PER_SECOND at that; the limit of one message a second to each chat after
a burst of three stays.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from bench import database
from bench.process import BotProcess
from bench.report import Metric, Results, percentile, seconds
from bench.scale import Scale, bot_environment, fake_zencreator
from bench.trees import Tree
from bot.playground.emulator import BotApiEmulator, EmulatedUser, SentMessage

USERS_FROM = 300_000
REPLY_TIMEOUT = 900.0


def metrics(scale: Scale) -> list[Metric]:
    late = f"{scale.latency * 1000:g} ms per Bot API call"
    return [
        Metric("updates/s, Bot API answering at once", ">= 300"),
        Metric("p95 update -> reply s, at once"),
        Metric("bot CPU s / peak RSS MB, at once"),
        Metric(f"updates/s, {late}", ">= 250"),
        Metric(f"p95 update -> reply s, {late}"),
        Metric(f"bot CPU s / peak RSS MB, {late}"),
    ]


async def measure(tree: Tree, scale: Scale) -> Results:
    labels = [metric.label for metric in metrics(scale)]
    results: Results = {}
    for latency, (rate_label, p95_label, cost_label) in [
        (0.0, labels[:3]),
        (scale.latency, labels[3:]),
    ]:
        rate, p95, cpu, peak = await _run(tree, scale, latency)
        results[rate_label] = f"{rate:.0f}"
        results[p95_label] = seconds(p95)
        results[cost_label] = f"{cpu:.1f} / {peak:.0f}"
    return results


async def _run(tree: Tree, scale: Scale, latency: float) -> tuple[float, float, float, float]:
    """Updates per second, p95 update-to-reply, the bot's CPU seconds and peak RSS in MB."""
    async with BotApiEmulator(latency=latency) as telegram, fake_zencreator(scale) as zencreator:
        replies: dict[int, asyncio.Future[SentMessage]] = {}

        def heard(message: SentMessage) -> None:
            waiting = replies.pop(message.chat_id, None)
            if waiting is not None and not waiting.done():
                waiting.set_result(message)

        telegram.listen(heard)
        user_ids = range(USERS_FROM, USERS_FROM + scale.update_users)
        users = [telegram.user(user_id) for user_id in user_ids]
        with tempfile.TemporaryDirectory(prefix="castbot-bench-") as folder:
            workdir = Path(folder)
            path = workdir / "castbot.sqlite3"
            database.create(tree, path)
            database.add_users(path, user_ids, balance=10)
            environment = bot_environment(scale, telegram, zencreator, path)
            environment["TELEGRAM_MESSAGES_PER_SECOND"] = str(scale.update_messages_per_second)
            bot = BotProcess(tree, workdir, environment)
            await bot.start(telegram)
            try:
                cpu_before = bot.cpu_seconds()
                waits: list[float] = []
                loop = asyncio.get_running_loop()

                async def chat(user: EmulatedUser) -> None:
                    for n in range(scale.updates_per_user):
                        reply = replies[user.id] = loop.create_future()
                        sent = time.monotonic()
                        await user.send_text("/balance" if n % 2 == 0 else "hello there")
                        answer = await asyncio.wait_for(reply, REPLY_TIMEOUT)
                        waits.append(answer.sent_at - sent)

                started = time.monotonic()
                await asyncio.gather(*(chat(user) for user in users))
                took = time.monotonic() - started
                cpu = bot.cpu_seconds() - cpu_before
                peak = bot.peak_rss_mb()
            finally:
                await bot.stop()
    return len(waits) / took, percentile(waits, 0.95), cpu, peak
