"""Read-only figures for the operator's /stats, across users, jobs, ledger and payments."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel

from storage.db import Database


class JobCount(BaseModel):
    tool: str
    state: str
    count: int


class Totals(BaseModel):
    """Money figures over one period."""

    credits_spent: int
    credits_refunded: int
    stars_received: int
    stars_refunded: int


class Overview(BaseModel):
    users: int
    active_day: int
    active_week: int
    blocked: int
    unreachable: int
    jobs_day: list[JobCount]
    day: Totals
    all_time: Totals


class DayCount(BaseModel):
    day: str
    """YYYY-MM-DD, in UTC."""
    key: str
    """What is counted: a tool's name, or "" for a plain total."""
    count: int


class Daily(BaseModel):
    """Per-day figures since a day, for the /stats chart."""

    jobs: list[DayCount]
    """Jobs charged per day and tool (quotes nobody confirmed are not jobs)."""
    credits_sold: list[DayCount]
    """Credits bought per day, with packs and plans."""


class StatsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def overview(self) -> Overview:
        now = datetime.now(UTC)
        day = _iso(now - timedelta(days=1))
        week = _iso(now - timedelta(days=7))
        users = await self._db.fetch_one(
            "SELECT COUNT(*) AS users,"
            " COALESCE(SUM(last_seen_at >= ?), 0) AS active_day,"
            " COALESCE(SUM(last_seen_at >= ?), 0) AS active_week,"
            " COALESCE(SUM(blocked), 0) AS blocked,"
            " COALESCE(SUM(unreachable_since IS NOT NULL), 0) AS unreachable"
            " FROM users",
            day,
            week,
        )
        assert users is not None
        jobs = await self._db.fetch_all(
            "SELECT tool, state, COUNT(*) AS count FROM jobs WHERE created_at >= ?"
            " GROUP BY tool, state ORDER BY tool, state",
            day,
        )
        return Overview(
            **dict(users),
            jobs_day=[JobCount.model_validate(dict(row)) for row in jobs],
            day=await self._totals(day),
            all_time=await self._totals(""),
        )

    async def daily(self, first_day: date) -> Daily:
        """Figures of every day from `first_day` (UTC) on."""
        since = first_day.isoformat()
        jobs = await self._db.fetch_all(
            "SELECT substr(created_at, 1, 10) AS day, tool AS key, COUNT(*) AS count FROM jobs"
            " WHERE created_at >= ? AND state NOT IN ('quoted', 'declined')"
            " GROUP BY day, tool ORDER BY day, tool",
            since,
        )
        sold = await self._db.fetch_all(
            "SELECT substr(created_at, 1, 10) AS day, '' AS key, SUM(credits) AS count"
            " FROM payments WHERE created_at >= ? GROUP BY day ORDER BY day",
            since,
        )
        return Daily(
            jobs=[DayCount.model_validate(dict(row)) for row in jobs],
            credits_sold=[DayCount.model_validate(dict(row)) for row in sold],
        )

    async def _totals(self, since: str) -> Totals:
        ledger = await self._db.fetch_one(
            "SELECT COALESCE(SUM(CASE WHEN kind = 'charge' THEN -amount END), 0) AS spent,"
            " COALESCE(SUM(CASE WHEN kind = 'refund' THEN amount END), 0) AS refunded"
            " FROM ledger WHERE created_at >= ?",
            since,
        )
        received = await self._db.fetch_one(
            "SELECT COALESCE(SUM(stars), 0) AS stars FROM payments WHERE created_at >= ?", since
        )
        refunded = await self._db.fetch_one(
            "SELECT COALESCE(SUM(stars), 0) AS stars FROM payments WHERE refunded_at >= ?", since
        )
        assert ledger is not None and received is not None and refunded is not None
        return Totals(
            credits_spent=ledger["spent"],
            credits_refunded=ledger["refunded"],
            stars_received=received["stars"],
            stars_refunded=refunded["stars"],
        )


def _iso(moment: datetime) -> str:
    """The format of storage.db.utcnow, so stored timestamps compare as text."""
    return moment.isoformat(timespec="seconds")
