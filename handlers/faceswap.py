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
from bot.context import BotContext
from bot.pricing import faceswap_price
from bot.tools import FACESWAP, JobSpec
from handlers.conversation import build_flow
from handlers.media import PHOTO_INPUT, MediaRefused, ReceivedFile, expect_photo, photo_from
from handlers.orders import place_order
from handlers.terms import TERMS, terms_state, unless_agreed
from providers.models import FaceswapModel, MediaKind

FACE, TARGET = range(2)
MODEL_PREFIX = "faceswap:model:"


async def faceswap(update: Update, context: BotContext) -> object:
    """Start a face swap, after the terms if the user has not agreed yet."""
    return await unless_agreed(update, context, begin)


async def begin(update: Update, context: BotContext) -> int:
    """Tell the price and ask for the face photo."""
    assert update.effective_chat
    price = faceswap_price(context.services.settings.credit_multiplier)
    balance = await context.services.ledger.balance(context.user.id)
    if balance < price:
        await update.effective_chat.send_message(texts.not_enough_credits(price, balance))
        return ConversationHandler.END
    context.user_data["faceswap"] = {"model": FaceswapModel.SDXL.value}
    await update.effective_chat.send_message(texts.faceswap_intro(price, balance))
    return FACE


async def face(update: Update, context: BotContext) -> int:
    """Keep the face photo and ask for the target."""
    assert update.effective_message
    try:
        received = photo_from(update.effective_message)
    except MediaRefused as refused:
        await update.effective_message.reply_text(refused.reply)
        return FACE
    flow = context.user_data["faceswap"]
    flow["face"] = received
    model = FaceswapModel(flow["model"])
    await update.effective_message.reply_text(
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
    face_file: ReceivedFile = flow["face"]
    spec = JobSpec(
        files=[
            face_file.as_input("face_asset", MediaKind.IMAGE, "face"),
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
            entry_points=[CommandHandler("faceswap", faceswap)],
            states={
                TERMS: terms_state(begin),
                FACE: [
                    MessageHandler(PHOTO_INPUT, face),
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
