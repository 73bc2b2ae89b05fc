"""What the benchmark's users do: order a face swap or a video, as a person would."""

from __future__ import annotations

import io
import wave

from bot.playground.emulator import EmulatedUser, make_jpeg
from tests.flows import accept_terms, send_both_photos, start_faceswap

STEP_TIMEOUT = 600.0
"""Seconds one step may wait for the bot; a slow baseline under load can be very slow."""
PORTRAIT = make_jpeg(color="orange")
VOICE_SECONDS = 5


def _silence(seconds: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(b"\x00\x00" * 8000 * seconds)
    return buffer.getvalue()


VOICE = _silence(VOICE_SECONDS)


async def order_faceswap(user: EmulatedUser) -> None:
    """/faceswap, the terms, the face, the target: the job is charged and started."""
    await start_faceswap(user, STEP_TIMEOUT)
    await send_both_photos(user, STEP_TIMEOUT)


async def order_video(user: EmulatedUser) -> None:
    """/lipsync, the terms, a portrait, 5 s of audio, Start on the quote."""
    await user.send_text("/lipsync")
    await accept_terms(user, STEP_TIMEOUT)
    await user.wait_for_text("Step 1 of 2", STEP_TIMEOUT)
    await user.send_photo(PORTRAIT)
    await user.wait_for_text("Step 2 of 2", STEP_TIMEOUT)
    await user.send_document(VOICE, file_name="voice.wav", mime_type="audio/wav")
    quote = await user.wait_for_text("Start?", STEP_TIMEOUT)
    await user.press(quote, "Start")
