"""The jobs repository: reservation with its debit and limits, steps written under a lease,
exactly-once refunds, delivery progress, leases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.db import Database
from storage.jobs import (
    ConflictingJob,
    JobNotQuoted,
    JobOutput,
    JobsRepository,
    JobState,
    LeaseLost,
    Reservation,
    TooManyJobs,
)
from storage.users import InsufficientCredits, LedgerRepository, UsersRepository

TERMS = Reservation(deadline=timedelta(minutes=15), max_unfinished=3)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "castbot.sqlite3")
    await UsersRepository(database).ensure(1, "Ann", None, welcome_credits=10)
    yield database
    await database.close()


async def create(
    jobs: JobsRepository,
    job_id: str,
    price: int,
    reserve: bool,
    exclusive_key: str | None = None,
    terms: Reservation = TERMS,
) -> None:
    await jobs.create(
        job_id=job_id,
        user_id=1,
        chat_id=1,
        tool="faceswap",
        provider="zencreator",
        spec={"files": []},
        price=price,
        exclusive_key=exclusive_key,
        reservation=terms if reserve else None,
    )


async def state_of(jobs: JobsRepository, job_id: str) -> JobState:
    job = await jobs.get(job_id)
    assert job is not None
    return job.state


async def test_reserving_debits_in_the_same_transaction(db: Database) -> None:
    jobs, ledger = JobsRepository(db), LedgerRepository(db)
    await create(jobs, "a", 4, reserve=True)
    assert await ledger.balance(1) == 6
    with pytest.raises(InsufficientCredits):
        await create(jobs, "b", 7, reserve=True)
    assert await jobs.get("b") is None
    assert await ledger.balance(1) == 6


async def test_a_quote_is_charged_once_when_confirmed(db: Database) -> None:
    jobs, ledger = JobsRepository(db), LedgerRepository(db)
    await create(jobs, "q", 3, reserve=False)
    assert await ledger.balance(1) == 10
    with pytest.raises(JobNotQuoted):
        await jobs.reserve("q", 2, TERMS)
    job = await jobs.reserve("q", 1, TERMS)
    assert job.state is JobState.RESERVED
    with pytest.raises(JobNotQuoted):
        await jobs.reserve("q", 1, TERMS)
    assert await ledger.balance(1) == 7


async def test_the_deadline_counts_from_the_charge_not_the_quote(db: Database) -> None:
    jobs = JobsRepository(db)
    await create(jobs, "q", 1, reserve=False)
    long_ago = (datetime.now(UTC) - timedelta(hours=3)).isoformat(timespec="seconds")
    async with db.transaction() as tx:
        await tx.execute("UPDATE jobs SET created_at = ? WHERE id = 'q'", (long_ago,))
    before = datetime.now(UTC).replace(microsecond=0)
    job = await jobs.reserve("q", 1, TERMS)
    assert job.reserved_at and job.deadline_at
    reserved = datetime.fromisoformat(job.reserved_at)
    assert reserved >= before
    assert datetime.fromisoformat(job.deadline_at) == reserved + TERMS.deadline


async def test_the_users_limit_on_unfinished_jobs_refuses_the_charge(db: Database) -> None:
    jobs, ledger = JobsRepository(db), LedgerRepository(db)
    terms = Reservation(deadline=timedelta(minutes=15), max_unfinished=2)
    await create(jobs, "a", 1, reserve=True, terms=terms)
    await create(jobs, "b", 1, reserve=False)
    await jobs.reserve("b", 1, terms)
    await create(jobs, "c", 1, reserve=False)
    with pytest.raises(TooManyJobs) as refused:
        await jobs.reserve("c", 1, terms)
    assert refused.value.limit == 2
    with pytest.raises(TooManyJobs):
        await create(jobs, "d", 1, reserve=True, terms=terms)
    assert await jobs.get("d") is None
    assert await state_of(jobs, "c") is JobState.QUOTED
    assert await ledger.balance(1) == 8

    assert await jobs.claim("a", "w", lease_seconds=60)
    await jobs.finish("a", "w")
    await jobs.reserve("c", 1, terms)
    assert await ledger.balance(1) == 7


async def test_two_quotes_of_one_exclusive_work_are_charged_once(db: Database) -> None:
    jobs, ledger = JobsRepository(db), LedgerRepository(db)
    await create(jobs, "first", 3, reserve=False, exclusive_key="actor_likeness:7")
    await create(jobs, "second", 3, reserve=False, exclusive_key="actor_likeness:7")
    await create(jobs, "other", 3, reserve=False, exclusive_key="actor_likeness:8")
    await jobs.reserve("first", 1, TERMS)
    with pytest.raises(ConflictingJob):
        await jobs.reserve("second", 1, TERMS)
    await jobs.reserve("other", 1, TERMS)
    assert await state_of(jobs, "second") is JobState.QUOTED
    assert await ledger.balance(1) == 4

    assert await jobs.claim("first", "w", lease_seconds=60)
    await jobs.finish("first", "w")
    await jobs.reserve("second", 1, TERMS)
    assert await ledger.balance(1) == 1


async def test_refund_happens_exactly_once(db: Database) -> None:
    jobs, ledger = JobsRepository(db), LedgerRepository(db)
    await create(jobs, "a", 4, reserve=True)
    assert await jobs.claim("a", "w", lease_seconds=60)
    assert await jobs.refund("a", "w", 4, "failed") is True
    assert await jobs.refund("a", "w", 4, "failed") is False
    assert await ledger.balance(1) == 10
    assert await ledger.total(1) == 10


async def test_record_refuses_unknown_columns(db: Database) -> None:
    jobs = JobsRepository(db)
    await create(jobs, "a", 1, reserve=True)
    assert await jobs.claim("a", "w", lease_seconds=60)
    output = JobOutput(url="u", asset_id="asset_1", link="https://cdn/u")
    job = await jobs.record(
        "a", "w", state=JobState.SUBMITTED, generation_id="g1", outputs=[output]
    )
    assert (job.state, job.generation_id, job.outputs) == (JobState.SUBMITTED, "g1", [output])
    with pytest.raises(ValueError):
        await jobs.record("a", "w", price=0)


async def test_a_worker_without_the_lease_writes_nothing(db: Database) -> None:
    jobs, ledger = JobsRepository(db), LedgerRepository(db)
    await create(jobs, "a", 4, reserve=True)
    assert await jobs.claim("a", "old", lease_seconds=-1)  # expired at once
    assert await jobs.claim("a", "new", lease_seconds=60)  # taken over
    with pytest.raises(LeaseLost):
        await jobs.record("a", "old", state=JobState.FAILED, error="stale")
    with pytest.raises(LeaseLost):
        await jobs.record_sent("a", "old", {"0": [1]})
    with pytest.raises(LeaseLost):
        await jobs.refund("a", "old", 4, "stale")
    with pytest.raises(LeaseLost):
        await jobs.finish("a", "old")
    job = await jobs.get("a")
    assert job is not None
    assert (job.state, job.error, job.deliveries, job.refunded) == (JobState.RESERVED, None, {}, 0)
    assert await ledger.balance(1) == 6


async def test_delivery_progress_adds_up_send_by_send(db: Database) -> None:
    jobs = JobsRepository(db)
    await create(jobs, "a", 1, reserve=True)
    assert await jobs.claim("a", "w", lease_seconds=60)
    await jobs.record_sent("a", "w", {"0": [11], "1": [12]})
    job = await jobs.record_sent("a", "w", {"0:file": [13], "1:file": []})
    assert job.deliveries == {"0": [11], "1": [12], "0:file": [13], "1:file": []}


async def test_a_delivery_to_a_user_who_blocked_the_bot_marks_them(db: Database) -> None:
    jobs, users = JobsRepository(db), UsersRepository(db)
    await create(jobs, "a", 1, reserve=True)
    assert await jobs.claim("a", "w", lease_seconds=60)
    job = await jobs.finish("a", "w", unreachable=True)
    assert job.state is JobState.DELIVERED
    user = await users.get(1)
    assert user is not None and user.unreachable_since is not None


async def test_a_lease_keeps_other_workers_out_until_released(db: Database) -> None:
    jobs = JobsRepository(db)
    await create(jobs, "a", 1, reserve=True)
    assert await jobs.claim("a", "worker-1", lease_seconds=60)
    assert await jobs.claim("a", "worker-1", lease_seconds=60)
    assert not await jobs.claim("a", "worker-2", lease_seconds=60)
    await jobs.release("a", "worker-1")
    assert await jobs.claim("a", "worker-2", lease_seconds=60)


async def test_an_expired_lease_can_be_taken_over(db: Database) -> None:
    jobs = JobsRepository(db)
    await create(jobs, "a", 1, reserve=True)
    assert await jobs.claim("a", "crashed", lease_seconds=-1)
    assert await jobs.claim("a", "worker-2", lease_seconds=60)


async def test_renewing_reports_the_leases_still_held(db: Database) -> None:
    jobs = JobsRepository(db)
    for job_id in ("a", "b"):
        await create(jobs, job_id, 1, reserve=True)
        assert await jobs.claim(job_id, "w", lease_seconds=-1)
    assert await jobs.claim("b", "thief", lease_seconds=60)
    assert await jobs.renew("w", ["a", "b"], lease_seconds=60) == {"a"}
    assert not await jobs.claim("a", "thief", lease_seconds=60)


async def test_a_restart_frees_only_its_predecessors_leases(db: Database) -> None:
    jobs = JobsRepository(db)
    for job_id in ("mine", "old", "other"):
        await create(jobs, job_id, 1, reserve=False)
        await jobs.reserve(job_id, 1, Reservation(timedelta(minutes=15), max_unfinished=5))
    assert await jobs.claim("mine", "castbot/run2", lease_seconds=60)
    assert await jobs.claim("old", "castbot/run1", lease_seconds=60)
    assert await jobs.claim("other", "castbotx/run1", lease_seconds=60)
    assert await jobs.release_predecessors("castbot/", "castbot/run2") == 1
    assert await jobs.claimable() == ["old"]


async def test_claimable_lists_unfinished_jobs_nobody_holds(db: Database) -> None:
    jobs = JobsRepository(db)
    await create(jobs, "quoted", 1, reserve=False)
    await create(jobs, "running", 1, reserve=True)
    await create(jobs, "held", 1, reserve=True)
    await create(jobs, "done", 1, reserve=True)
    assert await jobs.claim("held", "w", lease_seconds=60)
    assert await jobs.claim("done", "w", lease_seconds=60)
    await jobs.finish("done", "w")
    assert await jobs.claimable() == ["running"]
