"""A local Telegram Bot API emulator, and helpers that act as the users talking to the bot.

One emulator serves both the end-to-end tests and the playground (`python -m bot
playground`): the real ``telegram.ext.Application`` long-polls it over HTTP on 127.0.0.1
exactly as it would poll api.telegram.org::

    async with BotApiEmulator() as tg:
        ann = tg.user(1)
        ...  # start the bot with TELEGRAM_API_URL=tg.root_url, TELEGRAM_BOT_TOKEN=tg.token
        await ann.send_text("/start ref_abc")
        welcome = await ann.next_message()
        await ann.press(welcome, "Balance")
        await ann.wait_for_text("10 credits")

Where the bot can get an answer wrong, the emulator answers as Telegram does: the same envelope,
the same status codes and, where known, the same wording ("Bad Request: message is too long",
403 "Forbidden: bot was blocked by the user", 429 with ``retry_after``, 413 for uploads over
50 MB). A few wordings that could not be confirmed are marked "(unverified wording)".

Everything runs on the test's event loop; no request handler awaits anything but the request
body, a long poll, a URL download, a test's hold (`hold`, `hold_chat`), or the `latency` it
was given before it starts, so state changes are atomic between awaits.
"""

from __future__ import annotations

import asyncio
import copy
import io
import itertools
import json
import re
import struct
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import aiohttp
from aiohttp import web
from mutagen.ogg import OggPage
from PIL import Image

from bot.playground.changes import Changes, Hold
from bot.playground.server import serve

JSON = dict[str, Any]
MB = 1024 * 1024

# Telegram's limits (https://core.telegram.org/bots/api).
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_DOWNLOAD_SIZE = 20 * MB  # getFile on the cloud Bot API
MAX_UPLOAD_SIZE = 50 * MB  # multipart uploads
MAX_PHOTO_UPLOAD_SIZE = 10 * MB
MAX_PHOTO_SIDES = 10_000  # width + height
MAX_PHOTO_RATIO = 20
MAX_URL_PHOTO_SIZE = 5 * MB  # files Telegram downloads itself from an HTTP URL
MAX_URL_FILE_SIZE = 20 * MB

DEFAULT_TOKEN = "123456:TEST-token-for-castbot-tests"  # matches the settings' token pattern
SUBSCRIPTION_PERIOD = 2_592_000  # the only period of a Stars subscription: 30 days

# Telegram's own wordings, for tests that assert on them.
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are"
    " exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
BOT_BLOCKED = "Forbidden: bot was blocked by the user"
GROUP_ANONYMOUS_BOT: JSON = {  # the "from" of an anonymous group admin's messages
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}
CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is"
    " running"
)

# The bot must answer a pre_checkout_query within 10 seconds, or the app gives up.
PRE_CHECKOUT_TIMEOUT = 10.0
BOT_DID_NOT_ANSWER = "The bot didn't respond in time."  # (unverified wording)

# Default allowed_updates: everything except these three, which must be asked for by name.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

# Form bodies carry every value as a string: these names are decoded to what Telegram reads.
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "prices",
        "allowed_updates",
        "reply_parameters",
        "link_preview_options",
        "media",
        "suggested_tip_amounts",
    }
)
_INT_PARAMS = frozenset(
    {
        "chat_id",
        "user_id",
        "message_id",
        "reply_to_message_id",
        "message_thread_id",
        "offset",
        "limit",
        "duration",
        "width",
        "height",
        "cache_time",
        "max_tip_amount",
        "subscription_period",
    }
)
_FLOAT_PARAMS = frozenset({"timeout"})
_BOOL_PARAMS = frozenset(
    {
        "drop_pending_updates",
        "show_alert",
        "ok",
        "disable_notification",
        "protect_content",
        "allow_sending_without_reply",
        "supports_streaming",
        "has_spoiler",
        "show_caption_above_media",
        "disable_content_type_detection",
        "need_name",
        "need_phone_number",
        "need_email",
        "need_shipping_address",
        "is_flexible",
        "is_canceled",
    }
)


class TelegramApiError(Exception):
    """A refusal, sent as Telegram's error envelope. Tests may pass one to `fail_next`."""

    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(f"{status} {description}")
        self.status = status
        self.description = description
        self.parameters = parameters

    def envelope(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class PaymentFailed(Exception):
    """A payment that did not go through; `reason` is what Telegram's app shows the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _bad(description: str) -> TelegramApiError:
    return TelegramApiError(400, f"Bad Request: {description}")


@dataclass(frozen=True)
class FileRef:
    """A file the fake stores; `file_size` is the declared size, not len(content)."""

    file_id: str
    file_unique_id: str
    file_size: int


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request (content kept out of repr: it may be 50 MB)."""

    filename: str
    mime_type: str
    content: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass
class SentMessage:
    """A message the bot sent; edits update it in place, as they do in the chat."""

    message_id: int
    chat_id: int
    method: str  # "sendMessage", "sendPhoto", "sendInvoice", ...
    text: str | None = None  # the current text (edits replace it; see `edits`)
    caption: str | None = None
    reply_markup: dict[str, Any] | None = None  # the current markup (edits replace it)
    file_id: str | None = None  # the sent media; content via BotApiEmulator.file_content
    edits: list[str] = field(default_factory=list)  # texts of editMessageText, in order
    params: dict[str, Any] = field(default_factory=dict)  # the send's params, uploads as Upload
    deleted: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False)  # the Message Telegram has
    sent_at: float = field(default_factory=time.monotonic, repr=False)  # time.monotonic()

    def buttons(self) -> list[tuple[str, str]]:
        """(text, callback_data or url) of every inline button, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [
            (button["text"], button.get("callback_data") or button.get("url") or "")
            for row in rows
            for button in row
        ]


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    content: bytes = field(repr=False)
    file_size: int  # declared; may exceed len(content) so tests need not allocate 25 MB
    kind: str | None  # "photo", "video", ...; None for add_file (usable as any type)
    file_path: str
    meta: JSON = field(default_factory=dict)  # width, height, duration, mime_type, file_name
    photo_set: list[_StoredFile] = field(default_factory=list, repr=False)  # sizes, small first

    def ref(self) -> FileRef:
        return FileRef(self.file_id, self.file_unique_id, self.file_size)

    def media(self) -> JSON:
        """The PhotoSize / Video / Document / ... object for this file."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            **self.meta,
        }


@dataclass
class _Chat:
    """A chat with the bot, both sides sharing one message counter: a private chat (its id is
    the user's id, and `user` is that user) or a group or channel (`user` is None)."""

    info: JSON  # the Chat object Telegram puts in messages
    user: JSON | None = None
    last_message_id: int = 0
    blocked: bool = False
    sent: list[SentMessage] = field(default_factory=list)
    by_id: dict[int, SentMessage] = field(default_factory=dict)
    incoming: dict[int, JSON] = field(default_factory=dict)  # the user's messages

    @property
    def id(self) -> int:
        chat_id: int = self.info["id"]
        return chat_id

    def next_message_id(self) -> int:
        self.last_message_id += 1
        return self.last_message_id

    def as_chat(self) -> JSON:
        return dict(self.info)


@dataclass
class _Query:
    """A callback or pre-checkout query a user sent; it can be answered once."""

    user_id: int
    answer: JSON | None = None


@dataclass
class _Charge:
    user_id: int
    currency: str
    total_amount: int
    refunded: bool = False
    payment: JSON = field(default_factory=dict)  # the SuccessfulPayment, to deliver it again


@dataclass
class StarSubscription:
    """A Stars subscription a user took out by paying a subscription invoice link."""

    user_id: int
    charge_id: str  # the first payment's, which names it to editUserStarSubscription
    payment: JSON  # the first SuccessfulPayment; renewals repeat its payload and amount
    period: int
    expires: int  # Unix time
    canceled_by_bot: bool = False


@dataclass
class _Call:
    """One Bot API request: params already decoded (files as Upload)."""

    method: str
    params: JSON

    def get_int(self, name: str, default: int | None = None) -> int | None:
        value = self.params.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise _bad(f"wrong parameter {name} specified") from None  # (unverified wording)

    def need_int(self, name: str) -> int:
        value = self.get_int(name)
        if value is None:
            raise _bad(f"{name} is empty")
        return value

    def get_str(self, name: str) -> str | None:
        value = self.params.get(name)
        return None if value is None else str(value)

    def need_str(self, name: str) -> str:
        value = self.get_str(name)
        if not value:
            raise _bad(f"{name} is empty")
        return value

    def get_bool(self, name: str) -> bool:
        return bool(self.params.get(name, False))


# --- Formatting: what Telegram makes of parse_mode -------------------------------------------
# The bot sees (and users read) text with the markup removed and entities in UTF-16 offsets,
# and a malformed markup is a 400 - the fake must do the same for tests to catch either.


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode())


def _entities_error(detail: str) -> TelegramApiError:
    return _bad(f"can't parse entities: {detail}")


class _Formatted:
    """Plain text being built, with its entities."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0  # in UTF-16 code units, as entity offsets are
        self.entities: list[JSON] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.length += _utf16_len(text)

    def close(self, fields: JSON, start: int) -> None:
        if fields and self.length > start:
            self.entities.append({**fields, "offset": start, "length": self.length - start})

    def result(self) -> tuple[str, list[JSON]]:
        entities = sorted(self.entities, key=lambda entity: (entity["offset"], -entity["length"]))
        return "".join(self.parts), entities


_HTML_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^<>]*)>")
_HTML_ATTR = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_HTML_CHARREF = re.compile(r"&(lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "pre": "pre",
}


def _html_tag_fields(tag: str, attrs_text: str, at: int) -> JSON:
    attrs = {m[0].lower(): m[1] or m[2] or m[3] for m in _HTML_ATTR.findall(attrs_text)}
    if tag in _HTML_SIMPLE:
        return {"type": _HTML_SIMPLE[tag]}
    if tag == "span" and attrs.get("class") == "tg-spoiler":
        return {"type": "spoiler"}
    if tag == "a":
        return {"type": "text_link", "url": attrs["href"]} if attrs.get("href") else {}
    if tag == "code":
        language = attrs.get("class", "").removeprefix("language-")
        return {"type": "code", "language": language} if language else {"type": "code"}
    if tag == "blockquote":
        expandable = "expandable" in attrs_text.split()
        return {"type": "expandable_blockquote" if expandable else "blockquote"}
    if tag == "tg-emoji" and attrs.get("emoji-id"):
        return {"type": "custom_emoji", "custom_emoji_id": attrs["emoji-id"]}
    raise _entities_error(f'Unsupported start tag "{tag}" at byte offset {at}')


def _parse_html(text: str) -> tuple[str, list[JSON]]:
    out = _Formatted()
    open_tags: list[tuple[str, int, JSON]] = []  # (tag, start, entity fields)
    index = 0
    while index < len(text):
        char = text[index]
        if char == "<":
            at = _byte_offset(text, index)
            match = _HTML_TAG.match(text, index)
            if match is None:
                raise _entities_error(f'Unsupported start tag "" at byte offset {at}')
            tag = match.group(2).lower()
            if match.group(1):
                if not open_tags or open_tags[-1][0] != tag:
                    expected = f'"</{open_tags[-1][0]}>"' if open_tags else "no end tag"
                    raise _entities_error(
                        f"Unmatched end tag at byte offset {at}, expected {expected},"
                        f' found "</{tag}>"'
                    )
                _, start, fields = open_tags.pop()
                language = fields.pop("language", None) if fields.get("type") == "code" else None
                if language and open_tags and open_tags[-1][0] == "pre":
                    open_tags[-1][2]["language"] = language  # <pre><code class=...> is one pre
                else:
                    out.close(fields, start)
            else:
                open_tags.append((tag, out.length, _html_tag_fields(tag, match.group(3), at)))
            index = match.end()
        elif char == "&" and (ref := _HTML_CHARREF.match(text, index)):
            name = ref.group(1)
            if name.startswith("#x"):
                out.add(chr(int(name[2:], 16)))
            elif name.startswith("#"):
                out.add(chr(int(name[1:])))
            else:
                out.add(_HTML_NAMED[name])
            index = ref.end()
        else:
            out.add(char)
            index += 1
    if open_tags:
        tag = open_tags[-1][0]
        raise _entities_error(f'Can\'t find end tag corresponding to start tag "{tag}"')
    return out.result()


_MD2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MD2_MARKERS = {
    "*": "bold",
    "_": "italic",
    "__": "underline",
    "~": "strikethrough",
    "||": "spoiler",
}
_ENTITY_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "code": "Code",
    "pre": "Pre",
}


def _find_closing(text: str, marker: str, start: int, *, escapes: bool) -> int:
    index = start
    while index < len(text):
        if escapes and text[index] == "\\":
            index += 2
        elif text.startswith(marker, index):
            return index
        else:
            index += 1
    return -1


def _unescape_md2(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text, flags=re.DOTALL)


def _markdown_code(text: str, index: int, out: _Formatted, *, v2: bool) -> int:
    """Parse `code` or ```pre``` at index; return the index after it."""
    fence = "```" if text.startswith("```", index) else "`"
    end = _find_closing(text, fence, index + len(fence), escapes=v2)
    if end < 0:
        name = "Pre" if fence == "```" else "Code"
        at = _byte_offset(text, index)
        raise _entities_error(
            f"Can't find end of {name} entity at byte offset {at}"
            if v2
            else f"Can't find end of the entity starting at byte offset {at}"
        )
    body = text[index + len(fence) : end]
    fields: JSON = {"type": "code"}
    if fence == "```":
        fields = {"type": "pre"}
        first_line, newline, rest = body.partition("\n")
        if newline and first_line and not first_line.isspace() and " " not in first_line:
            fields["language"] = first_line
            body = rest
    start = out.length
    out.add(_unescape_md2(body) if v2 else body)
    out.close(fields, start)
    return end + len(fence)


def _markdown_url(text: str, index: int) -> tuple[str, int]:
    """The URL of [text](url) starting at index (after "("); return it and the index after ")"."""
    end = _find_closing(text, ")", index, escapes=True)
    if end < 0:
        at = _byte_offset(text, index)
        raise _entities_error(f"Can't find end of a url at byte offset {at}")
    return _unescape_md2(text[index:end]), end + 1


def _parse_markdown_v2(text: str) -> tuple[str, list[JSON]]:
    out = _Formatted()
    open_entities: list[tuple[str, int, int]] = []  # (type, start, byte offset of the marker)
    quote_start: int | None = None
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            out.add(text[index + 1])
            index += 2
            continue
        if char == ">" and (index == 0 or text[index - 1] == "\n"):
            quote_start = out.length if quote_start is None else quote_start
            index += 1
            continue
        if char == "\n" and quote_start is not None and not text.startswith(">", index + 1):
            out.close({"type": "blockquote"}, quote_start)
            quote_start = None
        if char == "`":
            index = _markdown_code(text, index, out, v2=True)
            continue
        marker = text[index : index + 2] if text[index : index + 2] in ("__", "||") else char
        kind = _MD2_MARKERS.get(marker)
        if kind is not None:
            if open_entities and open_entities[-1][0] == kind:
                out.close({"type": kind}, open_entities.pop()[1])
            else:
                open_entities.append((kind, out.length, _byte_offset(text, index)))
            index += len(marker)
            continue
        if char == "[":
            open_entities.append(("text_link", out.length, _byte_offset(text, index)))
            index += 1
            continue
        if char == "]" and open_entities and open_entities[-1][0] == "text_link":
            _, start, _ = open_entities.pop()
            index += 1
            if text.startswith("(", index):
                url, index = _markdown_url(text, index + 1)
                out.close({"type": "text_link", "url": url}, start)
            continue
        if char in _MD2_RESERVED:
            raise _entities_error(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        out.add(char)
        index += 1
    if quote_start is not None:
        out.close({"type": "blockquote"}, quote_start)
    if open_entities:
        kind, _, at = open_entities[-1]
        name = _ENTITY_NAMES[kind]
        raise _entities_error(f"Can't find end of {name} entity at byte offset {at}")
    return out.result()


def _parse_markdown(text: str) -> tuple[str, list[JSON]]:
    """Legacy Markdown: *bold*, _italic_, `code`, ```pre```, [text](url); no nesting."""
    out = _Formatted()
    index = 0
    while index < len(text):
        char = text[index]
        at = _byte_offset(text, index)
        if char == "\\" and text[index + 1 : index + 2] in ("_", "*", "`", "["):
            out.add(text[index + 1])
            index += 2
        elif char in "*_":
            end = text.find(char, index + 1)
            if end < 0:
                raise _entities_error(f"Can't find end of the entity starting at byte offset {at}")
            start = out.length
            out.add(text[index + 1 : end])
            out.close({"type": "bold" if char == "*" else "italic"}, start)
            index = end + 1
        elif char == "`":
            index = _markdown_code(text, index, out, v2=False)
        elif char == "[":
            middle = text.find("](", index)
            end = text.find(")", middle) if middle >= 0 else -1
            if end < 0:
                raise _entities_error(f"Can't find end of the entity starting at byte offset {at}")
            start = out.length
            out.add(text[index + 1 : middle])
            out.close({"type": "text_link", "url": text[middle + 2 : end]}, start)
            index = end + 1
        else:
            out.add(char)
            index += 1
    return out.result()


def _apply_parse_mode(text: str, parse_mode: str) -> tuple[str, list[JSON]]:
    parsers = {"html": _parse_html, "markdownv2": _parse_markdown_v2, "markdown": _parse_markdown}
    parser = parsers.get(parse_mode.lower())
    if parser is None:
        raise _bad("unsupported parse_mode")
    return parser(text)


_COMMAND = re.compile(r"(?<!\S)/[a-zA-Z0-9_]{1,32}(?:@[a-zA-Z0-9_]{3,})?")
_URL = re.compile(r"https?://[^\s]+")
_MENTION = re.compile(r"(?<![\w@/])@[a-zA-Z0-9_]{5,32}\b")


def _user_entities(text: str) -> list[JSON]:
    """The entities Telegram's clients attach to a typed text: commands, links, mentions."""
    entities = []
    for pattern, kind in ((_COMMAND, "bot_command"), (_URL, "url"), (_MENTION, "mention")):
        for match in pattern.finditer(text):
            entities.append(
                {
                    "type": kind,
                    "offset": _utf16_len(text[: match.start()]),
                    "length": _utf16_len(match.group()),
                }
            )
    return sorted(entities, key=lambda entity: entity["offset"])


def _typed(text: str) -> JSON:
    """A text message's content as a client sends it: the text and its entities."""
    content: JSON = {"text": text}
    if entities := _user_entities(text):
        content["entities"] = entities
    return content


# --- Media helpers ----------------------------------------------------------------------------

_FILE_ID_PREFIX = {
    "photo": "AgACAgIAAxk",
    "video": "BAACAgIAAxk",
    "document": "BQACAgIAAxk",
    "audio": "CQACAgIAAxk",
    "voice": "AwACAgIAAxk",
    "sticker": "CAACAgIAAxk",
    None: "BQACAgIAAxk",
}
_FILE_FOLDER = {
    "photo": ("photos", ".jpg"),
    "video": ("videos", ".mp4"),
    "document": ("documents", ""),
    "audio": ("music", ".mp3"),
    "voice": ("voice", ".oga"),
    "sticker": ("stickers", ".webp"),
    None: ("documents", ""),
}
_KIND_NAMES = {
    "photo": "Photo",
    "video": "Video",
    "document": "Document",
    "audio": "Audio",
    "voice": "Voice",
    "sticker": "Sticker",
}
_OCTET_STREAM = "application/octet-stream"
_MEDIA_TYPES: dict[str | None, str] = {
    "photo": "image/jpeg",
    "video": "video/mp4",
    "audio": "audio/mpeg",
    "voice": "audio/ogg",
    "sticker": "image/webp",
}
_THUMBNAIL_SIDES = (90, 320)  # the smaller PhotoSizes Telegram adds below the full size


def make_jpeg(width: int = 1280, height: int = 960, color: str = "teal") -> bytes:
    """A real JPEG, for tests that need an image that decodes."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG")
    return buffer.getvalue()


_OPUS_PRE_SKIP = 312
_OPUS_SILENCE = b"\xf8\xff\xfe"  # one 20 ms CELT frame of silence (TOC 0xf8: fullband, mono)
_OPUS_FRAMES_PER_PAGE = 50


def make_voice(seconds: float) -> bytes:
    """A real Ogg Opus voice note of `seconds` of silence, as Telegram's apps record them
    (48 kHz, 20 ms frames): its length is in the stream, whatever its sender claims."""
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, _OPUS_PRE_SKIP, 48000, 0, 0)
    vendor = b"castbot emulator"
    tags = b"OpusTags" + struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", 0)
    frames = max(1, round(seconds * 50))
    pages: list[tuple[list[bytes], int]] = [([head], 0), ([tags], 0)]
    for start in range(0, frames, _OPUS_FRAMES_PER_PAGE):
        count = min(_OPUS_FRAMES_PER_PAGE, frames - start)
        # A page's granule position counts the 48 kHz samples decoded by its end.
        pages.append(([_OPUS_SILENCE] * count, _OPUS_PRE_SKIP + (start + count) * 960))
    stream = []
    for sequence, (packets, position) in enumerate(pages):
        page = OggPage()
        page.serial, page.sequence, page.position = 0x63617374, sequence, position
        page.packets = packets
        page.first = sequence == 0
        page.last = sequence == len(pages) - 1
        stream.append(page.write())
    return b"".join(stream)


def _image_size(content: bytes) -> tuple[int, int] | None:
    try:
        with Image.open(io.BytesIO(content)) as image:
            return image.size
    except Exception:  # not an image (or a warning turned error): fall back to assumed sizes
        return None


def _photo_dimensions_fit(content: bytes) -> bool:
    """Telegram's photo limits: width + height at most 10000, sides at most 20 to 1."""
    size = _image_size(content)
    if size is None:
        return True  # not decodable here: the fake takes it, as for other photos
    shorter, longer = sorted(max(side, 1) for side in size)
    return sum(size) <= MAX_PHOTO_SIDES and longer <= shorter * MAX_PHOTO_RATIO


def _thumbnail(content: bytes, side: int) -> tuple[bytes, int, int]:
    """A JPEG whose longer side is at most `side`, made from content (b"" if undecodable)."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.thumbnail((side, side))
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, "JPEG")
            return buffer.getvalue(), image.width, image.height
    except Exception:
        return b"", side, side * 3 // 4


def _captioned(message: JSON, caption: str | None) -> JSON:
    return message if caption is None else {**message, "caption": caption}


# --- The users ----------------------------------------------------------------------------------


class EmulatedUser:
    """A user in a private chat with the bot (the chat id is the user id)."""

    def __init__(self, telegram: BotApiEmulator, user: JSON) -> None:
        self._tg = telegram
        self.id: int = user["id"]
        self.telegram_user = user  # the User object in this user's updates
        self._cursor = 0  # how many of the bot's messages next_message has handed out

    def __repr__(self) -> str:
        return f"EmulatedUser(id={self.id}, first_name={self.telegram_user['first_name']!r})"

    # Sending: each call enqueues one update, as the user's client would cause.

    async def send_text(self, text: str) -> int:
        """Send a text; "/cmd args" gets a bot_command entity. Returns the message_id."""
        message_id: int = self._tg._incoming(self.id, _typed(text))["message_id"]
        return message_id

    async def send_photo(
        self,
        content: bytes | None = None,
        *,
        file_size: int | None = None,
        caption: str | None = None,
        media_group_id: str | None = None,
    ) -> FileRef:
        """Send a photo (a real JPEG if no content); returns the largest size's FileRef."""
        sizes = self._tg._store_photo(make_jpeg() if content is None else content, file_size)
        message: JSON = {"photo": [size.media() for size in sizes]}
        if caption is not None:
            message["caption"] = caption
        if media_group_id is not None:
            message["media_group_id"] = media_group_id
        self._tg._incoming(self.id, message)
        return sizes[-1].ref()

    async def send_document(
        self,
        content: bytes,
        *,
        file_name: str,
        mime_type: str,
        file_size: int | None = None,
        caption: str | None = None,
    ) -> FileRef:
        meta = {"file_name": file_name, "mime_type": mime_type}
        stored = self._tg._store(content, "document", file_size=file_size, meta=meta)
        self._tg._incoming(self.id, _captioned({"document": stored.media()}, caption))
        return stored.ref()

    async def send_voice(
        self,
        content: bytes | None = None,
        *,
        duration: int,
        mime_type: str = "audio/ogg",
        file_size: int | None = None,
        caption: str | None = None,
    ) -> FileRef:
        """Send a voice note claiming `duration` seconds: a real one of that length if no
        content is given (a modified client may claim any duration for any content)."""
        meta = {"duration": duration, "mime_type": mime_type}
        audio = make_voice(duration) if content is None else content
        stored = self._tg._store(audio, "voice", file_size=file_size, meta=meta)
        self._tg._incoming(self.id, _captioned({"voice": stored.media()}, caption))
        return stored.ref()

    async def send_audio(
        self,
        content: bytes,
        *,
        duration: int,
        file_name: str = "track.mp3",
        mime_type: str = "audio/mpeg",
        file_size: int | None = None,
        caption: str | None = None,
    ) -> FileRef:
        meta = {"duration": duration, "file_name": file_name, "mime_type": mime_type}
        stored = self._tg._store(content, "audio", file_size=file_size, meta=meta)
        self._tg._incoming(self.id, _captioned({"audio": stored.media()}, caption))
        return stored.ref()

    async def send_video(
        self,
        content: bytes,
        *,
        duration: int,
        width: int,
        height: int,
        file_name: str = "video.mp4",
        mime_type: str = "video/mp4",
        file_size: int | None = None,
        caption: str | None = None,
        media_group_id: str | None = None,
    ) -> FileRef:
        meta = {
            "duration": duration,
            "width": width,
            "height": height,
            "file_name": file_name,
            "mime_type": mime_type,
        }
        stored = self._tg._store(content, "video", file_size=file_size, meta=meta)
        message = _captioned({"video": stored.media()}, caption)
        if media_group_id is not None:
            message["media_group_id"] = media_group_id
        self._tg._incoming(self.id, message)
        return stored.ref()

    async def send_content(self, content: JSON) -> int:
        """Send a message of any other kind, e.g. ``{"location": {...}}`` or a video made
        with `BotApiEmulator.add_file`; returns the message_id."""
        message_id: int = self._tg._incoming(self.id, content)["message_id"]
        return message_id

    async def send_sticker(self) -> None:
        meta = {
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
        stored = self._tg._store(b"RIFF\x00\x00\x00\x00WEBP", "sticker", meta=meta)
        self._tg._incoming(self.id, {"sticker": stored.media()})

    @property
    def last_sent_id(self) -> int:
        """The message_id of the last message this user sent."""
        return max(self._tg._chat(self.id).incoming)

    async def edit(
        self,
        message_id: int,
        *,
        text: str | None = None,
        caption: str | None = None,
        photo: bytes | None = None,
    ) -> None:
        """Edit one of the user's messages: its text, its caption, or its photo (as
        Telegram clients allow); the bot gets an `edited_message` update."""
        self._tg._edit_incoming(self.id, message_id, text=text, caption=caption, photo=photo)

    async def press(self, message: SentMessage, button: str) -> str:
        """Press the inline button whose text or callback_data is `button` (or whose text
        contains it); returns the callback query id."""
        rows = (message.reply_markup or {}).get("inline_keyboard", [])
        buttons: list[JSON] = [b for row in rows for b in row]
        exact = [b for b in buttons if button in (b.get("text"), b.get("callback_data"))]
        partial = [b for b in buttons if button in b.get("text", "")]
        if not exact and len(partial) != 1:
            problem = "matches several buttons" if partial else "matches no button"
            raise LookupError(
                f"{button!r} {problem} of message {message.message_id}: {message.buttons()}"
            )
        chosen = (exact or partial)[0]
        if "callback_data" not in chosen:
            raise ValueError(f"button {chosen['text']!r} sends no callback query: {chosen}")
        return await self.press_data(message, chosen["callback_data"])

    async def press_data(self, message: SentMessage, data: str) -> str:
        """Send a callback query with any data (e.g. forged) from that message."""
        return self._tg._callback_query(self.id, message, data)

    async def press_inline(self, data: str) -> str:
        """Press a button on an inline message (one sent through inline mode, in any chat):
        the callback query carries inline_message_id and no message. Returns its id."""
        return self._tg._press(
            self.id,
            inline_message_id=f"AgAAA{next(self._tg._query_ids)}",
            chat_instance=f"-{8_000_000_000 + self.id}",
            data=data,
        )

    async def send_update(self, update: JSON) -> int:
        """Enqueue any update (an update_id is added); returns the update_id, or 0 if the
        bot's allowed_updates exclude its type (Telegram then never creates it)."""
        return self._tg._enqueue(update)

    async def send_pre_checkout_query(
        self, invoice: SentMessage, *, total_amount: int | None = None
    ) -> str:
        """Press "Pay" on an invoice: a pre_checkout_query the bot must answer. Returns its id."""
        details = invoice.raw["invoice"]
        total = details["total_amount"] if total_amount is None else total_amount
        return await self._pre_checkout(
            details["currency"], total, invoice.params.get("payload", "")
        )

    async def send_successful_payment(
        self, invoice: SentMessage, *, charge_id: str | None = None
    ) -> str:
        """The payment for an invoice went through; returns telegram_payment_charge_id."""
        details = invoice.raw["invoice"]
        charge_id = charge_id or self._new_charge_id()
        payment = self._payment(
            details["currency"],
            details["total_amount"],
            invoice.params.get("payload", ""),
            charge_id,
        )
        self._tg._incoming(self.id, {"successful_payment": payment})
        return charge_id

    async def pay_link(self, link: str, timeout: float = PRE_CHECKOUT_TIMEOUT) -> str:
        """Open an invoice link (createInvoiceLink) and tap Pay, as `pay` does for an invoice
        message; a subscription link's payment starts the subscription. Returns the charge
        id; raises PaymentFailed when the bot declines or is silent."""
        params = self._tg._invoice_links.get(link)
        if params is None:
            raise KeyError(f"no invoice link {link!r}")
        total = sum(int(price["amount"]) for price in params["prices"])
        query_id = await self._pre_checkout(params["currency"], total, params["payload"])
        await self._approved(query_id, timeout)
        charge_id = self._new_charge_id()
        payment = self._payment(params["currency"], total, params["payload"], charge_id)
        period = params.get("subscription_period")
        if period:
            expires = int(time.time()) + period
            payment |= {
                "subscription_expiration_date": expires,
                "is_recurring": True,
                "is_first_recurring": True,
            }
            self._tg.subscriptions[charge_id] = StarSubscription(
                self.id, charge_id, payment, period, expires
            )
        self._tg._incoming(self.id, {"successful_payment": payment})
        return charge_id

    async def renew_subscription(self, charge_id: str) -> str:
        """A period of the subscription (named by its first charge id) ends and Telegram
        charges the next one: a successful_payment with a new charge id, and no pre-checkout
        query (unverified: the Bot API documents none for renewals). Returns the new charge
        id; raises PaymentFailed when the bot cancelled the subscription."""
        subscription = self._tg.subscriptions[charge_id]
        if subscription.user_id != self.id:
            raise KeyError(f"subscription {charge_id} is not {self.id}'s")
        if subscription.canceled_by_bot:
            raise PaymentFailed("the subscription was cancelled by the bot")
        subscription.expires += subscription.period
        renewal_id = self._new_charge_id()
        payment = {
            key: value
            for key, value in subscription.payment.items()
            if key != "is_first_recurring"
        }
        payment |= {
            "telegram_payment_charge_id": renewal_id,
            "subscription_expiration_date": subscription.expires,
        }
        self._tg._incoming(self.id, {"successful_payment": payment})
        return renewal_id

    async def deliver_payment_again(self, charge_id: str) -> None:
        """Telegram delivers the same successful_payment again (as after a lost offset)."""
        payment = self._tg._charges[charge_id].payment
        self._tg._incoming(self.id, {"successful_payment": payment})

    async def pay(self, invoice: SentMessage, timeout: float = PRE_CHECKOUT_TIMEOUT) -> str:
        """Tap Pay under an invoice as Telegram's app does: a pre_checkout_query, then, once
        the bot approves it within `timeout`, the successful_payment. Returns its charge id;
        raises PaymentFailed with what the app would show when the bot declines or is silent."""
        query_id = await self.send_pre_checkout_query(invoice)
        await self._approved(query_id, timeout)
        return await self.send_successful_payment(invoice)

    async def _pre_checkout(self, currency: str, total: int, payload: str) -> str:
        """The pre_checkout_query a tap on Pay sends; returns its id."""
        query_id = str(next(self._tg._query_ids))
        query = {
            "id": query_id,
            "from": self.telegram_user,
            "currency": currency,
            "total_amount": total,
            "invoice_payload": payload,
        }
        await self.send_update({"pre_checkout_query": query})
        return query_id

    async def _approved(self, query_id: str, timeout: float) -> None:
        """Wait for the bot's answer to a pre_checkout_query; PaymentFailed, with what the
        app would show, unless it approves within `timeout`."""
        answers = self._tg.pre_checkout_answers
        if not await self._tg._changes.wait_for(lambda: query_id in answers, timeout):
            raise PaymentFailed(BOT_DID_NOT_ANSWER)
        answer = answers[query_id]
        if not answer.get("ok"):
            raise PaymentFailed(str(answer.get("error_message") or ""))

    def _new_charge_id(self) -> str:
        return f"stxCharge{next(self._tg._query_ids)}"

    @staticmethod
    def _payment(currency: str, total: int, payload: str, charge_id: str) -> JSON:
        """A successful_payment's content."""
        return {
            "currency": currency,
            "total_amount": total,
            "invoice_payload": payload,
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": "",
        }

    # Reading what the bot sent.

    def messages(self) -> list[SentMessage]:
        return self._tg.messages(self.id)

    async def next_message(self, timeout: float = 5.0) -> SentMessage:
        """The next message from the bot this user has not yet taken with next_message."""
        chat = self._tg._chat(self.id)
        arrived = await self._tg._changes.wait_for(lambda: len(chat.sent) > self._cursor, timeout)
        if not arrived:
            raise TimeoutError(
                f"{self!r} got no new message from the bot within {timeout}s"
                f" ({self._cursor} already taken).\n{self._tg._history(self.id)}"
            )
        self._cursor += 1
        return chat.sent[self._cursor - 1]

    async def wait_for_text(self, fragment: str, timeout: float = 5.0) -> SentMessage:
        """The next untaken message whose text or caption contains fragment (skipping others)."""
        chat = self._tg._chat(self.id)
        found: list[int] = []

        def match() -> bool:
            for index in range(self._cursor, len(chat.sent)):
                message = chat.sent[index]
                if fragment in (message.text or "") or fragment in (message.caption or ""):
                    found.append(index)
                    return True
            return False

        if not await self._tg._changes.wait_for(match, timeout):
            raise TimeoutError(
                f"{self!r} got no message containing {fragment!r} within {timeout}s.\n"
                f"{self._tg._history(self.id)}"
            )
        self._cursor = found[-1] + 1
        return chat.sent[found[-1]]

    def callback_answers(self) -> list[JSON]:
        """Params of each answerCallbackQuery for this user's queries, in order."""
        return [params for user_id, params in self._tg._callback_answers if user_id == self.id]


class EmulatedGroup:
    """A group, supergroup or channel the bot is in: in a group its members write, and so can
    an anonymous admin; a channel has posts, which come from the channel and from no user."""

    def __init__(self, telegram: BotApiEmulator, chat: _Chat) -> None:
        self._tg = telegram
        self._chat = chat
        self.id = chat.id

    async def send_text(self, text: str, sender: EmulatedUser | None = None) -> int:
        """A message in the group from `sender`, or (None) from an anonymous admin writing on
        behalf of the group, with the entities a client adds (commands, links, mentions);
        returns its message_id."""
        if self._chat.info["type"] == "channel":
            raise ValueError("nobody writes in a channel: it has posts (post)")
        origin = sender.telegram_user if sender is not None else None
        message_id: int = self._tg._post(self._chat, origin, _typed(text))["message_id"]
        return message_id

    async def post(self, text: str) -> int:
        """A channel post (a `channel_post` update, signed by the channel alone); returns its
        message_id."""
        if self._chat.info["type"] != "channel":
            raise ValueError("only a channel has posts: members write in a group (send_text)")
        message_id: int = self._tg._post(self._chat, None, _typed(text))["message_id"]
        return message_id

    def messages(self) -> list[SentMessage]:
        return self._tg.messages(self.id)


# --- The server ---------------------------------------------------------------------------------

_Handler = Callable[[_Call], Any]  # an async method returning the result


class BotApiEmulator:
    """The Bot API at http://127.0.0.1:PORT; use as ``async with BotApiEmulator() as tg``."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        username: str = "castbot_test_bot",
        latency: float = 0.0,
    ) -> None:
        """`latency`: seconds every Bot API call takes before it is handled, as a round trip
        to Telegram's servers would (the benchmark uses 0.05)."""
        self.token = token
        self.latency = latency
        self.root_url = ""  # set on start
        self.bot_user: JSON = {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": "Castbot",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.commands: list[JSON] = []  # the last setMyCommands
        # (scope, language): the scope's type, or "chat:<id>" for one chat's own menu
        self.command_sets: dict[tuple[str, str], list[JSON]] = {}
        self.requests: list[tuple[str, JSON]] = []  # every (method, params), in order
        self.refusals: list[tuple[str, int, str]] = []  # (method, status, description)
        self.pre_checkout_answers: dict[str, JSON] = {}  # query id -> answer params
        self.refunds: list[tuple[int, str]] = []  # (user_id, telegram_payment_charge_id)
        self.server_errors: list[str] = []  # tracebacks of bugs in the fake itself

        self._chats: dict[int, _Chat] = {}
        self._users: dict[int, EmulatedUser] = {}
        self._files: dict[str, _StoredFile] = {}
        self._paths: dict[str, _StoredFile] = {}
        self._file_numbers = itertools.count(1)
        self._query_ids = itertools.count(4_417_000_000_000_000_000)
        self._callback_queries: dict[str, _Query] = {}
        self._callback_answers: list[tuple[int, JSON]] = []
        self._pre_checkout_queries: dict[str, _Query] = {}
        self._charges: dict[str, _Charge] = {}
        self._invoice_links: dict[str, JSON] = {}  # link -> the createInvoiceLink params
        self.subscriptions: dict[str, StarSubscription] = {}  # by the first charge id

        self._updates: list[JSON] = []
        self._next_update_id = 700_000_001
        self._allowed_updates: frozenset[str] | None = None  # None: Telegram's default set
        self._poll_generation = 0  # a newer getUpdates terminates an older one (409)

        self._rate_limited = 0
        self._retry_after = 1
        self._failures: dict[str, list[TelegramApiError]] = {}
        self._holds: list[tuple[str, Callable[[JSON], bool] | None, bool, Hold]] = []
        self._chat_holds: dict[int, asyncio.Event] = {}

        self._changes = Changes()  # tests wait on these, never sleep
        self._listeners: list[Callable[[SentMessage], None]] = []
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._methods: dict[str, tuple[str, _Handler]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "sendMessage": self._send_message,
                "sendPhoto": self._send_photo,
                "sendVideo": self._send_video,
                "sendDocument": self._send_document,
                "sendAudio": self._send_audio,
                "sendVoice": self._send_voice,
                "sendMediaGroup": self._send_media_group,
                "sendChatAction": self._send_chat_action,
                "editMessageText": self._edit_message_text,
                "editMessageCaption": self._edit_message_caption,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "answerCallbackQuery": self._answer_callback_query,
                "getFile": self._get_file,
                "sendInvoice": self._send_invoice,
                "answerPreCheckoutQuery": self._answer_pre_checkout_query,
                "refundStarPayment": self._refund_star_payment,
                "createInvoiceLink": self._create_invoice_link,
                "editUserStarSubscription": self._edit_user_star_subscription,
            }.items()
        }

    # --- Lifecycle

    async def __aenter__(self) -> Self:
        # Bodies are limited per file below (413 as Telegram sends it), not by aiohttp.
        app = web.Application(client_max_size=1024 * MB)
        app.router.add_route("*", "/bot{token}/{method}", self._on_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._on_download)
        self._runner, self.root_url = await serve(app)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closing = True  # long polls still waiting answer [] at once
        for *_, hold in self._holds:
            hold.release()
        for chat_hold in self._chat_holds.values():
            chat_hold.set()
        self._changes.notify()
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()
        if self.server_errors and exc_type is None:
            raise AssertionError("the Bot API emulator failed:\n" + self.server_errors[0])

    # --- Test-facing API

    def user(
        self, user_id: int, first_name: str = "Ann", language_code: str = "en"
    ) -> EmulatedUser:
        """The user with this id (created on first use, as if they had started the bot)."""
        if user_id not in self._users:
            user = {
                "id": user_id,
                "is_bot": False,
                "first_name": first_name,
                "language_code": language_code,
            }
            info = {"id": user_id, "type": "private", "first_name": first_name}
            self._chats[user_id] = _Chat(info=info, user=user)
            self._users[user_id] = EmulatedUser(self, user)
        return self._users[user_id]

    def group(
        self, chat_id: int, title: str = "Friends", *, kind: str = "supergroup"
    ) -> EmulatedGroup:
        """A group (`kind` "group" or "supergroup") or channel ("channel") the bot is in,
        created on first use; its id is negative, as Telegram's are."""
        if kind not in ("group", "supergroup", "channel"):
            raise ValueError(f"not a kind of group chat: {kind!r}")
        if chat_id >= 0:
            raise ValueError("group and channel ids are negative")
        if chat_id not in self._chats:
            self._chats[chat_id] = _Chat(info={"id": chat_id, "type": kind, "title": title})
        return EmulatedGroup(self, self._chats[chat_id])

    def unanswered_callback_queries(self) -> list[str]:
        """Ids of callback queries the bot has not answered (each one a spinning button)."""
        return [qid for qid, query in self._callback_queries.items() if query.answer is None]

    def add_file(self, content: bytes, *, file_size: int | None = None) -> FileRef:
        """Store a file the bot may getFile or re-send; file_size may exceed len(content)."""
        return self._store(content, None, file_size=file_size).ref()

    def is_invoice_link(self, link: str) -> bool:
        """Whether `link` is an invoice link the bot made (createInvoiceLink): Telegram's apps
        open such a link as a payment form."""
        return link in self._invoice_links

    def file_content(self, file_id: str) -> bytes:
        """The bytes of a file the bot uploaded or a user sent."""
        stored = self._files.get(file_id)
        if stored is None:
            raise KeyError(f"no file with file_id {file_id!r}")
        return stored.content

    def file_media_type(self, file_id: str) -> str:
        """The MIME type a client plays or saves the file as (KeyError for an unknown id)."""
        stored = self._files.get(file_id)
        if stored is None:
            raise KeyError(f"no file with file_id {file_id!r}")
        declared = stored.meta.get("mime_type")
        return str(declared) if declared else _MEDIA_TYPES.get(stored.kind, _OCTET_STREAM)

    def chat_messages(self, chat_id: int) -> list[JSON]:
        """The chat as the user's app shows it: the Message objects of both sides, in order,
        as they are now (edits applied, deleted ones gone)."""
        chat = self._chat(chat_id)
        shown = [message.raw for message in chat.sent if not message.deleted]
        shown += chat.incoming.values()
        return sorted(shown, key=lambda message: int(message["message_id"]))

    @property
    def changes(self) -> Changes:
        """Notified whenever the emulator's state may have changed (wait on it, never poll)."""
        return self._changes

    def block_bot(self, user_id: int) -> None:
        """The user blocks the bot: every send to them is refused with 403 from now on."""
        chat = self._chat(user_id)
        if not chat.blocked:
            chat.blocked = True
            self._member_update(chat, "member", "kicked")

    def unblock_bot(self, user_id: int) -> None:
        chat = self._chat(user_id)
        if chat.blocked:
            chat.blocked = False
            self._member_update(chat, "kicked", "member")

    def messages(self, chat_id: int) -> list[SentMessage]:
        """Everything the bot sent to that chat, in order (deleted ones flagged)."""
        chat = self._chats.get(chat_id)
        return list(chat.sent) if chat else []

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed by a getUpdates offset."""
        return len(self._updates)

    def listen(self, listener: Callable[[SentMessage], None]) -> None:
        """Call `listener` with every message the bot sends from now on, as it is sent
        (for bookkeeping over thousands of chats, where waiting on each would not scale)."""
        self._listeners.append(listener)

    def rate_limit(self, count: int, *, retry_after: int = 1) -> None:
        """Answer the next `count` sends (send* but sendChatAction) with 429 retry_after."""
        self._rate_limited = count
        self._retry_after = retry_after

    def fail_next(self, method: str, error: TelegramApiError, *, times: int = 1) -> None:
        """Answer the next `times` calls of method with this error (any status)."""
        self._failures.setdefault(method.lower(), []).extend([error] * times)

    def hold(
        self,
        method: str,
        *,
        matching: Callable[[JSON], bool] | None = None,
        skip: int = 0,
        handled: bool = False,
    ) -> Hold:
        """Keep one call of method waiting until the test releases it: the first whose params
        satisfy `matching`, after `skip` such calls. With `handled` the call takes effect
        first (the message is in the chat) and only the answer waits, as when Telegram
        accepted a send whose answer the bot never got."""
        hold = Hold(self._changes, skip)
        self._holds.append((method.lower(), matching, handled, hold))
        return hold

    def hold_chat(self, chat_id: int) -> asyncio.Event:
        """Hold every request about this chat (a slow round trip to this chat alone) until the
        returned event is set; the held requests are recorded in `requests` on arrival."""
        return self._chat_holds.setdefault(chat_id, asyncio.Event())

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until predicate() holds; it is re-checked whenever the fake handles a request."""
        await self._changes.wait_until(predicate, timeout, lambda: self._history(None))

    # --- Internal state helpers

    def _history(self, chat_id: int | None) -> str:
        """What happened lately, for timeout messages."""
        lines = []
        if chat_id is not None:
            lines.append(f"the bot's messages to chat {chat_id}:")
            for message in self._chat(chat_id).sent:
                shown = message.text if message.text is not None else message.caption
                gone = " (deleted)" if message.deleted else ""
                lines.append(f"  #{message.message_id} {message.method}{gone}: {shown!r}")
        calls = [(m, p) for m, p in self.requests if m != "getUpdates"][-10:]
        lines.append("last requests (without getUpdates):")
        lines += [f"  {method} {_brief(params)}" for method, params in calls] or ["  none"]
        if self.refusals:
            lines.append("last refusals:")
            lines += [f"  {m} -> {s} {d}" for m, s, d in self.refusals[-5:]]
        lines.append(f"pending updates: {self.pending_updates}")
        return "\n".join(lines)

    def _chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise KeyError(f"no user {chat_id}: create them with tg.user({chat_id})")
        return chat

    def _new_file_id(self, kind: str | None) -> tuple[str, str, int]:
        number = next(self._file_numbers)
        return f"{_FILE_ID_PREFIX[kind]}{number:06d}", f"AQAD{number:06d}", number

    def _store(
        self,
        content: bytes,
        kind: str | None,
        *,
        file_size: int | None = None,
        meta: JSON | None = None,
    ) -> _StoredFile:
        file_id, unique_id, number = self._new_file_id(kind)
        folder, extension = _FILE_FOLDER[kind]
        if not extension and meta and "." in (name := meta.get("file_name") or ""):
            extension = "." + name.rsplit(".", 1)[1]
        stored = _StoredFile(
            file_id=file_id,
            file_unique_id=unique_id,
            content=content,
            file_size=len(content) if file_size is None else file_size,
            kind=kind,
            file_path=f"{folder}/file_{number}{extension}",
            meta=dict(meta or {}),
        )
        self._files[file_id] = stored
        self._paths[stored.file_path] = stored
        return stored

    def _store_photo(self, content: bytes, file_size: int | None = None) -> list[_StoredFile]:
        """A photo as Telegram keeps it: a ladder of sizes, the largest holding content."""
        width, height = _image_size(content) or (1280, 960)
        sizes: list[_StoredFile] = []
        for side in _THUMBNAIL_SIDES:
            if side < max(width, height):
                thumb, thumb_width, thumb_height = _thumbnail(content, side)
                meta = {"width": thumb_width, "height": thumb_height}
                sizes.append(self._store(thumb, "photo", meta=meta))
        full = self._store(content, "photo", file_size=file_size)
        full.meta = {"width": width, "height": height}
        sizes.append(full)
        for size in sizes:
            size.photo_set = sizes
        return sizes

    def _enqueue(self, update: JSON) -> int:
        body = {key: value for key, value in update.items() if key != "update_id"}
        kind = next(iter(body))
        allowed = self._allowed_updates
        if (kind not in allowed) if allowed is not None else (kind in _OPT_IN_UPDATES):
            return 0  # Telegram never creates updates the bot did not ask for
        self._track_payments(body)
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append({"update_id": update_id, **body})
        self._changes.notify()
        return update_id

    def _track_payments(self, body: JSON) -> None:
        query = body.get("pre_checkout_query")
        if query:
            self._pre_checkout_queries[query["id"]] = _Query(user_id=query["from"]["id"])
        payment = (body.get("message") or {}).get("successful_payment")
        if payment:
            # A payment delivered again is the same charge (refunded or not).
            self._charges.setdefault(
                payment["telegram_payment_charge_id"],
                _Charge(
                    user_id=body["message"]["from"]["id"],
                    currency=payment["currency"],
                    total_amount=payment["total_amount"],
                    payment=payment,
                ),
            )

    def _incoming(self, user_id: int, content: JSON) -> JSON:
        """A message from the user in their private chat, delivered as an update."""
        chat = self._chat(user_id)
        if chat.blocked:
            self.unblock_bot(user_id)  # writing to a blocked bot means restarting it first
        return self._post(chat, chat.user, content)

    def _post(self, chat: _Chat, sender: JSON | None, content: JSON) -> JSON:
        """A message in a chat, stored there and delivered as an update: a `message` from
        `sender`, or a `channel_post` in a channel. With no sender a group's message is an
        anonymous admin's, on behalf of the group; a channel's post comes from the channel."""
        message: JSON = {
            "message_id": chat.next_message_id(),
            "chat": chat.as_chat(),
            "date": int(time.time()),
            **content,
        }
        channel = chat.info["type"] == "channel"
        if sender is not None:
            message["from"] = sender
        elif not channel:  # an anonymous admin: Telegram names a stand-in bot
            message["from"] = GROUP_ANONYMOUS_BOT
        if sender is None:
            message["sender_chat"] = chat.as_chat()
        chat.incoming[message["message_id"]] = message
        self._enqueue({"channel_post" if channel else "message": message})
        return message

    def _edit_incoming(
        self,
        user_id: int,
        message_id: int,
        *,
        text: str | None,
        caption: str | None,
        photo: bytes | None,
    ) -> None:
        chat = self._chat(user_id)
        original = chat.incoming.get(message_id)
        if original is None:
            raise KeyError(f"user {user_id} sent no message {message_id}")
        edited = copy.deepcopy(original)
        if text is not None:
            if "text" not in edited:
                raise ValueError(f"message {message_id} has no text to edit")
            edited["text"] = text
            edited.pop("entities", None)
            if entities := _user_entities(text):
                edited["entities"] = entities
        if caption is not None:
            edited["caption"] = caption
        if photo is not None:
            if "photo" not in edited:
                raise ValueError(f"message {message_id} has no photo to replace")
            edited["photo"] = [size.media() for size in self._store_photo(photo)]
        edited["edit_date"] = int(time.time())
        chat.incoming[message_id] = edited
        self._enqueue({"edited_message": edited})

    def _callback_query(self, user_id: int, message: SentMessage, data: str) -> str:
        chat = self._chat(message.chat_id)
        private = chat.info["type"] == "private"
        if (private and message.chat_id != user_id) or chat.by_id.get(
            message.message_id
        ) is not message:
            raise ValueError(f"message {message.message_id} is not in a chat of {user_id}")
        if message.deleted:
            raise ValueError(f"message {message.message_id} was deleted; nothing to press")
        return self._press(
            user_id,
            message=copy.deepcopy(message.raw),  # as it is at the press
            chat_instance=f"-{7_000_000_000 + message.chat_id}",
            data=data,
        )

    def _press(self, user_id: int, **query: Any) -> str:
        query_id = str(next(self._query_ids))
        self._callback_queries[query_id] = _Query(user_id=user_id)
        sender = self._users[user_id].telegram_user
        self._enqueue({"callback_query": {"id": query_id, "from": sender, **query}})
        return query_id

    def _member_update(self, chat: _Chat, old: str, new: str) -> None:
        bot = self._bot_as_sender()

        def member(status: str) -> JSON:
            # A kicked member always carries until_date; PTB refuses the update without it.
            return {"status": status, "user": bot} | (
                {"until_date": 0} if status == "kicked" else {}
            )

        self._enqueue(
            {
                "my_chat_member": {
                    "chat": chat.as_chat(),
                    "from": chat.user,
                    "date": int(time.time()),
                    "old_chat_member": member(old),
                    "new_chat_member": member(new),
                }
            }
        )

    def _bot_as_sender(self) -> JSON:
        keys = ("id", "is_bot", "first_name", "username")
        return {key: self.bot_user[key] for key in keys}

    # --- HTTP layer

    async def _on_method(self, request: web.Request) -> web.Response:
        if self.latency:
            await asyncio.sleep(self.latency)
        token, name = request.match_info["token"], request.match_info["method"]
        if token != self.token:
            # A token of the right shape is "Unauthorized"; anything else is not a bot URL.
            if re.fullmatch(r"\d+:[\w-]+", token):
                return _reply(TelegramApiError(401, "Unauthorized").envelope(), 401)
            return _reply(TelegramApiError(404, "Not Found").envelope(), 404)
        method, handler = self._methods.get(name.lower(), (name, None))
        try:
            params = await _read_params(request)
        except TelegramApiError as error:
            self.requests.append((method, {}))
            return self._refuse(method, error)
        self.requests.append((method, params))
        self._changes.notify()  # a request arrived: wait_until may be waiting for just that
        chat_hold = self._chat_holds.get(params.get("chat_id"))
        if chat_hold is not None:
            await chat_hold.wait()
        try:
            if handler is None:
                raise TelegramApiError(404, "Not Found")
            await self._held(method, params, handled=False)
            if request.transport is None or request.transport.is_closing():
                # The bot went away while the call was held: Telegram never got it.
                return _reply(TelegramApiError(499, "Client Closed Request").envelope(), 499)
            self._check_injected_failures(method)
            result = await handler(_Call(method, params))
            await self._held(method, params, handled=True)
        except TelegramApiError as error:
            if request.transport is None or request.transport.is_closing():
                # e.g. a long poll the bot cancelled on stop: nobody hears this 409.
                return _reply(error.envelope(), error.status)
            return self._refuse(method, error)
        except Exception:
            self.server_errors.append(traceback.format_exc())
            bug = TelegramApiError(500, "Internal Server Error: the Bot API emulator has a bug")
            return self._refuse(method, bug)
        finally:
            self._changes.notify()
        return _reply({"ok": True, "result": result})

    async def _held(self, method: str, params: JSON, *, handled: bool) -> None:
        for name, matching, after, hold in self._holds:
            if (
                name == method.lower()
                and after is handled
                and (matching is None or matching(params))
                and hold.catches()
            ):
                await hold.held()

    def _refuse(self, method: str, error: TelegramApiError) -> web.Response:
        self.refusals.append((method, error.status, error.description))
        self._changes.notify()
        return _reply(error.envelope(), error.status)

    def _check_injected_failures(self, method: str) -> None:
        queued = self._failures.get(method.lower())
        if queued:
            raise queued.pop(0)
        if self._rate_limited and method.startswith("send") and method != "sendChatAction":
            self._rate_limited -= 1
            raise TelegramApiError(
                429,
                f"Too Many Requests: retry after {self._retry_after}",
                {"retry_after": self._retry_after},
            )

    async def _on_download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _reply(TelegramApiError(401, "Unauthorized").envelope(), 401)
        stored = self._paths.get(request.match_info["path"])
        if stored is None:
            return _reply(TelegramApiError(404, "Not Found").envelope(), 404)
        return web.Response(body=stored.content, content_type="application/octet-stream")

    # --- Methods: updates and bot settings

    async def _get_me(self, call: _Call) -> JSON:
        return self.bot_user

    async def _get_updates(self, call: _Call) -> list[JSON]:
        offset = call.get_int("offset")
        limit = min(max(call.get_int("limit", 100) or 100, 1), 100)
        timeout = max(float(call.params.get("timeout") or 0), 0.0)
        allowed = call.params.get("allowed_updates")
        if allowed is not None:
            self._allowed_updates = frozenset(allowed) if allowed else None
        if offset:
            # Confirming: everything before offset is forgotten; a negative offset keeps only
            # the last -offset updates.
            if offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            else:
                self._updates = self._updates[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        await self._changes.wait_for(
            lambda: bool(self._updates) or self._closing or self._poll_generation != generation,
            timeout,
        )
        if self._poll_generation != generation:
            raise TelegramApiError(409, CONFLICT)
        return self._updates[:limit]

    async def _delete_webhook(self, call: _Call) -> bool:
        if call.get_bool("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, call: _Call) -> JSON:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}

    def _commands_key(self, call: _Call) -> tuple[str, str]:
        scope = call.params.get("scope") or {}
        kind = str(scope.get("type", "default"))
        if kind == "chat":
            kind = f"chat:{scope.get('chat_id')}"
        return kind, call.get_str("language_code") or ""

    async def _set_my_commands(self, call: _Call) -> bool:
        commands = call.params.get("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")  # (unverified wording)
        if len(commands) > 100:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        language = call.get_str("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise _bad("LANGUAGE_CODE_INVALID")  # a two-letter ISO 639-1 code (unverified wording)
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")  # (unverified wording)
        self.commands = commands
        self.command_sets[self._commands_key(call)] = commands
        return True

    async def _get_my_commands(self, call: _Call) -> list[JSON]:
        return self.command_sets.get(self._commands_key(call), [])

    async def _delete_my_commands(self, call: _Call) -> bool:
        self.command_sets.pop(self._commands_key(call), None)
        return True

    # --- Methods: sending

    def _chat_for(self, call: _Call) -> _Chat:
        chat_id = call.params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _bad("chat_id is empty")
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise _bad("chat not found")
        if chat.blocked:
            raise TelegramApiError(403, BOT_BLOCKED)
        return chat

    def _formatted(
        self, call: _Call, name: str, entities_name: str, *, limit: int, too_long: str
    ) -> tuple[str | None, list[JSON]]:
        """Text or caption after parse_mode, checked against Telegram's length limit."""
        text = call.get_str(name)
        if not text:
            return None, []
        parse_mode = call.get_str("parse_mode")
        if parse_mode:
            text, entities = _apply_parse_mode(text, parse_mode)
        else:
            entities = list(call.params.get(entities_name) or [])
        if not text.strip():
            return None, []
        if len(text) > limit:  # Telegram counts characters after entity parsing
            raise _bad(too_long)
        return text, entities

    def _text(self, call: _Call) -> tuple[str, list[JSON]]:
        text, entities = self._formatted(
            call, "text", "entities", limit=MAX_TEXT_LENGTH, too_long="message is too long"
        )
        if text is None:
            raise _bad("message text is empty")
        return text, entities

    def _caption(self, call: _Call) -> tuple[str | None, list[JSON]]:
        return self._formatted(
            call,
            "caption",
            "caption_entities",
            limit=MAX_CAPTION_LENGTH,
            too_long="message caption is too long",
        )

    def _reply_markup(self, call: _Call) -> JSON | None:
        markup = call.params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            _check_inline_keyboard(markup["inline_keyboard"])
        return markup

    def _reply_to(self, call: _Call, chat: _Chat) -> JSON | None:
        reply = call.params.get("reply_parameters") or {}
        message_id = reply.get("message_id") or call.get_int("reply_to_message_id")
        if not message_id:
            return None
        sent = chat.by_id.get(message_id)
        target = chat.incoming.get(message_id) or (sent.raw if sent and not sent.deleted else None)
        if target is not None:
            return copy.deepcopy(target)  # as it is now; later edits don't change the reply
        if reply.get("allow_sending_without_reply") or call.get_bool(
            "allow_sending_without_reply"
        ):
            return None
        raise _bad("message to be replied not found")

    def _deliver(
        self,
        call: _Call,
        chat: _Chat,
        content: JSON,
        markup: JSON | None,
        *,
        text: str | None = None,
        caption: str | None = None,
        file_id: str | None = None,
        reply_to: JSON | None = None,
    ) -> JSON:
        """Add the bot's message to the chat; return the Message Telegram would."""
        message_id = chat.next_message_id()
        raw: JSON = {
            "message_id": message_id,
            "from": self._bot_as_sender(),
            "chat": chat.as_chat(),
            "date": int(time.time()),
        }
        if reply_to is not None:
            raw["reply_to_message"] = reply_to
        raw.update({key: value for key, value in content.items() if value not in (None, [])})
        if markup and "inline_keyboard" in markup:  # only inline keyboards belong to a message
            raw["reply_markup"] = markup
        sent = SentMessage(
            message_id=message_id,
            chat_id=chat.id,
            method=call.method,
            text=text,
            caption=caption,
            reply_markup=markup,
            file_id=file_id,
            params=call.params,
            raw=raw,
        )
        chat.sent.append(sent)
        chat.by_id[message_id] = sent
        for listener in self._listeners:
            listener(sent)
        return raw

    async def _send_message(self, call: _Call) -> JSON:
        text, entities = self._text(call)
        markup = self._reply_markup(call)
        chat = self._chat_for(call)
        reply_to = self._reply_to(call, chat)
        content = {"text": text, "entities": entities}
        return self._deliver(call, chat, content, markup, text=text, reply_to=reply_to)

    async def _input_file(self, call: _Call, name: str, kind: str) -> tuple[_StoredFile, bool]:
        """The file a send refers to, and whether it was just uploaded (vs file_id or URL)."""
        value = call.params.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = call.params.get(value.removeprefix("attach://"))
        if isinstance(value, Upload):
            if kind == "photo" and value.size > MAX_PHOTO_UPLOAD_SIZE:
                raise _bad("PHOTO_SAVE_FILE_INVALID")  # (unverified wording)
            if kind == "photo" and not _photo_dimensions_fit(value.content):
                raise _bad("PHOTO_INVALID_DIMENSIONS")
            return self._store_upload(value.content, kind, value.filename, value.mime_type), True
        if not value:
            raise _bad(f"there is no {name} in the request")
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            content, mime_type = await self._download_url(value, kind)
            filename = value.rsplit("/", 1)[-1].split("?")[0] or "file"
            return self._store_upload(content, kind, filename, mime_type), True
        stored = self._files.get(str(value))
        if stored is None:
            raise _bad("wrong file identifier/HTTP URL specified")
        # Resending by file_id cannot change the type (a photo can't become a document).
        if stored.kind is not None and stored.kind != kind:
            raise _bad(f"can't use file of type {_KIND_NAMES[stored.kind]} as {_KIND_NAMES[kind]}")
        return stored, False

    def _store_upload(
        self, content: bytes, kind: str, filename: str, mime_type: str
    ) -> _StoredFile:
        if kind == "photo":
            return self._store_photo(content)[-1]
        meta: JSON = {"file_name": filename, "mime_type": mime_type}
        if kind == "voice":
            meta = {"mime_type": mime_type}
        return self._store(content, kind, meta=meta)

    async def _download_url(self, url: str, kind: str) -> tuple[bytes, str]:
        """Fetch a file the bot sent by URL, as Telegram's servers would."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        limit = MAX_URL_PHOTO_SIZE if kind == "photo" else MAX_URL_FILE_SIZE
        try:
            async with self._session.get(url) as response:
                if response.status != 200:
                    raise _bad("failed to get HTTP URL content")
                content = await response.read()
                mime_type = response.content_type
        except aiohttp.ClientError:
            raise _bad("failed to get HTTP URL content") from None
        if len(content) > limit:
            raise _bad("failed to get HTTP URL content")  # (unverified wording for "too big")
        return content, mime_type

    def _media(self, call: _Call, stored: _StoredFile, kind: str, fresh: bool) -> Any:
        """The media field of the sent Message (a PhotoSize list for photos)."""
        if kind == "photo":
            sizes = stored.photo_set or [stored]
            for size in sizes:
                if not size.meta:  # an add_file file sent as a photo
                    width, height = _image_size(size.content) or (1280, 960)
                    size.meta = {"width": width, "height": height}
            return [size.media() for size in sizes]
        if fresh or stored.kind is None:
            # Telegram reads these from the file; the fake takes what the bot declared.
            declared = {
                "video": ("duration", "width", "height"),
                "audio": ("duration", "performer", "title"),
                "voice": ("duration",),
            }.get(kind, ())
            for key in declared:
                value = call.params.get(key)
                stored.meta[key] = value if value is not None else stored.meta.get(key, 0)
            if kind == "video" and "supports_streaming" in call.params:
                stored.meta["supports_streaming"] = call.get_bool("supports_streaming")
            stored.meta = {k: v for k, v in stored.meta.items() if v is not None}
        return stored.media()

    async def _send_media(self, call: _Call, kind: str) -> JSON:
        caption, caption_entities = self._caption(call)
        markup = self._reply_markup(call)
        chat = self._chat_for(call)
        reply_to = self._reply_to(call, chat)
        stored, fresh = await self._input_file(call, kind, kind)
        content = {
            kind: self._media(call, stored, kind, fresh),
            "caption": caption,
            "caption_entities": caption_entities,
        }
        if call.get_bool("has_spoiler"):
            content["has_media_spoiler"] = True
        return self._deliver(
            call,
            chat,
            content,
            markup,
            caption=caption,
            file_id=stored.file_id,
            reply_to=reply_to,
        )

    async def _send_photo(self, call: _Call) -> JSON:
        return await self._send_media(call, "photo")

    async def _send_video(self, call: _Call) -> JSON:
        return await self._send_media(call, "video")

    async def _send_document(self, call: _Call) -> JSON:
        return await self._send_media(call, "document")

    async def _send_audio(self, call: _Call) -> JSON:
        return await self._send_media(call, "audio")

    async def _send_voice(self, call: _Call) -> JSON:
        return await self._send_media(call, "voice")

    async def _send_media_group(self, call: _Call) -> list[JSON]:
        media = call.params.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise _bad("wrong number of media in the media group")  # (unverified wording)
        chat = self._chat_for(call)
        group_id = str(next(self._query_ids))
        messages = []
        for item in media:
            kind = item.get("type")
            if kind not in ("photo", "video", "document", "audio"):
                raise _bad("wrong type of media in the media group")  # (unverified wording)
            item_call = _Call(call.method, {**call.params, **item})
            caption, caption_entities = self._caption(item_call)
            stored, fresh = await self._input_file(item_call, "media", kind)
            content = {
                kind: self._media(item_call, stored, kind, fresh),
                "caption": caption,
                "caption_entities": caption_entities,
                "media_group_id": group_id,
            }
            messages.append(
                self._deliver(
                    item_call, chat, content, None, caption=caption, file_id=stored.file_id
                )
            )
        return messages

    async def _send_chat_action(self, call: _Call) -> bool:
        action = call.get_str("action")
        self._chat_for(call)
        if action not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    # --- Methods: editing and deleting

    def _message_to_edit(self, call: _Call) -> tuple[_Chat, SentMessage]:
        if call.params.get("inline_message_id"):
            raise _bad("message to edit not found")  # the fake sends no inline messages
        chat = self._chat_for(call)
        message_id = call.need_int("message_id")
        sent = chat.by_id.get(message_id)
        if message_id in chat.incoming:
            raise _bad("message can't be edited")
        if sent is None or sent.deleted:
            raise _bad("message to edit not found")
        if sent.reply_markup and "inline_keyboard" not in sent.reply_markup:
            raise _bad("message can't be edited")  # messages with a reply keyboard are final
        return chat, sent

    def _edit_markup(self, call: _Call) -> JSON | None:
        markup = self._reply_markup(call)
        if markup is not None and "inline_keyboard" not in markup:
            raise _bad("can't parse inline keyboard markup JSON object")  # (unverified wording)
        return markup

    @staticmethod
    def _apply_edit(sent: SentMessage, changes: JSON, markup: JSON | None) -> JSON:
        """Apply an edit; leaving out reply_markup removes the keyboard, as in Telegram."""
        current = {key: sent.raw.get(key) for key in changes}
        if current == changes and sent.reply_markup == markup:
            raise TelegramApiError(400, NOT_MODIFIED)
        for key, value in changes.items():
            if value in (None, []):
                sent.raw.pop(key, None)
            else:
                sent.raw[key] = value
        sent.reply_markup = markup
        sent.raw.pop("reply_markup", None)
        if markup:
            sent.raw["reply_markup"] = markup
        sent.raw["edit_date"] = int(time.time())
        return sent.raw

    async def _edit_message_text(self, call: _Call) -> JSON:
        text, entities = self._text(call)
        markup = self._edit_markup(call)
        _, sent = self._message_to_edit(call)
        if sent.text is None:
            raise _bad("there is no text in the message to edit")
        result = self._apply_edit(sent, {"text": text, "entities": entities or None}, markup)
        sent.text = text
        sent.edits.append(text)
        return result

    async def _edit_message_caption(self, call: _Call) -> JSON:
        caption, entities = self._caption(call)
        markup = self._edit_markup(call)
        _, sent = self._message_to_edit(call)
        if sent.text is not None or sent.method == "sendInvoice":
            raise _bad("there is no caption in the message to edit")  # (unverified wording)
        changes = {"caption": caption, "caption_entities": entities or None}
        result = self._apply_edit(sent, changes, markup)
        sent.caption = caption
        return result

    async def _edit_message_reply_markup(self, call: _Call) -> JSON:
        markup = self._edit_markup(call)
        _, sent = self._message_to_edit(call)
        return self._apply_edit(sent, {}, markup)

    async def _delete_message(self, call: _Call) -> bool:
        chat = self._chat_for(call)
        message_id = call.need_int("message_id")
        sent = chat.by_id.get(message_id)
        if message_id in chat.incoming:  # bots may delete incoming messages in private chats
            del chat.incoming[message_id]
        elif sent is not None and not sent.deleted:
            sent.deleted = True
        else:
            raise _bad("message to delete not found")
        return True

    # --- Methods: callback queries and files

    async def _answer_callback_query(self, call: _Call) -> bool:
        query = self._callback_queries.get(call.need_str("callback_query_id"))
        text = call.get_str("text") or ""
        if len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad("MESSAGE_TOO_LONG")
        if query is None or query.answer is not None:
            raise TelegramApiError(400, QUERY_TOO_OLD)
        query.answer = call.params
        self._callback_answers.append((query.user_id, call.params))
        return True

    async def _get_file(self, call: _Call) -> JSON:
        stored = self._files.get(call.need_str("file_id"))
        if stored is None:
            raise _bad("invalid file_id")
        if stored.file_size > MAX_DOWNLOAD_SIZE:
            raise _bad("file is too big")
        return {**stored.media(), "file_path": stored.file_path}

    # --- Methods: payments (Telegram Stars)

    async def _send_invoice(self, call: _Call) -> JSON:
        title = call.need_str("title")
        description = call.need_str("description")
        payload = call.need_str("payload")
        currency = call.need_str("currency")
        prices = call.params.get("prices")
        if not isinstance(prices, list) or not prices:
            raise _bad("prices are empty")  # (unverified wording)
        if len(payload.encode()) > 128:
            raise _bad("INVOICE_PAYLOAD_INVALID")  # (unverified wording)
        if currency == "XTR" and (len(prices) != 1 or call.get_str("provider_token")):
            # Stars take exactly one price and no payment provider.
            raise _bad("STARS_INVOICE_INVALID")  # (unverified wording)
        markup = self._reply_markup(call)
        chat = self._chat_for(call)
        total = sum(int(price["amount"]) for price in prices)
        if markup is None:  # Telegram adds the Pay button itself
            label = f"Pay ⭐️{total}" if currency == "XTR" else f"Pay {total} {currency}"
            markup = {"inline_keyboard": [[{"text": label, "pay": True}]]}
        invoice = {
            "title": title,
            "description": description,
            "start_parameter": call.get_str("start_parameter") or "",
            "currency": currency,
            "total_amount": total,
        }
        return self._deliver(call, chat, {"invoice": invoice}, markup)

    async def _answer_pre_checkout_query(self, call: _Call) -> bool:
        query_id = call.need_str("pre_checkout_query_id")
        query = self._pre_checkout_queries.get(query_id)
        if query is None or query.answer is not None:
            raise TelegramApiError(400, QUERY_TOO_OLD)
        if "ok" not in call.params:
            raise _bad("ok is empty")  # (unverified wording)
        if not call.get_bool("ok") and not call.get_str("error_message"):
            raise _bad("ERROR_MESSAGE_EMPTY")  # (unverified wording)
        query.answer = call.params
        self.pre_checkout_answers[query_id] = call.params
        return True

    async def _create_invoice_link(self, call: _Call) -> str:
        title = call.need_str("title")
        description = call.need_str("description")
        payload = call.need_str("payload")
        currency = call.need_str("currency")
        prices = call.params.get("prices")
        if not 1 <= len(title) <= 32 or not 1 <= len(description) <= 255:
            raise _bad("INVOICE_TITLE_INVALID")  # (unverified wording)
        if not isinstance(prices, list) or not prices:
            raise _bad("prices are empty")  # (unverified wording)
        if not 1 <= len(payload.encode()) <= 128:
            raise _bad("INVOICE_PAYLOAD_INVALID")  # (unverified wording)
        if currency == "XTR" and (len(prices) != 1 or call.get_str("provider_token")):
            raise _bad("STARS_INVOICE_INVALID")  # (unverified wording)
        period = call.get_int("subscription_period")
        if period is not None:
            # Telegram: XTR only, always 2592000 s (30 days), at most 10000 Stars.
            total = sum(int(price["amount"]) for price in prices)
            if currency != "XTR" or period != SUBSCRIPTION_PERIOD or total > 10_000:
                raise _bad("SUBSCRIPTION_PERIOD_INVALID")  # (unverified wording)
        link = f"https://t.me/${next(self._query_ids):x}"
        self._invoice_links[link] = call.params
        return link

    async def _edit_user_star_subscription(self, call: _Call) -> bool:
        user_id = call.need_int("user_id")
        charge_id = call.need_str("telegram_payment_charge_id")
        if "is_canceled" not in call.params:
            raise _bad("is_canceled is empty")  # (unverified wording)
        subscription = self.subscriptions.get(charge_id)
        if subscription is None or subscription.user_id != user_id:
            raise _bad("CHARGE_ID_INVALID")  # (unverified wording)
        subscription.canceled_by_bot = call.get_bool("is_canceled")
        return True

    async def _refund_star_payment(self, call: _Call) -> bool:
        user_id = call.need_int("user_id")
        charge_id = call.need_str("telegram_payment_charge_id")
        charge = self._charges.get(charge_id)
        if charge is None or charge.user_id != user_id:
            raise _bad("CHARGE_NOT_FOUND")  # (unverified wording)
        if charge.refunded:
            raise _bad("CHARGE_ALREADY_REFUNDED")
        charge.refunded = True
        self.refunds.append((user_id, charge_id))
        return True


# --- Request parsing ----------------------------------------------------------------------------


async def _read_params(request: web.Request) -> JSON:
    """Query string plus body (form, multipart or JSON), decoded as Telegram reads them."""
    params: JSON = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise _bad("can't parse JSON object") from None  # (unverified wording)
            if isinstance(body, dict):
                params.update(body)
        elif request.content_type == "multipart/form-data":
            params.update(await _read_multipart(request))
        else:
            params.update(await request.post())
    return {key: _decode(key, value) for key, value in params.items()}


async def _read_multipart(request: web.Request) -> JSON:
    """The parts of a multipart body, files as Upload. Read part by part into memory rather
    than with request.post(), whose spooled temporary files leak when a client hangs up
    halfway through an upload."""
    params: JSON = {}
    too_large = False
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
            continue
        if part.filename is None:
            params[part.name] = await part.text()
            continue
        chunks: list[bytes] = []
        size = 0
        while chunk := await part.read_chunk():
            size += len(chunk)
            if size <= MAX_UPLOAD_SIZE:  # past the limit, drain without keeping
                chunks.append(chunk)
        too_large = too_large or size > MAX_UPLOAD_SIZE
        content_type = part.headers.get(aiohttp.hdrs.CONTENT_TYPE, "application/octet-stream")
        params[part.name] = Upload(part.filename, content_type, b"".join(chunks))
    if too_large:
        raise TelegramApiError(413, "Request Entity Too Large")
    return params


def _decode(name: str, value: Any) -> Any:
    """A form value (always a string) as the type Telegram expects for that parameter."""
    if not isinstance(value, str):
        return value
    try:
        if name in _JSON_PARAMS:
            return json.loads(value)
        if name in _INT_PARAMS and re.fullmatch(r"-?\d+", value):
            return int(value)
        if name in _FLOAT_PARAMS and value:
            return float(value)
    except ValueError:
        raise _bad(f"can't parse {name} JSON object") from None
    if name in _BOOL_PARAMS:
        return value.lower() in ("true", "1")
    return value


def _check_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad("can't parse inline keyboard markup JSON object")  # (unverified wording)
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise _bad("can't parse inline keyboard button: Text must be a String")
            if not any(action in button for action in _BUTTON_ACTIONS):
                raise _bad("text buttons are unallowed in the inline keyboard")
            if "callback_data" in button:
                data = button["callback_data"]
                size = len(data.encode()) if isinstance(data, str) else 0
                if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                    raise _bad("BUTTON_DATA_INVALID")
            if "url" in button and not str(button["url"]).startswith(
                ("http://", "https://", "tg://")
            ):
                raise _bad("BUTTON_URL_INVALID")


def _reply(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


def _brief(params: JSON) -> str:
    """Params for a log line: long strings cut, uploads as their repr."""
    shown = {
        key: (value[:60] + "…" if isinstance(value, str) and len(value) > 60 else value)
        for key, value in params.items()
    }
    return str(shown)
