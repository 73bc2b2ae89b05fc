"""The one flow: one active flow per user, /cancel, edits drive nothing, restarts lose no step,
stale buttons, prompts over the limit, and the photo menu's albums."""

from __future__ import annotations

from typing import Any

import pytest

from bot import studio, texts
from bot.flow import MENU
from bot.playground.emulator import BotApiEmulator, make_jpeg
from tests.conftest import RunningBot
from tests.fakes.zencreator import FakeZenCreator
from tests.flows import FACE, TARGET, accept_terms, next_media, start_faceswap, start_new_actor

PORTRAIT = make_jpeg(color="orange")


async def test_a_new_command_ends_the_flow_before_it(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    """At face swap step 2, /lipsync and a portrait make a lipsync, not a face swap."""
    ann = telegram.user(101)
    await start_faceswap(ann)
    await ann.send_photo(FACE)
    await ann.wait_for_text("Step 2 of 2")
    await ann.send_text("/lipsync")
    assert (await ann.next_message()).text == texts.flow_left("Face swap")
    await ann.wait_for_text("Step 1 of 2: send a portrait")
    await ann.send_photo(PORTRAIT)
    await ann.wait_for_text("Step 2 of 2: now send the audio")
    assert zencreator.generations == {}
    assert await bot.services.ledger.balance(101) == 10
    flow = await bot.services.flows.get(101)
    assert flow is not None and flow.tool == "lipsync"


async def test_cancel_ends_the_flow_and_every_message_after_it_is_handled(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await ann.send_text("/lipsync")
    await accept_terms(ann)
    await ann.wait_for_text("Step 1 of 2")
    await ann.send_photo(PORTRAIT)
    await ann.wait_for_text("Step 2 of 2")
    await ann.send_text("/faceswap")
    await ann.wait_for_text("Step 1 of 2")
    await ann.send_text("/cancel")
    assert (await ann.next_message()).text == texts.CANCELLED
    assert await bot.services.flows.get(101) is None
    await ann.send_voice(duration=3)
    assert (await ann.next_message()).text == texts.NOT_UNDERSTOOD
    await ann.send_text("/cancel")
    assert (await ann.next_message()).text == texts.NOTHING_TO_CANCEL
    assert zencreator.requests == []


async def test_a_tool_command_ends_the_actor_conversation(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    """The actor conversation gives way too: the next text is the prompt, not a name."""
    ann = telegram.user(101)
    await start_new_actor(ann)
    await ann.send_text("/imagine")
    question = await ann.wait_for_text("Step 1 of 1: describe the picture")
    await ann.send_text("Anna on a beach")
    generation = await zencreator.wait_for_generation()
    assert generation.input["positive_prompt"] == "Anna on a beach"
    assert await bot.services.actors.list(101) == []
    assert "1 credit" in (question.text or "")


async def test_newactor_ends_a_tool_flow(telegram: BotApiEmulator, bot: RunningBot) -> None:
    ann = telegram.user(101)
    await ann.send_text("/imagine")
    await ann.wait_for_text("describe the picture")
    await ann.send_text("/newactor")
    assert (await ann.next_message()).text == texts.flow_left("Picture")
    await accept_terms(ann)
    await ann.wait_for_text("What's their name?")
    await ann.send_text("Anna")
    await ann.wait_for_text("Now send photos")
    assert await bot.services.flows.get(101) is None


async def test_an_edited_grant_grants_once_and_an_edited_broadcast_sends_once(
    telegram: BotApiEmulator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(admin_ids="7")
    admin, ann = telegram.user(7, "Admin"), telegram.user(101)
    await ann.send_text("/start")
    await ann.wait_for_text("Hi Ann")
    await admin.send_text("/grant 101 500")
    await admin.wait_for_text(texts.granted(101, 500, 510))
    await admin.edit(admin.last_sent_id, text="/grant 101 50")
    await admin.send_text("/broadcast Hello everyone")
    await admin.wait_for_text("Broadcast #1 finished")
    await admin.edit(admin.last_sent_id, text="/broadcast Hello everyone!")
    await admin.send_text("/balance")
    await admin.wait_for_text("Your balance")
    assert await bot.services.ledger.balance(101) == 510
    assert [m.text for m in ann.messages()].count("Hello everyone") == 1
    assert not any("Hello everyone!" in (m.text or "") for m in ann.messages())
    assert not any("Broadcast #2" in (m.text or "") for m in admin.messages())


async def test_an_edited_photo_feeds_nothing_to_the_flow(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await start_faceswap(ann)
    await ann.send_photo(FACE)
    face_message = ann.last_sent_id
    await ann.wait_for_text("Step 2 of 2")
    await ann.edit(face_message, photo=TARGET)
    await ann.send_text("/balance")
    assert (await ann.next_message()).text == "Your balance: 10 credits"
    assert zencreator.requests == []
    flow = await bot.services.flows.get(101)
    assert flow is not None and flow.step == 1
    await ann.send_photo(TARGET)
    generation = await zencreator.wait_for_generation()
    face_upload = next(
        u for u in zencreator.uploads if u.asset_id == generation.input["face_asset"]
    )
    assert face_upload.data == FACE


async def test_a_restart_between_two_photos_loses_no_step(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    first = await start_bot()
    ann = telegram.user(101)
    await start_faceswap(ann)
    await ann.send_photo(FACE)
    await ann.wait_for_text("Step 2 of 2")
    await first.stop()

    second = await start_bot()
    await ann.send_photo(TARGET)
    generation = await zencreator.wait_for_generation()
    await next_media(ann, "sendDocument")
    uploads = {upload.asset_id: upload.data for upload in zencreator.uploads}
    assert uploads[generation.input["face_asset"]] == FACE
    assert uploads[generation.input["ref_asset"]] == TARGET
    assert await second.services.ledger.balance(101) == 9


async def test_a_button_of_an_older_question_is_refused(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await start_faceswap(ann)
    await ann.send_photo(FACE)
    target_question = await ann.wait_for_text("Step 2 of 2")
    await ann.send_text("/faceswap")
    await ann.wait_for_text("Step 1 of 2")
    answered = len(ann.callback_answers())
    await ann.press(target_question, "Advanced")
    await telegram.wait_until(lambda: len(ann.callback_answers()) == answered + 1)
    assert ann.callback_answers()[-1]["text"] == texts.STALE_BUTTON
    assert "✓ Advanced" not in str(target_question.reply_markup)


async def test_i_agree_tapped_twice_goes_on_once_and_only_a_terms_message_agrees(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await ann.send_text("/buy")
    packs = await ann.next_message()
    await ann.press_data(packs, "terms:agree")  # not under the terms: no consent given
    await telegram.wait_until(lambda: len(ann.callback_answers()) == 1)
    assert ann.callback_answers()[-1].get("text") == texts.BUTTON_GONE
    assert packs.text != texts.TERMS_ACCEPTED
    assert (await bot.services.users.get(101)).terms_accepted_at is None

    await ann.send_text("/faceswap")
    terms = await ann.wait_for_text("please agree to these terms")
    await ann.press(terms, texts.TERMS_AGREE_BUTTON)
    await ann.press(terms, texts.TERMS_AGREE_BUTTON)  # before the first tap took the button
    await telegram.wait_until(lambda: len(ann.callback_answers()) == 3)
    assert terms.text == texts.TERMS_ACCEPTED
    assert (await ann.next_message()).text.startswith("Face swap")
    await telegram.wait_until(lambda: telegram.pending_updates == 0)
    await bot.application.update_queue.join()  # marked done once its handlers ran
    assert [m.text for m in ann.messages()].count(texts.SOMETHING_WENT_WRONG) == 0
    assert len([m for m in ann.messages() if "Step 1 of 2" in (m.text or "")]) == 1


async def test_a_prompt_over_2000_characters_is_refused_without_a_charge(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await ann.send_text("/imagine " + "a" * 2001)
    assert (await ann.next_message()).text == texts.prompt_too_long(2000)
    await ann.wait_for_text("describe the picture")
    await ann.send_text("b" * 2001)
    assert (await ann.next_message()).text == texts.prompt_too_long(2000)
    assert zencreator.uploads == [] and zencreator.starts == []
    assert await bot.services.ledger.balance(101) == 10
    await ann.send_text("b" * 2000)
    generation = await zencreator.wait_for_generation()
    assert generation.input["positive_prompt"] == "b" * 2000
    assert await bot.services.ledger.balance(101) == 9


async def test_an_album_cut_short_by_a_restart_is_finished_by_the_next_message(
    telegram: BotApiEmulator,
    zencreator: FakeZenCreator,
    start_bot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(studio, "ALBUM_SETTLE_SECONDS", 3600)  # the bot stops first
    first = await start_bot()
    ann = telegram.user(101)
    await ann.send_text("/edit")
    await accept_terms(ann)
    await ann.wait_for_text("Step 1 of 2")
    await ann.send_photo(FACE, media_group_id="holiday")
    await ann.send_photo(TARGET, media_group_id="holiday")
    await ann.send_text("/balance")  # handled after both photos, which are saved by then
    await ann.wait_for_text("Your balance")
    await first.stop()

    await start_bot()
    await ann.send_text("swap their shirts")
    await ann.wait_for_text("Step 2 of 2: say what to change")
    generation = await zencreator.wait_for_generation()
    uploads = {upload.asset_id: upload.data for upload in zencreator.uploads}
    assert [uploads[asset] for asset in generation.input["image_assets"]] == [FACE, TARGET]
    assert generation.input["prompt"] == "swap their shirts"


async def test_a_channel_post_is_not_taken_for_a_message_of_a_flow(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await telegram.group(-1001234, "News", kind="channel").post("hello")
    await ann.send_text("/balance")
    await ann.wait_for_text("Your balance")
    assert not [
        params for method, params in telegram.requests if params.get("chat_id") == -1001234
    ]


async def test_the_rest_of_an_album_whose_first_photo_ordered_the_job_is_not_a_new_menu(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await start_faceswap(ann)
    await ann.send_photo(FACE)
    await ann.wait_for_text("Step 2 of 2")
    await ann.send_photo(TARGET, media_group_id="pair")
    await ann.send_photo(PORTRAIT, media_group_id="pair")
    await ann.send_text("/balance")  # handled after both photos
    await ann.wait_for_text("Your balance")
    assert not bot.services.albums.pending(101)
    flow = await bot.services.flows.get(101)
    assert flow is None or flow.tool != MENU
    await next_media(ann, "sendPhoto")
    assert len(zencreator.generations) == 1
    assert not any(texts.photo_menu(1) == m.text for m in ann.messages())
