"""Broadcasts: one message to every user, sent in the background under Telegram's limits.

Every recipient's delivery row is written before the first send (storage/broadcasts.py),
each send is marked before it is made, and unfinished broadcasts resume at start-up, so a
restart in the middle neither loses recipients nor sends anyone the message twice.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot
from telegram.error import Forbidden, RetryAfter, TelegramError

from bot import texts
from bot.courier import retry_after_seconds
from providers.ratelimit import SlidingWindow
from storage.broadcasts import Broadcast, BroadcastsRepository

log = logging.getLogger(__name__)

# Telegram allows about 30 messages a second in all; leave room for everyone else's replies.
SENDS_PER_WINDOW = 25
WINDOW_SECONDS = 1


class Broadcaster:
    def __init__(self, broadcasts: BroadcastsRepository, bot: Bot) -> None:
        self._broadcasts = broadcasts
        self._bot = bot
        # Read when constructed, so tests can slow broadcasts down by patching the module.
        self._throttle = SlidingWindow(SENDS_PER_WINDOW, WINDOW_SECONDS, name="broadcast")
        self._tasks: dict[int, asyncio.Task[None]] = {}

    async def create(self, admin_id: int, chat_id: int, text: str) -> tuple[Broadcast, int]:
        """Store a broadcast and its recipients; returns it with the number of recipients."""
        return await self._broadcasts.create(admin_id, chat_id, text)

    def launch(self, broadcast_id: int) -> None:
        """Send a stored broadcast in the background, unless it is being sent already."""
        if broadcast_id in self._tasks:
            return
        task = asyncio.create_task(self._run(broadcast_id), name=f"broadcast-{broadcast_id}")
        self._tasks[broadcast_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(broadcast_id, None))

    async def start(self) -> None:
        """Resume every broadcast a stop or crash interrupted."""
        for broadcast in await self._broadcasts.unfinished():
            await self._broadcasts.give_up_interrupted(broadcast.id)
            self.launch(broadcast.id)

    async def stop(self) -> None:
        """Stop sending; what is left resumes at the next start."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, broadcast_id: int) -> None:
        try:
            broadcast = await self._broadcasts.get(broadcast_id)
            assert broadcast is not None
            for user_id in await self._broadcasts.pending(broadcast_id):
                await self._throttle.acquire()
                if await self._broadcasts.begin(broadcast_id, user_id):
                    await self._deliver(broadcast, user_id)
            counts = await self._broadcasts.finish(broadcast_id)
            if counts is not None:
                await self._bot.send_message(
                    broadcast.chat_id, texts.broadcast_report(broadcast_id, counts)
                )
        except asyncio.CancelledError:
            raise
        except Exception:
            # What is not recorded as sent yet is sent when the bot next starts.
            log.exception("broadcast %s stopped by an unexpected error", broadcast_id)

    async def _deliver(self, broadcast: Broadcast, user_id: int) -> None:
        while True:
            try:
                await self._bot.send_message(user_id, broadcast.text)
            except RetryAfter as err:
                # Telegram did not take the message: waiting and sending it again is safe.
                await asyncio.sleep(retry_after_seconds(err))
                continue
            except Forbidden:
                await self._broadcasts.blocked(broadcast.id, user_id)
            except TelegramError as err:
                # Also a timeout: the message may have arrived, so it is not sent again.
                log.warning("broadcast %s to %s failed: %r", broadcast.id, user_id, err)
                await self._broadcasts.failed(broadcast.id, user_id, err.message)
            else:
                await self._broadcasts.sent(broadcast.id, user_id)
            return
