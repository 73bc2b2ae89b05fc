"""Operator alerts: when each kind was last sent, so one goes out at most once per interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.db import Database


class AlertsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(self, name: str, interval: timedelta) -> bool:
        """Record that alert `name` goes out now; False if it went out within `interval`."""
        now = datetime.now(UTC)
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "INSERT INTO alerts (name, sent_at) VALUES (?, ?) ON CONFLICT (name)"
                " DO UPDATE SET sent_at = excluded.sent_at WHERE alerts.sent_at <= ?",
                (
                    name,
                    now.isoformat(timespec="seconds"),
                    (now - interval).isoformat(timespec="seconds"),
                ),
            )
            return cursor.rowcount == 1
