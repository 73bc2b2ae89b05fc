"""The Telegram side of a job: fetch the user's files, keep a status message, send results.

What Telegram accepts is decided here: which files may go as a photo, the upload limit
(higher with a local Bot API server), albums, and the chat action shown while a video
uploads. Files are sent from disk, never read into memory here (python-telegram-bot reads
an upload into its request body; with a local Bot API server it passes the path instead).
Results go first in the bot's overall line of messages, edits of a status message last
(`MessagePriority`).
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from PIL import Image, UnidentifiedImageError
from telegram import InlineKeyboardMarkup, InputMediaPhoto
from telegram.constants import ChatAction
from telegram.error import BadRequest, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.telegram_limits import MessagePriority

log = logging.getLogger(__name__)

MB = 1024 * 1024
UPLOAD_LIMIT = 50 * MB
"""What the cloud Bot API lets a bot upload."""
LOCAL_UPLOAD_LIMIT = 2000 * MB
"""What a local Bot API server lets a bot upload."""
PHOTO_UPLOAD_LIMIT = 10 * MB
PHOTO_MAX_SIDES = 10_000
"""Telegram refuses a photo whose width and height add up to more."""
PHOTO_MAX_RATIO = 20
"""... or whose longer side is more than this many times the shorter one."""
ALBUM_SIZE = 10
"""The most photos one sendMediaGroup takes."""
CAPTION_LIMIT = 1024
CHAT_ACTION_SECONDS = 4.0
"""Telegram shows a chat action for about 5 s; it is sent again this often."""
IMAGE_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}


class InputFileUnavailable(Exception):
    """Telegram no longer has a file the user sent (an expired file id, or a file over the
    download limit): asking again cannot help."""


@dataclass(frozen=True)
class ImageInfo:
    extension: str
    width: int
    height: int


def inspect_image(path: Path) -> ImageInfo | None:
    """The image's format and size from its header, or None if it is not an image."""
    try:
        with warnings.catch_warnings():
            # Only the header is read: a huge image is no decompression bomb here.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                return ImageInfo(
                    IMAGE_EXTENSIONS.get(image.format or "", "png"), image.width, image.height
                )
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError):
        return None


def fits_as_photo(image: ImageInfo | None, size: int) -> bool:
    """Whether sendPhoto takes it; anything else goes as a document."""
    if image is None or size > PHOTO_UPLOAD_LIMIT:
        return False
    shorter, longer = sorted((max(image.width, 1), max(image.height, 1)))
    return image.width + image.height <= PHOTO_MAX_SIDES and longer <= shorter * PHOTO_MAX_RATIO


def retry_after_seconds(err: RetryAfter) -> float:
    """How long Telegram asked to wait (an int or a timedelta, by the PTB setting)."""
    delay = err.retry_after
    return delay.total_seconds() if isinstance(delay, timedelta) else float(delay)


class Courier:
    def __init__(self, bot: ExtBot[Any]) -> None:
        """`bot` has a `TelegramRateLimiter`, which takes the messages' priorities."""
        self._bot = bot

    @property
    def upload_limit(self) -> int:
        """The largest file Telegram takes from this bot."""
        return LOCAL_UPLOAD_LIMIT if self._bot.local_mode else UPLOAD_LIMIT

    async def fetch(self, file_id: str) -> bytes:
        """A file the user sent; raises InputFileUnavailable when Telegram refuses it."""
        try:
            telegram_file = await self._bot.get_file(file_id)
        except BadRequest as err:
            raise InputFileUnavailable(err.message) from err
        return bytes(await telegram_file.download_as_bytearray())

    async def post(
        self,
        chat_id: int,
        text: str,
        reply_markup: InlineKeyboardMarkup | None = None,
        *,
        priority: MessagePriority = MessagePriority.RESULT,
    ) -> int:
        message = await self._bot.send_message(
            chat_id, text, reply_markup=reply_markup, rate_limit_args=priority
        )
        return message.message_id

    async def edit_status(self, chat_id: int, message_id: int, text: str) -> None:
        """Edit a job's status message (the last of the bot's messages to go)."""
        try:
            await self._bot.edit_message_text(
                text,
                chat_id=chat_id,
                message_id=message_id,
                rate_limit_args=MessagePriority.STATUS,
            )
        except BadRequest as err:
            # A retried step may repeat its last edit; Telegram refuses identical text.
            if "not modified" not in err.message:
                raise

    async def send_photo(
        self,
        chat_id: int,
        path: Path,
        filename: str,
        caption: str | None = None,
        reply_markup: InlineKeyboardMarkup | None = None,
    ) -> int:
        message = await self._bot.send_photo(
            chat_id,
            path,
            filename=filename,
            caption=caption,
            reply_markup=reply_markup,
            rate_limit_args=MessagePriority.RESULT,
        )
        return message.message_id

    async def send_video(
        self,
        chat_id: int,
        path: Path,
        filename: str,
        caption: str | None = None,
        reply_markup: InlineKeyboardMarkup | None = None,
    ) -> int:
        async with self._showing(chat_id, ChatAction.UPLOAD_VIDEO):
            message = await self._bot.send_video(
                chat_id,
                path,
                filename=filename,
                caption=caption,
                reply_markup=reply_markup,
                supports_streaming=True,
                rate_limit_args=MessagePriority.RESULT,
            )
        return message.message_id

    async def send_document(
        self,
        chat_id: int,
        path: Path,
        filename: str,
        caption: str | None = None,
        reply_markup: InlineKeyboardMarkup | None = None,
    ) -> int:
        async with self._showing(chat_id, ChatAction.UPLOAD_DOCUMENT):
            message = await self._bot.send_document(
                chat_id,
                path,
                filename=filename,
                caption=caption,
                reply_markup=reply_markup,
                rate_limit_args=MessagePriority.RESULT,
            )
        return message.message_id

    async def send_album(self, chat_id: int, photos: list[tuple[Path, str]]) -> list[int]:
        """Send 2 to 10 photos (path, filename) as one album; returns their message ids."""
        with ExitStack() as files:
            media = [
                InputMediaPhoto(self._album_file(path, files), filename=filename)
                for path, filename in photos
            ]
            messages = await self._bot.send_media_group(
                chat_id, media, rate_limit_args=MessagePriority.RESULT
            )
        return [message.message_id for message in messages]

    def _album_file(self, path: Path, files: ExitStack) -> str | IO[bytes]:
        # An album item is never read from a path by PTB itself: a local server takes the
        # path, the cloud API the file's content.
        if self._bot.local_mode:
            return str(path.absolute())
        return files.enter_context(path.open("rb"))

    @asynccontextmanager
    async def _showing(self, chat_id: int, action: str) -> AsyncIterator[None]:
        """Show `action` ("sending video...") in the chat until the block ends."""

        async def keep_showing() -> None:
            while True:
                await asyncio.sleep(CHAT_ACTION_SECONDS)
                await self._chat_action(chat_id, action)

        await self._chat_action(chat_id, action)
        repeating = asyncio.create_task(keep_showing(), name=f"chat-action-{chat_id}")
        try:
            yield
        finally:
            repeating.cancel()
            await asyncio.gather(repeating, return_exceptions=True)

    async def _chat_action(self, chat_id: int, action: str) -> None:
        try:
            await self._bot.send_chat_action(chat_id, action)
        except TelegramError as err:
            # A nicety only: the upload that follows reports any real problem.
            log.debug("chat action %s in %s failed: %r", action, chat_id, err)
