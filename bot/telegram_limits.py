"""Telegram's flood limits, kept for every send and edit the bot makes.

Telegram answers 429 (RetryAfter) to a bot that sends more than about 30 messages a second
in all, more than about one a second to one private chat ("short bursts" are tolerated), or
more than 20 a minute to one group. Every Bot API call goes through `TelegramRateLimiter`
(PTB's rate-limiter hook on the bot), so every handler, the job engine and broadcasts share
one account of them:

- all chats together: `overall_rate` messages a second, evenly spaced;
- one private chat: a burst of CHAT_BURST, then `chat_rate` a second. A job's end is a status
  edit, the result and its file: three messages that should not trickle out a second apart;
- one group or channel: `group_rate_per_minute`, evenly spaced.

A request waits for its chat's turn first and then for the overall one, so a chat kept waiting
by its own limit never holds a place in the overall line. In the overall line, requests go by
`MessagePriority` (given as PTB's `rate_limit_args`), then in the order they came: when many
users are served at once, a job's results go before replies, and replies before the edits
that show how a job stands. A 429 that still comes (Telegram's limits are not published
exactly) is obeyed: the chat's next messages wait `retry_after`, and the refused request,
which Telegram did not take, is sent again.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from enum import IntEnum
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
JSONDict = dict[str, Any]

CHAT_BURST = 3
MAX_RETRIES = 3
"""429s obeyed for one request before the error reaches its caller."""
MAX_RETRY_AFTER = 60.0
"""A longer flood wait is not waited out inside a request: the caller hears of it."""
_CHAT_ID = re.compile(r"-?[0-9]+")
_PRUNE_ABOVE = 1024
"""Paces of idle chats are dropped once there are this many (an idle pace is a fresh one)."""


class MessagePriority(IntEnum):
    """Which messages go first when more wait than Telegram's overall limit lets through.

    Passed to bot methods as `rate_limit_args` (PTB drops a falsy one, so none is 0)."""

    RESULT = 1
    """What a user paid for: a job's results and its last word (a failure, a link)."""
    NORMAL = 2
    """Replies to what users do, and everything else."""
    STATUS = 3
    """Edits showing how a job stands: the next one supersedes them."""


class Pace:
    """At most `burst` at once, then one every `interval` seconds (the generic cell rate
    algorithm, i.e. a token bucket that hands out future slots).

    `reserve(now)` returns when a request arriving now may go, and books that slot, so
    requests that arrive in order leave in order.
    """

    def __init__(self, interval: float, burst: int = 1) -> None:
        self._interval = interval
        self._tolerance = (burst - 1) * interval
        self._next = -math.inf  # the theoretical arrival time of the next request

    def reserve(self, now: float) -> float:
        at = max(now, self._next - self._tolerance)
        self._next = max(self._next, at) + self._interval
        return at

    def pause_until(self, when: float) -> None:
        """Nothing goes before `when` (Telegram asked to wait)."""
        self._next = max(self._next, when + self._tolerance)

    def idle(self, now: float) -> bool:
        """Whether the pace is back to a full burst, i.e. no different from a new one."""
        return self._next <= now


class PriorityPace:
    """One request every `interval` seconds, the waiting ones served by priority (lower
    first), then in the order they came."""

    def __init__(self, interval: float, clock: Clock, sleep: Sleep) -> None:
        self._interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next = -math.inf
        """When the next request may go."""
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()
        self._server: asyncio.Task[None] | None = None

    async def turn(self, priority: int) -> None:
        """Wait for this request's turn."""
        now = self._clock()
        if not self._waiting and now >= self._next:
            self._next = now + self._interval
            return
        granted = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (priority, next(self._arrivals), granted))
        if self._server is None:
            self._server = asyncio.create_task(self._serve(), name="telegram-overall-pace")
        await granted  # a request cancelled once granted has spent its turn, as if sent

    def close(self) -> None:
        if self._server is not None:
            self._server.cancel()

    async def _serve(self) -> None:
        try:
            while self._waiting:
                now = self._clock()
                if now < self._next:
                    await self._sleep(self._next - now)
                    continue
                _, _, granted = heapq.heappop(self._waiting)
                if granted.done():  # its request was cancelled while waiting
                    continue
                granted.set_result(None)
                self._next = now + self._interval
        finally:
            self._server = None


def counts_as_message(endpoint: str) -> bool:
    """Whether Telegram counts the call against the flood limits: sends and edits do;
    answering a callback query, a chat action, getFile and the like do not."""
    if endpoint == "sendChatAction":
        return False
    return endpoint.startswith(("send", "edit", "copyMessage", "forwardMessage", "stopPoll"))


class TelegramRateLimiter(BaseRateLimiter[int]):
    def __init__(
        self,
        overall_rate: float = 30.0,
        chat_rate: float = 1.0,
        group_rate_per_minute: float = 20.0,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._overall = PriorityPace(1 / overall_rate, clock, sleep)
        self._chat_interval = 1 / chat_rate
        self._group_interval = 60 / group_rate_per_minute
        self._chats: dict[int | str, Pace] = {}
        self._clock = clock
        self._sleep = sleep

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        self._overall.close()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        counted = counts_as_message(endpoint)
        chat = _chat_key(data.get("chat_id"))
        priority = MessagePriority.NORMAL if rate_limit_args is None else rate_limit_args
        refusals = 0
        while True:
            if counted:
                await self._wait_turn(chat, priority)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as flood:
                wait = _seconds(flood.retry_after)
                refusals += 1
                if refusals > MAX_RETRIES or wait > MAX_RETRY_AFTER:
                    raise
                log.warning("Telegram asked to wait %.0fs before %s; waiting", wait, endpoint)
                if counted and chat is not None:
                    self._pace(chat).pause_until(self._clock() + wait)
                else:
                    await self._sleep(wait)

    async def _wait_turn(self, chat: int | str | None, priority: int) -> None:
        if chat is not None:
            await self._until(self._pace(chat).reserve(self._clock()))
        await self._overall.turn(priority)

    async def _until(self, at: float) -> None:
        delay = at - self._clock()
        if delay > 0:
            await self._sleep(delay)

    def _pace(self, chat_id: int | str) -> Pace:
        pace = self._chats.get(chat_id)
        if pace is None:
            if len(self._chats) >= _PRUNE_ABOVE:
                now = self._clock()
                self._chats = {
                    key: kept for key, kept in self._chats.items() if not kept.idle(now)
                }
            # Private chats have the user's (positive) id; groups and channels negative ids
            # or an @username.
            private = isinstance(chat_id, int) and chat_id > 0
            pace = Pace(self._chat_interval, CHAT_BURST) if private else Pace(self._group_interval)
            self._chats[chat_id] = pace
        return pace


def _chat_key(chat_id: object) -> int | str | None:
    """The chat a request is for: an id (given as a number or as its digits) or @username."""
    if isinstance(chat_id, int):
        return chat_id
    if isinstance(chat_id, str):
        return int(chat_id) if _CHAT_ID.fullmatch(chat_id) else chat_id
    return None


def _seconds(delay: int | timedelta) -> float:
    return delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
