"""Provider outputs are streamed to a file, never held whole, and cut off past the limit."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from providers.errors import OutputTooLargeError
from providers.zencreator import ZenCreatorClient

MB = 1024 * 1024
CHUNK = b"\x00" * (64 * 1024)
URL = "https://cdn.example.com/outputs/video.mp4"


class Body:
    """A response body produced chunk by chunk; counts what the client pulled."""

    def __init__(self, size: int, fail_after: int | None = None) -> None:
        self.size = size
        self.fail_after = fail_after
        self.pulled = 0

    async def chunks(self) -> AsyncIterator[bytes]:
        sent = 0
        while sent < self.size:
            if self.fail_after is not None and self.pulled >= self.fail_after:
                self.fail_after = None  # only the first attempt breaks
                raise httpx.ReadError("connection reset mid-body")
            piece = CHUNK[: self.size - sent]
            sent += len(piece)
            self.pulled += 1
            yield piece


class Sink(io.RawIOBase):
    """A file that keeps only the count of the bytes written to it."""

    def __init__(self) -> None:
        super().__init__()
        self.written = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:
        self.written += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self.written = offset
        return offset

    def truncate(self, size: int | None = None) -> int:
        return self.written


def client_for(body: Body, *, declared: bool) -> ZenCreatorClient:
    async def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Length": str(body.size)} if declared else {}
        return httpx.Response(200, headers=headers, content=body.chunks())

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return ZenCreatorClient("key", http_client=http, sleep=no_sleep)


async def no_sleep(_: float) -> None:
    return None


async def test_a_big_output_streams_through_flat_memory() -> None:
    body = Body(64 * MB)
    client = client_for(body, declared=True)
    sink = Sink()
    tracemalloc.start()
    try:
        size = await client.download(URL, sink, max_bytes=100 * MB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size == sink.written == 64 * MB
    assert peak < 4 * MB  # 64 MB went through; never more than a few chunks at once


async def test_a_declared_size_over_the_limit_is_refused_before_the_body() -> None:
    body = Body(60 * MB)
    client = client_for(body, declared=True)
    with pytest.raises(OutputTooLargeError) as refused:
        await client.download(URL, io.BytesIO(), max_bytes=50 * MB)
    assert (refused.value.size, refused.value.limit) == (60 * MB, 50 * MB)
    assert body.pulled == 0


async def test_an_undeclared_size_is_cut_off_at_the_limit(tmp_path: Path) -> None:
    body = Body(60 * MB)
    client = client_for(body, declared=False)
    target = tmp_path / "output"
    with target.open("wb") as file, pytest.raises(OutputTooLargeError):
        await client.download(URL, file, max_bytes=2 * MB)
    assert body.pulled <= 2 * MB // len(CHUNK) + 1
    assert target.stat().st_size <= 2 * MB


async def test_a_retried_download_starts_the_file_over(tmp_path: Path) -> None:
    body = Body(1 * MB, fail_after=5)
    client = client_for(body, declared=True)
    target = tmp_path / "output"
    with target.open("w+b") as file:
        size = await client.download(URL, file, max_bytes=2 * MB)
    assert size == 1 * MB
    assert target.read_bytes() == bytes(1 * MB)
