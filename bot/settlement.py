"""Settling a job charged the most it could cost (a linked video, whose length is not known in
advance) at what the provider really charged for it (`GET /transactions`)."""

from __future__ import annotations

import logging

from bot.jobs import TRANSIENT_PROVIDER_ERRORS
from bot.pricing import to_bot_credits
from bot.tools import JobSpec
from providers.base import GenerationProvider
from providers.errors import ProviderError
from storage.jobs import Job

log = logging.getLogger(__name__)


class ChargeSettlement:
    """The engine's Settlement: the difference between the most charged and the provider's
    real charge, times CREDIT_MULTIPLIER (rounded up, as every price)."""

    def __init__(self, provider: GenerationProvider, multiplier: float) -> None:
        self._provider = provider
        self._multiplier = multiplier

    async def overcharged(self, job: Job) -> int:
        spec = JobSpec.model_validate(job.spec)
        if not spec.charged_at_most or job.generation_id is None:
            return 0
        if job.provider != self._provider.name:
            return 0
        try:
            charge = await self._provider.generation_charge(job.generation_id)
        except TRANSIENT_PROVIDER_ERRORS:
            raise
        except ProviderError as err:
            log.warning("job %s: could not read what the provider charged: %r", job.id, err)
            return 0
        if charge is None:
            log.warning(
                "job %s: the provider's credit history does not show its charge; the most"
                " charged stays charged",
                job.id,
            )
            return 0
        return max(job.price - to_bot_credits(charge, self._multiplier), 0)
