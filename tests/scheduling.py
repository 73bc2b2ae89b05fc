"""What the scheduler tests share: learned durations in memory, and a provider on virtual time
whose status polls spend a real RateBudget."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.scheduler.polls import PolledJob, PollScheduler
from providers.ratelimit import Priority, RateBudget
from storage.durations import ToolDuration
from tests.virtual_time import VirtualTime


class MemoryStore:
    """Durations kept in a dict, as the repository keeps them in SQLite."""

    def __init__(self) -> None:
        self.saved: dict[tuple[str, str, str], ToolDuration] = {}

    async def of_provider(self, provider: str) -> list[ToolDuration]:
        return [d for (p, _, _), d in self.saved.items() if p == provider]

    async def save(self, duration: ToolDuration) -> None:
        self.saved[duration.provider, duration.tool, duration.model] = duration


@dataclass
class Provider:
    """Generations that end at set times; each status poll takes a read slot and `rtt`."""

    vt: VirtualTime
    budget: RateBudget
    rtt: float = 0.05
    ends_at: dict[str, float] = field(default_factory=dict)
    polls: list[tuple[str, float]] = field(default_factory=list)
    """(job id, when the request was sent), in order."""

    async def status(self, job_id: str) -> str:
        async with self.budget.ticket("read", Priority.POLL).slot() as slot:
            sent = self.vt.now
            self.polls.append((job_id, sent))
            await self.vt.sleep(self.rtt)
            slot.answered(200, {})
        return "done" if self.ends_at[job_id] <= sent else "running"

    def polls_of(self, job_id: str) -> list[float]:
        return [at for polled, at in self.polls if polled == job_id]


@dataclass
class Seen:
    """How a job's polling ended, as the engine would record it."""

    done_at: dict[str, float] = field(default_factory=dict)
    timed_out_at: dict[str, float] = field(default_factory=dict)

    @property
    def ended(self) -> int:
        return len(self.done_at) + len(self.timed_out_at)


async def drive(scheduler: PollScheduler, provider: Provider, job: PolledJob, seen: Seen) -> None:
    """Poll one job as the engine's submitted step does, until it is done or timed out."""
    while True:
        outcome = await scheduler.poll(job, lambda: provider.status(job.id))
        if outcome.status == "done":
            await scheduler.finished(job.id)
            seen.done_at[job.id] = outcome.polled_at
            return
        if outcome.past_deadline:
            scheduler.forget(job.id)
            seen.timed_out_at[job.id] = outcome.polled_at
            return
