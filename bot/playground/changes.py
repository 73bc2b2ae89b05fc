"""How the emulator and the fakes let tests wait on events instead of sleeping."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable


class Changes:
    """Wakes every waiter whenever the server's state changes, so it can re-check its predicate."""

    def __init__(self) -> None:
        self._changed = asyncio.Event()

    def notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """True once `predicate` holds; False if it still does not after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                return predicate()
        return True

    async def wait_until(
        self, predicate: Callable[[], bool], timeout: float, history: Callable[[], str]
    ) -> None:
        """Wait until `predicate` holds; after `timeout` seconds, TimeoutError with the
        predicate's source and what `history` says happened."""
        if not await self.wait_for(predicate, timeout):
            try:
                source = inspect.getsource(predicate).strip()
            except (OSError, TypeError):
                source = repr(predicate)
            raise TimeoutError(f"still false after {timeout}s: {source}\n{history()}")


class Hold:
    """One request a server keeps waiting until the test releases it.

    Tests freeze the code under test at a precise step this way (a crash at that step, a
    request in flight), never with sleeps. The server asks `catches` for each matching
    request: the one after `skip` others is held, the rest pass.
    """

    def __init__(self, changes: Changes, skip: int = 0) -> None:
        self._changes = changes
        self._skip = skip
        self._released = asyncio.Event()
        self.reached = False
        """Whether the held request has arrived."""

    def catches(self) -> bool:
        if self.reached:
            return False
        if self._skip:
            self._skip -= 1
            return False
        self.reached = True
        self._changes.notify()
        return True

    async def wait_reached(self, timeout: float = 5.0) -> None:
        if not await self._changes.wait_for(lambda: self.reached, timeout):
            raise TimeoutError(f"no request reached the hold within {timeout}s")

    async def held(self) -> None:
        """What the server awaits for the held request."""
        await self._released.wait()

    def release(self) -> None:
        self._released.set()
