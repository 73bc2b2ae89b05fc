"""The start queue on virtual time: round robin by user, first come within a user, and each
waiting job's place in line, told at a pace."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field

import pytest

from bot.scheduler.starts import Place, StartQueue
from providers.ratelimit import RateBudget
from tests.virtual_time import VirtualTime

T0 = 1000.0


@dataclass
class Starts:
    """Jobs starting generations through one queue in front of a generate budget."""

    vt: VirtualTime
    budget: RateBudget
    queue: StartQueue
    started: list[tuple[str, float]] = field(default_factory=list)
    notices: dict[str, list[tuple[float, Place]]] = field(default_factory=dict)
    tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    def order(self, job_id: str, user_id: int) -> asyncio.Task[None]:
        notices = self.notices.setdefault(job_id, [])

        async def told(place: Place) -> None:
            notices.append((self.vt.now, place))

        async def job() -> None:
            async with (
                self.queue.turn(job_id, user_id, told),
                self.budget.ticket("generate").slot() as slot,
            ):
                self.started.append((job_id, self.vt.now))
                await self.vt.sleep(0.1)  # the provider takes the start
                slot.answered(201, {})

        task = self.tasks[job_id] = asyncio.create_task(job())
        return task

    def start_order(self) -> list[str]:
        return [job_id for job_id, _ in self.started]

    async def run(self, count: int, limit: float = 10_000) -> None:
        await self.vt.run_until(lambda: len(self.started) == count, limit)


def starts(generate: int = 1, window: float = 10.0, notice_every: float = 5.0) -> Starts:
    vt = VirtualTime(start=T0)
    budget = RateBudget({"generate": generate}, window, margin=0, clock=vt.clock, sleep=vt.sleep)
    queue = StartQueue(
        budget,
        notice_every=notice_every,
        notices_per_second=math.inf,  # the pace of the whole line has a test of its own
        clock=vt.clock,
        sleep=vt.sleep,
    )
    return Starts(vt, budget, queue)


async def test_jobs_start_in_turns_by_user_and_in_order_within_a_user() -> None:
    s = starts()
    for n in range(1, 6):
        s.order(f"ann-{n}", 1)
    await s.vt.settle()
    s.order("bob-1", 2)
    s.order("bob-2", 2)
    s.order("cid-1", 3)
    await s.run(8)
    assert s.start_order() == [
        "ann-1",  # ann-1 and ann-2 got past the queue before anyone else came
        "ann-2",
        "bob-1",  # then the users who had no turn yet, in the order they came
        "cid-1",
        "ann-3",
        "bob-2",
        "ann-4",
        "ann-5",
    ]
    # One start a window, as the budget allows.
    assert [at for _, at in s.started] == pytest.approx([T0 + n * 10.1 for n in range(8)])


async def test_a_waiting_job_knows_its_place_and_about_when_it_starts() -> None:
    s = starts()
    for job_id, user in [("a1", 1), ("a2", 1), ("a3", 1), ("a4", 1), ("b1", 2)]:
        s.order(job_id, user)
    await s.vt.settle()
    # a1 is starting and a2 waits for the budget: both past the queue. b1 goes before a3.
    assert s.queue.place("a1") is None and s.queue.place("a2") is None
    # Slots free every 10 s from the first (a1, in flight, is taken as answered now).
    assert s.queue.place("b1") == Place(1, 20.0)
    assert s.queue.place("a3") == Place(2, 30.0)
    assert s.queue.place("a4") == Place(3, 40.0)


async def test_a_wait_is_told_at_once_then_as_the_place_changes_at_most_every_few_seconds() -> (
    None
):
    s = starts(generate=5, window=10.0, notice_every=5.0)
    for n in range(1, 9):
        s.order(f"ann-{n}", 1)
    await s.run(8)
    # The budget had room for five: those were never told anything, though all but two
    # waited a moment in the queue.
    assert all(s.notices[f"ann-{n}"] == [] for n in range(1, 6))
    # ann-8 was sixth in line at first and first when next told, five seconds later.
    assert [(at - T0, place.position) for at, place in s.notices["ann-8"]] == [(0, 6), (5, 1)]
    assert s.notices["ann-8"][0][1].wait_seconds == pytest.approx(10.0)


async def test_the_place_is_told_again_when_it_moves() -> None:
    s = starts(generate=1, window=10.0, notice_every=5.0)
    for n in range(1, 6):
        s.order(f"ann-{n}", 1)
    await s.run(5)
    assert [(at - T0, place.position) for at, place in s.notices["ann-5"]] == [
        (0, 3),
        (5, 2),
        (15, 1),
    ]


async def test_a_job_that_leaves_the_line_lets_the_others_move_up() -> None:
    s = starts()
    for job_id, user in [("a1", 1), ("a2", 1), ("b1", 2), ("c1", 3), ("b2", 2)]:
        s.order(job_id, user)
    await s.vt.settle()
    s.tasks["b1"].cancel()
    s.tasks["c1"].cancel()
    await s.vt.settle()
    assert s.queue.place("b2") == Place(1, 20.0)
    await s.run(3)
    assert s.start_order() == ["a1", "a2", "b2"]


async def test_a_job_waiting_without_a_listener_can_leave_too() -> None:
    s = starts()

    async def start_a3() -> None:
        async with s.queue.turn("a3", 1):
            raise AssertionError("a3 left the line before its turn")

    async with s.queue.turn("a1", 1), s.queue.turn("a2", 1):
        waiting = asyncio.create_task(start_a3())
        await s.vt.settle()
        waiting.cancel()
        await s.vt.settle()
    assert waiting.cancelled() and s.queue.place("a3") is None
    s.order("b1", 2)
    await s.run(1)
    assert s.start_order() == ["b1"]


async def test_a_job_starts_at_once_while_the_budget_has_room() -> None:
    s = starts(generate=10)
    s.order("only", 1)
    await s.run(1)
    assert s.started == [("only", T0)] and s.notices["only"] == []


async def test_one_job_waits_for_one_turn_at_a_time() -> None:
    s = starts()
    s.order("a1", 1)
    s.order("a2", 1)
    s.order("a3", 1)
    await s.vt.settle()
    with pytest.raises(RuntimeError):
        async with s.queue.turn("a3", 1):
            pass
    await s.run(3)


async def test_with_many_waiting_the_whole_line_is_told_at_a_steady_pace() -> None:
    vt = VirtualTime(start=T0)
    budget = RateBudget({"generate": 1}, 10.0, margin=0, clock=vt.clock, sleep=vt.sleep)
    queue = StartQueue(
        budget, notice_every=5.0, notices_per_second=2.0, clock=vt.clock, sleep=vt.sleep
    )
    s = Starts(vt, budget, queue)
    for n in range(40):
        s.order(f"job-{n}", n)  # forty users, one job each
    await s.run(40)
    later = sorted(at for told in s.notices.values() for at, _ in told if at > T0)
    # Each waiting job is told at once; after that, about two notices a second in all
    # (forty jobs each told every five seconds as they move up would be eight).
    for start in range(0, 400, 10):
        assert sum(T0 + start <= at < T0 + start + 10 for at in later) <= 2 * 10 + 2
    # Still, every job that waited a while heard its place move, until it was next or so.
    for n in range(4, 40):
        positions = [place.position for _, place in s.notices[f"job-{n}"]]
        assert len(positions) >= 2 and positions[-1] <= 2


async def test_a_listener_that_fails_takes_its_job_out_of_the_line() -> None:
    s = starts()

    async def failing(place: Place) -> None:
        raise RuntimeError("the status message could not be written")

    async def start_a3() -> None:
        async with s.queue.turn("a3", 1, failing):
            raise AssertionError("a3 started although its listener failed")

    s.order("a1", 1)
    s.order("a2", 1)
    await s.vt.settle()
    with pytest.raises(RuntimeError, match="status message"):
        await start_a3()
    assert s.queue.place("a3") is None
    s.order("b1", 2)
    s.order("c1", 3)
    await s.run(4)
    assert s.start_order() == ["a1", "a2", "b1", "c1"]
