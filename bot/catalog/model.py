"""The descriptor types: what a catalog entry says about a tool, and the rules read from it.

An `Entry` describes one provider tool for the chat: the `Tool` the job engine runs, the
command that starts it, the `Input`s asked for in order, the `Option`s (with per-user
defaults, NSFW flags and which values are allowed given the other options), and the
`Price` as the provider's table. Everything here is data and pure functions of it; the
flow (`bot/flow.py`, `handlers/flow.py`) walks any entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from bot.pricing import started_seconds, to_bot_credits
from bot.tools import Tool

Value = str | int | float | bool | None
"""An option's value as the provider takes it (and as the flow stores it, in JSON)."""

Condition = Mapping[str, frozenset[Value]]
"""Option field -> the values it must take for something to apply (all must hold)."""

MAX_PROMPT_CHARS = 2000
"""Prompts and instructions are refused above this, before anything is charged."""


def holds(condition: Condition, options: Mapping[str, Value]) -> bool:
    return all(options.get(name) in allowed for name, allowed in condition.items())


def one_of(*values: Value) -> frozenset[Value]:
    return frozenset(values)


@dataclass(frozen=True)
class Choice:
    """One value of an option (or of a choice asked as a step), with its button label."""

    value: Value
    label: str
    nsfw: bool = False
    """Offered only when the operator allows NSFW and the user confirmed they are 18+."""
    requires: Condition = field(default_factory=dict)
    """Offered only while the other options take these values (e.g. no 480p for a model
    that cannot make it)."""


class Source(StrEnum):
    """Values the provider lists, fetched (and cached) instead of written here."""

    STYLES = "styles"
    """The names the tool's own input schema lists for the option's field (`GET /tools/
    {name}`): by_prompt's and by_ref's named `loras`."""
    LORAS = "loras"
    """`GET /loras?model=<the entry's model option>`: LoRA ids."""
    TEMPLATES = "templates"
    """`GET /templates`: presets passed as `lora_id`."""
    PHOTOSHOOT_CATEGORIES = "photoshoot_categories"
    """`GET /photoshoot-categories`: passed as `category_id`."""


class Wire(StrEnum):
    """How an option's value is written into the provider input."""

    VALUE = "value"
    """As it is."""
    STYLE = "style"
    """As a `loras` map of one named style at full strength: `{value: 1.0}`."""


@dataclass(frozen=True)
class Option:
    """A setting of the job, shown on the keyboard under the last question and the quote."""

    field: str
    """The provider input field it sets; also its key in the flow's options."""
    label: str
    choices: tuple[Choice, ...] = ()
    default: Value = None
    setting: str | None = None
    """The per-user default (/settings) that supplies the value, when it is allowed here."""
    more: bool = False
    """Kept behind a *More* button (facegen's optional attributes)."""
    source: Source | None = None
    """Values fetched from the provider instead of `choices`; None ("no style") is the
    first choice unless `required`."""
    required: bool = False
    """A source option that must have a value while it applies (a template for the model
    that takes only templates)."""
    wire: Wire = Wire.VALUE
    requires: Condition = field(default_factory=dict)
    """The option applies only while the other options take these values."""


class InputKind(StrEnum):
    PHOTO = "photo"
    """One image: a photo, an image file, or a result of an earlier job."""
    PHOTOS = "photos"
    """1 to `max_count` images; an album is one answer, in order."""
    FACE = "face"
    """One image of a real person's face; the user's actors are offered."""
    TEXT = "text"
    """A prompt or instruction, at most `max_chars` characters."""
    AUDIO = "audio"
    """A voice note or audio file, measured into `measure`; actors' voices are offered."""
    CHOICE = "choice"
    """One of `choices`, asked as a step (facegen's gender); stored as an option."""
    CATEGORY = "category"
    """One item of a provider list (`source`), or a text typed instead (`text_field`)."""


IMAGE_KINDS = frozenset({InputKind.PHOTO, InputKind.PHOTOS, InputKind.FACE})


@dataclass(frozen=True)
class Input:
    """One thing the flow asks for, in the entry's order."""

    name: str
    """Its key in the flow's collected inputs (and in the texts of its question)."""
    kind: InputKind
    field: str
    """The provider input field it fills (a list field for PHOTOS)."""
    optional: bool = False
    """Offers *Skip*."""
    max_count: int = 1
    max_chars: int = MAX_PROMPT_CHARS
    max_bytes: int | None = None
    """A file limit below Telegram's download limit (the lipsync portrait's 5 MB)."""
    mime_types: frozenset[str] | None = None
    """The image files accepted, when not every image type is."""
    max_seconds: float | None = None
    measure: str | None = None
    """The name under which the input's measured length is kept and priced."""
    choices: tuple[Choice, ...] = ()
    source: Source | None = None
    text_field: str | None = None
    requires: Condition = field(default_factory=dict)
    """The input is asked (and sent) only while the options take these values."""


@dataclass(frozen=True)
class PriceRow:
    """One row of the provider's price table: the credits when every condition holds."""

    when: Condition
    credits: float


@dataclass(frozen=True)
class Price:
    """The provider's price table; the first row that matches the options applies."""

    rows: tuple[PriceRow, ...]
    per_count: str | None = None
    """The option whose value multiplies the row (credits per image)."""
    per_second: str | None = None
    """The measure whose started seconds multiply the row (credits per second)."""

    def provider_credits(
        self, options: Mapping[str, Value], measures: Mapping[str, float]
    ) -> float | None:
        """The provider's price of a job; None when no row matches (the combination is not
        offered) or a measure it depends on is not known yet."""
        row = next((row for row in self.rows if holds(row.when, options)), None)
        if row is None:
            return None
        credits = row.credits
        if self.per_count is not None:
            count = options.get(self.per_count)
            if not isinstance(count, int):
                return None
            credits *= count
        if self.per_second is not None:
            if self.per_second not in measures:
                return None
            credits *= started_seconds(measures[self.per_second])
        return credits


def flat(credits: float, per_count: str | None = None, per_second: str | None = None) -> Price:
    """A price that depends on no option: one row that always matches."""
    return Price((PriceRow({}, credits),), per_count=per_count, per_second=per_second)


@dataclass(frozen=True)
class Entry:
    """One tool as the chat offers it."""

    tool: Tool
    command: str
    inputs: tuple[Input, ...]
    price: Price
    options: tuple[Option, ...] = ()
    consent: bool = False
    """Takes a real person's face: the user must have agreed to the terms."""

    @property
    def name(self) -> str:
        return self.tool.name

    def input(self, name: str) -> Input:
        return next(item for item in self.inputs if item.name == name)

    def option(self, name: str) -> Option:
        return next(option for option in self.options if option.field == name)

    def price_of(
        self, options: Mapping[str, Value], measures: Mapping[str, float], multiplier: float
    ) -> int | None:
        """What a job with these options costs in bot credits (None: not offered/unknown)."""
        credits = self.price.provider_credits(options, measures)
        return None if credits is None else to_bot_credits(credits, multiplier)

    def asked(self, options: Mapping[str, Value]) -> list[Input]:
        """The inputs that apply with these options, in order."""
        return [item for item in self.inputs if holds(item.requires, options)]


@dataclass(frozen=True)
class SourceItem:
    """One value of a provider list, as offered: its id and the label the user sees."""

    id: str
    label: str


def visible(choices: Iterable[Choice], options: Mapping[str, Value], adult: bool) -> list[Choice]:
    """The choices offered with these options; NSFW ones only to a confirmed adult."""
    return [
        choice
        for choice in choices
        if holds(choice.requires, options) and (adult or not choice.nsfw)
    ]


Sources = Mapping[str, list[SourceItem]]
"""The fetched values of an entry's source options, by option field."""


def priced(entry: Entry, options: Mapping[str, Value]) -> bool:
    """Whether the price table has a row for these options (those not chosen yet match
    any row)."""
    return any(
        all(options[name] in allowed for name, allowed in row.when.items() if name in options)
        for row in entry.price.rows
    )


def offered(
    entry: Entry, option: Option, options: Mapping[str, Value], adult: bool, sources: Sources
) -> list[Choice]:
    """The choices of a static option that can be picked now: visible, priced, and not
    enabling a required source option that has nothing to offer."""
    result = []
    for choice in visible(option.choices, options, adult):
        trial = {**options, option.field: choice.value}
        if priced(entry, trial) and not _starves(entry, trial, sources):
            result.append(choice)
    return result


def _starves(entry: Entry, options: Mapping[str, Value], sources: Sources) -> bool:
    return any(
        option.required and holds(option.requires, options) and not sources.get(option.field)
        for option in entry.options
    )


def candidates(
    entry: Entry, option: Option, options: Mapping[str, Value], adult: bool, sources: Sources
) -> list[Value]:
    """Every value the option may take now, the first being the fallback."""
    if option.source is not None:
        ids: list[Value] = [item.id for item in sources.get(option.field, [])]
        return ids if option.required else [None, *ids]
    return [choice.value for choice in offered(entry, option, options, adult, sources)]


def resolve(
    entry: Entry,
    chosen: Mapping[str, Value],
    defaults: Mapping[str, Value],
    adult: bool,
    sources: Sources,
) -> dict[str, Value]:
    """The options of a job: what the user chose where it is still allowed, else their
    /settings default where it is allowed here, else the entry's default, else the first
    allowed value. Options that do not apply are left out.

    Choices are allowed given the other options, so this repeats until nothing changes
    (a model without 480p moves the resolution, which may allow other choices...).
    """
    values: dict[str, Value] = dict(chosen)
    for _ in range(len(entry.options) + 1):
        changed = False
        for option in entry.options:
            if not holds(option.requires, values):
                changed |= values.pop(option.field, _ABSENT) is not _ABSENT
                continue
            allowed = candidates(entry, option, values, adult, sources)
            wanted = [values.get(option.field, _ABSENT), option.default]
            if option.setting is not None:
                wanted.insert(1, defaults.get(option.setting, _ABSENT))
            value = next((value for value in wanted if value in allowed), _ABSENT)
            if value is _ABSENT:
                if not allowed:
                    changed |= values.pop(option.field, _ABSENT) is not _ABSENT
                    continue
                value = allowed[0]
            if values.get(option.field, _ABSENT) != value:
                values[option.field] = value
                changed = True
        if not changed:
            break
    # Values the user could not have chosen (CHOICE inputs) are kept as they are.
    return values


_ABSENT = object()
