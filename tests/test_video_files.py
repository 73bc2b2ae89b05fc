"""Videos sent to the bot: measured from the file itself (PyAV), and taken up to Telegram's
download limit, or with a local Bot API server up to what the AI service takes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import av
import pytest
from telegram import Chat, Document, Message, Video

from bot import texts
from bot.video import measure, trim
from handlers.media import MediaRefused, video_file, video_limit
from providers.models import MediaKind
from tests.fakes.media import video_file as make_video
from tests.flows import wav

MB = 1024 * 1024


@pytest.mark.parametrize(
    ("width", "height", "seconds", "fps"),
    [(64, 64, 1, 24), (320, 180, 2.5, 30), (128, 72, 3, 60), (96, 160, 1, 29.97)],
)
def test_a_video_is_measured_from_its_own_bytes(
    tmp_path: Path, width: int, height: int, seconds: float, fps: float
) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(make_video(width, height, seconds, fps))
    info = measure(path)
    assert info is not None
    assert (info.width, info.height) == (width, height)
    assert info.seconds == pytest.approx(seconds, abs=0.05)
    assert info.fps == pytest.approx(fps, abs=0.01)


@pytest.mark.parametrize("content", [b"", b"not a video at all", wav(1)])
def test_anything_but_a_video_measures_as_nothing(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(content)
    assert measure(path) is None


def message(*, video: Video | None = None, document: Document | None = None) -> Message:
    return Message(
        message_id=1,
        date=datetime.now(UTC),
        chat=Chat(101, Chat.PRIVATE),
        video=video,
        document=document,
    )


def clip(size: int, mime_type: str = "video/mp4") -> Video:
    return Video("file", "unique", 64, 64, 1, mime_type=mime_type, file_size=size)


def test_telegram_lets_a_bot_fetch_20_mb_and_a_local_server_the_ai_services_50() -> None:
    assert (video_limit(False), video_limit(True)) == (20 * MB, 50 * MB)
    assert video_file(message(video=clip(20 * MB)), local_mode=False).file_size == 20 * MB
    with pytest.raises(MediaRefused) as refused:
        video_file(message(video=clip(20 * MB + 1)), local_mode=False)
    assert refused.value.reply == texts.video_too_large(20 * MB, local_mode=False)
    assert video_file(message(video=clip(45 * MB)), local_mode=True).file_size == 45 * MB
    with pytest.raises(MediaRefused) as refused:
        video_file(message(video=clip(51 * MB)), local_mode=True)
    assert refused.value.reply == texts.video_too_large(50 * MB, local_mode=True)


def test_only_the_video_types_the_ai_service_takes_are_accepted() -> None:
    mov = Document("file", "unique", "clip.mov", "video/quicktime", file_size=MB)
    received = video_file(message(document=mov), local_mode=False)
    assert received.as_input("video_asset", MediaKind.VIDEO, "source").filename == "source.mov"
    mkv = Document("file", "unique", "clip.mkv", "video/x-matroska", file_size=MB)
    with pytest.raises(MediaRefused) as refused:
        video_file(message(document=mkv), local_mode=False)
    assert refused.value.reply == texts.VIDEO_TYPE_REFUSED
    with pytest.raises(MediaRefused) as refused:
        video_file(message(), local_mode=False)
    assert refused.value.reply == texts.VIDEO_EXPECTED


def test_a_video_is_cut_to_its_first_seconds_without_encoding_it_again(tmp_path: Path) -> None:
    source, cut = tmp_path / "long.mp4", tmp_path / "cut.mp4"
    source.write_bytes(make_video(64, 64, seconds=12, fps=4))
    trim(source, cut, 5)
    info = measure(cut)
    assert info is not None and (info.width, info.height) == (64, 64)
    assert info.seconds == pytest.approx(5, abs=0.3)
    with av.open(str(source)) as whole, av.open(str(cut)) as part:
        assert (
            part.streams.video[0].codec_context.name == whole.streams.video[0].codec_context.name
        )
    (tmp_path / "junk.mp4").write_bytes(b"junk")
    with pytest.raises(av.FFmpegError):
        trim(tmp_path / "junk.mp4", tmp_path / "junk-cut.mp4", 5)
