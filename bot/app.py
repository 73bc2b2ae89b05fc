"""Wiring: build the Application, open shared services in post_init, close them after."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes

import handlers
from bot.actors import ActorProviders, ActorTrainings
from bot.alerts import ProviderBalanceWatch
from bot.broadcasts import Broadcaster
from bot.catalog import bot_commands
from bot.config import Settings
from bot.context import CONFLICTS_KEY, SERVICES_KEY, BotContext, Services
from bot.courier import Courier
from bot.i18n import LOCALES, command_language, user_locale
from bot.jobs import JobEngine
from bot.polling import ConflictWatch, WatchedPolls
from bot.referrals import Referrals
from bot.scheduler.traffic import Traffic
from bot.settlement import ChargeSettlement
from bot.studio import AlbumSettler, Studio
from bot.telegram_limits import TelegramRateLimiter
from bot.updates import ChatOrderedUpdateProcessor
from handlers.results import ResultButtons
from providers.base import ActorProvider, GenerationProvider
from providers.framehood import FramehoodClient
from providers.mock import MockProvider
from providers.ratelimit import RateBudget
from providers.scenario import ScenarioClient
from providers.zencreator import ZenCreatorClient
from storage.actors import ActorsRepository
from storage.alerts import AlertsRepository
from storage.broadcasts import BroadcastsRepository
from storage.db import Database
from storage.flows import FlowsRepository
from storage.jobs import JobsRepository
from storage.lock import DatabaseLock
from storage.payments import PaymentsRepository
from storage.promos import PromosRepository
from storage.referrals import ReferralsRepository
from storage.settings import UserSettingsRepository
from storage.stats import StatsRepository
from storage.users import LedgerRepository, UsersRepository

log = logging.getLogger(__name__)

CastbotApplication = Application[Any, BotContext, Any, Any, Any, Any]
PLACE_NOTICE_SHARE = 1 / 6
"""The share of Telegram's messages a second that jobs waiting in line may spend telling
their users their place (status edits)."""


def build_application(settings: Settings) -> CastbotApplication:
    """The Application for these settings, with every handler registered."""
    conflicts = ConflictWatch()
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(f"{settings.telegram_api_url}/bot")
        .base_file_url(f"{settings.telegram_api_url}/file/bot")
        .local_mode(settings.telegram_local_mode)
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(ChatOrderedUpdateProcessor())
        .get_updates_request(WatchedPolls(conflicts))
        .rate_limiter(
            TelegramRateLimiter(
                settings.telegram_messages_per_second,
                settings.telegram_chat_messages_per_second,
                settings.telegram_group_messages_per_minute,
            )
        )
        .post_init(on_startup)
        .post_shutdown(on_shutdown)
        .build()
    )
    application.bot_data["settings"] = settings
    application.bot_data[CONFLICTS_KEY] = conflicts
    handlers.register(application, settings)
    return application


def build_budget(settings: Settings) -> RateBudget:
    """The ZenCreator key's budget: its client spends it, and the start queue reads it."""
    return RateBudget(
        settings.zencreator_rate_limits.by_bucket(),
        settings.zencreator_rate_window,
        name="zencreator",
    )


def build_provider(settings: Settings, budget: RateBudget) -> GenerationProvider:
    """ZenCreator when a key is set, otherwise the offline mock with placeholder results
    (which spends no budget)."""
    if settings.uses_mock_provider:
        log.warning(
            "ZENCREATOR_API_KEY is not set: running on the OFFLINE MOCK provider; "
            "every result is a placeholder"
        )
        return MockProvider()
    return ZenCreatorClient(
        settings.zencreator_api_key.get_secret_value(),
        settings.zencreator_api_url,
        budget=budget,
    )


def build_actor_providers(settings: Settings) -> ActorProviders:
    """Scenario, then Framehood: the configured ones, in the order trainings prefer them."""
    providers: list[ActorProvider] = []
    if settings.scenario_configured:
        providers.append(
            ScenarioClient(
                settings.scenario_api_key.get_secret_value(),
                settings.scenario_api_secret.get_secret_value(),
                settings.scenario_api_url,
                budget=RateBudget(
                    settings.scenario_rate_limits.by_bucket(),
                    settings.scenario_rate_window,
                    name="scenario",
                ),
            )
        )
    if settings.framehood_configured:
        providers.append(
            FramehoodClient(
                settings.framehood_api_key.get_secret_value(),
                settings.framehood_api_url,
                budget=RateBudget(
                    settings.framehood_rate_limits.by_bucket(),
                    settings.framehood_rate_window,
                    name="framehood",
                ),
            )
        )
    if not providers:
        log.info("no actor provider is configured: likeness training and voice cloning are off")
    return ActorProviders(providers)


async def on_startup(application: CastbotApplication) -> None:
    """Open storage and the provider, resume unfinished jobs and broadcasts, set the command
    menu, and start watching the provider's balance."""
    settings: Settings = application.bot_data["settings"]
    db = await Database.open(settings.database_path)
    ledger = LedgerRepository(db)
    users = UsersRepository(db)
    locale_of = partial(user_locale, users)
    jobs = JobsRepository(db)
    budget = build_budget(settings)
    provider = build_provider(settings, budget)
    actor_providers = build_actor_providers(settings)
    courier = Courier(application.bot)
    actors = ActorsRepository(db)
    referrals = Referrals(
        ReferralsRepository(db),
        application.bot,
        reward=settings.referral_credits,
        locale_of=locale_of,
    )
    # Built before the engine, whose hook it is: a provider out of credits alerts the admins.
    balance_watch = ProviderBalanceWatch(
        provider,
        application.bot,
        AlertsRepository(db),
        admin_ids=settings.admin_ids,
        threshold=settings.provider_balance_alert,
    )
    traffic = await Traffic.open(
        db,
        provider,
        budget,
        courier.fetch,
        poll_floor=settings.zencreator_poll_interval,
        actor_providers=actor_providers.by_name.values(),
        notices_per_second=settings.telegram_messages_per_second * PLACE_NOTICE_SHARE,
    )
    engine = JobEngine(
        jobs,
        provider,
        courier,
        traffic=traffic,
        balance_of=ledger.balance,
        retry_interval=settings.zencreator_poll_interval,
        max_jobs_per_user=settings.max_jobs_per_user,
        actor_providers=actor_providers.by_name,
        trainings=ActorTrainings(actors),
        on_out_of_credits=balance_watch.provider_out_of_credits,
        presenter=ResultButtons(ledger.balance),
        locale_of=locale_of,
        settlement=ChargeSettlement(provider, settings.credit_multiplier),
    )
    application.bot_data[SERVICES_KEY] = services = Services(
        settings=settings,
        db=db,
        users=users,
        ledger=ledger,
        jobs=jobs,
        engine=engine,
        payments=PaymentsRepository(db),
        promos=PromosRepository(db),
        stats=StatsRepository(db),
        referrals=referrals,
        broadcaster=Broadcaster(BroadcastsRepository(db), application.bot),
        balance_watch=balance_watch,
        actors=actors,
        actor_providers=actor_providers,
        flows=FlowsRepository(db),
        user_settings=UserSettingsRepository(db),
        studio=Studio(provider, allow_nsfw=settings.allow_nsfw),
        albums=AlbumSettler(),
    )
    await set_command_menus(application, settings.credit_multiplier)
    await engine.start()
    await referrals.catch_up()
    await services.broadcaster.start()
    await balance_watch.start()
    log.info("castbot started as @%s", application.bot.username)


async def set_command_menus(application: CastbotApplication, multiplier: float) -> None:
    """The command menu in every language: Telegram shows a user the one of their app's
    language, and the default (English) to anyone else."""
    for locale in LOCALES:
        await application.bot.set_my_commands(
            bot_commands(locale, multiplier), language_code=command_language(locale)
        )


async def on_shutdown(application: CastbotApplication) -> None:
    """Stop the jobs where they stand and close what on_startup opened."""
    services: Services | None = application.bot_data.pop(SERVICES_KEY, None)
    if services is not None:
        await services.albums.stop()
        await services.balance_watch.stop()
        await services.broadcaster.stop()
        await services.engine.stop()
        await services.engine.provider.aclose()
        await services.actor_providers.aclose()
        await services.db.close()


async def start_polling(application: CastbotApplication, *, poll_timeout: int) -> None:
    """Start the bot inside a running event loop as run_polling would: initialize, post_init,
    then long polling that keeps the updates sent while the bot was down."""
    await application.initialize()
    assert application.post_init and application.updater
    await application.post_init(application)
    await application.updater.start_polling(
        poll_interval=0, timeout=poll_timeout, allowed_updates=Update.ALL_TYPES
    )
    await application.start()


async def stop_polling(application: CastbotApplication) -> None:
    """Stop what start_polling started, post_shutdown included."""
    assert application.post_shutdown and application.updater
    await application.updater.stop()
    await application.stop()
    await application.post_shutdown(application)
    await application.shutdown()


def run(settings: Settings) -> int:
    """Long-poll until interrupted; updates sent while the bot was down are kept.

    Holds the database's lock all along (DatabaseInUse if another process has it). Returns
    the exit status: 1 when the bot stopped because another process polls its token.
    """
    with DatabaseLock(settings.database_path):
        application = build_application(settings)
        application.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)
    watch: ConflictWatch = application.bot_data[CONFLICTS_KEY]
    return 1 if watch.stopped else 0
