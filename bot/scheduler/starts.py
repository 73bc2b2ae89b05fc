"""The queue in front of a key's generate budget: fair across users, with a place in line.

Starting a generation spends the key's scarcest bucket (ZenCreator: 10 a minute). When it
is spent, jobs wait here, and they start in turns by user: the next turn goes to the
waiting user whose last turn is longest ago (one who never had one first), so one user's
ten jobs do not hold up everyone else, and each user's own jobs start in the order they
came. At most `concurrency` jobs at a time are past the queue (waiting for a slot of the
budget or being started), so the order is decided here and not by whoever reached the
budget first.

A waiting job knows its place in line and about how long until it starts
(`StartQueue.place`), and its `on_place` callback hears when that place changes: at once
when it has to wait, then not more often than every `notice_every` seconds, and with many
waiting, less often still: about `notices_per_second` notices a second across the whole
line, so whoever shows them to the users does not flood Telegram.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Final

from providers.ratelimit import Bucket, Clock, RateBudget, Sleep

DEFAULT_CONCURRENCY: Final = 2
DEFAULT_NOTICE_EVERY: Final = 5.0
DEFAULT_NOTICES_PER_SECOND: Final = 5.0


@dataclass(frozen=True)
class Place:
    """Where a waiting job stands."""

    position: int
    """1: it starts next."""
    wait_seconds: float
    """About how long until it starts, if nobody else comes."""


PlaceListener = Callable[[Place], Awaitable[None]]


@dataclass
class _Waiter:
    job_id: str
    user_id: int
    granted: asyncio.Future[None] = field(repr=False)


@dataclass
class _User:
    arrived: int
    """When the user first asked (among users the queue knows): breaks ties."""
    served: int = -1
    """The number of its last turn; -1: none yet."""
    running: int = 0
    """Its jobs past the queue."""
    line: deque[_Waiter] = field(default_factory=deque)
    """Its waiting jobs, in the order they came."""


class StartQueue:
    """Turns to start generations at one provider key, round robin by user."""

    def __init__(
        self,
        budget: RateBudget,
        *,
        bucket: Bucket = "generate",
        concurrency: int = DEFAULT_CONCURRENCY,
        notice_every: float = DEFAULT_NOTICE_EVERY,
        notices_per_second: float = DEFAULT_NOTICES_PER_SECOND,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if concurrency < 1 or notice_every <= 0 or notices_per_second <= 0:
            raise ValueError("a start queue needs one start at a time and a positive pace")
        self._budget = budget
        self._bucket: Bucket = bucket
        self._concurrency = concurrency
        self._notice_every = notice_every
        self._notices_per_second = notices_per_second
        self._next_notice = -math.inf
        self._clock = clock
        self._sleep = sleep
        self._running = 0
        self._users: dict[int, _User] = {}
        """Users with jobs waiting or past the queue."""
        self._waiters: dict[str, _Waiter] = {}
        self._positions: dict[str, int] | None = None
        self._numbers = itertools.count()

    @asynccontextmanager
    async def turn(
        self, job_id: str, user_id: int, on_place: PlaceListener | None = None
    ) -> AsyncIterator[None]:
        """Wait for the job's turn; start the generation inside the block.

        `on_place` hears the job's place while it waits (see the module's docstring).
        """
        await self._wait_for_turn(job_id, user_id, on_place)
        try:
            yield
        finally:
            self._running -= 1
            self._users[user_id].running -= 1
            self._forget_if_idle(user_id)
            self._dispatch()

    def place(self, job_id: str) -> Place | None:
        """Where a waiting job stands; None once it is not waiting (any more)."""
        if self._positions is None:
            self._positions = {waiter.job_id: n for n, waiter in enumerate(self._order(), 1)}
        position = self._positions.get(job_id)
        if position is None:
            return None
        return Place(position, self._budget.wait_estimate(self._bucket, ahead=position - 1))

    async def _wait_for_turn(
        self, job_id: str, user_id: int, on_place: PlaceListener | None
    ) -> None:
        if job_id in self._waiters:
            raise RuntimeError(f"job {job_id} is already waiting for its turn")
        user = self._users.get(user_id)
        if user is None:
            user = self._users[user_id] = _User(arrived=next(self._numbers))
        if not self._waiters and self._running < self._concurrency:
            self._admit(user)
            return
        waiter = _Waiter(job_id, user_id, asyncio.get_running_loop().create_future())
        user.line.append(waiter)
        self._waiters[job_id] = waiter
        self._positions = None
        self._dispatch()
        try:
            await self._wait(waiter, on_place)
        except BaseException:
            # Cancelled, or `on_place` raised: either way the job leaves the line.
            if waiter.granted.done() and not waiter.granted.cancelled():
                self._running -= 1  # its turn came as it was cancelled
                user.running -= 1
            elif self._waiters.pop(job_id, None) is not None:
                user.line.remove(waiter)
                self._positions = None
            self._forget_if_idle(user_id)
            self._dispatch()
            raise

    async def _wait(self, waiter: _Waiter, on_place: PlaceListener | None) -> None:
        """Wait for the turn, telling `on_place` where the job stands as it moves."""
        if on_place is None:
            await waiter.granted
            return
        told: int | None = None
        quiet_until = -math.inf
        booked: float | None = None
        """When this job's next notice may go, once it has one to give."""
        while not waiter.granted.done():
            place = self.place(waiter.job_id)
            now = self._clock()
            if (
                booked is None
                and place is not None
                and place.position != told
                and now >= quiet_until
                and (told is not None or place.wait_seconds > 0)
            ):
                booked = self._book_notice(now, at_once=told is None)
            if booked is not None and now >= booked and place is not None:
                await on_place(place)
                told, quiet_until, booked = place.position, now + self._notice_every, None
                continue
            wake_at = booked if booked is not None else max(quiet_until, now + self._notice_every)
            pause = asyncio.ensure_future(self._sleep(wake_at - now))
            try:
                await asyncio.wait({waiter.granted, pause}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                pause.cancel()
        await waiter.granted

    def _book_notice(self, now: float, *, at_once: bool) -> float:
        """The time of the next notice of the line: the first of a job goes at once, later
        ones take the next free turn of `notices_per_second`."""
        at = now if at_once else max(now, self._next_notice)
        self._next_notice = max(self._next_notice, at) + 1 / self._notices_per_second
        return at

    def _order(self) -> list[_Waiter]:
        """The waiting jobs in the order they will start: round after round, each user with
        jobs left gets one, longest-unserved user first."""
        lines = [list(user.line) for user in self._next_users()]
        order: list[_Waiter] = []
        for round_ in range(max((len(line) for line in lines), default=0)):
            order += [line[round_] for line in lines if len(line) > round_]
        return order

    def _next_users(self) -> list[_User]:
        waiting = [user for user in self._users.values() if user.line]
        return sorted(waiting, key=lambda user: (user.served, user.arrived))

    def _admit(self, user: _User) -> None:
        user.served = next(self._numbers)
        user.running += 1
        self._running += 1

    def _forget_if_idle(self, user_id: int) -> None:
        user = self._users[user_id]
        if not user.running and not user.line:
            del self._users[user_id]

    def _dispatch(self) -> None:
        while self._waiters and self._running < self._concurrency:
            user = self._next_users()[0]
            waiter = user.line.popleft()
            del self._waiters[waiter.job_id]
            self._positions = None
            if waiter.granted.done():  # cancelled, and its task has not noticed yet
                continue
            self._admit(user)
            waiter.granted.set_result(None)
