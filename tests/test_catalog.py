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
from bot.catalog.model import Entry, SourceItem, Value, offered, resolve, visible
from bot.catalog.video import AUDIO_SECONDS
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
        words = re.search(r"\*\*Price:\*\* (\d+(?:\.\d+)?) credits?( per (image|second))?", body)
        if words:
            rules.append(Rule(tool, float(words.group(1)), words.group(3)))
    return rows, rules


ROWS, RULES = parse_reference()
PRICED_TOOLS = {row.tool for row in ROWS} | {rule.tool for rule in RULES}


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
