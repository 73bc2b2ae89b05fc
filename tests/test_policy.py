"""/settings (kept across restarts) and the content policy: SFW by default, NSFW models only
with ALLOW_NSFW and after the user confirmed they are 18+, undressing never offered."""

from __future__ import annotations

from typing import Any

from bot import texts
from bot.catalog import CATALOG
from bot.catalog.image import NSFW_MODELS
from bot.playground.emulator import BotApiEmulator, EmulatedUser, SentMessage, make_jpeg
from tests.conftest import RunningBot
from tests.fakes.zencreator import FakeZenCreator
from tests.flows import accept_terms

NSFW_LABELS = {
    choice.label
    for entry in CATALOG.values()
    for option in entry.options
    for choice in option.choices
    if choice.nsfw
}


def labels(message: SentMessage) -> list[str]:
    return [label for label, _ in message.buttons()]


async def open_list(
    user: EmulatedUser, telegram: BotApiEmulator, message: SentMessage, option: str
) -> list[str]:
    """Open an option's list and return its buttons' labels."""
    await user.press(message, f"{option}:")
    await telegram.wait_until(lambda: texts.BACK_BUTTON in labels(message))
    return labels(message)


async def back(user: EmulatedUser, telegram: BotApiEmulator, message: SentMessage) -> None:
    await user.press(message, texts.BACK_BUTTON)
    await telegram.wait_until(lambda: texts.BACK_BUTTON not in labels(message))


def list_styles(zencreator: FakeZenCreator) -> None:
    """The fake's by_prompt schema lists two named styles next time: one harmless, one that
    undresses."""
    styles = {"film_grain": {"type": "number"}, "strip": {"type": "number"}}
    schema = {"properties": {"loras": {"type": ["object", "null"], "properties": styles}}}
    zencreator.respond_next(
        "GET /tools/by_prompt", json={"name": "by_prompt", "input_schema": schema}
    )


async def test_a_double_tap_on_a_setting_saves_it_and_answers_both_taps(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await ann.send_text("/settings")
    settings = await ann.wait_for_text(texts.SETTINGS_INTRO)
    await ann.press(settings, "Images per job:")
    await telegram.wait_until(lambda: texts.BACK_BUTTON in labels(settings))
    await ann.press(settings, "3 images")
    await ann.press(settings, "3 images")  # before the first tap's edit showed
    await telegram.wait_until(lambda: len(ann.callback_answers()) == 3)
    await bot.application.update_queue.join()  # marked done once its handlers ran
    assert "Images per job: 3 images ▸" in labels(settings)
    assert not any(m.text == texts.SOMETHING_WENT_WRONG for m in ann.messages())


async def test_settings_are_kept_across_a_restart_and_fill_every_flow(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    first = await start_bot()
    ann = telegram.user(101)
    await ann.send_text("/settings")
    settings = await ann.wait_for_text(texts.SETTINGS_INTRO)
    for setting, value in (
        ("Picture model", "Nano Banana"),
        ("Images per job", "3 images"),
        ("Face swap model", "Advanced"),
        ("Face swap resolution", "2K"),
    ):
        await ann.press(settings, f"{setting}:")
        await telegram.wait_until(lambda: texts.BACK_BUTTON in labels(settings))
        assert f"✓ {value}" not in labels(settings)
        await ann.press(settings, value)
        await telegram.wait_until(lambda s=setting, v=value: f"{s}: {v} ▸" in labels(settings))
    await first.stop()

    second: RunningBot = await start_bot()
    await ann.send_text("/settings")
    again = await ann.wait_for_text(texts.SETTINGS_INTRO)
    assert "Picture model: Nano Banana ▸" in labels(again)
    assert "Face swap resolution: 2K ▸" in labels(again)
    await ann.send_text("/imagine")
    question = await ann.wait_for_text("Step 1 of 1")
    assert "Picture costs 2 credits" in (question.text or "")
    assert "Model: Nano Banana ▸" in labels(question)
    await ann.send_text("a cat")
    generation = await zencreator.wait_for_generation()
    assert (generation.input["model"], generation.input["batch_size"]) == ("NANO_BANANA", 3)

    await ann.send_text("/faceswap")
    await accept_terms(ann)
    await ann.wait_for_text("Step 1 of 2")
    await ann.send_photo(make_jpeg(color="red"))
    target = await ann.wait_for_text("Step 2 of 2")
    assert "✓ Advanced · 1 credit" in labels(target) and "✓ 2K · 1 credit" in labels(target)
    # One job may differ from the defaults; they stay as they are.
    await ann.press(target, "Full head")
    await telegram.wait_until(lambda: "✓ Full head · 1 credit" in labels(target))
    await ann.send_photo(make_jpeg(color="blue"))
    swap = await zencreator.wait_for_generation(2)
    assert (swap.input["model"], swap.input["resolution"]) == ("FULL_HEAD", "2K")
    assert (await second.services.user_settings.get(101))["faceswap_model"] == "GENERAL_ADVANCED"


async def test_settings_show_the_default_a_flow_uses_for_a_choice_no_longer_offered(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    """An 18+ model kept from while NSFW was allowed, and a value the catalog dropped, are
    not what a flow uses: /settings shows the default it uses instead."""
    first: RunningBot = await start_bot(allow_nsfw=True)
    ann = telegram.user(101)
    await ann.send_text("/start")
    await ann.wait_for_text("Hi Ann")
    await first.services.users.confirm_adult(101)
    await first.services.user_settings.put(101, "image_model", "GENERAL_NSFW")
    await first.services.user_settings.put(101, "video_model", "wan@1.0")
    await first.stop()

    await start_bot()
    await ann.send_text("/settings")
    settings = await ann.wait_for_text(texts.SETTINGS_INTRO)
    assert "Picture model: General ▸" in labels(settings)
    assert "Video model: Seedance Pro Fast ▸" in labels(settings)
    await ann.press(settings, "Picture model:")
    await telegram.wait_until(lambda: "✓ General" in labels(settings))
    await ann.send_text("/imagine")
    question = await ann.wait_for_text("Step 1 of 1")
    assert "Model: General ▸" in labels(question)


async def test_with_nsfw_off_no_nsfw_model_or_undressing_appears_anywhere(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    list_styles(zencreator)
    ann = telegram.user(101)
    await ann.send_text("/settings")
    settings = await ann.wait_for_text(texts.SETTINGS_INTRO)
    assert texts.ADULT_SETTING_BUTTON not in labels(settings)
    shown = await open_list(ann, telegram, settings, "Picture model")
    assert not NSFW_LABELS & {label.removeprefix("✓ ") for label in shown}

    await ann.send_text("/imagine a cat")
    quote = await ann.wait_for_text("Start?")
    assert texts.ADULT_MODELS_BUTTON not in labels(quote)
    models = await open_list(ann, telegram, quote, "Model")
    assert not any("18+" in label for label in models)
    await back(ann, telegram, quote)
    styles = await open_list(ann, telegram, quote, "Style")
    assert any("Film grain" in label for label in styles)
    assert not any("Strip" in label for label in styles)

    await ann.send_text("/similar")
    await accept_terms(ann)
    await ann.wait_for_text("Step 1 of 2")
    await ann.send_photo(make_jpeg())
    question = await ann.wait_for_text("Step 2 of 2")
    assert not any("18+" in label for label in labels(question))

    await ann.send_text("/edit make it blue")
    question = await ann.wait_for_text("Step 1 of 2")
    models = await open_list(ann, telegram, question, "Model")
    assert not any("18+" in label for label in models)
    # A forged button for a choice that is not shown cannot pick it.
    forged = question.buttons()[0][1].rsplit(":", 1)[0] + ":99"
    await ann.press_data(question, forged)
    await telegram.wait_until(lambda: ann.callback_answers()[-1].get("text") == texts.STALE_BUTTON)
    await back(ann, telegram, question)
    assert not any("Template" in label for label in labels(question))
    await ann.send_photo(make_jpeg())
    generation = await zencreator.wait_for_generation()
    assert generation.input["model"] == "SEEDREAM_5"
    assert not any(
        job.spec["options"].get("model") in NSFW_MODELS
        for job in await bot.services.jobs.recent(101)
    )


async def test_with_nsfw_on_models_appear_only_after_the_18_plus_confirmation(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(allow_nsfw=True)
    list_styles(zencreator)
    ann = telegram.user(101)
    await ann.send_text("/imagine a cat")
    quote = await ann.wait_for_text("Start?")
    models = await open_list(ann, telegram, quote, "Model")
    assert not any("18+" in label for label in models)
    await back(ann, telegram, quote)
    await ann.press(quote, texts.ADULT_MODELS_BUTTON)
    await telegram.wait_until(lambda: texts.ADULT_CONFIRM_BUTTON in labels(quote))
    assert ann.callback_answers()[-1]["text"] == texts.ADULT_QUESTION
    account = await bot.services.users.get(101)
    assert account is not None and account.adult_confirmed_at is None
    await ann.press(quote, texts.ADULT_CONFIRM_BUTTON)
    await telegram.wait_until(lambda: texts.ADULT_CONFIRM_BUTTON not in labels(quote))
    assert texts.ADULT_MODELS_BUTTON not in labels(quote)
    models = await open_list(ann, telegram, quote, "Model")
    assert "SDXL 18+ · 1 credit" in models and "Flux Klein 18+ · 2 credits" in models
    await ann.press(quote, "SDXL 18+")
    await telegram.wait_until(lambda: "Model: SDXL 18+ ▸" in labels(quote))
    await ann.press(quote, "Quality")
    await telegram.wait_until(lambda: texts.start_button(2) in labels(quote))
    styles = await open_list(ann, telegram, quote, "Style")
    assert any("Film grain" in label for label in styles)
    assert not any("Strip" in label for label in styles)
    await back(ann, telegram, quote)
    await ann.press(quote, texts.start_button(2))
    generation = await zencreator.wait_for_generation()
    assert (generation.input["model"], generation.input["mode"]) == ("SDXL_NSFW", "quality")

    # Templates come with the template model, never one that offers undressing.
    await ann.send_text("/edit make it moody")
    await accept_terms(ann)
    edit = await ann.wait_for_text("Step 1 of 2")
    await open_list(ann, telegram, edit, "Model")
    await ann.press(edit, "Flux Klein templates 18+")
    await telegram.wait_until(lambda: "Template: Watercolor portrait ▸" in labels(edit))
    templates = await open_list(ann, telegram, edit, "Template")
    assert [label.removeprefix("✓ ") for label in templates[:-1]] == [
        "Watercolor portrait · 3 credits"
    ]
    await back(ann, telegram, edit)
    assert "Price: 3 credits" in (edit.text or "")
    await ann.send_photo(make_jpeg())
    editing = await zencreator.wait_for_generation(2)
    assert (editing.input["model"], editing.input["lora_id"]) == (
        "FLUX_KLEIN_LORA",
        "tpl_watercolor",
    )
    assert await bot.services.ledger.balance(101) == 10 - 2 - 3
