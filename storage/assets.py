"""Provider asset ids cached by Telegram's file_unique_id, so a file is uploaded once."""

from __future__ import annotations

from storage.db import Database, utcnow


class AssetCache:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, provider: str, file_unique_id: str) -> str | None:
        row = await self._db.fetch_one(
            "SELECT asset_id FROM asset_cache WHERE provider = ? AND file_unique_id = ?",
            provider,
            file_unique_id,
        )
        return str(row["asset_id"]) if row else None

    async def put(self, provider: str, file_unique_id: str, asset_id: str) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO asset_cache (provider, file_unique_id, asset_id, created_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (provider, file_unique_id)"
                " DO UPDATE SET asset_id = excluded.asset_id",
                (provider, file_unique_id, asset_id, utcnow()),
            )
