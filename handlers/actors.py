"""/actors: the list, each actor's card and its buttons.

Every callback names an actor by id, and every one loads it for the pressing user only:
an id of someone else's actor is answered exactly like a deleted one.
"""

from __future__ import annotations

from collections.abc import Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import texts
from bot.actors import (
    MIN_TRAINING_PHOTOS,
    is_training,
    likeness_spec,
    voice_spec,
)
from bot.context import BotContext
from bot.flow import face_tools
from bot.tools import ACTOR_LIKENESS, ACTOR_VOICE
from handlers.conversation import Handlers
from handlers.keyboards import rows_of
from handlers.orders import offer
from handlers.parsing import number_after
from providers.base import ActorProvider
from storage.actors import Actor, ActorNotFound, TrainingStatus

PREFIX = "actor:"
LIST = PREFIX + "list"
OPEN = PREFIX + "open:"
USE = PREFIX + "use:"
RENAME = PREFIX + "rename:"
PHOTOS = PREFIX + "photos:"
VOICE = PREFIX + "voice:"
TRAIN = PREFIX + "train:"
CLONE = PREFIX + "clone:"
PICTURE = PREFIX + "picture:"
DELETE = PREFIX + "delete:"
DELETE_CONFIRMED = PREFIX + "erase:"
WITH = ":with:"
"""`<tool>:with:<actor id>` starts a tool with the actor's face (handlers/flow/steps.py)."""


async def owned_actor(update: Update, context: BotContext, prefix: str) -> Actor | None:
    """The pressing user's actor named by the callback, or None after saying it is gone."""
    query = update.callback_query
    assert query
    actor_id = number_after(prefix, query.data)
    try:
        if actor_id is not None:
            return await context.services.actors.get(actor_id, query.from_user.id)
    except ActorNotFound:
        pass
    await query.answer(texts.ACTOR_GONE, show_alert=True)
    return None


def actor_keyboard(actors: list[Actor], prefix: str) -> InlineKeyboardMarkup | None:
    """One button per actor, two to a row; None when there is nothing to pick."""
    buttons = [
        InlineKeyboardButton(
            texts.pick_actor_button(actor.name), callback_data=f"{prefix}{actor.id}"
        )
        for actor in actors
    ]
    if not buttons:
        return None
    return InlineKeyboardMarkup(rows_of(buttons))


async def list_actors(update: Update, context: BotContext) -> None:
    """The user's actors as buttons, or how to make the first one."""
    assert update.effective_chat
    actors = await context.services.actors.list(context.user.id)
    if update.callback_query:
        await update.callback_query.answer()
    if not actors:
        await update.effective_chat.send_message(texts.NO_ACTORS)
        return
    await update.effective_chat.send_message(
        texts.actors_list(len(actors)), reply_markup=actor_keyboard(actors, OPEN)
    )


async def open_actor(update: Update, context: BotContext) -> None:
    """The actor's card: primary photo, what it has, and what can be done with it."""
    assert update.effective_chat and update.callback_query
    actor = await owned_actor(update, context, OPEN)
    if actor is None:
        return
    await update.callback_query.answer()
    await send_card(update, context, actor)


async def send_card(update: Update, context: BotContext, actor: Actor) -> None:
    assert update.effective_chat
    trainer = await context.services.actor_providers.for_training()
    await update.effective_chat.send_photo(
        actor.primary_photo.file_id,
        caption=texts.actor_card(actor, training_offered=trainer is not None),
        reply_markup=card_keyboard(context, actor, trainer is not None),
    )


def card_keyboard(context: BotContext, actor: Actor, can_train: bool) -> InlineKeyboardMarkup:
    settings = context.services.settings
    rows = [
        [
            InlineKeyboardButton(texts.ACTOR_BUTTON_USE, callback_data=f"{USE}{actor.id}"),
            InlineKeyboardButton(texts.ACTOR_BUTTON_RENAME, callback_data=f"{RENAME}{actor.id}"),
        ],
        [
            InlineKeyboardButton(texts.ACTOR_BUTTON_PHOTOS, callback_data=f"{PHOTOS}{actor.id}"),
            InlineKeyboardButton(texts.ACTOR_BUTTON_VOICE, callback_data=f"{VOICE}{actor.id}"),
        ],
    ]
    if actor.likeness and actor.likeness.status is TrainingStatus.TRAINED:
        rows.append(
            [
                InlineKeyboardButton(
                    texts.ACTOR_BUTTON_PICTURE, callback_data=f"{PICTURE}{actor.id}"
                )
            ]
        )
    if can_train:
        training = [
            InlineKeyboardButton(
                texts.train_likeness_button(settings.likeness_training_price),
                callback_data=f"{TRAIN}{actor.id}",
            )
        ]
        if actor.voice:
            training.append(
                InlineKeyboardButton(
                    texts.clone_voice_button(settings.voice_clone_price),
                    callback_data=f"{CLONE}{actor.id}",
                )
            )
        rows.append(training)
    rows.append(
        [
            InlineKeyboardButton(texts.ACTOR_BUTTON_DELETE, callback_data=f"{DELETE}{actor.id}"),
            InlineKeyboardButton(texts.ACTORS_BACK, callback_data=LIST),
        ]
    )
    return InlineKeyboardMarkup(rows)


async def use_actor(update: Update, context: BotContext) -> None:
    """Offer the tools that take this actor."""
    assert update.effective_chat and update.callback_query
    actor = await owned_actor(update, context, USE)
    if actor is None:
        return
    await update.callback_query.answer()
    await update.effective_chat.send_message(
        texts.use_actor(actor.name),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        texts.use_tool_button(entry.name, actor.name),
                        callback_data=f"{entry.name}{WITH}{actor.id}",
                    )
                ]
                for entry in face_tools()
            ]
        ),
    )


async def _ready_to_train(
    update: Update, context: BotContext, prefix: str, missing: Callable[[Actor], str | None]
) -> tuple[Actor, ActorProvider] | None:
    """The actor and the provider to train it, or None after saying why not: no provider,
    an input the training needs (`missing` words it), or a training already running."""
    assert update.callback_query and update.effective_chat
    actor = await owned_actor(update, context, prefix)
    if actor is None:
        return None
    await update.callback_query.answer()
    trainer = await context.services.actor_providers.for_training()
    if trainer is None:
        refusal: str | None = texts.TRAINING_UNAVAILABLE
    elif is_training(actor):
        refusal = texts.busy_training(actor.name)
    else:
        refusal = missing(actor)
    if refusal is not None:
        await update.effective_chat.send_message(refusal)
        return None
    assert trainer is not None
    return actor, trainer


def _photos_missing(actor: Actor) -> str | None:
    if len(actor.photos) < MIN_TRAINING_PHOTOS:
        return texts.needs_photos_to_train(actor.name, len(actor.photos), MIN_TRAINING_PHOTOS)
    return None


def _voice_missing(actor: Actor) -> str | None:
    return texts.NEEDS_VOICE_TO_CLONE if actor.voice is None else None


async def train_likeness(update: Update, context: BotContext) -> None:
    """Quote a likeness training with the first available provider."""
    ready = await _ready_to_train(update, context, TRAIN, _photos_missing)
    if ready is None:
        return
    actor, trainer = ready
    price = context.services.settings.likeness_training_price
    await offer(
        update,
        context,
        ACTOR_LIKENESS,
        likeness_spec(actor),
        price,
        lambda balance: texts.likeness_quote(actor.name, len(actor.photos), price, balance),
        provider=trainer.name,
    )


async def clone_voice(update: Update, context: BotContext) -> None:
    """Quote a voice clone of the actor's sample with the first available provider."""
    ready = await _ready_to_train(update, context, CLONE, _voice_missing)
    if ready is None:
        return
    actor, trainer = ready
    price = context.services.settings.voice_clone_price
    await offer(
        update,
        context,
        ACTOR_VOICE,
        voice_spec(actor),
        price,
        lambda balance: texts.voice_quote(actor.name, price, balance),
        provider=trainer.name,
    )


async def ask_delete(update: Update, context: BotContext) -> None:
    """Deleting cannot be undone, so it is asked twice."""
    assert update.callback_query and update.effective_chat
    actor = await owned_actor(update, context, DELETE)
    if actor is None:
        return
    await update.callback_query.answer()
    await update.effective_chat.send_message(
        texts.confirm_delete(actor.name),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        texts.YES_DELETE, callback_data=f"{DELETE_CONFIRMED}{actor.id}"
                    ),
                    InlineKeyboardButton(texts.KEEP_BUTTON, callback_data=f"{OPEN}{actor.id}"),
                ]
            ]
        ),
    )


async def delete_actor(update: Update, context: BotContext) -> None:
    """Delete the actor and, where its provider allows, its trained models."""
    query = update.callback_query
    assert query
    actor = await owned_actor(update, context, DELETE_CONFIRMED)
    if actor is None:
        return
    await query.answer()
    if is_training(actor):
        await query.edit_message_text(texts.busy_training(actor.name))
        return
    services = context.services
    try:
        deleted = await services.actors.delete(actor.id, query.from_user.id)
    except ActorNotFound:
        await query.edit_message_text(texts.ACTOR_GONE)
        return
    await query.edit_message_text(texts.deleted(deleted.name))
    await services.actor_providers.delete_models(deleted)


def build_actor_handlers() -> Handlers:
    return [
        CommandHandler("actors", list_actors),
        CallbackQueryHandler(list_actors, pattern=f"^{LIST}$"),
        CallbackQueryHandler(open_actor, pattern=f"^{OPEN}"),
        CallbackQueryHandler(use_actor, pattern=f"^{USE}"),
        CallbackQueryHandler(train_likeness, pattern=f"^{TRAIN}"),
        CallbackQueryHandler(clone_voice, pattern=f"^{CLONE}"),
        CallbackQueryHandler(ask_delete, pattern=f"^{DELETE}"),
        CallbackQueryHandler(delete_actor, pattern=f"^{DELETE_CONFIRMED}"),
    ]
