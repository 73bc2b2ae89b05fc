"""What the user sends to a flow: photos, audio and text for its inputs, and the buttons of
its live message (actors, choices, categories, Skip, options)."""

from __future__ import annotations

import contextlib
from typing import Any

from telegram import Message, Update
from telegram.error import TelegramError

from bot import texts
from bot.actors import photo_input, voice_input
from bot.catalog.model import Entry, Input, InputKind, visible
from bot.context import BotContext
from bot.flow import (
    COLLECTING,
    MENU,
    TERMS,
    VIDEO_MENU,
    VideoLinkInput,
    entry_of,
    files,
    gathering,
    is_active,
    missing,
    quoted,
)
from bot.links import video_link
from bot.tools import FileInput
from handlers.actors import owned_actor
from handlers.flow.keyboards import PREFIX, data, option_values
from handlers.flow.menu import (
    menu_link,
    menu_photo,
    menu_pressed,
    menu_video,
    settle_later,
    settled,
    video_menu_pressed,
)
from handlers.flow.steps import advance, measured_input, options_for, refresh, trim_limit
from handlers.media import (
    AUDIO_INPUT,
    PHOTO_INPUT,
    VIDEO_INPUT,
    MediaRefused,
    audio_from,
    photo_for,
    trimmed_video,
    video_file,
    video_from,
)
from handlers.parsing import integer
from providers.models import MediaKind
from storage.flows import Flow
from storage.jobs import JobNotQuoted


async def on_message(update: Update, context: BotContext) -> None:
    """Feed a message to the user's flow; outside one, a photo opens the photo menu. A file
    the bot cannot take (too large, of a wrong type) gets the reason, in a flow or not."""
    message = update.effective_message
    assert message
    try:
        await _answer(update, context, message)
    except MediaRefused as refused:
        await message.reply_text(refused.reply)


async def _answer(update: Update, context: BotContext, message: Message) -> None:
    flows = context.services.flows
    flow = await settled(update, context, await flows.get(context.user.id))
    group = message.media_group_id
    if group is not None and flow is not None and group == flow.album and flow.view != COLLECTING:
        return  # the rest of an album whose first file answered a question or opened a menu
    if not is_active(flow):
        if PHOTO_INPUT.check_update(update):
            await menu_photo(update, context, flow)
        elif VIDEO_INPUT.check_update(update):
            await menu_video(update, context)
        elif message.text is not None and (link := video_link(message.text)) is not None:
            await menu_link(update, context, link)
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
    if item.kind in (InputKind.PHOTO, InputKind.FACE, InputKind.PHOTOS):
        await _take_photo(update, context, entry, flow, item, message)
    elif item.kind is InputKind.AUDIO:
        await _take_audio(update, context, entry, flow, item, message)
    elif item.kind in (InputKind.TEXT, InputKind.CATEGORY):
        await _take_text(update, context, entry, flow, item, message)
    elif item.kind is InputKind.VIDEO:
        await _take_video(update, context, entry, flow, item, message)
    elif item.kind is InputKind.CLIPS:
        await _take_clip(update, context, entry, flow, item, message)
    else:
        await message.reply_text(texts.TAP_A_BUTTON)


async def _take_photo(
    update: Update,
    context: BotContext,
    entry: Entry,
    flow: Flow,
    item: Input,
    message: Message,
) -> None:
    file = photo_for(message, item).as_input(item.field, MediaKind.IMAGE, item.name)
    flows = context.services.flows
    group = message.media_group_id
    inputs = {**flow.inputs, **_caption_as_text(entry, flow, item, message)}
    if item.kind is InputKind.PHOTOS and group is not None:
        collected = (
            files(flow, item.name) if flow.view == COLLECTING and flow.album == group else []
        )
        if len(collected) >= item.max_count:
            return
        saved = await flows.save(
            flow,
            inputs={**inputs, item.name: [f.model_dump() for f in [*collected, file]]},
            album=group,
            view=COLLECTING,
        )
        if saved is not None:
            settle_later(update, context, group)
        return
    saved = await flows.save(flow, inputs={**inputs, item.name: [file.model_dump()]}, album=group)
    if saved is not None:
        await advance(update, context, entry, saved, answered=item)


def _caption_as_text(entry: Entry, flow: Flow, item: Input, message: Message) -> dict[str, str]:
    """A caption on the photos to edit is the instruction (as on the photo menu)."""
    text = next((i for i in entry.inputs if i.kind is InputKind.TEXT), None)
    caption = (message.caption or "").strip()
    if item.kind is not InputKind.PHOTOS or text is None or text.name in flow.inputs:
        return {}
    return {text.name: caption} if caption and len(caption) <= text.max_chars else {}


async def _take_audio(
    update: Update,
    context: BotContext,
    entry: Entry,
    flow: Flow,
    item: Input,
    message: Message,
) -> None:
    if item.max_seconds is None and not AUDIO_INPUT.check_update(update):
        await message.reply_text(texts.AUDIO_TRACK_EXPECTED)  # no limit to state
        return
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


async def _take_video(
    update: Update,
    context: BotContext,
    entry: Entry,
    flow: Flow,
    item: Input,
    message: Message,
) -> None:
    """A video, measured from the file; or, where the input takes them, a link to one."""
    assert item.measure is not None
    flows = context.services.flows
    if message.text is not None and item.links:
        link = video_link(message.text)
        if link is None or link.platform not in item.links:
            await message.reply_text(texts.LINK_REFUSED)
            return
        value = VideoLinkInput(field=item.links[link.platform], url=link.url)
        # Its length is not known until the provider fetches it.
        saved = await flows.save(
            flow,
            inputs={**flow.inputs, item.name: value.model_dump()},
            measures={item.measure: None},
        )
    else:
        if not VIDEO_INPUT.check_update(update):
            refusal = texts.VIDEO_OR_LINK_EXPECTED if item.links else texts.VIDEO_EXPECTED
            await message.reply_text(refusal)
            return
        received, info = await video_from(message, context.bot)
        file = received.as_input(item.field, MediaKind.VIDEO, item.name)
        saved = await flows.save(
            flow,
            inputs={**flow.inputs, item.name: [file.model_dump()]},
            measures=info.measures(item.measure),
            album=message.media_group_id,
        )
    if saved is not None:
        await advance(update, context, entry, saved, answered=item)


async def _take_clip(
    update: Update,
    context: BotContext,
    entry: Entry,
    flow: Flow,
    item: Input,
    message: Message,
) -> None:
    """One more clip, after those gathered so far."""
    if not VIDEO_INPUT.check_update(update):
        await message.reply_text(texts.VIDEO_EXPECTED)
        return
    received = video_file(message, context.bot.local_mode)
    number = len(files(flow, gathering(item))) + 1
    clip = received.as_input(item.field, MediaKind.VIDEO, f"clip-{number}")
    await _gather(update, context, entry, flow, item, clip)


async def _gather(
    update: Update, context: BotContext, entry: Entry, flow: Flow, item: Input, clip: FileInput
) -> None:
    """Add a clip; with as many as the input takes, go on, else ask for the next."""
    gathered = [*files(flow, gathering(item)), clip]
    inputs = {**flow.inputs, gathering(item): [file.model_dump() for file in gathered]}
    full = len(gathered) >= item.max_count
    if full:
        inputs[item.name] = inputs.pop(gathering(item))
    saved = await context.services.flows.save(flow, inputs=inputs)
    if saved is None:
        return
    await _retire_keyboard(context, flow)
    await advance(update, context, entry, saved, answered=item if full else None)


async def _retire_keyboard(context: BotContext, flow: Flow) -> None:
    """Take the buttons off the flow's previous question, which a new one replaces."""
    if flow.message_id is None:
        return
    with contextlib.suppress(TelegramError):
        await context.bot.edit_message_reply_markup(flow.chat_id, flow.message_id)


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


async def on_button(update: Update, context: BotContext) -> None:
    """A button of a flow's live message; one of an older revision is refused."""
    query = update.callback_query
    assert query and query.data
    revision, _, rest = query.data.removeprefix(PREFIX).partition(":")
    action, *args = rest.split(":")
    flows = context.services.flows
    flow = await settled(update, context, await flows.get(context.user.id))
    if flow is None or str(flow.revision) != revision:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    numbers = [number for number in map(integer, args) if number is not None]
    if len(numbers) != len(args):
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    if flow.tool == MENU:
        await menu_pressed(update, context, flow, action, numbers)
        return
    if flow.tool == VIDEO_MENU:
        await video_menu_pressed(update, context, flow, action, numbers)
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
    actor = await owned_actor(update, context, data(flow, "a") + ":")
    if actor is None:
        return
    if item.kind is InputKind.FACE:
        await query.answer()
        file = photo_input(actor.primary_photo, item.field, item.name)
        saved = await context.services.flows.save(
            flow, inputs={**flow.inputs, item.name: [file.model_dump()]}
        )
        if saved is not None:
            await advance(update, context, entry, saved, answered=item)
        return
    if actor.voice is None:  # only actors with a voice are offered for audio
        await _refuse(update)
        return
    await query.answer()
    if item.max_seconds and actor.voice.seconds > item.max_seconds:
        await update.effective_chat.send_message(
            texts.actor_voice_too_long(actor.name, actor.voice.seconds, int(item.max_seconds))
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


async def _pick_result(
    update: Update, context: BotContext, entry: Entry, flow: Flow, numbers: list[int]
) -> None:
    """Add one of the user's earlier video results as the next clip."""
    query = update.callback_query
    assert query
    item = await _current(update, flow, entry, {InputKind.CLIPS})
    if item is None:
        return
    if len(numbers) != 1 or not 0 <= numbers[0] < len(flow.offered):
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    job_id, _, output_number = flow.offered[numbers[0]].partition(":")
    job = await context.services.jobs.get(job_id)
    index = int(output_number)
    output = job.outputs[index] if job is not None and index < len(job.outputs) else None
    if job is None or job.user_id != context.user.id or output is None or not output.asset_id:
        await query.answer(texts.VIDEO_RESULT_EXPIRED, show_alert=True)
        return
    await query.answer()
    number = len(files(flow, gathering(item))) + 1
    clip = FileInput(
        field=item.field,
        asset_id=output.asset_id,
        kind=MediaKind.VIDEO,
        filename=f"clip-{number}.mp4",
    )
    await _gather(update, context, entry, flow, item, clip)


async def _clips_done(
    update: Update, context: BotContext, entry: Entry, flow: Flow, numbers: list[int]
) -> None:
    """The clips gathered so far are all: go on with them."""
    query = update.callback_query
    assert query
    item = await _current(update, flow, entry, {InputKind.CLIPS})
    if item is None:
        return
    gathered = flow.inputs.get(gathering(item))
    if not isinstance(gathered, list) or len(gathered) < item.min_count:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await query.answer()
    inputs = {key: value for key, value in flow.inputs.items() if key != gathering(item)}
    saved = await context.services.flows.save(flow, inputs={**inputs, item.name: gathered})
    if saved is not None:
        await query.edit_message_reply_markup(None)
        await advance(update, context, entry, saved, answered=item)


async def _trim(
    update: Update, context: BotContext, entry: Entry, flow: Flow, numbers: list[int]
) -> None:
    """Use the first seconds of a video too long for some choices (the user asked for it),
    and quote the job again with that part."""
    query = update.callback_query
    assert query and update.effective_chat
    limit = trim_limit(context, entry, flow) if flow.step == quoted(entry) else None
    item = measured_input(entry)
    if limit is None or item is None or item.measure is None:
        await _refuse(update)
        return
    (source,) = files(flow, item.name)
    assert source.file_id is not None
    await query.answer()
    if flow.quote_job_id is not None:
        with contextlib.suppress(JobNotQuoted, KeyError):
            await context.services.engine.decline(flow.quote_job_id, flow.user_id)
    await query.edit_message_reply_markup(None)
    try:
        received, info = await trimmed_video(
            context.bot, update.effective_chat.id, source.file_id, limit
        )
    except MediaRefused as refused:
        await context.services.flows.end(flow.user_id, flow.revision)
        await update.effective_chat.send_message(refused.reply)
        return
    file = received.as_input(item.field, MediaKind.VIDEO, item.name)
    saved = await context.services.flows.save(
        flow,
        inputs={**flow.inputs, item.name: [file.model_dump()]},
        measures=info.measures(item.measure),
        quote_job_id=None,
    )
    if saved is not None:
        await advance(update, context, entry, saved, answered=None)


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
    await refresh(update, context, entry, saved, text_changed=False)


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
    await refresh(update, context, entry, saved, text_changed=False)


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
        await refresh(update, context, entry, saved, text_changed=False)


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
    studio = context.services.studio
    sources = await studio.sources(entry, flow.options)
    choices = option_values(entry, option, flow, studio.adult(context.user), sources)
    if not 0 <= numbers[1] < len(choices):
        await _refuse(update)
        return
    value = choices[numbers[1]][0]
    options, _ = await options_for(
        context, entry, {**flow.options, option.field: value}, flow.measures
    )
    back_to = "more" if option.more else ""
    saved = await context.services.flows.save(flow, options=options, view=back_to)
    if saved is None:
        await _refuse(update)
        return
    await query.answer(texts.OPTION_SET)
    if saved.step < quoted(entry) and saved.step >= 0:
        item = entry.inputs[saved.step]
        if missing(entry, saved)[:1] != [item]:
            # The new options need this input no more, or another one first: go on to what
            # they do need.
            await query.edit_message_reply_markup(None)
            await advance(update, context, entry, saved, answered=None)
            return
    await refresh(update, context, entry, saved, text_changed=True)


async def _refuse(update: Update) -> None:
    assert update.callback_query
    await update.callback_query.answer(texts.STALE_BUTTON, show_alert=True)


_ACTIONS = {
    "a": _pick_actor,
    "c": _pick_choice,
    "k": _pick_category,
    "r": _pick_result,
    "d": _clips_done,
    "t": _trim,
    "s": _skip,
    "o": _open_option,
    "v": _set_option,
    "m": _more,
    "b": _back,
    "18": _ask_adult,
    "18y": _confirm_adult,
}
