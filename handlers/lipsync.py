"""/lipsync: a portrait, then up to 35 seconds of audio, then a price to confirm, then video."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import texts
from bot.actors import photo_input, voice_input
from bot.context import BotContext
from bot.pricing import LIPSYNC_MAX_SECONDS, lipsync_price, started_seconds
from bot.tools import LIPSYNC, FileInput, JobSpec
from handlers.actors import LIPSYNC_WITH, actor_keyboard, owned_actor, start_with_actor
from handlers.conversation import build_flow
from handlers.media import (
    AUDIO_INPUT,
    PHOTO_INPUT,
    MediaRefused,
    audio_from,
    expect_audio,
    expect_photo,
    photo_from,
)
from handlers.orders import balance_covering, offer
from handlers.terms import TERMS, terms_state, unless_agreed
from providers.models import MediaKind
from storage.actors import Actor

PORTRAIT, AUDIO = range(2)
PORTRAIT_LIMIT = 5 * 1024 * 1024
"""The provider takes JPG or PNG portraits under 5 MB."""
PORTRAIT_TYPES = frozenset({"image/jpeg", "image/png"})
FACE_PICK = "lipsync:face:"
VOICE_PICK = "lipsync:voice:"


async def lipsync(update: Update, context: BotContext) -> object:
    """Start a lipsync, after the terms if the user has not agreed yet."""
    return await unless_agreed(update, context, begin)


async def begin(update: Update, context: BotContext) -> int:
    """Tell the price per second and ask for the portrait, offering the user's actors."""
    assert update.effective_chat
    balance = await _open(update, context)
    if balance is None:
        return ConversationHandler.END
    shortest = lipsync_price(1, context.services.settings.credit_multiplier)
    actors = await context.services.actors.list(context.user.id)
    await update.effective_chat.send_message(
        texts.lipsync_intro(shortest, balance, offers_actors=bool(actors)),
        reply_markup=actor_keyboard(actors, FACE_PICK),
    )
    return PORTRAIT


async def with_actor(update: Update, context: BotContext) -> object:
    """Start a lipsync with an actor's face, from the actor's card."""

    async def proceed(actor: Actor) -> object:
        if await _open(update, context) is None:
            return ConversationHandler.END
        portrait_input = photo_input(actor.primary_photo, "image_asset", "portrait")
        return await _ask_audio(update, context, portrait_input)

    return await start_with_actor(update, context, LIPSYNC_WITH, begin, proceed)


async def _open(update: Update, context: BotContext) -> int | None:
    """The user's balance if it covers the shortest lipsync; otherwise None, after saying so."""
    shortest = lipsync_price(1, context.services.settings.credit_multiplier)
    return await balance_covering(update, context, shortest)


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
    return await _ask_audio(
        update, context, received.as_input("image_asset", MediaKind.IMAGE, "portrait")
    )


async def pick_portrait(update: Update, context: BotContext) -> int:
    """Use an actor's face as the portrait."""
    assert update.callback_query
    actor = await owned_actor(update, context, FACE_PICK)
    if actor is None:
        return PORTRAIT
    await update.callback_query.answer()
    return await _ask_audio(
        update, context, photo_input(actor.primary_photo, "image_asset", "portrait")
    )


async def _ask_audio(update: Update, context: BotContext, portrait_input: FileInput) -> int:
    """Ask for the audio, offering the actors whose voice sample is short enough."""
    assert update.effective_chat
    context.user_data["lipsync"] = {"portrait": portrait_input}
    voices = [
        actor for actor in await context.services.actors.list(context.user.id) if _fits(actor)
    ]
    await update.effective_chat.send_message(
        texts.lipsync_audio(offers_actors=bool(voices)),
        reply_markup=actor_keyboard(voices, VOICE_PICK),
    )
    return AUDIO


def _fits(actor: Actor) -> bool:
    return actor.voice is not None and actor.voice.seconds <= LIPSYNC_MAX_SECONDS


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
    audio_input = received.as_input("audio_asset", MediaKind.AUDIO, "audio")
    await _quote(update, context, audio_input, received.duration)
    return ConversationHandler.END


async def pick_voice(update: Update, context: BotContext) -> int:
    """Use an actor's voice sample as the audio."""
    assert update.callback_query
    actor = await owned_actor(update, context, VOICE_PICK)
    if actor is None:
        return AUDIO
    await update.callback_query.answer()
    if actor.voice is None or not _fits(actor):
        assert update.effective_chat
        seconds = actor.voice.seconds if actor.voice else 0.0
        await update.effective_chat.send_message(
            texts.actor_voice_too_long(actor.name, seconds, LIPSYNC_MAX_SECONDS)
        )
        return AUDIO
    await _quote(update, context, voice_input(actor, "audio_asset"), actor.voice.seconds)
    return ConversationHandler.END


async def _quote(
    update: Update, context: BotContext, audio_input: FileInput, seconds: float
) -> None:
    portrait_input: FileInput = context.user_data.pop("lipsync")["portrait"]
    spec = JobSpec(files=[portrait_input, audio_input], audio_seconds=seconds)
    price = lipsync_price(seconds, context.services.settings.credit_multiplier)
    started = started_seconds(seconds)
    await offer(
        update,
        context,
        LIPSYNC,
        spec,
        price,
        lambda balance: texts.lipsync_quote(started, price, balance),
    )


def build_lipsync_handlers() -> list[ConversationHandler[BotContext]]:
    anything_else = ~filters.COMMAND
    return [
        build_flow(
            "lipsync",
            entry_points=[
                CommandHandler("lipsync", lipsync),
                CallbackQueryHandler(with_actor, pattern=f"^{LIPSYNC_WITH}"),
            ],
            states={
                TERMS: terms_state(begin),
                PORTRAIT: [
                    MessageHandler(PHOTO_INPUT, portrait),
                    CallbackQueryHandler(pick_portrait, pattern=f"^{FACE_PICK}"),
                    MessageHandler(anything_else, expect_photo),
                ],
                AUDIO: [
                    MessageHandler(AUDIO_INPUT, audio),
                    CallbackQueryHandler(pick_voice, pattern=f"^{VOICE_PICK}"),
                    MessageHandler(anything_else, expect_audio),
                ],
            },
        )
    ]
