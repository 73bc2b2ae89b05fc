"""Every image tool end to end: what reaches the provider under the reference's field names,
and what the bot charged (the reference's price table)."""

from __future__ import annotations

from typing import Any

from bot import texts
from bot.playground.emulator import BotApiEmulator, EmulatedUser, SentMessage, make_jpeg
from tests.conftest import RunningBot
from tests.fakes.zencreator import FakeZenCreator, default_png
from tests.flows import accept_terms, create_actor, next_media

PHOTO = make_jpeg(color="green")
OTHER = make_jpeg(color="yellow")
FACE = make_jpeg(color="red")


async def choose(
    user: EmulatedUser, telegram: BotApiEmulator, message: SentMessage, option: str, choice: str
) -> None:
    """Open an option's list on the message (if it is one) and pick a value."""
    if not any(choice in label for label, _ in message.buttons()):
        await user.press(message, f"{option}:")
        await telegram.wait_until(lambda: any(choice in label for label, _ in message.buttons()))
    await user.press(message, choice)
    await telegram.wait_until(
        lambda: (
            f"✓ {choice}" in str(message.reply_markup)
            or f"{option}: {choice} ▸" in str(message.reply_markup)
        )
    )


def upload_of(zencreator: FakeZenCreator, asset_id: str) -> bytes:
    return next(upload.data for upload in zencreator.uploads if upload.asset_id == asset_id)


async def test_imagine_quotes_a_prompt_given_with_the_command_and_charges_the_table(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await ann.send_text("/imagine a red fox in the snow")
    quote = await ann.wait_for_text("Start?")
    assert quote.text == texts.quote("Picture", 1, 10, {})
    labels = [label for label, _ in quote.buttons()]
    assert "Model: General ▸" in labels
    assert not any("18+" in label for label in labels)
    await choose(ann, telegram, quote, "Model", "Nano Banana")
    await telegram.wait_until(lambda: "costs 2 credits" in (quote.text or ""))
    await choose(ann, telegram, quote, "Images", "3 images")
    await choose(ann, telegram, quote, "Shape", "9:16")
    await choose(ann, telegram, quote, "Style", "Curvy")
    zencreator.plan("by_prompt", outputs=[default_png()] * 3)
    await ann.press(quote, texts.start_button(2))

    generation = await zencreator.wait_for_generation()
    assert generation.tool == "by_prompt"
    assert generation.input["positive_prompt"] == "a red fox in the snow"
    assert generation.input["model"] == "NANO_BANANA"
    assert generation.input["batch_size"] == 3
    assert generation.input["ratio"] == "9:16"
    assert generation.input["mode"] == "fast"
    assert generation.input["loras"] == {"curvy": 1.0}
    await ann.wait_for_text(texts.result_card("Picture", 3, 2, 8, reusable=True))
    await bot.services.engine.wait_idle()
    assert await bot.services.ledger.balance(101) == 8
    # Only one quote was ever open: each change replaced it.
    jobs = await bot.services.jobs.recent(101)
    assert [job.state for job in jobs].count("delivered") == 1
    assert all(job.state in ("declined", "delivered") for job in jobs)


async def test_imagine_asks_for_the_prompt_and_orders_at_the_price_shown(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(credit_multiplier=1.5)
    ann = telegram.user(101)
    await ann.send_text("/imagine")
    question = await ann.wait_for_text("Step 1 of 1")
    assert "Picture costs 2 credits" in (question.text or "")
    await choose(ann, telegram, question, "Model", "Qwen Pro")
    await telegram.wait_until(lambda: "Price: 3 credits" in (question.text or ""))
    await ann.send_text("a lighthouse at dusk")
    generation = await zencreator.wait_for_generation()
    assert generation.input["model"] == "QWEN_IMAGE_PRO"
    assert generation.input["positive_prompt"] == "a lighthouse at dusk"
    assert await bot.services.ledger.balance(101) == 10 - 3


async def test_edit_takes_an_album_in_order_and_the_instruction(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await ann.send_text("/edit")
    await accept_terms(ann)
    await ann.wait_for_text("Step 1 of 2")
    await ann.send_photo(PHOTO, media_group_id="album-1")
    await ann.send_photo(OTHER, media_group_id="album-1")
    question = await ann.wait_for_text("Step 2 of 2: say what to change")
    assert "Price: 1 credit" in (question.text or "")
    await choose(ann, telegram, question, "Images", "2 images")
    await ann.send_text("put them on one sofa")
    generation = await zencreator.wait_for_generation()
    assert generation.tool == "image_editor"
    first, second = generation.input["image_assets"]
    assert (upload_of(zencreator, first), upload_of(zencreator, second)) == (PHOTO, OTHER)
    assert generation.input["prompt"] == "put them on one sofa"
    assert generation.input["model"] == "SEEDREAM_5"
    assert generation.input["number_of_images"] == 2
    assert generation.input["ratio"] is None
    assert len(zencreator.generations) == 1
    assert await bot.services.ledger.balance(101) == 8

    # A caption on the photo is the instruction: everything came at once, so it is quoted.
    await ann.send_text("/edit")
    await ann.wait_for_text("Step 1 of 2")
    await ann.send_photo(PHOTO, caption="make it night")
    quote = await ann.wait_for_text("Start?")
    await ann.press(quote, texts.start_button(1))
    captioned = await zencreator.wait_for_generation(2)
    assert captioned.input["prompt"] == "make it night"


async def test_upscale_shows_each_engine_and_size_with_its_price(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await ann.send_text("/upscale")
    question = await ann.wait_for_text("Step 1 of 1")
    await ann.press(question, "Engine:")
    await telegram.wait_until(lambda: any("Ultra" in label for label, _ in question.buttons()))
    labels = [label for label, _ in question.buttons()]
    assert "Ultra · 1 credit" in labels and "Premium · 2 credits" in labels
    await ann.press(question, "Ultra")
    await telegram.wait_until(lambda: "Engine: Ultra" in str(question.reply_markup))
    await ann.press(question, "Size:")
    await telegram.wait_until(lambda: any("32 MP" in label for label, _ in question.buttons()))
    assert "32 MP · 4 credits" in [label for label, _ in question.buttons()]
    await ann.press(question, "32 MP")
    await telegram.wait_until(lambda: "Price: 4 credits" in (question.text or ""))
    await ann.send_photo(PHOTO)
    generation = await zencreator.wait_for_generation()
    assert generation.tool == "upscaler"
    assert upload_of(zencreator, generation.input["image_asset"]) == PHOTO
    assert (generation.input["version"], generation.input["megapixels"]) == ("ultra_clarity", 32)
    await next_media(ann, "sendDocument")
    assert await bot.services.ledger.balance(101) == 6


async def test_similar_takes_a_reference_and_an_optional_face(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await ann.send_text("/similar")
    await accept_terms(ann)
    await ann.wait_for_text("Step 1 of 2")
    await ann.send_photo(PHOTO)
    question = await ann.wait_for_text("Step 2 of 2: optionally, send a face")
    await choose(ann, telegram, question, "Images", "4 images")
    await choose(ann, telegram, question, "Likeness to the reference", "Loose")
    await ann.press(question, texts.SKIP_BUTTON)
    generation = await zencreator.wait_for_generation()
    assert generation.tool == "by_ref"
    assert upload_of(zencreator, generation.input["ref_asset"]) == PHOTO
    assert generation.input["face_asset"] is None
    assert (generation.input["model"], generation.input["mode"]) == ("GENERAL", "fast")
    assert (generation.input["batch_size"], generation.input["strength"]) == (4, 0.5)
    assert generation.input["loras"] is None
    assert await bot.services.ledger.balance(101) == 9

    await ann.send_text("/similar")
    await ann.wait_for_text("Step 1 of 2")
    await ann.send_photo(OTHER)
    await ann.wait_for_text("Step 2 of 2")
    await ann.send_photo(FACE)
    second = await zencreator.wait_for_generation(2)
    assert upload_of(zencreator, second.input["face_asset"]) == FACE


async def test_photoshoot_offers_curated_categories_or_a_prompt(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(welcome_credits=30)
    zencreator.categories.append({"id": "cat_nude", "name": "Boudoir", "description": "Nude"})
    ann = telegram.user(101)
    await ann.send_text("/photoshoot")
    await accept_terms(ann)
    intro = await ann.wait_for_text("Step 1 of 3")
    assert "Photoshoot costs 3 credits" in (intro.text or "")
    await ann.send_photo(FACE)
    await ann.wait_for_text("Step 2 of 3")
    await ann.send_photo(PHOTO)
    question = await ann.wait_for_text("Step 3 of 3: pick a style")
    labels = [label for label, _ in question.buttons()]
    assert "Beach" in labels and "Street style" in labels
    assert "Boudoir" not in labels
    await choose(ann, telegram, question, "Images", "3 images")
    await telegram.wait_until(lambda: "Price: 9 credits" in (question.text or ""))
    await ann.press(question, "Beach")
    generation = await zencreator.wait_for_generation()
    assert generation.tool == "photoshoot"
    assert upload_of(zencreator, generation.input["face_ref"]) == FACE
    assert upload_of(zencreator, generation.input["body_ref"]) == PHOTO
    assert generation.input["category_id"] == "cat_beach"
    assert (generation.input["image_count"], generation.input["number_of_images"]) == (3, 1)
    assert await bot.services.ledger.balance(101) == 21

    await ann.send_text("/photoshoot")
    await ann.wait_for_text("Step 1 of 3")
    await ann.send_photo(FACE)
    await ann.wait_for_text("Step 2 of 3")
    await ann.send_photo(PHOTO)
    await ann.wait_for_text("Step 3 of 3")
    await ann.send_text("on a yacht at sunset, white linen")
    second = await zencreator.wait_for_generation(2)
    assert second.input["prompt"] == "on a yacht at sunset, white linen"
    assert second.input["category_id"] is None
    assert await bot.services.ledger.balance(101) == 18
    assert [r.path for r in zencreator.requests].count("/api/public/v1/photoshoot-categories") == 1


async def test_facegen_asks_the_attributes_on_keyboards(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await ann.send_text("/facegen")
    gender = await ann.wait_for_text("Step 1 of 3: a woman or a man?")
    await ann.press(gender, "Woman")
    age = await ann.wait_for_text("Step 2 of 3")
    await ann.press(age, "26-35")
    origin = await ann.wait_for_text("Step 3 of 3")
    assert "Price: 1 credit" in (origin.text or "")
    await ann.press(origin, texts.MORE_OPTIONS_BUTTON)
    await telegram.wait_until(lambda: "Hair colour: Any ▸" in str(origin.reply_markup))
    await choose(ann, telegram, origin, "Hair colour", "Red")
    await ann.press(origin, texts.BACK_BUTTON)
    await telegram.wait_until(lambda: texts.MORE_OPTIONS_BUTTON in str(origin.reply_markup))
    await ann.press(origin, "European")
    generation = await zencreator.wait_for_generation()
    assert generation.tool == "facegen"
    assert generation.input["gender"] == "Female"
    assert generation.input["age"] == "26-35"
    assert generation.input["origin"] == "European"
    assert generation.input["hair_color"] == "Red"
    assert generation.input["beard"] is None
    card = await ann.wait_for_text(texts.result_card("New face", 4, 1, 9, reusable=True))
    assert texts.RESULT_BUTTONS["actor"] in [label for label, _ in card.buttons()]
    assert await bot.services.ledger.balance(101) == 9


async def test_angles_charges_per_image(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await ann.send_text("/angles")
    question = await ann.wait_for_text("Step 1 of 1")
    assert "Price: 4 credits" in (question.text or "")
    await choose(ann, telegram, question, "Images", "6 images")
    await telegram.wait_until(lambda: "Price: 6 credits" in (question.text or ""))
    await ann.send_photo(PHOTO)
    generation = await zencreator.wait_for_generation()
    assert generation.tool == "carousel"
    assert upload_of(zencreator, generation.input["asset_ref"]) == PHOTO
    assert generation.input["number_of_images"] == 6
    assert await bot.services.ledger.balance(101) == 4


async def test_together_takes_two_faces_an_optional_place_and_prompt(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(welcome_credits=20)
    ann = telegram.user(101)
    await create_actor(ann, "Anna", [FACE])
    await ann.send_text("/together")
    first = await ann.wait_for_text("Step 1 of 4")
    await ann.press(first, texts.pick_actor_button("Anna"))
    await ann.wait_for_text("Step 2 of 4")
    await ann.send_photo(OTHER)
    location = await ann.wait_for_text("Step 3 of 4")
    await ann.press(location, texts.SKIP_BUTTON)
    prompt = await ann.wait_for_text("Step 4 of 4")
    await choose(ann, telegram, prompt, "Images", "2 images")
    await ann.send_text("dancing at a wedding")
    generation = await zencreator.wait_for_generation()
    assert generation.tool == "collaber"
    assert upload_of(zencreator, generation.input["asset_image_1"]) == FACE
    assert upload_of(zencreator, generation.input["asset_image_2"]) == OTHER
    assert generation.input["location_asset"] is None
    assert generation.input["prompt"] == "dancing at a wedding"
    assert generation.input["number_of_images"] == 2
    assert await bot.services.ledger.balance(101) == 18


async def test_face_swap_sends_the_resolution(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await ann.send_text("/faceswap")
    await accept_terms(ann)
    await ann.wait_for_text("Step 1 of 2")
    await ann.send_photo(FACE)
    question = await ann.wait_for_text("Step 2 of 2")
    assert "✓ 4K" in str(question.reply_markup)
    await choose(ann, telegram, question, "Resolution", "2K")
    await ann.send_photo(PHOTO)
    generation = await zencreator.wait_for_generation()
    assert (generation.input["model"], generation.input["resolution"]) == ("SDXL", "2K")


async def test_the_offline_mock_runs_a_tool_with_its_own_lists(
    telegram: BotApiEmulator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(zencreator_api_key="", welcome_credits=20)
    ann = telegram.user(101)
    await ann.send_text("/photoshoot")
    await accept_terms(ann)
    await ann.wait_for_text("Step 1 of 3")
    await ann.send_photo(FACE)
    await ann.wait_for_text("Step 2 of 3")
    await ann.send_photo(PHOTO)
    question = await ann.wait_for_text("Step 3 of 3")
    assert "Street style" in [label for label, _ in question.buttons()]
    await ann.press(question, "Street style")
    # The mock takes 3 s; the first job of a tool is polled at doubling intervals.
    await telegram.wait_until(
        lambda: any(m.method == "sendPhoto" for m in ann.messages()), timeout=15
    )
    (job,) = await bot.services.jobs.recent(101)
    assert job.spec["options"]["category_id"] == "mock-category-street"
