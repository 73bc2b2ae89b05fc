"""Per-user defaults (/settings): a small JSON object per user, read by every flow."""

from __future__ import annotations

import json
from typing import Any

from storage.db import Database, utcnow


class UserSettingsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, user_id: int) -> dict[str, Any]:
        """The user's settings; {} for a user who changed none."""
        row = await self._db.fetch_one(
            "SELECT settings FROM user_settings WHERE user_id = ?", user_id
        )
        settings: dict[str, Any] = json.loads(row["settings"]) if row else {}
        return settings

    async def put(self, user_id: int, name: str, value: Any) -> dict[str, Any]:
        """Set one setting (None removes it); returns them all."""
        async with self._db.transaction() as tx:
            row = await (
                await tx.execute(
                    "SELECT settings FROM user_settings WHERE user_id = ?", (user_id,)
                )
            ).fetchone()
            settings: dict[str, Any] = json.loads(row["settings"]) if row else {}
            if value is None:
                settings.pop(name, None)
            else:
                settings[name] = value
            await tx.execute(
                "INSERT INTO user_settings (user_id, settings, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (user_id) DO UPDATE SET settings = excluded.settings,"
                " updated_at = excluded.updated_at",
                (user_id, json.dumps(settings), utcnow()),
            )
            return settings
