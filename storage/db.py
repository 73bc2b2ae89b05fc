"""The SQLite connection: WAL, foreign keys, migrations tracked with PRAGMA user_version."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite


def utcnow() -> str:
    """Timestamps are stored as ISO 8601 UTC text, which sorts and compares correctly."""
    return datetime.now(UTC).isoformat(timespec="seconds")


MIGRATIONS = Path(__file__).parent / "migrations"


def _migrations() -> list[tuple[int, str]]:
    """The numbered SQL files in storage/migrations, in order."""
    return sorted(
        (int(path.name.split("_", 1)[0]), path.read_text()) for path in MIGRATIONS.glob("*.sql")
    )


class Database:
    """One aiosqlite connection shared by the repositories.

    Statements on one connection run one at a time anyway; the lock keeps a transaction's
    statements from interleaving with another coroutine's, which is what makes a balance
    check and its debit atomic.
    """

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(path, isolation_level=None)
        connection.row_factory = aiosqlite.Row
        for pragma in ("journal_mode = WAL", "foreign_keys = ON", "busy_timeout = 5000"):
            await connection.execute(f"PRAGMA {pragma}")
        database = cls(connection)
        try:
            await database.migrate()
        except BaseException:
            await connection.close()
            raise
        return database

    async def close(self) -> None:
        await self._connection.close()

    async def migrate(self) -> int:
        """Apply every migration newer than the file's user_version; return the version."""
        async with self._lock:
            cursor = await self._connection.execute("PRAGMA user_version")
            row = await cursor.fetchone()
            version = int(row[0]) if row else 0
            for number, script in _migrations():
                if number <= version:
                    continue
                # executescript commits on its own, so the version bump is part of the script.
                await self._connection.executescript(
                    f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
                )
                version = number
            return version

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run statements atomically: commit on success, roll back on any exception."""
        async with self._lock:
            try:
                await self._control("BEGIN IMMEDIATE")
            except asyncio.CancelledError:
                if self._connection.in_transaction:
                    await self._control("ROLLBACK")
                raise
            try:
                yield self._connection
            except BaseException:
                await self._control("ROLLBACK")
                raise
            await self._control("COMMIT")

    async def _control(self, statement: str) -> None:
        """Run BEGIN, COMMIT or ROLLBACK to its end even if the caller is cancelled meanwhile
        (a job stopped at shutdown): abandoned halfway in aiosqlite's thread, it would leave
        the shared connection inside a transaction and fail every later one."""
        running = asyncio.ensure_future(self._connection.execute(statement))
        try:
            await asyncio.shield(running)
        except asyncio.CancelledError:
            await running
            raise

    async def fetch_one(self, sql: str, *params: object) -> aiosqlite.Row | None:
        async with self._lock:
            cursor = await self._connection.execute(sql, params)
            return await cursor.fetchone()

    async def fetch_all(self, sql: str, *params: object) -> list[aiosqlite.Row]:
        async with self._lock:
            cursor = await self._connection.execute(sql, params)
            return list(await cursor.fetchall())
