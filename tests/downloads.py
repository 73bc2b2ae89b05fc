"""Reading a provider output whole, for tests that check its bytes."""

from __future__ import annotations

import io

from providers.base import GenerationSource

TEST_LIMIT = 64 * 1024 * 1024


async def download_bytes(source: GenerationSource, url: str, max_bytes: int = TEST_LIMIT) -> bytes:
    """Stream an output into memory (test outputs are small) and return its bytes."""
    buffer = io.BytesIO()
    await source.download(url, buffer, max_bytes)
    return buffer.getvalue()
