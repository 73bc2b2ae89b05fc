"""The photo-first menu (every button), albums in, results that chain into the next tool with
no upload, and *Save as actor*."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot import texts
from bot.playground.emulator import MB, BotApiEmulator, EmulatedUser, SentMessage, make_jpeg
from tests.conftest import RunningBot
from tests.fakes.zencreator import FakeZenCreator, default_png
from tests.flows import accept_terms

PHOTO = make_jpeg(color="green")
OTHER = make_jpeg(color="yellow")
FACE = make_jpeg(color="red")


async def open_menu(user: EmulatedUser, caption: str | None = None) -> SentMessage:
    await user.send_photo(PHOTO, caption=caption)
    return await user.wait_for_text("What should I do with this photo?")


async def answer_to(
    telegram: BotApiEmulator, user: EmulatedUser, message: SentMessage, button: str
) -> str | None:
    """Press the button; what the bot answered the press with."""
    answered = len(user.callback_answers())
    await user.press(message, button)
    await telegram.wait_until(lambda: len(user.callback_answers()) > answered)
    text: str | None = user.callback_answers()[-1].get("text")
    return text


def upload_of(zencreator: FakeZenCreator, asset_id: str) -> bytes:
    return next(upload.data for upload in zencreator.uploads if upload.asset_id == asset_id)


async def test_the_menu_shows_every_tool_with_its_price(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    menu = await open_menu(ann)
    assert [label for label, _ in menu.buttons()] == [
        "Face swap: use as face · 1 credit",
        "Face swap: use as target · 1 credit",
        "Edit · 1 credit",
        "Upscale · 1 credit",
        "Similar · 1 credit",
        "Angles · 4 credits",
        "Lipsync (as portrait) · 3 credits/s",
        "Animate · 4 credits",
        "Save as actor",
    ]


async def test_an_image_the_menu_cannot_take_gets_the_reason(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await ann.send_photo(PHOTO, file_size=30 * 1024 * 1024)
    assert (await ann.next_message()).text == texts.file_too_large(20 * 1024 * 1024)
    await ann.send_document(PHOTO, file_name="p.gif", mime_type="image/gif")
    assert (await ann.next_message()).text == texts.image_type_refused("JPG, PNG, WEBP")
    assert await bot.services.flows.get(101) is None
    await open_menu(ann)


async def test_face_swap_buttons_fill_the_face_or_the_target(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    menu = await open_menu(ann)
    await ann.press(menu, "use as face")
    await accept_terms(ann)
    await ann.wait_for_text("Step 2 of 2: now send the target")
    await ann.send_photo(OTHER)
    first = await zencreator.wait_for_generation()
    assert upload_of(zencreator, first.input["face_asset"]) == PHOTO
    assert upload_of(zencreator, first.input["ref_asset"]) == OTHER

    menu = await open_menu(ann)
    await ann.press(menu, "use as target")
    await ann.wait_for_text("Step 1 of 2: send the face photo")
    await ann.send_photo(FACE)
    second = await zencreator.wait_for_generation(2)
    assert upload_of(zencreator, second.input["face_asset"]) == FACE
    assert upload_of(zencreator, second.input["ref_asset"]) == PHOTO
    assert await bot.services.ledger.balance(101) == 8


async def test_edit_uses_the_caption_as_the_instruction_and_quotes(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    menu = await open_menu(ann, caption="make the sky purple")
    await ann.press(menu, "Edit")
    await accept_terms(ann)
    quote = await ann.wait_for_text("Start?")
    assert quote.text == texts.quote("Edit", 1, 10, {})
    assert zencreator.starts == []
    await ann.press(quote, texts.start_button(1))
    generation = await zencreator.wait_for_generation()
    assert generation.input["prompt"] == "make the sky purple"
    assert [upload_of(zencreator, a) for a in generation.input["image_assets"]] == [PHOTO]

    menu = await open_menu(ann)
    await ann.press(menu, "Edit")
    await ann.wait_for_text("Step 2 of 2: say what to change")


async def test_upscale_similar_and_angles_start_with_the_photo(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    menu = await open_menu(ann)
    await ann.press(menu, "Upscale")
    quote = await ann.wait_for_text("Start?")
    assert "Engine: Basic ▸" in [label for label, _ in quote.buttons()]
    await ann.press(quote, texts.start_button(1))
    upscaled = await zencreator.wait_for_generation()
    assert upscaled.tool == "upscaler"
    assert upload_of(zencreator, upscaled.input["image_asset"]) == PHOTO

    menu = await open_menu(ann)
    await ann.press(menu, "Similar")
    await accept_terms(ann)
    await ann.wait_for_text("Step 2 of 2: optionally, send a face")
    await ann.send_text("/cancel")
    await ann.wait_for_text(texts.CANCELLED)

    menu = await open_menu(ann)
    await ann.press(menu, "Angles")
    quote = await ann.wait_for_text("Start?")
    await ann.press(quote, texts.start_button(4))
    angles = await zencreator.wait_for_generation(2)
    assert angles.tool == "carousel"
    assert upload_of(zencreator, angles.input["asset_ref"]) == PHOTO


async def test_lipsync_takes_the_photo_as_its_portrait(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    menu = await open_menu(ann)
    await ann.press(menu, "Lipsync")
    await accept_terms(ann)
    await ann.wait_for_text("Step 2 of 2: now send the audio")
    await ann.send_voice(duration=2)
    quote = await ann.wait_for_text("Start?")
    await ann.press(quote, texts.start_button(6))
    generation = await zencreator.wait_for_generation()
    assert upload_of(zencreator, generation.input["image_asset"]) == PHOTO


async def test_save_as_actor_from_the_menu(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    photo = await ann.send_photo(PHOTO)
    menu = await ann.wait_for_text("What should I do with this photo?")
    await ann.press(menu, "Save as actor")
    await accept_terms(ann)
    await ann.wait_for_text(texts.NEW_ACTOR_NAME_FOR_PHOTO)
    await ann.send_text("Greta")
    count = await ann.wait_for_text(texts.actor_photos_saved("Greta", 1))
    await ann.press(count, texts.DONE_BUTTON)
    voice = await ann.wait_for_text("Optional: send a voice sample")
    await ann.press(voice, texts.SKIP_BUTTON)
    await ann.wait_for_text(texts.actor_saved("Greta"))
    (actor,) = await bot.services.actors.list(101)
    assert actor.name == "Greta"
    assert actor.primary_photo.file_unique_id == photo.file_unique_id
    assert zencreator.uploads == [] and zencreator.starts == []


async def test_a_button_refuses_an_image_its_tool_cannot_take_and_the_menu_stays(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    """Lipsync takes portraits under 5 MB and an actor's photos are kept for it: a larger PNG
    file is refused as it would be at their own questions, a WebP one by the actor's
    formats, and the menu's other buttons still work."""
    ann = telegram.user(101)
    await ann.send_document(PHOTO, file_name="p.png", mime_type="image/png", file_size=8 * MB)
    menu = await ann.wait_for_text("What should I do with this photo?")
    too_large = texts.file_too_large(5 * MB)
    assert await answer_to(telegram, ann, menu, "Lipsync") == too_large
    assert await answer_to(telegram, ann, menu, "Save as actor") == too_large
    await ann.press(menu, "Upscale")
    await ann.wait_for_text("Start?")

    await ann.send_document(PHOTO, file_name="p.webp", mime_type="image/webp")
    menu = await ann.wait_for_text("What should I do with this photo?")
    assert await answer_to(telegram, ann, menu, "Save as actor") == texts.ACTOR_PHOTO_TYPES_REFUSED
    await ann.press(menu, "Upscale")
    await ann.wait_for_text("Start?")
    assert await bot.services.actors.list(101) == []


async def test_an_album_sent_outside_a_flow_opens_one_menu(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await ann.send_photo(PHOTO, media_group_id="trip", caption="put us on the moon")
    await ann.send_photo(OTHER, media_group_id="trip")
    await ann.send_photo(FACE, media_group_id="trip")
    menu = await ann.wait_for_text("What should I do with these 3 photos?")
    await ann.press(menu, "Edit")
    await accept_terms(ann)
    quote = await ann.wait_for_text("Start?")
    await ann.press(quote, texts.start_button(1))
    generation = await zencreator.wait_for_generation()
    assert [upload_of(zencreator, a) for a in generation.input["image_assets"]] == [
        PHOTO,
        OTHER,
        FACE,
    ]
    assert generation.input["prompt"] == "put us on the moon"
    assert sum("What should I do" in (m.text or "") for m in ann.messages()) == 1
    assert len(zencreator.generations) == 1


async def finished_picture(
    ann: EmulatedUser, zencreator: FakeZenCreator, outputs: int = 1
) -> SentMessage:
    """Make a picture through /imagine; returns its result card."""
    zencreator.plan("by_prompt", outputs=[default_png()] * outputs)
    await ann.send_text("/imagine")
    await ann.wait_for_text("describe the picture")
    await ann.send_text("a red fox")
    made = texts.result_card("Picture", outputs, 1, 0, reusable=True).splitlines()[0]
    return await ann.wait_for_text(made)


async def test_a_result_chains_into_the_next_tool_without_an_upload(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    card = await finished_picture(ann, zencreator)
    picture = await zencreator.wait_for_generation()
    (output,) = picture.outputs
    await ann.press(card, texts.RESULT_BUTTONS["upscale"])
    quote = await ann.wait_for_text("Start?")
    await ann.press(quote, texts.start_button(1))
    upscale = await zencreator.wait_for_generation(2)
    assert upscale.input["image_asset"] == output.id
    assert zencreator.uploads == []

    await ann.press(card, texts.RESULT_BUTTONS["swap"])
    await accept_terms(ann)
    await ann.wait_for_text("Step 1 of 2: send the face photo")
    await ann.send_photo(FACE)
    swap = await zencreator.wait_for_generation(3)
    assert swap.input["ref_asset"] == output.id
    assert [upload.data for upload in zencreator.uploads] == [FACE]

    await ann.press(card, texts.RESULT_BUTTONS["edit"])
    await ann.wait_for_text("Step 2 of 2: say what to change")
    await ann.send_text("add snow")
    edit = await zencreator.wait_for_generation(4)
    assert edit.input["image_assets"] == [output.id]
    assert await bot.services.ledger.balance(101) == 10 - 4


async def test_again_quotes_the_same_job_and_a_result_of_several_asks_which(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    card = await finished_picture(ann, zencreator, outputs=2)
    picture = await zencreator.wait_for_generation()
    await ann.press(card, texts.RESULT_BUTTONS["again"])
    quote = await ann.wait_for_text("The same picture again")
    assert quote.text == texts.again_quote("Picture", 1, 9)
    assert len(zencreator.generations) == 1
    await ann.press(quote, texts.start_button(1))
    again = await zencreator.wait_for_generation(2)
    assert again.input == picture.input

    await ann.press(card, texts.RESULT_BUTTONS["upscale"])
    which = await ann.wait_for_text(texts.WHICH_RESULT)
    await ann.press(which, "2")
    quote = await ann.wait_for_text("Upscale costs 1 credit")
    await ann.press(quote, texts.start_button(1))
    upscale = await zencreator.wait_for_generation(3)
    assert upscale.input["image_asset"] == picture.outputs[1].id


async def test_an_old_result_still_chains_and_one_without_an_asset_says_it_expired(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    card = await finished_picture(ann, zencreator)
    await bot.services.engine.wait_idle()
    (job,) = await bot.services.jobs.recent(101)
    weeks_ago = (datetime.now(UTC) - timedelta(weeks=6)).isoformat()
    async with bot.services.db.transaction() as tx:
        await tx.execute("UPDATE jobs SET created_at = ? WHERE id = ?", (weeks_ago, job.id))
    await ann.press(card, texts.RESULT_BUTTONS["upscale"])
    await ann.wait_for_text("Upscale costs 1 credit")

    # A job recorded before outputs kept their asset id cannot be reused, and says so.
    async with bot.services.db.transaction() as tx:
        await tx.execute(
            "UPDATE jobs SET outputs = ? WHERE id = ?", ('["https://cdn.example/1.png"]', job.id)
        )
    answered = len(ann.callback_answers())
    await ann.press(card, texts.RESULT_BUTTONS["edit"])
    await telegram.wait_until(lambda: len(ann.callback_answers()) == answered + 1)
    assert ann.callback_answers()[-1]["text"] == texts.RESULT_EXPIRED
    assert await bot.services.ledger.balance(101) == 9


async def test_someone_elses_result_button_is_refused(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann, eve = telegram.user(101), telegram.user(666, "Eve")
    card = await finished_picture(ann, zencreator)
    await eve.send_text("/balance")
    eves_view = await eve.next_message()
    for _, data in card.buttons():
        await eve.press_data(eves_view, data)
    await telegram.wait_until(lambda: len(eve.callback_answers()) == len(card.buttons()))
    assert {answer["text"] for answer in eve.callback_answers()} == {texts.RESULT_GONE}
    assert len(zencreator.generations) == 1
    assert await bot.services.ledger.balance(666) == 10


async def test_a_generated_face_is_saved_as_an_actor(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot()
    ann = telegram.user(101)
    face = make_jpeg(320, 320, color="pink")
    zencreator.plan("facegen", outputs=[face, default_png()])
    await ann.send_text("/facegen")
    await ann.press(await ann.wait_for_text("Step 1 of 3"), "Man")
    await ann.press(await ann.wait_for_text("Step 2 of 3"), "36-45")
    await ann.press(await ann.wait_for_text("Step 3 of 3"), "East Asian")
    card = await ann.wait_for_text(texts.result_card("New face", 2, 1, 9, reusable=True))
    await ann.press(card, texts.RESULT_BUTTONS["actor"])
    which = await ann.wait_for_text(texts.WHICH_RESULT)
    await ann.press(which, "1")
    saved = await ann.wait_for_text(texts.SAVED_FACE_CAPTION)
    assert telegram.file_content(saved.file_id or "") == face
    await accept_terms(ann)
    await ann.wait_for_text(texts.NEW_ACTOR_NAME_FOR_PHOTO)
    await ann.send_text("Kenji")
    await ann.wait_for_text(texts.actor_photos_saved("Kenji", 1))
    (actor,) = await bot.services.actors.list(101)
    assert actor.primary_photo.file_id == saved.file_id


async def test_a_generated_face_gone_from_the_ai_service_is_said_to_have_expired(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot()
    ann = telegram.user(101)
    await ann.send_text("/facegen")
    await ann.press(await ann.wait_for_text("Step 1 of 3"), "Woman")
    await ann.press(await ann.wait_for_text("Step 2 of 3"), "26-35")
    await ann.press(await ann.wait_for_text("Step 3 of 3"), "European")
    card = await ann.wait_for_text(texts.result_card("New face", 4, 1, 9, reusable=True))
    await bot.services.engine.wait_idle()
    (job,) = await bot.services.jobs.recent(101)
    gone = job.outputs[0].model_copy(update={"url": f"{zencreator.base_url}/files/gone"})
    outputs = [gone, *job.outputs[1:]]
    async with bot.services.db.transaction() as tx:
        await tx.execute(
            "UPDATE jobs SET outputs = json(?) WHERE id = ?",
            (f"[{', '.join(output.model_dump_json() for output in outputs)}]", job.id),
        )
    await ann.press(card, texts.RESULT_BUTTONS["actor"])
    which = await ann.wait_for_text(texts.WHICH_RESULT)
    assert await answer_to(telegram, ann, which, "1") == texts.RESULT_EXPIRED
    await ann.send_text("/balance")
    await ann.wait_for_text("Your balance")
    assert not any(m.text == texts.SOMETHING_WENT_WRONG for m in ann.messages())
    assert await bot.services.actors.list(101) == []
