"""The web chat as its page sees it: the live stream, read the way a browser reads it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

from bot.playground.emulator import JSON


class EventStream:
    """The page's Server-Sent Events, read as the browser's EventSource reads them."""

    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.aiter_lines()

    async def next(self) -> tuple[str, Any]:
        name, data = "", []
        async for line in self._lines:
            if not line:
                if name:
                    return name, json.loads("\n".join(data))
                continue
            field, _, value = line.partition(": ")
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
        raise AssertionError("the stream ended")

    async def wait_for(
        self, name: str, matches: Callable[[Any], bool] = lambda data: True, timeout: float = 5
    ) -> Any:
        """The next `name` event whose data matches (earlier events are skipped)."""
        async with asyncio.timeout(timeout):
            while True:
                event, data = await self.next()
                if event == name and matches(data):
                    return data

    async def message(
        self, chat_id: int, matches: Callable[[JSON], bool], timeout: float = 5
    ) -> JSON:
        """The next message event of this chat whose Message matches."""
        data = await self.wait_for(
            "message",
            lambda data: data["chat_id"] == chat_id and matches(data["message"]),
            timeout,
        )
        message: JSON = data["message"]
        return message


def from_bot(fragment: str) -> Callable[[JSON], bool]:
    return lambda message: message["from"]["is_bot"] and fragment in message.get("text", "")


@asynccontextmanager
async def live(client: httpx.AsyncClient) -> AsyncIterator[EventStream]:
    async with client.stream("GET", "/api/events") as response:
        assert response.headers["content-type"] == "text/event-stream"
        yield EventStream(response)
