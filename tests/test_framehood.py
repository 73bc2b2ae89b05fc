"""FramehoodClient against the fake Framehood server over real HTTP.

Retry delays go to an injected sleep that only records them, and the availability cache
reads an injected clock: no test here waits for anything but the fake's answers.
"""

from __future__ import annotations

import base64
import io
import zipfile
from collections.abc import AsyncIterator

import httpx
import pytest
from PIL import Image

from providers.errors import (
    APIResponseValidationError,
    AuthenticationError,
    InputValidationError,
    InsufficientCreditsError,
    InternalServerError,
    NotFoundError,
    ProviderError,
    ProviderUnavailableError,
)
from providers.framehood import (
    DEFAULT_AVAILABILITY_TTL,
    RECHECK_AFTER_FAILURE,
    FramehoodClient,
)
from providers.models import GenerationStatus, MediaKind, TrainingFile, TrainingState
from tests.downloads import download_bytes
from tests.fakes.framehood import (
    DEFAULT_LORA,
    DISABLED_CODE,
    LORA_INFERENCE,
    LORA_TRAIN,
    VOICE_CLONE,
    FakeFramehood,
    default_image,
)
from tests.virtual_time import RecordingSleep

KEY = "fh_live_testkey_s3cr3t"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def disabled() -> AsyncIterator[FakeFramehood]:
    """Framehood as its page describes it today: the actor models are disabled."""
    async with FakeFramehood(api_key=KEY) as server:
        yield server


@pytest.fixture
async def fake() -> AsyncIterator[FakeFramehood]:
    async with FakeFramehood(api_key=KEY, disabled=False) as server:
        yield server


def client_for(
    server: FakeFramehood, sleep: RecordingSleep, clock: Clock, key: str = KEY
) -> FramehoodClient:
    return FramehoodClient(key, server.base_url, sleep=sleep, clock=clock)


@pytest.fixture
async def client(
    fake: FakeFramehood, sleep: RecordingSleep, clock: Clock
) -> AsyncIterator[FramehoodClient]:
    async with client_for(fake, sleep, clock) as framehood:
        yield framehood


def png(color: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), color).save(buffer, format="PNG")
    return buffer.getvalue()


COLORS = ["red", "green", "blue", "white", "black", "yellow", "cyan", "magenta"]


def photos(count: int) -> list[TrainingFile]:
    return [
        TrainingFile(
            data=png(COLORS[n % len(COLORS)]) + bytes([n]),
            filename="photo.png",
            kind=MediaKind.IMAGE,
        )
        for n in range(count)
    ]


VOICE = TrainingFile(data=b"OggS" + bytes(64), filename="voice.ogg", kind=MediaKind.AUDIO)


def assert_no_secret(err: BaseException) -> None:
    for text in (str(err), repr(err), str(err.__cause__), repr(err.__cause__)):
        assert "s3cr3t" not in text


async def train(client: FramehoodClient, key: str = "job-1") -> str:
    training = await client.train_likeness(
        photos(4), name="Anna", trigger_word="ANNA", idempotency_key=key
    )
    return training.id


# --- Disabled, as the page says the models are


async def test_disabled_models_are_unavailable_without_raising_or_spending(
    disabled: FakeFramehood, sleep: RecordingSleep, clock: Clock
) -> None:
    async with client_for(disabled, sleep, clock) as client:
        assert await client.available() is False
        assert await client.available() is False  # remembered: no second probe
    [probe] = disabled.requests
    assert (probe.method, probe.path, probe.status) == ("POST", f"/v1/jobs/{VOICE_CLONE}", 503)
    assert isinstance(probe.body, dict) and probe.body["mock"] is True
    assert disabled.balance == 1000 and disabled.jobs == {}
    assert sleep.delays == []


async def test_training_on_disabled_models_is_provider_unavailable(
    disabled: FakeFramehood, sleep: RecordingSleep, clock: Clock
) -> None:
    async with client_for(disabled, sleep, clock) as client:
        with pytest.raises(ProviderUnavailableError) as caught:
            await train(client)
        assert "temporarily disabled" in str(caught.value)
        assert isinstance(caught.value.__cause__, ProviderError)
        assert len(disabled.requests) == 1 and sleep.delays == []
        assert await client.available() is False
        assert len(disabled.requests) == 1  # the failed call already told it
    assert disabled.balance == 1000 and disabled.jobs == {}


async def test_a_disabled_answer_is_trusted_until_the_ttl_passes(
    disabled: FakeFramehood, sleep: RecordingSleep, clock: Clock
) -> None:
    async with client_for(disabled, sleep, clock) as client:
        assert await client.available() is False
        disabled.disabled = False
        clock.now += DEFAULT_AVAILABILITY_TTL - 1
        assert await client.available() is False
        assert len(disabled.requests) == 1
        clock.now += 2
        assert await client.available() is True
        assert len(disabled.requests) == 2


async def test_a_real_call_finding_the_models_disabled_marks_them_unavailable(
    fake: FakeFramehood, client: FramehoodClient
) -> None:
    assert await client.available() is True
    fake.disabled = True
    with pytest.raises(ProviderUnavailableError):
        await client.clone_voice(VOICE, name="Anna", idempotency_key="job-v")
    requests = len(fake.requests)
    assert await client.available() is False
    assert len(fake.requests) == requests


# --- Enabled


async def test_available_probes_with_a_free_mock_call_and_remembers(
    fake: FakeFramehood, client: FramehoodClient
) -> None:
    assert await client.available() is True
    assert await client.available() is True
    [probe] = fake.requests
    assert probe.path == f"/v1/jobs/{VOICE_CLONE}" and probe.status == 201
    assert probe.headers["Authorization"] == f"Bearer {KEY}"
    assert "Idempotency-Key" not in probe.headers
    [job] = fake.jobs.values()
    assert job.mock and job.charge == 0 and job.status == "succeeded"
    assert fake.balance == 1000
    with pytest.raises(TimeoutError):  # a probe is no real job
        await fake.wait_for_job(timeout=0.05)


async def test_a_failed_probe_is_not_retried_and_asked_again_soon(
    fake: FakeFramehood, client: FramehoodClient, sleep: RecordingSleep, clock: Clock
) -> None:
    fake.fail_next(f"POST /jobs/{VOICE_CLONE}", 500)
    assert await client.available() is False
    assert len(fake.requests) == 1 and sleep.delays == []
    clock.now += RECHECK_AFTER_FAILURE - 1
    assert await client.available() is False
    assert len(fake.requests) == 1
    clock.now += 2
    assert await client.available() is True
    assert len(fake.requests) == 2


async def test_a_bad_key_makes_the_probe_false_and_real_calls_raise(
    fake: FakeFramehood, sleep: RecordingSleep, clock: Clock
) -> None:
    async with client_for(fake, sleep, clock, key="fh_live_wrong_s3cr3t") as client:
        assert await client.available() is False
        with pytest.raises(AuthenticationError) as caught:
            await client.training("job_0001")
    assert (caught.value.status_code, caught.value.code) == (401, "invalid_api_key")
    assert_no_secret(caught.value)
    assert len(fake.requests) == 2 and sleep.delays == []


async def test_missing_key_is_refused_by_the_fake(fake: FakeFramehood) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{fake.base_url}/v1/jobs/job_0001")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_api_key"


def test_empty_key_or_url_means_unconfigured() -> None:
    with pytest.raises(ProviderUnavailableError):
        FramehoodClient("", "https://framehood.example")
    with pytest.raises(ProviderUnavailableError):
        FramehoodClient(KEY, "")


async def test_the_key_is_not_in_the_repr(client: FramehoodClient) -> None:
    assert "s3cr3t" not in repr(client) and "s3cr3t" not in str(vars(client))


# --- Likeness training


async def test_training_sends_every_photo_in_a_zip_with_the_trigger_word(
    fake: FakeFramehood, client: FramehoodClient
) -> None:
    images = photos(5)
    training = await client.train_likeness(
        images, name="Anna", trigger_word="ANNA", idempotency_key="job/1 x"
    )
    job = await fake.wait_for_job(LORA_TRAIN)
    assert (training.id, training.state, training.model_ref) == (
        job.id,
        TrainingState.QUEUED,
        None,
    )
    assert list(job.images.values()) == [image.data for image in images]
    assert list(job.images) == ["01.png", "02.png", "03.png", "04.png", "05.png"]
    assert job.params["images_data_url"].startswith("data:application/zip;base64,")
    assert {k: v for k, v in job.params.items() if k != "images_data_url"} == {
        "trigger_word": "ANNA",
        "create_masks": True,
        "data_archive_format": "zip",
        "out": "job_1_x.safetensors",
    }
    assert job.idempotency_key == "job/1 x"
    assert (job.charge, fake.balance) == (500, 500)


async def test_training_statuses_map_onto_the_training(
    fake: FakeFramehood, client: FramehoodClient
) -> None:
    job_id = await train(client)
    running = await client.training(job_id)
    assert (running.state, running.model_ref, running.error) == (
        TrainingState.TRAINING,
        None,
        None,
    )
    assert (await client.training(job_id)).state is TrainingState.TRAINING  # not by itself

    fake.finish(job_id, data=b"the lora weights")
    trained = await client.training(job_id)
    assert trained.state is TrainingState.TRAINED
    output = fake.jobs[job_id].output
    assert output is not None and trained.model_ref == output["diffusers_lora_file"]["url"]
    assert trained.model_ref is not None and trained.model_ref.startswith(fake.base_url)
    assert await download_bytes(client, trained.model_ref) == b"the lora weights"


async def test_a_failed_training_carries_the_reason(
    fake: FakeFramehood, client: FramehoodClient
) -> None:
    job_id = await train(client)
    fake.fail(job_id, "no face found in 3 images")
    failed = await client.training(job_id)
    assert (failed.state, failed.error, failed.model_ref) == (
        TrainingState.FAILED,
        "no face found in 3 images",
        None,
    )


@pytest.mark.parametrize("count", [0, 3, 31])
async def test_a_wrong_photo_count_is_refused_before_any_request(
    fake: FakeFramehood, client: FramehoodClient, count: int
) -> None:
    with pytest.raises(InputValidationError) as caught:
        await client.train_likeness(
            photos(count), name="Anna", trigger_word="ANNA", idempotency_key="job-1"
        )
    assert caught.value.field == "images" and caught.value.user_facing
    assert "4 to 30" in str(caught.value)
    assert fake.requests == []


async def test_the_photo_count_bounds_are_inclusive(
    fake: FakeFramehood, client: FramehoodClient
) -> None:
    for count, key in ((4, "four"), (30, "thirty")):
        await client.train_likeness(
            photos(count), name="Anna", trigger_word="", idempotency_key=key
        )
    four = await fake.wait_for_job(LORA_TRAIN, count=1)
    thirty = await fake.wait_for_job(LORA_TRAIN, count=2)
    assert (len(four.images), len(thirty.images)) == (4, 30)
    assert "trigger_word" not in four.params  # an empty word is left out


async def test_a_voice_sample_is_no_training_photo(
    fake: FakeFramehood, client: FramehoodClient
) -> None:
    with pytest.raises(InputValidationError):
        await client.train_likeness(
            [*photos(3), VOICE], name="Anna", trigger_word="ANNA", idempotency_key="job-1"
        )
    assert fake.requests == []


async def test_the_fake_counts_the_images_in_the_zip(fake: FakeFramehood) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for name in ("a.jpg", "b.png", "c.webp", "a_mask.jpg", "a.txt", "notes/"):
            zipped.writestr(name, b"x")
    uri = "data:application/zip;base64," + base64.b64encode(archive.getvalue()).decode()
    url = f"{fake.base_url}/v1/jobs/{LORA_TRAIN}"
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {KEY}"}) as http:
        three = await http.post(url, json={"images_data_url": uri, "out": "a.safetensors"})
        no_out = await http.post(url, json={"images_data_url": uri})
        unknown = await http.post(url, json={"images": uri, "out": "a.safetensors"})
    assert three.status_code == 422
    assert three.json()["error"] == {
        "code": "validation_error",
        "message": "images_data_url: the archive holds 3 images; 4 to 30 are needed",
    }
    assert no_out.json()["error"]["message"] == "out: field required"
    assert unknown.json()["error"]["message"] == "images: unknown parameter"
    assert fake.jobs == {} and fake.balance == 1000


async def test_out_of_credits_is_insufficient_credits_not_retried(
    fake: FakeFramehood, client: FramehoodClient, sleep: RecordingSleep
) -> None:
    fake.balance = 499
    with pytest.raises(InsufficientCreditsError) as caught:
        await train(client)
    assert (caught.value.status_code, caught.value.code) == (402, "insufficient_credits")
    assert not caught.value.user_facing
    assert fake.jobs == {} and fake.balance == 499 and sleep.delays == []


async def test_creating_a_job_is_retried_on_429_only(
    fake: FakeFramehood, client: FramehoodClient, sleep: RecordingSleep
) -> None:
    fake.fail_next(f"POST /jobs/{LORA_TRAIN}", 429, retry_after=2)
    await train(client, "job-1")
    assert sleep.delays == [2.0] and len(fake.jobs) == 1

    # The server creates and charges the job, then fails: a blind retry would train twice.
    fake.fail_next(f"POST /jobs/{LORA_TRAIN}", 500, process=True)
    with pytest.raises(InternalServerError):
        await train(client, "job-2")
    assert sleep.delays == [2.0]
    assert len(fake.requests_for(f"POST /jobs/{LORA_TRAIN}")) == 3
    assert len(fake.jobs) == 2 and fake.balance == 0


# --- Voice cloning


async def test_a_voice_clone_is_trained_at_once(
    fake: FakeFramehood, client: FramehoodClient
) -> None:
    training = await client.clone_voice(VOICE, name="Anna", idempotency_key="job-v")
    job = await fake.wait_for_job(VOICE_CLONE)
    assert job.output is not None
    assert (training.id, training.state, training.model_ref) == (
        job.id,
        TrainingState.TRAINED,
        job.output["voice_id"],
    )
    assert job.samples == [VOICE.data]
    assert job.params["sample_urls"][0].startswith("data:audio/ogg;base64,")
    assert (job.params["name"], job.params["out"]) == ("Anna", "job-v.json")
    assert (job.charge, fake.balance) == (1, 999)
    assert await client.training(job.id) == training


async def test_a_slow_voice_clone_is_polled_until_trained(
    fake: FakeFramehood, client: FramehoodClient
) -> None:
    fake.hold_sync_jobs = True
    training = await client.clone_voice(VOICE, name="Anna", idempotency_key="job-v")
    assert training.state is TrainingState.QUEUED
    assert (await client.training(training.id)).state is TrainingState.TRAINING
    fake.finish(training.id, voice_id="el_voice_42")
    done = await client.training(training.id)
    assert (done.state, done.model_ref) == (TrainingState.TRAINED, "el_voice_42")


async def test_a_photo_is_no_voice_sample(fake: FakeFramehood, client: FramehoodClient) -> None:
    with pytest.raises(InputValidationError):
        await client.clone_voice(photos(1)[0], name="Anna", idempotency_key="job-v")
    assert fake.requests == []


# --- Pictures


async def test_picture_status_result_and_download(
    fake: FakeFramehood, client: FramehoodClient
) -> None:
    lora = "https://files.example/anna.safetensors"
    generation = await client.picture(lora, "ANNA", "on a beach at dawn", "job-p")
    job = await fake.wait_for_job(LORA_INFERENCE)
    assert generation.id == job.id and generation.status is GenerationStatus.SUCCEEDED
    assert job.params == {
        "prompt": "ANNA on a beach at dawn",
        "loras": [{"path": lora, "scale": 1.0}],
        "image_size": "portrait_16_9",
        "num_images": 1,
        "out": "job-p.jpg",
    }
    assert (job.charge, fake.balance) == (7, 993)

    assert (await client.status(job.id)).status is GenerationStatus.SUCCEEDED
    result = await client.result(job.id)
    assert result.status is GenerationStatus.SUCCEEDED and len(result.outputs) == 1
    url = result.outputs[0].fetch_url
    assert url is not None and url.startswith(fake.base_url)
    assert await download_bytes(client, url) == default_image()


async def test_a_picture_without_a_trigger_word_keeps_the_prompt(
    fake: FakeFramehood, client: FramehoodClient
) -> None:
    await client.picture("https://files.example/a.safetensors", None, "a portrait", "job-p")
    assert (await fake.wait_for_job(LORA_INFERENCE)).params["prompt"] == "a portrait"


async def test_a_slow_picture_is_processing_then_failed(
    fake: FakeFramehood, client: FramehoodClient
) -> None:
    fake.hold_sync_jobs = True
    generation = await client.picture("https://files.example/a.safetensors", "A", "x", "k")
    assert generation.status is GenerationStatus.QUEUED
    assert (await client.status(generation.id)).status is GenerationStatus.PROCESSING
    fake.fail(generation.id, "NSFW content detected")
    failed = await client.status(generation.id)
    assert (failed.status, failed.error) == (GenerationStatus.FAILED, "NSFW content detected")
    result = await client.result(generation.id)
    assert (result.status, result.outputs) == (GenerationStatus.FAILED, [])


async def test_gets_are_retried_after_retry_after(
    fake: FakeFramehood, client: FramehoodClient, sleep: RecordingSleep
) -> None:
    job_id = await train(client)
    fake.fail_next("GET /jobs/*", 429, retry_after=7)
    assert (await client.training(job_id)).state is TrainingState.TRAINING
    assert sleep.delays == [7.0]

    # A 503 that does not say "disabled" is a passing failure: retried with backoff.
    fake.fail_next("GET /jobs/*", 503, times=2)
    assert (await client.training(job_id)).id == job_id
    assert len(sleep.delays) == 3
    assert [r.status for r in fake.requests_for("GET /jobs/*")] == [429, 200, 503, 503, 200]


async def test_an_unknown_job_is_not_found_not_disabled(
    client: FramehoodClient, sleep: RecordingSleep
) -> None:
    with pytest.raises(NotFoundError):
        await client.status("job_missing")
    assert sleep.delays == []
    assert await client.available() is True


async def test_delete_model_is_a_no_op(fake: FakeFramehood, client: FramehoodClient) -> None:
    await client.delete_model("https://files.example/a.safetensors")
    assert fake.requests == []


# --- What counts as disabled (the assumed rule)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, {"error": {"code": "not_found", "message": "no such model"}}),
        (410, None),
        (501, None),
        (503, {"error": {"code": DISABLED_CODE, "message": "later"}}),
        (403, {"error": {"code": "forbidden", "message": "This model is disabled"}}),
        (400, {"error": "actor models are unavailable"}),
        (503, {"detail": "Model not available"}),
    ],
)
async def test_these_creation_answers_mean_disabled(
    fake: FakeFramehood, client: FramehoodClient, status: int, body: object
) -> None:
    fake.respond_next(f"POST /jobs/{LORA_INFERENCE}", status, json=body)
    with pytest.raises(ProviderUnavailableError):
        await client.picture("https://files.example/a.safetensors", "A", "x", "k")
    assert await client.available() is False


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (503, None, InternalServerError),  # a proxy's bare "Service Unavailable"
        (502, {"error": {"code": "bad_gateway", "message": "upstream"}}, InternalServerError),
        (401, {"error": {"code": "key_disabled", "message": "key disabled"}}, AuthenticationError),
    ],
)
async def test_these_creation_answers_do_not(
    fake: FakeFramehood,
    client: FramehoodClient,
    status: int,
    body: object,
    error: type[ProviderError],
) -> None:
    if body is None:
        fake.respond_next(f"POST /jobs/{LORA_INFERENCE}", status, text="Service Unavailable")
    else:
        fake.respond_next(f"POST /jobs/{LORA_INFERENCE}", status, json=body)
    with pytest.raises(error):
        await client.picture("https://files.example/a.safetensors", "A", "x", "k")
    assert await client.available() is True


async def test_a_job_created_already_failed_as_disabled_is_unavailable(
    fake: FakeFramehood, client: FramehoodClient
) -> None:
    fake.respond_next(
        f"POST /jobs/{VOICE_CLONE}",
        json={"id": 9, "status": "failed", "error": {"code": "model_disabled"}},
    )
    with pytest.raises(ProviderUnavailableError):
        await client.clone_voice(VOICE, name="Anna", idempotency_key="job-v")


async def test_a_disabled_answer_to_a_poll_is_unavailable(
    fake: FakeFramehood, client: FramehoodClient, sleep: RecordingSleep
) -> None:
    job_id = await train(client)
    fake.fail_next("GET /jobs/*", 503, DISABLED_CODE, message="Actor models are disabled")
    with pytest.raises(ProviderUnavailableError):
        await client.training(job_id)
    assert sleep.delays == []  # not worth repeating
    assert await client.available() is False


# --- Lenient reading of the assumed shapes


@pytest.mark.parametrize(
    "output",
    [
        {"diffusers_lora_file": {"url": "https://cdn.example/l.safetensors"}},
        {"lora_url": "https://cdn.example/l.safetensors", "url": "https://cdn.example/x"},
        {"url": "https://cdn.example/l.safetensors"},
        "https://cdn.example/l.safetensors",
    ],
)
async def test_the_lora_url_is_found_in_several_shapes(
    fake: FakeFramehood, client: FramehoodClient, output: object
) -> None:
    fake.respond_next("GET /jobs/*", json={"id": "j", "status": "COMPLETED", "output": output})
    trained = await client.training("j")
    assert (trained.state, trained.model_ref) == (
        TrainingState.TRAINED,
        "https://cdn.example/l.safetensors",
    )


async def test_picture_urls_are_found_in_several_shapes(
    fake: FakeFramehood, client: FramehoodClient
) -> None:
    fake.respond_next(
        "GET /jobs/*",
        json={
            "id": "j",
            "status": "succeeded",
            "output": {"images": ["https://a", {"url": "https://b"}]},
        },
    )
    assert [o.url for o in (await client.result("j")).outputs] == ["https://a", "https://b"]
    fake.respond_next(
        "GET /jobs/*", json={"id": "j", "status": "succeeded", "output": {"url": "https://c"}}
    )
    assert [o.url for o in (await client.result("j")).outputs] == ["https://c"]


@pytest.mark.parametrize(
    "body",
    [
        {"id": "j", "status": "exploded"},
        {"id": "j", "status": "succeeded", "output": None},
        {"status": "running"},
    ],
)
async def test_answers_that_do_not_fit_are_response_validation_errors(
    fake: FakeFramehood, client: FramehoodClient, body: object
) -> None:
    fake.respond_next("GET /jobs/*", json=body)
    with pytest.raises(APIResponseValidationError) as caught:
        await client.training("j")
    assert caught.value.status_code == 200


async def test_a_voice_clone_without_a_voice_id_is_no_trained_voice(
    fake: FakeFramehood, client: FramehoodClient
) -> None:
    fake.respond_next(
        f"POST /jobs/{VOICE_CLONE}",
        201,
        json={"id": "j", "status": "succeeded", "output": {"url": "https://a/out.json"}},
    )
    with pytest.raises(APIResponseValidationError) as caught:
        await client.clone_voice(VOICE, name="Anna", idempotency_key="job-v")
    assert "voice_id" in str(caught.value)


async def test_a_mock_training_is_free_and_finished(fake: FakeFramehood) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for n in range(4):
            zipped.writestr(f"{n}.jpg", b"x")
    uri = "data:application/zip;base64," + base64.b64encode(archive.getvalue()).decode()
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {KEY}"}) as http:
        response = await http.post(
            f"{fake.base_url}/v1/jobs/{LORA_TRAIN}",
            json={"images_data_url": uri, "out": "a.safetensors", "mock": True},
        )
        job = response.json()
        assert job["status"] == "succeeded" and fake.balance == 1000
        lora = await http.get(job["output"]["diffusers_lora_file"]["url"])
    assert lora.content == DEFAULT_LORA
