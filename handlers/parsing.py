"""Numbers in what users type and in the data of the buttons they press.

Both can be anything: a modified client sends any callback data, and a typed id can be sixty
digits long. Only ASCII digits make a number here (`"²".isdigit()` is true, yet int()
refuses it), and only a number Telegram could use (ids have at most 52 significant bits):
a larger one is no id and no sensible amount, and could overflow SQLite's integers.
Anything else is None, which callers refuse politely.
"""

from __future__ import annotations

import re

LARGEST = 2**53 - 1
_INTEGER = re.compile(r"-?[0-9]{1,16}")


def integer(text: str) -> int | None:
    """The whole number `text` spells, or None."""
    if not _INTEGER.fullmatch(text):
        return None
    value = int(text)
    return value if abs(value) <= LARGEST else None


def number_after(prefix: str, data: str | None) -> int | None:
    """The number a button's callback data carries after `prefix`, or None."""
    if data is None or not data.startswith(prefix):
        return None
    return integer(data.removeprefix(prefix))
