"""Expected durations: starting guesses, learning from finished jobs, kept in SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.scheduler.expectations import (
    DEFAULT_GUESS,
    STARTING_GUESSES,
    Expectation,
    Expectations,
)
from storage.db import Database
from storage.durations import DurationsRepository
from tests.scheduling import MemoryStore


async def test_a_tool_starts_from_its_documented_guess() -> None:
    expectations = Expectations("zencreator", MemoryStore())
    assert expectations.of("faceswap", "SDXL") == Expectation(15.0, learned=False)
    assert expectations.of("lipsync").seconds == STARTING_GUESSES["lipsync"]
    assert expectations.of("a_tool_from_the_future").seconds == DEFAULT_GUESS


async def test_the_first_job_replaces_the_guess_and_later_ones_move_it_a_quarter() -> None:
    store = MemoryStore()
    expectations = Expectations("zencreator", store)
    await expectations.learn("faceswap", "SDXL", 4.0)
    assert expectations.of("faceswap", "SDXL") == Expectation(4.0, learned=True)
    await expectations.learn("faceswap", "SDXL", 8.0)
    assert expectations.of("faceswap", "SDXL").seconds == 5.0
    assert store.saved["zencreator", "faceswap", "SDXL"].samples == 2
    # Each model learns for itself.
    assert expectations.of("faceswap", "FULL_HEAD") == Expectation(15.0, learned=False)


async def test_no_job_is_expected_to_take_no_time() -> None:
    expectations = Expectations("zencreator", MemoryStore())
    await expectations.learn("faceswap", "", 0.0)
    assert expectations.of("faceswap").seconds == pytest.approx(0.1)


async def test_learned_durations_are_kept_in_sqlite_and_loaded_after_a_restart(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "castbot.sqlite3")
    try:
        learning = Expectations("zencreator", DurationsRepository(db))
        await learning.learn("videogen", "wan@2.2", 90.0)
        await learning.learn("videogen", "wan@2.2", 130.0)
        await learning.learn("faceswap", "", 6.0)
        await Expectations("scenario", DurationsRepository(db)).learn("actor_voice", "", 12.0)
    finally:
        await db.close()

    db = await Database.open(tmp_path / "castbot.sqlite3")
    try:
        restarted = Expectations("zencreator", DurationsRepository(db))
        await restarted.load()
        assert restarted.of("videogen", "wan@2.2") == Expectation(100.0, learned=True)
        assert restarted.of("faceswap") == Expectation(6.0, learned=True)
        assert restarted.of("actor_voice").learned is False  # another provider's
        rows = await DurationsRepository(db).of_provider("zencreator")
        assert [(row.tool, row.model, row.samples) for row in rows] == [
            ("faceswap", "", 1),
            ("videogen", "wan@2.2", 2),
        ]
    finally:
        await db.close()
