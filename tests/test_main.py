"""`python -m bot` as an operator runs it: only the token and the Bot API server set."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.playground.emulator import BotApiEmulator

ROOT = Path(__file__).resolve().parent.parent


async def test_python_m_bot_polls_answers_and_stops_cleanly(
    telegram: BotApiEmulator, tmp_path: Path
) -> None:
    ann = telegram.user(101, first_name="Ann")
    await ann.send_text("/start")  # sent while the bot is down: must not be dropped
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_URL": telegram.root_url,
        "DATABASE_PATH": str(tmp_path / "data" / "castbot.sqlite3"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        greeting = await ann.next_message(timeout=30)
        assert "Hi Ann" in (greeting.text or "")
        assert "placeholder" in (greeting.text or "")
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    log = output.decode()
    assert process.returncode == 0, log
    assert "OFFLINE MOCK provider" in log
    assert telegram.token.split(":")[1] not in log
    assert (tmp_path / "data" / "castbot.sqlite3").exists()
