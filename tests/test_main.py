"""`python -m bot` as an operator runs it: only the token and the Bot API server set."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.playground.emulator import BotApiEmulator

ROOT = Path(__file__).resolve().parent.parent


async def launch(
    telegram: BotApiEmulator, database: Path, **variables: str
) -> asyncio.subprocess.Process:
    """`python -m bot` on the emulator, with its output (stdout and stderr) in a pipe."""
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_URL": telegram.root_url,
        "DATABASE_PATH": str(database),
        **variables,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=database.parent,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def interrupt(process: asyncio.subprocess.Process) -> str:
    """Stop the process as Ctrl-C does; returns everything it printed."""
    if process.returncode is None:
        process.send_signal(signal.SIGINT)
    output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    return output.decode()


async def test_python_m_bot_polls_answers_and_stops_cleanly(
    telegram: BotApiEmulator, tmp_path: Path
) -> None:
    ann = telegram.user(101, first_name="Ann")
    await ann.send_text("/start")  # sent while the bot is down: must not be dropped
    (tmp_path / "data").mkdir()
    process = await launch(telegram, tmp_path / "data" / "castbot.sqlite3")
    try:
        greeting = await ann.next_message(timeout=30)
        assert "Hi Ann" in (greeting.text or "")
        assert "placeholder" in (greeting.text or "")
    finally:
        log = await interrupt(process)
    assert process.returncode == 0, log
    assert "OFFLINE MOCK provider" in log
    assert telegram.token.split(":")[1] not in log
    assert (tmp_path / "data" / "castbot.sqlite3").exists()


async def test_a_second_process_on_the_same_database_refuses_to_start(
    telegram: BotApiEmulator, tmp_path: Path
) -> None:
    ann = telegram.user(101, first_name="Ann")
    database = tmp_path / "castbot.sqlite3"
    first = await launch(telegram, database)
    try:
        await ann.send_text("/start")
        await ann.wait_for_text("Hi Ann", timeout=30)

        second = await launch(telegram, database)
        output, _ = await asyncio.wait_for(second.communicate(), timeout=30)
        assert second.returncode == 1
        line = output.decode().strip()
        assert line.count("\n") == 0 and "Traceback" not in line
        assert f"pid {first.pid}" in line and str(database) in line
        assert "already running" in line

        # The first one never noticed.
        await ann.send_text("/balance")
        await ann.wait_for_text("10 credits", timeout=10)
    finally:
        first.kill()  # SIGKILL: the kernel drops the lock with the process
        await first.wait()

    third = await launch(telegram, database)
    try:
        await ann.send_text("/balance")
        await ann.wait_for_text("10 credits", timeout=30)
    finally:
        log = await interrupt(third)
    assert third.returncode == 0, log


async def test_a_second_process_on_the_same_token_ends_the_tug_of_war_with_one_line(
    telegram: BotApiEmulator, tmp_path: Path
) -> None:
    ann = telegram.user(101, first_name="Ann")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = await launch(telegram, tmp_path / "a" / "castbot.sqlite3")
    await ann.send_text("/start")
    await ann.wait_for_text("Hi Ann", timeout=30)
    second = await launch(telegram, tmp_path / "b" / "castbot.sqlite3")
    processes = {first, second}
    survivor = second
    try:
        # Each one's getUpdates ends the other's with 409 Conflict until one of them gives up.
        done, _ = await asyncio.wait(
            [asyncio.create_task(process.wait()) for process in processes],
            timeout=30,
            return_when=asyncio.FIRST_COMPLETED,
        )
        assert len(done) == 1
        stopped = next(process for process in processes if process.returncode is not None)
        survivor = (processes - {stopped}).pop()
        log = await interrupt(stopped)
        assert stopped.returncode == 1, log
        assert "Traceback" not in log
        assert log.count("another process is polling Telegram with this bot's token") == 1

        await ann.send_text("/help")
        await ann.wait_for_text("/balance", timeout=10)
    finally:
        survivor_log = await interrupt(survivor)
        await interrupt(first)
    assert survivor.returncode == 0, survivor_log
    assert "Traceback" not in survivor_log
