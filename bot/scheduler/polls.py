"""One poll scheduler per provider key: every status poll of every running job goes through it.

The job engine's step for a submitted job asks `poll(job, status)`; the scheduler decides
when that poll happens and runs it, so the key's read budget is spent where it tells
something:

* A job is first polled when it is expected to be done (`Expectations`, learned per tool
  and model), so a face swap is seen finishing within moments while a long video is not
  asked about every few seconds. Until a tool and model has finished once, its jobs are
  probed after the floor and then at doubling intervals, up to the starting guess.
* A job still running after its expected time is polled again after a tenth of its time
  so far: the longer it overruns, the less each poll is likely to find.
* `floor` (`ZENCREATOR_POLL_INTERVAL`) is the least time between two polls of one job; the
  start's own answer already said where the job stood, so no poll follows it at once.
* Of the jobs due, the one with the earliest deadline goes first (then the one that came
  first). After a restart with a backlog, that is the oldest deadline first.
* Every job is polled at or after its deadline before it can be called timed out:
  `PollOutcome.past_deadline` is true only for a poll made then, and the engine fails a job
  as timed out only on such a poll that found it unfinished.
* At most `concurrency` polls are under way at once, so the order above is kept when the
  read budget runs short; results and downloads go before polls in the budget itself.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

from bot.scheduler.expectations import Expectations
from providers.ratelimit import Alarm, Clock, Sleep

StatusT = TypeVar("StatusT")

DEFAULT_CONCURRENCY: Final = 4
OVERRUN_FRACTION: Final = 0.1
"""A job past its expected time is polled again after this share of its time so far."""
EARLY_FRACTION: Final = 0.9
"""A job already done at its first poll is taken to have needed this share of the time."""


@dataclass(frozen=True)
class PolledJob:
    """What the scheduler needs to know about a submitted job; times are `clock` seconds."""

    id: str
    tool: str
    model: str
    """The model option ('' when the tool has none): durations are learned per model."""
    submitted_at: float
    deadline_at: float


@dataclass(frozen=True)
class PollOutcome(Generic[StatusT]):
    status: StatusT
    polled_at: float
    """When the request was made (before its answer)."""
    past_deadline: bool
    """Made at or after the job's deadline: a job this poll found unfinished has timed out."""


@dataclass
class _Entry:
    job: PolledJob
    order: int
    attempted_at: float | None = None
    """The last poll made, answered or not: the floor counts from it."""
    observed_at: float | None = None
    """The last poll answered."""
    running_at: float | None = None
    """The last answered poll that found the job still running."""
    granted: asyncio.Future[None] | None = None


class PollScheduler:
    """Decides when each running job of one provider key is polled."""

    def __init__(
        self,
        expectations: Expectations,
        *,
        floor: float,
        concurrency: int = DEFAULT_CONCURRENCY,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """`floor`: seconds between two polls of one job, at least. `clock` gives the time the
        jobs' `submitted_at` and `deadline_at` are in (the epoch, for the job rows)."""
        if floor <= 0 or concurrency < 1:
            raise ValueError("polls need a positive floor and at least one at a time")
        self._expectations = expectations
        self._floor = floor
        self._concurrency = concurrency
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._waiting: list[tuple[float, int, _Entry, asyncio.Future[None]]] = []
        """Polls not yet due: (due time, push number, ...)."""
        self._due: list[tuple[float, int, int, asyncio.Future[None]]] = []
        """Polls due: (deadline, job's arrival, push number, ...)."""
        self._running = 0
        self._order = itertools.count()
        self._pushes = itertools.count()
        self._alarm = Alarm(self._dispatch, sleep, "poll-scheduler")
        self._dispatching = False

    async def poll(
        self, job: PolledJob, status: Callable[[], Awaitable[StatusT]]
    ) -> PollOutcome[StatusT]:
        """Wait for the job's turn, then call `status` (one request to the provider).

        Call it again while the job runs, and `finished` (or `forget`) once it does not.
        """
        entry = self._entries.get(job.id)
        if entry is None:
            entry = self._entries[job.id] = _Entry(job, next(self._order))
        if entry.granted is not None:
            raise RuntimeError(f"job {job.id} is already waiting for a poll")
        entry.job = job
        entry.running_at = entry.observed_at  # asked again: the last poll found it running
        granted = asyncio.get_running_loop().create_future()
        entry.granted = granted
        heapq.heappush(self._waiting, (self._due_at(entry), next(self._pushes), entry, granted))
        self._dispatch_soon()
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self._running -= 1  # granted as it was cancelled
            self._dispatch_soon()
            raise
        finally:
            entry.granted = None
        polled_at = self._clock()
        entry.attempted_at = polled_at
        try:
            answer = await status()
        finally:
            self._running -= 1
            self._dispatch_soon()
        entry.observed_at = polled_at
        return PollOutcome(answer, polled_at, polled_at >= job.deadline_at)

    async def finished(self, job_id: str, *, learn: bool = True) -> None:
        """The last poll found the job done: stop tracking it, and learn how long it took
        (`learn=False` for an outcome that says nothing about it, e.g. a failure)."""
        entry = self._entries.pop(job_id, None)
        if entry is None or not learn or entry.observed_at is None:
            return
        job = entry.job
        done_by = entry.observed_at - job.submitted_at
        if entry.running_at is None:
            # Done at its first poll: some time before. Polled when expected, the job may be
            # quicker than expected; polled late (a backlog, a restart), it tells nothing.
            if done_by > self._expectations.of(job.tool, job.model).seconds + self._floor:
                return
            took = done_by * EARLY_FRACTION
        else:
            took = (entry.running_at - job.submitted_at + done_by) / 2
        await self._expectations.learn(job.tool, job.model, took)

    def forget(self, job_id: str) -> None:
        """Stop tracking a job that is no longer polled (stopped, failed, handed over)."""
        self._entries.pop(job_id, None)

    async def aclose(self) -> None:
        """Stop the timer (at shutdown, once no job waits any more)."""
        self._alarm.cancel()

    def _due_at(self, entry: _Entry) -> float:
        """When the job should be polled next."""
        job = entry.job
        expected = self._expectations.of(job.tool, job.model)
        expected_end = job.submitted_at + expected.seconds
        last = entry.attempted_at
        if last is None:
            due = expected_end
            if not expected.learned:
                due = min(job.submitted_at + self._floor, expected_end)
        else:
            ran = last - job.submitted_at
            if ran >= expected.seconds:
                due = last + OVERRUN_FRACTION * ran
            elif expected.learned:
                due = expected_end  # polled early: the expectation grew since
            else:
                due = min(last + ran, expected_end)  # probing, doubling up to the guess
        if last is None or last < job.deadline_at:
            due = min(due, job.deadline_at)  # one poll at the deadline, whatever comes
        if last is not None:
            due = max(due, last + self._floor)
        return due

    def _dispatch_soon(self) -> None:
        """Dispatch once the jobs that ask together (a restart resumes them all) have asked,
        so the most urgent of them goes first rather than the first to ask."""
        if not self._dispatching:
            self._dispatching = True
            asyncio.get_running_loop().call_soon(self._dispatch)

    def _dispatch(self) -> None:
        """Move the polls that came due, start as many as allowed, time the next one."""
        self._dispatching = False
        now = self._clock()
        while self._waiting and (self._waiting[0][3].done() or self._waiting[0][0] <= now):
            _, push, entry, granted = heapq.heappop(self._waiting)
            if not granted.done():
                heapq.heappush(self._due, (entry.job.deadline_at, entry.order, push, granted))
        while self._due and self._running < self._concurrency:
            _, _, _, granted = heapq.heappop(self._due)
            if granted.done():  # its job stopped waiting
                continue
            self._running += 1
            granted.set_result(None)
        while self._due and self._due[0][3].done():
            heapq.heappop(self._due)
        if not self._waiting:
            self._alarm.cancel()
        elif not self._due:  # else the next poll to end hands out the next turn
            self._alarm.set(self._waiting[0][0], now)
