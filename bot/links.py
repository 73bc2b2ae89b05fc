"""Instagram and TikTok links to a video, recognised before anything is quoted."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

INSTAGRAM = "instagram"
TIKTOK = "tiktok"

_HOSTS = {INSTAGRAM: "instagram.com", TIKTOK: "tiktok.com"}
"""Each platform's domain; its subdomains (www., m., vm.) count too."""
_POSTS = {
    INSTAGRAM: re.compile(r"/(?:[\w.]+/)?(?:p|reels?|tv)/[\w-]+/?"),
    TIKTOK: re.compile(r"/@[\w.-]+/video/\d+/?|/t/\w+/?"),
}
"""The paths of a post or reel."""
_SHORT_HOSTS = frozenset({"vm.tiktok.com", "vt.tiktok.com"})
_SHORT_PATH = re.compile(r"/\w+/?")
"""TikTok's short links: one word on their own host."""


@dataclass(frozen=True)
class VideoLink:
    platform: str
    url: str


def video_link(text: str) -> VideoLink | None:
    """The link to an Instagram or TikTok post or reel that `text` is; None for anything
    else (another site, a profile, a page that is no post, several words, an address that
    does not parse or names a port)."""
    candidate = text.strip()
    if not candidate or any(character.isspace() for character in candidate):
        return None
    try:
        parts = urlsplit(candidate)
        port = parts.port
    except ValueError:  # a bracket left open, a port that is no number
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or parts.username or parts.password or port is not None:
        return None
    host = (parts.hostname or "").lower()
    for platform, domain in _HOSTS.items():
        if host != domain and not host.endswith(f".{domain}"):
            continue
        post = _POSTS[platform].fullmatch(parts.path) or (
            host in _SHORT_HOSTS and _SHORT_PATH.fullmatch(parts.path)
        )
        return VideoLink(platform, candidate) if post else None
    return None
