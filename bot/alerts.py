"""The operator's alert when the AI provider's balance runs low, at most once an hour."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from datetime import timedelta

from telegram import Bot
from telegram.error import TelegramError

from bot import texts
from providers.base import GenerationProvider
from providers.errors import ProviderError
from storage.alerts import AlertsRepository

log = logging.getLogger(__name__)

CHECK_INTERVAL = timedelta(minutes=10)
ALERT_INTERVAL = timedelta(hours=1)
ALERT = "provider_balance"


class ProviderBalanceWatch:
    """Checks the provider's balance now and every CHECK_INTERVAL, and tells the admins
    when it is under the threshold (a threshold of 0, or no admins, turns it off)."""

    def __init__(
        self,
        provider: GenerationProvider,
        bot: Bot,
        alerts: AlertsRepository,
        *,
        admin_ids: Collection[int],
        threshold: float,
    ) -> None:
        self._provider = provider
        self._bot = bot
        self._alerts = alerts
        self._admin_ids = sorted(admin_ids)
        self._threshold = threshold
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._threshold > 0 and self._admin_ids:
            self._task = asyncio.create_task(self._watch(), name="provider-balance-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def balance(self) -> float | None:
        """The provider's balance, or None when it cannot be read now."""
        try:
            return await self._provider.balance()
        except ProviderError as err:
            log.warning("could not read the provider's balance: %r", err)
            return None

    async def check(self) -> None:
        """Alert the admins if the balance is under the threshold."""
        balance = await self.balance()
        if balance is not None and balance < self._threshold:
            await self._alert(balance)

    async def provider_out_of_credits(self) -> None:
        """For the job engine, after the provider refused a job for lack of credits (402):
        alert whatever the threshold, since jobs are failing already. Never raises."""
        try:
            await self._alert(await self.balance())
        except Exception:
            log.exception("could not alert the admins about the provider's credits")

    async def _watch(self) -> None:
        while True:
            try:
                await self.check()
            except Exception:
                log.exception("could not check the provider's balance")
            await asyncio.sleep(CHECK_INTERVAL.total_seconds())

    async def _alert(self, balance: float | None) -> None:
        if not self._admin_ids or not await self._alerts.claim(ALERT, ALERT_INTERVAL):
            return
        log.warning("the provider's balance is low: %s", balance)
        for admin_id in self._admin_ids:
            try:
                await self._bot.send_message(
                    admin_id, texts.provider_balance_low(balance, self._threshold)
                )
            except TelegramError as err:
                log.warning("could not alert admin %s: %r", admin_id, err)
