"""One process per database: an exclusive lock on a file beside it, held for the process's life.

Two bot processes on one database would each resume the other's jobs and answer the same
users. `flock` locks belong to the open file, so the kernel drops the lock the moment the
process ends, however it ends (SIGKILL included): a restart never finds a stale lock.
Reading the database (a backup) needs no lock; SQLite's own locking keeps that safe.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType


class DatabaseInUse(Exception):
    """Another process holds the database's lock; the message is one line for the operator."""

    def __init__(self, database: Path, holder: str) -> None:
        running = f"another castbot process ({holder})" if holder else "another castbot process"
        super().__init__(
            f"{running} is already running on {database}; stop it first, or set DATABASE_PATH"
            " to another database"
        )


class DatabaseLock:
    """`with DatabaseLock(path):` holds `<database>.lock` exclusively, or raises DatabaseInUse."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = database.with_name(database.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip()
            os.close(fd)
            raise DatabaseInUse(self.database, holder) from None
        # Who holds it, for the message a second process prints.
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> DatabaseLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
