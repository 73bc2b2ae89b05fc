"""Serving the emulator, the web chat and the fakes on 127.0.0.1."""

from __future__ import annotations

from aiohttp import web


async def serve(app: web.Application, port: int = 0) -> tuple[web.AppRunner, str]:
    """Start `app` on `port` (0: an ephemeral one); returns its runner (to clean up) and its
    root URL."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    host, bound_port = runner.addresses[0][:2]
    return runner, f"http://{host}:{bound_port}"
