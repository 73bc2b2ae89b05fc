"""Actors end to end: /newactor, /actors, and actors picked in face swap and lipsync."""

from __future__ import annotations

from typing import Any

from bot import texts
from bot.catalog.video import AUDIO_SECONDS
from bot.playground.emulator import (
    BotApiEmulator,
    EmulatedUser,
    SentMessage,
    make_jpeg,
    make_voice,
)
from storage.actors import MAX_ACTORS, MAX_PHOTOS, ActorPhoto
from tests.conftest import RunningBot
from tests.fakes.zencreator import FakeZenCreator
from tests.flows import TARGET, create_actor, next_media, start_new_actor

ANNA_FACES = [make_jpeg(color=color) for color in ("red", "green", "navy", "olive")]


async def open_card(user: EmulatedUser, name: str) -> SentMessage:
    await user.send_text("/actors")
    listing = await user.wait_for_text("Your actors")
    await user.press(listing, texts.pick_actor_button(name))
    return await user.wait_for_text(f"🎭 {name}")


async def test_new_actor_from_an_album_and_a_voice_note_is_saved_and_listed(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await start_new_actor(ann)
    await ann.send_text("  Anna  ")
    await ann.wait_for_text("Now send photos of Anna's face")
    for photo in ANNA_FACES[:3]:
        await ann.send_photo(photo, media_group_id="album-1")
    # One count message per album, edited as its photos arrive.
    album_count = await ann.wait_for_text("Anna has 1 photo.")
    await telegram.wait_until(lambda: album_count.text == texts.actor_photos_saved("Anna", 3))
    await ann.send_photo(ANNA_FACES[3])
    single_count = await ann.wait_for_text(texts.actor_photos_saved("Anna", 4))
    await ann.press(single_count, texts.DONE_BUTTON)
    await ann.wait_for_text("Optional: send a voice sample")
    await ann.send_voice(duration=14)
    await ann.wait_for_text(texts.actor_saved("Anna"))

    (actor,) = await bot.services.actors.list(101)
    assert actor.name == "Anna"
    assert len(actor.photos) == 4
    assert [telegram.file_content(photo.file_id) for photo in actor.photos] == ANNA_FACES
    assert actor.voice is not None and actor.voice.seconds == 14
    assert telegram.file_content(actor.voice.file_id) == make_voice(14)

    card = await open_card(ann, "Anna")
    assert card.method == "sendPhoto"
    assert telegram.file_content(card.file_id or "") == ANNA_FACES[0]
    assert "Photos: 4 of 30" in (card.caption or "")
    assert "Voice sample: 14 s" in (card.caption or "")
    # No actor provider is configured in these tests: training is plainly unavailable.
    assert texts.TRAINING_UNAVAILABLE in (card.caption or "")
    labels = [label for label, _ in card.buttons()]
    assert not any("Train" in label for label in labels)
    assert texts.ACTOR_BUTTON_USE in labels and texts.ACTOR_BUTTON_DELETE in labels


async def test_limits_are_explained_name_photos_voice_and_actor_count(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await start_new_actor(ann)
    await ann.send_text("A" * 33)
    assert (await ann.next_message()).text == texts.ACTOR_NAME_PROBLEMS["too_long"]
    await ann.send_text("B" * 32)
    await ann.wait_for_text("Now send photos of " + "B" * 32)
    await ann.send_document(b"GIF89a", file_name="a.gif", mime_type="image/gif")
    assert "JPG, PNG" in ((await ann.next_message()).text or "")
    await ann.send_photo(ANNA_FACES[0])
    count = await ann.wait_for_text(texts.actor_photos_saved("B" * 32, 1))
    await ann.press(count, texts.DONE_BUTTON)
    await ann.wait_for_text("Optional: send a voice sample")
    await ann.send_voice(duration=9)
    assert (await ann.next_message()).text == texts.voice_length_refused(9, 10, 180)
    await ann.send_voice(duration=181)
    assert (await ann.next_message()).text == texts.voice_length_refused(181, 10, 180)
    await ann.send_voice(duration=180)
    await ann.wait_for_text(texts.actor_saved("B" * 32))

    # Thirty photos at most: the thirty-first is refused with the reason.
    (actor,) = await bot.services.actors.list(101)
    await bot.services.actors.add_photos(
        actor.id,
        101,
        [ActorPhoto(file_id=f"f{n}", file_unique_id=f"u{n}") for n in range(MAX_PHOTOS - 1)],
    )
    card = await open_card(ann, "B" * 32)
    await ann.press(card, texts.ACTOR_BUTTON_PHOTOS)
    await ann.wait_for_text("has 30 of 30 photos")
    await ann.send_photo(ANNA_FACES[1])
    assert (await ann.next_message()).text == texts.actor_photos_full("B" * 32, 0)

    # The same name twice is refused, ignoring case.
    await start_new_actor(ann)
    await ann.send_text("b" * 32)
    assert (await ann.next_message()).text == texts.ACTOR_NAME_TAKEN
    await ann.send_text("/cancel")
    await ann.wait_for_text(texts.CANCELLED)

    for n in range(MAX_ACTORS - 1):
        await bot.services.actors.create(
            101, f"Extra {n}", [ActorPhoto(file_id=f"x{n}", file_unique_id=f"xu{n}")]
        )
    await ann.send_text("/newactor")
    assert (await ann.next_message()).text == texts.ACTOR_LIMIT


async def test_face_swap_and_lipsync_use_a_picked_actor_without_resending_media(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(welcome_credits=100)
    ann = telegram.user(101)
    await create_actor(ann, "Anna", ANNA_FACES[:2], voice=(make_voice(12), 12))

    await ann.send_text("/faceswap")
    intro = await ann.wait_for_text("Step 1 of 2")
    assert texts.ACTOR_PICKER_HINT in (intro.text or "")
    await ann.press(intro, texts.pick_actor_button("Anna"))
    await ann.wait_for_text("Step 2 of 2")
    await ann.send_photo(TARGET)
    first = await zencreator.wait_for_generation()
    await next_media(ann, "sendDocument")
    face_upload = next(u for u in zencreator.uploads if u.asset_id == first.input["face_asset"])
    assert face_upload.data == ANNA_FACES[0]

    # From the actor's card this time; the face is uploaded to the provider only once.
    card = await open_card(ann, "Anna")
    await ann.press(card, texts.ACTOR_BUTTON_USE)
    tools = await ann.wait_for_text(texts.use_actor("Anna"))
    await ann.press(tools, texts.use_tool_button("faceswap", "Anna"))
    await ann.wait_for_text("Step 2 of 2")
    await ann.send_photo(make_jpeg(color="purple"))
    second = await zencreator.wait_for_generation(2)
    assert second.input["face_asset"] == first.input["face_asset"]
    assert sum(upload.data == ANNA_FACES[0] for upload in zencreator.uploads) == 1
    await next_media(ann, "sendDocument")

    # Lipsync: the actor's face as the portrait and their voice sample as the audio.
    await ann.send_text("/lipsync")
    portrait_question = await ann.wait_for_text("Step 1 of 2")
    await ann.press(portrait_question, texts.pick_actor_button("Anna"))
    audio_question = await ann.wait_for_text("Step 2 of 2")
    await ann.press(audio_question, texts.pick_actor_button("Anna"))
    quote = await ann.wait_for_text("Start?")
    assert quote.text == texts.quote("Lipsync", 36, 98, {AUDIO_SECONDS: 12})
    await ann.press(quote, texts.start_button(36))
    lipsync = await zencreator.wait_for_generation(3)
    await next_media(ann, "sendVideo")
    assert lipsync.input["image_asset"] == first.input["face_asset"]
    uploaded = {upload.asset_id: upload.data for upload in zencreator.uploads}
    assert uploaded[lipsync.input["audio_asset"]] == make_voice(12)
    assert await bot.services.ledger.balance(101) == 100 - 1 - 1 - 36


async def test_a_voice_sample_longer_than_lipsync_takes_is_not_offered(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await create_actor(ann, "Long", ANNA_FACES[:1], voice=(make_voice(60), 60))
    await create_actor(ann, "Short", ANNA_FACES[1:2], voice=(make_voice(20), 20))
    await ann.send_text("/lipsync")
    portrait_question = await ann.wait_for_text("Step 1 of 2")
    await ann.press(portrait_question, texts.pick_actor_button("Long"))
    audio_question = await ann.wait_for_text("Step 2 of 2")
    assert [label for label, _ in audio_question.buttons()] == [texts.pick_actor_button("Short")]


async def test_a_forged_pick_of_an_actor_without_a_voice_as_the_audio_is_refused(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await create_actor(ann, "Mute", ANNA_FACES[:1])
    await ann.send_text("/lipsync")
    portrait_question = await ann.wait_for_text("Step 1 of 2")
    await ann.press(portrait_question, texts.pick_actor_button("Mute"))
    audio_question = await ann.wait_for_text("Step 2 of 2")
    flow = await bot.services.flows.get(101)
    (actor,) = await bot.services.actors.list(101)
    assert flow is not None and audio_question.reply_markup is None
    answered = len(ann.callback_answers())
    await ann.press_data(audio_question, f"flow:{flow.revision}:a:{actor.id}")
    await telegram.wait_until(lambda: len(ann.callback_answers()) > answered)
    assert ann.callback_answers()[-1].get("text") == texts.STALE_BUTTON
    await ann.send_text("/balance")
    await ann.wait_for_text("Your balance")
    assert not any("voice sample is" in (m.text or "") for m in ann.messages())


async def test_rename_add_photos_set_voice_and_delete_from_the_card(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await create_actor(ann, "Anna", ANNA_FACES[:1])
    card = await open_card(ann, "Anna")
    assert "Voice sample: none" in (card.caption or "")

    await ann.press(card, texts.ACTOR_BUTTON_RENAME)
    await ann.wait_for_text(texts.rename_prompt("Anna"))
    await ann.send_text("Anya")
    await ann.wait_for_text(texts.renamed("Anya"))

    await ann.press(card, texts.ACTOR_BUTTON_PHOTOS)
    await ann.wait_for_text(texts.add_photos_prompt("Anya", 1))
    await ann.send_photo(ANNA_FACES[1])
    count = await ann.wait_for_text(texts.actor_photos_saved("Anya", 2))
    await ann.press(count, texts.DONE_BUTTON)
    await ann.wait_for_text(texts.photos_added("Anya", 2))

    await ann.press(card, texts.ACTOR_BUTTON_VOICE)
    await ann.wait_for_text(texts.set_voice_prompt("Anya"))
    await ann.send_voice(duration=30)
    await ann.wait_for_text(texts.voice_saved("Anya"))
    (actor,) = await bot.services.actors.list(101)
    assert (actor.name, len(actor.photos)) == ("Anya", 2)
    assert actor.voice is not None and actor.voice.seconds == 30

    await ann.press(card, texts.ACTOR_BUTTON_DELETE)
    question = await ann.wait_for_text(texts.confirm_delete("Anya"))
    await ann.press(question, texts.KEEP_BUTTON)
    await ann.wait_for_text("🎭 Anya")
    assert len(await bot.services.actors.list(101)) == 1
    await ann.press(question, texts.YES_DELETE)
    await telegram.wait_until(lambda: question.text == texts.deleted("Anya"))
    assert await bot.services.actors.list(101) == []
    await ann.send_text("/actors")
    assert (await ann.next_message()).text == texts.NO_ACTORS


async def test_a_forged_callback_for_another_users_actor_is_refused(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann, bob = telegram.user(101), telegram.user(202, "Bob")
    await create_actor(ann, "Anna", ANNA_FACES[:1], voice=(make_voice(12), 12))
    (actor,) = await bot.services.actors.list(101)
    await create_actor(bob, "Bobby", ANNA_FACES[1:2])
    bob_card = await open_card(bob, "Bobby")
    answered = len(bob.callback_answers())

    for action in ("open", "use", "rename", "photos", "voice", "train", "clone", "picture"):
        await bob.press_data(bob_card, f"actor:{action}:{actor.id}")
    await bob.press_data(bob_card, f"actor:erase:{actor.id}")
    await bob.press_data(bob_card, f"faceswap:with:{actor.id}")
    await bob.press_data(bob_card, f"lipsync:with:{actor.id}")
    await telegram.wait_until(lambda: len(bob.callback_answers()) == answered + 11)
    answers = bob.callback_answers()[answered:]
    assert all(answer.get("text") == texts.ACTOR_GONE for answer in answers), answers
    assert all(answer.get("show_alert") for answer in answers)

    # Bob's own face swap offers only his actor; Anna's picked by id is refused there too.
    await bob.send_text("/faceswap")
    intro = await bob.wait_for_text("Step 1 of 2")
    assert [label for label, _ in intro.buttons()] == [texts.pick_actor_button("Bobby")]
    bobs_pick = intro.buttons()[0][1]
    await bob.press_data(intro, bobs_pick.rsplit(":", 1)[0] + f":{actor.id}")
    await telegram.wait_until(lambda: len(bob.callback_answers()) == answered + 12)
    assert bob.callback_answers()[-1].get("text") == texts.ACTOR_GONE

    still = await bot.services.actors.get(actor.id, 101)
    assert still.name == "Anna" and len(still.photos) == 1
    assert not any("Anna" in (m.text or m.caption or "") for m in bob.messages())


async def test_a_stale_done_button_before_any_photo_asks_for_a_photo(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await create_actor(ann, "Anna", ANNA_FACES[:1])
    old_done = next(m for m in ann.messages() if m.text == texts.actor_photos_saved("Anna", 1))
    card = await open_card(ann, "Anna")
    await ann.press(card, texts.ACTOR_BUTTON_PHOTOS)
    await ann.wait_for_text(texts.add_photos_prompt("Anna", 1))
    await ann.press_data(old_done, "actor:done")
    assert (await ann.next_message()).text == texts.ACTOR_PHOTO_EXPECTED
    await ann.send_photo(ANNA_FACES[1])
    count = await ann.wait_for_text(texts.actor_photos_saved("Anna", 2))
    await ann.press(count, texts.DONE_BUTTON)
    await ann.wait_for_text(texts.photos_added("Anna", 2))
