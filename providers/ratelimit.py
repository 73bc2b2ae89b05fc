"""The per-key request budget: wait in line for a slot instead of collecting 429s.

A provider limits each API key over a sliding window: ZenCreator allows 60 reads (every
GET), 10 generation starts and 30 uploads a minute. Every client that uses one key shares
one `RateBudget`. Each request takes a `Ticket` (its place in its bucket's line, kept
across retries) and, for each attempt, a `Slot`, which it settles with the answer:

    ticket = budget.ticket("read", Priority.POLL)
    async with ticket.slot() as slot:
        response = await send()
        slot.answered(response.status_code, response.headers)

How the budget keeps the provider from ever counting more than its limit:

* A slot is busy from the moment it is taken, and once answered it stays busy for one
  window (plus a margin) *from the answer*. The server counted the request somewhere
  between sending and answering, so the client's window never frees a slot before the
  server's does, however long the request took.
* A 429 means the server refused the attempt without counting it: its slot is free again
  at once, and the whole bucket waits the `Retry-After` the server asked for. Every 429 is
  counted (`refused`) and logged.
* An attempt that got no answer (a timeout, a dropped connection, a cancelled task) may
  have been counted, so it is treated as answered when it ended.
* `X-RateLimit-Remaining` below what the budget expects means someone else spends the same
  key: the difference is booked as requests made just now, which slows this process down
  until they leave the window.
* Waiting requests are served by priority (fetching a finished result or downloading it
  before anything else, status polls last), first come first served within a priority.

The `limits` library, used for `SlidingWindow` below, counts a hit when it is taken, with
the wall clock, and cannot take a refused hit back, so the budget keeps its own window.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import IntEnum
from types import MappingProxyType
from typing import Final, Literal, cast, get_args

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from providers.errors import parse_retry_after

log = logging.getLogger(__name__)

Bucket = Literal["read", "generate", "upload"]
Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

BUCKETS: Final[tuple[Bucket, ...]] = get_args(Bucket)
DEFAULT_LIMITS: Final[Mapping[Bucket, int]] = MappingProxyType(
    {"read": 60, "generate": 10, "upload": 30}
)
DEFAULT_WINDOW: Final = 60.0
"""Seconds; the document's 'per minute'."""
DEFAULT_MARGIN_FRACTION: Final = 0.02
"""A slot stays busy this much of a window longer than the window: room for a server that
rounds its timestamps or a clock that runs a little fast."""


class Priority(IntEnum):
    """Order of service among the requests waiting in one bucket; lower goes first."""

    FETCH = 0
    """The result of a finished generation and the download of its outputs."""
    NORMAL = 1
    """Everything else: starts, uploads, balance and catalog reads."""
    POLL = 2
    """Status polls of running generations."""


def parse_limits(text: str) -> dict[Bucket, int]:
    """`read=60,generate=10,upload=30` (any of them) as a mapping; ValueError if malformed."""
    limits: dict[Bucket, int] = {}
    for part in text.split(","):
        name, _, amount = part.strip().partition("=")
        name, amount = name.strip(), amount.strip()
        if name not in BUCKETS or not amount.isdecimal() or int(amount) < 1:
            raise ValueError(
                "must be comma-separated bucket=count pairs, with buckets read, generate and"
                " upload and counts of at least 1, like read=60,generate=10,upload=30"
            )
        if name in limits:
            raise ValueError(f"names the {name} bucket twice")
        limits[name] = int(amount)
    return limits


class Alarm:
    """A wake-up at the earliest of the times asked for: `ring` runs then, once, unless the
    alarm is cancelled first."""

    def __init__(self, ring: Callable[[], None], sleep: Sleep, name: str) -> None:
        self._ring = ring
        self._sleep = sleep
        self._name = name
        self._task: asyncio.Task[None] | None = None
        self._at = math.inf

    def set(self, at: float, now: float) -> None:
        """Ring at `at` (on the clock that reads `now`), unless set to ring earlier."""
        if self._task is not None and self._at <= at:
            return
        self.cancel()
        self._at = at
        self._task = asyncio.create_task(self._wait(max(at - now, 0.0)), name=self._name)

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self._task, self._at = None, math.inf

    async def _wait(self, delay: float) -> None:
        await self._sleep(delay)
        self._task, self._at = None, math.inf
        self._ring()


@dataclass(order=True)
class _Waiter:
    priority: int
    order: int
    granted: asyncio.Future[None] = field(compare=False)


class _Line:
    """One bucket of one key: its window, the requests in flight, and the line of waiters."""

    def __init__(
        self,
        name: str,
        limit: int,
        window: float,
        margin: float,
        clock: Clock,
        sleep: Sleep,
    ) -> None:
        self.name = name
        self.limit = limit
        self.window = window
        self._hold = window + margin
        self._clock = clock
        self._stamps: deque[float] = deque()
        """When each request still in the window was answered (or booked), oldest first."""
        self._in_flight = 0
        self._blocked_until = -math.inf
        self._waiters: list[_Waiter] = []
        self._arrivals = itertools.count()
        self._alarm = Alarm(self._dispatch, sleep, f"budget-{name}")
        self.refused = 0

    def arrival(self) -> int:
        return next(self._arrivals)

    async def take(self, priority: Priority, order: int) -> None:
        """Wait for a slot; the caller then holds it until it calls `answered` or `lost`."""
        now = self._clock()
        if not self._waiters and now >= self._blocked_until and self._free(now) > 0:
            self._in_flight += 1
            return
        waiter = _Waiter(priority, order, asyncio.get_running_loop().create_future())
        heapq.heappush(self._waiters, waiter)
        self._dispatch()
        try:
            await waiter.granted
        except asyncio.CancelledError:
            if waiter.granted.done() and not waiter.granted.cancelled():
                self._in_flight -= 1  # granted as it was cancelled: the slot goes back
            self._dispatch()
            raise

    def answered(self, status: int, headers: Mapping[str, str]) -> None:
        now = self._clock()
        self._in_flight -= 1
        if status == 429:
            self.refused += 1
            wait = parse_retry_after(headers)
            if wait is None:
                wait = self.window / self.limit
            self._blocked_until = max(self._blocked_until, now + wait)
            log.warning(
                "%s: the provider refused a request with 429 (%d so far); the bucket waits %.2fs",
                self.name,
                self.refused,
                wait,
            )
        else:
            self._stamps.append(now)
            self._book_others(now, headers)
        self._dispatch()

    def lost(self) -> None:
        """The attempt ended without an answer; the server may have counted it."""
        self._in_flight -= 1
        self._stamps.append(self._clock())
        self._dispatch()

    def wait_estimate(self, ahead: int) -> float:
        """Seconds until a request with `ahead` requests before it, after those already in
        line, would get its slot, if nobody else asks meanwhile."""
        now = self._clock()
        self._expire(now)
        position = sum(not w.granted.done() for w in self._waiters) + ahead
        start = max(now, self._blocked_until)
        busy = sorted([stamp + self._hold for stamp in self._stamps])
        busy += [now + self._hold] * self._in_flight  # they will be answered about now
        excess = max(len(busy) - self.limit, 0)
        free = max(self.limit - len(busy), 0)
        frees = [start] * free + [max(at, start) for at in busy[excess:]]
        cycle, index = divmod(position, self.limit)
        return frees[index] + cycle * self._hold - now

    def _book_others(self, now: float, headers: Mapping[str, str]) -> None:
        """Book as just made what the server counted beyond this process's requests."""
        remaining = _int_header(headers, "x-ratelimit-remaining")
        if remaining is None:
            return
        expected = self._free(now)
        if remaining < expected:
            self._stamps.extend([now] * (expected - remaining))
            log.info(
                "%s: the provider has %d requests left where %d were expected; another"
                " program may share the key, so this one slows down",
                self.name,
                remaining,
                expected,
            )

    def _expire(self, now: float) -> None:
        while self._stamps and self._stamps[0] + self._hold <= now:
            self._stamps.popleft()

    def _free(self, now: float) -> int:
        self._expire(now)
        return self.limit - len(self._stamps) - self._in_flight

    def _dispatch(self) -> None:
        """Hand free slots to the waiters in order; set the timer for the next free one."""
        now = self._clock()
        while self._waiters:
            head = self._waiters[0]
            if head.granted.done():  # cancelled while waiting
                heapq.heappop(self._waiters)
                continue
            if now < self._blocked_until or self._free(now) <= 0:
                break
            heapq.heappop(self._waiters)
            self._in_flight += 1
            head.granted.set_result(None)
        if not self._waiters:
            self._alarm.cancel()
            return
        at = self._blocked_until
        free = self._free(now)
        if free <= 0:
            if -free >= len(self._stamps):
                return  # only an answer to a request in flight frees a slot now
            at = max(at, self._stamps[-free] + self._hold)
        self._alarm.set(at, now)


class Slot:
    """One attempt's claim on a bucket; settle it with the answer, once."""

    def __init__(self, line: _Line) -> None:
        self._line = line
        self._settled = False

    def answered(self, status: int, headers: Mapping[str, str]) -> None:
        """The server answered with `status`: a 429 frees the slot, anything else was counted."""
        if not self._settled:
            self._settled = True
            self._line.answered(status, headers)

    def _lost(self) -> None:
        if not self._settled:
            self._settled = True
            self._line.lost()


class Ticket:
    """One request's place in its bucket's line, kept across its retries."""

    def __init__(self, line: _Line, priority: Priority) -> None:
        self._line = line
        self.priority = priority
        self._order = line.arrival()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[Slot]:
        """Wait for a slot for one attempt; one left unanswered counts as sent when it ends."""
        await self._line.take(self.priority, self._order)
        slot = Slot(self._line)
        try:
            yield slot
        finally:
            slot._lost()


class RateBudget:
    """Sliding-window budgets per bucket for one API key, shared by all its clients."""

    def __init__(
        self,
        limits: Mapping[Bucket, int] | None = None,
        window: float = DEFAULT_WINDOW,
        *,
        margin: float | None = None,
        name: str = "provider",
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """`limits` overrides some or all of `DEFAULT_LIMITS` per `window` seconds; `margin`
        (seconds; default `DEFAULT_MARGIN_FRACTION` of the window) is how much longer than
        the window an answered request keeps its slot. `name` labels log lines."""
        merged = {**DEFAULT_LIMITS, **(limits or {})}
        unknown = set(merged) - set(BUCKETS)
        if unknown:
            raise ValueError(f"unknown rate-limit buckets: {sorted(unknown)}")
        if window <= 0 or min(merged.values()) < 1:
            raise ValueError("rate limits need a positive window and at least 1 per window")
        self._limits: Mapping[Bucket, int] = MappingProxyType(merged)
        self._window = float(window)
        self._margin = self._window * DEFAULT_MARGIN_FRACTION if margin is None else margin
        if self._margin < 0:
            raise ValueError("the margin cannot be negative")
        self._name = name
        self._lines = {
            bucket: _Line(f"{name} {bucket}", amount, self._window, self._margin, clock, sleep)
            for bucket, amount in merged.items()
        }

    @property
    def limits(self) -> Mapping[Bucket, int]:
        return self._limits

    @property
    def window(self) -> float:
        return self._window

    @property
    def margin(self) -> float:
        return self._margin

    @property
    def refused(self) -> Mapping[Bucket, int]:
        """How many attempts of each bucket the provider refused with 429."""
        return MappingProxyType({bucket: line.refused for bucket, line in self._lines.items()})

    def ticket(self, bucket: Bucket, priority: Priority = Priority.NORMAL) -> Ticket:
        """A place in `bucket`'s line for one request (and its retries)."""
        return Ticket(self._lines[bucket], priority)

    def wait_estimate(self, bucket: Bucket, ahead: int = 0) -> float:
        """Seconds until a request with `ahead` more requests before it than are waiting
        now would be sent, if nothing else comes: what a queue in front of the budget tells
        its waiters."""
        return self._lines[bucket].wait_estimate(ahead)

    def __repr__(self) -> str:
        limits = ", ".join(f"{bucket}={amount}" for bucket, amount in self._limits.items())
        return f"RateBudget({self._name}: {limits} per {self._window:g}s)"


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = next((v for k, v in headers.items() if k.lower() == name), None)
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


# --- Pacing without answers (broadcasts)

# The moving window frees a slot only once its oldest entry is strictly older than the
# window; waking a hair later avoids one wasted round trip through the limiter.
_MARGIN = 0.001


class _Window(RateLimitItemPerSecond):
    """`amount` per `seconds`, where `seconds` may be fractional (tests use milliseconds).

    `limits` counts windows in whole granularity units, but its memory storage does plain
    float arithmetic on the expiry, so a fractional one works as expected.
    """

    __slots__ = ("seconds",)

    def __init__(self, amount: int, seconds: float, namespace: str) -> None:
        super().__init__(amount, 1, namespace)
        self.seconds = seconds

    def get_expiry(self) -> int:
        return cast(int, self.seconds)


class SlidingWindow:
    """At most `amount` acquisitions in any `seconds`-long moving window, counted when taken.

    For pacing this process's own sends, where no server answer says what was counted.
    """

    def __init__(
        self, amount: int, seconds: float, *, name: str = "window", sleep: Sleep = asyncio.sleep
    ) -> None:
        if seconds <= 0 or amount < 1:
            raise ValueError("rate limits need a positive window and at least 1 per window")
        self._item = _Window(amount, float(seconds), namespace="castbot-budget")
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._name = name
        self._sleep = sleep

    async def acquire(self) -> None:
        """Take one slot, waiting as long as it takes; never raises."""
        while not await self._limiter.hit(self._item, self._name):
            stats = await self._limiter.get_window_stats(self._item, self._name)
            # reset_time is when the oldest entry leaves the window; limits measures with
            # time.time(), so this must too.
            delay = max(stats.reset_time - time.time(), 0.0) + _MARGIN
            log.debug("rate limit %r full; waiting %.3fs", self._name, delay)
            await self._sleep(delay)
