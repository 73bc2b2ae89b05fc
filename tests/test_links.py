"""Which texts are Instagram or TikTok links to a video (video2video takes them)."""

from __future__ import annotations

import pytest

from bot.links import INSTAGRAM, TIKTOK, VideoLink, video_link


@pytest.mark.parametrize(
    ("text", "platform"),
    [
        ("https://www.instagram.com/reel/C3xYz_1-ab/", INSTAGRAM),
        ("https://instagram.com/p/C3xYz1ab?igsh=abc", INSTAGRAM),
        ("  https://www.instagram.com/reels/C3xYz1ab/  ", INSTAGRAM),
        ("https://www.instagram.com/some.user/reel/C3xYz1ab/", INSTAGRAM),
        ("https://www.tiktok.com/@some.user/video/7312345678901234567?lang=en", TIKTOK),
        ("https://vm.tiktok.com/ZMabc123/", TIKTOK),
        ("http://www.tiktok.com/t/ZTabc123/", TIKTOK),
    ],
)
def test_links_to_posts_are_recognised(text: str, platform: str) -> None:
    assert video_link(text) == VideoLink(platform, text.strip())


@pytest.mark.parametrize(
    "text",
    [
        "https://www.instagram.com/",
        "https://www.instagram.com/some.user/",
        "https://www.tiktok.com/@some.user",
        "https://www.tiktok.com/@some.user/video/",
        "https://www.tiktok.com/explore",
        "https://youtube.com/watch?v=abc",
        "https://instagram.com.evil.example/reel/abc/",
        "https://notinstagram.com/reel/abc/",
        "ftp://www.instagram.com/reel/abc/",
        "instagram.com/reel/abc",
        "look https://www.instagram.com/reel/abc/",
        "https://user:pass@www.instagram.com/reel/abc/",
        "https://[www.instagram.com/reel/abc/",
        "https://www.instagram.com:abc/reel/abc/",
        "https://www.instagram.com:8443/reel/abc/",
        "",
    ],
)
def test_anything_else_is_not_a_video_link(text: str) -> None:
    assert video_link(text) is None
