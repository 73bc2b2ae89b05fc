"""The database's process lock: exclusive while held, free once released."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.lock import DatabaseInUse, DatabaseLock


def test_the_lock_is_exclusive_and_names_its_holder(tmp_path: Path) -> None:
    database = tmp_path / "data" / "castbot.sqlite3"
    with DatabaseLock(database) as held:
        assert held.path == tmp_path / "data" / "castbot.sqlite3.lock"
        with pytest.raises(DatabaseInUse) as refused, DatabaseLock(database):
            pass
        message = str(refused.value)
        assert "pid" in message and str(database) in message and "\n" not in message
    with DatabaseLock(database):
        pass  # released: the next holder gets it
