"""Users and their credit ledger.

The ledger is append-only and the cached balance on the user row changes in the same
transaction as the ledger row, so the two always agree and a balance never goes negative.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

import aiosqlite
from pydantic import BaseModel

from storage.db import Database, utcnow


class LedgerKind(StrEnum):
    WELCOME = "welcome"
    CHARGE = "charge"
    REFUND = "refund"
    PURCHASE = "purchase"
    GRANT = "grant"


class InsufficientCredits(Exception):
    """A debit larger than the balance; nothing was written."""

    def __init__(self, needed: int, balance: int) -> None:
        super().__init__(f"needs {needed} credits, balance is {balance}")
        self.needed = needed
        self.balance = balance


class UnknownUser(Exception):
    """No user row for this id."""


class User(BaseModel):
    id: int
    name: str
    language: str | None
    created_at: str
    last_seen_at: str
    blocked: bool
    balance: int
    terms_accepted_at: str | None = None
    unreachable_since: str | None = None
    """When a message to the user last failed because they blocked the bot."""
    adult_confirmed_at: str | None = None
    """When the user confirmed they are 18 or older (NSFW models are offered only then)."""
    locale: str | None = None
    """The language chosen with /language; None: the one `language` (Telegram's) names."""


class LedgerEntry(BaseModel):
    id: int
    user_id: int
    amount: int
    kind: LedgerKind
    job_id: str | None
    note: str | None
    created_at: str
    admin_id: int | None = None
    tool: str | None = None
    """The tool of the job the row belongs to (read with the row's job), if any."""


class LedgerPage(BaseModel):
    """Some ledger rows of one user, newest first, and whether there are more either side."""

    entries: list[LedgerEntry]
    older: bool
    newer: bool


_ROWS_WITH_TOOL = "SELECT l.*, j.tool FROM ledger l LEFT JOIN jobs j ON j.id = l.job_id"


LAST_SEEN_GRANULARITY = timedelta(minutes=15)
"""How stale `last_seen_at` may get before an update refreshes it: every update of an active
user would otherwise cost a write (and an fsync) just to move it by seconds."""


class UsersRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def ensure(
        self, user_id: int, name: str, language: str | None, welcome_credits: int
    ) -> tuple[User, bool]:
        """Create the user once, granting the welcome credits; return (user, created).

        A known user is only read, unless their name or language changed, they were marked
        unreachable, or they were last seen more than LAST_SEEN_GRANULARITY ago.
        """
        row = await self._db.fetch_one("SELECT * FROM users WHERE id = ?", user_id)
        if row is not None:
            known = _user(row)
            if (known.name, known.language) == (name, language) and not _needs_touch(known):
                return known, False
        now = utcnow()
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "INSERT INTO users (id, name, language, created_at, last_seen_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                (user_id, name, language, now, now),
            )
            created = cursor.rowcount == 1
            if created:
                if welcome_credits:
                    await apply_credits(
                        tx, user_id, welcome_credits, LedgerKind.WELCOME, None, None
                    )
            else:
                # Whoever writes to the bot has not blocked it (any more).
                await tx.execute(
                    "UPDATE users SET name = ?, language = ?, last_seen_at = ?,"
                    " unreachable_since = NULL WHERE id = ?",
                    (name, language, now, user_id),
                )
            row = await (
                await tx.execute("SELECT * FROM users WHERE id = ?", (user_id,))
            ).fetchone()
        assert row is not None
        return _user(row), created

    async def get(self, user_id: int) -> User | None:
        row = await self._db.fetch_one("SELECT * FROM users WHERE id = ?", user_id)
        return _user(row) if row else None

    async def accept_terms(self, user_id: int) -> None:
        """Record when the user agreed to the terms of the tools that take a real face."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE users SET terms_accepted_at = ? WHERE id = ?", (utcnow(), user_id)
            )

    async def confirm_adult(self, user_id: int) -> None:
        """Record, once, that the user confirmed they are 18 or older."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE users SET adult_confirmed_at = ? WHERE id = ?"
                " AND adult_confirmed_at IS NULL",
                (utcnow(), user_id),
            )

    async def set_locale(self, user_id: int, locale: str) -> None:
        """Record the language the user chose; it outlasts any change of their Telegram app."""
        async with self._db.transaction() as tx:
            await tx.execute("UPDATE users SET locale = ? WHERE id = ?", (locale, user_id))

    async def set_blocked(self, user_id: int, blocked: bool) -> None:
        async with self._db.transaction() as tx:
            await tx.execute("UPDATE users SET blocked = ? WHERE id = ?", (blocked, user_id))


class LedgerRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def balance(self, user_id: int) -> int:
        row = await self._db.fetch_one("SELECT balance FROM users WHERE id = ?", user_id)
        if row is None:
            raise UnknownUser(user_id)
        return int(row["balance"])

    async def apply(
        self,
        user_id: int,
        amount: int,
        kind: LedgerKind,
        *,
        job_id: str | None = None,
        note: str | None = None,
        admin_id: int | None = None,
    ) -> int:
        """Add `amount` (negative to debit) and return the new balance.

        Raises InsufficientCredits, and writes nothing, if a debit exceeds the balance.
        """
        async with self._db.transaction() as tx:
            return await apply_credits(tx, user_id, amount, kind, job_id, note, admin_id)

    async def history(self, user_id: int, limit: int = 10) -> list[LedgerEntry]:
        rows = await self._db.fetch_all(
            f"{_ROWS_WITH_TOOL} WHERE l.user_id = ? ORDER BY l.id DESC LIMIT ?", user_id, limit
        )
        return [LedgerEntry.model_validate(dict(row)) for row in rows]

    async def page(
        self,
        user_id: int,
        *,
        before: int | None = None,
        after: int | None = None,
        size: int = 10,
    ) -> LedgerPage:
        """`size` rows older than row `before`, or newer than row `after`, or the newest.

        Paging by row id, not by offset, keeps the pages steady while new rows arrive.
        """
        if after is not None:
            rows = await self._db.fetch_all(
                f"{_ROWS_WITH_TOOL} WHERE l.user_id = ? AND l.id > ? ORDER BY l.id LIMIT ?",
                user_id,
                after,
                size + 1,
            )
            entries = [LedgerEntry.model_validate(dict(row)) for row in rows[:size]]
            return LedgerPage(entries=entries[::-1], older=True, newer=len(rows) > size)
        rows = await self._db.fetch_all(
            f"{_ROWS_WITH_TOOL} WHERE l.user_id = ? AND l.id < ? ORDER BY l.id DESC LIMIT ?",
            user_id,
            before if before is not None else 2**63 - 1,
            size + 1,
        )
        entries = [LedgerEntry.model_validate(dict(row)) for row in rows[:size]]
        return LedgerPage(entries=entries, older=len(rows) > size, newer=before is not None)

    async def total(self, user_id: int) -> int:
        """The sum of every ledger row; always equal to the cached balance."""
        row = await self._db.fetch_one(
            "SELECT COALESCE(SUM(amount), 0) AS total FROM ledger WHERE user_id = ?", user_id
        )
        return int(row["total"]) if row else 0


async def apply_credits(
    tx: aiosqlite.Connection,
    user_id: int,
    amount: int,
    kind: LedgerKind,
    job_id: str | None,
    note: str | None,
    admin_id: int | None = None,
) -> int:
    """Change a balance and append its ledger row inside the caller's open transaction."""
    row = await (await tx.execute("SELECT balance FROM users WHERE id = ?", (user_id,))).fetchone()
    if row is None:
        raise UnknownUser(user_id)
    balance = int(row["balance"])
    if balance + amount < 0:
        raise InsufficientCredits(needed=-amount, balance=balance)
    await tx.execute(
        "INSERT INTO ledger (user_id, amount, kind, job_id, note, created_at, admin_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (user_id, amount, kind.value, job_id, note, utcnow(), admin_id),
    )
    await tx.execute("UPDATE users SET balance = ? WHERE id = ?", (balance + amount, user_id))
    return balance + amount


async def mark_unreachable(tx: aiosqlite.Connection, user_id: int) -> None:
    """Record, inside the caller's transaction, that a send to the user was refused because
    they blocked the bot; broadcasts skip them until they write again."""
    await tx.execute(
        "UPDATE users SET unreachable_since = ? WHERE id = ? AND unreachable_since IS NULL",
        (utcnow(), user_id),
    )


def _user(row: aiosqlite.Row) -> User:
    return User.model_validate(dict(row))


def _needs_touch(user: User) -> bool:
    """Whether a contact from the user must be written: they were marked unreachable (and
    whoever writes to the bot has not blocked it), or last_seen_at is too coarse by now."""
    if user.unreachable_since is not None:
        return True
    last_seen = datetime.fromisoformat(user.last_seen_at)
    return datetime.now(UTC) - last_seen >= LAST_SEEN_GRANULARITY
