"""The photo-first and video-first menus, and albums: the photos of one media group are one
answer.

A photo (or an album) sent outside a flow opens one message of buttons that start a tool
with it filled in. An album's photos are saved as they arrive; once they stop arriving
(`bot.studio.AlbumSettler`) the flow moves on, or the menu is shown. A video sent outside a
flow is measured and opens the video menu; an Instagram or TikTok link, the tools that take
one.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import texts
from bot.catalog import CATALOG
from bot.catalog.model import Entry, Measures
from bot.catalog.video import VIDEO_SECONDS
from bot.context import BotContext
from bot.flow import (
    COLLECTING,
    MENU,
    MENU_ACTIONS,
    MENU_CAPTION,
    MENU_PHOTOS,
    MENU_VIDEO,
    VIDEO_MENU,
    VIDEO_MENU_ACTIONS,
    MenuAction,
    VideoLinkInput,
    entry_of,
    files,
    prefill,
)
from bot.links import VideoLink
from bot.tools import FileInput
from handlers.flow.keyboards import button
from handlers.flow.steps import advance, announce_left, begin, options_for
from handlers.keyboards import rows_of
from handlers.media import photo_for, refusal_for, video_from
from providers.models import MediaKind
from storage.flows import Flow

SAVE_AS_ACTOR = "actor:save:"
"""The photo menu's *Save as actor*: an entry point of the actor conversation."""


def settle_later(update: Update, context: BotContext, group: str) -> None:
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


async def settled(update: Update, context: BotContext, flow: Flow | None) -> Flow | None:
    """The flow, with an album whose settling a restart interrupted finished first."""
    if flow is None or flow.view != COLLECTING or flow.album is None:
        return flow
    if context.services.albums.pending(context.user.id):
        return flow
    await _finish_album(update, context, flow.album)
    return await context.services.flows.get(context.user.id)


async def menu_photo(update: Update, context: BotContext, flow: Flow | None) -> None:
    """Open the menu for a photo sent outside a flow (an album opens one menu)."""
    message = update.effective_message
    assert message and update.effective_chat
    file = photo_for(message).as_input(MENU_PHOTOS, MediaKind.IMAGE, "photo")
    group = message.media_group_id
    flows = context.services.flows
    if group is not None and flow is not None and flow.tool == MENU and flow.album == group:
        saved = await flows.save(
            flow,
            inputs={**flow.inputs, MENU_PHOTOS: [*flow.inputs[MENU_PHOTOS], file.model_dump()]},
        )
        if saved is not None:
            settle_later(update, context, group)
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
        settle_later(update, context, group)
        return
    await _show_menu(update, context, menu)


async def _price_label(context: BotContext, entry: Entry, measures: Measures) -> str:
    """What a menu's button says the tool costs: the price of the job its flow would start
    with (the options it would resolve, the lists they are chosen from included); per second
    of a length not measured yet (a voice note's), at most for a length not known in advance.
    Those options are all priced for what was measured, so a price is always known."""
    options, _ = await options_for(context, entry, {}, measures)
    multiplier = context.services.settings.credit_multiplier
    per_second = entry.price.per_second
    if per_second is not None and per_second not in measures:
        price = entry.price_of(options, {per_second: 1}, multiplier)
        assert price is not None, f"{entry.name}: no price a second for {options}"
        return texts.per_second_short(price)
    price = entry.price_of(options, measures, multiplier)
    assert price is not None, f"{entry.name}: no price for {options}"
    return texts.at_most(price) if None in measures.values() else texts.credits(price)


async def _show_menu(update: Update, context: BotContext, flow: Flow) -> None:
    assert update.effective_chat
    buttons = []
    for index, action in enumerate(MENU_ACTIONS):
        price = await _price_label(context, CATALOG[action.tool], {})
        label = texts.menu_button(texts.MENU_BUTTONS[action.key], price)
        buttons.append(button(flow, label, "p", index))
    buttons.append(
        InlineKeyboardButton(
            texts.MENU_BUTTONS["actor"], callback_data=f"{SAVE_AS_ACTOR}{flow.revision}"
        )
    )
    count = len(files(flow, MENU_PHOTOS))
    message = await update.effective_chat.send_message(
        texts.photo_menu(count), reply_markup=InlineKeyboardMarkup(rows_of(buttons))
    )
    await context.services.flows.attach(flow, message.message_id)


async def menu_photo_as_actor(context: BotContext, revision: int) -> FileInput | None:
    """The photo of the user's menu at `revision`, for *Save as actor*."""
    flow = await context.services.flows.get(context.user.id)
    if flow is None or flow.tool != MENU or flow.revision != revision:
        return None
    return files(flow, MENU_PHOTOS)[0]


async def menu_pressed(
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
    photos = files(flow, MENU_PHOTOS)
    # Only Edit takes more than the first photo, and it takes any image.
    refusal = refusal_for(photos[0], entry.input(chosen.input))
    if refusal is not None:
        await query.answer(refusal, show_alert=True)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    caption = flow.inputs.get(MENU_CAPTION)
    await begin(update, context, entry, prefill(entry, chosen.input, photos, caption))


async def menu_video(update: Update, context: BotContext) -> None:
    """Measure a video sent outside a flow and open the video menu for it."""
    message = update.effective_message
    assert message and update.effective_chat
    group = message.media_group_id
    received, info = await video_from(message, context.bot)
    file = received.as_input(MENU_VIDEO, MediaKind.VIDEO, "video")
    menu, previous = await context.services.flows.start(
        context.user.id,
        update.effective_chat.id,
        tool=VIDEO_MENU,
        step=0,
        inputs={MENU_VIDEO: [file.model_dump()]},
        measures=info.measures(VIDEO_SECONDS),
        album=group,
    )
    await announce_left(update, context, previous)
    await _show_video_menu(update, context, menu, texts.VIDEO_MENU)


async def menu_link(update: Update, context: BotContext, link: VideoLink) -> None:
    """Offer the tools that take an Instagram or TikTok link, for a link sent outside a flow."""
    assert update.effective_chat
    menu, previous = await context.services.flows.start(
        context.user.id,
        update.effective_chat.id,
        tool=VIDEO_MENU,
        step=0,
        inputs={MENU_VIDEO: {"platform": link.platform, "url": link.url}},
        measures={VIDEO_SECONDS: None},
    )
    await announce_left(update, context, previous)
    await _show_video_menu(update, context, menu, texts.LINK_MENU)


def _video_actions(flow: Flow) -> list[tuple[int, MenuAction]]:
    """The video menu's buttons for its video, or for its link those that take one."""
    given = flow.inputs.get(MENU_VIDEO)
    if not isinstance(given, dict):
        return list(enumerate(VIDEO_MENU_ACTIONS))
    return [
        (index, action)
        for index, action in enumerate(VIDEO_MENU_ACTIONS)
        if given.get("platform") in CATALOG[action.tool].input(action.input).links
    ]


def _measures_for(entry: Entry, name: str, flow: Flow) -> Measures:
    """What the menu measured, for a tool whose input is priced by it."""
    return flow.measures if entry.input(name).measure is not None else {}


async def _show_video_menu(update: Update, context: BotContext, flow: Flow, text: str) -> None:
    assert update.effective_chat
    buttons = []
    for index, action in _video_actions(flow):
        entry = CATALOG[action.tool]
        price = await _price_label(context, entry, _measures_for(entry, action.input, flow))
        label = texts.menu_button(texts.VIDEO_MENU_BUTTONS[action.key], price)
        buttons.append(button(flow, label, "p", index))
    message = await update.effective_chat.send_message(
        text, reply_markup=InlineKeyboardMarkup(rows_of(buttons, 1))
    )
    await context.services.flows.attach(flow, message.message_id)


async def video_menu_pressed(
    update: Update, context: BotContext, flow: Flow, action: str, numbers: list[int]
) -> None:
    """Start the chosen tool with the menu's video (or link) and its measures filled in."""
    query = update.callback_query
    assert query
    actions = dict(_video_actions(flow))
    if action != "p" or len(numbers) != 1 or numbers[0] not in actions:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    chosen = actions[numbers[0]]
    entry = CATALOG[chosen.tool]
    await query.answer()
    await query.edit_message_reply_markup(None)
    given = flow.inputs[MENU_VIDEO]
    if isinstance(given, dict):
        item = entry.input(chosen.input)
        link = VideoLinkInput(field=item.links[given["platform"]], url=given["url"])
        inputs = {chosen.input: link.model_dump()}
    else:
        inputs = prefill(entry, chosen.input, files(flow, MENU_VIDEO), None)
    await begin(update, context, entry, inputs, _measures_for(entry, chosen.input, flow))
