"""The actor flows that collect input: /newactor, *Save as actor* (from the photo menu or a
generated face), rename, add photos, set voice, and a picture from a prompt.

Photos are written to SQLite as they arrive (the first one creates the actor), so an
album of ten is ten small writes and nothing is lost if the user wanders off midway.

This is the one conversation kept as a ConversationHandler. It still keeps to one flow per
user: starting it ends the user's tool flow, and starting a tool (its command, an actor's
*Use*, a result's button) or /cancel ends it.
"""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import texts
from bot.actors import picture_spec
from bot.context import BotContext
from bot.tools import ACTOR_PICTURE
from handlers import actors as buttons
from handlers import results
from handlers.conversation import Handlers, build_flow
from handlers.flow import SAVE_AS_ACTOR, leave, menu_photo_as_actor
from handlers.media import (
    AUDIO_INPUT,
    PHOTO_INPUT,
    MediaRefused,
    audio_from,
    image_refusal,
    image_type,
    photo_from,
)
from handlers.orders import offer
from handlers.parsing import number_after
from handlers.terms import TERMS, terms_state, unless_agreed
from providers.models import MediaKind
from storage.actors import (
    MAX_ACTORS,
    ActorLimitReached,
    ActorNameTaken,
    ActorNotFound,
    ActorPhoto,
    ActorVoice,
    InvalidActorName,
    PhotoLimitReached,
    TrainingStatus,
    clean_name,
)

NAME, PHOTOS, VOICE, RENAME, PROMPT = "name", "photos", "voice", "rename", "prompt"
DONE = "actor:done"
SKIP = "actor:skip"
DRAFT = "actor"
"""user_data key of the flow: the actor's id (once created), name, and what comes next."""

PHOTO_LIMIT = 5 * 1024 * 1024
"""Actor photos are reused as lipsync portraits, which must be JPG or PNG under 5 MB."""
PHOTO_TYPES = frozenset({"image/jpeg", "image/png"})
VOICE_SECONDS = (10, 180)
PROMPT_LIMIT = 1000


async def new_actor(update: Update, context: BotContext) -> object:
    """Ask for the name, unless the user has no room for another actor."""
    assert update.effective_message
    await leave(update, context)
    if await context.services.actors.count(context.user.id) >= MAX_ACTORS:
        await update.effective_message.reply_text(texts.ACTOR_LIMIT)
        return ConversationHandler.END
    context.user_data[DRAFT] = {"id": None, "new": True}
    # An actor is a real person's face, kept and reused: the terms come first.
    return await unless_agreed(update, context, _ask_name)


async def save_menu_photo(update: Update, context: BotContext) -> object:
    """*Save as actor* on the photo menu: a new actor with that photo, once named."""
    query = update.callback_query
    assert query and query.data
    revision = number_after(SAVE_AS_ACTOR, query.data)
    photo = await menu_photo_as_actor(context, revision) if revision is not None else None
    if photo is None:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return ConversationHandler.END
    mime_type = image_type(photo)
    refusal = (
        image_refusal(photo, PHOTO_TYPES, PHOTO_LIMIT)
        if mime_type in PHOTO_TYPES
        else texts.ACTOR_PHOTO_TYPES_REFUSED
    )
    if refusal is not None:
        # The menu stays: its other buttons may take the photo.
        await query.answer(refusal, show_alert=True)
        return ConversationHandler.END
    assert photo.file_id is not None and photo.file_unique_id is not None
    await query.answer()
    await query.edit_message_reply_markup(None)
    await leave(update, context)
    stored = ActorPhoto(
        file_id=photo.file_id, file_unique_id=photo.file_unique_id, mime_type=mime_type
    )
    return await _start_from_photo(update, context, stored)


async def save_result(update: Update, context: BotContext) -> object:
    """*Save as actor* under a generated face: a new actor with that face, once named."""
    assert update.effective_chat
    found = await results.owned_job(update, context)
    if found is None:
        return ConversationHandler.END
    job, action, number = found
    picked = await results.pick_output(update, job, action, number)
    if picked is None:
        return ConversationHandler.END
    _, output = picked
    assert update.callback_query
    data = await context.services.studio.download(output.url, PHOTO_LIMIT)
    if data is None:
        await update.callback_query.answer(results.expired(job), show_alert=True)
        return ConversationHandler.END
    await update.callback_query.answer()
    await leave(update, context)
    sent = await update.effective_chat.send_photo(data, caption=texts.SAVED_FACE_CAPTION)
    largest = sent.photo[-1]
    stored = ActorPhoto(file_id=largest.file_id, file_unique_id=largest.file_unique_id)
    return await _start_from_photo(update, context, stored)


async def _start_from_photo(update: Update, context: BotContext, photo: ActorPhoto) -> object:
    """Keep the photo for the new actor, then ask for the name (after the terms)."""
    assert update.effective_chat
    if await context.services.actors.count(context.user.id) >= MAX_ACTORS:
        await update.effective_chat.send_message(texts.ACTOR_LIMIT)
        return ConversationHandler.END
    context.user_data[DRAFT] = {"id": None, "new": True, "photo": photo.model_dump()}
    return await unless_agreed(update, context, _ask_name)


async def _ask_name(update: Update, context: BotContext) -> object:
    """Ask for the new actor's name (for the photo kept already, if it came with one)."""
    assert update.effective_chat
    with_photo = "photo" in context.user_data[DRAFT]
    await update.effective_chat.send_message(
        texts.NEW_ACTOR_NAME_FOR_PHOTO if with_photo else texts.NEW_ACTOR_NAME
    )
    return NAME


async def name(update: Update, context: BotContext) -> object:
    """Check the name, then ask for photos."""
    message = update.effective_message
    assert message and message.text is not None
    try:
        cleaned = clean_name(message.text)
    except InvalidActorName as invalid:
        await message.reply_text(texts.ACTOR_NAME_PROBLEMS[invalid.reason])
        return NAME
    if await context.services.actors.name_taken(context.user.id, cleaned):
        await message.reply_text(texts.ACTOR_NAME_TAKEN)
        return NAME
    draft = context.user_data[DRAFT]
    draft["name"] = cleaned
    if "photo" not in draft:
        await message.reply_text(texts.actor_photos_intro(cleaned))
        return PHOTOS
    try:
        actor = await context.services.actors.create(
            context.user.id, cleaned, [ActorPhoto.model_validate(draft.pop("photo"))]
        )
    except ActorNameTaken:
        await message.reply_text(texts.ACTOR_NAME_TAKEN)
        return NAME
    except ActorLimitReached:
        await message.reply_text(texts.ACTOR_LIMIT)
        return _end(context)
    draft["id"], draft["count"] = actor.id, 1
    await _show_count(message, draft, 1)
    return PHOTOS


async def expect_name(update: Update, context: BotContext) -> None:
    assert update.effective_message
    await update.effective_message.reply_text(texts.ACTOR_NAME_EXPECTED)


async def photo(update: Update, context: BotContext) -> object:
    """Save one photo (the first creates the actor) and show the count under Done."""
    message = update.effective_message
    assert message
    draft = context.user_data[DRAFT]
    try:
        received = photo_from(message, max_bytes=PHOTO_LIMIT, mime_types=PHOTO_TYPES)
    except MediaRefused as refused:
        await message.reply_text(refused.reply)
        return PHOTOS
    stored = ActorPhoto(
        file_id=received.file_id,
        file_unique_id=received.file_unique_id,
        mime_type=received.mime_type,
    )
    actors = context.services.actors
    try:
        if draft["id"] is None:
            actor = await actors.create(context.user.id, draft["name"], [stored])
            draft["id"] = actor.id
        else:
            actor = await actors.add_photos(draft["id"], context.user.id, [stored])
    except ActorNameTaken:
        await message.reply_text(texts.ACTOR_NAME_TAKEN)
        await message.reply_text(texts.NEW_ACTOR_NAME)
        return NAME
    except ActorLimitReached:
        await message.reply_text(texts.ACTOR_LIMIT)
        return _end(context)
    except ActorNotFound:
        await message.reply_text(texts.ACTOR_GONE)
        return _end(context)
    except PhotoLimitReached as full:
        await message.reply_text(texts.actor_photos_full(draft["name"], full.room))
        return PHOTOS
    draft["count"] = len(actor.photos)
    await _show_count(message, draft, len(actor.photos))
    return PHOTOS


async def _show_count(message: Message, draft: dict[str, object], count: int) -> None:
    """One message with the count and Done per album, edited as its photos arrive."""
    text = texts.actor_photos_saved(str(draft["name"]), count)
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.DONE_BUTTON, callback_data=DONE)]]
    )
    group = message.media_group_id
    status = draft.get("status")
    if group is not None and isinstance(status, Message) and draft.get("group") == group:
        await status.edit_text(text, reply_markup=keyboard)
        return
    draft["status"] = await message.reply_text(text, reply_markup=keyboard)
    draft["group"] = group


async def expect_actor_photo(update: Update, context: BotContext) -> None:
    assert update.effective_message
    await update.effective_message.reply_text(texts.ACTOR_PHOTO_EXPECTED)


async def photos_done(update: Update, context: BotContext) -> object:
    """After a new actor's photos, ask for the optional voice; otherwise finish."""
    query = update.callback_query
    chat = update.effective_chat
    assert query and chat
    draft = context.user_data[DRAFT]
    await query.answer()
    await _drop_buttons(query)
    if "count" not in draft:  # a Done left over from an earlier flow, before any photo
        await chat.send_message(texts.ACTOR_PHOTO_EXPECTED)
        return PHOTOS
    if not draft["new"]:
        await chat.send_message(texts.photos_added(draft["name"], draft["count"]))
        return _end(context)
    await chat.send_message(
        texts.actor_voice_intro(draft["name"]),
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton(texts.SKIP_BUTTON, callback_data=SKIP)]]
        ),
    )
    return VOICE


async def voice(update: Update, context: BotContext) -> object:
    """Save the voice sample if its length fits."""
    message = update.effective_message
    assert message
    draft = context.user_data[DRAFT]
    try:
        received = await audio_from(message, context.bot)
    except MediaRefused as refused:
        await message.reply_text(refused.reply)
        return VOICE
    assert received.duration is not None
    shortest, longest = VOICE_SECONDS
    if not shortest <= received.duration <= longest:
        await message.reply_text(texts.voice_length_refused(received.duration, shortest, longest))
        return VOICE
    sample = ActorVoice(
        file_id=received.file_id,
        file_unique_id=received.file_unique_id,
        seconds=received.duration,
        filename=received.as_input("sample", MediaKind.AUDIO, "voice").filename,
        mime_type=received.mime_type,
    )
    try:
        await context.services.actors.set_voice(draft["id"], context.user.id, sample)
    except ActorNotFound:
        await message.reply_text(texts.ACTOR_GONE)
        return _end(context)
    await message.reply_text(
        texts.actor_saved(draft["name"]) if draft["new"] else texts.voice_saved(draft["name"])
    )
    return _end(context)


async def expect_voice(update: Update, context: BotContext) -> None:
    assert update.effective_message
    await update.effective_message.reply_text(texts.VOICE_SAMPLE_EXPECTED)


async def skip_voice(update: Update, context: BotContext) -> object:
    query = update.callback_query
    chat = update.effective_chat
    assert query and chat
    await query.answer()
    await _drop_buttons(query)
    await chat.send_message(texts.actor_saved(context.user_data[DRAFT]["name"]))
    return _end(context)


async def start_rename(update: Update, context: BotContext) -> object:
    actor = await buttons.owned_actor(update, context, buttons.RENAME)
    if actor is None:
        return ConversationHandler.END
    return await _ask(
        update, context, actor.id, actor.name, RENAME, texts.rename_prompt(actor.name)
    )


async def rename(update: Update, context: BotContext) -> object:
    message = update.effective_message
    assert message and message.text is not None
    draft = context.user_data[DRAFT]
    try:
        actor = await context.services.actors.rename(draft["id"], context.user.id, message.text)
    except InvalidActorName as invalid:
        await message.reply_text(texts.ACTOR_NAME_PROBLEMS[invalid.reason])
        return RENAME
    except ActorNameTaken:
        await message.reply_text(texts.ACTOR_NAME_TAKEN)
        return RENAME
    except ActorNotFound:
        await message.reply_text(texts.ACTOR_GONE)
        return _end(context)
    await message.reply_text(texts.renamed(actor.name))
    return _end(context)


async def start_add_photos(update: Update, context: BotContext) -> object:
    actor = await buttons.owned_actor(update, context, buttons.PHOTOS)
    if actor is None:
        return ConversationHandler.END
    prompt = texts.add_photos_prompt(actor.name, len(actor.photos))
    return await _ask(update, context, actor.id, actor.name, PHOTOS, prompt)


async def start_set_voice(update: Update, context: BotContext) -> object:
    actor = await buttons.owned_actor(update, context, buttons.VOICE)
    if actor is None:
        return ConversationHandler.END
    return await _ask(
        update, context, actor.id, actor.name, VOICE, texts.set_voice_prompt(actor.name)
    )


async def start_picture(update: Update, context: BotContext) -> object:
    """Ask for the prompt of a picture of a trained actor."""
    actor = await buttons.owned_actor(update, context, buttons.PICTURE)
    if actor is None:
        return ConversationHandler.END
    if actor.likeness is None or actor.likeness.status is not TrainingStatus.TRAINED:
        assert update.callback_query
        await update.callback_query.answer(texts.ACTOR_GONE, show_alert=True)
        return ConversationHandler.END
    price = context.services.settings.actor_picture_price
    return await _ask(
        update, context, actor.id, actor.name, PROMPT, texts.picture_prompt(actor.name, price)
    )


async def prompt(update: Update, context: BotContext) -> object:
    """Quote the picture; it is charged when the user taps Start."""
    message = update.effective_message
    assert message and message.text is not None
    text = message.text.strip()
    if not text:
        await message.reply_text(texts.PROMPT_EXPECTED)
        return PROMPT
    if len(text) > PROMPT_LIMIT:
        await message.reply_text(texts.prompt_too_long(PROMPT_LIMIT))
        return PROMPT
    draft = context.user_data[DRAFT]
    try:
        actor = await context.services.actors.get(draft["id"], context.user.id)
    except ActorNotFound:
        await message.reply_text(texts.ACTOR_GONE)
        return _end(context)
    likeness = actor.likeness
    if likeness is None or likeness.status is not TrainingStatus.TRAINED:
        await message.reply_text(texts.ACTOR_GONE)
        return _end(context)
    price = context.services.settings.actor_picture_price
    await offer(
        update,
        context,
        ACTOR_PICTURE,
        picture_spec(actor, text),
        price,
        lambda balance: texts.picture_quote(actor.name, price, balance),
        provider=likeness.provider,
    )
    return _end(context)


async def expect_prompt(update: Update, context: BotContext) -> None:
    assert update.effective_message
    await update.effective_message.reply_text(texts.PROMPT_EXPECTED)


async def _ask(
    update: Update, context: BotContext, actor_id: int, actor_name: str, state: str, text: str
) -> str:
    """Start a flow on an existing actor from its card."""
    assert update.callback_query and update.effective_chat
    await update.callback_query.answer()
    await leave(update, context)
    context.user_data[DRAFT] = {"id": actor_id, "name": actor_name, "new": False}
    await update.effective_chat.send_message(text)
    return state


async def _drop_buttons(query: CallbackQuery) -> None:
    """Remove the pressed message's buttons, unless a repeat press found them gone."""
    if isinstance(query.message, Message) and query.message.reply_markup:
        await query.edit_message_reply_markup(None)


def _end(context: BotContext) -> int:
    context.user_data.pop(DRAFT, None)
    return ConversationHandler.END


def build_new_actor_handlers(interrupts: Handlers) -> list[ConversationHandler[BotContext]]:
    """The actor conversation; `interrupts` start something else, and end it first."""
    anything_else = ~filters.COMMAND
    text = filters.TEXT & anything_else
    return [
        build_flow(
            "actors",
            entry_points=[
                CommandHandler("newactor", new_actor),
                CallbackQueryHandler(save_menu_photo, pattern=f"^{SAVE_AS_ACTOR}"),
                CallbackQueryHandler(
                    save_result, pattern=f"^{results.PREFIX}[0-9a-f]+:{results.SAVE_AS_ACTOR}"
                ),
                CallbackQueryHandler(start_rename, pattern=f"^{buttons.RENAME}"),
                CallbackQueryHandler(start_add_photos, pattern=f"^{buttons.PHOTOS}"),
                CallbackQueryHandler(start_set_voice, pattern=f"^{buttons.VOICE}"),
                CallbackQueryHandler(start_picture, pattern=f"^{buttons.PICTURE}"),
            ],
            interrupts=interrupts,
            states={
                TERMS: terms_state(_ask_name),
                NAME: [MessageHandler(text, name), MessageHandler(anything_else, expect_name)],
                PHOTOS: [
                    MessageHandler(PHOTO_INPUT, photo),
                    CallbackQueryHandler(photos_done, pattern=f"^{DONE}$"),
                    MessageHandler(anything_else, expect_actor_photo),
                ],
                VOICE: [
                    MessageHandler(AUDIO_INPUT, voice),
                    CallbackQueryHandler(skip_voice, pattern=f"^{SKIP}$"),
                    MessageHandler(anything_else, expect_voice),
                ],
                RENAME: [MessageHandler(text, rename), MessageHandler(anything_else, expect_name)],
                PROMPT: [
                    MessageHandler(text, prompt),
                    MessageHandler(anything_else, expect_prompt),
                ],
            },
        )
    ]
