"""Another process polling the same token.

Telegram lets one getUpdates run per token: a newer one ends the one in progress with 409
Conflict, so two processes end each other's polls in turn and share the updates between
them. Right after a restart a conflict can also be the previous process's last poll, so one
conflict is only noted; a second within CONFLICT_WINDOW means another process is running,
and this one stops, with one line saying so. Once stopped it sends no getUpdates at all:
the one PTB sends on stop (to confirm what it fetched) would end the other process's poll
with one more conflict and make it stop too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from telegram.request import HTTPXRequest

CONFLICT_WINDOW = 60.0
"""Seconds within which a second 409 Conflict stops the bot."""
_NO_UPDATES = b'{"ok": true, "result": []}'


class ConflictWatch:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last: float | None = None
        self.stopped = False
        """Set once the bot stops because another process polls its token."""

    def persists(self) -> bool:
        """Record a 409 Conflict; True when it is the second within the window."""
        now = self._clock()
        repeated = self._last is not None and now - self._last <= CONFLICT_WINDOW
        self._last = now
        return repeated


class WatchedPolls(HTTPXRequest):
    """The connection getUpdates goes through (PTB keeps it apart from other requests)."""

    def __init__(self, watch: ConflictWatch) -> None:
        super().__init__(connection_pool_size=1)  # PTB's own default for getUpdates
        self._watch = watch

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        if self._watch.stopped:
            return HTTPStatus.OK, _NO_UPDATES
        return await super().do_request(*args, **kwargs)
