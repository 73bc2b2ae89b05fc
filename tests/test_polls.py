"""The poll scheduler on virtual time: when each job is polled, in which order, within the
read budget, and that no job times out without a poll at its deadline."""

from __future__ import annotations

import asyncio
import random

import pytest

from bot.scheduler.expectations import Expectations
from bot.scheduler.polls import PolledJob, PollScheduler
from providers.ratelimit import RateBudget
from tests.scheduling import MemoryStore, Provider, Seen, drive
from tests.virtual_time import VirtualTime

T0 = 1000.0


class Setup:
    """A scheduler, its learned durations and a provider behind one read budget."""

    def __init__(
        self,
        *,
        floor: float = 5.0,
        reads: int = 60,
        window: float = 60.0,
        learned: dict[str, float] | None = None,
    ) -> None:
        self.vt = VirtualTime(start=T0)
        self.store = MemoryStore()
        self.expectations = Expectations("zencreator", self.store)
        self.learned = learned or {}
        self.budget = RateBudget(
            {"read": reads}, window, margin=0, clock=self.vt.clock, sleep=self.vt.sleep
        )
        self.provider = Provider(self.vt, self.budget)
        self.scheduler = PollScheduler(
            self.expectations, floor=floor, clock=self.vt.clock, sleep=self.vt.sleep
        )
        self.seen = Seen()
        self.tasks: list[asyncio.Task[None]] = []

    async def learn(self) -> None:
        for tool, seconds in self.learned.items():
            await self.expectations.learn(tool, "", seconds)

    def submit(
        self,
        job_id: str,
        tool: str,
        *,
        ends_in: float,
        deadline_in: float = 900.0,
        submitted_at: float | None = None,
    ) -> PolledJob:
        submitted = self.vt.now if submitted_at is None else submitted_at
        job = PolledJob(job_id, tool, "", submitted, submitted + deadline_in)
        self.provider.ends_at[job_id] = submitted + ends_in
        self.tasks.append(
            asyncio.create_task(drive(self.scheduler, self.provider, job, self.seen))
        )
        return job

    async def run(self, count: int, limit: float = 100_000) -> None:
        await self.vt.run_until(lambda: self.seen.ended == count, limit)
        await asyncio.gather(*self.tasks)
        await self.scheduler.aclose()


async def test_a_job_is_first_polled_when_it_is_expected_to_be_done() -> None:
    s = Setup(learned={"faceswap": 5.0, "videogen": 600.0})
    await s.learn()
    s.submit("swap", "faceswap", ends_in=4.8)
    s.submit("video", "videogen", ends_in=590.0)
    await s.run(2)
    assert s.provider.polls_of("swap") == [T0 + 5]
    assert s.provider.polls_of("video") == [T0 + 600]  # not every 5 s for ten minutes
    assert s.seen.done_at == {"swap": T0 + 5, "video": T0 + 600}


async def test_a_job_that_overruns_is_polled_less_often_the_longer_it_runs() -> None:
    s = Setup(learned={"videogen": 600.0})
    await s.learn()
    s.submit("video", "videogen", ends_in=700.0)
    await s.run(1)
    polls = [at - T0 for at in s.provider.polls_of("video")]
    assert polls == pytest.approx([600, 660, 726])  # a tenth of the time so far, each time


async def test_until_a_tool_has_finished_once_it_is_probed_at_doubling_intervals() -> None:
    s = Setup(floor=1.0)  # lipsync is guessed at 120 s, never seen
    s.submit("first", "lipsync", ends_in=50.0)
    await s.run(1)
    assert [at - T0 for at in s.provider.polls_of("first")] == [1, 2, 4, 8, 16, 32, 64]
    # Seen running at 32 s and done at 64 s: it took about 48 s, which the next one expects.
    assert s.expectations.of("lipsync").seconds == 48
    second = s.submit("second", "lipsync", ends_in=47.0)
    await s.run(2)
    assert s.provider.polls_of("second") == [second.submitted_at + 48]


async def test_probing_stops_at_the_starting_guess() -> None:
    s = Setup(floor=1.0)
    s.submit("slow", "faceswap", ends_in=40.0)  # guessed at 15 s
    await s.run(1)
    polls = [at - T0 for at in s.provider.polls_of("slow")]
    assert polls == pytest.approx([1, 2, 4, 8, 15, 16.5, 18.15, 19.965, 21.9615, 24.15765,
                                   26.573415, 29.2307565, 32.15383215, 35.369215365,
                                   38.9061369015, 42.79675059165])  # fmt: skip


async def test_the_floor_separates_two_polls_of_one_job() -> None:
    s = Setup(floor=5.0, learned={"faceswap": 0.5})
    await s.learn()
    s.submit("swap", "faceswap", ends_in=3.0)
    await s.run(1)
    assert [at - T0 for at in s.provider.polls_of("swap")] == [0.5, 5.5]


async def test_expectations_follow_what_is_seen() -> None:
    s = Setup(floor=0.5, learned={"faceswap": 2.0})
    await s.learn()
    # Done by the first poll: it may have been quicker, so the next is expected sooner.
    s.submit("quick", "faceswap", ends_in=1.0)
    await s.run(1)
    assert s.expectations.of("faceswap").seconds == pytest.approx(2.0 + 0.25 * (1.8 - 2.0))
    # Running at its first poll: the midpoint of the two polls is what it took.
    s.submit("slow", "faceswap", ends_in=2.2)
    await s.run(2)
    running, done = (at - s.provider.polls_of("slow")[0] for at in s.provider.polls_of("slow"))
    assert (running, done) == (0, 0.5)


async def test_a_job_is_polled_at_its_deadline_before_it_can_time_out() -> None:
    s = Setup(learned={"videogen": 600.0})
    await s.learn()
    s.submit("late", "videogen", ends_in=10_000.0, deadline_in=300.0)
    await s.run(1)
    assert s.provider.polls_of("late") == [T0 + 300]  # not at 600, when it was expected
    assert s.seen.timed_out_at == {"late": T0 + 300}


async def test_order_and_budget_under_fifty_jobs_on_a_scaled_window() -> None:
    # 50 face swaps submitted at once against 10 reads per 6 s: the polls are spread over
    # windows, each job is polled once (it is done when expected), earliest deadline first.
    s = Setup(floor=0.5, reads=10, window=6.0, learned={"faceswap": 1.0})
    await s.learn()
    deadlines = [60.0 + n for n in range(50)]
    random.Random(11).shuffle(deadlines)
    for n, deadline in enumerate(deadlines):
        s.submit(f"job-{n}", "faceswap", ends_in=0.9, deadline_in=deadline)
    await s.run(50)
    assert len(s.seen.done_at) == 50 and not s.seen.timed_out_at
    assert len(s.provider.polls) == 50  # no read wasted
    polled_deadlines = [deadlines[int(job_id.split("-")[1])] for job_id, _ in s.provider.polls]
    assert polled_deadlines == sorted(deadlines)
    times = [at for _, at in s.provider.polls]
    for first in range(len(times)):
        in_window = [at for at in times if times[first] <= at < times[first] + 6.0]
        assert len(in_window) <= 10
    assert times[-1] - times[0] < 5 * 6.0  # 50 reads take 5 windows, not more


async def test_a_backlog_after_a_restart_is_polled_oldest_deadline_first() -> None:
    # A restart finds 1,000 unfinished jobs of the last quarter hour; 60 reads a minute. The
    # provider finished most of them long ago (and charged for them); some run on.
    rng = random.Random(7)
    s = Setup(floor=5.0, learned={"faceswap": 10.0})
    await s.learn()
    jobs = []
    for n in range(1000):
        submitted = T0 - rng.uniform(0, 900)
        runs_for = rng.choice([8.0, 12.0, 30.0, 2000.0])
        jobs.append(s.submit(f"job-{n}", "faceswap", ends_in=runs_for, submitted_at=submitted))
    await s.run(1000)
    deadline_of = {job.id: job.deadline_at for job in jobs}
    first_polls: list[str] = []
    for job_id, _ in s.provider.polls:
        if job_id not in first_polls:
            first_polls.append(job_id)
    assert [deadline_of[j] for j in first_polls] == sorted(deadline_of.values())
    # A job is called timed out only on a poll at or after its deadline that found it
    # running; every job the provider finished before that poll is seen done.
    for job_id, at in s.seen.timed_out_at.items():
        assert at >= deadline_of[job_id] and s.provider.ends_at[job_id] > at
    assert len(s.seen.done_at) + len(s.seen.timed_out_at) == 1000
    assert all(s.provider.ends_at[job_id] <= at for job_id, at in s.seen.done_at.items())


async def test_a_job_that_stops_waiting_leaves_the_others_their_turns() -> None:
    s = Setup(floor=1.0, reads=1, window=10.0, learned={"faceswap": 1.0})
    await s.learn()
    s.submit("kept", "faceswap", ends_in=1.0)
    stopped = PolledJob("stopped", "faceswap", "", T0, T0 + 900)
    s.provider.ends_at["stopped"] = T0 + 1
    waiting = asyncio.create_task(s.scheduler.poll(stopped, lambda: s.provider.status("x")))
    await s.vt.settle()
    waiting.cancel()
    s.scheduler.forget("stopped")
    await s.run(1)
    assert [job_id for job_id, _ in s.provider.polls] == ["kept"]
    with pytest.raises(asyncio.CancelledError):
        await waiting


async def test_one_job_waits_for_one_poll_at_a_time() -> None:
    s = Setup()
    job = PolledJob("twice", "faceswap", "", T0, T0 + 900)
    s.provider.ends_at["twice"] = T0
    first = asyncio.create_task(s.scheduler.poll(job, lambda: s.provider.status("twice")))
    await s.vt.settle()
    with pytest.raises(RuntimeError):
        await s.scheduler.poll(job, lambda: s.provider.status("twice"))
    await s.vt.run_until(first.done, limit=100)
    assert (await first).status == "done"
