"""What the flow needs beyond the catalog: the provider's lists (styles, templates,
photoshoot categories), cached and filtered by the content policy, and who may see NSFW.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

from bot import texts
from bot.catalog.model import Entry, Measures, Source, SourceItem, Sources, Value, resolve
from bot.video import VideoInfo, measure
from providers.base import GenerationProvider
from providers.errors import ProviderError
from providers.models import CatalogItem
from storage.users import User

log = logging.getLogger(__name__)

LIST_TTL = 15 * 60.0
"""Seconds a fetched list is reused before it is asked for again."""
FAILED_LIST_TTL = 60.0
"""A list that could not be fetched is offered empty, and asked for again this soon."""

UNDRESSING = re.compile(
    r"undress|unclothe|nud(e|ity)|naked|strip|topless|cloth(es|ing)[ -]?(off|remov)"
    r"|remov\w* (the |her |his |their )?cloth",
    re.IGNORECASE,
)
"""Names and descriptions that offer undressing: such entries are never shown."""


def offers_undressing(item: CatalogItem) -> bool:
    return bool(UNDRESSING.search(item.name) or UNDRESSING.search(item.description))


STYLES_SCOPE_SEPARATOR = ":"


def styles_scope(tool: str, field: str) -> str:
    """The scope of the named styles a tool's schema lists for one field."""
    return f"{tool}{STYLES_SCOPE_SEPARATOR}{field}"


class ProviderLists:
    """The provider's lists, fetched when first needed and kept for `ttl` seconds."""

    def __init__(
        self,
        provider: GenerationProvider,
        ttl: float = LIST_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._provider = provider
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[tuple[Source, str], tuple[float, list[SourceItem]]] = {}

    async def items(self, source: Source, scope: str = "") -> list[SourceItem]:
        """The list as offered, without anything that offers undressing; `scope` is the
        model LoRAs are listed for, the tool templates are for ("": all), or the tool and
        field named styles are listed for (`styles_scope`)."""
        key = (source, scope)
        cached = self._cache.get(key)
        now = self._clock()
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            fetched = await self._fetch(source, scope)
        except ProviderError as err:
            log.warning("could not fetch the provider's %s: %r", source.value, err)
            self._cache[key] = (now + FAILED_LIST_TTL, [])
            return []
        items = [
            SourceItem(item.id, item.name or item.id)
            for item in fetched
            if not offers_undressing(item)
        ]
        self._cache[key] = (now + self._ttl, items)
        return items

    async def _fetch(self, source: Source, scope: str) -> list[CatalogItem]:
        if source is Source.STYLES:
            tool, _, field = scope.partition(STYLES_SCOPE_SEPARATOR)
            names = (await self._provider.tool(tool)).listed_names(field)
            return [CatalogItem(id=name, name=texts.style_label(name)) for name in names]
        if source is Source.LORAS:
            return await self._provider.loras(scope or None)
        if source is Source.TEMPLATES:
            # A template names the tool its preset is for; offer those of this tool only.
            return [
                template
                for template in await self._provider.templates()
                if not scope or template.tool in (None, scope)
            ]
        return await self._provider.photoshoot_categories()


MEASURED_VIDEO_LIMIT = 2000 * 1024 * 1024
"""The largest video result measured for a price (one kept at the AI service is never sent
again, so Telegram's limits do not apply)."""


class Studio:
    """The flow's view of the provider and the content policy."""

    def __init__(self, provider: GenerationProvider, allow_nsfw: bool) -> None:
        self._provider = provider
        self.lists = ProviderLists(provider)
        self._allow_nsfw = allow_nsfw

    async def download(self, url: str, max_bytes: int) -> bytes | None:
        """The bytes of a small result (to keep a generated face as an actor's photo); None
        when it cannot be fetched (gone from the AI service) or is over `max_bytes`."""
        buffer = io.BytesIO()
        try:
            await self._provider.download(url, buffer, max_bytes)
        except ProviderError as err:
            log.warning("could not fetch a result to keep it: %r", err)
            return None
        return buffer.getvalue()

    async def measure_video(self, url: str) -> VideoInfo | None:
        """The size, length and frame rate of a video result, downloaded to a temporary file
        (nothing is uploaded); None when it cannot be fetched or read."""
        with tempfile.TemporaryDirectory(prefix="castbot-result-") as folder:
            path = Path(folder) / "video"
            try:
                with path.open("wb") as file:
                    await self._provider.download(url, file, MEASURED_VIDEO_LIMIT)
            except ProviderError as err:
                log.warning("could not fetch a video result to measure it: %r", err)
                return None
            return await asyncio.to_thread(measure, path)

    def adult(self, user: User) -> bool:
        """Whether NSFW models may be offered to this user."""
        return self._allow_nsfw and user.adult_confirmed_at is not None

    def may_confirm_adult(self, user: User) -> bool:
        """Whether to offer the 18+ confirmation (NSFW is allowed; not confirmed yet)."""
        return self._allow_nsfw and user.adult_confirmed_at is None

    async def sources(self, entry: Entry, options: Mapping[str, Value]) -> Sources:
        """The fetched values of the entry's source options (styles for the chosen model).

        Fetched whether or not an option applies now: whether a required one has values
        decides which choices that would make it apply are offered.
        """
        sources: dict[str, list[SourceItem]] = {}
        for option in entry.options:
            if option.source is None:
                continue
            model = options.get("model")
            key = model if isinstance(model, str) else ""
            if option.source is Source.TEMPLATES:
                key = entry.tool.name  # templates are listed per tool, LoRAs per model
            elif option.source is Source.STYLES:
                key = styles_scope(entry.tool.name, option.field)
            elif option.scope is not None:
                key = option.scope
            sources[option.field] = await self.lists.items(option.source, key)
        return sources

    async def options(
        self,
        entry: Entry,
        chosen: Mapping[str, Value],
        defaults: Mapping[str, Value],
        adult: bool,
        measures: Measures,
    ) -> tuple[dict[str, Value], Sources]:
        """The job's options (see `resolve`) and the provider lists they were chosen from."""
        sources = await self.sources(
            entry, {**resolve(entry, chosen, defaults, adult, {}, measures), **chosen}
        )
        return resolve(entry, chosen, defaults, adult, sources, measures), sources


ALBUM_SETTLE_SECONDS = 1.0
"""An album is complete once no photo of it arrived for this long."""


class AlbumSettler:
    """Runs a callback once a user's album stops arriving: each photo restarts the wait.

    Telegram delivers an album as one update per photo; the flow saves each as it comes
    and moves on only once they stopped, so an album is one answer.
    """

    def __init__(self, delay: float | None = None) -> None:
        self._delay = ALBUM_SETTLE_SECONDS if delay is None else delay
        self._tasks: dict[int, asyncio.Task[None]] = {}

    def call_later(self, user_id: int, callback: Callable[[], Awaitable[None]]) -> None:
        previous = self._tasks.pop(user_id, None)
        if previous is not None:
            previous.cancel()
        self._tasks[user_id] = asyncio.create_task(
            self._run(user_id, callback), name=f"album-{user_id}"
        )

    def pending(self, user_id: int) -> bool:
        return user_id in self._tasks

    async def _run(self, user_id: int, callback: Callable[[], Awaitable[None]]) -> None:
        await asyncio.sleep(self._delay)
        # From here a newer photo cannot cancel it: the flow's revision decides the race.
        if self._tasks.get(user_id) is asyncio.current_task():
            del self._tasks[user_id]
        try:
            await callback()
        except Exception:
            log.exception("could not finish the album of user %s", user_id)

    async def stop(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
