"""The fake Telegram Bot API server, checked with a real python-telegram-bot `Bot`.

A real Bot parsing every answer is the proof that the wire format is right: if PTB can
de-json it and raises the exception Telegram's answer would cause, the bot under test will too.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import io
import json
import time
from collections.abc import AsyncIterator

import httpx
import mutagen
import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    LabeledPrice,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    filters,
)

from bot.playground.emulator import (
    BOT_DID_NOT_ANSWER,
    MB,
    NOT_MODIFIED,
    BotApiEmulator,
    PaymentFailed,
    TelegramApiError,
    make_jpeg,
    make_voice,
)


@pytest.fixture(autouse=True)
def _timedelta_durations(monkeypatch: pytest.MonkeyPatch) -> None:
    # As the bot package does: PTB otherwise warns whenever a duration is read as an int.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def tg() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as fake:
        yield fake


def make_bot(tg: BotApiEmulator, token: str | None = None) -> Bot:
    return Bot(
        token or tg.token,
        base_url=f"{tg.root_url}/bot",
        base_file_url=f"{tg.root_url}/file/bot",
    )


@pytest.fixture
async def bot(tg: BotApiEmulator) -> AsyncIterator[Bot]:
    real_bot = make_bot(tg)
    await real_bot.initialize()
    yield real_bot
    await real_bot.shutdown()


def keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data)] for text, data in buttons]
    )


async def poll(bot: Bot) -> tuple[Update, ...]:
    """Everything pending, confirmed right away (as PTB's Updater does)."""
    updates = await bot.get_updates(timeout=0)
    if updates:
        await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    return updates


# --- Plain HTTP: envelope, tokens, encodings


async def test_get_me_returns_the_bot_user(bot: Bot, tg: BotApiEmulator) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456, True, "castbot_test_bot")
    assert bot.username == tg.bot_user["username"]


async def test_a_wrong_token_is_rejected_as_telegram_does(tg: BotApiEmulator) -> None:
    with pytest.raises(InvalidToken):
        async with make_bot(tg, token="123456:not-the-right-token-at-all"):
            pass
    async with httpx.AsyncClient(base_url=tg.root_url) as client:
        wrong = await client.get("/bot123456:not-the-right-token-at-all/getMe")
        unknown = await client.post(f"/bot{tg.token}/sendTelepathy", data={"chat_id": "1"})
    assert (wrong.status_code, wrong.json()) == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )


async def test_form_json_and_query_encodings_are_all_understood(tg: BotApiEmulator) -> None:
    tg.user(1)
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    async with httpx.AsyncClient(base_url=f"{tg.root_url}/bot{tg.token}") as client:
        by_get = await client.get("/getMe")
        by_json = await client.post(
            "/sendMessage", json={"chat_id": 1, "text": "json", "reply_markup": markup}
        )
        by_form = await client.post(
            "/sendMessage",
            data={"chat_id": "1", "text": "form", "reply_markup": json.dumps(markup)},
        )
        by_query = await client.post("/sendMessage", params={"chat_id": "1", "text": "query"})
    assert by_get.json()["result"]["username"] == "castbot_test_bot"
    assert by_json.json()["result"]["reply_markup"] == markup
    assert by_form.json()["result"]["reply_markup"] == markup
    assert by_query.json()["ok"] is True
    assert [m.text for m in tg.messages(1)] == ["json", "form", "query"]
    assert [m.message_id for m in tg.messages(1)] == [1, 2, 3]
    assert ("sendMessage", {"chat_id": 1, "text": "form", "reply_markup": markup}) in tg.requests


# --- getUpdates and the update queue


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    bot: Bot, tg: BotApiEmulator
) -> None:
    ann = tg.user(1)
    waiting = asyncio.create_task(bot.get_updates(timeout=30))
    await tg.wait_until(lambda: any(method == "getUpdates" for method, _ in tg.requests))
    await ann.send_text("/start ref_abc")
    updates = await asyncio.wait_for(waiting, timeout=5)  # far sooner than the 30 s poll
    (update,) = updates
    assert update.message.text == "/start ref_abc"
    assert update.message.chat.id == update.message.from_user.id == 1
    assert [(e.type, e.offset, e.length) for e in update.message.entities] == [
        ("bot_command", 0, 6)
    ]
    assert filters.COMMAND.check_update(update)
    assert tg.pending_updates == 1  # delivered, not yet confirmed
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
    assert tg.pending_updates == 0


async def test_long_poll_answers_empty_after_its_timeout(bot: Bot) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await bot.get_updates(timeout=1) == ()
    assert loop.time() - started >= 0.9


async def test_limit_and_negative_offset(bot: Bot, tg: BotApiEmulator) -> None:
    ann = tg.user(1)
    for text in ("one", "two", "three"):
        await ann.send_text(text)
    assert [u.message.text for u in await bot.get_updates(limit=2)] == ["one", "two"]
    assert [u.message.text for u in await bot.get_updates(offset=-1)] == ["three"]
    assert tg.pending_updates == 1


async def test_pending_updates_survive_unless_dropped(bot: Bot, tg: BotApiEmulator) -> None:
    ann = tg.user(1)
    await ann.send_text("one")
    await ann.send_text("two")
    await bot.delete_webhook(drop_pending_updates=False)
    assert tg.pending_updates == 2
    first, again = await bot.get_updates(), await bot.get_updates()
    assert [u.update_id for u in first] == [u.update_id for u in again]  # until confirmed
    assert first[1].update_id == first[0].update_id + 1
    await bot.delete_webhook(drop_pending_updates=True)
    assert tg.pending_updates == 0
    assert await bot.get_updates() == ()


async def test_a_newer_poll_terminates_an_older_one(bot: Bot, tg: BotApiEmulator) -> None:
    older = asyncio.create_task(bot.get_updates(timeout=30))
    await tg.wait_until(lambda: any(method == "getUpdates" for method, _ in tg.requests))
    async with make_bot(tg) as second_instance:
        await second_instance.get_updates(timeout=0)
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await older


# --- Sending, editing, deleting


async def test_text_limits(bot: Bot, tg: BotApiEmulator) -> None:
    tg.user(1)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(1, "  ")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(1, "x" * 4097)
    await bot.send_message(1, "x" * 4096)
    # The limit counts characters after entity parsing, as Telegram's does.
    await bot.send_message(1, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(999, "hello?")


async def test_parse_modes_strip_markup_or_refuse_it(bot: Bot, tg: BotApiEmulator) -> None:
    tg.user(1)
    html = await bot.send_message(1, "<b>Hi</b> &amp; <i>bye</i>", parse_mode="HTML")
    assert html.text == "Hi & bye"
    assert [(e.type, e.offset, e.length) for e in html.entities] == [
        ("bold", 0, 2),
        ("italic", 5, 3),
    ]
    markdown = await bot.send_message(1, r"*Balance:* 10 credits\.", parse_mode="MarkdownV2")
    assert markdown.text == "Balance: 10 credits."
    assert tg.messages(1)[1].text == "Balance: 10 credits."
    with pytest.raises(BadRequest, match="Can't parse entities: character '.' is reserved"):
        await bot.send_message(1, "Balance: 1.5", parse_mode="MarkdownV2")
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(1, "<b>unclosed", parse_mode="HTML")


async def test_caption_limit(bot: Bot, tg: BotApiEmulator) -> None:
    tg.user(1)
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(1, make_jpeg(64, 64), caption="x" * 1025)
    await bot.send_photo(1, make_jpeg(64, 64), caption="x" * 1024)


@pytest.mark.parametrize("data", ["x" * 65, "", "é" * 33])  # bytes count, not characters
async def test_callback_data_must_be_1_to_64_bytes(
    bot: Bot, tg: BotApiEmulator, data: str
) -> None:
    tg.user(1)
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await bot.send_message(1, "Choose", reply_markup=keyboard(("Go", data)))
    assert tg.messages(1) == []


async def test_callback_data_of_64_bytes_is_fine(bot: Bot, tg: BotApiEmulator) -> None:
    tg.user(1)
    await bot.send_message(1, "Choose", reply_markup=keyboard(("Go", "é" * 32)))
    assert tg.messages(1)[0].buttons() == [("Go", "é" * 32)]


async def test_edits_update_the_message_and_refuse_no_ops(bot: Bot, tg: BotApiEmulator) -> None:
    tg.user(1)
    markup = keyboard(("Cancel", "cancel"))
    sent = await bot.send_message(1, "Queued", reply_markup=markup)
    await bot.edit_message_text("Processing", 1, sent.message_id, reply_markup=markup)
    with pytest.raises(BadRequest) as refused:
        await bot.edit_message_text("Processing", 1, sent.message_id, reply_markup=markup)
    assert str(refused.value) == NOT_MODIFIED.removeprefix("Bad Request: ").capitalize()
    # Leaving out reply_markup removes the keyboard: not a no-op.
    done = await bot.edit_message_text("Processing", 1, sent.message_id)
    assert done.reply_markup is None
    message = tg.messages(1)[0]
    assert (message.text, message.edits, message.reply_markup) == (
        "Processing",
        ["Processing", "Processing"],
        None,
    )
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("Hello?", 1, 999)
    await bot.edit_message_reply_markup(1, sent.message_id, reply_markup=markup)
    assert tg.messages(1)[0].reply_markup == markup.to_dict()
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(1, sent.message_id, reply_markup=markup)


async def test_caption_edits(bot: Bot, tg: BotApiEmulator) -> None:
    tg.user(1)
    photo = await bot.send_photo(1, make_jpeg(64, 64), caption="Result")
    edited = await bot.edit_message_caption(1, photo.message_id, caption="Result (v2)")
    assert edited.caption == tg.messages(1)[0].caption == "Result (v2)"
    with pytest.raises(BadRequest, match="There is no text in the message to edit"):
        await bot.edit_message_text("text", 1, photo.message_id)


async def test_delete_message(bot: Bot, tg: BotApiEmulator) -> None:
    ann = tg.user(1)
    sent = await bot.send_message(1, "Temporary")
    user_message_id = await ann.send_text("hello")
    assert await bot.delete_message(1, sent.message_id)
    assert await bot.delete_message(1, user_message_id)  # bots may delete incoming ones
    assert tg.messages(1)[0].deleted
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(1, sent.message_id)


async def test_blocked_user_refuses_every_send(bot: Bot, tg: BotApiEmulator) -> None:
    ann = tg.user(1)
    tg.block_bot(1)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(1, "Your video is ready")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_chat_action(1, "typing")
    (update,) = await poll(bot)
    assert update.my_chat_member.new_chat_member.status == "kicked"
    await ann.send_text("/start")  # restarting the bot unblocks it
    await bot.send_message(1, "Welcome back")
    unblocked, start = await poll(bot)  # PTB parses both: the old member was kicked
    assert unblocked.my_chat_member.old_chat_member.status == "kicked"
    assert start.message.text == "/start"


async def test_rate_limit_knob(bot: Bot, tg: BotApiEmulator) -> None:
    tg.user(1)
    tg.rate_limit(2, retry_after=3)
    await bot.send_chat_action(1, "typing")  # chat actions are not counted
    for _ in range(2):
        with pytest.raises(RetryAfter) as limited:
            await bot.send_message(1, "hi")
        assert limited.value.retry_after == dtm.timedelta(seconds=3)
    await bot.send_message(1, "hi")
    assert [m.text for m in tg.messages(1)] == ["hi"]


async def test_injected_failure(bot: Bot, tg: BotApiEmulator) -> None:
    tg.user(1)
    tg.fail_next("sendMessage", TelegramApiError(502, "Bad Gateway"))
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(1, "hi")
    await bot.send_message(1, "hi")


# --- Files


async def test_declared_25_mb_file_refuses_get_file(bot: Bot, tg: BotApiEmulator) -> None:
    big = tg.add_file(b"tiny", file_size=25 * MB)
    assert big.file_size == 25 * MB
    assert tg.file_content(big.file_id) == b"tiny"  # nothing of 25 MB was allocated
    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(big.file_id)
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("no-such-file")


async def test_small_file_downloads_its_bytes(bot: Bot, tg: BotApiEmulator) -> None:
    small = tg.add_file(b"hello, file")
    file = await bot.get_file(small.file_id)
    assert (file.file_id, file.file_size) == (small.file_id, 11)
    assert bytes(await file.download_as_bytearray()) == b"hello, file"


async def test_uploaded_photo_round_trips(bot: Bot, tg: BotApiEmulator) -> None:
    tg.user(1)
    jpeg = make_jpeg(640, 480)
    message = await bot.send_photo(1, jpeg, caption="Your result")
    largest = message.photo[-1]
    assert (largest.width, largest.height, largest.file_size) == (640, 480, len(jpeg))
    assert [size.width for size in message.photo] == [90, 320, 640]
    assert tg.file_content(largest.file_id) == jpeg
    downloaded = await (await bot.get_file(largest.file_id)).download_as_bytearray()
    assert bytes(downloaded) == jpeg
    sent = tg.messages(1)[0]
    assert (sent.method, sent.caption, sent.file_id) == (
        "sendPhoto",
        "Your result",
        largest.file_id,
    )
    again = await bot.send_photo(1, largest.file_id)  # resending by file_id keeps the file
    assert again.photo[-1].file_id == largest.file_id == tg.messages(1)[1].file_id
    with pytest.raises(BadRequest, match="(?i)can't use file of type photo as document"):
        await bot.send_document(1, largest.file_id)


async def test_video_document_and_url_sends(bot: Bot, tg: BotApiEmulator) -> None:
    tg.user(1)
    video = await bot.send_video(1, b"mp4 bytes", duration=5, width=720, height=1280)
    assert (video.video.width, video.video.duration) == (720, dtm.timedelta(seconds=5))
    assert tg.file_content(tg.messages(1)[0].file_id or "") == b"mp4 bytes"
    document = await bot.send_document(1, b"%PDF", filename="report.pdf")
    assert (document.document.file_name, document.document.mime_type) == (
        "report.pdf",
        "application/pdf",
    )
    # Sent by URL, Telegram downloads the file itself: here, from the fake's own file URL.
    source = tg.add_file(b"from a url")
    path = (await bot.get_file(source.file_id)).file_path or ""
    by_url = await bot.send_document(1, path)
    assert tg.file_content(by_url.document.file_id) == b"from a url"
    with pytest.raises(BadRequest, match="Wrong file identifier/http url specified"):
        await bot.send_video(1, "not-a-file-id")


async def test_media_group(bot: Bot, tg: BotApiEmulator) -> None:
    tg.user(1)
    first, second = make_jpeg(64, 64, "red"), make_jpeg(64, 64, "blue")
    messages = await bot.send_media_group(
        1, [InputMediaPhoto(first, caption="1"), InputMediaPhoto(second)]
    )
    assert len({m.media_group_id for m in messages}) == 1
    assert [tg.file_content(m.photo[-1].file_id) for m in messages] == [first, second]


async def test_upload_over_50_mb_is_413(bot: Bot, tg: BotApiEmulator) -> None:
    tg.user(1)
    with pytest.raises(NetworkError, match="Request Entity Too Large") as refused:
        await bot.send_document(1, bytes(50 * MB + 1), filename="huge.mp4")
    assert not isinstance(refused.value, BadRequest)
    assert tg.messages(1) == []


async def test_photo_upload_over_10_mb_is_refused(bot: Bot, tg: BotApiEmulator) -> None:
    tg.user(1)
    with pytest.raises(BadRequest):
        await bot.send_photo(1, bytes(10 * MB + 1))
    assert tg.messages(1) == []


@pytest.mark.parametrize(("width", "height"), [(10_001, 1), (2_100, 100)])
async def test_a_photo_of_impossible_dimensions_is_refused(
    bot: Bot, tg: BotApiEmulator, width: int, height: int
) -> None:
    tg.user(1)
    with pytest.raises(BadRequest, match="Photo_invalid_dimensions"):
        await bot.send_photo(1, make_jpeg(width=width, height=height))
    await bot.send_document(1, make_jpeg(width=width, height=height), filename="wide.jpg")
    assert [m.method for m in tg.messages(1)] == ["sendDocument"]


async def test_a_held_call_waits_for_its_release(bot: Bot, tg: BotApiEmulator) -> None:
    tg.user(1)
    before = tg.hold("sendMessage", matching=lambda params: params.get("text") == "two")
    after = tg.hold("sendMessage", handled=True, skip=1)
    await bot.send_message(1, "one")
    second = asyncio.create_task(bot.send_message(1, "two"))
    await before.wait_reached()
    assert [m.text for m in tg.messages(1)] == ["one"]
    before.release()
    await after.wait_reached()
    assert [m.text for m in tg.messages(1)] == ["one", "two"]  # taken, not yet answered
    assert not second.done()
    after.release()
    assert (await second).text == "two"


# --- What users send


async def test_user_media_matches_ptb_filters(bot: Bot, tg: BotApiEmulator) -> None:
    ann = tg.user(1, first_name="Ann", language_code="de")
    photo = await ann.send_photo(file_size=25 * MB, caption="me")
    await ann.send_voice(b"ogg", duration=7)
    await ann.send_audio(b"mp3", duration=12)
    await ann.send_document(make_jpeg(32, 32), file_name="face.jpg", mime_type="image/jpeg")
    await ann.send_document(b"%PDF", file_name="a.pdf", mime_type="application/pdf")
    await ann.send_sticker()
    await ann.send_text("just words")
    updates = await poll(bot)
    checks = [
        filters.PHOTO,
        filters.VOICE,
        filters.AUDIO,
        filters.Document.IMAGE,
        filters.Document.MimeType("application/pdf"),
        filters.Sticker.ALL,
        filters.TEXT & ~filters.COMMAND,
    ]
    assert [bool(check.check_update(u)) for check, u in zip(checks, updates, strict=True)] == [
        True
    ] * len(checks)
    first = updates[0].message
    assert (first.from_user.first_name, first.from_user.language_code) == ("Ann", "de")
    assert first.caption == "me"
    assert 2 <= len(first.photo) <= 3
    assert (first.photo[-1].file_id, first.photo[-1].file_size) == (photo.file_id, 25 * MB)
    assert updates[1].message.voice.duration == dtm.timedelta(seconds=7)
    assert [u.message.message_id for u in updates] == list(range(1, 8))
    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(photo.file_id)


async def test_a_user_edits_a_sent_message(bot: Bot, tg: BotApiEmulator) -> None:
    ann = tg.user(1)
    await ann.send_text("/grant 101 500")
    command = ann.last_sent_id
    await ann.send_photo(make_jpeg(40, 30), caption="before")
    photo = ann.last_sent_id
    await ann.edit(command, text="/grant 101 50")
    await ann.edit(photo, caption="after", photo=make_jpeg(60, 40))
    updates = await poll(bot)
    assert [bool(u.message) for u in updates] == [True, True, False, False]
    text_edit, photo_edit = updates[2].edited_message, updates[3].edited_message
    assert (text_edit.message_id, text_edit.text) == (command, "/grant 101 50")
    assert text_edit.edit_date is not None
    assert filters.COMMAND.check_update(updates[2])
    assert filters.UpdateType.EDITED.check_update(updates[2])
    assert (photo_edit.message_id, photo_edit.caption) == (photo, "after")
    assert photo_edit.photo[-1].file_id != updates[1].message.photo[-1].file_id
    with pytest.raises(ValueError, match="no text"):
        await ann.edit(photo, text="words")


async def test_press_sends_a_callback_query(bot: Bot, tg: BotApiEmulator) -> None:
    ann = tg.user(1)
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("✅ Yes", callback_data="confirm:yes")],
            [InlineKeyboardButton("No", callback_data="confirm:no")],
            [InlineKeyboardButton("Help", url="https://example.com/help")],
        ]
    )
    await bot.send_message(1, "Sure?", reply_markup=markup)
    message = await ann.next_message()
    assert message.buttons() == [
        ("✅ Yes", "confirm:yes"),
        ("No", "confirm:no"),
        ("Help", "https://example.com/help"),
    ]
    by_text = await ann.press(message, "Yes")  # contained in "✅ Yes"
    by_data = await ann.press(message, "confirm:no")
    forged = await ann.press_data(message, "confirm:maybe")
    with pytest.raises(ValueError, match="sends no callback query"):
        await ann.press(message, "Help")
    with pytest.raises(LookupError, match="matches no button"):
        await ann.press(message, "Later")
    updates = await poll(bot)
    queries = [u.callback_query for u in updates]
    assert [q.id for q in queries] == [by_text, by_data, forged]
    assert [q.data for q in queries] == ["confirm:yes", "confirm:no", "confirm:maybe"]
    assert queries[0].message.message_id == message.message_id
    assert queries[0].from_user.id == 1

    async def ignore(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Never called: only the handler's pattern is under test."""

    handler = CallbackQueryHandler(ignore, pattern=r"^confirm:(yes|no)$")
    assert [bool(handler.check_update(u)) for u in updates] == [True, True, False]

    with pytest.raises(BadRequest):
        await bot.answer_callback_query(by_text, "x" * 201)
    await bot.answer_callback_query(by_text, "Confirmed")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(by_text)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("12345")
    assert ann.callback_answers() == [{"callback_query_id": by_text, "text": "Confirmed"}]


async def test_next_message_and_wait_for_text(bot: Bot, tg: BotApiEmulator) -> None:
    ann = tg.user(1)
    for text in ("first", "second", "third"):
        await bot.send_message(1, text)
    assert (await ann.next_message()).text == "first"
    assert (await ann.wait_for_text("thi")).text == "third"  # skips "second"
    with pytest.raises(TimeoutError, match="third"):  # the history is in the message
        await ann.next_message(timeout=0.05)
    late = asyncio.create_task(ann.next_message())
    await bot.send_message(1, "fourth")
    assert (await asyncio.wait_for(late, 5)).text == "fourth"


async def test_wait_until_explains_what_it_waited_for(tg: BotApiEmulator) -> None:
    tg.user(1)
    with pytest.raises(TimeoutError, match=r"len\(tg.messages\(1\)\) == 1"):
        await tg.wait_until(lambda: len(tg.messages(1)) == 1, timeout=0.05)


async def test_commands_are_stored(bot: Bot, tg: BotApiEmulator) -> None:
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("balance", "Balance")])
    assert tg.commands == [
        {"command": "start", "description": "Start"},
        {"command": "balance", "description": "Balance"},
    ]
    assert [c.command for c in await bot.get_my_commands()] == ["start", "balance"]
    with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "Start")])


async def test_stars_payment_flow(bot: Bot, tg: BotApiEmulator) -> None:
    ann = tg.user(1)
    await bot.send_invoice(
        1, "100 credits", "A pack of credits", "pack:100", "XTR", [LabeledPrice("Pack", 50)]
    )
    invoice = await ann.next_message()
    assert (invoice.method, invoice.params["payload"]) == ("sendInvoice", "pack:100")
    assert invoice.buttons() == [("Pay ⭐️50", "")]
    query_id = await ann.send_pre_checkout_query(invoice)
    (update,) = await poll(bot)
    assert update.pre_checkout_query.invoice_payload == "pack:100"
    assert await bot.answer_pre_checkout_query(query_id, ok=True)
    assert tg.pre_checkout_answers[query_id]["ok"] is True
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_pre_checkout_query(query_id, ok=True)
    charge_id = await ann.send_successful_payment(invoice)
    (paid,) = await poll(bot)
    assert paid.message.successful_payment.telegram_payment_charge_id == charge_id
    assert await bot.refund_star_payment(1, charge_id)
    with pytest.raises(BadRequest, match="(?i)charge_already_refunded"):
        await bot.refund_star_payment(1, charge_id)
    assert tg.refunds == [(1, charge_id)]


async def test_stars_subscription_links_renewals_and_cancelling(
    bot: Bot, tg: BotApiEmulator
) -> None:
    ann = tg.user(1)
    plan = [LabeledPrice("Plan", 250)]
    month = dtm.timedelta(days=30)
    for wrong in (
        {"subscription_period": dtm.timedelta(days=7)},
        {"subscription_period": month, "prices": [LabeledPrice("Plan", 10_001)]},
    ):
        with pytest.raises(BadRequest, match="(?i)subscription_period_invalid"):
            await bot.create_invoice_link(
                **{"title": "t", "description": "d", "payload": "p", "currency": "XTR"}
                | {"prices": plan}
                | wrong
            )
    link = await bot.create_invoice_link(
        "Plan", "Monthly credits", "plan:1", "XTR", plan, subscription_period=month
    )
    assert link.startswith("https://t.me/$")

    paying = asyncio.create_task(ann.pay_link(link))
    (checkout,) = await poll(bot)
    assert checkout.pre_checkout_query.invoice_payload == "plan:1"
    assert checkout.pre_checkout_query.total_amount == 250
    await bot.answer_pre_checkout_query(checkout.pre_checkout_query.id, ok=True)
    first_id = await paying
    (first,) = await poll(bot)
    payment = first.message.successful_payment
    assert (payment.telegram_payment_charge_id, payment.invoice_payload) == (first_id, "plan:1")
    assert payment.is_recurring and payment.is_first_recurring
    assert payment.subscription_expiration_date is not None

    renewal_id = await ann.renew_subscription(first_id)
    (renewal,) = await poll(bot)
    renewed = renewal.message.successful_payment
    assert renewed.telegram_payment_charge_id == renewal_id != first_id
    assert renewed.is_recurring and not renewed.is_first_recurring
    assert renewed.subscription_expiration_date == payment.subscription_expiration_date + month

    await ann.deliver_payment_again(renewal_id)
    (again,) = await poll(bot)
    assert again.message.successful_payment.telegram_payment_charge_id == renewal_id

    with pytest.raises(BadRequest, match="(?i)charge_id_invalid"):
        await bot.edit_user_star_subscription(2, first_id, True)
    assert await bot.edit_user_star_subscription(1, first_id, True)
    with pytest.raises(PaymentFailed):
        await ann.renew_subscription(first_id)
    assert await bot.edit_user_star_subscription(1, first_id, False)
    await ann.renew_subscription(first_id)
    assert await bot.refund_star_payment(1, renewal_id)


async def test_a_refused_checkout_of_a_link_is_raised(bot: Bot, tg: BotApiEmulator) -> None:
    ann = tg.user(1)
    link = await bot.create_invoice_link("Pack", "Credits", "p", "XTR", [LabeledPrice("P", 5)])
    paying = asyncio.create_task(ann.pay_link(link))
    (checkout,) = await poll(bot)
    await bot.answer_pre_checkout_query(
        checkout.pre_checkout_query.id, ok=False, error_message="Sold out"
    )
    with pytest.raises(PaymentFailed, match="Sold out"):
        await paying
    assert tg.subscriptions == {}


async def test_groups_and_channels_deliver_messages_posts_and_mentions(
    bot: Bot, tg: BotApiEmulator
) -> None:
    ann = tg.user(1)
    group = tg.group(-100200, "Friends")
    channel = tg.group(-100300, "News", kind="channel")
    await group.send_text("/start@castbot_test_bot hi @castbot_test_bot, mail me@example", ann)
    await channel.post("Made with @castbot_test_bot")
    in_group, in_channel = await poll(bot)

    message = in_group.message
    assert (message.chat.type, message.chat.title, message.from_user.id) == (
        "supergroup",
        "Friends",
        1,
    )
    assert [(e.type, text) for e, text in message.parse_entities().items()] == [
        ("bot_command", "/start@castbot_test_bot"),
        ("mention", "@castbot_test_bot"),
    ]
    post = in_channel.channel_post
    assert post.chat.type == "channel" and post.sender_chat.id == -100300
    assert post.from_user is None
    assert list(post.parse_entities().values()) == ["@castbot_test_bot"]

    await bot.send_message(-100200, "Hello group", reply_to_message_id=message.message_id)
    (reply,) = group.messages()
    assert reply.raw["reply_to_message"]["text"].startswith("/start@castbot_test_bot")
    # One way each: members (or an anonymous admin) write in a group, a channel has posts.
    with pytest.raises(ValueError, match="only a channel has posts"):
        await group.post("news")
    with pytest.raises(ValueError, match="nobody writes in a channel"):
        await channel.send_text("hi", ann)
    with pytest.raises(ValueError, match="negative"):
        tg.group(5)
    with pytest.raises(ValueError, match="not a kind of group chat"):
        tg.group(-100400, kind="private")


async def test_pay_runs_the_pre_checkout_then_the_payment(bot: Bot, tg: BotApiEmulator) -> None:
    ann = tg.user(1)
    await bot.send_invoice(1, "100 credits", "A pack", "pack:100", "XTR", [LabeledPrice("P", 50)])
    invoice = await ann.next_message()
    paying = asyncio.create_task(ann.pay(invoice))
    (query,) = await poll(bot)
    assert not paying.done()  # nothing is paid before the bot approves
    await bot.answer_pre_checkout_query(query.pre_checkout_query.id, ok=True)
    charge_id = await asyncio.wait_for(paying, 5)
    (paid,) = await poll(bot)
    assert paid.message.successful_payment.telegram_payment_charge_id == charge_id
    assert paid.message.successful_payment.total_amount == 50


async def test_pay_fails_with_the_bots_reason_or_when_it_is_silent(
    bot: Bot, tg: BotApiEmulator
) -> None:
    ann = tg.user(1)
    await bot.send_invoice(1, "100 credits", "A pack", "pack:100", "XTR", [LabeledPrice("P", 50)])
    invoice = await ann.next_message()
    declined = asyncio.create_task(ann.pay(invoice))
    (query,) = await poll(bot)
    await bot.answer_pre_checkout_query(
        query.pre_checkout_query.id, ok=False, error_message="Sold out"
    )
    with pytest.raises(PaymentFailed) as refused:
        await asyncio.wait_for(declined, 5)
    assert refused.value.reason == "Sold out"
    with pytest.raises(PaymentFailed) as unanswered:
        await ann.pay(invoice, timeout=0.05)
    assert unanswered.value.reason == BOT_DID_NOT_ANSWER
    updates = await poll(bot)
    assert [bool(update.pre_checkout_query) for update in updates] == [True]  # no payment


async def test_a_user_video_and_captions(bot: Bot, tg: BotApiEmulator) -> None:
    ann = tg.user(1)
    await ann.send_video(b"mp4", duration=4, width=720, height=1280, caption="clip")
    await ann.send_document(b"%PDF", file_name="a.pdf", mime_type="application/pdf", caption="doc")
    video, document = (update.message for update in await poll(bot))
    assert filters.VIDEO.check_update(Update(1, message=video))
    assert (video.video.width, video.video.duration) == (720, dtm.timedelta(seconds=4))
    assert (video.caption, document.caption) == ("clip", "doc")
    assert tg.file_media_type(video.video.file_id) == "video/mp4"
    assert tg.file_media_type(document.document.file_id) == "application/pdf"


async def test_chat_messages_show_both_sides_as_they_are_now(bot: Bot, tg: BotApiEmulator) -> None:
    ann = tg.user(1)
    await ann.send_text("/start")
    hello = await bot.send_message(1, "Hello")
    gone = await bot.send_message(1, "Temporary")
    await ann.send_photo(make_jpeg(64, 64))
    await bot.edit_message_text("Hello again", 1, hello.message_id)
    await bot.delete_message(1, gone.message_id)
    messages = tg.chat_messages(1)
    assert [m.get("text") for m in messages] == ["/start", "Hello again", None]
    assert [m["message_id"] for m in messages] == [1, 2, 4]
    assert "edit_date" in messages[1]
    photo_id = messages[2]["photo"][-1]["file_id"]
    assert tg.file_media_type(photo_id) == "image/jpeg"  # what Telegram stores photos as
    with pytest.raises(KeyError):
        tg.file_media_type("no-such-file")


# --- The real Application


async def test_application_long_polls_the_fake(tg: BotApiEmulator) -> None:
    ann = tg.user(1)

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message
        await update.effective_message.reply_text(f"Hello {' '.join(context.args or [])}")

    application = (
        ApplicationBuilder()
        .token(tg.token)
        .base_url(f"{tg.root_url}/bot")
        .base_file_url(f"{tg.root_url}/file/bot")
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    async with application:
        assert application.updater
        await application.updater.start_polling(poll_interval=0, timeout=1)
        await application.start()
        await ann.send_text("/start ref_abc")
        reply = await ann.next_message()
        await application.updater.stop()
        await application.stop()
    assert reply.text == "Hello ref_abc"
    assert tg.pending_updates == 0  # the Updater confirmed what it fetched


# --- For the benchmark


async def test_latency_delays_every_call_and_sends_are_timed_and_heard() -> None:
    heard: list[tuple[int, str | None]] = []
    async with BotApiEmulator(latency=0.05) as slow:
        slow.user(1)
        slow.listen(lambda message: heard.append((message.chat_id, message.text)))
        async with make_bot(slow) as bot:
            started = time.monotonic()
            await bot.send_message(1, "one")
            await bot.send_message(1, "two")
            took = time.monotonic() - started
    first, second = slow.messages(1)
    assert took >= 2 * 0.05  # a lower bound: it holds however loaded the machine is
    assert started <= first.sent_at <= second.sent_at
    assert heard == [(1, "one"), (1, "two")]


# --- Held chats, real voice notes, groups, channels and inline presses


async def test_a_held_chat_waits_for_its_release_and_no_other_does(
    bot: Bot, tg: BotApiEmulator
) -> None:
    ann, bob = tg.user(1), tg.user(2, "Bob")
    release = tg.hold_chat(1)
    held = asyncio.create_task(bot.send_message(1, "slow"))
    await tg.wait_until(lambda: any(p.get("chat_id") == 1 for _, p in tg.requests))
    await bot.send_message(2, "fast")
    assert [m.text for m in bob.messages()] == ["fast"] and ann.messages() == []
    assert not held.done()
    release.set()
    assert (await held).text == "slow"


async def test_voice_notes_are_real_ogg_opus_of_their_length(bot: Bot, tg: BotApiEmulator) -> None:
    assert mutagen.File(io.BytesIO(make_voice(12.5))).info.length == 12.5
    ann = tg.user(1)
    await ann.send_voice(duration=3)  # a real note of what it claims
    await ann.send_voice(make_voice(20), duration=1)  # a modified client's claim
    first, second = await poll(bot)
    for update, seconds in ((first, 3), (second, 20)):
        voice = update.message.voice
        content = tg.file_content(voice.file_id)
        assert mutagen.File(io.BytesIO(content)).info.length == seconds
    assert second.message.voice.duration == dtm.timedelta(seconds=1)


async def test_groups_channels_anonymous_admins_and_inline_presses(
    bot: Bot, tg: BotApiEmulator
) -> None:
    ann = tg.user(1)
    group, channel = tg.group(-100200, "Friends"), tg.group(-100300, "News", kind="channel")
    await group.send_text("/balance", sender=ann)
    await group.send_text("/balance")  # an anonymous admin
    await channel.post("news")
    inline = await ann.press_inline("buy:100")
    await ann.send_content({"location": {"latitude": 1.5, "longitude": 2.5}})
    member, anonymous, post, press, located = await poll(bot)

    assert (member.effective_chat.id, member.effective_user.id) == (-100200, 1)
    assert member.effective_chat.type == "supergroup" and member.message.sender_chat is None
    assert anonymous.effective_user.username == "GroupAnonymousBot"
    assert anonymous.message.sender_chat.id == -100200
    assert post.channel_post is not None and post.effective_user is None
    assert (post.effective_chat.type, post.channel_post.sender_chat.title) == ("channel", "News")
    assert press.callback_query.id == inline and press.callback_query.message is None
    assert press.callback_query.inline_message_id and press.effective_chat is None
    assert located.message.location.latitude == 1.5

    await bot.send_message(-100200, "in the group")
    await bot.send_message(-100300, "in the channel")
    assert [m.text for m in group.messages()] == ["in the group"]
    assert [m.text for m in channel.messages()] == ["in the channel"]
    # A member presses a button in the group.
    await bot.send_message(-100200, "Pick", reply_markup=keyboard(("A", "pick:a")))
    pressed = await ann.press(group.messages()[-1], "A")
    (group_press,) = await poll(bot)
    assert group_press.callback_query.message.chat.id == -100200
    assert tg.unanswered_callback_queries() == [inline, pressed]
    await bot.answer_callback_query(inline)
    assert tg.unanswered_callback_queries() == [pressed]
