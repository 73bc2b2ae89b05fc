"""Measuring audio from its own bytes: a sender's client may claim any duration."""

from __future__ import annotations

import io

import mutagen
from mutagen import MutagenError


def duration_seconds(data: bytes) -> float | None:
    """The length of an audio file in seconds, or None if it cannot be read."""
    try:
        audio = mutagen.File(io.BytesIO(data))
    except MutagenError:
        return None
    if audio is None or audio.info is None:
        return None
    length = float(getattr(audio.info, "length", 0) or 0)
    return length or None
