"""ScenarioClient against the fake Scenario server over real HTTP.

Retry delays go to an injected sleep that only records them: no test here waits for a
backoff, and trainings and jobs end when the test says so.
"""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator

import httpx
import pytest
from PIL import Image

from providers.errors import (
    AuthenticationError,
    InputValidationError,
    InternalServerError,
    ProviderUnavailableError,
)
from providers.models import GenerationStatus, MediaKind, TrainingFile, TrainingState
from providers.scenario import ScenarioClient
from tests.downloads import download_bytes
from tests.fakes.scenario import FakeScenario, default_png
from tests.virtual_time import RecordingSleep

KEY = "scn_testkey"
SECRET = "scn_s3cr3t"
BASIC = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()


@pytest.fixture
async def fake() -> AsyncIterator[FakeScenario]:
    async with FakeScenario(api_key=KEY, api_secret=SECRET) as server:
        yield server


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
async def client(fake: FakeScenario, sleep: RecordingSleep) -> AsyncIterator[ScenarioClient]:
    async with ScenarioClient(KEY, SECRET, fake.base_url, sleep=sleep) as scenario:
        yield scenario


def png(color: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), color).save(buffer, format="PNG")
    return buffer.getvalue()


def photos(count: int = 4) -> list[TrainingFile]:
    colors = ["red", "green", "blue", "white", "black", "gray", "pink", "navy"]
    return [
        TrainingFile(
            data=png(colors[i % len(colors)]), filename=f"face{i}.png", kind=MediaKind.IMAGE
        )
        for i in range(count)
    ]


VOICE = TrainingFile(data=b"OggS" + bytes(range(64)), filename="voice.ogg", kind=MediaKind.AUDIO)


def assert_no_secret(err: BaseException) -> None:
    token = BASIC.removeprefix("Basic ")
    for text in (str(err), repr(err), str(err.__cause__), repr(err.__cause__)):
        assert SECRET not in text and token not in text


# --- Configuration and auth


def test_empty_key_or_secret_means_unconfigured() -> None:
    with pytest.raises(ProviderUnavailableError):
        ScenarioClient("", SECRET)
    with pytest.raises(ProviderUnavailableError):
        ScenarioClient(KEY, "")


async def test_secrets_are_not_in_the_repr(client: ScenarioClient) -> None:
    assert await client.available()
    for text in (repr(client), str(vars(client))):
        assert SECRET not in text and BASIC not in text


async def test_requests_carry_basic_auth(fake: FakeScenario, client: ScenarioClient) -> None:
    model = fake.add_model()
    await client.training(model.id)
    assert fake.requests[-1].headers["Authorization"] == BASIC


async def test_wrong_secret_is_an_authentication_error_not_retried(
    fake: FakeScenario, sleep: RecordingSleep
) -> None:
    model = fake.add_model()
    async with ScenarioClient(KEY, "wrong_s3cr3t", fake.base_url, sleep=sleep) as scenario:
        with pytest.raises(AuthenticationError) as caught:
            await scenario.training(model.id)
    assert caught.value.status_code == 401 and "invalid API key" in str(caught.value)
    assert "wrong_s3cr3t" not in str(caught.value) and "wrong_s3cr3t" not in repr(caught.value)
    assert_no_secret(caught.value)
    assert len(fake.requests) == 1 and sleep.delays == []


async def test_missing_credentials_are_refused(fake: FakeScenario) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{fake.base_url}/models/model_x")
    assert response.status_code == 401 and "error" in response.json()


# --- Likeness training


async def test_train_likeness_creates_the_model_sends_every_image_and_starts_it(
    fake: FakeScenario, client: ScenarioClient
) -> None:
    images = photos(5)
    training = await client.train_likeness(
        images, name="Anna", trigger_word="anna_tok", idempotency_key="job-1"
    )

    model = fake.models[training.id]
    assert (model.type, model.name, model.status) == ("flux.1-lora", "Anna", "training")
    assert [i.data for i in model.training_images] == [i.data for i in images]
    assert [i.name for i in model.training_images] == [i.filename for i in images]
    assert {i.content_type for i in model.training_images} == {"image/png"}
    assert model.parameters["optimizeFor"] == "likeness"
    assert model.parameters["conceptPrompt"] == "anna_tok"
    assert model.parameters["maxTrainSteps"] == 500  # the documented Flux default: 100/image

    assert [(r.method, r.path.removeprefix("/v1")) for r in fake.requests] == [
        ("POST", "/models"),
        *[("POST", f"/models/{model.id}/training-images")] * 5,
        ("PUT", f"/models/{model.id}"),
        ("PUT", f"/models/{model.id}/train"),
    ]
    assert all("Idempotency-Key" not in r.headers for r in fake.requests)
    assert (training.state, training.stage, training.model_ref) == (
        TrainingState.QUEUED,
        "queued-for-train",
        None,
    )


@pytest.mark.parametrize("count", [0, 3, 31])
async def test_a_wrong_number_of_photos_is_refused_before_any_request(
    fake: FakeScenario, client: ScenarioClient, count: int
) -> None:
    with pytest.raises(InputValidationError) as caught:
        await client.train_likeness(photos(count), name="A", trigger_word="t", idempotency_key="k")
    assert caught.value.field == "images" and caught.value.user_facing
    assert fake.requests == []


async def test_a_voice_note_among_the_photos_is_refused_before_any_request(
    fake: FakeScenario, client: ScenarioClient
) -> None:
    with pytest.raises(InputValidationError):
        await client.train_likeness(
            [*photos(4), VOICE], name="A", trigger_word="t", idempotency_key="k"
        )
    assert fake.requests == []


async def test_training_follows_progress_to_trained(
    fake: FakeScenario, client: ScenarioClient
) -> None:
    started = await client.train_likeness(
        photos(), name="Anna", trigger_word="anna_tok", idempotency_key="job-2"
    )

    fake.advance(started.id, progress=0.25, remaining_seconds=90)
    running = await client.training(started.id)
    assert (running.state, running.stage, running.progress, running.remaining_seconds) == (
        TrainingState.TRAINING,
        "running-train",
        0.25,
        90,
    )
    assert running.model_ref is None and running.error is None

    fake.advance(started.id, progress=40)  # a percentage is read as one
    assert (await client.training(started.id)).progress == 0.4

    fake.finish(started.id)
    trained = await client.training(started.id)
    assert (trained.state, trained.model_ref, trained.progress, trained.error) == (
        TrainingState.TRAINED,
        started.id,
        1.0,
        None,
    )


@pytest.mark.parametrize(
    ("status", "error"),
    [("failed", "could not train"), ("training-canceled", "canceled")],
)
async def test_a_failed_or_canceled_training_is_failed_with_a_reason(
    fake: FakeScenario, client: ScenarioClient, status: str, error: str
) -> None:
    started = await client.train_likeness(
        photos(), name="Anna", trigger_word="anna_tok", idempotency_key="job-3"
    )
    fake.fail(started.id, "bad photos", status=status)  # type: ignore[arg-type]
    failed = await client.training(started.id)
    assert failed.state is TrainingState.FAILED and failed.model_ref is None
    assert failed.error is not None and error in failed.error


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("new", TrainingState.QUEUED),
        ("training", TrainingState.QUEUED),  # stage queued-for-train
        ("copying", TrainingState.TRAINING),
        ("trained", TrainingState.TRAINED),
        ("failed", TrainingState.FAILED),
        ("training-canceled", TrainingState.FAILED),
        ("archived", TrainingState.TRAINING),  # unknown: still going, keep polling
    ],
)
async def test_every_model_status_maps_to_a_training_state(
    fake: FakeScenario, client: ScenarioClient, status: str, state: TrainingState
) -> None:
    model = fake.add_model(status=status)  # type: ignore[arg-type]
    training = await client.training(model.id)
    assert (training.id, training.state) == (model.id, state)
    assert training.model_ref == (model.id if state is TrainingState.TRAINED else None)


async def test_a_failure_after_creating_the_model_deletes_it(
    fake: FakeScenario, client: ScenarioClient, sleep: RecordingSleep
) -> None:
    fake.fail_next("POST /models/*/training-images", 500)
    with pytest.raises(InternalServerError):
        await client.train_likeness(photos(), name="A", trigger_word="t", idempotency_key="k")
    assert fake.models == {} and sleep.delays == []
    assert len(fake.requests_for("DELETE /models/*")) == 1


# --- Voice cloning


async def test_clone_voice_sends_the_sample_for_an_instant_clone(
    fake: FakeScenario, client: ScenarioClient
) -> None:
    training = await client.clone_voice(VOICE, name="Anna voice", idempotency_key="job-4")

    model = fake.models[training.id]
    assert (model.type, model.name, model.status) == ("elevenlabs-voice", "Anna voice", "training")
    assert [(i.data, i.name, i.content_type) for i in model.training_images] == [
        (VOICE.data, "voice.ogg", "audio/ogg")
    ]
    assert model.parameters == {"cloneType": "instant"}
    assert training.state is TrainingState.QUEUED

    fake.finish(training.id)
    cloned = await client.training(training.id)
    assert (cloned.state, cloned.model_ref) == (TrainingState.TRAINED, training.id)


async def test_clone_voice_refuses_a_photo(fake: FakeScenario, client: ScenarioClient) -> None:
    with pytest.raises(InputValidationError):
        await client.clone_voice(photos(1)[0], name="A", idempotency_key="k")
    assert fake.requests == []


# --- Pictures


async def test_picture_status_result_and_download_round_trip(
    fake: FakeScenario, client: ScenarioClient
) -> None:
    model = fake.add_model()
    generation = await client.picture(model.id, "anna_tok", "on a beach", "job-5")
    assert generation.status is GenerationStatus.QUEUED
    job = fake.jobs[generation.id]
    assert (job.input["modelId"], job.input["prompt"], job.input["numSamples"]) == (
        model.id,
        "anna_tok on a beach",
        1,
    )

    assert (await client.status(generation.id)).status is GenerationStatus.PROCESSING
    assert (await client.status(generation.id)).status is GenerationStatus.SUCCEEDED

    result = await client.result(generation.id)
    assert (result.id, result.status, result.error) == (
        generation.id,
        GenerationStatus.SUCCEEDED,
        None,
    )
    assert [o.url for o in result.outputs] == [fake.assets[job.asset_ids[0]].url]
    data = await download_bytes(client, result.outputs[0].fetch_url or "")
    assert data == default_png() and Image.open(io.BytesIO(data)).format == "PNG"


async def test_picture_without_a_trigger_word_sends_the_prompt_as_is(
    fake: FakeScenario, client: ScenarioClient
) -> None:
    model = fake.add_model()
    generation = await client.picture(model.id, None, "a portrait", "job-6")
    assert fake.jobs[generation.id].input["prompt"] == "a portrait"


async def test_a_failed_job_reports_its_error_and_no_outputs(
    fake: FakeScenario, client: ScenarioClient
) -> None:
    model = fake.add_model()
    generation = await client.picture(model.id, "t", "p", "job-7")
    fake.finish_job(generation.id, "failure", error="NSFW content detected")
    status = await client.status(generation.id)
    assert (status.status, status.error) == (GenerationStatus.FAILED, "NSFW content detected")
    result = await client.result(generation.id)
    assert result.status is GenerationStatus.FAILED and result.outputs == []


async def test_a_job_that_is_not_done_has_no_outputs_yet(
    fake: FakeScenario, client: ScenarioClient
) -> None:
    model = fake.add_model()
    fake.job_polls_until_done = None
    generation = await client.picture(model.id, "t", "p", "job-8")
    result = await client.result(generation.id)
    assert result.status is GenerationStatus.PROCESSING and result.outputs == []
    assert fake.requests_for("GET /assets/*") == []


# --- Retries


async def test_a_get_is_retried_after_retry_after(
    fake: FakeScenario, client: ScenarioClient, sleep: RecordingSleep
) -> None:
    model = fake.add_model()
    fake.fail_next(f"GET /models/{model.id}", 429, retry_after=7)
    assert (await client.training(model.id)).state is TrainingState.TRAINED
    assert sleep.delays == [7.0]
    assert [r.status for r in fake.requests_for("GET /models/*")] == [429, 200]


async def test_a_create_is_retried_on_429_but_not_on_500(
    fake: FakeScenario, client: ScenarioClient, sleep: RecordingSleep
) -> None:
    fake.fail_next("POST /models", 429, retry_after=2)
    await client.train_likeness(photos(), name="A", trigger_word="t", idempotency_key="k1")
    assert sleep.delays == [2.0] and len(fake.models) == 1

    # The server creates the model, then fails: a blind retry would create a second one.
    fake.fail_next("POST /models", 500, process=True)
    with pytest.raises(InternalServerError):
        await client.train_likeness(photos(), name="B", trigger_word="t", idempotency_key="k2")
    assert sleep.delays == [2.0]
    assert [r.status for r in fake.requests_for("POST /models")] == [429, 200, 500]
    # What no idempotency key costs: the model the failed attempt made is left over.
    assert sorted(str(m.name) for m in fake.models.values()) == ["A", "B"]


async def test_the_parameter_update_is_retried_on_a_server_error(
    fake: FakeScenario, client: ScenarioClient, sleep: RecordingSleep
) -> None:
    fake.fail_next("PUT /models/*", 503)  # the update comes before the train trigger
    training = await client.train_likeness(
        photos(), name="A", trigger_word="t", idempotency_key="k"
    )
    assert len(sleep.delays) == 1
    assert fake.models[training.id].status == "training"


async def test_the_train_trigger_is_not_retried_on_a_server_error(
    fake: FakeScenario, client: ScenarioClient, sleep: RecordingSleep
) -> None:
    fake.fail_next("PUT /models/*/train", 500, process=True)
    with pytest.raises(InternalServerError):
        await client.train_likeness(photos(), name="A", trigger_word="t", idempotency_key="k")
    assert len(fake.requests_for("PUT /models/*/train")) == 1 and sleep.delays == []
    assert fake.models == {}  # the model that may be training is deleted, not left to bill


async def test_txt2img_is_not_retried_on_a_server_error(
    fake: FakeScenario, client: ScenarioClient, sleep: RecordingSleep
) -> None:
    model = fake.add_model()
    fake.fail_next("POST /generate/txt2img", 500, process=True)
    with pytest.raises(InternalServerError) as caught:
        await client.picture(model.id, "t", "p", "job-9")
    assert len(fake.requests_for("POST /generate/txt2img")) == 1 and sleep.delays == []
    assert len(fake.jobs) == 1
    assert_no_secret(caught.value)


# --- Deleting


async def test_delete_model_removes_it_and_ignores_a_missing_one(
    fake: FakeScenario, client: ScenarioClient, sleep: RecordingSleep
) -> None:
    model = fake.add_model()
    await client.delete_model(model.id)
    assert fake.models == {}
    await client.delete_model(model.id)
    assert [r.status for r in fake.requests_for("DELETE /models/*")] == [200, 404]
    assert sleep.delays == []


# --- The fake's own option for tests that do not drive trainings by hand


async def test_the_fake_can_finish_trainings_after_some_polls(sleep: RecordingSleep) -> None:
    async with (
        FakeScenario(api_key=KEY, api_secret=SECRET, polls_until_trained=1) as fake,
        ScenarioClient(KEY, SECRET, fake.base_url, sleep=sleep) as client,
    ):
        training = await client.clone_voice(VOICE, name="v", idempotency_key="k")
        model = await fake.wait_for_model(type="elevenlabs-voice", status="training")
        assert model.id == training.id
        assert (await client.training(training.id)).state is TrainingState.TRAINING
        assert (await client.training(training.id)).state is TrainingState.TRAINED
