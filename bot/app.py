"""Wiring: build the Application, open shared services in post_init, close them after."""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommand, Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes

import handlers
from bot import texts
from bot.config import Settings
from bot.context import SERVICES_KEY, BotContext, Services
from bot.courier import Courier
from bot.jobs import JobEngine
from providers.base import GenerationProvider
from providers.mock import MockProvider
from providers.ratelimit import RateBudget
from providers.zencreator import ZenCreatorClient
from storage.assets import AssetCache
from storage.db import Database
from storage.jobs import JobsRepository
from storage.users import LedgerRepository, UsersRepository

log = logging.getLogger(__name__)

CastbotApplication = Application[Any, BotContext, Any, Any, Any, Any]


def build_application(settings: Settings) -> CastbotApplication:
    """The Application for these settings, with every handler registered."""
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(f"{settings.telegram_api_url}/bot")
        .base_file_url(f"{settings.telegram_api_url}/file/bot")
        .context_types(ContextTypes(context=BotContext))
        .post_init(on_startup)
        .post_shutdown(on_shutdown)
        .build()
    )
    application.bot_data["settings"] = settings
    handlers.register(application)
    return application


def build_provider(settings: Settings) -> GenerationProvider:
    """ZenCreator when a key is set, otherwise the offline mock with placeholder results."""
    if settings.uses_mock_provider:
        log.warning(
            "ZENCREATOR_API_KEY is not set: running on the OFFLINE MOCK provider; "
            "every result is a placeholder"
        )
        return MockProvider()
    return ZenCreatorClient(
        settings.zencreator_api_key.get_secret_value(),
        settings.zencreator_api_url,
        budget=RateBudget(),
    )


async def on_startup(application: CastbotApplication) -> None:
    """Open storage and the provider, resume unfinished jobs, set the command menu."""
    settings: Settings = application.bot_data["settings"]
    db = await Database.open(settings.database_path)
    ledger = LedgerRepository(db)
    jobs = JobsRepository(db)
    engine = JobEngine(
        jobs,
        AssetCache(db),
        build_provider(settings),
        Courier(application.bot),
        balance_of=ledger.balance,
        poll_interval=settings.zencreator_poll_interval,
    )
    application.bot_data[SERVICES_KEY] = Services(
        settings=settings,
        db=db,
        users=UsersRepository(db),
        ledger=ledger,
        jobs=jobs,
        engine=engine,
    )
    await application.bot.set_my_commands(
        [BotCommand(command, description) for command, description in texts.COMMANDS]
    )
    await engine.start()
    log.info("castbot started as @%s", application.bot.username)


async def on_shutdown(application: CastbotApplication) -> None:
    """Stop the jobs where they stand and close what on_startup opened."""
    services: Services | None = application.bot_data.pop(SERVICES_KEY, None)
    if services is not None:
        await services.engine.stop()
        await services.engine.provider.aclose()
        await services.db.close()


def run(settings: Settings) -> None:
    """Long-poll until interrupted; updates sent while the bot was down are kept."""
    application = build_application(settings)
    application.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)
