"""The per-key request budget: wait for a free slot instead of collecting 429s.

ZenCreator limits each API key over a 60-second sliding window: 60 reads (every GET),
10 generation starts and 30 uploads a minute. Every client that uses one key shares one
`RateBudget`, which asks `acquire(bucket)` before each request (and each retry), so a busy
bot slows down to the provider's pace rather than bursting into its limits.

The budget counts what this process sends. Another process on the same key, or a clock
that disagrees with the server's, can still earn a 429 now and then; the client retries
those after `Retry-After`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType
from typing import Final, Literal, cast, get_args

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)

Bucket = Literal["read", "generate", "upload"]
Sleep = Callable[[float], Awaitable[None]]

BUCKETS: Final[tuple[Bucket, ...]] = get_args(Bucket)
DEFAULT_LIMITS: Final[Mapping[Bucket, int]] = MappingProxyType(
    {"read": 60, "generate": 10, "upload": 30}
)
DEFAULT_WINDOW: Final = 60.0
"""Seconds; the document's 'per minute'."""

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
    """At most `amount` acquisitions in any `seconds`-long moving window."""

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


class RateBudget:
    """Sliding-window budgets per bucket for one API key, shared by all its clients."""

    def __init__(
        self,
        limits: Mapping[Bucket, int] | None = None,
        window: float = DEFAULT_WINDOW,
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """`limits` overrides some or all of `DEFAULT_LIMITS`; `window` is in seconds."""
        merged = {**DEFAULT_LIMITS, **(limits or {})}
        unknown = set(merged) - set(BUCKETS)
        if unknown:
            raise ValueError(f"unknown rate-limit buckets: {sorted(unknown)}")
        self._limits: Mapping[Bucket, int] = MappingProxyType(merged)
        self._window = float(window)
        self._windows = {
            bucket: SlidingWindow(amount, self._window, name=bucket, sleep=sleep)
            for bucket, amount in merged.items()
        }

    @property
    def limits(self) -> Mapping[Bucket, int]:
        return self._limits

    @property
    def window(self) -> float:
        return self._window

    async def acquire(self, bucket: Bucket) -> None:
        """Take one slot of `bucket`, waiting as long as it takes; never raises."""
        await self._windows[bucket].acquire()

    def __repr__(self) -> str:
        limits = ", ".join(f"{bucket}={amount}" for bucket, amount in self._limits.items())
        return f"RateBudget({limits} per {self._window:g}s)"
