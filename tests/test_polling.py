"""A 409 Conflict is noted once and stops the bot when it repeats within the window."""

from __future__ import annotations

from bot.polling import CONFLICT_WINDOW, ConflictWatch


def test_a_second_conflict_within_the_window_persists() -> None:
    now = [1000.0]
    watch = ConflictWatch(clock=lambda: now[0])
    assert not watch.persists()
    now[0] += CONFLICT_WINDOW + 1
    assert not watch.persists()  # a lone conflict long after the last: a restart's overlap
    now[0] += CONFLICT_WINDOW
    assert watch.persists()
