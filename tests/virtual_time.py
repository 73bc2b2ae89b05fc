"""A clock and a sleep that move only when the test moves them: no test waits for real time.

Code under test takes `clock=` and `sleep=` arguments; pass `vt.clock` and `vt.sleep`. A
`sleep(delay)` parks its caller until the test advances the clock past its deadline, and
sleepers wake in deadline order, each with the clock set to its own deadline::

    vt = VirtualTime()
    budget = RateBudget({"read": 1}, window=10, clock=vt.clock, sleep=vt.sleep)
    ...
    await vt.advance(10)                      # everything due in the next 10 s happens
    await vt.run_until(lambda: done, limit=60)  # or: jump from deadline to deadline

Between steps the helper lets every ready task run (`settle`); it is meant for code that
awaits only other tasks and this sleep, never real I/O.

`RecordingSleep` is the other stand-in: a sleep that notes each delay and returns at once,
for code that only waits between retries (the provider clients).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable

SETTLE_ROUNDS = 50
"""Turns of the event loop that let chains of ready tasks finish before time moves."""


class VirtualTime:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(delay, 0.0), next(self._order), future))
        await future

    async def settle(self) -> None:
        """Let every task that can run, run, without moving the clock."""
        for _ in range(SETTLE_ROUNDS):
            await asyncio.sleep(0)

    async def advance(self, seconds: float) -> None:
        """Move the clock `seconds` on, waking each sleeper due by then at its deadline."""
        target = self.now + seconds
        await self.settle()
        while (deadline := self._next_deadline()) is not None and deadline <= target:
            self._wake_next()
            await self.settle()
        self.now = max(self.now, target)
        await self.settle()

    async def run_until(self, predicate: Callable[[], bool], limit: float) -> None:
        """Jump from deadline to deadline until `predicate()` holds; AssertionError if it still
        does not after `limit` virtual seconds, or if nothing is left to wake."""
        end = self.now + limit
        await self.settle()
        while not predicate():
            deadline = self._next_deadline()
            if deadline is None or deadline > end:
                raise AssertionError(f"still false at {self.now:g} (limit {end:g}): {predicate}")
            self._wake_next()
            await self.settle()

    def _next_deadline(self) -> float | None:
        while self._sleepers and self._sleepers[0][2].done():  # a cancelled sleeper
            heapq.heappop(self._sleepers)
        return self._sleepers[0][0] if self._sleepers else None

    def _wake_next(self) -> None:
        deadline, _, future = heapq.heappop(self._sleepers)
        self.now = max(self.now, deadline)
        future.set_result(None)


class RecordingSleep:
    """Stands in for asyncio.sleep: records each delay and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
