"""What the benchmark runs: sizes, the scaled times, and the bot's environment."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from bot.playground.emulator import BotApiEmulator
from tests.fakes.zencreator import FakeZenCreator

API_KEY = "zc_live_bench_secret"
LIMITS = {"read": 60, "generate": 10, "upload": 30}
"""The documented limits, per (scaled) window, on both sides."""


@dataclass(frozen=True)
class Scale:
    window: float = 6.0
    """The rate window, a tenth of ZenCreator's 60 s; the other times are scaled alike."""
    poll_interval: float = 0.5
    faceswap_seconds: float = 1.0
    """How long the fake provider takes for one face swap."""
    video_seconds: float = 12.0
    """... and for one lipsync video."""
    faceswap_users: int = 100
    video_users: int = 30
    update_users: int = 1000
    updates_per_user: int = 5
    latency: float = 0.05
    """Seconds added to every Bot API call in the second run of the update part."""
    update_messages_per_second: int = 1000
    """The bot's TELEGRAM_MESSAGES_PER_SECOND in the update part: Telegram's limit for a bot
    with paid broadcasts."""
    state_users: int = 10_000
    state_jobs: int = 1000

    def quick(self) -> Scale:
        """A tenth of every count: a smoke run of the harness, not a measurement."""
        return dataclasses.replace(
            self,
            faceswap_users=self.faceswap_users // 10,
            video_users=self.video_users // 10,
            update_users=self.update_users // 10,
            state_users=self.state_users // 10,
            state_jobs=self.state_jobs // 10,
        )

    def describe(self) -> str:
        limits = ",".join(f"{bucket}={amount}" for bucket, amount in LIMITS.items())
        return (
            f"rate window {self.window:g} s on both sides ({limits} per window), poll"
            f" interval {self.poll_interval:g} s; the fake provider takes"
            f" {self.faceswap_seconds:g} s per face swap, {self.video_seconds:g} s per video\n"
            f"throughput: {self.faceswap_users} face swaps and {self.video_users} videos"
            f" ordered at once; updates: {self.update_users * self.updates_per_user}"
            f" (/balance and text) from {self.update_users} users, each sending the next"
            f" after the reply, with the Bot API answering at once and"
            f" {self.latency * 1000:g} ms late, the bot sending up to"
            f" {self.update_messages_per_second} messages a second (paid broadcasts); state:"
            f" {self.state_users} users and"
            f" {self.state_jobs} unfinished jobs"
        )


def bot_environment(
    scale: Scale, telegram: BotApiEmulator, zencreator: FakeZenCreator, database: Path
) -> dict[str, str]:
    """The variables the bot process runs with (the same for every tree)."""
    return {
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_URL": telegram.root_url,
        "DATABASE_PATH": str(database),
        "ZENCREATOR_API_KEY": API_KEY,
        "ZENCREATOR_API_URL": zencreator.base_url,
        "ZENCREATOR_RATE_WINDOW": f"{scale.window:g}",
        "ZENCREATOR_RATE_LIMITS": ",".join(f"{b}={n}" for b, n in LIMITS.items()),
        "ZENCREATOR_POLL_INTERVAL": f"{scale.poll_interval:g}",
        "WELCOME_CREDITS": "100",
        "PROVIDER_BALANCE_ALERT": "0",
        "LOG_LEVEL": "WARNING",
    }


def fake_zencreator(scale: Scale) -> FakeZenCreator:
    zencreator = FakeZenCreator(
        api_key=API_KEY, balance=1e9, rate_limits=LIMITS, rate_window=scale.window
    )
    zencreator.set_durations({"faceswap": scale.faceswap_seconds, "lipsync": scale.video_seconds})
    return zencreator
