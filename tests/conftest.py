"""Fixtures that run the real bot against the fake Telegram and ZenCreator servers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import providers.http
from bot.app import CastbotApplication, build_application, start_polling, stop_polling
from bot.config import Settings, load_settings
from bot.context import SERVICES_KEY, Services
from bot.playground.emulator import BotApiEmulator
from tests.fakes.zencreator import FakeZenCreator

ZENCREATOR_KEY = "zc_live_testkey_secret"
# Telegram's flood limits are kept (tests/test_telegram_limits.py checks them on a virtual
# clock), but loose enough never to slow a test down.
LOOSE_TELEGRAM_LIMITS = {
    "telegram_messages_per_second": 10_000,
    "telegram_chat_messages_per_second": 10_000,
    "telegram_group_messages_per_minute": 600_000,
}


class RunningBot:
    """One bot process: the real Application, long-polling the Bot API emulator."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.application: CastbotApplication = build_application(settings)

    @property
    def services(self) -> Services:
        services: Services = self.application.bot_data[SERVICES_KEY]
        return services

    async def start(self) -> None:
        await start_polling(self.application, poll_timeout=1)

    async def stop(self) -> None:
        await stop_polling(self.application)


@pytest.fixture
async def telegram() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as fake:
        yield fake


@pytest.fixture
async def zencreator() -> AsyncIterator[FakeZenCreator]:
    async with FakeZenCreator(api_key=ZENCREATOR_KEY) as fake:
        yield fake


@pytest.fixture
def make_settings(telegram: BotApiEmulator, zencreator: FakeZenCreator, tmp_path: Path) -> Any:
    """Settings for a bot on the fakes; keyword arguments override any variable."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "_env_file": None,
            "telegram_bot_token": telegram.token,
            "telegram_api_url": telegram.root_url,
            "database_path": tmp_path / "castbot.sqlite3",
            "zencreator_api_key": ZENCREATOR_KEY,
            "zencreator_api_url": zencreator.base_url,
            "zencreator_poll_interval": 0.02,
            **LOOSE_TELEGRAM_LIMITS,
        }
        return load_settings(**(values | overrides))

    return make


@pytest.fixture
async def start_bot(make_settings: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    """Start a bot (several in turn, for restarts); every one still running is stopped."""
    # The client's retry backoff is real time; end-to-end tests need only its order.
    monkeypatch.setattr(providers.http, "INITIAL_RETRY_DELAY", 0.001)
    running: list[RunningBot] = []

    async def start(**overrides: Any) -> RunningBot:
        bot = RunningBot(make_settings(**overrides))
        await bot.start()
        running.append(bot)
        return bot

    yield start
    for bot in running:
        if bot.application.running:
            await bot.stop()


@pytest.fixture
async def bot(start_bot: Any) -> RunningBot:
    running: RunningBot = await start_bot()
    return running
