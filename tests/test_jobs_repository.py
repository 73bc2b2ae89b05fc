"""The jobs repository: reservation with its debit, steps, exactly-once refunds, leases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.db import Database
from storage.jobs import JobNotQuoted, JobOutput, JobsRepository, JobState
from storage.users import InsufficientCredits, LedgerRepository, UsersRepository


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "castbot.sqlite3")
    await UsersRepository(database).ensure(1, "Ann", None, welcome_credits=10)
    yield database
    await database.close()


async def create(jobs: JobsRepository, job_id: str, price: int, reserve: bool) -> None:
    await jobs.create(
        job_id=job_id,
        user_id=1,
        chat_id=1,
        tool="faceswap",
        provider="zencreator",
        spec={"files": []},
        price=price,
        reserve=reserve,
    )


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
        await jobs.reserve("q", user_id=2)
    job = await jobs.reserve("q", user_id=1)
    assert job.state is JobState.RESERVED
    with pytest.raises(JobNotQuoted):
        await jobs.reserve("q", user_id=1)
    assert await ledger.balance(1) == 7


async def test_refund_happens_exactly_once(db: Database) -> None:
    jobs, ledger = JobsRepository(db), LedgerRepository(db)
    await create(jobs, "a", 4, reserve=True)
    assert await jobs.refund("a", 4, "failed") is True
    assert await jobs.refund("a", 4, "failed") is False
    assert await ledger.balance(1) == 10
    assert await ledger.total(1) == 10


async def test_record_refuses_unknown_columns(db: Database) -> None:
    jobs = JobsRepository(db)
    await create(jobs, "a", 1, reserve=True)
    output = JobOutput(url="u", asset_id="asset_1")
    job = await jobs.record("a", state=JobState.SUBMITTED, generation_id="g1", outputs=[output])
    assert (job.state, job.generation_id, job.outputs) == (JobState.SUBMITTED, "g1", [output])
    with pytest.raises(ValueError):
        await jobs.record("a", price=0)


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


async def test_unfinished_lists_jobs_the_engine_must_move(db: Database) -> None:
    jobs = JobsRepository(db)
    await create(jobs, "quoted", 1, reserve=False)
    await create(jobs, "running", 1, reserve=True)
    await create(jobs, "done", 1, reserve=True)
    await jobs.record("done", state=JobState.DELIVERED)
    assert [job.id for job in await jobs.unfinished()] == ["running"]
