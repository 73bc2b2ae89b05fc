"""Single-flight uploads: a file goes to the provider once, however many jobs need it at once.

The asset cache (storage/assets.py) remembers the provider's asset id of every Telegram file
uploaded before, by its `file_unique_id`. Jobs that start together with the same photo would
all miss the cache and each upload it; here the first one uploads it and the others wait for
that upload's asset id (or its error).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.tools import FileInput
from providers.base import GenerationProvider
from storage.assets import AssetCache

log = logging.getLogger(__name__)

Fetch = Callable[[str], Awaitable[bytes]]
"""Download a Telegram file by its file_id."""


class SingleFlightUploads:
    """The provider's asset id of a job's file input, uploading each file at most once."""

    def __init__(self, provider: GenerationProvider, cache: AssetCache, fetch: Fetch) -> None:
        self._provider = provider
        self._cache = cache
        self._fetch = fetch
        self._flights: dict[str, asyncio.Task[str]] = {}
        """Uploads under way, by file_unique_id."""

    async def asset_id(self, file: FileInput) -> str:
        """The asset id of `file`: as given, cached, or uploaded now (once for all askers).

        Every asker waiting for one upload gets its error when it fails; the next asker
        tries again. An asker cancelled while waiting does not stop the upload for others.
        """
        if file.asset_id is not None:
            return file.asset_id
        assert file.file_id is not None and file.file_unique_id is not None
        key = file.file_unique_id
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.create_task(self._upload(file), name=f"upload-{key}")
            self._flights[key] = flight
            flight.add_done_callback(lambda done: self._landed(key, done))
        return await asyncio.shield(flight)

    async def asset_ids(self, files: list[FileInput]) -> dict[str, str]:
        """The asset id of each of a job's files, by field, all asked for at once.

        Together, a job's uploads take their places in the budget's line side by side; one
        after the other, each next file would wait behind every other job's first one.
        """
        asset_ids = await asyncio.gather(*(self.asset_id(file) for file in files))
        return {file.field: asset_id for file, asset_id in zip(files, asset_ids, strict=True)}

    async def aclose(self) -> None:
        """Stop the uploads under way (at shutdown); their jobs upload again when resumed."""
        flights = list(self._flights.values())
        for flight in flights:
            flight.cancel()
        await asyncio.gather(*flights, return_exceptions=True)

    async def _upload(self, file: FileInput) -> str:
        assert file.file_id is not None and file.file_unique_id is not None
        provider = self._provider.name
        cached = await self._cache.get(provider, file.file_unique_id)
        if cached:
            return cached
        data = await self._fetch(file.file_id)
        asset_id = await self._provider.upload(data, file.kind, file.filename)
        await self._cache.put(provider, file.file_unique_id, asset_id)
        return asset_id

    def _landed(self, key: str, flight: asyncio.Task[str]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
        if not flight.cancelled() and (error := flight.exception()) is not None:
            # Retrieved here so that an upload whose askers all left is still logged once.
            log.info("upload of %s failed: %r", key, error)
