"""The per-key RateBudget: slots held from the answer, refused attempts, another program on the
key, priorities, estimates; and the budget in front of the fake ZenCreator.

The unit tests run on virtual time (tests/virtual_time.py). The tests against the fake use
windows of a fraction of a second; what they assert holds however slow the machine is,
because the budget never sends a request the server's window could refuse.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

import pytest

from providers.errors import RateLimitError
from providers.ratelimit import Bucket, Priority, RateBudget, parse_limits
from providers.zencreator import ZenCreatorClient
from tests.downloads import download_bytes
from tests.fakes.zencreator import FakeZenCreator
from tests.virtual_time import VirtualTime

KEY = "zc_live_testkey_budget"
API = "/api/public/v1"


@dataclass
class Traffic:
    """Requests through one budget on virtual time, each recorded when it gets its slot."""

    budget: RateBudget
    vt: VirtualTime
    granted: list[tuple[str, float]] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def send(
        self,
        name: str,
        *,
        bucket: Bucket = "read",
        priority: Priority = Priority.NORMAL,
        takes: float = 0.0,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> asyncio.Task[None]:
        """Start a request that holds its slot `takes` seconds, then is answered `status`."""
        ticket = self.budget.ticket(bucket, priority)

        async def request() -> None:
            async with ticket.slot() as slot:
                self.granted.append((name, self.vt.now))
                await self.vt.sleep(takes)
                slot.answered(status, headers or {})

        task = asyncio.create_task(request())
        self.tasks.append(task)
        return task

    def when(self, name: str) -> float:
        return next(at for granted, at in self.granted if granted == name)

    def order(self) -> list[str]:
        return [name for name, _ in self.granted]


@pytest.fixture
def vt() -> VirtualTime:
    return VirtualTime(start=1000.0)


def traffic(
    vt: VirtualTime, limits: Mapping[Bucket, int], window: float, margin: float
) -> Traffic:
    budget = RateBudget(limits, window, margin=margin, clock=vt.clock, sleep=vt.sleep)
    return Traffic(budget, vt)


# --- The window counts from the answer


async def test_an_answered_slot_stays_busy_a_window_and_a_margin_from_the_answer(
    vt: VirtualTime,
) -> None:
    t = traffic(vt, {"read": 1}, window=10, margin=0.5)
    t.send("slow", takes=3)  # the server counted it somewhere in these 3 seconds
    t.send("next")
    await vt.run_until(lambda: len(t.granted) == 2, limit=60)
    # Counting from when the first was sent (1000 + 10) could be ahead of the server.
    assert t.when("slow") == 1000 and t.when("next") == 1000 + 3 + 10 + 0.5


async def test_the_default_margin_is_a_fiftieth_of_the_window() -> None:
    assert RateBudget(window=60).margin == pytest.approx(1.2)
    assert RateBudget(window=6).margin == pytest.approx(0.12)


async def test_an_attempt_without_an_answer_counts_as_sent_when_it_ends(vt: VirtualTime) -> None:
    t = traffic(vt, {"read": 1}, window=10, margin=0)
    ticket = t.budget.ticket("read")

    async def times_out() -> None:
        async with ticket.slot():
            await vt.sleep(4)
            raise TimeoutError

    failed = asyncio.create_task(times_out())
    t.send("next")
    await vt.run_until(lambda: len(t.granted) == 1, limit=60)
    assert t.when("next") == 1000 + 4 + 10
    with pytest.raises(TimeoutError):
        await failed


# --- 429s


async def test_a_refused_attempt_gives_its_slot_back_and_the_bucket_waits_retry_after(
    vt: VirtualTime,
) -> None:
    t = traffic(vt, {"generate": 2}, window=60, margin=0)
    t.send("counted", bucket="generate")
    t.send("refused", bucket="generate", status=429, headers={"Retry-After": "5"})
    await vt.advance(0)
    assert dict(t.budget.refused) == {"read": 0, "generate": 1, "upload": 0}
    t.send("after", bucket="generate")
    t.send("last", bucket="generate")
    await vt.run_until(lambda: len(t.granted) == 4, limit=120)
    # The refused slot is free again, but only once the server's Retry-After has passed;
    # the last waits for the first counted request to leave the window.
    assert t.when("after") == 1005
    assert t.when("last") == 1060


async def test_a_429_without_retry_after_waits_one_slot_s_share_of_the_window(
    vt: VirtualTime,
) -> None:
    t = traffic(vt, {"read": 4}, window=60, margin=0)
    t.send("refused", status=429)
    await vt.advance(0)
    t.send("next")
    await vt.run_until(lambda: len(t.granted) == 2, limit=60)
    assert t.when("next") == 1000 + 60 / 4


async def test_a_retry_keeps_its_place_in_line(vt: VirtualTime) -> None:
    t = traffic(vt, {"read": 1}, window=10, margin=0)
    first = t.budget.ticket("read", Priority.POLL)
    attempts: list[float] = []

    async def retried() -> None:
        for status in (429, 200):
            async with first.slot() as slot:
                attempts.append(vt.now)
                slot.answered(status, {"Retry-After": "2"})

    task = asyncio.create_task(retried())
    await vt.settle()
    t.send("later", priority=Priority.POLL)  # came after the first attempt, before its retry
    await vt.run_until(lambda: len(attempts) == 2 and len(t.granted) == 1, limit=60)
    await task
    assert attempts == [1000, 1002]
    assert t.when("later") == 1002 + 10


# --- Another program on the same key


async def test_remaining_below_expectations_books_what_someone_else_spent(
    vt: VirtualTime,
) -> None:
    t = traffic(vt, {"read": 10}, window=60, margin=0)
    t.send("first", headers={"X-RateLimit-Remaining": "3"})  # we expected 9 left
    await vt.advance(0)
    for n in range(4):
        t.send(f"then-{n}")
    await vt.run_until(lambda: len(t.granted) == 5, limit=120)
    assert [t.when(f"then-{n}") for n in range(4)] == [1000, 1000, 1000, 1060]


async def test_remaining_at_or_above_expectations_changes_nothing(vt: VirtualTime) -> None:
    t = traffic(vt, {"read": 3}, window=60, margin=0)
    t.send("first", headers={"x-ratelimit-remaining": "2"})
    t.send("second", headers={"X-RateLimit-Remaining": "50"})
    await vt.advance(0)
    t.send("third")
    t.send("fourth")
    await vt.run_until(lambda: len(t.granted) == 4, limit=120)
    assert [at for _, at in t.granted] == [1000, 1000, 1000, 1060]


# --- Order


async def test_waiting_requests_go_by_priority_then_first_come(vt: VirtualTime) -> None:
    t = traffic(vt, {"read": 1}, window=10, margin=0)
    t.send("busy")
    await vt.settle()
    for name, priority in [
        ("poll-1", Priority.POLL),
        ("start-1", Priority.NORMAL),
        ("poll-2", Priority.POLL),
        ("result-1", Priority.FETCH),
        ("start-2", Priority.NORMAL),
        ("download-1", Priority.FETCH),
    ]:
        t.send(name, priority=priority)
        await vt.settle()
    await vt.run_until(lambda: len(t.granted) == 7, limit=100)
    assert t.order() == [
        "busy",
        "result-1",
        "download-1",
        "start-1",
        "start-2",
        "poll-1",
        "poll-2",
    ]
    assert [at for _, at in t.granted] == [1000 + 10 * n for n in range(7)]


async def test_buckets_are_independent(vt: VirtualTime) -> None:
    t = traffic(vt, {"upload": 1, "read": 1}, window=60, margin=0)
    t.send("upload-1", bucket="upload")
    t.send("upload-2", bucket="upload")
    t.send("read-1")
    await vt.run_until(lambda: len(t.granted) == 3, limit=120)
    assert (t.when("read-1"), t.when("upload-2")) == (1000, 1060)


async def test_a_cancelled_waiter_leaves_the_line(vt: VirtualTime) -> None:
    t = traffic(vt, {"read": 1}, window=10, margin=0)
    t.send("busy")
    cancelled = t.send("cancelled")
    t.send("next")
    await vt.settle()
    cancelled.cancel()
    await vt.run_until(lambda: len(t.granted) == 2, limit=60)
    assert t.order() == ["busy", "next"] and t.when("next") == 1010
    t.send("then")
    await vt.run_until(lambda: len(t.granted) == 3, limit=60)
    assert t.when("then") == 1020


# --- What a queue in front of the budget can tell its waiters


async def test_wait_estimate_counts_the_window_and_the_line(vt: VirtualTime) -> None:
    t = traffic(vt, {"generate": 2}, window=10, margin=0)
    assert t.budget.wait_estimate("generate") == 0
    t.send("a", bucket="generate")
    await vt.advance(2)
    t.send("b", bucket="generate")
    await vt.settle()
    # Now at 1002: slots free at 1010 and 1012, then again a window later.
    assert [t.budget.wait_estimate("generate", ahead) for ahead in range(4)] == [8, 10, 18, 20]
    t.send("waiting", bucket="generate")
    await vt.settle()
    assert t.budget.wait_estimate("generate") == 10
    t.send("refused-elsewhere", bucket="read", status=429, headers={"Retry-After": "30"})
    await vt.settle()
    assert t.budget.wait_estimate("generate") == 10  # another bucket's 429 is no concern


def test_limits_parse_from_settings_text() -> None:
    assert parse_limits("read=120, generate=20") == {"read": 120, "generate": 20}
    for bad in ("read=0", "reads=60", "read", "read=60,read=30", "read=-1", ""):
        with pytest.raises(ValueError):
            parse_limits(bad)


def test_budget_defaults_are_the_documented_limits() -> None:
    budget = RateBudget()
    assert dict(budget.limits) == {"read": 60, "generate": 10, "upload": 30}
    assert budget.window == 60
    with pytest.raises(ValueError):
        RateBudget({"read": 0})
    with pytest.raises(ValueError):
        RateBudget(window=0)


# --- In front of the fake ZenCreator, over HTTP


@pytest.fixture
async def fake() -> AsyncIterator[FakeZenCreator]:
    async with FakeZenCreator(api_key=KEY) as server:
        yield server


async def no_retry_wait(delay: float) -> None:
    """The client's retry backoff, skipped: these tests need only the order of things."""


async def test_a_request_that_reaches_the_server_late_earns_no_429(fake: FakeZenCreator) -> None:
    # The first start is counted by the server 0.3 s after the client sent it (a slow first
    # connection, say). A budget that counted it from the sending would send the second
    # start when the server still counts the first.
    fake.set_rate_limits({"generate": 1}, window=0.2)
    fake.delay_next("POST /generations", 0.3)
    budget = RateBudget({"generate": 1}, window=0.2)
    inputs = {"ref_asset": fake.add_asset(), "face_asset": fake.add_asset()}
    async with ZenCreatorClient(KEY, fake.base_url, budget=budget, max_retries=0) as zc:
        first = asyncio.create_task(zc.start("faceswap", inputs, "late-1"))
        await fake.wait_until(lambda: len(fake.requests_for("POST /generations")) == 1)
        second = asyncio.create_task(zc.start("faceswap", inputs, "late-2"))
        await asyncio.gather(first, second)
    assert [r.status for r in fake.requests_for("POST /generations")] == [201, 201]
    assert budget.refused["generate"] == 0


async def test_a_refused_attempt_does_not_keep_its_slot(fake: FakeZenCreator) -> None:
    class Waited(Exception):
        """The budget wanted to wait: a slot was still taken."""

    async def must_not_wait(delay: float) -> None:
        raise Waited

    fake.set_rate_limits(None)
    fake.fail_next("GET /balance", 429, retry_after=0)
    budget = RateBudget({"read": 2}, window=60, sleep=must_not_wait)
    async with ZenCreatorClient(
        KEY, fake.base_url, budget=budget, max_retries=1, sleep=no_retry_wait
    ) as zc:
        await zc.balance()  # refused once, then answered: one slot counted
        await zc.balance()  # the second slot, free at once
    assert [r.status for r in fake.requests_for("GET /balance")] == [429, 200, 200]
    assert budget.refused["read"] == 1


async def test_a_429_that_still_comes_is_obeyed_and_counted(fake: FakeZenCreator) -> None:
    # Another program spent the key's only start of the minute before the bot's first.
    fake.set_rate_limits({"generate": 1}, window=60)
    inputs = {"ref_asset": fake.add_asset(), "face_asset": fake.add_asset()}
    budget = RateBudget({"generate": 5}, window=60)
    async with (
        ZenCreatorClient(KEY, fake.base_url) as other_program,
        ZenCreatorClient(
            KEY, fake.base_url, budget=budget, max_retries=0, sleep=no_retry_wait
        ) as zc,
    ):
        await other_program.start("faceswap", inputs, "someone-else")
        with pytest.raises(RateLimitError) as refused:
            await zc.start("faceswap", inputs, "obeyed")
    assert budget.refused["generate"] == 1
    retry_after = refused.value.retry_after
    assert retry_after is not None and retry_after > 1
    # Whoever asks next is told to wait out the Retry-After (less the moments since).
    assert retry_after - 1 < budget.wait_estimate("generate") <= retry_after


async def test_status_polls_wait_behind_results_and_downloads(
    fake: FakeZenCreator, vt: VirtualTime
) -> None:
    # The budget runs on virtual time, the requests over real HTTP: each slot is handed out
    # only when the test moves the clock.
    fake.set_rate_limits(None)
    fake.plan("faceswap", polls_until_done=0, times=None)
    budget = RateBudget({"read": 1}, window=10, margin=0, clock=vt.clock, sleep=vt.sleep)
    inputs = {"ref_asset": fake.add_asset(), "face_asset": fake.add_asset()}
    async with ZenCreatorClient(KEY, fake.base_url, budget=budget) as zc:
        finished = await zc.start("faceswap", inputs, "prio-1")
        running = await zc.start("faceswap", inputs, "prio-2")
        await zc.status(finished.id)  # it is done; the read slot is busy for a window
        poll = asyncio.create_task(zc.status(running.id))
        await vt.settle()
        result = asyncio.create_task(zc.result(finished.id))  # came later, goes first
        await vt.advance(10)
        url = (await result).outputs[0].download_url
        assert url is not None
        download = asyncio.create_task(download_bytes(zc, url))
        await vt.advance(10)
        await download
        await vt.advance(10)
        await poll
    reads = [r.path for r in fake.requests_for("GET")]
    assert reads == [
        f"{API}/generations/{finished.id}",
        f"{API}/generations/{finished.id}/result",
        url.removeprefix(fake.base_url),
        f"{API}/generations/{running.id}",
    ]
