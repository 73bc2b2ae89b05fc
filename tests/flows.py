"""Steps of the bot's flows as a user takes them, shared by the end-to-end tests."""

from __future__ import annotations

import io
import wave

from bot import texts
from bot.catalog.video import AUDIO_SECONDS
from bot.playground.emulator import EmulatedUser, SentMessage, make_jpeg

FACE = make_jpeg(color="red")
TARGET = make_jpeg(color="blue")


def wav(seconds: float) -> bytes:
    """A real WAV file of silence, which the bot must measure itself."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(b"\x00\x00" * int(8000 * seconds))
    return buffer.getvalue()


def lipsync_quote(seconds: float, price: int, balance: int) -> str:
    """The quote lipsync answers with for audio of `seconds`."""
    return texts.quote("Lipsync", price, balance, {AUDIO_SECONDS: seconds})


async def accept_terms(user: EmulatedUser, timeout: float = 5.0) -> None:
    """Tap "I agree" under the consent shown before a first face swap or lipsync."""
    terms = await user.wait_for_text("please agree to these terms", timeout)
    await user.press(terms, texts.TERMS_AGREE_BUTTON)


async def next_media(user: EmulatedUser, method: str) -> SentMessage:
    for _ in range(10):
        message = await user.next_message()
        if message.method == method:
            return message
    raise AssertionError(f"no {method} among the bot's messages")


async def start_faceswap(user: EmulatedUser, timeout: float = 5.0) -> SentMessage:
    """Send /faceswap as a first-time user; returns the flow's first question."""
    await user.send_text("/faceswap")
    await accept_terms(user, timeout)
    return await user.wait_for_text("Step 1 of 2", timeout)


async def send_both_photos(user: EmulatedUser, timeout: float = 5.0) -> SentMessage:
    await user.send_photo(FACE)
    target_question = await user.wait_for_text("Step 2 of 2", timeout)
    await user.send_photo(TARGET)
    return target_question


async def start_new_actor(user: EmulatedUser) -> None:
    """Send /newactor, agree to the terms if they come first, and wait for the name question."""
    await user.send_text("/newactor")
    first = await user.next_message()
    if first.text == texts.TERMS:
        await user.press(first, texts.TERMS_AGREE_BUTTON)
        await user.wait_for_text("What's their name?")
    else:
        assert "What's their name?" in (first.text or ""), first.text


async def create_actor(
    user: EmulatedUser, name: str, photos: list[bytes], voice: tuple[bytes, int] | None = None
) -> None:
    """Build an actor through /newactor: the name, photos one by one, then a voice or Skip."""
    await start_new_actor(user)
    await user.send_text(name)
    await user.wait_for_text("Now send photos")
    for count, photo in enumerate(photos, start=1):
        await user.send_photo(photo)
        saved = await user.wait_for_text(texts.actor_photos_saved(name, count))
    await user.press(saved, texts.DONE_BUTTON)
    voice_question = await user.wait_for_text("Optional: send a voice sample")
    if voice is None:
        await user.press(voice_question, texts.SKIP_BUTTON)
    else:
        content, seconds = voice
        await user.send_voice(content, duration=seconds)
    await user.wait_for_text(texts.actor_saved(name))


async def open_invoice(user: EmulatedUser, credits: int = 500) -> SentMessage:
    """/buy, then tap the pack of that many credits; returns the invoice the bot sent."""
    await user.send_text("/buy")
    packs = await user.wait_for_text("Choose a pack")
    await user.press(packs, f"buy:{credits}")
    invoice = await user.next_message()
    assert invoice.method == "sendInvoice"
    return invoice
