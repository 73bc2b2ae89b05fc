"""Inline keyboards: buttons laid out in rows."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton

ROW = 2
"""Buttons to a row, where a keyboard does not say otherwise."""

Rows = list[list[InlineKeyboardButton]]


def rows_of(buttons: Sequence[InlineKeyboardButton], width: int = ROW) -> Rows:
    """The buttons in order, `width` to a row."""
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]
