"""The catalog's prices against the provider's reference, row by row, and the option rules.

The reference document is read from ../shared/reference (beside the repository, as CI has
it). A missing document fails the collection of this module: it is never skipped.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot import texts
from bot.catalog import CATALOG, command_menu
from bot.catalog.image import NSFW_MODELS
from bot.catalog.model import (
    VIDEO_FPS,
    VIDEO_HEIGHT,
    VIDEO_WIDTH,
    Entry,
    SourceItem,
    Value,
    offered,
    resolve,
    too_long_for,
    visible,
)
from bot.catalog.video import AUDIO_SECONDS, NSFW_VIDEO_MODELS, VIDEO_SECONDS
from providers.tools import ByPromptInput, EditorModel, ImageEditorInput, PromptModel

REFERENCE = Path(__file__).resolve().parents[1] / "../shared/reference/zencreator-public-api.md"
ANY = "*any*"


@dataclass(frozen=True)
class TableRow:
    """One row of a price table, for one credits column."""

    tool: str
    number: int
    cells: dict[str, list[str] | None]
    """Field -> the values the row lists; None for *any*."""
    credits: float
    per_image: bool


@dataclass(frozen=True)
class Rule:
    """A price given in words: `N credits [per image | per second ...]`."""

    tool: str
    credits: float
    unit: str | None


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^### (\S+)\s*$", text, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def _cell(cell: str) -> list[str] | None:
    cell = cell.strip()
    if cell == ANY:
        return None
    return re.findall(r"`([^`]+)`", cell)


def parse_reference() -> tuple[list[TableRow], list[Rule]]:
    text = REFERENCE.read_text()
    rows: list[TableRow] = []
    rules: list[Rule] = []
    for tool, body in _sections(text).items():
        table = re.search(r"\*\*Price\*\* \(([^)]*)\):\s*\n\n((?:\|.*\n)+)", body)
        if table:
            per_image = "per image" in table.group(1)
            lines = [line for line in table.group(2).splitlines() if line.strip()]
            header = [cell.strip() for cell in lines[0].strip("|").split("|")]
            for number, line in enumerate(lines[2:], start=1):
                cells = [cell.strip() for cell in line.strip("|").split("|")]
                conditions: dict[str, list[str] | None] = {}
                credit_columns = []
                for name, cell in zip(header, cells, strict=True):
                    field = re.fullmatch(r"`([^`]+)`", name)
                    if field:
                        conditions[field.group(1)] = _cell(cell)
                    else:
                        column = re.fullmatch(r"Credits(?: \((.+)\))?", name)
                        assert column, f"{tool}: unknown price column {name!r}"
                        credit_columns.append((column.group(1), float(cell)))
                for column_value, credits in credit_columns:
                    row_cells = dict(conditions)
                    if column_value is not None:
                        row_cells["@column"] = [column_value]
                    rows.append(TableRow(tool, number, row_cells, credits, per_image))
            continue
        words = re.search(
            r"\*\*Price:\*\* (\d+(?:\.\d+)?) credits?"
            r"( per (image|second)| x output (megapixels))?",
            body,
        )
        if words:
            rules.append(Rule(tool, float(words.group(1)), words.group(3) or words.group(4)))
    return rows, rules


@dataclass(frozen=True)
class SecondsRule:
    """A per-second price of video2video, as the reference words it."""

    modes: frozenset[str] | None
    """None: "other modes"."""
    resolution: str | None
    rate: float
    flat: float = 0
    flat_seconds: int = 0
    cap: int | None = None


NUMBER = r"(\d+(?:\.\d+)?)"


def parse_motion_rules() -> list[SecondsRule]:
    body = _sections(REFERENCE.read_text())["video2video"]
    price = re.search(r"\*\*Price:\*\* (.*)", body)
    assert price, "video2video: no price sentence"
    words = price.group(1)
    cap = re.search(r"both capped at (\d+) seconds", words)
    rules = [
        SecondsRule(frozenset({mode}), None, float(rate), cap=int(cap.group(1)) if cap else None)
        for mode, rate in re.findall(rf"`(\w+)` — {NUMBER} credits? per second", words)
    ]
    for resolution, flat_credits, seconds, rate in re.findall(
        rf"at (\d+p) flat {NUMBER} credits (?:for videos )?up to (\d+) seconds, then {NUMBER}"
        " credits per second",
        words,
    ):
        rules.append(SecondsRule(None, resolution, float(rate), float(flat_credits), int(seconds)))
    for resolution, rate in re.findall(rf"at (\d+p) always {NUMBER} credits per second", words):
        rules.append(SecondsRule(None, resolution, float(rate)))
    return rules


ROWS, RULES = parse_reference()
MOTION_RULES = parse_motion_rules()
PRICED_TOOLS = {row.tool for row in ROWS} | {rule.tool for rule in RULES}
if MOTION_RULES:
    PRICED_TOOLS.add("video2video")


def _key(value: Value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _values(entry: Entry, field: str) -> dict[str, Value]:
    """Each value the entry can send for a field, by its spelling in the reference."""
    option = next((option for option in entry.options if option.field == field), None)
    if option is not None:
        return {_key(choice.value): choice.value for choice in option.choices}
    for item in entry.inputs:
        if item.field == field:
            return {_key(choice.value): choice.value for choice in item.choices}
    raise AssertionError(f"{entry.name} prices by {field!r}, which it does not offer")


def _combinations(entry: Entry, row: TableRow) -> list[dict[str, Value]]:
    fields: list[tuple[str, list[Value]]] = []
    for field, listed in row.cells.items():
        if field == "@column":
            continue
        values = _values(entry, field)
        chosen = list(values.values()) if listed is None else [values[v] for v in listed]
        fields.append((field, chosen))
    if "@column" in row.cells:
        (column,) = row.cells["@column"] or []
        field = next(
            option.field
            for option in entry.options
            if column in {_key(choice.value) for choice in option.choices}
        )
        fields.append((field, [_values(entry, field)[column]]))
    return [
        dict(zip([name for name, _ in fields], combination, strict=True))
        for combination in itertools.product(*[values for _, values in fields])
    ]


def _base_options(entry: Entry) -> dict[str, Value]:
    return resolve(entry, {}, {}, True, {})


def test_the_reference_prices_every_catalog_tool() -> None:
    assert set(CATALOG) <= PRICED_TOOLS
    assert len(ROWS) > 20


@pytest.mark.parametrize(
    "row",
    [row for row in ROWS if row.tool in CATALOG],
    ids=lambda row: f"{row.tool}-row{row.number}-{row.cells.get('@column', [''])[0]}",
)
def test_each_price_table_row_is_the_catalogs_price(row: TableRow) -> None:
    entry = CATALOG[row.tool]
    combinations = _combinations(entry, row)
    assert combinations
    for combination in combinations:
        options = {**_base_options(entry), **combination}
        counts = [1, 3] if row.per_image else [1]
        for count in counts:
            if entry.price.per_count:
                options[entry.price.per_count] = count
            expected = row.credits * count
            assert entry.price.provider_credits(options, {}) == expected, (combination, count)


@pytest.mark.parametrize("rule", [r for r in RULES if r.tool in CATALOG], ids=lambda r: r.tool)
def test_each_price_in_words_is_the_catalogs_price(rule: Rule) -> None:
    entry = CATALOG[rule.tool]
    options = _base_options(entry)
    if rule.unit == "second":
        assert entry.price.per_second == AUDIO_SECONDS
        for seconds in (0.4, 1.0, 12.0, 12.2, 35.0):
            credits = entry.price.provider_credits(options, {AUDIO_SECONDS: seconds})
            assert credits == rule.credits * max(1, math.ceil(seconds))
        return
    if rule.unit == "image":
        assert entry.price.per_count is not None
        option = entry.option(entry.price.per_count)
        for choice in option.choices:
            options[option.field] = choice.value
            assert entry.price.provider_credits(options, {}) == rule.credits * int(choice.value)
        return
    if rule.unit == "megapixels":
        return  # a formula: test_video_upscaling_is_priced_by_the_references_formula
    assert entry.price.per_count is None and entry.price.per_second is None
    # A flat price holds whatever the options are.
    for option in entry.options:
        for choice in option.choices:
            assert entry.price.provider_credits({**options, option.field: choice.value}, {}) == (
                rule.credits
            )


def test_bot_credits_apply_the_multiplier_rounding_up() -> None:
    entry = CATALOG["image_editor"]
    options = resolve(entry, {"model": "NANO_BANANA", "number_of_images": 3}, {}, False, {})
    assert entry.price_of(options, {}, 1) == 12
    assert entry.price_of(options, {}, 1.1) == 14


def test_no_default_is_an_nsfw_model_and_nsfw_models_are_flagged() -> None:
    for entry in CATALOG.values():
        options = resolve(entry, {}, {}, False, {})
        assert options.get("model") not in NSFW_MODELS, entry.name
        for option in entry.options:
            for choice in option.choices:
                if choice.value in NSFW_MODELS:
                    assert choice.nsfw, (entry.name, choice.value)
    by_prompt = resolve(CATALOG["by_prompt"], {}, {}, False, {})
    assert by_prompt["model"] == PromptModel.GENERAL_SFW
    assert resolve(CATALOG["image_editor"], {}, {}, False, {})["model"] == EditorModel.SEEDREAM_5


def test_nsfw_choices_are_hidden_from_anyone_not_confirmed_adult() -> None:
    model = CATALOG["by_prompt"].option("model")
    shown = {choice.value for choice in visible(model.choices, {}, adult=False)}
    assert shown.isdisjoint(NSFW_MODELS)
    everything = {choice.value for choice in visible(model.choices, {}, adult=True)}
    assert {"GENERAL_NSFW", "SDXL_NSFW", "FLUX_KLEIN_NSFW"} <= everything
    chosen = resolve(CATALOG["by_prompt"], {"model": "SDXL_NSFW"}, {}, False, {})
    assert chosen["model"] == "GENERAL_SFW"


def test_user_defaults_apply_where_the_tool_allows_them() -> None:
    defaults: dict[str, Any] = {"image_model": "NANO_BANANA", "ratio": "9:16", "image_count": 3}
    imagine = resolve(CATALOG["by_prompt"], {}, defaults, False, {})
    assert (imagine["model"], imagine["ratio"], imagine["batch_size"]) == (
        "NANO_BANANA",
        "9:16",
        3,
    )
    edit = resolve(CATALOG["image_editor"], {}, defaults, False, {})
    assert (edit["model"], edit["ratio"], edit["number_of_images"]) == ("NANO_BANANA", None, 3)
    # A default the tool does not have (a by_prompt-only model) falls back to the entry's.
    edit = resolve(CATALOG["image_editor"], {}, {"image_model": "GENERAL_SFW"}, False, {})
    assert edit["model"] == "SEEDREAM_5"
    # A choice made for this job wins over the default.
    chosen = resolve(CATALOG["by_prompt"], {"ratio": "16:9"}, defaults, False, {})
    assert chosen["ratio"] == "16:9"


def test_a_template_model_needs_a_template_and_gets_the_first_one() -> None:
    entry = CATALOG["image_editor"]
    model = entry.option("model")
    no_templates = {c.value for c in offered(entry, model, {}, True, {})}
    assert "FLUX_KLEIN_LORA" not in no_templates
    templates = {"lora_id": [SourceItem("tpl-1", "Film"), SourceItem("tpl-2", "Neon")]}
    assert "FLUX_KLEIN_LORA" in {c.value for c in offered(entry, model, {}, True, templates)}
    options = resolve(entry, {"model": "FLUX_KLEIN_LORA"}, {}, True, templates)
    assert options["lora_id"] == "tpl-1"
    assert resolve(entry, {"model": "FLUX_KLEIN_LORA"}, {}, True, {})["model"] == "SEEDREAM_5"
    assert "lora_id" not in resolve(entry, {"model": "QWEN_IMAGE"}, {}, True, templates)


def test_an_input_applies_only_while_its_options_allow_it() -> None:
    entry = CATALOG["by_ref"]
    assert [item.name for item in entry.asked({"model": "GENERAL"})] == ["reference", "face"]
    assert [item.name for item in entry.asked({"model": "SDXL"})] == ["reference"]


def test_provider_input_models_take_the_catalogs_options() -> None:
    for entry in CATALOG.values():
        fields = set(entry.tool.input_model.model_fields)
        for option in entry.options:
            assert option.field in fields, (entry.name, option.field)
        for item in entry.inputs:
            assert item.field in fields, (entry.name, item.field)
            assert item.text_field is None or item.text_field in fields
            assert set(item.links.values()) <= fields, (entry.name, item.links)
    ByPromptInput.model_validate({"positive_prompt": "a cat", "model": "GENERAL_SFW"})
    with pytest.raises(ValueError):
        ImageEditorInput.model_validate({"image_assets": [], "prompt": "x", "undress": True})


def test_every_entry_has_its_words() -> None:
    """Titles, descriptions and every question live in bot/texts.py."""
    for entry in CATALOG.values():
        assert entry.tool.title == texts.TOOL_TITLES[entry.name]
        assert texts.TOOL_DESCRIPTIONS[entry.name]
        for item in entry.inputs:
            assert texts.QUESTIONS[entry.name][item.name]
        for option in entry.options:
            assert option.label
            assert all(choice.label for choice in option.choices)
    commands = [command for command, _ in command_menu(1)]
    assert len(commands) == len(set(commands))
    assert {entry.command for entry in CATALOG.values()} <= set(commands)


# --- The video tools


def _started(seconds: float) -> int:
    return max(1, math.ceil(round(seconds, 3)))


def _motion_credits(rule: SecondsRule, seconds: float | None) -> float | None:
    """What the reference's words charge for a source of `seconds` (None: not known in
    advance, so the most it can cost), or None when the rule cannot bill it."""
    if rule.cap is not None:
        if seconds is None:
            return rule.rate * rule.cap
        return None if seconds > rule.cap else rule.rate * _started(seconds)
    if seconds is None:
        return None
    return rule.flat + rule.rate * max(_started(seconds) - rule.flat_seconds, 0)


def test_the_reference_words_every_motion_rule() -> None:
    modes = {mode for rule in MOTION_RULES if rule.modes for mode in rule.modes}
    assert modes == {"dreamactor_m2", "kling_2_6_sfw"}
    assert {rule.resolution for rule in MOTION_RULES if rule.modes is None} == {
        "480p",
        "720p",
        "1080p",
    }


def _motion_rule(mode: Value, resolution: Value) -> SecondsRule:
    own = [rule for rule in MOTION_RULES if rule.modes is not None and mode in rule.modes]
    if own:
        return own[0]
    return next(r for r in MOTION_RULES if r.modes is None and r.resolution == resolution)


@pytest.mark.parametrize("seconds", [0.4, 1, 4.2, 5, 5.1, 12, 29.6, 30, 31, 45, 180, None])
def test_video2video_bills_the_source_as_the_reference_words_it(seconds: float | None) -> None:
    entry = CATALOG["video2video"]
    for mode in entry.option("mode").choices:
        for resolution in entry.option("resolution").choices:
            options = resolve(
                entry, {"mode": mode.value, "resolution": resolution.value}, {}, True, {}
            )
            credits = entry.price.provider_credits(options, {VIDEO_SECONDS: seconds})
            expected = _motion_credits(_motion_rule(mode.value, resolution.value), seconds)
            where = (mode.value, resolution.value)
            if expected is None:
                assert credits is None, where
            else:
                assert credits == pytest.approx(expected), where


def test_a_capped_mode_bills_half_a_second_over_as_capped_and_offers_nothing_longer() -> None:
    entry = CATALOG["video2video"]
    options = resolve(entry, {"mode": "dreamactor_m2"}, {}, True, {})
    assert entry.price.provider_credits(options, {VIDEO_SECONDS: 30.4}) == 30
    assert entry.price.provider_credits(options, {VIDEO_SECONDS: 30.6}) is None
    modes = entry.option("mode")
    for seconds in (31, 45):
        shown = {
            c.value for c in offered(entry, modes, options, True, {}, {VIDEO_SECONDS: seconds})
        }
        assert shown == {"replace_sfw", "animate_sfw", "replace_nsfw", "animate_nsfw"}
        moved = resolve(entry, {"mode": "kling_2_6_sfw"}, {}, True, {}, {VIDEO_SECONDS: seconds})
        assert moved["mode"] == "replace_sfw"
        left_out = too_long_for(entry, moved, True, {VIDEO_SECONDS: seconds})
        assert left_out is not None
        assert {c.value for c in left_out[0]} == {"kling_2_6_sfw", "dreamactor_m2"}
        assert left_out[1] == 30
    assert too_long_for(entry, options, True, {VIDEO_SECONDS: 12}) is None


def test_a_link_of_unknown_length_offers_only_the_modes_with_a_most() -> None:
    entry = CATALOG["video2video"]
    link = {VIDEO_SECONDS: None}
    shown = {c.value for c in offered(entry, entry.option("mode"), {}, True, {}, link)}
    assert shown == {"dreamactor_m2", "kling_2_6_sfw"}
    options = resolve(entry, {}, {}, False, {}, link)
    assert options["mode"] == "kling_2_6_sfw"
    assert entry.price_of(options, link, 1) == 60
    assert entry.price_of({**options, "mode": "dreamactor_m2"}, link, 1.5) == 45


def _upscaler_formula() -> tuple[float, list[tuple[float, int]], int, int]:
    body = _sections(REFERENCE.read_text())["video_upscaler"]
    formula = re.search(
        rf"{NUMBER} credits x output megapixels x duration in seconds x FPS multiplier"
        r" \(x1 up to (\d+) fps, x2 up to (\d+) fps, x3 above\)",
        body,
    )
    side = re.search(r"at most (\d+) ?px on the longest side", body)
    assert formula and side, "video_upscaler: the price formula is worded otherwise"
    steps = [(float(formula.group(2)), 1), (float(formula.group(3)), 2)]
    return float(formula.group(1)), steps, 3, int(side.group(1))


@pytest.mark.parametrize(
    ("width", "height", "seconds", "fps", "factor"),
    [
        (1280, 720, 3, 30, "2"),
        (1280, 720, 3, 30, "4"),
        (640, 360, 2.5, 60, "4"),
        (640, 360, 2.5, 59.94, "8"),
        (1920, 1080, 1, 120, "max"),
        (720, 1280, 12.2, 24, "3"),
        (100, 100, 0.3, 25, "50"),
    ],
)
def test_video_upscaling_is_priced_by_the_references_formula(
    width: int, height: int, seconds: float, fps: float, factor: str
) -> None:
    rate, steps, above, longest = _upscaler_formula()
    scale = longest / max(width, height) if factor == "max" else int(factor)
    out_width, out_height = round(width * scale), round(height * scale)
    multiplier = next((times for limit, times in steps if fps <= limit), above)
    expected = rate * out_width * out_height / 1_000_000 * _started(seconds) * multiplier
    entry = CATALOG["video_upscaler"]
    measures = {VIDEO_WIDTH: width, VIDEO_HEIGHT: height, VIDEO_SECONDS: seconds, VIDEO_FPS: fps}
    credits = entry.price.provider_credits({"scale_factor": factor}, measures)
    assert credits == pytest.approx(expected)
    assert entry.price_of({"scale_factor": factor}, measures, 1) == math.ceil(round(expected, 6))


def test_only_scale_factors_within_5k_are_offered_for_a_video() -> None:
    _, _, _, longest = _upscaler_formula()
    entry = CATALOG["video_upscaler"]
    option = entry.option("scale_factor")
    for width, height in ((1280, 720), (640, 480), (3000, 2000), (100, 50)):
        measures = {VIDEO_WIDTH: width, VIDEO_HEIGHT: height, VIDEO_SECONDS: 4, VIDEO_FPS: 30}
        shown = {c.value for c in offered(entry, option, {}, False, {}, measures)}
        allowed = {
            c.value
            for c in option.choices
            if c.value == "max" or int(str(c.value)) * max(width, height) <= longest
        }
        assert shown == allowed
        assert "max" in shown
        chosen = resolve(entry, {}, {}, False, {}, measures)["scale_factor"]
        assert chosen == ("2" if "2" in allowed else "max")


def _videogen_field(name: str) -> str:
    body = _sections(REFERENCE.read_text())["videogen"]
    found = re.search(rf"^- `{name}` .*$", body, flags=re.MULTILINE)
    assert found, f"videogen: no field {name}"
    return found.group(0)


def _named(text: str) -> set[str]:
    return set(re.findall(r"`([^`]+)`", text))


def test_videogen_offers_every_priced_row_the_model_can_make_and_nothing_else() -> None:
    """Row by row of the reference's table: a resolution the field's words forbid for the
    model is absent from the keyboard, every other one is offered at the row's price."""
    resolution_words = _videogen_field("resolution")
    no_480p = _named(re.search(r"NOT supported by (.*?)\(", resolution_words).group(1))
    only = re.search(r"`(\S+)` accepts only (.*?)\.", resolution_words)
    assert no_480p and only
    limited = {only.group(1): _named(only.group(2))}
    entry = CATALOG["videogen"]
    resolution = entry.option("resolution")
    sources = {"loras": [SourceItem("lora_wave", "Wave")]}
    checked = 0
    for row in (row for row in ROWS if row.tool == "videogen"):
        (column,) = row.cells["@column"] or []
        for combination in _combinations(entry, row):
            choice = {key: value for key, value in combination.items() if key != "resolution"}
            options = resolve(entry, choice, {}, True, sources)
            model = options["model"]
            assert model == combination["model"]
            options = {**options, **choice}
            shown = {c.value for c in offered(entry, resolution, options, True, sources)}
            forbidden = (column == "480p" and model in no_480p) or (
                model in limited and column not in limited[model]
            )
            assert (column not in shown) is forbidden, (row.number, combination)
            if not forbidden:
                picked = resolve(entry, {**choice, "resolution": column}, {}, True, sources)
                assert picked["resolution"] == column
                assert entry.price.provider_credits(picked, {}) == row.credits
            checked += 1
    assert checked > 150


def test_videogen_asks_a_last_frame_and_offers_styles_only_where_the_reference_allows() -> None:
    last_frame = _named(
        re.search(r"models that support it \((.*?)\)", _videogen_field("last_frame")).group(1)
    )
    loras = _named(re.search(r"Only (.*?) uses this", _videogen_field("loras")).group(1))
    assert last_frame == {"kling@2.1", "seedance_pro", "seedance_v1_5_pro"}
    assert loras == {"wan@2.2-lora"}
    entry = CATALOG["videogen"]
    styles = entry.option("loras")
    sources = {"loras": [SourceItem("lora_wave", "Wave")]}
    for choice in entry.option("model").choices:
        model = choice.value
        asked = [item.name for item in entry.asked({"model": model})]
        assert ("last_frame" in asked) is (model in last_frame), model
        options = resolve(entry, {"model": model}, {}, True, sources)
        assert ("loras" in options) is (model in loras), model
        assert styles.requires["model"] == frozenset(loras)
    # Without a style to offer, the style model is not offered at all.
    models = {c.value for c in offered(entry, entry.option("model"), {}, True, {})}
    assert "wan@2.2-lora" not in models and "wan@2.2" in models


def test_video_defaults_are_safe_for_work_and_the_nsfw_ones_flagged() -> None:
    animate = resolve(CATALOG["videogen"], {}, {}, False, {})
    assert (animate["model"], animate["duration"], animate["resolution"]) == (
        "seedance_pro_fast",
        5,
        "720p",
    )
    assert CATALOG["videogen"].price_of(animate, {}, 1) == 4
    for choice in CATALOG["videogen"].option("model").choices:
        assert choice.nsfw is (choice.value in NSFW_VIDEO_MODELS)
    assert {"wan@2.7-nsfw"} <= NSFW_VIDEO_MODELS
    for choice in CATALOG["video2video"].option("mode").choices:
        assert choice.nsfw is str(choice.value).endswith("_nsfw")
    assert resolve(CATALOG["video2video"], {}, {}, False, {})["mode"] == "replace_sfw"
    defaults = {"video_model": "kling@2.6", "video_duration": 10, "video_resolution": "480p"}
    chosen = resolve(CATALOG["videogen"], {}, defaults, False, {})
    assert (chosen["model"], chosen["duration"], chosen["resolution"]) == ("kling@2.6", 10, "480p")
    assert chosen["generate_audio"] is True
    # A default the model cannot take gives way: WAN 2.6 makes no 480p.
    chosen = resolve(CATALOG["videogen"], {"model": "wan@2.6"}, defaults, False, {})
    assert chosen["resolution"] == "720p"
