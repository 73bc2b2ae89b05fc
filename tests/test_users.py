"""The users repository and the append-only credit ledger."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.db import Database
from storage.users import (
    LAST_SEEN_GRANULARITY,
    InsufficientCredits,
    LedgerKind,
    LedgerRepository,
    UnknownUser,
    UsersRepository,
)


@pytest.fixture
async def db(tmp_path: Path):
    database = await Database.open(tmp_path / "castbot.sqlite3")
    yield database
    await database.close()


async def test_ensure_grants_welcome_credits_exactly_once(db: Database) -> None:
    users = UsersRepository(db)
    first, created = await users.ensure(1, "Ann", "en", welcome_credits=10)
    again, created_again = await users.ensure(1, "Ann B", "de", welcome_credits=10)
    assert (created, created_again) == (True, False)
    assert first.balance == again.balance == 10
    assert (again.name, again.language) == ("Ann B", "de")
    history = await LedgerRepository(db).history(1)
    assert [(entry.kind, entry.amount) for entry in history] == [(LedgerKind.WELCOME, 10)]


@pytest.fixture
def commits(db: Database, tmp_path: Path) -> Iterator[Callable[[], int]]:
    """A counter of the commits other connections made to the file (as another process sees
    them): SQLite's data_version moves with each."""
    watcher = sqlite3.connect(tmp_path / "castbot.sqlite3")

    def count() -> int:
        version: int = watcher.execute("PRAGMA data_version").fetchone()[0]
        return version

    yield count
    watcher.close()


async def set_last_seen(db: Database, when: datetime) -> None:
    async with db.transaction() as tx:
        await tx.execute("UPDATE users SET last_seen_at = ? WHERE id = 1", (when.isoformat(),))


async def test_ensure_of_a_known_unchanged_user_writes_nothing(
    db: Database, commits: Callable[[], int]
) -> None:
    users = UsersRepository(db)
    await users.ensure(1, "Ann", "en", welcome_credits=10)
    await set_last_seen(db, datetime.now(UTC) - timedelta(minutes=1))
    before = commits()
    for _ in range(5):
        user, created = await users.ensure(1, "Ann", "en", welcome_credits=10)
    assert not created and user.balance == 10
    assert commits() == before


async def test_ensure_writes_what_changed_and_a_stale_last_seen(
    db: Database, commits: Callable[[], int]
) -> None:
    users = UsersRepository(db)
    await users.ensure(1, "Ann", "en", welcome_credits=10)

    before = commits()
    renamed, _ = await users.ensure(1, "Ann B", "en", welcome_credits=10)
    assert renamed.name == "Ann B" and commits() == before + 1

    long_ago = datetime.now(UTC) - LAST_SEEN_GRANULARITY - timedelta(seconds=1)
    await set_last_seen(db, long_ago)
    before = commits()
    seen, _ = await users.ensure(1, "Ann B", "en", welcome_credits=10)
    assert seen.last_seen_at > long_ago.isoformat() and commits() == before + 1

    async with db.transaction() as tx:
        await tx.execute("UPDATE users SET unreachable_since = last_seen_at WHERE id = 1")
    before = commits()
    back, _ = await users.ensure(1, "Ann B", "en", welcome_credits=10)
    assert back.unreachable_since is None and commits() == before + 1


async def test_debit_beyond_balance_writes_nothing(db: Database) -> None:
    await UsersRepository(db).ensure(1, "Ann", None, welcome_credits=3)
    ledger = LedgerRepository(db)
    with pytest.raises(InsufficientCredits) as refused:
        await ledger.apply(1, -4, LedgerKind.CHARGE)
    assert (refused.value.needed, refused.value.balance) == (4, 3)
    assert await ledger.balance(1) == 3
    assert len(await ledger.history(1)) == 1


async def test_apply_to_unknown_user(db: Database) -> None:
    with pytest.raises(UnknownUser):
        await LedgerRepository(db).apply(42, 5, LedgerKind.GRANT)


async def test_history_is_newest_first_and_limited(db: Database) -> None:
    await UsersRepository(db).ensure(1, "Ann", None, welcome_credits=0)
    ledger = LedgerRepository(db)
    for amount in range(1, 13):
        await ledger.apply(1, amount, LedgerKind.GRANT, note=f"grant {amount}")
    history = await ledger.history(1, limit=10)
    assert [entry.amount for entry in history] == list(range(12, 2, -1))


async def test_200_concurrent_charges_never_overdraw(db: Database) -> None:
    await UsersRepository(db).ensure(1, "Ann", None, welcome_credits=0)
    ledger = LedgerRepository(db)
    await ledger.apply(1, 150, LedgerKind.GRANT)

    async def charge() -> bool:
        try:
            await ledger.apply(1, -2, LedgerKind.CHARGE)
        except InsufficientCredits:
            return False
        return True

    outcomes = await asyncio.gather(*(charge() for _ in range(200)))
    assert outcomes.count(True) == 75
    assert await ledger.balance(1) == 0
    assert await ledger.total(1) == 0


async def test_charges_from_two_connections_never_overdraw(tmp_path: Path) -> None:
    """Two processes sharing the file are serialised by SQLite's write lock."""
    path = tmp_path / "shared.sqlite3"
    first, second = await Database.open(path), await Database.open(path)
    try:
        await UsersRepository(first).ensure(1, "Ann", None, welcome_credits=50)
        ledgers = [LedgerRepository(first), LedgerRepository(second)]

        async def charge(index: int) -> bool:
            try:
                await ledgers[index % 2].apply(1, -1, LedgerKind.CHARGE)
            except InsufficientCredits:
                return False
            return True

        outcomes = await asyncio.gather(*(charge(i) for i in range(80)))
        assert outcomes.count(True) == 50
        assert await ledgers[0].balance(1) == 0
        assert await ledgers[1].total(1) == 0
    finally:
        await first.close()
        await second.close()


CHARGING_LOOP = """
import asyncio, sys
from storage.db import Database
from storage.users import InsufficientCredits, LedgerKind, LedgerRepository, UsersRepository

async def main(path):
    db = await Database.open(path)
    users, ledger = UsersRepository(db), LedgerRepository(db)
    for user_id in range(1, 6):
        await users.ensure(user_id, "u", None, welcome_credits=10)
    step = 0
    while True:
        step += 1
        user_id = step % 5 + 1
        try:
            await ledger.apply(user_id, -3 if step % 2 else 2, LedgerKind.CHARGE)
        except InsufficientCredits:
            await ledger.apply(user_id, 7, LedgerKind.GRANT)
        if step % 50 == 0:
            print(step, flush=True)

asyncio.run(main(sys.argv[1]))
"""


@pytest.mark.parametrize("writes_before_kill", [50, 300, 1000])
async def test_killed_process_leaves_consistent_ledger(
    tmp_path: Path, writes_before_kill: int
) -> None:
    path = tmp_path / "killed.sqlite3"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHARGING_LOOP,
        str(path),
        stdout=asyncio.subprocess.PIPE,
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    assert process.stdout is not None
    while True:
        line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
        assert line, "the charging loop exited early"
        if int(line) >= writes_before_kill:
            break
    process.send_signal(signal.SIGKILL)
    await process.wait()

    db = await Database.open(path)
    try:
        assert (await db.fetch_one("PRAGMA integrity_check"))[0] == "ok"
        ledger = LedgerRepository(db)
        for user_id in range(1, 6):
            assert await ledger.total(user_id) == await ledger.balance(user_id) >= 0
    finally:
        await db.close()
