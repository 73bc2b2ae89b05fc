"""Steps of the bot's flows as a user takes them, shared by the end-to-end tests."""

from __future__ import annotations

from bot import texts
from tests.fakes.telegram import FakeUser, SentMessage, make_jpeg

FACE = make_jpeg(color="red")
TARGET = make_jpeg(color="blue")


async def accept_terms(user: FakeUser) -> None:
    """Tap "I agree" under the consent shown before a first face swap or lipsync."""
    terms = await user.wait_for_text("please agree to these terms")
    await user.press(terms, texts.TERMS_AGREE_BUTTON)


async def next_media(user: FakeUser, method: str) -> SentMessage:
    for _ in range(10):
        message = await user.next_message()
        if message.method == method:
            return message
    raise AssertionError(f"no {method} among the bot's messages")


async def start_faceswap(user: FakeUser) -> SentMessage:
    """Send /faceswap as a first-time user; returns the flow's first question."""
    await user.send_text("/faceswap")
    await accept_terms(user)
    return await user.wait_for_text("Step 1 of 2")


async def send_both_photos(user: FakeUser) -> SentMessage:
    await user.send_photo(FACE)
    target_question = await user.wait_for_text("Step 2 of 2")
    await user.send_photo(TARGET)
    return target_question
