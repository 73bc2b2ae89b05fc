"""Online backups: a consistent copy of the live database, by /backup and by
`python -m bot backup PATH`, that opens as a valid database with the same ledger."""

from __future__ import annotations

import asyncio
import gzip
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest

import handlers.admin
from bot import texts
from bot.playground.emulator import BotApiEmulator
from storage.backup import NoDatabase, write_backup
from storage.db import Database
from storage.users import LedgerKind, LedgerRepository, UsersRepository
from tests.conftest import RunningBot
from tests.test_main import ROOT, interrupt, launch

ADMIN = 900
LEDGER = "SELECT id, user_id, amount, kind, job_id, note FROM ledger ORDER BY id"


def ledger_of(path: Path) -> list[tuple[Any, ...]]:
    """The ledger of a database file, checked for integrity first."""
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return connection.execute(LEDGER).fetchall()
    finally:
        connection.close()


def unpacked(packed: bytes, folder: Path) -> Path:
    path = folder / "unpacked.sqlite3"
    path.write_bytes(gzip.decompress(packed))
    return path


async def test_a_backup_is_consistent_while_a_write_is_under_way(tmp_path: Path) -> None:
    database = tmp_path / "castbot.sqlite3"
    db = await Database.open(database)
    try:
        await UsersRepository(db).ensure(1, "Ann", "en", welcome_credits=10)
        await LedgerRepository(db).apply(1, 5, LedgerKind.GRANT, note="before")
        committed = ledger_of(database)
        # Another writer holds a transaction open: the backup copies the last committed state.
        writer = sqlite3.connect(database, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE users SET balance = 0")
        try:
            size = await asyncio.to_thread(write_backup, database, tmp_path / "copy.sqlite3")
            packed = await asyncio.to_thread(
                write_backup, database, tmp_path / "out" / "copy.sqlite3.gz"
            )
        finally:
            writer.execute("ROLLBACK")
            writer.close()
    finally:
        await db.close()
    assert size == (tmp_path / "copy.sqlite3").stat().st_size
    assert ledger_of(tmp_path / "copy.sqlite3") == committed and len(committed) == 2
    assert not (tmp_path / "copy.sqlite3-wal").exists()  # one self-contained file
    packed_bytes = (tmp_path / "out" / "copy.sqlite3.gz").read_bytes()
    assert len(packed_bytes) == packed
    assert ledger_of(unpacked(packed_bytes, tmp_path)) == committed
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["copy.sqlite3.gz"]


def test_no_database_is_no_backup(tmp_path: Path) -> None:
    with pytest.raises(NoDatabase):
        write_backup(tmp_path / "missing.sqlite3", tmp_path / "copy.sqlite3")
    assert not (tmp_path / "missing.sqlite3").exists()


async def test_backup_sends_the_admin_a_compressed_copy_with_the_same_ledger(
    telegram: BotApiEmulator, start_bot: Any, tmp_path: Path
) -> None:
    bot: RunningBot = await start_bot(admin_ids=str(ADMIN))
    admin, ann = telegram.user(ADMIN, "Root"), telegram.user(101)
    await ann.send_text("/start")
    await ann.next_message()
    await admin.send_text("/grant 101 7 for the backup")
    await admin.wait_for_text("101")
    await admin.send_text("/backup")
    sent = await admin.next_message()
    assert sent.method == "sendDocument" and sent.file_id
    assert (sent.params["document"].filename or "").endswith(".sqlite3.gz")
    packed = telegram.file_content(sent.file_id)
    assert sent.caption == texts.backup_caption(len(packed))
    rows = await bot.services.db.fetch_all(LEDGER)
    assert ledger_of(unpacked(packed, tmp_path)) == [tuple(row) for row in rows]
    assert len(rows) == 3  # two welcome gifts and the grant

    await ann.send_text("/backup")  # for anyone else the command does not exist
    assert (await ann.next_message()).text == texts.unknown_command("/backup")


async def test_python_m_bot_backup_works_while_the_bot_runs(
    telegram: BotApiEmulator, tmp_path: Path
) -> None:
    ann = telegram.user(101, first_name="Ann")
    database = tmp_path / "castbot.sqlite3"
    running = await launch(telegram, database)
    try:
        await ann.send_text("/start")
        await ann.wait_for_text("Hi Ann", timeout=30)
        target = tmp_path / "backups" / "nightly.sqlite3.gz"
        # As cron runs it: no token, only the database; the running bot holds its lock.
        backup = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "backup",
            str(target),
            cwd=tmp_path,
            env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)}
            | {"DATABASE_PATH": str(database)},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(backup.communicate(), timeout=60)
        assert backup.returncode == 0 and output == b""
        copied = ledger_of(unpacked(target.read_bytes(), tmp_path))
        assert copied == ledger_of(database) and len(copied) == 1
    finally:
        log = await interrupt(running)
    assert running.returncode == 0, log


async def test_python_m_bot_backup_says_in_one_line_what_went_wrong(tmp_path: Path) -> None:
    backup = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "backup",
        str(tmp_path / "copy.sqlite3"),
        cwd=tmp_path,
        env={"PATH": "", "PYTHONPATH": str(ROOT), "DATABASE_PATH": str(tmp_path / "none.db")},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, errors = await asyncio.wait_for(backup.communicate(), timeout=60)
    assert backup.returncode == 1
    line = errors.decode().strip()
    assert "\n" not in line and "Traceback" not in line
    assert line.startswith("castbot: backup failed: there is no database at")


async def test_a_backup_over_the_upload_limit_points_to_the_command(
    telegram: BotApiEmulator, start_bot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await start_bot(admin_ids=str(ADMIN))
    monkeypatch.setattr(handlers.admin, "UPLOAD_LIMIT", 100)
    admin = telegram.user(ADMIN, "Root")
    await admin.send_text("/backup")
    refusal = await admin.next_message()
    assert refusal.method == "sendMessage"
    assert "python -m bot backup PATH" in (refusal.text or "")
