"""/lipsync: a portrait, then up to 35 seconds of audio, then a price to confirm, then video."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, ConversationHandler, MessageHandler, filters

from bot import texts
from bot.context import BotContext
from bot.pricing import LIPSYNC_MAX_SECONDS, lipsync_price, started_seconds
from bot.tools import LIPSYNC, JobSpec
from handlers.conversation import build_flow
from handlers.media import (
    AUDIO_INPUT,
    PHOTO_INPUT,
    MediaRefused,
    ReceivedFile,
    audio_from,
    expect_audio,
    expect_photo,
    photo_from,
)
from handlers.orders import offer
from handlers.terms import TERMS, terms_state, unless_agreed
from providers.models import MediaKind

PORTRAIT, AUDIO = range(2)
PORTRAIT_LIMIT = 5 * 1024 * 1024
"""The provider takes JPG or PNG portraits under 5 MB."""
PORTRAIT_TYPES = frozenset({"image/jpeg", "image/png"})


async def lipsync(update: Update, context: BotContext) -> object:
    """Start a lipsync, after the terms if the user has not agreed yet."""
    return await unless_agreed(update, context, begin)


async def begin(update: Update, context: BotContext) -> int:
    """Tell the price per second and ask for the portrait."""
    assert update.effective_chat
    multiplier = context.services.settings.credit_multiplier
    balance = await context.services.ledger.balance(context.user.id)
    shortest = lipsync_price(1, multiplier)
    if balance < shortest:
        await update.effective_chat.send_message(texts.not_enough_credits(shortest, balance))
        return ConversationHandler.END
    await update.effective_chat.send_message(texts.lipsync_intro(shortest, balance))
    return PORTRAIT


async def portrait(update: Update, context: BotContext) -> int:
    """Keep the portrait and ask for the audio."""
    assert update.effective_message
    try:
        received = photo_from(
            update.effective_message, max_bytes=PORTRAIT_LIMIT, mime_types=PORTRAIT_TYPES
        )
    except MediaRefused as refused:
        await update.effective_message.reply_text(refused.reply)
        return PORTRAIT
    context.user_data["lipsync"] = {"portrait": received}
    await update.effective_message.reply_text(texts.LIPSYNC_AUDIO)
    return AUDIO


async def audio(update: Update, context: BotContext) -> int:
    """Check the audio's length, then quote the price for the user to confirm."""
    assert update.effective_message
    try:
        received = await audio_from(update.effective_message, context.bot)
    except MediaRefused as refused:
        await update.effective_message.reply_text(refused.reply)
        return AUDIO
    assert received.duration is not None
    if received.duration > LIPSYNC_MAX_SECONDS:
        await update.effective_message.reply_text(
            texts.audio_too_long(received.duration, LIPSYNC_MAX_SECONDS)
        )
        return AUDIO
    portrait_file: ReceivedFile = context.user_data.pop("lipsync")["portrait"]
    spec = JobSpec(
        files=[
            portrait_file.as_input("image_asset", MediaKind.IMAGE, "portrait"),
            received.as_input("audio_asset", MediaKind.AUDIO, "audio"),
        ],
        audio_seconds=received.duration,
    )
    price = lipsync_price(received.duration, context.services.settings.credit_multiplier)
    seconds = started_seconds(received.duration)
    await offer(
        update,
        context,
        LIPSYNC,
        spec,
        price,
        lambda balance: texts.lipsync_quote(seconds, price, balance),
    )
    return ConversationHandler.END


def build_lipsync_handlers() -> list[ConversationHandler[BotContext]]:
    anything_else = ~filters.COMMAND
    return [
        build_flow(
            "lipsync",
            entry_points=[CommandHandler("lipsync", lipsync)],
            states={
                TERMS: terms_state(begin),
                PORTRAIT: [
                    MessageHandler(PHOTO_INPUT, portrait),
                    MessageHandler(anything_else, expect_photo),
                ],
                AUDIO: [
                    MessageHandler(AUDIO_INPUT, audio),
                    MessageHandler(anything_else, expect_audio),
                ],
            },
        )
    ]
