"""Telegram file intake: turn a message into a file the job engine can use, or refuse it.

Everything here is checked before a price is quoted, so a refused input costs nothing.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import av
from telegram import Bot, Message
from telegram.error import BadRequest, TelegramError
from telegram.ext import filters

from bot import texts
from bot.audio import duration_seconds
from bot.catalog.model import Input
from bot.tools import FileInput
from bot.video import VideoInfo, measure, trim
from providers.models import MAX_UPLOAD_BYTES, MediaKind

DOWNLOAD_LIMIT = 20 * 1024 * 1024
"""The cloud Bot API lets a bot download files up to 20 MB."""

IMAGE_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
AUDIO_TYPES = {
    "audio/ogg": "ogg",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/mp4": "m4a",
    "audio/x-m4a": "m4a",
    "audio/aac": "aac",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/flac": "flac",
    "audio/webm": "webm",
}

VIDEO_TYPES = {"video/mp4": "mp4", "video/quicktime": "mov", "video/webm": "webm"}
"""What the AI service takes as a video asset."""

PHOTO_INPUT = filters.PHOTO | filters.Document.IMAGE
AUDIO_INPUT = filters.VOICE | filters.AUDIO | filters.Document.AUDIO
VIDEO_INPUT = filters.VIDEO | filters.Document.VIDEO


class MediaRefused(Exception):
    """The message does not carry an acceptable file; `reply` says what to send instead."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


@dataclass(frozen=True)
class ReceivedFile:
    file_id: str
    file_unique_id: str
    mime_type: str
    file_size: int | None
    duration: float | None = None

    def as_input(self, field: str, kind: MediaKind, stem: str) -> FileInput:
        extension = (IMAGE_TYPES | AUDIO_TYPES | VIDEO_TYPES).get(self.mime_type, "bin")
        return FileInput(
            field=field,
            file_id=self.file_id,
            file_unique_id=self.file_unique_id,
            kind=kind,
            filename=f"{stem}.{extension}",
            file_size=self.file_size,
        )


def photo_from(
    message: Message,
    *,
    max_bytes: int = DOWNLOAD_LIMIT,
    mime_types: frozenset[str] = frozenset(IMAGE_TYPES),
) -> ReceivedFile:
    """A compressed photo (its largest size) or an image sent as a file."""
    if message.photo:
        largest = message.photo[-1]
        received = ReceivedFile(
            largest.file_id, largest.file_unique_id, "image/jpeg", largest.file_size
        )
    elif message.document and (message.document.mime_type or "").startswith("image/"):
        document = message.document
        if document.mime_type not in mime_types:
            raise MediaRefused(texts.image_type_refused(_labels(mime_types)))
        received = ReceivedFile(
            document.file_id, document.file_unique_id, document.mime_type, document.file_size
        )
    else:
        raise MediaRefused(texts.PHOTO_EXPECTED)
    _check_size(received, max_bytes)
    return received


def photo_for(message: Message, item: Input | None = None) -> ReceivedFile:
    """A photo for a catalog entry's input, within its limits (Telegram's when it has none)."""
    mime_types, max_bytes = _image_limits(item)
    return photo_from(message, max_bytes=max_bytes, mime_types=mime_types)


def image_type(file: FileInput) -> str | None:
    """The type of an image taken earlier, by the extension its file name was given."""
    extension = file.filename.rsplit(".", 1)[-1]
    return next((mime for mime, known in IMAGE_TYPES.items() if known == extension), None)


def image_refusal(file: FileInput, mime_types: frozenset[str], max_bytes: int) -> str | None:
    """Why an image taken before the tool was chosen (on the photo menu) is not one of
    `mime_types` up to `max_bytes`, as `photo_from` would say; None when it is."""
    if image_type(file) not in mime_types:
        return texts.image_type_refused(_labels(mime_types))
    if file.file_size is not None and file.file_size > max_bytes:
        return texts.file_too_large(max_bytes)
    return None


def refusal_for(file: FileInput, item: Input) -> str | None:
    """Why an image taken earlier is not one the entry's input takes; None when it is."""
    mime_types, max_bytes = _image_limits(item)
    return image_refusal(file, mime_types, max_bytes)


def _image_limits(item: Input | None) -> tuple[frozenset[str], int]:
    """The image types and size an input takes: its own limits, else any image Telegram lets
    a bot download."""
    return (
        item.mime_types if item and item.mime_types else frozenset(IMAGE_TYPES),
        item.max_bytes if item and item.max_bytes else DOWNLOAD_LIMIT,
    )


async def audio_from(message: Message, bot: Bot) -> ReceivedFile:
    """A voice note, an audio file, or audio sent as a document, with its measured length.

    The length is decoded from the file itself: the `duration` a voice note or audio file
    carries is whatever the sender's client claims, and prices and limits depend on it.
    """
    if message.voice:
        voice = message.voice
        received = ReceivedFile(
            voice.file_id, voice.file_unique_id, voice.mime_type or "audio/ogg", voice.file_size
        )
    elif message.audio:
        audio = message.audio
        received = ReceivedFile(
            audio.file_id, audio.file_unique_id, audio.mime_type or "audio/mpeg", audio.file_size
        )
    elif message.document and (message.document.mime_type or "").startswith("audio/"):
        document = message.document
        received = ReceivedFile(
            document.file_id, document.file_unique_id, document.mime_type or "", document.file_size
        )
    else:
        raise MediaRefused(texts.AUDIO_EXPECTED)
    if received.mime_type not in AUDIO_TYPES:
        raise MediaRefused(texts.AUDIO_TYPE_REFUSED)
    _check_size(received, DOWNLOAD_LIMIT)
    return replace(received, duration=await _measure(bot, received.file_id))


async def _measure(bot: Bot, file_id: str) -> float:
    try:
        data = await (await bot.get_file(file_id)).download_as_bytearray()
    except BadRequest as refused:
        # The cloud Bot API refuses files over 20 MB, whatever size the message declared.
        raise MediaRefused(texts.file_too_large(DOWNLOAD_LIMIT)) from refused
    except TelegramError as failed:
        raise MediaRefused(texts.AUDIO_NOT_FETCHED) from failed
    measured = duration_seconds(bytes(data))
    if measured is None:
        raise MediaRefused(texts.AUDIO_UNREADABLE)
    return measured


def video_limit(local_mode: bool) -> int:
    """The largest video the bot takes: what Telegram lets it download (20 MB), or with a
    local Bot API server (2 GB there) what the AI service takes as an upload (50 MB)."""
    return MAX_UPLOAD_BYTES if local_mode else DOWNLOAD_LIMIT


def video_file(message: Message, local_mode: bool) -> ReceivedFile:
    """A video, or a video sent as a file, of a type and size the AI service takes."""
    if message.video:
        video = message.video
        received = ReceivedFile(
            video.file_id, video.file_unique_id, video.mime_type or "video/mp4", video.file_size
        )
    elif message.document and (message.document.mime_type or "").startswith("video/"):
        document = message.document
        received = ReceivedFile(
            document.file_id, document.file_unique_id, document.mime_type or "", document.file_size
        )
    else:
        raise MediaRefused(texts.VIDEO_EXPECTED)
    if received.mime_type not in VIDEO_TYPES:
        raise MediaRefused(texts.VIDEO_TYPE_REFUSED)
    limit = video_limit(local_mode)
    if received.file_size is not None and received.file_size > limit:
        raise MediaRefused(texts.video_too_large(limit, local_mode))
    return received


async def video_from(message: Message, bot: Bot) -> tuple[ReceivedFile, VideoInfo]:
    """A video with its size, length and frame rate measured from the file itself (what the
    sender's client claims is not priced)."""
    received = video_file(message, bot.local_mode)
    limit = video_limit(bot.local_mode)
    with tempfile.TemporaryDirectory(prefix="castbot-video-") as folder:
        path = Path(folder) / "video"
        try:
            await (await bot.get_file(received.file_id)).download_to_drive(path)
        except BadRequest as refused:
            # The cloud Bot API refuses files over 20 MB, whatever size the message declared.
            raise MediaRefused(texts.video_too_large(limit, bot.local_mode)) from refused
        except TelegramError as failed:
            raise MediaRefused(texts.VIDEO_NOT_FETCHED) from failed
        if path.stat().st_size > limit:
            raise MediaRefused(texts.video_too_large(limit, bot.local_mode))
        info = await asyncio.to_thread(measure, path)
    if info is None:
        raise MediaRefused(texts.VIDEO_UNREADABLE)
    return received, info


async def trimmed_video(
    bot: Bot, chat_id: int, file_id: str, seconds: int
) -> tuple[ReceivedFile, VideoInfo]:
    """Cut a video the user sent to its first `seconds` and send them that part, which the
    bot then uses as theirs (by its new Telegram file), measured again."""
    with tempfile.TemporaryDirectory(prefix="castbot-trim-") as folder:
        source, cut = Path(folder) / "source", Path(folder) / "cut.mp4"
        try:
            await (await bot.get_file(file_id)).download_to_drive(source)
        except TelegramError as failed:
            raise MediaRefused(texts.VIDEO_NOT_FETCHED) from failed
        try:
            await asyncio.to_thread(trim, source, cut, seconds)
        except av.FFmpegError as failed:
            raise MediaRefused(texts.VIDEO_UNREADABLE) from failed
        info = await asyncio.to_thread(measure, cut)
        if info is None:
            raise MediaRefused(texts.VIDEO_UNREADABLE)
        sent = await bot.send_video(
            chat_id,
            cut,
            caption=texts.trimmed_caption(seconds),
            supports_streaming=True,
            filename="trimmed.mp4",
        )
    video = sent.video
    if video is None:
        raise MediaRefused(texts.VIDEO_UNREADABLE)
    received = ReceivedFile(
        video.file_id, video.file_unique_id, video.mime_type or "video/mp4", video.file_size
    )
    return received, info


def _check_size(received: ReceivedFile, max_bytes: int) -> None:
    if received.file_size is not None and received.file_size > max_bytes:
        raise MediaRefused(texts.file_too_large(max_bytes))


def _labels(mime_types: frozenset[str]) -> str:
    return ", ".join(sorted(IMAGE_TYPES[mime].upper() for mime in mime_types))
