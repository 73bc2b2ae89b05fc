"""A fake Scenario API server, for the client's tests and the bot's end-to-end tests.

It serves ``http://127.0.0.1:PORT/v1`` as the reference documents describe Scenario
(``/work/shared/reference/scenario-*``), plus the paths the reference README lists beyond
them, with the shapes `providers.scenario` assumes for those:

* HTTP Basic auth, API key as user and secret as password; a missing or wrong pair is
  401. The documents print no error body, so every error here is ``{"error": "<message>"}``
  (what `providers.errors.make_status_error` reads as the message);
* ``POST /models`` ``{"name", "type"}`` -> ``{"model": ...}``; ``GET``, ``PUT`` (name and
  ``parameters``, every documented parameter checked by name, the model-type-only ones
  by type, and the enumerated values) and ``DELETE /models/{modelId}`` (404 once gone);
* ``POST /models/{modelId}/training-images`` ``{"data": <data URL>, "name"}`` (or
  ``{"assetId"}``), stored decoded;
* ``PUT /models/{modelId}/train`` -> ``{"job", "model", "creativeUnitsCost"}``; the model
  goes ``new`` -> ``training`` (``trainingProgress`` stage ``queued-for-train``, then as
  the test says) -> ``trained`` | ``failed`` | ``training-canceled``, and its training job
  follows (``queued``, ``in-progress``, ``success`` | ``failure`` | ``canceled``);
* ``POST /generate/txt2img`` ``{"modelId", "prompt", "numSamples"}`` with a trained image
  LoRA -> ``{"job": ..., "creativeUnitsCost"}``; ``GET /jobs/{jobId}`` -> ``{"job": {"jobId",
  "status", "progress", "metadata": {"assetIds", "error"}}}``; ``GET /assets/{assetId}`` ->
  ``{"asset": {"id", "url", ...}}``, the url served at ``/files/{id}`` with no auth, as a
  CDN link would be.

Scenario's rate limits are not printed, so the fake has none of its own; ``fail_next(...,
429, retry_after=...)`` injects one.

Test control
------------
State, read (and written) freely: ``models`` (id -> `ModelRecord`: type, name, parameters,
training_images with decoded bytes and names, status, stage, progress, remaining_seconds,
error), ``jobs`` (id -> `JobRecord`), ``assets``, ``requests`` (every request with its
headers, JSON body and the status answered), ``server_errors`` (bugs in the fake; raised
again on exit).

Trainings never finish by themselves (unless ``polls_until_trained`` is given): the test
drives them, across a bot restart if it likes::

    async with FakeScenario() as scenario:
        client = ScenarioClient(scenario.api_key, scenario.api_secret, scenario.base_url)
        ...  # the code under test starts a training
        model = await scenario.wait_for_model(type="flux.1-lora", status="training")
        scenario.advance(model.id, progress=0.5, remaining_seconds=120)
        scenario.finish(model.id)           # or scenario.fail(model.id, reason="bad photos")

A txt2img job answers ``in-progress`` to ``job_polls_until_done`` polls (1 by default;
None: only ``finish_job`` ends it), then ``success`` with ``numSamples`` small PNGs.
``add_model(type, status=...)`` puts a model in place without any request (an actor
trained earlier, say). Failures: ``fail_next("POST /models", 500)`` answers the next
matching request with an error (``retry_after=`` adds the header, ``process=True``
handles the request first, as a server that fails after doing the work). A target is
``"METHOD"``, a path or ``"METHOD path"``; paths may use ``*`` and are relative to
``/v1`` unless they start with ``/files/``.

Waiting, without sleeps: ``await wait_until(predicate)`` and ``wait_for_model(...)``
re-check whenever the fake handles a request or changes state, and raise TimeoutError
with the latest requests after ``timeout`` seconds. Everything runs on the test's event
loop; handlers await only request bodies, so state changes are atomic between awaits.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any, Literal, Self

from aiohttp import web
from PIL import Image

from bot.playground.server import serve
from tests.fakes import canned
from tests.fakes.canned import FakeProviderServer

JSON = dict[str, Any]

API = "/v1"
FILES = "/files"
DEFAULT_API_KEY = "scenario_fake_key"
DEFAULT_API_SECRET = "scenario_fake_secret"

# Printed in scenario-models-update.md.
MODEL_TYPES = frozenset(
    {
        "custom",
        "elevenlabs-voice",
        "flux.1",
        "flux.1-composition",
        "flux.1-kontext-dev",
        "flux.1-kontext-lora",
        "flux.1-krea-dev",
        "flux.1-krea-lora",
        "flux.1-lora",
        "flux.1-pro",
        "flux.1.1-pro-ultra",
        "flux.2-dev-edit-lora",
        "flux.2-dev-lora",
        "flux.2-klein-4b-edit-lora",
        "flux.2-klein-4b-lora",
        "flux.2-klein-9b-edit-lora",
        "flux.2-klein-9b-lora",
        "flux.2-klein-base-4b-edit-lora",
        "flux.2-klein-base-4b-lora",
        "flux.2-klein-base-9b-edit-lora",
        "flux.2-klein-base-9b-lora",
        "flux1.1-pro",
        "gpt-image-1",
        "qwen-image-2512-lora",
        "qwen-image-edit-2509-lora",
        "qwen-image-edit-2511-lora",
        "qwen-image-edit-lora",
        "qwen-image-lora",
        "sd-1_5",
        "sd-1_5-composition",
        "sd-1_5-lora",
        "sd-xl",
        "sd-xl-composition",
        "sd-xl-lora",
        "zimage-de-turbo-lora",
        "zimage-lora",
        "zimage-turbo-lora",
    }
)
VOICE_TYPE = "elevenlabs-voice"
PARAMETERS = frozenset(
    {
        "age",
        "batchSize",
        "classPrompt",
        "cloneType",
        "conceptPrompt",
        "gender",
        "language",
        "learningRate",
        "learningRateTextEncoder",
        "learningRateUnet",
        "lrScheduler",
        "maxTrainSteps",
        "nbEpochs",
        "nbRepeats",
        "numTextTrainSteps",
        "numUNetTrainSteps",
        "optimizeFor",
        "priorLossWeight",
        "randomCrop",
        "randomCropRatio",
        "randomCropScale",
        "rank",
        "removeBackgroundNoise",
        "samplePrompts",
        "sampleSourceImages",
        "scaleLr",
        "seed",
        "textEncoderTrainingRatio",
        "validationFrequency",
        "validationPrompt",
        "voiceDescription",
        "wandbKey",
    }
)
FLUX_LORA_ONLY = frozenset(
    {"batchSize", "nbEpochs", "nbRepeats", "optimizeFor", "samplePrompts", "sampleSourceImages"}
)
"""Parameters the document marks "Only available for Flux LoRA training"."""
VOICE_ONLY = frozenset(
    {"age", "cloneType", "gender", "language", "removeBackgroundNoise", "voiceDescription"}
)
"""Parameters the document marks "Only available for ElevenLabs voice training"."""
ENUMERATED: Mapping[str, tuple[str, ...]] = {
    "optimizeFor": ("likeness", "all", "none"),
    "cloneType": ("instant", "professional"),
    "lrScheduler": (
        "constant",
        "constant-with-warmup",
        "cosine",
        "cosine-with-restarts",
        "linear",
        "polynomial",
    ),
}
FLUX_MAX_TRAIN_STEPS = 10_000
FLUX_RANK = (2, 64)

ModelStatus = Literal["copying", "failed", "new", "trained", "training", "training-canceled"]
TrainingStage = Literal[
    "pending", "pending-captcha", "queued-for-train", "running-train", "starting-train"
]
JobStatus = Literal[
    "queued", "warming-up", "in-progress", "finalizing", "success", "failure", "canceled"
]
JOB_TERMINAL = frozenset({"success", "failure", "canceled"})
_TRAINING_JOB_ENDS: Mapping[str, JobStatus] = {
    "trained": "success",
    "failed": "failure",
    "training-canceled": "canceled",
}

TRAINING_COST = {"flux.1-lora": 100.0, VOICE_TYPE: 10.0}
"""Creative units the train trigger reports (the fake's own prices); others cost 50."""
IMAGE_COST = 5.0
"""Creative units per txt2img sample (the fake's own price)."""

_DATA_URL = re.compile(r"data:(?P<type>[\w.+-]+/[\w.+-]+)?(?:;[^;,]*)*;base64,(?P<data>.*)", re.S)


@cache
def default_png() -> bytes:
    """What a txt2img job makes: a valid 8x8 PNG."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "orange").save(buffer, format="PNG")
    return buffer.getvalue()


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")


def _is_flux_lora(model_type: str) -> bool:
    return model_type.startswith("flux") and model_type.endswith("lora")


# --- Records the tests read


@dataclass
class TrainingImage:
    id: str
    name: str | None
    data: bytes
    """Decoded from the data URL (or the asset's bytes)."""
    content_type: str
    created_at: float


@dataclass
class ModelRecord:
    id: str
    type: str
    name: str | None
    created_at: float
    parameters: JSON = field(default_factory=dict)
    training_images: list[TrainingImage] = field(default_factory=list)
    status: ModelStatus = "new"
    stage: TrainingStage | None = None
    progress: float | None = None
    """`trainingProgress.progress` as served (a fraction, unless a test says otherwise)."""
    remaining_seconds: float | None = None
    position: int | None = None
    error: str | None = None
    """Why `fail` failed it. A model has no documented field for it, so it is served only as
    the training job's `metadata.error`."""
    train_job_id: str | None = None
    polls: int = 0
    """GETs of the model since its training started."""
    training_started_at: float | None = None
    updated_at: float = 0.0

    def as_json(self, files_url: str) -> JSON:
        body: JSON = {
            "id": self.id,
            "capabilities": [] if self.type == VOICE_TYPE else ["txt2img"],
            "collectionIds": [],
            "createdAt": _iso(self.created_at),
            "custom": False,
            "exampleAssetIds": [],
            "privacy": "private",
            "source": "scenario",
            "status": self.status,
            "tags": [],
            "trainingImagesNumber": len(self.training_images),
            "type": self.type,
            "updatedAt": _iso(self.updated_at),
            "parameters": self.parameters,
            "trainingImages": [
                {
                    "id": image.id,
                    "automaticCaptioning": "",
                    "createdAt": _iso(image.created_at),
                    "description": "",
                    "downloadUrl": f"{files_url}/{image.id}",
                    "name": image.name or "",
                }
                for image in self.training_images[:3]
            ],
        }
        if self.name is not None:
            body["name"] = self.name
        if self.status == "training":
            progress: JSON = {"stage": self.stage, "updatedAt": int(self.updated_at * 1000)}
            if self.position is not None:
                progress["position"] = self.position
            if self.progress is not None:
                progress["progress"] = self.progress
            if self.remaining_seconds is not None:
                progress["remainingTimeMs"] = int(self.remaining_seconds * 1000)
            if self.training_started_at is not None:
                progress["startedAt"] = int(self.training_started_at * 1000)
            body["trainingProgress"] = progress
        return body


@dataclass
class AssetRecord:
    id: str
    data: bytes
    content_type: str
    url: str
    """At the fake's `/files/{id}`, no auth."""
    created_at: float

    def as_json(self) -> JSON:
        return {
            "id": self.id,
            "url": self.url,
            "mimeType": self.content_type,
            "kind": self.content_type.split("/")[0],
            "createdAt": _iso(self.created_at),
            "status": "success",
            "properties": {"size": len(self.data)},
        }


@dataclass
class JobRecord:
    id: str
    job_type: str
    """`inference` for txt2img; `flux-model-training` or `model-training` for a training."""
    input: JSON
    created_at: float
    cost: float
    model_id: str | None = None
    status: JobStatus = "queued"
    progress: float = 0.0
    asset_ids: list[str] = field(default_factory=list)
    error: str | None = None
    polls: int = 0
    polls_until_done: int | None = None
    """txt2img only: polls answered `in-progress` before `success`; None: only `finish_job`."""
    updated_at: float = 0.0

    @property
    def is_terminal(self) -> bool:
        return self.status in JOB_TERMINAL

    def as_json(self) -> JSON:
        metadata: JSON = {"input": self.input, "assetIds": self.asset_ids}
        if self.error is not None:
            metadata["error"] = self.error
        return {
            "jobId": self.id,
            "jobType": self.job_type,
            "status": self.status,
            "progress": self.progress,
            "createdAt": _iso(self.created_at),
            "updatedAt": _iso(self.updated_at),
            "metadata": metadata,
        }


class ApiError(canned.ApiError):
    """An error answer, `{"error": message}`."""

    def __init__(
        self, status: int, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(status, "", message, headers)

    def envelope(self) -> JSON:
        return {"error": self.message}


class FakeScenario(FakeProviderServer):
    """Scenario's API at ``base_url``; use as ``async with FakeScenario() as scenario``."""

    label = "Scenario"
    api = API
    roots = (API + "/", FILES + "/")

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        api_secret: str = DEFAULT_API_SECRET,
        polls_until_trained: int | None = None,
        job_polls_until_done: int | None = 1,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`polls_until_trained`: a training answers `training` to that many GETs of its
        model, then `trained` (None: only `finish` and `fail` end it). `clock` dates
        records (seconds since the epoch)."""
        super().__init__()
        self.api_key = api_key
        self.api_secret = api_secret
        self.polls_until_trained = polls_until_trained
        self.job_polls_until_done = job_polls_until_done
        self.clock = clock
        self.models: dict[str, ModelRecord] = {}
        self.jobs: dict[str, JobRecord] = {}
        self.assets: dict[str, AssetRecord] = {}
        self.root_url = ""
        self.base_url = ""
        self._files: dict[str, tuple[bytes, str]] = {}

    async def __aenter__(self) -> Self:
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024**2)
        app.router.add_post(f"{API}/models", self._create_model)
        app.router.add_get(f"{API}/models/{{id}}", self._get_model)
        app.router.add_put(f"{API}/models/{{id}}", self._update_model)
        app.router.add_delete(f"{API}/models/{{id}}", self._delete_model)
        app.router.add_post(f"{API}/models/{{id}}/training-images", self._add_training_image)
        app.router.add_put(f"{API}/models/{{id}}/train", self._train)
        app.router.add_post(f"{API}/generate/txt2img", self._txt2img)
        app.router.add_get(f"{API}/jobs/{{id}}", self._get_job)
        app.router.add_get(f"{API}/assets/{{id}}", self._get_asset)
        app.router.add_get(f"{FILES}/{{id}}", self._get_file)
        self._runner, self.root_url = await serve(app)
        self.base_url = self.root_url + API
        return self

    # --- Test-facing API: trainings

    def add_model(
        self, type: str = "flux.1-lora", *, status: ModelStatus = "trained", name: str = "actor"
    ) -> ModelRecord:
        """Put a model in place without any request (trained by default); return it."""
        if type not in MODEL_TYPES:
            raise ValueError(f"unknown model type {type!r}")
        record = self._new_model(type, name)
        record.status = status
        if status == "training":
            record.stage = "queued-for-train"
            record.training_started_at = record.updated_at
        self._changes.notify()
        return record

    def advance(
        self,
        model_id: str,
        *,
        progress: float | None = None,
        remaining_seconds: float | None = None,
        stage: TrainingStage = "running-train",
        position: int | None = None,
    ) -> ModelRecord:
        """Move a training on: the next GET of the model shows this `trainingProgress`."""
        record = self._training_model(model_id)
        record.stage, record.position = stage, position
        record.progress, record.remaining_seconds = progress, remaining_seconds
        record.updated_at = self.clock()
        if stage in ("starting-train", "running-train"):
            self._set_train_job(record, "in-progress", progress or 0.0)
        self._changes.notify()
        return record

    def finish(self, model_id: str) -> ModelRecord:
        """End a training as `trained`."""
        record = self._training_model(model_id)
        self._end_training(record, "trained")
        self._changes.notify()
        return record

    def fail(
        self,
        model_id: str,
        reason: str = "training failed",
        *,
        status: Literal["failed", "training-canceled"] = "failed",
    ) -> ModelRecord:
        """End a training as `failed` (or `training-canceled`); `reason` goes to its job."""
        record = self._training_model(model_id)
        record.error = reason
        self._end_training(record, status)
        self._changes.notify()
        return record

    # --- Test-facing API: txt2img jobs

    def finish_job(
        self,
        job_id: str,
        status: Literal["success", "failure", "canceled"] = "success",
        *,
        error: str | None = None,
        images: list[bytes] | None = None,
    ) -> JobRecord:
        """End a txt2img job now; success makes `images` (default: numSamples PNGs)."""
        record = self.jobs[job_id]
        if record.is_terminal:
            raise ValueError(f"job {job_id} already ended {record.status}")
        self._complete_job(record, status, error, images)
        self._changes.notify()
        return record

    # --- Test-facing API: waiting and reading

    async def wait_for_model(
        self,
        *,
        type: str | None = None,
        status: ModelStatus | None = None,
        timeout: float = 5.0,
    ) -> ModelRecord:
        """Wait until a model of `type` (any) is in `status` (any); return the first such."""

        def matching() -> list[ModelRecord]:
            return [
                m
                for m in self.models.values()
                if (type is None or m.type == type) and (status is None or m.status == status)
            ]

        await self.wait_until(lambda: bool(matching()), timeout)
        return matching()[0]

    # --- Internals: state

    def _state_lines(self) -> list[str]:
        return [
            f"models: {[(m.id, m.type, m.status) for m in self.models.values()]}",
            f"jobs: {[(j.id, j.job_type, j.status) for j in self.jobs.values()]}",
        ]

    def _new_model(self, model_type: str, name: str | None) -> ModelRecord:
        now = self.clock()
        record = ModelRecord(self._new_id("model"), model_type, name, now, updated_at=now)
        self.models[record.id] = record
        return record

    def _training_model(self, model_id: str) -> ModelRecord:
        record = self.models[model_id]
        if record.status != "training":
            raise ValueError(f"model {model_id} is {record.status}, not training")
        return record

    def _set_train_job(self, record: ModelRecord, status: JobStatus, progress: float) -> None:
        job = self.jobs.get(record.train_job_id or "")
        if job is not None:
            job.status, job.progress, job.updated_at = status, progress, self.clock()
            job.error = record.error if status in ("failure", "canceled") else None

    def _end_training(
        self, record: ModelRecord, status: Literal["trained", "failed", "training-canceled"]
    ) -> None:
        record.status = status
        record.stage = record.progress = record.remaining_seconds = record.position = None
        record.updated_at = self.clock()
        self._set_train_job(
            record, _TRAINING_JOB_ENDS[status], 1.0 if status == "trained" else 0.0
        )

    def _complete_job(
        self, record: JobRecord, status: JobStatus, error: str | None, images: list[bytes] | None
    ) -> None:
        record.status, record.updated_at = status, self.clock()
        if status != "success":
            record.error = error or f"the job ended {status}"
            return
        record.progress = 1.0
        samples = int(record.input.get("numSamples", 1))
        for data in images if images is not None else [default_png()] * samples:
            asset = self._store_asset(data, "image/png")
            record.asset_ids.append(asset.id)

    def _store_asset(self, data: bytes, content_type: str) -> AssetRecord:
        asset_id = self._new_id("asset")
        asset = AssetRecord(
            asset_id, data, content_type, f"{self.root_url}{FILES}/{asset_id}", self.clock()
        )
        self.assets[asset_id] = asset
        self._files[asset_id] = (data, content_type)
        return asset

    # --- Internals: HTTP

    def _error(self, status: int, code: str, message: str) -> ApiError:
        return ApiError(status, message)

    def _authenticate(self, request: web.Request) -> None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic" or not token.strip():
            raise ApiError(401, "Unauthorized: send the API key and secret with HTTP Basic auth")
        try:
            user, _, password = (
                base64.b64decode(token.strip(), validate=True).decode().partition(":")
            )
        except (binascii.Error, UnicodeDecodeError):
            raise ApiError(401, "Unauthorized: malformed Basic credentials") from None
        if (user, password) != (self.api_key, self.api_secret):
            raise ApiError(401, "Unauthorized: invalid API key or secret")

    async def _body(self, request: web.Request) -> JSON:
        try:
            body = await request.json()
        except ValueError:
            raise ApiError(400, "the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ApiError(400, "the body must be a JSON object")
        return body

    def _model(self, request: web.Request) -> ModelRecord:
        model_id = request.match_info["id"]
        record = self.models.get(model_id)
        if record is None:
            raise ApiError(404, f"Model {model_id} not found")
        return record

    async def _create_model(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        model_type, name = body.get("type"), body.get("name")
        if model_type not in MODEL_TYPES:
            raise ApiError(400, f"type: must be one of the model types, not {model_type!r}")
        if name is not None and not isinstance(name, str):
            raise ApiError(400, "name: must be a string")
        record = self._new_model(model_type, name)
        return web.json_response({"model": record.as_json(self.root_url + FILES)})

    async def _get_model(self, request: web.Request) -> web.Response:
        record = self._model(request)
        if record.status == "training" and self.polls_until_trained is not None:
            record.polls += 1
            if record.polls > self.polls_until_trained:
                self._end_training(record, "trained")
            else:
                record.stage = "running-train"
                record.progress = record.polls / (self.polls_until_trained + 1)
                record.updated_at = self.clock()
        return web.json_response({"model": record.as_json(self.root_url + FILES)})

    async def _update_model(self, request: web.Request) -> web.Response:
        record = self._model(request)
        body = await self._body(request)
        if "name" in body:
            if not isinstance(body["name"], str):
                raise ApiError(400, "name: must be a string")
            record.name = body["name"]
        if "type" in body:
            if record.status != "new":
                raise ApiError(400, "type: can only be changed while the model is new")
            if body["type"] not in MODEL_TYPES:
                raise ApiError(400, f"type: unknown model type {body['type']!r}")
            record.type = body["type"]
        parameters = body.get("parameters", {})
        if not isinstance(parameters, dict):
            raise ApiError(400, "parameters: must be an object")
        _check_parameters(record.type, parameters)
        record.parameters |= parameters
        record.updated_at = self.clock()
        return web.json_response({"model": record.as_json(self.root_url + FILES)})

    async def _delete_model(self, request: web.Request) -> web.Response:
        record = self._model(request)
        del self.models[record.id]
        return web.json_response({})

    async def _add_training_image(self, request: web.Request) -> web.Response:
        record = self._model(request)
        body = await self._body(request)
        name = body.get("name")
        if "assetId" in body:
            asset = self.assets.get(body["assetId"])
            if asset is None:
                raise ApiError(400, f"assetId: no asset {body['assetId']!r}")
            data, content_type = asset.data, asset.content_type
        else:
            data, content_type = _decode_data_url(body.get("data"))
        wanted = "audio/" if record.type == VOICE_TYPE else "image/"
        if not content_type.startswith(wanted):
            raise ApiError(
                400, f"data: a {record.type} model trains on {wanted}*, not {content_type}"
            )
        image = TrainingImage(self._new_id("asset"), name, data, content_type, self.clock())
        record.training_images.append(image)
        self._files[image.id] = (data, content_type)
        return web.json_response(
            {
                "trainingImage": {
                    "id": image.id,
                    "automaticCaptioning": "",
                    "createdAt": _iso(image.created_at),
                    "description": "",
                    "downloadUrl": f"{self.root_url}{FILES}/{image.id}",
                    "name": name or "",
                }
            }
        )

    async def _train(self, request: web.Request) -> web.Response:
        record = self._model(request)
        if record.status != "new":
            raise ApiError(400, f"the model is {record.status}; only a new model can be trained")
        if not record.training_images:
            raise ApiError(400, "the model has no training data")
        now = self.clock()
        cost = TRAINING_COST.get(record.type, 50.0)
        job_type = "flux-model-training" if _is_flux_lora(record.type) else "model-training"
        job = JobRecord(
            self._new_id("job"),
            job_type,
            {"modelId": record.id},
            now,
            cost,
            record.id,
            updated_at=now,
        )
        self.jobs[job.id] = job
        record.status, record.stage, record.position = "training", "queued-for-train", 0
        record.progress, record.train_job_id = 0.0, job.id
        record.training_started_at = record.updated_at = now
        record.polls = 0
        return web.json_response(
            {
                "job": job.as_json(),
                "model": record.as_json(self.root_url + FILES),
                "creativeUnitsCost": cost,
            }
        )

    async def _txt2img(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        model_id, prompt = body.get("modelId"), body.get("prompt")
        samples = body.get("numSamples", 4)
        if not isinstance(model_id, str):
            raise ApiError(400, "modelId: required")
        model = self.models.get(model_id)
        if model is None:
            raise ApiError(404, f"Model {model_id} not found")
        if model.type == VOICE_TYPE or model.status != "trained":
            raise ApiError(400, f"modelId: {model_id} is no trained image model")
        if not isinstance(prompt, str) or not prompt.strip():
            raise ApiError(400, "prompt: required")
        if not isinstance(samples, int) or not 1 <= samples <= 16:
            raise ApiError(400, "numSamples: must be an integer from 1 to 16")
        now = self.clock()
        job = JobRecord(
            self._new_id("job"),
            "inference",
            body | {"numSamples": samples},
            now,
            IMAGE_COST * samples,
            model_id,
            polls_until_done=self.job_polls_until_done,
            updated_at=now,
        )
        self.jobs[job.id] = job
        return web.json_response({"job": job.as_json(), "creativeUnitsCost": job.cost})

    async def _get_job(self, request: web.Request) -> web.Response:
        job_id = request.match_info["id"]
        record = self.jobs.get(job_id)
        if record is None:
            raise ApiError(404, f"Job {job_id} not found")
        if record.job_type == "inference" and not record.is_terminal:
            record.polls += 1
            done_after = record.polls_until_done
            if done_after is not None and record.polls > done_after:
                self._complete_job(record, "success", None, None)
            else:
                record.status, record.updated_at = "in-progress", self.clock()
                if done_after is not None:
                    record.progress = record.polls / (done_after + 1)
        return web.json_response({"job": record.as_json()})

    async def _get_asset(self, request: web.Request) -> web.Response:
        asset_id = request.match_info["id"]
        asset = self.assets.get(asset_id)
        if asset is None:
            raise ApiError(404, f"Asset {asset_id} not found")
        return web.json_response({"asset": asset.as_json()})

    async def _get_file(self, request: web.Request) -> web.Response:
        stored = self._files.get(request.match_info["id"])
        if stored is None:
            raise ApiError(404, "no such file")
        data, content_type = stored
        return web.Response(body=data, content_type=content_type)


def _decode_data_url(value: object) -> tuple[bytes, str]:
    """`data:<type>;base64,<data>` -> (bytes, type). The type is required: without it
    Scenario cannot tell what kind of asset to make of it."""
    if not isinstance(value, str):
        raise ApiError(400, "data: a data URL (or assetId) is required")
    match = _DATA_URL.fullmatch(value)
    if match is None or not match["type"]:
        raise ApiError(400, "data: must be a data URL like data:image/png;base64,...")
    try:
        return base64.b64decode(match["data"], validate=True), match["type"].lower()
    except binascii.Error:
        raise ApiError(400, "data: the base64 payload is invalid") from None


def _check_parameters(model_type: str, parameters: JSON) -> None:
    """Refuse what the document rules out: unknown names, a parameter only another kind of
    training takes, a value outside an enumeration or a Flux LoRA range."""
    flux_lora = _is_flux_lora(model_type)
    for name, value in parameters.items():
        if name not in PARAMETERS:
            raise ApiError(400, f"parameters.{name}: unknown parameter")
        if name in FLUX_LORA_ONLY and not flux_lora:
            raise ApiError(400, f"parameters.{name}: only available for Flux LoRA training")
        if name in VOICE_ONLY and model_type != VOICE_TYPE:
            raise ApiError(400, f"parameters.{name}: only available for ElevenLabs voice training")
        allowed = ENUMERATED.get(name)
        if allowed is not None and value not in allowed:
            raise ApiError(400, f"parameters.{name}: must be one of {', '.join(allowed)}")
    if flux_lora:
        steps = parameters.get("maxTrainSteps")
        if steps is not None and not 0 <= steps <= FLUX_MAX_TRAIN_STEPS:
            raise ApiError(400, f"parameters.maxTrainSteps: at most {FLUX_MAX_TRAIN_STEPS}")
        rank = parameters.get("rank")
        if rank is not None and not FLUX_RANK[0] <= rank <= FLUX_RANK[1]:
            raise ApiError(400, f"parameters.rank: must be within {FLUX_RANK}")
