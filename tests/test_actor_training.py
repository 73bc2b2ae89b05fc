"""Actor training end to end: likeness and voice at Scenario or Framehood, charged, shown
as it goes, resumed after a restart, refunded when it fails; then pictures from a prompt."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot import texts
from bot.playground.emulator import (
    BotApiEmulator,
    EmulatedUser,
    SentMessage,
    make_jpeg,
    make_voice,
)
from storage.actors import TrainingStatus
from tests.conftest import RunningBot
from tests.fakes.framehood import FakeFramehood
from tests.fakes.scenario import FakeScenario
from tests.flows import create_actor

FACES = [make_jpeg(color=color) for color in ("red", "green", "navy", "olive")]
VOICE = make_voice(15)
LIKENESS_PRICE = 150


@pytest.fixture
async def scenario() -> AsyncIterator[FakeScenario]:
    async with FakeScenario() as fake:
        yield fake


@pytest.fixture
async def framehood() -> AsyncIterator[FakeFramehood]:
    async with FakeFramehood() as fake:
        yield fake


def on_scenario(scenario: FakeScenario) -> dict[str, Any]:
    return {
        "scenario_api_key": scenario.api_key,
        "scenario_api_secret": scenario.api_secret,
        "scenario_api_url": scenario.base_url,
        "welcome_credits": 500,
    }


def on_framehood(framehood: FakeFramehood) -> dict[str, Any]:
    return {
        "framehood_api_key": framehood.api_key,
        "framehood_api_url": framehood.base_url,
        "welcome_credits": 600,
    }


async def open_card(user: EmulatedUser, name: str) -> SentMessage:
    await user.send_text("/actors")
    listing = await user.wait_for_text("Your actors")
    await user.press(listing, texts.pick_actor_button(name))
    return await user.wait_for_text(f"🎭 {name}")


async def next_photo(user: EmulatedUser) -> SentMessage:
    """The next photo the bot sends that is not an actor's card."""
    while True:
        message = await user.next_message()
        if message.method == "sendPhoto" and not (message.caption or "").startswith("🎭"):
            return message


async def order_likeness(user: EmulatedUser, name: str, photos: int) -> None:
    card = await open_card(user, name)
    await user.press(card, texts.train_likeness_button(LIKENESS_PRICE))
    quote = await user.wait_for_text(f"Training {name}'s likeness on {photos} photos")
    await user.press(quote, texts.start_button(LIKENESS_PRICE))


async def test_likeness_trains_across_a_restart_then_pictures_come_from_prompts(
    telegram: BotApiEmulator, scenario: FakeScenario, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(**on_scenario(scenario))
    ann = telegram.user(101)
    await create_actor(ann, "Anna", FACES, voice=(VOICE, 15))
    await order_likeness(ann, "Anna", 4)

    model = await scenario.wait_for_model(type="flux.1-lora", status="training")
    assert [image.data for image in model.training_images] == FACES
    assert model.parameters["optimizeFor"] == "likeness"
    assert await bot.services.ledger.balance(101) == 500 - LIKENESS_PRICE
    scenario.advance(model.id, progress=0.4, remaining_seconds=360)
    status = await ann.wait_for_text("Likeness training of Anna")
    await telegram.wait_until(lambda: "40%, about 6 min left" in (status.text or ""))
    (actor,) = await bot.services.actors.list(101)
    assert actor.likeness is not None
    assert (actor.likeness.status, actor.likeness.progress) == (TrainingStatus.TRAINING, 0.4)

    # The bot goes down mid-training; the next process picks the job up where it was.
    await bot.stop()
    scenario.finish(model.id)
    bot = await start_bot(**on_scenario(scenario))
    await ann.wait_for_text("likeness is trained")
    (actor,) = await bot.services.actors.list(101)
    assert actor.likeness is not None and actor.likeness.status is TrainingStatus.TRAINED
    assert actor.likeness.remote_id == model.id
    assert len(scenario.requests_for("PUT /models/*/train")) == 1
    assert await bot.services.ledger.balance(101) == 500 - LIKENESS_PRICE

    card = await open_card(ann, "Anna")
    assert "Likeness: ✅ trained" in (card.caption or "")
    await ann.press(card, texts.ACTOR_BUTTON_PICTURE)
    await ann.wait_for_text("Describe the picture of Anna")
    await ann.send_text("on a beach at sunset")
    quote = await ann.wait_for_text("A picture of Anna costs")
    await ann.press(quote, texts.start_button(5))
    await scenario.wait_until(
        lambda: any(j.job_type == "inference" for j in scenario.jobs.values())
    )
    job = next(j for j in scenario.jobs.values() if j.job_type == "inference")
    assert job.input["modelId"] == model.id
    assert "on a beach at sunset" in job.input["prompt"]
    picture = await next_photo(ann)
    assert telegram.file_content(picture.file_id or "") == scenario.assets[job.asset_ids[0]].data
    assert actor.likeness.trigger_word and actor.likeness.trigger_word in job.input["prompt"]
    assert await bot.services.ledger.balance(101) == 500 - LIKENESS_PRICE - 5


async def test_a_failed_training_is_refunded_and_shown_on_the_card(
    telegram: BotApiEmulator, scenario: FakeScenario, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(**on_scenario(scenario))
    ann = telegram.user(101)
    await create_actor(ann, "Anna", FACES)
    await order_likeness(ann, "Anna", 4)
    model = await scenario.wait_for_model(type="flux.1-lora", status="training")
    scenario.fail(model.id, status="training-canceled")

    failure = await ann.wait_for_text("Sorry, your likeness training failed")
    assert f"{LIKENESS_PRICE} credits refunded" in (failure.text or "")
    assert await bot.services.ledger.balance(101) == 500
    card = await open_card(ann, "Anna")
    assert "Likeness: ❌ failed (refunded)" in (card.caption or "")
    # It can be tried again.
    assert texts.train_likeness_button(LIKENESS_PRICE) in [label for label, _ in card.buttons()]


async def test_training_needs_four_photos_and_a_running_one_blocks_another(
    telegram: BotApiEmulator, scenario: FakeScenario, start_bot: Any
) -> None:
    await start_bot(**on_scenario(scenario))
    ann = telegram.user(101)
    await create_actor(ann, "Anna", FACES[:3])
    card = await open_card(ann, "Anna")
    await ann.press(card, texts.train_likeness_button(LIKENESS_PRICE))
    assert (await ann.next_message()).text == texts.needs_photos_to_train("Anna", 3, 4)
    assert scenario.models == {}

    await ann.press(card, texts.ACTOR_BUTTON_PHOTOS)
    await ann.wait_for_text("Send more")
    await ann.send_photo(FACES[3])
    done = await ann.wait_for_text(texts.actor_photos_saved("Anna", 4))
    await ann.press(done, texts.DONE_BUTTON)
    await order_likeness(ann, "Anna", 4)
    await scenario.wait_for_model(type="flux.1-lora", status="training")
    await ann.wait_for_text("Likeness training")
    await ann.press(card, texts.train_likeness_button(LIKENESS_PRICE))
    await ann.wait_for_text(texts.busy_training("Anna"))
    await ann.press(card, texts.ACTOR_BUTTON_DELETE)
    question = await ann.wait_for_text(texts.confirm_delete("Anna"))
    await ann.press(question, texts.YES_DELETE)
    await telegram.wait_until(lambda: question.text == texts.busy_training("Anna"))
    assert len(scenario.models) == 1


async def test_two_confirmed_training_quotes_for_one_actor_charge_once(
    telegram: BotApiEmulator, scenario: FakeScenario, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(**on_scenario(scenario))
    ann = telegram.user(101)
    await create_actor(ann, "Anna", FACES)
    card = await open_card(ann, "Anna")
    quotes = []
    for _ in range(2):  # two quotes, both taken before either is confirmed
        await ann.press(card, texts.train_likeness_button(LIKENESS_PRICE))
        quotes.append(await ann.wait_for_text("Training Anna's likeness on 4 photos"))
    for quote in quotes:
        await ann.press(quote, texts.start_button(LIKENESS_PRICE))
    await telegram.wait_until(lambda: quotes[1].text == texts.ALREADY_UNDER_WAY)
    assert quotes[0].text == texts.JOB_ACCEPTED
    await scenario.wait_for_model(type="flux.1-lora", status="training")
    assert len(scenario.models) == 1
    assert await bot.services.ledger.balance(101) == 500 - LIKENESS_PRICE


async def test_voice_is_cloned_at_scenario_with_the_actors_sample(
    telegram: BotApiEmulator, scenario: FakeScenario, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(**on_scenario(scenario))
    ann = telegram.user(101)
    await create_actor(ann, "Anna", FACES[:1], voice=(VOICE, 15))
    card = await open_card(ann, "Anna")
    await ann.press(card, texts.clone_voice_button(20))
    quote = await ann.wait_for_text("Cloning Anna's voice costs 20 credits")
    await ann.press(quote, texts.start_button(20))
    model = await scenario.wait_for_model(type="elevenlabs-voice", status="training")
    assert [image.data for image in model.training_images] == [VOICE]
    assert model.parameters["cloneType"] == "instant"
    scenario.finish(model.id)
    await ann.wait_for_text("voice is cloned")
    (actor,) = await bot.services.actors.list(101)
    assert actor.voice_clone is not None and actor.voice_clone.remote_id == model.id

    # Deleting the actor deletes its models at Scenario too.
    card = await open_card(ann, "Anna")
    await ann.press(card, texts.ACTOR_BUTTON_DELETE)
    question = await ann.wait_for_text(texts.confirm_delete("Anna"))
    await ann.press(question, texts.YES_DELETE)
    await scenario.wait_until(lambda: model.id not in scenario.models)


async def test_framehood_disabled_upstream_means_no_training_offered(
    telegram: BotApiEmulator, framehood: FakeFramehood, start_bot: Any
) -> None:
    await start_bot(**on_framehood(framehood))
    ann = telegram.user(101)
    await create_actor(ann, "Anna", FACES, voice=(VOICE, 15))
    card = await open_card(ann, "Anna")
    assert texts.TRAINING_UNAVAILABLE in (card.caption or "")
    assert not any("Train" in label for label, _ in card.buttons())
    # A forged press of the hidden button is answered plainly and charges nothing.
    await ann.press_data(card, card.buttons()[0][1].replace("use", "train"))
    assert (await ann.wait_for_text(texts.TRAINING_UNAVAILABLE)).text == (
        texts.TRAINING_UNAVAILABLE
    )
    assert framehood.balance == 1000.0 and not framehood.jobs


async def test_framehood_trains_and_pictures_when_its_models_are_enabled(
    telegram: BotApiEmulator, framehood: FakeFramehood, start_bot: Any
) -> None:
    framehood.disabled = False
    bot: RunningBot = await start_bot(**on_framehood(framehood))
    ann = telegram.user(101)
    await create_actor(ann, "Anna", FACES)
    await order_likeness(ann, "Anna", 4)
    job = await framehood.wait_for_job("actor_lora_train")
    assert sorted(job.images.values()) == sorted(FACES)
    framehood.finish(job.id)
    await ann.wait_for_text("likeness is trained")
    (actor,) = await bot.services.actors.list(101)
    assert actor.likeness is not None and actor.likeness.provider == "framehood"

    card = await open_card(ann, "Anna")
    await ann.press(card, texts.ACTOR_BUTTON_PICTURE)
    await ann.wait_for_text("Describe the picture")
    await ann.send_text("in a spacesuit")
    quote = await ann.wait_for_text("A picture of Anna costs")
    await ann.press(quote, texts.start_button(5))
    inference = await framehood.wait_for_job("actor_lora_inference")
    assert inference.params["loras"] == [{"path": actor.likeness.remote_id, "scale": 1.0}]
    await next_photo(ann)
