"""The Framehood actor-models client: likeness LoRA training, LoRA pictures, voice cloning.

`FramehoodClient` implements `providers.base.ActorProvider` on three models of
`/work/shared/reference/framehood-actor-models.txt`, each started with
`POST /v1/jobs/<model>`: `actor_lora_train` (a Flux LoRA from a ZIP of 4 to 30 photos,
500 credits, about 20 minutes), `actor_lora_inference` (a FLUX picture with that LoRA,
about 7 credits) and `actor_voice_clone` (an ElevenLabs voice id, 1 credit).

The page says these models are temporarily disabled upstream and prints no response
bodies, so disabled is the expected state: `available()` learns the truth with a free
`mock: true` request and remembers it for a while, and a call that finds the models
disabled raises `ProviderUnavailableError`. Everything the page does not say is assumed
in the one section marked ASSUMPTIONS below, to be checked against a live key.

Requests go through `providers.http.ApiTransport`, retried as far as is safe:

* `GET /v1/jobs/{id}` and output downloads are retried on 408, 429, 5xx, timeouts and
  connection errors, except an answer saying the models are disabled;
* job creation is retried only on 429, which means the job was refused before it was
  created. The page names no idempotency key (one is sent, but nothing relies on it), so
  after a 5xx or a timeout the job (500 credits, for a training) may exist already, and
  the error goes to the caller instead;
* the availability probe is never retried: it is answered False and asked again soon;
* no other 4xx is retried: the same request would be refused again.

Each attempt takes a slot of the shared `RateBudget` (read for GETs, generate for job
creation); among waiting reads, a finished job's result and downloads go before polls.
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import mimetypes
import re
import time
import wave
import zipfile
from collections.abc import Awaitable, Callable
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Final, Unpack

import httpx
from pydantic import BeforeValidator, ConfigDict, SecretStr

from providers.errors import (
    APIResponseValidationError,
    APIStatusError,
    InputValidationError,
    ProviderError,
    ProviderUnavailableError,
)
from providers.http import (
    ApiClient,
    ApiTransport,
    TransportOptions,
    content_type,
    parse,
    redacted,
    refused_unprocessed,
    repeatable,
)
from providers.models import (
    ErrorDetail,
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
from providers.ratelimit import Clock, Priority

if TYPE_CHECKING:
    from providers.base import ActorProvider

log = logging.getLogger(__name__)

LORA_TRAIN: Final = "actor_lora_train"
LORA_INFERENCE: Final = "actor_lora_inference"
VOICE_CLONE: Final = "actor_voice_clone"

MIN_TRAINING_IMAGES: Final = 4
MAX_TRAINING_IMAGES: Final = 30
"""The wrapper documents a 4-30 reference-image range for `actor_lora_train`."""
IMAGE_SIZE: Final = "portrait_16_9"
LORA_SCALE: Final = 1.0

DEFAULT_AVAILABILITY_TTL: Final = 600.0
"""How long a probed (or a real call's) answer to `available()` is trusted, in seconds."""
RECHECK_AFTER_FAILURE: Final = 30.0
"""How long a probe that failed for another reason (network, 5xx) counts as unavailable."""


# --- ASSUMPTIONS: what the Framehood page does not say, in one place. -----------------
#
# * Auth is `Authorization: Bearer <API key>` and the API lives under `<base_url>/v1`.
# * `POST /v1/jobs/<model>` takes the parameters as a JSON object and answers a job, and
#   `GET /v1/jobs/{id}` answers the same job: `{"id", "status", "output", "error"}` with
#   `status` one of queued | running | succeeded | failed (a few common synonyms are read
#   too) and `error` a string or `{"code", "message"}`.
# * A sync model (inference 60 s, voice clone 120 s) may answer its create request only
#   when it has finished, so creation waits up to `CREATE_TIMEOUT`.
# * Outputs: a voice clone's `output.voice_id`; a LoRA training's file URL under one of
#   `LORA_URL_KEYS` (a string, or an object with `url`, as fal's `diffusers_lora_file`);
#   a picture's URLs under one of `IMAGE_URL_KEYS` (a list of strings or `{"url"}`
#   objects, or one of them). A bare string output is the URL itself.
# * Disabled models answer with an error (see `means_disabled`): on job creation a 404,
#   410 or 501 (the model's route is gone or not implemented); on any request an error
#   whose envelope code or message says "disabled", "unavailable" or "not available"
#   (except 401, 402, 422 and 429, which keep their own meaning); or a job created
#   already failed with such an error. A bare 5xx, with no such words, is a passing
#   failure, not disabled.
# * Errors come in the envelope `{"error": {"code", "message"}}`, as at ZenCreator.
# * `Idempotency-Key` is sent with every job creation. Nothing says Framehood honours it;
#   sending costs nothing and may spare a second 500-credit training when the engine
#   resubmits after a crash, but no retry relies on it (creation is retried on 429 only).
# * Files named by `out` are workdir-relative names; the key, made safe, is used.

API_ROOT: Final = "/v1"
AUTH_SCHEME: Final = "Bearer"
IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
CREATE_TIMEOUT: Final = httpx.Timeout(150.0, connect=10.0)
"""The voice clone's 120 s sync timeout, and a margin."""
PROBE_TIMEOUT: Final = httpx.Timeout(15.0, connect=5.0)
"""A free mock call should answer at once; `available()` is asked from chat handlers."""
LORA_URL_KEYS: Final = ("lora_url", "diffusers_lora_file", "lora", "file_url", "url")
IMAGE_URL_KEYS: Final = ("images", "image", "image_url", "url", "urls")
VOICE_ID_KEY: Final = "voice_id"
DISABLED_STATUSES_ON_CREATE: Final = frozenset({404, 410, 501})
DISABLED_WORDS: Final = ("disabled", "unavailable", "not available")
NOT_DISABLED_STATUSES: Final = frozenset({401, 402, 422, 429})


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


_STATUS_SYNONYMS: Final = {
    "pending": "queued",
    "in_queue": "queued",
    "processing": "running",
    "in_progress": "running",
    "completed": "succeeded",
    "success": "succeeded",
    "done": "succeeded",
    "error": "failed",
    "cancelled": "failed",
    "canceled": "failed",
}


def _normalize_status(value: object) -> object:
    if isinstance(value, str):
        lowered = value.strip().lower()
        return _STATUS_SYNONYMS.get(lowered, lowered)
    return value


class Job(WireModel):
    """A job as `POST /v1/jobs/<model>` and `GET /v1/jobs/{id}` are assumed to answer it."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    id: str
    status: Annotated[JobStatus, BeforeValidator(_normalize_status)]
    output: object = None
    error: ErrorDetail | str | None = None

    @property
    def error_text(self) -> str | None:
        if isinstance(self.error, ErrorDetail):
            return self.error.message or self.error.code
        return self.error or None


def means_disabled(err: APIStatusError, *, creating: bool) -> bool:
    """Whether an error answer says the actor models are disabled (see ASSUMPTIONS)."""
    if err.status_code in NOT_DISABLED_STATUSES:
        return False
    if creating and err.status_code in DISABLED_STATUSES_ON_CREATE:
        return True
    # Only a JSON body's words count: a bare 503's message is the reason phrase
    # "Service Unavailable", which is a passing failure.
    said = f"{err.code or ''} {err.message if isinstance(err.body, dict) else ''}"
    return _says_disabled(said)


def _says_disabled(text: str | None) -> bool:
    lowered = (text or "").lower().replace("_", " ")
    return any(word in lowered for word in DISABLED_WORDS)


# --- End of ASSUMPTIONS. ---------------------------------------------------------------


def _urls(value: object) -> list[str]:
    """The URLs in one output value: a string, an object with `url`, or a list of them."""
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, dict):
        return _urls(value.get("url"))
    if isinstance(value, list):
        return [url for item in value for url in _urls(item)]
    return []


def _first_urls(output: object, keys: tuple[str, ...]) -> list[str]:
    if isinstance(output, str):
        return _urls(output)
    if isinstance(output, dict):
        for key in keys:
            if found := _urls(output.get(key)):
                return found
    return []


def _lora_url(output: object) -> str | None:
    """A LoRA training's file URL."""
    return next(iter(_first_urls(output, LORA_URL_KEYS)), None)


def _voice_id(output: object) -> str | None:
    """A voice clone's ElevenLabs voice id."""
    if isinstance(output, dict):
        value = output.get(VOICE_ID_KEY)
        if isinstance(value, str) and value:
            return value
    return None


def _model_ref(output: object) -> str | None:
    """Whatever a finished training made: a voice id, else a LoRA file URL."""
    return _voice_id(output) or _lora_url(output)


_TRAINING_STATES: Final = {
    JobStatus.QUEUED: TrainingState.QUEUED,
    JobStatus.RUNNING: TrainingState.TRAINING,
    JobStatus.SUCCEEDED: TrainingState.TRAINED,
    JobStatus.FAILED: TrainingState.FAILED,
}
_GENERATION_STATUSES: Final = {
    JobStatus.QUEUED: GenerationStatus.QUEUED,
    JobStatus.RUNNING: GenerationStatus.PROCESSING,
    JobStatus.SUCCEEDED: GenerationStatus.SUCCEEDED,
    JobStatus.FAILED: GenerationStatus.FAILED,
}


class FramehoodClient(ApiClient):
    """Async client of Framehood's actor models; one per API key (or share its budget)."""

    name = "framehood"

    def __init__(
        self,
        api_key: str,
        base_url: str,
        *,
        availability_ttl: float = DEFAULT_AVAILABILITY_TTL,
        clock: Clock = time.monotonic,
        **options: Unpack[TransportOptions],
    ) -> None:
        """`availability_ttl` is how long `available()` trusts what it learned; `clock`
        (seconds, monotonic) measures it. A `timeout` among the transport's `options`
        replaces the longer wait for sync job creation too.
        """
        if not api_key or not base_url:
            raise ProviderUnavailableError(
                "Framehood is not configured: the API key or the API URL is empty"
            )
        super().__init__(
            ApiTransport(base_url, API_ROOT, SecretStr(f"{AUTH_SCHEME} {api_key}"), **options)
        )
        self._availability_ttl = availability_ttl
        self._clock = clock
        self._known: tuple[bool, float] | None = None  # (available, until)
        self._probing = asyncio.Lock()

    # --- ActorProvider

    async def available(self) -> bool:
        """Whether the actor models take work now, learned from a free mock voice clone.

        Never raises: disabled is the expected state. A disabled answer is trusted for
        `availability_ttl`, and so is an accepted probe or real job; any other failure
        (network, 5xx, a bad key) is logged and answered False for `RECHECK_AFTER_FAILURE`.
        """
        async with self._probing:  # concurrent askers share one probe
            if self._known is not None and self._clock() < self._known[1]:
                return self._known[0]
            try:
                await self._create(VOICE_CLONE, _probe_params(), None, probe=True)
            except ProviderUnavailableError:
                return False
            except ProviderError as err:
                log.warning("Framehood availability probe failed: %r", err)
                self._remember(False, RECHECK_AFTER_FAILURE)
                return False
            return True

    async def train_likeness(
        self, images: list[TrainingFile], *, name: str, trigger_word: str, idempotency_key: str
    ) -> Training:
        """Start training a likeness LoRA (500 credits) on 4 to 30 face photos.

        The photos go as one ZIP in a data URI, since the model takes only an archive URL.
        `name` is ours alone: the model has no such parameter. A wrong photo count is
        refused before any request.
        """
        if not MIN_TRAINING_IMAGES <= len(images) <= MAX_TRAINING_IMAGES:
            raise InputValidationError(
                422,
                "validation_error",
                f"images: likeness training needs {MIN_TRAINING_IMAGES} to "
                f"{MAX_TRAINING_IMAGES} photos, not {len(images)}",
                field="images",
            )
        if any(image.kind is not MediaKind.IMAGE for image in images):
            raise InputValidationError(
                422,
                "validation_error",
                "images: every training file must be a photo",
                field="images",
            )
        params: dict[str, Any] = {
            "images_data_url": _data_uri(_zip_images(images), "application/zip"),
            # A data URI has no file extension to infer the archive format from.
            "data_archive_format": "zip",
            "create_masks": True,
            "out": _out_name(idempotency_key, ".safetensors"),
        }
        if trigger_word:
            params["trigger_word"] = trigger_word
        job, response = await self._create(LORA_TRAIN, params, idempotency_key)
        return _training_of(job, response, _lora_url, "LoRA file URL")

    async def clone_voice(
        self, sample: TrainingFile, *, name: str, idempotency_key: str
    ) -> Training:
        """Clone a voice from one sample (1 credit); the model is sync, so the answer is
        usually already trained, with the voice id as `model_ref`.

        The wrapper takes samples only as URLs; a data URI is how bytes go along.
        """
        if sample.kind is not MediaKind.AUDIO:
            raise InputValidationError(
                422, "validation_error", "sample: a voice sample must be audio", field="sample"
            )
        media_type = content_type(sample.data, MediaKind.AUDIO, sample.filename)
        params = {
            "name": name,
            "sample_urls": [_data_uri(sample.data, media_type)],
            "out": _out_name(idempotency_key, ".json"),
        }
        job, response = await self._create(VOICE_CLONE, params, idempotency_key)
        return _training_of(job, response, _voice_id, "voice_id")

    async def training(self, training_id: str) -> Training:
        """Where a LoRA training or a voice clone stands; `training_id` is its job id."""
        job, response = await self._job(training_id, Priority.POLL)
        return _training_of(job, response, _model_ref, "voice_id or LoRA file URL")

    async def picture(
        self, model_ref: str, trigger_word: str | None, prompt: str, idempotency_key: str
    ) -> Generation:
        """Start a portrait picture of the likeness LoRA at `model_ref` (its file URL).

        The trigger word is prepended, as Framehood's own worker does for actors.
        """
        params = {
            "prompt": f"{trigger_word} {prompt}" if trigger_word else prompt,
            "loras": [{"path": model_ref, "scale": LORA_SCALE}],
            "image_size": IMAGE_SIZE,
            "num_images": 1,
            "out": _out_name(idempotency_key, ".jpg"),
        }
        job, _ = await self._create(LORA_INFERENCE, params, idempotency_key)
        return _generation_of(job)

    async def status(self, generation_id: str) -> Generation:
        job, _ = await self._job(generation_id, Priority.POLL)
        return _generation_of(job)

    async def result(self, generation_id: str) -> GenerationResult:
        job, _ = await self._job(generation_id, Priority.FETCH)
        generation = _generation_of(job)
        outputs: list[Output] = []
        if job.status is JobStatus.SUCCEEDED:
            outputs = [Output(url=url) for url in _first_urls(job.output, IMAGE_URL_KEYS)]
        return GenerationResult(
            id=generation.id, status=generation.status, error=generation.error, outputs=outputs
        )

    async def delete_model(self, model_ref: str) -> None:
        """Do nothing: Framehood documents no way to delete a LoRA file or a cloned voice,
        and an actor that is deleted here simply stops naming them."""

    # --- Internals

    async def _create(
        self,
        model: str,
        params: dict[str, Any],
        idempotency_key: str | None,
        *,
        probe: bool = False,
    ) -> tuple[Job, httpx.Response]:
        """Create a job; a disabled answer raises ProviderUnavailableError and is remembered,
        an accepted job shows the models are enabled."""
        headers = {IDEMPOTENCY_HEADER: idempotency_key} if idempotency_key else None
        response = await self._unless_disabled(
            self._transport.request(
                "POST",
                self._transport.url("jobs", model),
                bucket="generate",
                retry_on=_never if probe else refused_unprocessed,
                headers=headers,
                json=params,
                timeout=PROBE_TIMEOUT if probe else CREATE_TIMEOUT,
            ),
            creating=True,
        )
        job = parse(Job, response)
        if job.status is JobStatus.FAILED and _says_disabled(job.error_text):
            raise self._disabled(job.error_text or "disabled")
        self._remember(True, self._availability_ttl)
        return job, response

    async def _job(self, job_id: str, priority: Priority) -> tuple[Job, httpx.Response]:
        request = self._transport.request(
            "GET",
            self._transport.url("jobs", job_id),
            bucket="read",
            priority=priority,
            retry_on=_worth_repeating,
        )
        response = await self._unless_disabled(request, creating=False)
        return parse(Job, response), response

    async def _unless_disabled(
        self, request: Awaitable[httpx.Response], *, creating: bool
    ) -> httpx.Response:
        try:
            return await request
        except APIStatusError as err:
            if means_disabled(err, creating=creating):
                raise self._disabled(err.message) from err
            raise

    def _disabled(self, reason: str) -> ProviderUnavailableError:
        self._remember(False, self._availability_ttl)
        return ProviderUnavailableError(f"Framehood's actor models are disabled: {reason}")

    def _remember(self, available: bool, seconds: float) -> None:
        self._known = (available, self._clock() + seconds)


def _never(err: BaseException) -> bool:
    return False


def _worth_repeating(err: BaseException) -> bool:
    """`repeatable`, but a 503 saying the models are disabled is not passing."""
    disabled = isinstance(err, APIStatusError) and means_disabled(err, creating=False)
    return repeatable(err) and not disabled


def _training_of(
    job: Job, response: httpx.Response, ref_of: Callable[[object], str | None], what: str
) -> Training:
    """The job as a Training; a finished one must carry the `what` that `ref_of` finds in
    its output, or it names no usable model."""
    state = _TRAINING_STATES[job.status]
    ref = None
    if state is TrainingState.TRAINED:
        ref = ref_of(job.output)
        if ref is None:
            raise APIResponseValidationError(
                f"{redacted(response.request.method, response.request.url)} answered a "
                f"succeeded job without a {what} in its output",
                status_code=response.status_code,
                body=job.output,
            )
    error = (job.error_text or "training failed") if state is TrainingState.FAILED else None
    return Training(id=job.id, state=state, error=error, model_ref=ref)


def _generation_of(job: Job) -> Generation:
    status = _GENERATION_STATUSES[job.status]
    error = (job.error_text or "generation failed") if status is GenerationStatus.FAILED else None
    return Generation(id=job.id, status=status, error=error)


def _data_uri(data: bytes, media_type: str) -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def _zip_images(images: list[TrainingFile]) -> bytes:
    """The photos as a ZIP, named by number: chat photos often share a name, and the
    trainer pairs captions and masks with images by name."""
    buffer = io.BytesIO()
    # Stored, not deflated: JPEG and PNG are compressed already.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for number, image in enumerate(images, start=1):
            kind = content_type(image.data, MediaKind.IMAGE, image.filename)
            archive.writestr(
                f"{number:02d}{mimetypes.guess_extension(kind) or '.jpg'}", image.data
            )
    return buffer.getvalue()


def _out_name(key: str, suffix: str) -> str:
    """A workdir-relative output file name made from an idempotency key."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", key).strip("_")[:100] or "castbot"
    return stem + suffix


def _probe_params() -> dict[str, Any]:
    """A mock (free) voice clone: it reaches the model without running it."""
    return {
        "name": "castbot availability probe",
        "sample_urls": [_silence()],
        "out": "castbot_probe.json",
        "mock": True,
    }


@cache
def _silence() -> str:
    """A tenth of a second of silence as a WAV data URI: the probe's sample."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(bytes(1600))
    return _data_uri(buffer.getvalue(), "audio/wav")


if TYPE_CHECKING:
    # Fails type checking if the client ever drifts from the protocol.
    _conforms: ActorProvider = FramehoodClient("key", "https://framehood.example")
