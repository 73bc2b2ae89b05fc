"""The tools whose result is a video: lipsync, priced per second of the audio it is given."""

from __future__ import annotations

from bot.catalog.model import Entry, Input, InputKind, flat
from bot.tools import LIPSYNC

AUDIO_SECONDS = "audio_seconds"
LIPSYNC_MAX_SECONDS = 35
"""The provider refuses longer audio."""

LIPSYNC_ENTRY = Entry(
    tool=LIPSYNC,
    command="lipsync",
    inputs=(
        # The provider takes JPG or PNG portraits under 5 MB.
        Input(
            "portrait",
            InputKind.FACE,
            "image_asset",
            max_bytes=5 * 1024 * 1024,
            mime_types=frozenset({"image/jpeg", "image/png"}),
        ),
        Input(
            "audio",
            InputKind.AUDIO,
            "audio_asset",
            max_seconds=LIPSYNC_MAX_SECONDS,
            measure=AUDIO_SECONDS,
        ),
    ),
    price=flat(3, per_second=AUDIO_SECONDS),
    consent=True,
)
