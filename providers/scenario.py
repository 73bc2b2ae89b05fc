"""The Scenario API client (https://api.cloud.scenario.com/v1): actor likeness and voice.

`ScenarioClient` implements `providers.base.ActorProvider`. A likeness is a `flux.1-lora`
model trained on the actor's face photos; a voice is an `elevenlabs-voice` model, an
instant clone of one sample; a picture is a txt2img job with a trained LoRA. A training's
id is its Scenario model id, and so is the `model_ref` of the trained result.

Every request is authorized with HTTP Basic (API key as user, API secret as password), as
the documents' curl examples show. Requests go through `providers.http.ApiTransport`,
retried as far as is safe:

* GETs, `DELETE /models/{id}` and the `PUT /models/{id}` parameter update (it sets the
  same values however often it runs) are retried on 408, 429, 5xx, timeouts and
  connection errors;
* the creates (`POST /models`, `POST .../training-images`, `POST /generate/txt2img`) and
  the train trigger (`PUT /models/{id}/train`) are retried only on 429, which means the
  request was refused before anything was done. After a 5xx or a timeout the first
  attempt may have created a model, added an image or started a (paid) job, so the error
  goes to the caller instead of doing it twice;
* no other 4xx is retried: the same request would be refused again.

Each attempt takes a slot of the shared `RateBudget` (read for GETs, generate for creates,
updates and deletes, upload for training images); among waiting reads, a finished job's
result and downloads go before status polls.

Scenario documents no `Idempotency-Key` (nor any other way to make a create safe to
repeat), so the `idempotency_key` arguments of the protocol are not sent anywhere. What
that costs: a process that crashes between creating a model (or starting a job) and
recording its id leaves an unused model (or an unread job) at Scenario, and running the
step again creates another. A training that fails *inside* `train_likeness` or
`clone_voice` after its model was created deletes that model before raising, so only a
crash (or a failed delete, which is logged) leaves one behind.

Everything this client assumes beyond the printed documents (paths, response envelopes,
job statuses) sits in the marked section below, so it is easy to correct against a live
key. Response bodies are parsed leniently: unknown fields are ignored and optional fields
may be missing.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Unpack

from pydantic import ConfigDict, Field, SecretStr
from pydantic.alias_generators import to_camel

from providers.errors import (
    InputValidationError,
    NotFoundError,
    ProviderError,
    ProviderUnavailableError,
)
from providers.http import (
    ApiClient,
    ApiTransport,
    TransportOptions,
    content_type,
    parse,
    refused_unprocessed,
    repeatable,
)
from providers.models import (
    Generation,
    GenerationResult,
    GenerationStatus,
    MediaKind,
    Output,
    Training,
    TrainingFile,
    TrainingState,
    WireModel,
)
from providers.ratelimit import Priority

if TYPE_CHECKING:
    from providers.base import ActorProvider

log = logging.getLogger(__name__)

DEFAULT_BASE_URL: Final = "https://api.cloud.scenario.com/v1"

LIKENESS_MODEL_TYPE: Final = "flux.1-lora"
VOICE_MODEL_TYPE: Final = "elevenlabs-voice"
MIN_LIKENESS_IMAGES: Final = 4
MAX_LIKENESS_IMAGES: Final = 30
"""The range `ActorProvider.train_likeness` promises; fewer photos make a poor likeness."""

FLUX_MAX_TRAIN_STEPS: Final = 10_000
"""`maxTrainSteps` "Maximum value ... For Flux: [0, 10000]"."""


def likeness_parameters(image_count: int, trigger_word: str) -> dict[str, Any]:
    """The `parameters` of a likeness LoRA, from `scenario-models-update.md`.

    `optimizeFor: "likeness"` trains the transformer blocks that matter for a portrait.
    The trigger word goes in `conceptPrompt`, "the prompt with identifier specifying the
    instance": Flux's default there is "" (no identifier), which would leave no word that
    calls up the likeness; `modelKeyword` is the legacy name the document points away from.
    The parameters the document prints a Flux LoRA default for are sent at that default,
    so a training runs (and costs, which follows the steps) the same when Scenario changes
    its defaults; those it prints none for (batchSize, nbEpochs, nbRepeats) are left to it.
    """
    parameters: dict[str, Any] = {
        "optimizeFor": "likeness",
        "maxTrainSteps": min(image_count * 100, FLUX_MAX_TRAIN_STEPS),
        "learningRate": 0.0001,
        "learningRateTextEncoder": 0.00001,
        "rank": 16,
    }
    if trigger_word:
        parameters["conceptPrompt"] = trigger_word
    return parameters


VOICE_PARAMETERS: Final[Mapping[str, Any]] = {"cloneType": "instant"}
"""Instant cloning: fast, one sample is enough, and unlike "professional" it needs no
captcha (the `pending-captcha` stage). `removeBackgroundNoise` stays off because it
refuses samples under 5 seconds."""


# --- Assumptions beyond the printed documents ------------------------------------------
#
# Printed (scenario-models-api.txt, scenario-models-update.md,
# scenario-train-trigger-python.txt): the Models resource (`POST /models` answers
# `{"model": ...}`, `GET`/`PUT`/`DELETE /models/{modelId}`), model statuses and
# `trainingProgress` stages, every training parameter, and the train trigger's answer
# `{"job", "model", "creativeUnitsCost"}`.
#
# Not printed, from Scenario's public OpenAPI tool listings (see the reference README):
# the paths below, the `{"job": ...}` / `{"asset": ...}` envelopes, a job's own `status`
# values (the pages list only a workflow node's: failure, pending, processing, ...), its
# `progress`, and an asset's `url`.

TRAINING_IMAGES: Final = "training-images"
"""`POST /models/{modelId}/training-images`, body `{"data": <data URL>, "name": ...}`."""
TRAIN: Final = "train"
"""`PUT /models/{modelId}/train`, the train trigger."""
TXT2IMG: Final = ("generate", "txt2img")
"""`POST /generate/txt2img`, body `{"modelId", "prompt", "numSamples"}` -> `{"job": ...}`."""
JOBS: Final = "jobs"
"""`GET /jobs/{jobId}` -> `{"job": {"jobId", "status", "metadata": {"assetIds", "error"}}}`."""
ASSETS: Final = "assets"
"""`GET /assets/{assetId}` -> `{"asset": {"id", "url", ...}}`."""

_JOB_STATUSES: Final[Mapping[str, GenerationStatus]] = {
    # A job's own statuses (success, failure and canceled are its terminal ones).
    "queued": GenerationStatus.QUEUED,
    "warming-up": GenerationStatus.QUEUED,
    "in-progress": GenerationStatus.PROCESSING,
    "finalizing": GenerationStatus.PROCESSING,
    "success": GenerationStatus.SUCCEEDED,
    "failure": GenerationStatus.FAILED,
    "canceled": GenerationStatus.FAILED,
    # The printed node statuses, in case a job reports in those words.
    "pending": GenerationStatus.QUEUED,
    "processing": GenerationStatus.PROCESSING,
}
"""Anything else is taken as still processing: polling on is safe, giving up is not."""


class _Wire(WireModel):
    """Scenario's bodies are camelCase; fields here are snake_case."""

    model_config = ConfigDict(extra="ignore", alias_generator=to_camel, populate_by_name=True)


class ScenarioTrainingProgress(_Wire):
    """`trainingProgress` of a model (printed)."""

    stage: str | None = None
    progress: float | None = None
    """"The progress of the job"; the unit is not printed (see `_fraction`)."""
    remaining_time_ms: float | None = None
    position: int | None = None


class ScenarioModel(_Wire):
    """A model (printed): only what the client reads."""

    id: str
    status: str
    type: str | None = None
    training_progress: ScenarioTrainingProgress | None = None


class ModelEnvelope(_Wire):
    """`POST /models` and `GET /models/{modelId}` (printed)."""

    model: ScenarioModel


class TrainTriggerResponse(_Wire):
    """`PUT /models/{modelId}/train` (printed: `job`, `model`, `creativeUnitsCost`)."""

    model: ScenarioModel
    creative_units_cost: float | None = None


class ScenarioJobMetadata(_Wire):
    asset_ids: list[str] = Field(default_factory=list)
    error: str | None = None


class ScenarioJob(_Wire):
    job_id: str
    status: str
    progress: float | None = None
    metadata: ScenarioJobMetadata = Field(default_factory=ScenarioJobMetadata)


class JobEnvelope(_Wire):
    """`POST /generate/txt2img` and `GET /jobs/{jobId}` (assumed)."""

    job: ScenarioJob


class ScenarioAsset(_Wire):
    id: str
    url: str


class AssetEnvelope(_Wire):
    """`GET /assets/{assetId}` (assumed)."""

    asset: ScenarioAsset


# --- end of assumptions ----------------------------------------------------------------

_MODEL_STATES: Final[Mapping[str, TrainingState]] = {
    "new": TrainingState.QUEUED,
    "copying": TrainingState.TRAINING,
    "training": TrainingState.TRAINING,
    "trained": TrainingState.TRAINED,
    "failed": TrainingState.FAILED,
    "training-canceled": TrainingState.FAILED,
}
"""Every printed model status; an unknown one is taken as still training."""

_WAITING_STAGES: Final = frozenset({"pending", "pending-captcha", "queued-for-train"})
"""`trainingProgress.stage`s before the trainer starts; the other two are `starting-train`
and `running-train`."""

_MODEL_ERRORS: Final[Mapping[str, str]] = {
    "failed": "Scenario could not train this model.",
    "training-canceled": "The training was canceled at Scenario.",
}
"""A model carries no failure reason in the documents, so the status is all there is."""


class ScenarioClient(ApiClient):
    """Async client of Scenario's API; one per API key pair (or share its budget)."""

    name = "scenario"

    def __init__(
        self,
        api_key: str,
        api_secret: str,
        base_url: str = DEFAULT_BASE_URL,
        **options: Unpack[TransportOptions],
    ) -> None:
        if not api_key or not api_secret:
            raise ProviderUnavailableError(
                "Scenario is not configured: the API key or secret is empty"
            )
        token = base64.b64encode(f"{api_key}:{api_secret}".encode()).decode("ascii")
        # The documents' paths are relative to the base URL, /v1 included.
        super().__init__(ApiTransport(base_url, "", SecretStr(f"Basic {token}"), **options))

    # --- ActorProvider: training

    async def available(self) -> bool:
        """Configured means available: the documents know no disabled state."""
        return True

    async def train_likeness(
        self, images: list[TrainingFile], *, name: str, trigger_word: str, idempotency_key: str
    ) -> Training:
        """Create a `flux.1-lora` model, add the photos, set its parameters, start training.

        4 to 30 images, all images, or InputValidationError before any request.
        `idempotency_key` is not sent: Scenario has none (see the module docstring).
        """
        if not MIN_LIKENESS_IMAGES <= len(images) <= MAX_LIKENESS_IMAGES:
            raise InputValidationError(
                422,
                "validation_error",
                f"A likeness needs {MIN_LIKENESS_IMAGES} to {MAX_LIKENESS_IMAGES} photos, "
                f"not {len(images)}.",
                field="images",
            )
        _require_kind(images, MediaKind.IMAGE, "images")
        return await self._train(
            LIKENESS_MODEL_TYPE, name, images, likeness_parameters(len(images), trigger_word)
        )

    async def clone_voice(
        self, sample: TrainingFile, *, name: str, idempotency_key: str
    ) -> Training:
        """Create an `elevenlabs-voice` model from one audio sample and start cloning it.

        Instant cloning may already be done in the answer; then the Training is `trained`.
        """
        _require_kind([sample], MediaKind.AUDIO, "sample")
        return await self._train(VOICE_MODEL_TYPE, name, [sample], dict(VOICE_PARAMETERS))

    async def training(self, training_id: str) -> Training:
        """`GET /models/{modelId}`: where the model's training stands."""
        url = self._transport.url("models", training_id)
        response = await self._transport.get(url, priority=Priority.POLL)
        return _training_of(parse(ModelEnvelope, response).model)

    async def delete_model(self, model_ref: str) -> None:
        """`DELETE /models/{modelId}`; one that is gone already (404) is no error."""
        try:
            await self._transport.request(
                "DELETE",
                self._transport.url("models", model_ref),
                bucket="generate",
                retry_on=repeatable,
            )
        except NotFoundError:
            log.info("Scenario model %s was already deleted", model_ref)

    # --- ActorProvider: pictures (GenerationSource)

    async def picture(
        self, model_ref: str, trigger_word: str | None, prompt: str, idempotency_key: str
    ) -> Generation:
        """Start one txt2img image with the trained LoRA; its id is Scenario's job id.

        The trigger word leads the prompt, as the LoRA learned it (`conceptPrompt`).
        """
        text = f"{trigger_word} {prompt}" if trigger_word else prompt
        response = await self._transport.request(
            "POST",
            self._transport.url(*TXT2IMG),
            bucket="generate",
            retry_on=refused_unprocessed,
            json={"modelId": model_ref, "prompt": text, "numSamples": 1},
        )
        return _generation_of(parse(JobEnvelope, response).job)

    async def status(self, generation_id: str) -> Generation:
        return _generation_of(await self._job(generation_id, Priority.POLL))

    async def result(self, generation_id: str) -> GenerationResult:
        """The job's status and, once it succeeded, the URL of each image it made."""
        job = await self._job(generation_id, Priority.FETCH)
        generation = _generation_of(job)
        outputs: list[Output] = []
        if generation.status is GenerationStatus.SUCCEEDED:
            for asset_id in job.metadata.asset_ids:
                url = self._transport.url(ASSETS, asset_id)
                response = await self._transport.get(url, priority=Priority.FETCH)
                outputs.append(Output(url=parse(AssetEnvelope, response).asset.url))
        return GenerationResult(
            id=generation.id, status=generation.status, error=generation.error, outputs=outputs
        )

    # --- Internals

    async def _train(
        self, model_type: str, name: str, files: list[TrainingFile], parameters: dict[str, Any]
    ) -> Training:
        response = await self._transport.request(
            "POST",
            self._transport.url("models"),
            bucket="generate",
            retry_on=refused_unprocessed,
            json={"name": name, "type": model_type},
        )
        model_id = parse(ModelEnvelope, response).model.id
        try:
            for file in files:
                await self._add_training_file(model_id, file)
            await self._transport.request(
                "PUT",
                self._transport.url("models", model_id),
                bucket="generate",
                retry_on=repeatable,
                json={"parameters": parameters},
            )
            response = await self._transport.request(
                "PUT",
                self._transport.url("models", model_id, TRAIN),
                bucket="generate",
                retry_on=refused_unprocessed,
            )
            started = parse(TrainTriggerResponse, response)
        except ProviderError:
            await self._discard(model_id)
            raise
        log.info(
            "Scenario %s model %s is training (%s creative units)",
            model_type,
            model_id,
            started.creative_units_cost,
        )
        return _training_of(started.model)

    async def _add_training_file(self, model_id: str, file: TrainingFile) -> None:
        media_type = content_type(file.data, file.kind, file.filename)
        data_url = f"data:{media_type};base64,{base64.b64encode(file.data).decode('ascii')}"
        await self._transport.request(
            "POST",
            self._transport.url("models", model_id, TRAINING_IMAGES),
            bucket="upload",
            retry_on=refused_unprocessed,
            json={"data": data_url, "name": file.filename},
        )

    async def _discard(self, model_id: str) -> None:
        """Delete a model whose training could not be started; its own failure is logged."""
        try:
            await self.delete_model(model_id)
        except ProviderError as err:
            log.warning("could not delete the unused Scenario model %s: %r", model_id, err)

    async def _job(self, job_id: str, priority: Priority) -> ScenarioJob:
        response = await self._transport.get(self._transport.url(JOBS, job_id), priority=priority)
        return parse(JobEnvelope, response).job


def _require_kind(files: list[TrainingFile], kind: MediaKind, field: str) -> None:
    for file in files:
        if file.kind is not kind:
            raise InputValidationError(
                422,
                "validation_error",
                f"{field}: expected {kind.value} files, got {file.kind.value} ({file.filename})",
                field=field,
            )


def _training_of(model: ScenarioModel) -> Training:
    state = _MODEL_STATES.get(model.status)
    if state is None:
        log.warning("unknown Scenario model status %r; taken as training", model.status)
        state = TrainingState.TRAINING
    progress = model.training_progress
    stage = progress.stage if progress is not None else None
    if state is TrainingState.TRAINING and stage in _WAITING_STAGES:
        state = TrainingState.QUEUED
    fraction: float | None = None
    remaining: float | None = None
    if state is TrainingState.TRAINED:
        fraction = 1.0
    elif progress is not None and not state.is_terminal:
        fraction = _fraction(progress.progress)
        if progress.remaining_time_ms is not None:
            remaining = max(progress.remaining_time_ms, 0.0) / 1000
    return Training(
        id=model.id,
        state=state,
        stage=stage,
        progress=fraction,
        remaining_seconds=remaining,
        error=_MODEL_ERRORS.get(model.status),
        model_ref=model.id if state is TrainingState.TRAINED else None,
    )


def _fraction(progress: float | None) -> float | None:
    """A training's progress as 0..1. The unit is not printed: a job's `progress` is a
    fraction, but a value over 1 can only be a percentage, so it is read as one."""
    if progress is None:
        return None
    if progress > 1:
        progress /= 100
    return min(max(progress, 0.0), 1.0)


def _generation_of(job: ScenarioJob) -> Generation:
    status = _JOB_STATUSES.get(job.status)
    if status is None:
        log.warning("unknown Scenario job status %r; taken as processing", job.status)
        status = GenerationStatus.PROCESSING
    error = None
    if status is GenerationStatus.FAILED:
        error = job.metadata.error or f"Scenario reports the job as {job.status}."
    return Generation(id=job.job_id, status=status, error=error)


if TYPE_CHECKING:
    # Fails type checking if the client ever drifts from the protocol.
    _conforms: ActorProvider = ScenarioClient("key", "secret")
