"""The playground's web chat API and live stream, over HTTP, with the real bot behind it."""

from __future__ import annotations

import io
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from PIL import Image

from bot import texts
from bot.catalog import command_menu
from bot.playground.emulator import JSON, BotApiEmulator, make_jpeg
from bot.playground.webchat import WEB_DIR, PlaygroundUser, WebChat
from tests.conftest import RunningBot
from tests.flows import FACE, TARGET, wav
from tests.webpage import from_bot, live

ANN, BOB = 101, 102
USERS = [PlaygroundUser(ANN, "Ann"), PlaygroundUser(BOB, "Bob", admin=True)]


@pytest.fixture
async def web(telegram: BotApiEmulator) -> AsyncIterator[WebChat]:
    async with WebChat(telegram, USERS) as chat:
        yield chat


@pytest.fixture
async def client(web: WebChat) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=web.url) as http:
        yield http


async def press(client: httpx.AsyncClient, chat_id: int, message: JSON, label: str) -> JSON:
    """Tap the button with this label under the message, as the page does."""
    rows = message["reply_markup"]["inline_keyboard"]
    row, column = next(
        (row, column)
        for row, buttons in enumerate(rows)
        for column, button in enumerate(buttons)
        if label in button["text"]
    )
    response = await client.post(
        f"/api/chats/{chat_id}/press",
        json={"message_id": message["message_id"], "row": row, "column": column},
        timeout=15,
    )
    assert response.status_code == 200, response.text
    result: JSON = response.json()
    return result


async def send_text(client: httpx.AsyncClient, chat_id: int, text: str) -> None:
    response = await client.post(f"/api/chats/{chat_id}/messages", json={"text": text})
    assert response.status_code == 200, response.text


async def upload(
    client: httpx.AsyncClient,
    chat_id: int,
    send_as: str,
    content: bytes,
    *,
    name: str,
    mime_type: str,
    **fields: str,
) -> httpx.Response:
    return await client.post(
        f"/api/chats/{chat_id}/media",
        data={"send_as": send_as, **fields},
        files={"file": (name, content, mime_type)},
    )


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (width, height), (200, 40, 40, 128)).save(buffer, "PNG")
    return buffer.getvalue()


# --- The page


async def test_the_page_and_everything_it_loads_come_from_the_playground(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache"  # a newer playground is never stale
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert "/static/chat.js" in assets and "/static/chat.css" in assets
    for asset in assets:
        if asset.startswith("/static/"):
            loaded = await client.get(asset)
            assert (loaded.status_code, loaded.headers["cache-control"]) == (200, "no-cache")
        else:
            assert asset.startswith("data:"), asset  # nothing from another host: no CDN
    for source in WEB_DIR.iterdir():
        assert not re.search(
            r"(?:url\(|import |src=|href=)\s*['\"]?(?:https?:)?//", source.read_text()
        )


# --- The live stream


async def test_the_stream_greets_with_users_and_menu_then_shows_both_sides(
    client: httpx.AsyncClient, bot: RunningBot
) -> None:
    async with live(client) as events:
        hello = await events.wait_for("hello")
        assert hello["bot"]["username"] == "castbot_test_bot"
        assert hello["users"] == [
            {"id": ANN, "first_name": "Ann", "admin": False},
            {"id": BOB, "first_name": "Bob", "admin": True},
        ]
        menu = await events.wait_for("commands", lambda data: data["chat_id"] == ANN)
        assert [c["command"] for c in menu["commands"]] == [c for c, _ in command_menu(1)]
        await events.wait_for("ready")

        await send_text(client, ANN, "/start")
        typed = await events.message(ANN, lambda message: not message["from"]["is_bot"])
        assert typed["text"] == "/start"
        assert typed["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
        welcome = await events.message(ANN, from_bot("Hi Ann"))
        assert welcome["message_id"] == typed["message_id"] + 1


async def test_a_page_opened_later_gets_the_whole_chat_before_ready(
    client: httpx.AsyncClient, telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann = telegram.user(ANN)
    await send_text(client, ANN, "/balance")
    await ann.wait_for_text("10 credits")
    async with live(client) as events:
        seen = []
        while (event := await events.next())[0] != "ready":
            if event[0] == "message":
                seen.append(event[1]["message"].get("text"))
    assert seen == ["/balance", texts.balance(10)]


async def test_deleting_a_message_is_streamed(
    client: httpx.AsyncClient, telegram: BotApiEmulator
) -> None:
    async with httpx.AsyncClient(base_url=f"{telegram.root_url}/bot{telegram.token}") as api:
        sent = (await api.post("/sendMessage", json={"chat_id": BOB, "text": "soon gone"})).json()
        message_id = sent["result"]["message_id"]
        async with live(client) as events:
            await events.wait_for("ready")
            await api.post("/deleteMessage", json={"chat_id": BOB, "message_id": message_id})
            deleted = await events.wait_for("deleted")
    assert deleted == {"chat_id": BOB, "message_id": message_id}


# --- Buttons, edits and payments


async def test_a_face_swap_through_the_page_with_edits_and_answers_streamed(
    client: httpx.AsyncClient, telegram: BotApiEmulator, bot: RunningBot
) -> None:
    async with live(client) as events:
        await events.wait_for("ready")
        await send_text(client, ANN, "/faceswap")
        terms = await events.message(ANN, from_bot("please agree to these terms"))
        pressed = await press(client, ANN, terms, texts.TERMS_AGREE_BUTTON)
        answer = await events.wait_for("answer", lambda data: data["chat_id"] == ANN)
        assert answer["query_id"] == pressed["query_id"]
        await events.message(ANN, from_bot("Step 1 of 2"))
        sent = await upload(client, ANN, "photo", FACE, name="face.jpg", mime_type="image/jpeg")
        assert sent.json() == {"sent_as": "photo"}
        question = await events.message(ANN, from_bot("Step 2 of 2"))

        await press(client, ANN, question, texts.faceswap_model("GENERAL_ADVANCED"))
        chosen = await events.wait_for("answer", lambda data: data["chat_id"] == ANN)
        assert chosen["text"] == texts.OPTION_SET
        edited = await events.message(
            ANN, lambda message: message["message_id"] == question["message_id"]
        )
        assert "✓ Advanced" in json.dumps(edited["reply_markup"], ensure_ascii=False)
        assert "edit_date" in edited

        await upload(client, ANN, "photo", TARGET, name="target.jpg", mime_type="image/jpeg")
        result = await events.message(ANN, lambda message: "document" in message)
    file = await client.get(f"/api/files/{result['document']['file_id']}")
    assert file.status_code == 200
    assert file.content.startswith(b"\x89PNG")  # the mock's placeholder, as the bot sent it
    assert file.headers["content-type"] == result["document"]["mime_type"]


async def test_pay_button_runs_pre_checkout_and_successful_payment(
    client: httpx.AsyncClient, bot: RunningBot
) -> None:
    async with live(client) as events:
        await events.wait_for("ready")
        await send_text(client, ANN, "/buy")
        packs = await events.message(ANN, from_bot("Choose a pack"))
        await press(client, ANN, packs, "100 credits")
        invoice = await events.message(ANN, lambda message: "invoice" in message)
        assert invoice["reply_markup"]["inline_keyboard"][0][0]["pay"] is True
        paid = await press(client, ANN, invoice, "Pay")
        assert paid["paid"] is True
        receipt = await events.message(ANN, lambda message: "successful_payment" in message)
        assert receipt["successful_payment"]["telegram_payment_charge_id"] == paid["charge_id"]
        await events.message(ANN, from_bot("110 credits"))
    assert await bot.services.ledger.balance(ANN) == 110


async def test_a_subscription_link_is_paid_from_the_page(
    client: httpx.AsyncClient, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(subscription_plans="300:250")
    async with live(client) as events:
        await events.wait_for("ready")
        await send_text(client, ANN, "/subscription")
        plans = await events.message(ANN, from_bot("Choose a plan"))
        paid = await press(client, ANN, plans, texts.plan_button(300, 250))
        assert paid["paid"] is True
        await events.message(ANN, from_bot("Your monthly plan is on"))
    assert await bot.services.ledger.balance(ANN) == 310


async def test_a_payment_the_bot_declines_says_why(
    client: httpx.AsyncClient, telegram: BotApiEmulator, start_bot: Any
) -> None:
    ann = telegram.user(ANN)
    first = await start_bot(credit_packs="100:50")
    await send_text(client, ANN, "/buy")
    await ann.press(await ann.wait_for_text("Choose a pack"), "100 credits")
    invoice = await ann.next_message()
    await first.stop()
    await start_bot(credit_packs="100:60")  # the pack's price changed since the invoice
    result = await press(client, ANN, invoice.raw, "Pay")
    assert result["paid"] is False
    assert result["reason"]
    assert not any("successful_payment" in m for m in telegram.chat_messages(ANN))


async def test_a_url_button_is_left_to_the_page(
    client: httpx.AsyncClient, telegram: BotApiEmulator
) -> None:
    markup = {"inline_keyboard": [[{"text": "Site", "url": "https://example.com/"}]]}
    async with httpx.AsyncClient(base_url=f"{telegram.root_url}/bot{telegram.token}") as api:
        await api.post("/sendMessage", json={"chat_id": ANN, "text": "Go", "reply_markup": markup})
    response = await client.post(
        f"/api/chats/{ANN}/press", json={"message_id": 1, "row": 0, "column": 0}
    )
    assert response.status_code == 400
    missing = await client.post(
        f"/api/chats/{ANN}/press", json={"message_id": 1, "row": 0, "column": 1}
    )
    assert missing.status_code == 404


# --- Uploads, as Telegram's apps send them


async def test_a_photo_is_sent_as_a_jpeg_of_at_most_1280_pixels(
    client: httpx.AsyncClient, telegram: BotApiEmulator
) -> None:
    response = await upload(
        client,
        ANN,
        "photo",
        png(2560, 1280),
        name="wide.png",
        mime_type="image/png",
        caption="me",
    )
    assert response.status_code == 200
    (message,) = telegram.chat_messages(ANN)
    largest = message["photo"][-1]
    assert (largest["width"], largest["height"]) == (1280, 640)
    assert message["caption"] == "me"
    content = telegram.file_content(largest["file_id"])
    assert content.startswith(b"\xff\xd8")  # JPEG
    served = await client.get(f"/api/files/{largest['file_id']}")
    assert (served.content, served.headers["content-type"]) == (content, "image/jpeg")


async def test_files_voice_audio_and_video_carry_what_an_app_declares(
    client: httpx.AsyncClient, telegram: BotApiEmulator
) -> None:
    image = png(64, 64)
    await upload(client, BOB, "document", image, name="face.png", mime_type="image/png")
    await upload(client, BOB, "voice", wav(2.2), name="note.wav", mime_type="audio/wav")
    await upload(client, BOB, "audio", wav(1), name="song.mp3", mime_type="")
    video = b"\x00\x00\x00\x18ftypmp42"
    fields = {"duration": "4.4", "width": "720", "height": "1280"}
    await upload(client, BOB, "video", video, name="clip.mp4", mime_type="video/mp4", **fields)
    document, voice, audio, clip = telegram.chat_messages(BOB)
    assert (document["document"]["file_name"], document["document"]["mime_type"]) == (
        "face.png",
        "image/png",
    )
    assert telegram.file_content(document["document"]["file_id"]) == image  # not recompressed
    assert (voice["voice"]["duration"], voice["voice"]["mime_type"]) == (3, "audio/wav")
    assert (audio["audio"]["duration"], audio["audio"]["mime_type"]) == (1, "audio/mpeg")
    assert {key: clip["video"][key] for key in ("duration", "width", "height")} == {
        "duration": 4,
        "width": 720,
        "height": 1280,
    }


@pytest.mark.parametrize(
    ("send_as", "content", "status", "error"),
    [
        ("photo", b"%PDF-1.4", 400, "not an image"),
        ("sticker", make_jpeg(32, 32), 400, "send_as must be one of"),
        ("photo", b"", 400, "empty"),
    ],
)
async def test_uploads_the_page_cannot_send_are_refused(
    client: httpx.AsyncClient,
    telegram: BotApiEmulator,
    send_as: str,
    content: bytes,
    status: int,
    error: str,
) -> None:
    response = await upload(client, ANN, send_as, content, name="x", mime_type="image/jpeg")
    assert response.status_code == status
    assert error in response.json()["error"]
    assert telegram.chat_messages(ANN) == []


async def test_text_and_users_are_checked(client: httpx.AsyncClient) -> None:
    empty = await client.post(f"/api/chats/{ANN}/messages", json={"text": "  "})
    stranger = await client.post("/api/chats/999/messages", json={"text": "hi"})
    too_long = await client.post(f"/api/chats/{ANN}/messages", json={"text": "x" * 4097})
    not_json = await client.post(f"/api/chats/{ANN}/messages", content=b"[")
    unknown_file = await client.get("/api/files/nope")
    superscript = await client.post("/api/chats/²/messages", json={"text": "hi"})
    checked = (empty, stranger, too_long, not_json, unknown_file, superscript)
    assert [r.status_code for r in checked] == [400, 404, 400, 400, 404, 404]
    assert stranger.json() == {"error": "no test user 999"}
