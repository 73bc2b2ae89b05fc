"""The descriptor types: what a catalog entry says about a tool, and the rules read from it.

An `Entry` describes one provider tool for the chat: the `Tool` the job engine runs, the
command that starts it, the `Input`s asked for in order, the `Option`s (with per-user
defaults, NSFW flags and which values are allowed given the other options), and the
`Price` as the provider's table (with per-second rules over a measured length, and the
video upscaler's price per output megapixel). Everything here is data and pure functions
of it; the flow (`bot/flow.py`, `handlers/flow/`) walks any entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from bot.pricing import started_seconds, to_bot_credits
from bot.tools import Tool

Value = str | int | float | bool | None
"""An option's value as the provider takes it (and as the flow stores it, in JSON)."""

Label = Callable[[], str]
"""Writes a button label in the current user's language: the catalog is built once, at
import, and shown in every language (see `bot.texts`'s label functions)."""

Condition = Mapping[str, frozenset[Value]]
"""Option field -> the values it must take for something to apply (all must hold)."""

Measures = Mapping[str, float | None]
"""What was measured from a flow's inputs, by name (an audio's or a video's length, a video's
width, height and frame rate). None is a length not known in advance (the video behind an
Instagram or TikTok link): it is priced at the most it can cost."""

NO_MEASURES: Measures = {}

VIDEO_WIDTH = "video_width"
VIDEO_HEIGHT = "video_height"
VIDEO_FPS = "video_fps"
"""Where a VIDEO input's size and frame rate are kept (its length goes under its `measure`)."""

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
    text: Label
    nsfw: bool = False
    """Offered only when the operator allows NSFW and the user confirmed they are 18+."""
    requires: Condition = field(default_factory=dict)
    """Offered only while the other options take these values (e.g. no 480p for a model
    that cannot make it)."""

    @property
    def label(self) -> str:
        return self.text()


class Source(StrEnum):
    """Values the provider lists, fetched (and cached) instead of written here."""

    STYLES = "styles"
    """The names the tool's own input schema lists for the option's field (`GET /tools/
    {name}`): by_prompt's and by_ref's named `loras`."""
    LORAS = "loras"
    """`GET /loras?model=<the option's scope, else the entry's model option>`: LoRA ids."""
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
    text: Label
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
    scope: str | None = None
    """The model a LORAS list is fetched for, when it is not the entry's model option
    (videogen's `wan@2.2-lora` takes the LoRAs listed for `wan@2.2`)."""

    @property
    def label(self) -> str:
        return self.text()


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
    VIDEO = "video"
    """One video: a Telegram video or video file, or a video result of an earlier job. Its
    length (into `measure`), size and frame rate (`VIDEO_WIDTH`, ...) are measured from the
    file itself. With `links`, an Instagram or TikTok link may stand for it."""
    CLIPS = "clips"
    """`min_count` to `max_count` videos in the order given: the user's video results,
    picked from a list, or videos sent now; each goes in the list field as an object whose
    `item_key` is its asset id."""


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
    min_count: int = 1
    item_key: str | None = None
    """For a list of objects (CLIPS): the key each item's asset id goes under."""
    max_chars: int = MAX_PROMPT_CHARS
    max_bytes: int | None = None
    """A file limit below Telegram's download limit (the lipsync portrait's 5 MB)."""
    mime_types: frozenset[str] | None = None
    """The image files accepted, when not every image type is."""
    max_seconds: float | None = None
    measure: str | None = None
    """The name under which the input's measured length is kept and priced."""
    links: Mapping[str, str] = field(default_factory=dict)
    """For a VIDEO: the platforms whose links may stand for the video (`instagram`,
    `tiktok`), each with the provider field its link goes in."""
    choices: tuple[Choice, ...] = ()
    source: Source | None = None
    text_field: str | None = None
    requires: Condition = field(default_factory=dict)
    """The input is asked (and sent) only while the options take these values."""


@dataclass(frozen=True)
class PriceRow:
    """One row of the provider's price table: the credits when every condition holds.

    In a per-second price, `credits` is the rate of each started second after the first
    `flat_seconds`, which `flat` covers ("flat 7 credits up to 5 seconds, then 1.4 credits
    per second").
    """

    when: Condition
    credits: float
    flat: float = 0
    flat_seconds: int = 0
    max_seconds: int | None = None
    """The longest length the row bills ("capped at 30 seconds"). A longer input is not
    priced (so not offered: the bot never lets the provider cut it short unasked), and a
    length not known in advance is billed as this long."""

    def billed_seconds(self, seconds: float | None) -> int | None:
        """The seconds billed for a measured length (None: not known in advance); None when
        the row does not price it. Up to half a second over the limit is billed as capped,
        as the provider bills it."""
        if seconds is None:
            return self.max_seconds
        if self.max_seconds is None:
            return started_seconds(seconds)
        if round(seconds) > self.max_seconds:
            return None
        return min(started_seconds(seconds), self.max_seconds)

    def seconds_credits(self, seconds: int) -> float:
        return self.flat + self.credits * max(seconds - self.flat_seconds, 0)


MAX_FACTOR = "max"
"""An enlargement factor: as large as the longest side allows."""


@dataclass(frozen=True)
class Enlargement:
    """A price per output megapixel of a measured video, times a frame-rate multiplier (the
    video upscaler's). The output is the measured width and height times the `factor`
    option, or for MAX_FACTOR as large as `max_side` allows; a factor that makes a side
    longer than `max_side` is not priced."""

    factor: str
    max_side: int
    fps_steps: tuple[tuple[float, int], ...]
    """(frame rate up to, multiplier), lowest first."""
    fps_above: int
    """The multiplier above the last step."""

    def output_size(self, factor: Value, measures: Measures) -> tuple[int, int] | None:
        width, height = measures.get(VIDEO_WIDTH), measures.get(VIDEO_HEIGHT)
        if not width or not height:
            return None
        if factor == MAX_FACTOR:
            scale = self.max_side / max(width, height)
        elif isinstance(factor, str) and factor.isdigit():
            scale = int(factor)
        else:
            return None
        return round(width * scale), round(height * scale)

    def fits(self, options: Mapping[str, Value], measures: Measures) -> bool:
        """Whether the factor keeps the output within `max_side` (yes while either is not
        known yet)."""
        if self.factor not in options or VIDEO_WIDTH not in measures:
            return True
        size = self.output_size(options[self.factor], measures)
        return size is not None and max(size) <= self.max_side

    def multiplier(self, options: Mapping[str, Value], measures: Measures) -> float | None:
        """Output megapixels times the frame-rate multiplier; None when not priced."""
        size = self.output_size(options.get(self.factor), measures)
        fps = measures.get(VIDEO_FPS)
        if size is None or fps is None or max(size) > self.max_side:
            return None
        step = next((times for limit, times in self.fps_steps if fps <= limit), self.fps_above)
        return size[0] * size[1] / 1_000_000 * step


@dataclass(frozen=True)
class Price:
    """The provider's price table; the first row that matches the options applies."""

    rows: tuple[PriceRow, ...]
    per_count: str | None = None
    """The option whose value multiplies the row (credits per image)."""
    per_second: str | None = None
    """The measure whose started seconds the row bills (credits per second)."""
    enlargement: Enlargement | None = None
    """Multiplies the row by the output megapixels and frame rate of an enlarged video."""

    def provider_credits(self, options: Mapping[str, Value], measures: Measures) -> float | None:
        """The provider's price of a job; None when no row matches (the combination is not
        offered), a measure it depends on is not known yet, or the row cannot bill it."""
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
            seconds = row.billed_seconds(measures[self.per_second])
            if seconds is None:
                return None
            credits = row.seconds_credits(seconds)
        if self.enlargement is not None:
            multiplier = self.enlargement.multiplier(options, measures)
            if multiplier is None:
                return None
            credits *= multiplier
        return credits

    def bills(self, row: PriceRow, measures: Measures) -> bool:
        """Whether `row` can bill what was measured (yes for what is not measured yet)."""
        if self.per_second is None or self.per_second not in measures:
            return True
        return row.billed_seconds(measures[self.per_second]) is not None


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
        self, options: Mapping[str, Value], measures: Measures, multiplier: float
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


def priced(entry: Entry, options: Mapping[str, Value], measures: Measures = NO_MEASURES) -> bool:
    """Whether the price table has a row for these options (those not chosen yet match any
    row) that can bill what was measured (a length within its limit, an enlargement within
    the largest size)."""
    price = entry.price
    if price.enlargement is not None and not price.enlargement.fits(options, measures):
        return False
    return any(
        all(options[name] in allowed for name, allowed in row.when.items() if name in options)
        and price.bills(row, measures)
        for row in price.rows
    )


def offered(
    entry: Entry,
    option: Option,
    options: Mapping[str, Value],
    adult: bool,
    sources: Sources,
    measures: Measures = NO_MEASURES,
) -> list[Choice]:
    """The choices of a static option that can be picked now: visible, priced for what was
    measured, and not enabling a required source option that has nothing to offer."""
    result = []
    for choice in visible(option.choices, options, adult):
        trial = {**options, option.field: choice.value}
        if priced(entry, trial, measures) and not _starves(entry, trial, sources):
            result.append(choice)
    return result


def too_long_for(
    entry: Entry, options: Mapping[str, Value], adult: bool, measures: Measures
) -> tuple[list[Choice], int] | None:
    """The choices left out only because the measured length is over their limit, and the
    shortest such limit; None when there are none (a mode that takes at most 30 s of
    video, for a longer one)."""
    price = entry.price
    seconds = measures.get(price.per_second) if price.per_second else None
    if seconds is None:
        return None
    left_out: list[Choice] = []
    limits: list[int] = []
    for option in entry.options:
        if not holds(option.requires, options):
            continue
        for choice in visible(option.choices, options, adult):
            trial = {**options, option.field: choice.value}
            if not priced(entry, trial) or priced(entry, trial, measures):
                continue
            left_out.append(choice)
            limits += [
                row.max_seconds
                for row in price.rows
                if row.max_seconds is not None and holds(row.when, trial)
            ]
    return (left_out, min(limits)) if left_out and limits else None


def _starves(entry: Entry, options: Mapping[str, Value], sources: Sources) -> bool:
    return any(
        option.required and holds(option.requires, options) and not sources.get(option.field)
        for option in entry.options
    )


def candidates(
    entry: Entry,
    option: Option,
    options: Mapping[str, Value],
    adult: bool,
    sources: Sources,
    measures: Measures = NO_MEASURES,
) -> list[Value]:
    """Every value the option may take now, the first being the fallback."""
    if option.source is not None:
        ids: list[Value] = [item.id for item in sources.get(option.field, [])]
        return ids if option.required else [None, *ids]
    return [choice.value for choice in offered(entry, option, options, adult, sources, measures)]


def resolve(
    entry: Entry,
    chosen: Mapping[str, Value],
    defaults: Mapping[str, Value],
    adult: bool,
    sources: Sources,
    measures: Measures = NO_MEASURES,
) -> dict[str, Value]:
    """The options of a job: what the user chose where it is still allowed, else their
    /settings default where it is allowed here, else the entry's default, else the first
    allowed value. Options that do not apply are left out.

    Choices are allowed given the other options, so this repeats until nothing changes
    (a model without 480p moves the resolution, which may allow other choices...). What was
    measured rules out choices that cannot bill it (a mode that takes at most 30 s, for a
    longer video).
    """
    values: dict[str, Value] = dict(chosen)
    for _ in range(len(entry.options) + 1):
        changed = False
        for option in entry.options:
            if not holds(option.requires, values):
                changed |= values.pop(option.field, _ABSENT) is not _ABSENT
                continue
            allowed = candidates(entry, option, values, adult, sources, measures)
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
