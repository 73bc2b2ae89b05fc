"""What handlers receive: the shared services, behind a typed CallbackContext."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.config import Settings
from storage.actors import ActorsRepository
from storage.db import Database
from storage.flows import FlowsRepository
from storage.jobs import JobsRepository
from storage.payments import PaymentsRepository
from storage.promos import PromosRepository
from storage.settings import UserSettingsRepository
from storage.stats import StatsRepository
from storage.users import LedgerRepository, User, UsersRepository

if TYPE_CHECKING:
    from bot.actors import ActorProviders
    from bot.alerts import ProviderBalanceWatch
    from bot.broadcasts import Broadcaster
    from bot.jobs import JobEngine
    from bot.referrals import Referrals
    from bot.studio import AlbumSettler, Studio

SERVICES_KEY = "services"
CONFLICTS_KEY = "conflicts"


@dataclass
class Services:
    """Everything opened in post_init and closed in post_shutdown."""

    settings: Settings
    db: Database
    users: UsersRepository
    ledger: LedgerRepository
    jobs: JobsRepository
    engine: JobEngine
    payments: PaymentsRepository
    promos: PromosRepository
    stats: StatsRepository
    referrals: Referrals
    broadcaster: Broadcaster
    balance_watch: ProviderBalanceWatch
    actors: ActorsRepository
    actor_providers: ActorProviders
    flows: FlowsRepository
    user_settings: UserSettingsRepository
    studio: Studio
    albums: AlbumSettler


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The CallbackContext of every handler: typed access to the services and the account."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id, user_id)
        # Set by the account handler, which runs before every other handler of an update.
        self.account: User | None = None
        self.account_created = False

    @property
    def services(self) -> Services:
        services: Services = self.bot_data[SERVICES_KEY]
        return services

    @property
    def user(self) -> User:
        """The account of the user behind this update."""
        if self.account is None:
            raise RuntimeError("the account handler did not run for this update")
        return self.account
