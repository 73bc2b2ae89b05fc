"""The Telegram side of a job: fetch the user's files, keep a status message, send results."""

from __future__ import annotations

import io
import logging

from PIL import Image, UnidentifiedImageError
from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest

from bot.tools import OutputKind

log = logging.getLogger(__name__)

PHOTO_UPLOAD_LIMIT = 10 * 1024 * 1024
UPLOAD_LIMIT = 50 * 1024 * 1024
IMAGE_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}


class OutputTooLarge(Exception):
    """A result over Telegram's 50 MB upload limit."""


class Courier:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def fetch(self, file_id: str) -> bytes:
        telegram_file = await self._bot.get_file(file_id)
        return bytes(await telegram_file.download_as_bytearray())

    async def post(
        self, chat_id: int, text: str, reply_markup: InlineKeyboardMarkup | None = None
    ) -> int:
        message = await self._bot.send_message(chat_id, text, reply_markup=reply_markup)
        return message.message_id

    async def edit(self, chat_id: int, message_id: int, text: str) -> None:
        try:
            await self._bot.edit_message_text(text, chat_id=chat_id, message_id=message_id)
        except BadRequest as err:
            # A retried step may repeat its last edit; Telegram refuses identical text.
            if "not modified" not in err.message:
                raise

    async def deliver(self, chat_id: int, kind: OutputKind, data: bytes, stem: str) -> list[int]:
        """Send one result; a photo comes also as a file, to keep its full resolution."""
        if len(data) > UPLOAD_LIMIT:
            raise OutputTooLarge(len(data))
        if kind is OutputKind.VIDEO:
            message = await self._bot.send_video(
                chat_id, data, filename=f"{stem}.mp4", supports_streaming=True
            )
            return [message.message_id]
        extension = _image_extension(data)
        sent = []
        if len(data) <= PHOTO_UPLOAD_LIMIT:
            photo = await self._bot.send_photo(chat_id, data, filename=f"{stem}.{extension}")
            sent.append(photo.message_id)
        document = await self._bot.send_document(chat_id, data, filename=f"{stem}.{extension}")
        sent.append(document.message_id)
        return sent


def _image_extension(data: bytes) -> str:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return IMAGE_EXTENSIONS.get(image.format or "", "png")
    except UnidentifiedImageError:
        log.warning("a result is not a recognisable image; sending it as .png")
        return "png"
