"""Telegram's flood limits, on a virtual clock: overall, per private chat, per group, 429s."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot import texts
from bot.playground.emulator import BotApiEmulator
from bot.telegram_limits import (
    MAX_RETRIES,
    MessagePriority,
    Pace,
    TelegramRateLimiter,
    counts_as_message,
)
from tests.conftest import RunningBot


class VirtualTime:
    """A clock that moves only when every task under test sleeps, straight to the earliest
    wake-up: concurrent waits overlap as they would in real time, and take none of it."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + delay, next(self._order), woken))
        await woken

    async def run(self, *work: Awaitable[Any]) -> list[Any]:
        tasks = [asyncio.ensure_future(each) for each in work]
        while not all(task.done() for task in tasks):
            for _ in range(100):  # let every runnable task reach its next sleep or its end
                await asyncio.sleep(0)
            if all(task.done() for task in tasks):
                break
            if not self._sleepers:
                raise AssertionError("a task waits on something other than the virtual clock")
            wake_at, _, woken = heapq.heappop(self._sleepers)
            self.now = max(self.now, wake_at)
            woken.set_result(None)
        return [task.result() for task in tasks]


@pytest.fixture
def time() -> VirtualTime:
    return VirtualTime()


def limiter(time: VirtualTime, **rates: float) -> TelegramRateLimiter:
    return TelegramRateLimiter(**rates, clock=time.clock, sleep=time.sleep)


async def send(
    time: VirtualTime,
    limits: TelegramRateLimiter,
    chat_id: int | str,
    sent: list[tuple[float, int | str]],
    endpoint: str = "sendMessage",
) -> None:
    async def call() -> dict[str, Any]:
        sent.append((time.now, chat_id))
        return {}

    await limits.process_request(call, (), {}, endpoint, {"chat_id": chat_id}, None)


def test_a_pace_allows_its_burst_then_one_per_interval() -> None:
    pace = Pace(1.0, burst=3)
    assert [pace.reserve(0.0) for _ in range(6)] == [0.0, 0.0, 0.0, 1.0, 2.0, 3.0]
    assert pace.reserve(10.0) == 10.0  # idle long enough: the burst is back
    assert [pace.reserve(10.0) for _ in range(3)] == [10.0, 10.0, 11.0]
    pace.pause_until(20.0)
    assert pace.reserve(12.0) == 20.0
    assert not pace.idle(20.5) and pace.idle(25.0)


def test_sends_and_edits_count_answers_and_actions_do_not() -> None:
    for endpoint in ("sendMessage", "sendPhoto", "editMessageText", "sendInvoice", "copyMessage"):
        assert counts_as_message(endpoint)
    for endpoint in ("answerCallbackQuery", "sendChatAction", "getFile", "setMyCommands"):
        assert not counts_as_message(endpoint)


async def test_a_private_chat_gets_a_burst_of_three_then_one_a_second(time: VirtualTime) -> None:
    limits = limiter(time)
    sent: list[tuple[float, int | str]] = []
    await time.run(*(send(time, limits, 101, sent) for _ in range(6)))
    assert [at for at, _ in sent] == pytest.approx([0, 0.0333, 0.0667, 1, 2, 3], abs=1e-3)


async def test_a_group_gets_twenty_a_minute(time: VirtualTime) -> None:
    limits = limiter(time)
    sent: list[tuple[float, int | str]] = []
    await time.run(*(send(time, limits, -100123, sent) for _ in range(21)))
    assert sent[-1][0] == pytest.approx(60.0)
    assert sum(1 for at, _ in sent if at < 60.0) == 20
    await time.run(*(send(time, limits, "@somechannel", sent) for _ in range(2)))
    channel = [at for at, chat in sent if chat == "@somechannel"]
    assert channel == pytest.approx([60.0, 63.0], abs=0.05)


async def test_all_chats_together_get_the_overall_rate_and_it_is_a_setting(
    time: VirtualTime,
) -> None:
    for rate in (30.0, 100.0):
        limits = limiter(time, overall_rate=rate)
        sent: list[tuple[float, int | str]] = []
        start = time.now
        await time.run(*(send(time, limits, user, sent) for user in range(1, 301)))
        times = [at - start for at, _ in sent]
        assert len(times) == 300
        # At most `rate` in any second (less a hair, for the float sums of the spacing).
        per_second = (sum(1 for t in times if at <= t < at + 1 - 1e-9) for at in times)
        assert max(per_second) <= rate
        assert times[-1] == pytest.approx(299 / rate)


async def test_a_chat_waiting_for_its_own_turn_does_not_hold_up_others(time: VirtualTime) -> None:
    limits = limiter(time)
    sent: list[tuple[float, int | str]] = []
    busy = [send(time, limits, 101, sent) for _ in range(10)]
    others = [send(time, limits, user, sent) for user in range(201, 211)]
    await time.run(*busy, *others)
    # Chat 101 takes ~7 s for its ten; the ten other users are all served in its first second.
    assert max(at for at, chat in sent if chat != 101) < 1.0
    assert max(at for at, chat in sent if chat == 101) == pytest.approx(7.0, abs=0.1)


async def test_one_chats_messages_leave_in_the_order_they_were_sent(time: VirtualTime) -> None:
    limits = limiter(time)
    order: list[int] = []

    async def numbered(number: int) -> None:
        async def call() -> dict[str, Any]:
            order.append(number)
            return {}

        await limits.process_request(call, (), {}, "sendMessage", {"chat_id": 101}, None)

    await time.run(*(numbered(number) for number in range(8)))
    assert order == list(range(8))


async def test_a_429_is_obeyed_for_that_chat_and_the_message_sent_again(
    time: VirtualTime,
) -> None:
    limits = limiter(time)
    attempts: list[float] = []
    other: list[tuple[float, int | str]] = []

    async def refused_once() -> dict[str, Any]:
        attempts.append(time.now)
        if len(attempts) == 1:
            raise RetryAfter(5)
        return {"ok": True}

    async def flooded() -> Any:
        return await limits.process_request(
            refused_once, (), {}, "sendPhoto", {"chat_id": 101}, None
        )

    result, _ = await time.run(flooded(), send(time, limits, 202, other))
    assert result == {"ok": True}
    assert attempts == pytest.approx([0.0, 5.0])
    assert other[0][0] < 1.0  # another chat was not made to wait
    # The chat's next message waits too.
    later: list[tuple[float, int | str]] = []
    time.now = 1.0
    await time.run(send(time, limits, 101, later))
    assert later[0][0] >= 5.0


async def test_429s_beyond_the_retries_or_too_long_reach_the_caller(time: VirtualTime) -> None:
    limits = limiter(time)
    calls: list[float] = []

    async def always_refused(wait: int) -> dict[str, Any]:
        calls.append(time.now)
        raise RetryAfter(wait)

    with pytest.raises(RetryAfter):
        await time.run(
            limits.process_request(
                always_refused, (1,), {}, "answerCallbackQuery", {"callback_query_id": "q"}, None
            )
        )
    assert len(calls) == MAX_RETRIES + 1
    calls.clear()
    with pytest.raises(RetryAfter):
        await time.run(
            limits.process_request(
                always_refused, (3600,), {}, "sendMessage", {"chat_id": 101}, None
            )
        )
    assert len(calls) == 1


async def test_every_bot_api_call_goes_through_the_limiter_and_a_429_is_retried(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    assert isinstance(bot.application.bot.rate_limiter, TelegramRateLimiter)
    ann = telegram.user(101)
    await ann.send_text("/start")
    await ann.next_message()
    telegram.rate_limit(1, retry_after=1)
    await ann.send_text("/balance")
    assert (await ann.next_message()).text == texts.balance(10)
    assert [status for _, status, _ in telegram.refusals] == [429]
    assert not any(m.text == texts.SOMETHING_WENT_WRONG for m in ann.messages())


async def test_the_overall_line_serves_results_first_and_status_edits_last(
    time: VirtualTime,
) -> None:
    limits = limiter(time, overall_rate=10)
    order: list[str] = []

    async def message(label: str, chat_id: int, priority: MessagePriority | None) -> None:
        async def call() -> dict[str, Any]:
            order.append(label)
            return {}

        await limits.process_request(call, (), {}, "sendMessage", {"chat_id": chat_id}, priority)

    # Ten replies and two status edits wait for the overall line, each in its own chat;
    # then a result comes.
    waiting = [message(f"reply {n}", 100 + n, None) for n in range(10)]
    waiting += [message(f"status {n}", 200 + n, MessagePriority.STATUS) for n in range(2)]

    async def result_later() -> None:
        await time.sleep(0.25)
        await message("result", 300, MessagePriority.RESULT)

    await time.run(*waiting, result_later())
    # The first replies went before the result came; it went next, the status edits last.
    assert order[:3] == ["reply 0", "reply 1", "reply 2"]
    assert order[3] == "result"
    assert order[4:11] == [f"reply {n}" for n in range(3, 10)]
    assert order[11:] == ["status 0", "status 1"]
