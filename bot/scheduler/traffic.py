"""What the job engine sends its provider traffic through, built once per process.

Every provider key the engine uses has one `PollScheduler` (the generation provider and each
actor provider), with the durations learned at that provider; the generation provider's
starts wait their turn in one `StartQueue` in front of the key's budget, and its inputs are
uploaded through `SingleFlightUploads`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from bot.scheduler.expectations import Expectations
from bot.scheduler.polls import PollScheduler
from bot.scheduler.starts import DEFAULT_NOTICES_PER_SECOND, StartQueue
from bot.uploads import Fetch, SingleFlightUploads
from providers.base import GenerationProvider, GenerationSource
from providers.ratelimit import RateBudget
from storage.assets import AssetCache
from storage.db import Database
from storage.durations import DurationsRepository


@dataclass(frozen=True)
class Traffic:
    uploads: SingleFlightUploads
    """The generation provider's inputs, each file uploaded once."""
    starts: StartQueue
    """The generation provider's starts, in turns fair across users."""
    polls: Mapping[str, PollScheduler]
    """Status polls, one scheduler per provider key, by provider name."""

    @classmethod
    async def open(
        cls,
        db: Database,
        provider: GenerationProvider,
        budget: RateBudget,
        fetch: Fetch,
        *,
        poll_floor: float,
        actor_providers: Iterable[GenerationSource] = (),
        notices_per_second: float = DEFAULT_NOTICES_PER_SECOND,
    ) -> Traffic:
        """`budget` is the one `provider` spends (the queue tells waiting jobs from it how
        long they wait); `poll_floor` is the least time between two polls of one job."""
        durations = DurationsRepository(db)
        polls: dict[str, PollScheduler] = {}
        for source in (provider, *actor_providers):
            expectations = Expectations(source.name, durations)
            await expectations.load()
            polls[source.name] = PollScheduler(expectations, floor=poll_floor)
        return cls(
            uploads=SingleFlightUploads(provider, AssetCache(db), fetch),
            starts=StartQueue(budget, notices_per_second=notices_per_second),
            polls=MappingProxyType(polls),
        )

    async def aclose(self) -> None:
        """Stop the uploads and the poll timers (at shutdown, once no job waits any more)."""
        await self.uploads.aclose()
        for scheduler in self.polls.values():
            await scheduler.aclose()
