"""The one flow: walks any catalog entry, from the command (or a menu, or a result) to the
job; and the photo-first menu.

State lives in SQLite (storage/flows.py, rules in bot/flow.py); this module parses what
the user sends, renders questions and keyboards, and orders through handlers/orders.py.
Buttons carry `flow:<revision>:<action>[:<index>...]` only; a button of another revision
(an older question, an ended flow) is refused.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import texts
from bot.actors import photo_input, voice_input
from bot.catalog import CATALOG
from bot.catalog.model import (
    Entry,
    Input,
    InputKind,
    Option,
    Sources,
    Value,
    holds,
    offered,
    resolve,
    visible,
)
from bot.context import BotContext
from bot.flow import (
    COLLECTING,
    MENU,
    MENU_ACTIONS,
    MENU_CAPTION,
    MENU_PHOTOS,
    TERMS,
    entry_of,
    face_tools,
    files,
    is_active,
    is_collected,
    job_spec,
    missing,
    prefill,
    quoted,
)
from bot.tools import FileInput
from handlers.actors import owned_actor
from handlers.conversation import Handlers
from handlers.media import (
    DOWNLOAD_LIMIT,
    IMAGE_TYPES,
    PHOTO_INPUT,
    MediaRefused,
    ReceivedFile,
    audio_from,
    photo_from,
)
from handlers.orders import balance_covering, offer, place_order, quote_keyboard
from handlers.terms import AGREE, terms_keyboard
from providers.models import MediaKind
from storage.flows import Flow
from storage.jobs import JobNotQuoted

PREFIX = "flow:"
SAVE_AS_ACTOR = "actor:save:"
"""The photo menu's *Save as actor*: an entry point of the actor conversation."""
INLINE_CHOICES = 4
"""An option with at most this many choices shows them all; a longer one opens a list."""
ROW = 2

Rows = list[list[InlineKeyboardButton]]


def _data(flow: Flow, action: str, *args: object) -> str:
    return ":".join([f"{PREFIX}{flow.revision}", action, *(str(arg) for arg in args)])


def _button(flow: Flow, label: str, action: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=_data(flow, action, *args))


def _rows(buttons: Sequence[InlineKeyboardButton], width: int = ROW) -> Rows:
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


# --- Starting and ending


async def start_command(update: Update, context: BotContext) -> None:
    """Start the command's tool; a text after the command is its prompt."""
    message = update.effective_message
    assert message and message.text
    command = message.text.split()[0].lstrip("/").split("@")[0].lower()
    entry = next(entry for entry in CATALOG.values() if entry.command == command)
    parts = message.text.split(maxsplit=1)
    text = parts[1].strip() if len(parts) > 1 else ""
    inputs: dict[str, Any] = {}
    prompt = next((item for item in entry.inputs if item.kind is InputKind.TEXT), None)
    if text and prompt is not None:
        if len(text) > prompt.max_chars:
            await message.reply_text(texts.prompt_too_long(prompt.max_chars))
        else:
            inputs[prompt.name] = text
    await begin(update, context, entry, inputs)


async def begin(update: Update, context: BotContext, entry: Entry, inputs: dict[str, Any]) -> None:
    """Start a flow of `entry` with what is known already, ending the user's current one
    (saying so); the terms come first where the entry takes a real person's face."""
    assert update.effective_chat
    needs_terms = entry.consent and context.user.terms_accepted_at is None
    flow, previous = await context.services.flows.start(
        context.user.id,
        update.effective_chat.id,
        tool=entry.name,
        step=TERMS if needs_terms else 0,
        inputs=inputs,
    )
    await announce_left(update, context, previous)
    if needs_terms:
        message = await update.effective_chat.send_message(
            texts.TERMS, reply_markup=terms_keyboard()
        )
        await context.services.flows.attach(flow, message.message_id)
        return
    await proceed(update, context, entry, flow)


async def announce_left(update: Update, context: BotContext, previous: Flow | None) -> None:
    """One line saying the flow the user was in has ended, if they were in one."""
    assert update.effective_chat
    if previous is None:
        return
    if is_active(previous):
        entry = entry_of(previous)
        assert entry is not None
        await update.effective_chat.send_message(texts.flow_left(entry.tool.title))
    elif previous.quote_job_id is not None:
        await _drop_quote(context, previous)


async def leave(update: Update, context: BotContext) -> None:
    """End the user's flow because something else starts (the actor conversation)."""
    await announce_left(update, context, await context.services.flows.end(context.user.id))


async def proceed(update: Update, context: BotContext, entry: Entry, flow: Flow) -> None:
    """Check the balance covers the job, then ask for what is missing (or quote)."""
    options, _ = await _options(context, entry, flow.options)
    measures = dict(flow.measures)
    if entry.price.per_second is not None:
        measures.setdefault(entry.price.per_second, 1)
    price = entry.price_of(options, measures, context.services.settings.credit_multiplier)
    balance = await balance_covering(update, context, price or 0)
    if balance is None:
        await context.services.flows.end(flow.user_id, flow.revision)
        return
    await advance(update, context, entry, flow, answered=None, intro_balance=balance)


async def cancel(update: Update, context: BotContext) -> None:
    """Leave the flow; a quote it left is withdrawn. Nothing is charged."""
    assert update.effective_message
    flow = await context.services.flows.end(context.user.id)
    if flow is not None and flow.quote_job_id is not None:
        await _drop_quote(context, flow)
    active = is_active(flow) or (flow is not None and flow.quote_job_id is not None)
    await update.effective_message.reply_text(
        texts.CANCELLED if active else texts.NOTHING_TO_CANCEL
    )


async def _drop_quote(context: BotContext, flow: Flow) -> None:
    assert flow.quote_job_id is not None
    # Already confirmed (it runs) or declined: nothing to withdraw.
    with contextlib.suppress(JobNotQuoted, KeyError):
        await context.services.engine.decline(flow.quote_job_id, flow.user_id)


# --- Moving on


async def advance(
    update: Update,
    context: BotContext,
    entry: Entry,
    flow: Flow,
    *,
    answered: Input | None,
    intro_balance: int | None = None,
) -> None:
    """Ask for the next missing input; once none is missing, order or quote the job.

    `answered` is the input that just arrived in answer to its question. If that question
    was the last one, it showed the final price, so the job is ordered at once (unless
    the price depends on the answer itself, as audio's length). Otherwise (everything came
    at once, or from a menu) the bot quotes the job for the user to start.
    """
    flows = context.services.flows
    options, sources = await _options(context, entry, flow.options)
    pending = missing(entry, flow.model_copy(update={"options": options}))
    if pending:
        item = pending[0]
        offered_ids: list[str] = []
        if item.source is not None:
            offered_ids = [i.id for i in await context.services.studio.lists.items(item.source)]
        saved = await flows.save(
            flow,
            step=entry.inputs.index(item),
            options=options,
            view="",
            offered=offered_ids,
        )
        if saved is not None:
            await _ask(update, context, entry, saved, item, sources, intro_balance)
        return
    saved = await flows.save(flow, step=quoted(entry), options=options, view="", offered=[])
    if saved is None:
        return
    spec = job_spec(entry, saved)
    multiplier = context.services.settings.credit_multiplier
    price = entry.price_of(options, saved.measures, multiplier)
    assert price is not None, f"{entry.name}: no price for {options}"
    if answered is not None and answered.measure is None:
        await flows.end(saved.user_id, saved.revision)
        await place_order(update, context, entry.tool, spec, price)
        return
    rows = await _option_rows(context, entry, saved, sources)
    quote = await offer(
        update,
        context,
        entry.tool,
        spec,
        price,
        lambda balance: texts.quote(entry.tool.title, price, balance, saved.measures),
        options=rows,
    )
    if quote is None:
        await flows.end(saved.user_id, saved.revision)
        return
    await flows.attach(saved, quote.message_id, quote_job_id=quote.job.id)


async def _options(
    context: BotContext, entry: Entry, chosen: dict[str, Value]
) -> tuple[dict[str, Value], Sources]:
    defaults = await context.services.user_settings.get(context.user.id)
    adult = context.services.studio.adult(context.user)
    return await context.services.studio.options(entry, chosen, defaults, adult)


async def _ask(
    update: Update,
    context: BotContext,
    entry: Entry,
    flow: Flow,
    item: Input,
    sources: Sources,
    intro_balance: int | None,
) -> None:
    assert update.effective_chat
    text, keyboard = await _question(context, entry, flow, item, sources, intro_balance)
    message = await update.effective_chat.send_message(text, reply_markup=keyboard)
    await context.services.flows.attach(flow, message.message_id)


async def _question(
    context: BotContext,
    entry: Entry,
    flow: Flow,
    item: Input,
    sources: Sources,
    intro_balance: int | None = None,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The question asking for `item`, and its keyboard."""
    multiplier = context.services.settings.credit_multiplier
    asked = entry.asked(flow.options)
    last = [i for i in asked if not is_collected(flow, i)] == [item]
    rows: Rows = []
    picks: list[InlineKeyboardButton] = []
    if item.kind is InputKind.FACE:
        actors = await context.services.actors.list(context.user.id)
        picks = [_button(flow, texts.pick_actor_button(a.name), "a", a.id) for a in actors]
    elif item.kind is InputKind.AUDIO:
        actors = await context.services.actors.list(context.user.id)
        picks = [
            _button(flow, texts.pick_actor_button(a.name), "a", a.id)
            for a in actors
            if a.voice is not None and a.voice.seconds <= (item.max_seconds or a.voice.seconds)
        ]
    rows += _rows(picks)
    if item.kind is InputKind.CHOICE:
        adult = context.services.studio.adult(context.user)
        rows += _rows(
            [
                _button(flow, choice.label, "c", index)
                for index, choice in enumerate(item.choices)
                if choice in visible(item.choices, flow.options, adult)
            ],
            3,
        )
    if item.kind is InputKind.CATEGORY and item.source is not None:
        listed = await context.services.studio.lists.items(item.source)
        labels = {source.id: source.label for source in listed}
        rows += [
            [_button(flow, labels.get(value, value), "k", index)]
            for index, value in enumerate(flow.offered)
        ]
    if item.optional:
        rows.append([_button(flow, texts.SKIP_BUTTON, "s")])
    price_line = None
    if last:
        rows += await _option_rows(context, entry, flow, sources)
        price = entry.price_of(flow.options, flow.measures, multiplier)
        if item.measure is None and price is not None:
            price_line = texts.price_line(price, has_options=bool(entry.options))
    intro = None
    if intro_balance is not None:
        intro = texts.flow_intro(
            entry.tool.title, _price_text(context, entry, flow), intro_balance
        )
    text = texts.question(
        step=asked.index(item) + 1,
        steps=len(asked),
        question=texts.QUESTIONS[entry.name][item.name],
        intro=intro,
        actors=bool(picks),
        skip=item.optional,
        price_line=price_line,
    )
    return text, InlineKeyboardMarkup(rows) if rows else None


def _price_text(context: BotContext, entry: Entry, flow: Flow) -> str:
    multiplier = context.services.settings.credit_multiplier
    measure = entry.price.per_second
    if measure is not None:
        per_second = entry.price_of(flow.options, {measure: 1}, multiplier) or 0
        item = next(i for i in entry.inputs if i.measure == measure)
        return texts.price_per_second(per_second, item.max_seconds)
    return texts.credits(entry.price_of(flow.options, flow.measures, multiplier) or 0)


# --- Option keyboards


async def _option_rows(context: BotContext, entry: Entry, flow: Flow, sources: Sources) -> Rows:
    """The keyboard that changes the job's options, as the flow's view has it: the options
    (small ones inline, others as a button that opens their list), an option's list, the
    *More* options, or the 18+ confirmation."""
    studio = context.services.studio
    adult = studio.adult(context.user)
    view = flow.view
    if view == "18":
        return [[_button(flow, texts.ADULT_CONFIRM_BUTTON, "18y")], [_back_button(flow)]]
    if view.startswith("o"):
        index = int(view[1:])
        return _choice_rows(context, entry, flow, entry.options[index], index, sources) + [
            [_back_button(flow)]
        ]
    applying = [
        (index, option)
        for index, option in enumerate(entry.options)
        if holds(option.requires, flow.options) and option.field in flow.options
    ]
    rows: Rows = []
    if view == "more":
        for index, option in applying:
            if option.more:
                rows.append([_opener(flow, option, index, sources)])
        return rows + [[_back_button(flow)]]
    for index, option in applying:
        if option.more:
            continue
        choices = _choices(entry, option, flow, adult, sources)
        if option.source is None and len(choices) <= INLINE_CHOICES:
            rows += _choice_rows(context, entry, flow, option, index, sources)
        else:
            rows.append([_opener(flow, option, index, sources)])
    if any(option.more for _, option in applying):
        rows.append([_button(flow, texts.MORE_OPTIONS_BUTTON, "m")])
    has_nsfw = any(choice.nsfw for option in entry.options for choice in option.choices)
    if has_nsfw and studio.may_confirm_adult(context.user):
        rows.append([_button(flow, texts.ADULT_MODELS_BUTTON, "18")])
    return rows


def _back_button(flow: Flow) -> InlineKeyboardButton:
    return _button(flow, texts.BACK_BUTTON, "b")


def _choices(
    entry: Entry, option: Option, flow: Flow, adult: bool, sources: Sources
) -> list[tuple[Value, str]]:
    """(value, label) of every value the option may take now."""
    if option.source is not None:
        items = [(item.id, item.label) for item in sources.get(option.field, [])]
        return items if option.required else [(None, texts.NO_STYLE), *items]
    return [(c.value, c.label) for c in offered(entry, option, flow.options, adult, sources)]


def _label_of(option: Option, value: Value, sources: Sources) -> str:
    for choice in option.choices:
        if choice.value == value:
            return choice.label
    for item in sources.get(option.field, []):
        if item.id == value:
            return item.label
    return texts.NO_STYLE


def _opener(flow: Flow, option: Option, index: int, sources: Sources) -> InlineKeyboardButton:
    current = _label_of(option, flow.options.get(option.field), sources)
    return _button(flow, texts.option_button(option.label, current), "o", index)


def _choice_rows(
    context: BotContext, entry: Entry, flow: Flow, option: Option, index: int, sources: Sources
) -> Rows:
    """One button per value, each with the price of the job it would make."""
    adult = context.services.studio.adult(context.user)
    multiplier = context.services.settings.credit_multiplier
    buttons = []
    for number, (value, label) in enumerate(_choices(entry, option, flow, adult, sources)):
        trial = resolve(entry, {**flow.options, option.field: value}, {}, adult, sources)
        price = entry.price_of(trial, flow.measures, multiplier)
        chosen = flow.options.get(option.field) == value
        buttons.append(
            _button(flow, texts.choice_button(label, price, chosen), "v", index, number)
        )
    return _rows(buttons)


# --- What the user sends


async def on_message(update: Update, context: BotContext) -> None:
    """Feed a message to the user's flow; outside one, a photo opens the photo menu."""
    message = update.effective_message
    assert message
    flows = context.services.flows
    flow = await _settled(update, context, await flows.get(context.user.id))
    if not is_active(flow):
        if PHOTO_INPUT.check_update(update):
            await _menu_photo(update, context, flow)
        else:
            await message.reply_text(texts.NOT_UNDERSTOOD)
        return
    assert flow is not None
    if flow.step == TERMS:
        await message.reply_text(texts.TERMS_WAITING)
        return
    entry = entry_of(flow)
    assert entry is not None
    item = entry.inputs[flow.step]
    group = message.media_group_id
    if group is not None and group == flow.album and flow.view != COLLECTING:
        return  # the rest of an album whose first photo answered a one-photo question
    try:
        if item.kind in (InputKind.PHOTO, InputKind.FACE, InputKind.PHOTOS):
            await _take_photo(update, context, entry, flow, item, message)
        elif item.kind is InputKind.AUDIO:
            await _take_audio(update, context, entry, flow, item, message)
        elif item.kind in (InputKind.TEXT, InputKind.CATEGORY):
            await _take_text(update, context, entry, flow, item, message)
        else:
            await message.reply_text(texts.TAP_A_BUTTON)
    except MediaRefused as refused:
        await message.reply_text(refused.reply)


def _received_photo(message: Message, item: Input | None = None) -> ReceivedFile:
    return photo_from(
        message,
        max_bytes=(item.max_bytes if item and item.max_bytes else DOWNLOAD_LIMIT),
        mime_types=(item.mime_types if item and item.mime_types else frozenset(IMAGE_TYPES)),
    )


async def _take_photo(
    update: Update,
    context: BotContext,
    entry: Entry,
    flow: Flow,
    item: Input,
    message: Message,
) -> None:
    file = _received_photo(message, item).as_input(item.field, MediaKind.IMAGE, item.name)
    flows = context.services.flows
    group = message.media_group_id
    if item.kind is InputKind.PHOTOS and group is not None:
        collected = (
            files(flow, item.name) if flow.view == COLLECTING and flow.album == group else []
        )
        if len(collected) >= item.max_count:
            return
        saved = await flows.save(
            flow,
            inputs={**flow.inputs, item.name: [f.model_dump() for f in [*collected, file]]},
            album=group,
            view=COLLECTING,
        )
        if saved is not None:
            _settle_later(update, context, group)
        return
    saved = await flows.save(
        flow, inputs={**flow.inputs, item.name: [file.model_dump()]}, album=group
    )
    if saved is not None:
        await advance(update, context, entry, saved, answered=item)


async def _take_audio(
    update: Update,
    context: BotContext,
    entry: Entry,
    flow: Flow,
    item: Input,
    message: Message,
) -> None:
    received = await audio_from(message, context.bot)
    assert received.duration is not None
    if item.max_seconds is not None and received.duration > item.max_seconds:
        await message.reply_text(texts.audio_too_long(received.duration, int(item.max_seconds)))
        return
    file = received.as_input(item.field, MediaKind.AUDIO, item.name)
    await _store_audio(update, context, entry, flow, item, file, received.duration)


async def _store_audio(
    update: Update,
    context: BotContext,
    entry: Entry,
    flow: Flow,
    item: Input,
    file: FileInput,
    seconds: float,
) -> None:
    measures = {**flow.measures, item.measure: seconds} if item.measure else flow.measures
    saved = await context.services.flows.save(
        flow, inputs={**flow.inputs, item.name: [file.model_dump()]}, measures=measures
    )
    if saved is not None:
        await advance(update, context, entry, saved, answered=item)


async def _take_text(
    update: Update,
    context: BotContext,
    entry: Entry,
    flow: Flow,
    item: Input,
    message: Message,
) -> None:
    if message.text is None:
        await message.reply_text(texts.TEXT_EXPECTED)
        return
    text = message.text.strip()
    if not text:
        await message.reply_text(texts.TEXT_EXPECTED)
        return
    if len(text) > item.max_chars:
        await message.reply_text(texts.prompt_too_long(item.max_chars))
        return
    value: Any = {"text": text} if item.kind is InputKind.CATEGORY else text
    saved = await context.services.flows.save(flow, inputs={**flow.inputs, item.name: value})
    if saved is not None:
        await advance(update, context, entry, saved, answered=item)


# --- Albums: the photos of one media group are one answer


def _settle_later(update: Update, context: BotContext, group: str) -> None:
    """Finish the album once its photos stop arriving (each photo restarts the wait)."""
    context.services.albums.call_later(
        context.user.id, lambda: _finish_album(update, context, group)
    )


async def _finish_album(update: Update, context: BotContext, group: str) -> None:
    flow = await context.services.flows.get(context.user.id)
    if flow is None or flow.album != group or flow.view != COLLECTING:
        return
    saved = await context.services.flows.save(flow, view="")
    if saved is None:
        return
    if saved.tool == MENU:
        await _show_menu(update, context, saved)
        return
    entry = entry_of(saved)
    assert entry is not None
    await advance(update, context, entry, saved, answered=entry.inputs[saved.step])


async def _settled(update: Update, context: BotContext, flow: Flow | None) -> Flow | None:
    """The flow, with an album whose settling a restart interrupted finished first."""
    if flow is None or flow.view != COLLECTING or flow.album is None:
        return flow
    if context.services.albums.pending(context.user.id):
        return flow
    await _finish_album(update, context, flow.album)
    return await context.services.flows.get(context.user.id)


# --- The photo menu


async def _menu_photo(update: Update, context: BotContext, flow: Flow | None) -> None:
    """Open the menu for a photo sent outside a flow (an album opens one menu)."""
    message = update.effective_message
    assert message and update.effective_chat
    file = _received_photo(message).as_input(MENU_PHOTOS, MediaKind.IMAGE, "photo")
    group = message.media_group_id
    flows = context.services.flows
    if group is not None and flow is not None and flow.tool == MENU and flow.album == group:
        if flow.view != COLLECTING:
            return
        saved = await flows.save(
            flow,
            inputs={**flow.inputs, MENU_PHOTOS: [*flow.inputs[MENU_PHOTOS], file.model_dump()]},
        )
        if saved is not None:
            _settle_later(update, context, group)
        return
    menu, previous = await flows.start(
        context.user.id,
        update.effective_chat.id,
        tool=MENU,
        step=0,
        inputs={MENU_PHOTOS: [file.model_dump()], MENU_CAPTION: message.caption},
        album=group,
        view=COLLECTING if group is not None else "",
    )
    await announce_left(update, context, previous)
    if group is not None:
        _settle_later(update, context, group)
        return
    await _show_menu(update, context, menu)


async def _show_menu(update: Update, context: BotContext, flow: Flow) -> None:
    assert update.effective_chat
    multiplier = context.services.settings.credit_multiplier
    defaults = await context.services.user_settings.get(context.user.id)
    adult = context.services.studio.adult(context.user)
    buttons = []
    for index, action in enumerate(MENU_ACTIONS):
        entry = CATALOG[action.tool]
        # The provider's lists change no price: the menu is priced without fetching them.
        options = resolve(entry, {}, defaults, adult, {})
        if entry.price.per_second is not None:
            per_second = entry.price_of(options, {entry.price.per_second: 1}, multiplier)
            price = texts.per_second_short(per_second or 0)
        else:
            price = texts.credits(entry.price_of(options, {}, multiplier) or 0)
        label = texts.menu_button(texts.MENU_BUTTONS[action.key], price)
        buttons.append(_button(flow, label, "p", index))
    buttons.append(
        InlineKeyboardButton(
            texts.MENU_BUTTONS["actor"], callback_data=f"{SAVE_AS_ACTOR}{flow.revision}"
        )
    )
    count = len(files(flow, MENU_PHOTOS))
    message = await update.effective_chat.send_message(
        texts.photo_menu(count), reply_markup=InlineKeyboardMarkup(_rows(buttons))
    )
    await context.services.flows.attach(flow, message.message_id)


async def menu_photo_as_actor(context: BotContext, revision: int) -> FileInput | None:
    """The photo of the user's menu at `revision` (for *Save as actor*), ending the menu."""
    flow = await context.services.flows.get(context.user.id)
    if flow is None or flow.tool != MENU or flow.revision != revision:
        return None
    await context.services.flows.end(flow.user_id, flow.revision)
    return files(flow, MENU_PHOTOS)[0]


# --- Buttons


async def on_button(update: Update, context: BotContext) -> None:
    """A button of a flow's live message; one of an older revision is refused."""
    query = update.callback_query
    assert query and query.data
    revision, _, rest = query.data.removeprefix(PREFIX).partition(":")
    action, *args = rest.split(":")
    flows = context.services.flows
    flow = await _settled(update, context, await flows.get(context.user.id))
    if flow is None or str(flow.revision) != revision:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    try:
        numbers = [int(arg) for arg in args]
    except ValueError:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    if flow.tool == MENU:
        await _menu_pressed(update, context, flow, action, numbers)
        return
    entry = entry_of(flow)
    if entry is None:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    handler = _ACTIONS.get(action)
    if handler is None:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await handler(update, context, entry, flow, numbers)


async def _menu_pressed(
    update: Update, context: BotContext, flow: Flow, action: str, numbers: list[int]
) -> None:
    """Start the chosen tool with the menu's photo(s) and caption already filled in."""
    query = update.callback_query
    assert query
    if action != "p" or len(numbers) != 1 or not 0 <= numbers[0] < len(MENU_ACTIONS):
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    chosen = MENU_ACTIONS[numbers[0]]
    entry = CATALOG[chosen.tool]
    item = entry.input(chosen.input)
    photos = files(flow, MENU_PHOTOS)
    if item.mime_types is not None and not all(_fits(item, photo) for photo in photos[:1]):
        await query.answer(texts.image_type_refused(_type_labels(item)), show_alert=True)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    caption = flow.inputs.get(MENU_CAPTION)
    await begin(update, context, entry, prefill(entry, chosen.input, photos, caption))


def _fits(item: Input, photo: FileInput) -> bool:
    extension = photo.filename.rsplit(".", 1)[-1]
    return any(IMAGE_TYPES[mime] == extension for mime in item.mime_types or ())


def _type_labels(item: Input) -> str:
    return ", ".join(sorted(IMAGE_TYPES[mime].upper() for mime in item.mime_types or ()))


async def _current(
    update: Update, flow: Flow, entry: Entry, kinds: set[InputKind]
) -> Input | None:
    """The input the flow asks for now, if it is of one of these kinds."""
    query = update.callback_query
    assert query
    if 0 <= flow.step < len(entry.inputs) and entry.inputs[flow.step].kind in kinds:
        return entry.inputs[flow.step]
    await query.answer(texts.STALE_BUTTON, show_alert=True)
    return None


async def _pick_actor(
    update: Update, context: BotContext, entry: Entry, flow: Flow, numbers: list[int]
) -> None:
    """Use one of the user's actors: their face, or their voice sample."""
    query = update.callback_query
    assert query and update.effective_chat
    item = await _current(update, flow, entry, {InputKind.FACE, InputKind.AUDIO})
    if item is None or len(numbers) != 1:
        return
    actor = await owned_actor(update, context, _data(flow, "a") + ":")
    if actor is None:
        return
    await query.answer()
    if item.kind is InputKind.FACE:
        file = photo_input(actor.primary_photo, item.field, item.name)
        saved = await context.services.flows.save(
            flow, inputs={**flow.inputs, item.name: [file.model_dump()]}
        )
        if saved is not None:
            await advance(update, context, entry, saved, answered=item)
        return
    if actor.voice is None or (item.max_seconds and actor.voice.seconds > item.max_seconds):
        seconds = actor.voice.seconds if actor.voice else 0.0
        await update.effective_chat.send_message(
            texts.actor_voice_too_long(actor.name, seconds, int(item.max_seconds or 0))
        )
        return
    file = voice_input(actor, item.field)
    await _store_audio(update, context, entry, flow, item, file, actor.voice.seconds)


async def _pick_choice(
    update: Update, context: BotContext, entry: Entry, flow: Flow, numbers: list[int]
) -> None:
    """Answer a choice asked as a step."""
    query = update.callback_query
    assert query
    item = await _current(update, flow, entry, {InputKind.CHOICE})
    if item is None:
        return
    adult = context.services.studio.adult(context.user)
    if len(numbers) != 1 or not 0 <= numbers[0] < len(item.choices):
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    choice = item.choices[numbers[0]]
    if choice not in visible(item.choices, flow.options, adult):
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await query.answer()
    saved = await context.services.flows.save(
        flow, options={**flow.options, item.field: choice.value}
    )
    if saved is not None:
        await advance(update, context, entry, saved, answered=item)


async def _pick_category(
    update: Update, context: BotContext, entry: Entry, flow: Flow, numbers: list[int]
) -> None:
    """Use one of the provider's categories."""
    query = update.callback_query
    assert query
    item = await _current(update, flow, entry, {InputKind.CATEGORY})
    if item is None:
        return
    if len(numbers) != 1 or not 0 <= numbers[0] < len(flow.offered):
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await query.answer()
    value = {"id": flow.offered[numbers[0]]}
    saved = await context.services.flows.save(flow, inputs={**flow.inputs, item.name: value})
    if saved is not None:
        await advance(update, context, entry, saved, answered=item)


async def _skip(
    update: Update, context: BotContext, entry: Entry, flow: Flow, numbers: list[int]
) -> None:
    """Go on without an optional input."""
    query = update.callback_query
    assert query
    item = entry.inputs[flow.step] if 0 <= flow.step < len(entry.inputs) else None
    if item is None or not item.optional:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await query.answer()
    saved = await context.services.flows.save(flow, inputs={**flow.inputs, item.name: None})
    if saved is not None:
        await advance(update, context, entry, saved, answered=item)


async def _view(update: Update, context: BotContext, entry: Entry, flow: Flow, view: str) -> None:
    """Show another keyboard on the live message (an option's list, More, back)."""
    query = update.callback_query
    assert query
    saved = await context.services.flows.save(flow, view=view)
    if saved is None:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await query.answer()
    await _refresh(update, context, entry, saved, text_changed=False)


async def _open_option(
    update: Update, context: BotContext, entry: Entry, flow: Flow, numbers: list[int]
) -> None:
    if len(numbers) != 1 or not 0 <= numbers[0] < len(entry.options):
        await _refuse(update)
        return
    await _view(update, context, entry, flow, f"o{numbers[0]}")


async def _more(
    update: Update, context: BotContext, entry: Entry, flow: Flow, numbers: list[int]
) -> None:
    await _view(update, context, entry, flow, "more")


async def _back(
    update: Update, context: BotContext, entry: Entry, flow: Flow, numbers: list[int]
) -> None:
    """Back from an option's list to where it was opened (the options, or More)."""
    opened = flow.view.removeprefix("o")
    more = (
        opened.isdigit() and int(opened) < len(entry.options) and entry.options[int(opened)].more
    )
    await _view(update, context, entry, flow, "more" if more else "")


async def _ask_adult(
    update: Update, context: BotContext, entry: Entry, flow: Flow, numbers: list[int]
) -> None:
    """Ask once whether the user is 18 or older (only while NSFW is allowed)."""
    query = update.callback_query
    assert query
    if not context.services.studio.may_confirm_adult(context.user):
        await _refuse(update)
        return
    saved = await context.services.flows.save(flow, view="18")
    if saved is None:
        await _refuse(update)
        return
    await query.answer(texts.ADULT_QUESTION, show_alert=True)
    await _refresh(update, context, entry, saved, text_changed=False)


async def _confirm_adult(
    update: Update, context: BotContext, entry: Entry, flow: Flow, numbers: list[int]
) -> None:
    """Record the confirmation; the NSFW models appear on the keyboard."""
    query = update.callback_query
    assert query
    if not context.services.studio.may_confirm_adult(context.user):
        await _refuse(update)
        return
    await context.services.users.confirm_adult(context.user.id)
    context.account = await context.services.users.get(context.user.id)
    await query.answer(texts.ADULT_CONFIRMED)
    saved = await context.services.flows.save(flow, view="")
    if saved is not None:
        await _refresh(update, context, entry, saved, text_changed=False)


async def _set_option(
    update: Update, context: BotContext, entry: Entry, flow: Flow, numbers: list[int]
) -> None:
    """Change an option for this job; the price on the message follows."""
    query = update.callback_query
    assert query
    if len(numbers) != 2 or not 0 <= numbers[0] < len(entry.options):
        await _refuse(update)
        return
    option = entry.options[numbers[0]]
    adult = context.services.studio.adult(context.user)
    _, sources = await _options(context, entry, flow.options)
    choices = _choices(entry, option, flow, adult, sources)
    if not 0 <= numbers[1] < len(choices):
        await _refuse(update)
        return
    value = choices[numbers[1]][0]
    options, sources = await _options(context, entry, {**flow.options, option.field: value})
    back_to = "more" if option.more else ""
    saved = await context.services.flows.save(flow, options=options, view=back_to)
    if saved is None:
        await _refuse(update)
        return
    await query.answer(texts.OPTION_SET)
    if saved.step < quoted(entry) and saved.step >= 0:
        item = entry.inputs[saved.step]
        if not holds(item.requires, options):
            # The new options need this input no more: go on to what they do need.
            await query.edit_message_reply_markup(None)
            await advance(update, context, entry, saved, answered=None)
            return
    await _refresh(update, context, entry, saved, text_changed=True)


async def _refuse(update: Update) -> None:
    assert update.callback_query
    await update.callback_query.answer(texts.STALE_BUTTON, show_alert=True)


async def _refresh(
    update: Update, context: BotContext, entry: Entry, flow: Flow, text_changed: bool
) -> None:
    """Show the flow's keyboard (and, after an option changed, its price) on the pressed
    message; a quote is quoted again with the new options."""
    query = update.callback_query
    assert query
    _, sources = await _options(context, entry, flow.options)
    if flow.step == quoted(entry):
        await _requote(update, context, entry, flow, sources, text_changed)
        return
    item = entry.inputs[flow.step]
    text, keyboard = await _question(context, entry, flow, item, sources)
    if text_changed:
        await query.edit_message_text(text, reply_markup=keyboard)
    else:
        await query.edit_message_reply_markup(keyboard)


async def _requote(
    update: Update,
    context: BotContext,
    entry: Entry,
    flow: Flow,
    sources: Sources,
    text_changed: bool,
) -> None:
    query = update.callback_query
    assert query and flow.quote_job_id is not None
    services = context.services
    rows = await _option_rows(context, entry, flow, sources)
    if not text_changed:
        job = await services.jobs.get(flow.quote_job_id)
        assert job is not None
        await query.edit_message_reply_markup(quote_keyboard(job, rows))
        return
    try:
        await services.engine.decline(flow.quote_job_id, flow.user_id)
    except (JobNotQuoted, KeyError):
        await services.flows.end(flow.user_id, flow.revision)
        await query.edit_message_reply_markup(None)
        return
    spec = job_spec(entry, flow)
    price = entry.price_of(flow.options, flow.measures, services.settings.credit_multiplier)
    assert price is not None and update.effective_chat
    job = await services.engine.quote(
        user_id=flow.user_id, chat_id=flow.chat_id, tool=entry.tool, spec=spec, price=price
    )
    balance = await services.ledger.balance(flow.user_id)
    await query.edit_message_text(
        texts.quote(entry.tool.title, price, balance, flow.measures),
        reply_markup=quote_keyboard(job, rows),
    )
    await services.flows.attach(flow, flow.message_id or 0, quote_job_id=job.id)


_ACTIONS = {
    "a": _pick_actor,
    "c": _pick_choice,
    "k": _pick_category,
    "s": _skip,
    "o": _open_option,
    "v": _set_option,
    "m": _more,
    "b": _back,
    "18": _ask_adult,
    "18y": _confirm_adult,
}


# --- Entry points from elsewhere


async def agree_to_terms(update: Update, context: BotContext) -> None:
    """Record the consent, then go on with the flow that asked for it."""
    query = update.callback_query
    assert query
    await context.services.users.accept_terms(context.user.id)
    await query.answer()
    await query.edit_message_text(texts.TERMS_ACCEPTED)
    flow = await context.services.flows.get(context.user.id)
    if flow is None or flow.step != TERMS:
        return
    entry = entry_of(flow)
    assert entry is not None
    await proceed(update, context, entry, flow)


async def use_actor(update: Update, context: BotContext) -> None:
    """Start a tool from an actor's card, with the actor's face as its first face."""
    query = update.callback_query
    assert query and query.data
    tool, _, _ = query.data.partition(":with:")
    entry = CATALOG[tool]
    actor = await owned_actor(update, context, f"{tool}:with:")
    if actor is None:
        return
    await query.answer()
    face = next(item for item in entry.inputs if item.kind is InputKind.FACE)
    file = photo_input(actor.primary_photo, face.field, face.name)
    await begin(update, context, entry, {face.name: [file.model_dump()]})


def build_flow_handlers() -> Handlers:
    """The buttons that drive a flow, and /cancel (what starts one is `starting_handlers`;
    the messages come last, see `build_flow_message_handlers`)."""
    return [
        CallbackQueryHandler(on_button, pattern=f"^{PREFIX}"),
        CallbackQueryHandler(agree_to_terms, pattern=f"^{AGREE}$"),
        CommandHandler("cancel", cancel),
    ]


def starting_handlers() -> Handlers:
    """What starts a tool's flow: its command, an actor card's tool button. The actor
    conversation ends itself on these too."""
    tools = "|".join(entry.name for entry in face_tools())
    return [
        CommandHandler([entry.command for entry in CATALOG.values()], start_command),
        CallbackQueryHandler(use_actor, pattern=f"^({tools}):with:"),
    ]


def build_flow_message_handlers() -> Handlers:
    """What the user sends: an answer to the flow, or a photo for the menu."""
    return [MessageHandler(~filters.COMMAND & ~filters.StatusUpdate.ALL, on_message)]
