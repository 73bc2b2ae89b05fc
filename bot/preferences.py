"""The per-user defaults /settings offers: each one is the default of an option in the
catalog (`Option.setting`), offered with that option's choices."""

from __future__ import annotations

from dataclasses import dataclass

from bot.catalog.image import FACESWAP_ENTRY, IMAGINE
from bot.catalog.model import Option
from bot.catalog.video import ANIMATE


@dataclass(frozen=True)
class Preference:
    name: str
    """The setting's key (what `Option.setting` names)."""
    option: Option
    """Whose choices it offers, and whose default it is when not set."""


PREFERENCES = (
    Preference("image_model", IMAGINE.option("model")),
    Preference("ratio", IMAGINE.option("ratio")),
    Preference("image_count", IMAGINE.option("batch_size")),
    Preference("faceswap_model", FACESWAP_ENTRY.option("model")),
    Preference("faceswap_resolution", FACESWAP_ENTRY.option("resolution")),
    Preference("video_model", ANIMATE.option("model")),
    Preference("video_duration", ANIMATE.option("duration")),
    Preference("video_resolution", ANIMATE.option("resolution")),
)
