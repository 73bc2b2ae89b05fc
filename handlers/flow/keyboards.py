"""The flow's buttons: short callback data, and the keyboard of a job's options.

Buttons carry `flow:<revision>:<action>[:<index>...]` only (see storage/flows.py); the
option keyboard shows what the flow's `view` says: the options (small ones inline, others
as a button that opens their list), one option's list, the *More* options, or the 18+
confirmation. Every value's button shows the price of the job it would make.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton

from bot import texts
from bot.catalog.model import Entry, Option, Sources, Value, candidates, holds, resolve
from bot.context import BotContext
from handlers.keyboards import Rows, rows_of
from storage.flows import Flow

PREFIX = "flow:"
INLINE_CHOICES = 4
"""An option with at most this many choices shows them all; a longer one opens a list."""


def data(flow: Flow, action: str, *args: object) -> str:
    return ":".join([f"{PREFIX}{flow.revision}", action, *(str(arg) for arg in args)])


def button(flow: Flow, label: str, action: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data(flow, action, *args))


async def option_rows(context: BotContext, entry: Entry, flow: Flow, sources: Sources) -> Rows:
    """The keyboard that changes the job's options, as the flow's view has it: the options
    (small ones inline, others as a button that opens their list), an option's list, the
    *More* options, or the 18+ confirmation."""
    studio = context.services.studio
    adult = studio.adult(context.user)
    view = flow.view
    if view == "18":
        return [[button(flow, texts.ADULT_CONFIRM_BUTTON, "18y")], [back_button(flow)]]
    if view.startswith("o"):
        index = int(view[1:])
        return _choice_rows(context, entry, flow, entry.options[index], index, sources) + [
            [back_button(flow)]
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
        return rows + [[back_button(flow)]]
    for index, option in applying:
        if option.more:
            continue
        choices = option_values(entry, option, flow, adult, sources)
        if option.source is None and len(choices) <= INLINE_CHOICES:
            rows += _choice_rows(context, entry, flow, option, index, sources)
        else:
            rows.append([_opener(flow, option, index, sources)])
    if any(option.more for _, option in applying):
        rows.append([button(flow, texts.MORE_OPTIONS_BUTTON, "m")])
    has_nsfw = any(choice.nsfw for option in entry.options for choice in option.choices)
    if has_nsfw and studio.may_confirm_adult(context.user):
        rows.append([button(flow, texts.ADULT_MODELS_BUTTON, "18")])
    return rows


def back_button(flow: Flow) -> InlineKeyboardButton:
    return button(flow, texts.BACK_BUTTON, "b")


def option_values(
    entry: Entry, option: Option, flow: Flow, adult: bool, sources: Sources
) -> list[tuple[Value, str]]:
    """(value, label) of every value the option may take now."""
    values = candidates(entry, option, flow.options, adult, sources, flow.measures)
    return [(value, _label_of(option, value, sources)) for value in values]


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
    return button(flow, texts.option_button(option.label, current), "o", index)


def _choice_rows(
    context: BotContext, entry: Entry, flow: Flow, option: Option, index: int, sources: Sources
) -> Rows:
    """One button per value, each with the price of the job it would make."""
    adult = context.services.studio.adult(context.user)
    multiplier = context.services.settings.credit_multiplier
    buttons = []
    for number, (value, label) in enumerate(option_values(entry, option, flow, adult, sources)):
        trial = resolve(
            entry, {**flow.options, option.field: value}, {}, adult, sources, flow.measures
        )
        price = entry.price_of(trial, flow.measures, multiplier)
        chosen = flow.options.get(option.field) == value
        buttons.append(button(flow, texts.choice_button(label, price, chosen), "v", index, number))
    return rows_of(buttons)
