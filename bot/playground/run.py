"""`python -m bot playground`: the emulator, the web chat and the real bot in one process."""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import sys
from contextlib import AsyncExitStack
from pathlib import Path
from types import TracebackType
from typing import Self

from bot.app import CastbotApplication, build_application, start_polling, stop_polling
from bot.config import Settings
from bot.playground.emulator import BotApiEmulator
from bot.playground.webchat import PlaygroundUser, WebChat

log = logging.getLogger(__name__)

# Local and fixed: nothing leaves 127.0.0.1, so the token guards nothing (it only has the
# shape the settings expect of a token).
TOKEN = "100000:castbot-playground-local-token"
BOT_USERNAME = "castbot_playground_bot"
DEFAULT_PORT = 8080
DEFAULT_DATABASE = Path("data/playground.sqlite3")
POLL_TIMEOUT = 10  # seconds of each getUpdates long poll
USERS = [
    PlaygroundUser(1001, "Ann"),
    PlaygroundUser(1002, "Bob"),
    PlaygroundUser(1003, "Ada", admin=True),
]


def settings_overrides(database: Path) -> dict[str, object]:
    """What the playground sets whatever the environment says; the Bot API URL is added
    once the emulator listens."""
    return {
        "telegram_bot_token": TOKEN,
        "database_path": database,
        "admin_ids": frozenset(user.id for user in USERS if user.admin),
    }


class Playground:
    """The Bot API emulator, the web chat on `port`, and the bot long-polling the emulator."""

    def __init__(self, settings: Settings, *, port: int) -> None:
        self._settings = settings
        self._stack = AsyncExitStack()
        self.telegram = BotApiEmulator(token=TOKEN, username=BOT_USERNAME)
        self.web = WebChat(self.telegram, USERS, port=port)
        self.application: CastbotApplication | None = None

    @property
    def url(self) -> str:
        return self.web.url

    async def __aenter__(self) -> Self:
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(self.telegram)
            await stack.enter_async_context(self.web)
            settings = self._settings.model_copy(
                update={"telegram_api_url": self.telegram.root_url}
            )
            self.application = build_application(settings)
            await start_polling(self.application, poll_timeout=POLL_TIMEOUT)
            stack.push_async_callback(stop_polling, self.application)
            self._stack = stack.pop_all()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stack.aclose()


def run(settings: Settings, *, port: int) -> int:
    """Serve the playground until Ctrl+C or SIGTERM; the exit status."""
    forget_previous_run(settings.database_path)
    try:
        asyncio.run(_serve_until_stopped(settings, port))
    except OSError as err:
        if err.errno != errno.EADDRINUSE:
            raise
        print(f"castbot: port {port} is in use; choose another with --port", file=sys.stderr)
        return 2
    return 0


def forget_previous_run(database: Path) -> None:
    """Delete the playground's database: the emulator keeps its chats and files in memory
    only, so file ids stored by an earlier run would point at nothing."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


async def _serve_until_stopped(settings: Settings, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(stop_signal, stop.set)
    async with Playground(settings, port=port) as playground:
        log.info("the Bot API emulator listens at %s", playground.telegram.root_url)
        print(f"castbot playground: open {playground.url} (Ctrl+C stops it)", flush=True)
        await stop.wait()
    log.info("playground stopped")
