"""Online backups: a consistent copy of the live database, made with SQLite's backup API.

The copy is read through a connection of its own, so it takes no process lock and the bot
goes on reading and writing meanwhile (WAL): SQLite copies one consistent snapshot, never a
transaction halfway. The copy is a single self-contained file (no WAL beside it), written
under a temporary name and moved into place only once complete.
"""

from __future__ import annotations

import gzip
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path


class NoDatabase(Exception):
    """There is no database at the path to back up."""

    def __init__(self, database: Path) -> None:
        super().__init__(f"there is no database at {database} (check DATABASE_PATH)")


def write_backup(database: Path, target: Path) -> int:
    """Copy `database` to `target`, gzip-compressed when its name ends in .gz; returns the
    size of what was written. Blocking: run it in a thread from async code."""
    if not database.is_file():
        raise NoDatabase(database)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".backup-") as work:
        copy = Path(work) / "copy.sqlite3"
        source = sqlite3.connect(database)
        try:
            destination = sqlite3.connect(copy)
            try:
                source.backup(destination)
                destination.execute("PRAGMA journal_mode = DELETE")
            finally:
                destination.close()
        finally:
            source.close()
        written = copy
        if target.name.endswith(".gz"):
            written = Path(work) / "copy.sqlite3.gz"
            with copy.open("rb") as plain, gzip.open(written, "wb") as packed:
                shutil.copyfileobj(plain, packed)
        os.replace(written, target)
    return target.stat().st_size
