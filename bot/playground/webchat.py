"""The playground's web chat: a single page that shows the emulator's chats as Telegram would.

The page (vanilla HTML, CSS and JS in ``web/``, nothing fetched from elsewhere) talks to a
small JSON API and listens to one Server-Sent Events stream:

* ``GET /api/events`` — ``hello`` (the bot and the test users), then every message of every
  test user's chat (``message``, one per Message object, again whenever it is edited) and
  ``ready``; afterwards ``message``, ``deleted``, ``answer`` (a callback query answered) and
  ``commands`` (the menu) as they happen. The stream waits on the emulator's change signal;
  nothing polls.
* ``POST /api/chats/{user}/messages`` ``{"text"}`` — the user types a message.
* ``POST /api/chats/{user}/media`` (multipart: ``file``, ``send_as`` = photo, document,
  voice, audio or video, optional ``caption``, and for videos ``duration``/``width``/
  ``height`` as the browser measured them) — the user sends a file, the way Telegram's apps
  send it.
* ``POST /api/chats/{user}/press`` ``{"message_id", "row", "column"}`` — the user taps an
  inline button: a callback query, or the payment behind *Pay*.
* ``GET /api/files/{file_id}`` — any file of the chats, to show, play or download.
"""

from __future__ import annotations

import io
import json
import math
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiohttp import web
from PIL import Image, ImageOps

from bot.audio import duration_seconds
from bot.playground.emulator import (
    JSON,
    MAX_TEXT_LENGTH,
    BotApiEmulator,
    EmulatedUser,
    PaymentFailed,
    SentMessage,
)
from bot.playground.server import serve

WEB_DIR = Path(__file__).parent / "web"
MAX_REQUEST_SIZE = 64 * 1024 * 1024  # what one upload from the page may weigh
KEEPALIVE_SECONDS = 15.0  # a comment on an idle stream, so proxies and browsers keep it open
PHOTO_SIDE = 1280  # Telegram's apps send a photo as a JPEG at most this long on either side
PHOTO_QUALITY = 87
SEND_AS = ("photo", "document", "voice", "audio", "video")


@dataclass(frozen=True)
class PlaygroundUser:
    """A person the page can switch to; `admin` only labels them (ADMIN_IDS decides)."""

    id: int
    first_name: str
    admin: bool = False


class WebChat:
    """Serves the page and its API for these users of the emulator on 127.0.0.1:`port`."""

    def __init__(
        self, telegram: BotApiEmulator, users: list[PlaygroundUser], *, port: int = 0
    ) -> None:
        self._telegram = telegram
        self._users = {user.id: user for user in users}
        self._port = port
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.url = ""  # set on start
        for user in users:
            telegram.user(user.id, first_name=user.first_name)

    async def __aenter__(self) -> Self:
        app = web.Application(client_max_size=MAX_REQUEST_SIZE)
        app.on_response_prepare.append(_revalidate_page)
        app.router.add_get("/", self._page)
        app.router.add_static("/static", WEB_DIR)
        app.router.add_get("/api/events", self._events)
        app.router.add_post("/api/chats/{user_id}/messages", self._send_text)
        app.router.add_post("/api/chats/{user_id}/media", self._send_media)
        app.router.add_post("/api/chats/{user_id}/press", self._press)
        app.router.add_get("/api/files/{file_id}", self._file)
        self._runner, root = await serve(app, self._port)
        self.url = root + "/"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closing = True  # open event streams end at once
        self._telegram.changes.notify()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- The page and its live stream

    async def _page(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(WEB_DIR / "index.html")

    async def _events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
        )
        await response.prepare(request)
        feed = _Feed(self._telegram, list(self._users.values()))
        try:
            await response.write(_event("hello", self._hello()))
            feed.collect()
            await response.write(feed.take() + _event("ready", {}))
            while not self._closing:
                changed = await self._telegram.changes.wait_for(
                    lambda: self._closing or feed.collect(), KEEPALIVE_SECONDS
                )
                if self._closing:
                    break
                await response.write(feed.take() if changed else b": keep-alive\n\n")
        except ConnectionResetError:
            pass  # the page was closed or reloaded
        return response

    def _hello(self) -> JSON:
        bot = self._telegram.bot_user
        return {
            "bot": {"first_name": bot["first_name"], "username": bot["username"]},
            "users": [
                {"id": user.id, "first_name": user.first_name, "admin": user.admin}
                for user in self._users.values()
            ],
        }

    # --- What the user does

    def _user(self, request: web.Request) -> EmulatedUser:
        raw_id = request.match_info["user_id"]
        if not raw_id.lstrip("-").isdecimal() or int(raw_id) not in self._users:
            raise _refuse(404, f"no test user {raw_id}")
        return self._telegram.user(int(raw_id))

    async def _send_text(self, request: web.Request) -> web.Response:
        user = self._user(request)
        body = await _json_body(request)
        text = str(body.get("text") or "").strip()
        if not text:
            raise _refuse(400, "the message is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise _refuse(400, f"a message holds at most {MAX_TEXT_LENGTH} characters")
        message_id = await user.send_text(text)
        return web.json_response({"message_id": message_id})

    async def _send_media(self, request: web.Request) -> web.Response:
        user = self._user(request)
        form = await request.post()
        upload = form.get("file")
        send_as = form.get("send_as")
        if not isinstance(upload, web.FileField):
            raise _refuse(400, "no file in the request")
        if send_as not in SEND_AS:
            raise _refuse(400, f"send_as must be one of {', '.join(SEND_AS)}")
        content = upload.file.read()
        if not content:
            raise _refuse(400, "the file is empty")
        caption = str(form.get("caption") or "").strip() or None
        name = upload.filename or "file"
        mime_type = upload.content_type
        if not mime_type or mime_type == "application/octet-stream":
            mime_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if send_as == "photo":
            photo = _as_sent_photo(content)
            if photo is None:
                raise _refuse(400, "this file is not an image; send it as a file instead")
            await user.send_photo(photo, caption=caption)
        elif send_as == "document":
            await user.send_document(content, file_name=name, mime_type=mime_type, caption=caption)
        elif send_as == "voice":
            seconds = _audio_seconds(content)
            await user.send_voice(content, duration=seconds, mime_type=mime_type, caption=caption)
        elif send_as == "audio":
            seconds = _audio_seconds(content)
            await user.send_audio(
                content, duration=seconds, file_name=name, mime_type=mime_type, caption=caption
            )
        else:
            await user.send_video(
                content,
                duration=_measured(form.get("duration")),
                width=_measured(form.get("width")),
                height=_measured(form.get("height")),
                file_name=name,
                mime_type=mime_type,
                caption=caption,
            )
        return web.json_response({"sent_as": send_as})

    async def _press(self, request: web.Request) -> web.Response:
        user = self._user(request)
        body = await _json_body(request)
        try:
            message_id, row, column = (int(body[key]) for key in ("message_id", "row", "column"))
        except (KeyError, TypeError, ValueError):
            raise _refuse(400, "message_id, row and column are needed") from None
        message = _shown_message(user, message_id)
        button = _button(message, row, column)
        if "callback_data" in button:
            query_id = await user.press_data(message, str(button["callback_data"]))
            return web.json_response({"query_id": query_id})
        if button.get("pay") or self._telegram.is_invoice_link(str(button.get("url", ""))):
            try:
                if button.get("pay"):
                    charge_id = await user.pay(message)
                else:
                    charge_id = await user.pay_link(str(button["url"]))
            except PaymentFailed as failed:
                return web.json_response({"paid": False, "reason": failed.reason})
            return web.json_response({"paid": True, "charge_id": charge_id})
        raise _refuse(400, "this button is handled by the page itself")

    async def _file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        try:
            content = self._telegram.file_content(file_id)
            media_type = self._telegram.file_media_type(file_id)
        except KeyError:
            raise _refuse(404, f"no file {file_id}") from None
        return web.Response(
            body=content,
            content_type=media_type,
            headers={"Cache-Control": "private, max-age=86400"},  # a file_id never changes
        )


class _Feed:
    """What one open page has been sent, so each wake-up sends only what changed since."""

    def __init__(self, telegram: BotApiEmulator, users: list[PlaygroundUser]) -> None:
        self._telegram = telegram
        self._users = users
        self._shown: dict[int, dict[int, str]] = {user.id: {} for user in users}
        self._answers = {user.id: 0 for user in users}
        self._menus: dict[int, list[JSON] | None] = {user.id: None for user in users}
        self._pending: list[bytes] = []

    def collect(self) -> bool:
        """Queue an event for everything that changed; True if anything is queued."""
        for user in self._users:
            self._collect_messages(user.id)
            self._collect_answers(user.id)
            self._collect_menu(user.id)
        return bool(self._pending)

    def take(self) -> bytes:
        events, self._pending = b"".join(self._pending), []
        return events

    def _collect_messages(self, chat_id: int) -> None:
        current = {
            int(message["message_id"]): json.dumps(message, sort_keys=True)
            for message in self._telegram.chat_messages(chat_id)
        }
        shown = self._shown[chat_id]
        for message_id, encoded in current.items():
            if shown.get(message_id) != encoded:
                data = f'{{"chat_id": {chat_id}, "message": {encoded}}}'
                self._pending.append(_event_bytes("message", data))
        for message_id in sorted(shown.keys() - current.keys()):
            self._pending.append(_event("deleted", {"chat_id": chat_id, "message_id": message_id}))
        self._shown[chat_id] = current

    def _collect_answers(self, chat_id: int) -> None:
        answers = self._telegram.user(chat_id).callback_answers()
        for answer in answers[self._answers[chat_id] :]:
            self._pending.append(
                _event(
                    "answer",
                    {
                        "chat_id": chat_id,
                        "query_id": answer.get("callback_query_id"),
                        "text": answer.get("text") or "",
                        "show_alert": bool(answer.get("show_alert")),
                    },
                )
            )
        self._answers[chat_id] = len(answers)

    def _collect_menu(self, chat_id: int) -> None:
        menu = _menu(self._telegram, chat_id)
        if menu != self._menus[chat_id]:
            self._menus[chat_id] = menu
            self._pending.append(_event("commands", {"chat_id": chat_id, "commands": menu}))


def _menu(telegram: BotApiEmulator, chat_id: int) -> list[JSON]:
    """The commands Telegram's app lists for this user: the most specific scope set, in the
    user's language first. A menu is set for a two-letter language, which an app's "pt-br"
    falls back to."""
    language = telegram.user(chat_id).telegram_user.get("language_code") or ""
    for scope in (f"chat:{chat_id}", "all_private_chats", "default"):
        for code in (language, language.split("-")[0], ""):
            commands = telegram.command_sets.get((scope, code))
            if commands:
                return commands
    return []


async def _revalidate_page(request: web.Request, response: web.StreamResponse) -> None:
    """The page and its scripts are checked for changes on every load: a browser that cached
    them must not run an older page against a newer playground."""
    if request.path == "/" or request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-cache"


def _event(name: str, data: Any) -> bytes:
    return _event_bytes(name, json.dumps(data))


def _event_bytes(name: str, data: str) -> bytes:
    return f"event: {name}\ndata: {data}\n\n".encode()


def _refuse(status: int, reason: str) -> web.HTTPException:
    """An HTTP error whose JSON body says what is wrong, for the page to show."""
    error_class = {400: web.HTTPBadRequest, 404: web.HTTPNotFound}[status]
    return error_class(text=json.dumps({"error": reason}), content_type="application/json")


async def _json_body(request: web.Request) -> JSON:
    try:
        body = await request.json()
    except ValueError:
        raise _refuse(400, "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise _refuse(400, "the body must be a JSON object")
    return body


def _measured(value: object) -> int:
    """A whole number the page measured, 0 when it could not."""
    try:
        return max(0, round(float(value))) if isinstance(value, str) else 0
    except ValueError:
        return 0


def _shown_message(user: EmulatedUser, message_id: int) -> SentMessage:
    for message in user.messages():
        if message.message_id == message_id and not message.deleted:
            return message
    raise _refuse(404, f"no message {message_id} from the bot in this chat")


def _button(message: SentMessage, row: int, column: int) -> JSON:
    rows = (message.reply_markup or {}).get("inline_keyboard") or []
    if not (0 <= row < len(rows) and 0 <= column < len(rows[row])):
        raise _refuse(404, f"message {message.message_id} has no button at {row}, {column}")
    button: JSON = rows[row][column]
    return button


def _as_sent_photo(content: bytes) -> bytes | None:
    """The photo Telegram's apps send for an image: a JPEG, upright, at most PHOTO_SIDE
    pixels on its longer side (None if the content is not an image)."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            upright = ImageOps.exif_transpose(image).convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    upright.thumbnail((PHOTO_SIDE, PHOTO_SIDE))
    buffer = io.BytesIO()
    upright.save(buffer, "JPEG", quality=PHOTO_QUALITY)
    return buffer.getvalue()


def _audio_seconds(content: bytes) -> int:
    """The duration an app declares for an audio file: whole seconds, rounded up (0 when
    the file cannot be read, as the bot must not trust it anyway)."""
    seconds = duration_seconds(content)
    return math.ceil(seconds) if seconds else 0
