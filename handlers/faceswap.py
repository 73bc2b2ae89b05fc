"""/faceswap: the face photo, then the target photo, then the result as photo and file."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import texts
from bot.actors import photo_input
from bot.context import BotContext
from bot.pricing import faceswap_price
from bot.tools import FACESWAP, FileInput, JobSpec
from handlers.actors import FACESWAP_WITH, actor_keyboard, owned_actor, start_with_actor
from handlers.conversation import build_flow
from handlers.media import PHOTO_INPUT, MediaRefused, expect_photo, photo_from
from handlers.orders import balance_covering, place_order
from handlers.terms import TERMS, terms_state, unless_agreed
from providers.models import FaceswapModel, MediaKind
from storage.actors import Actor

FACE, TARGET = range(2)
MODEL_PREFIX = "faceswap:model:"
FACE_PICK = "faceswap:face:"


async def faceswap(update: Update, context: BotContext) -> object:
    """Start a face swap, after the terms if the user has not agreed yet."""
    return await unless_agreed(update, context, begin)


async def begin(update: Update, context: BotContext) -> int:
    """Tell the price and ask for the face photo, offering the user's actors."""
    assert update.effective_chat
    balance = await _open(update, context)
    if balance is None:
        return ConversationHandler.END
    price = faceswap_price(context.services.settings.credit_multiplier)
    actors = await context.services.actors.list(context.user.id)
    await update.effective_chat.send_message(
        texts.faceswap_intro(price, balance, offers_actors=bool(actors)),
        reply_markup=actor_keyboard(actors, FACE_PICK),
    )
    return FACE


async def with_actor(update: Update, context: BotContext) -> object:
    """Start a face swap with an actor's face, from the actor's card."""

    async def proceed(actor: Actor) -> object:
        if await _open(update, context) is None:
            return ConversationHandler.END
        face_input = photo_input(actor.primary_photo, "face_asset", "face")
        return await _ask_target(update, context, face_input)

    return await start_with_actor(update, context, FACESWAP_WITH, begin, proceed)


async def _open(update: Update, context: BotContext) -> int | None:
    """The user's balance if it covers a face swap (after saying so if not); starts the flow."""
    price = faceswap_price(context.services.settings.credit_multiplier)
    balance = await balance_covering(update, context, price)
    if balance is not None:
        context.user_data["faceswap"] = {"model": FaceswapModel.SDXL.value}
    return balance


async def face(update: Update, context: BotContext) -> int:
    """Keep the face photo and ask for the target."""
    assert update.effective_message
    try:
        received = photo_from(update.effective_message)
    except MediaRefused as refused:
        await update.effective_message.reply_text(refused.reply)
        return FACE
    return await _ask_target(
        update, context, received.as_input("face_asset", MediaKind.IMAGE, "face")
    )


async def pick_face(update: Update, context: BotContext) -> int:
    """Use an actor's face instead of a new photo."""
    assert update.callback_query
    actor = await owned_actor(update, context, FACE_PICK)
    if actor is None:
        return FACE
    await update.callback_query.answer()
    return await _ask_target(
        update, context, photo_input(actor.primary_photo, "face_asset", "face")
    )


async def _ask_target(update: Update, context: BotContext, face_input: FileInput) -> int:
    assert update.effective_chat
    flow = context.user_data["faceswap"]
    flow["face"] = face_input
    model = FaceswapModel(flow["model"])
    await update.effective_chat.send_message(
        texts.faceswap_target(texts.FACESWAP_MODEL_LABELS[model]),
        reply_markup=model_keyboard(model),
    )
    return TARGET


async def choose_model(update: Update, context: BotContext) -> int:
    """Switch the model; the price is the same for every one."""
    query = update.callback_query
    assert query and query.data
    model = FaceswapModel(query.data.removeprefix(MODEL_PREFIX))
    context.user_data["faceswap"]["model"] = model.value
    await query.answer(texts.FACESWAP_MODEL_CHOSEN)
    await query.edit_message_reply_markup(model_keyboard(model))
    return TARGET


async def target(update: Update, context: BotContext) -> int:
    """Charge and start the swap with the target photo."""
    assert update.effective_message and update.effective_chat
    try:
        received = photo_from(update.effective_message)
    except MediaRefused as refused:
        await update.effective_message.reply_text(refused.reply)
        return TARGET
    flow = context.user_data.pop("faceswap")
    spec = JobSpec(
        files=[
            flow["face"],
            received.as_input("ref_asset", MediaKind.IMAGE, "target"),
        ],
        options={"model": flow["model"]},
    )
    price = faceswap_price(context.services.settings.credit_multiplier)
    await place_order(update, context, FACESWAP, spec, price)
    return ConversationHandler.END


def model_keyboard(chosen: FaceswapModel) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            ("✓ " if model is chosen else "") + texts.FACESWAP_MODEL_LABELS[model],
            callback_data=f"{MODEL_PREFIX}{model.value}",
        )
        for model in FaceswapModel
    ]
    return InlineKeyboardMarkup([buttons[:2], buttons[2:]])


def build_faceswap_handlers() -> list[ConversationHandler[BotContext]]:
    anything_else = ~filters.COMMAND
    return [
        build_flow(
            "faceswap",
            entry_points=[
                CommandHandler("faceswap", faceswap),
                CallbackQueryHandler(with_actor, pattern=f"^{FACESWAP_WITH}"),
            ],
            states={
                TERMS: terms_state(begin),
                FACE: [
                    MessageHandler(PHOTO_INPUT, face),
                    CallbackQueryHandler(pick_face, pattern=f"^{FACE_PICK}"),
                    MessageHandler(anything_else, expect_photo),
                ],
                TARGET: [
                    MessageHandler(PHOTO_INPUT, target),
                    CallbackQueryHandler(choose_model, pattern=f"^{MODEL_PREFIX}"),
                    MessageHandler(anything_else, expect_photo),
                ],
            },
        )
    ]
