"""The connection: pragmas, migrations tracked with user_version, atomic transactions."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from storage.db import Database, _migrations


async def test_open_creates_the_folder_and_applies_every_migration(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "castbot.sqlite3"
    db = await Database.open(path)
    try:
        latest = _migrations()[-1][0]
        assert (await db.fetch_one("PRAGMA user_version"))[0] == latest
        assert (await db.fetch_one("PRAGMA journal_mode"))[0] == "wal"
        assert (await db.fetch_one("PRAGMA foreign_keys"))[0] == 1
    finally:
        await db.close()
    reopened = await Database.open(path)
    try:
        assert await reopened.migrate() == latest
    finally:
        await reopened.close()


async def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "castbot.sqlite3")
    try:
        with pytest.raises(RuntimeError):
            async with db.transaction() as tx:
                await tx.execute(
                    "INSERT INTO users (id, created_at, last_seen_at) VALUES (1, 'x', 'x')"
                )
                raise RuntimeError("abort")
        assert await db.fetch_one("SELECT * FROM users") is None
    finally:
        await db.close()


async def test_a_transaction_cancelled_while_it_begins_does_not_wedge_the_next(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "castbot.sqlite3")
    try:

        async def write() -> None:
            async with db.transaction() as tx:
                await tx.execute(
                    "INSERT INTO users (id, created_at, last_seen_at) VALUES (1, 'x', 'x')"
                )

        interrupted = asyncio.create_task(write())
        await asyncio.sleep(0)  # BEGIN is on its way to aiosqlite's thread...
        interrupted.cancel()  # ...and its caller is cancelled before it returns
        with pytest.raises(asyncio.CancelledError):
            await interrupted
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO users (id, created_at, last_seen_at) VALUES (2, 'y', 'y')"
            )
        rows = await db.fetch_all("SELECT id FROM users")
        assert [row["id"] for row in rows] == [2]
    finally:
        await db.close()
