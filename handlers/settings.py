"""/settings: the user's defaults, each changed on a keyboard that marks the current one.

Saved in SQLite at once (storage/settings.py); flows read them when they start. Buttons
carry `set:<action>[:<index>...]`: what they change is the same for everyone.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import texts
from bot.catalog.model import Choice, Value
from bot.context import BotContext
from bot.preferences import PREFERENCES, Preference
from handlers.conversation import Handlers
from handlers.edits import edit_markup
from handlers.keyboards import rows_of
from handlers.parsing import integer

PREFIX = "set:"


def _current(preference: Preference, chosen: dict[str, Value], adult: bool) -> Choice:
    """The default flows are given: the user's choice while it is offered to them (not an 18+
    one once NSFW is off, nor one the catalog has dropped), else the option's own."""
    choices = preference.option.choices
    value = chosen.get(preference.name)
    for choice in choices:
        if choice.value == value and (adult or not choice.nsfw):
            return choice
    return next(choice for choice in choices if choice.value == preference.option.default)


async def _keyboard(context: BotContext, view: int | None) -> InlineKeyboardMarkup:
    chosen = await context.services.user_settings.get(context.user.id)
    studio = context.services.studio
    adult = studio.adult(context.user)
    if view is not None:
        preference = PREFERENCES[view]
        current = _current(preference, chosen, adult)
        buttons = [
            InlineKeyboardButton(
                texts.setting_choice(choice.label, choice == current),
                callback_data=f"{PREFIX}v:{view}:{index}",
            )
            for index, choice in enumerate(preference.option.choices)
            if adult or not choice.nsfw
        ]
        rows = rows_of(buttons)
        rows.append([InlineKeyboardButton(texts.BACK_BUTTON, callback_data=f"{PREFIX}b")])
        return InlineKeyboardMarkup(rows)
    rows = [
        [
            InlineKeyboardButton(
                texts.setting_button(
                    texts.SETTING_LABELS[preference.name],
                    _current(preference, chosen, adult).label,
                ),
                callback_data=f"{PREFIX}o:{index}",
            )
        ]
        for index, preference in enumerate(PREFERENCES)
    ]
    if studio.may_confirm_adult(context.user):
        rows.append(
            [InlineKeyboardButton(texts.ADULT_SETTING_BUTTON, callback_data=f"{PREFIX}18")]
        )
    return InlineKeyboardMarkup(rows)


async def show(update: Update, context: BotContext) -> None:
    """List the defaults, each a button that opens its choices."""
    assert update.effective_message
    await update.effective_message.reply_text(
        texts.SETTINGS_INTRO, reply_markup=await _keyboard(context, None)
    )


async def on_button(update: Update, context: BotContext) -> None:
    """Open a setting's choices, pick one, go back, or confirm being 18 or older."""
    query = update.callback_query
    assert query and query.data
    action, *args = query.data.removeprefix(PREFIX).split(":")
    numbers = [number for number in map(integer, args) if number is not None]
    if len(numbers) != len(args) or any(not 0 <= n < 100 for n in numbers):
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    view: int | None = None
    answer: str | None = None
    if action == "o" and len(numbers) == 1 and numbers[0] < len(PREFERENCES):
        view = numbers[0]
    elif action == "v" and len(numbers) == 2 and numbers[0] < len(PREFERENCES):
        preference = PREFERENCES[numbers[0]]
        choices = preference.option.choices
        adult = context.services.studio.adult(context.user)
        if numbers[1] >= len(choices) or (choices[numbers[1]].nsfw and not adult):
            await query.answer(texts.STALE_BUTTON, show_alert=True)
            return
        await context.services.user_settings.put(
            context.user.id, preference.name, choices[numbers[1]].value
        )
        answer = texts.SETTING_SAVED
    elif action == "18" and context.services.studio.may_confirm_adult(context.user):
        await context.services.users.confirm_adult(context.user.id)
        context.account = await context.services.users.get(context.user.id)
        answer = texts.ADULT_CONFIRMED
    elif action != "b":
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await query.answer(answer)
    await edit_markup(query, await _keyboard(context, view))


def build_settings_handlers() -> Handlers:
    return [
        CommandHandler("settings", show),
        CallbackQueryHandler(on_button, pattern=f"^{PREFIX}"),
    ]
