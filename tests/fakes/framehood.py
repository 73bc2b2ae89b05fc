"""A fake Framehood API (the actor models), for the client's tests and end-to-end tests.

It serves `/work/shared/reference/framehood-actor-models.txt` at http://127.0.0.1:PORT,
with the shapes `providers/framehood.py` lists under ASSUMPTIONS: Bearer auth (401
``missing_api_key`` / ``invalid_api_key``), ``POST /v1/jobs/<model>`` for
``actor_lora_train``, ``actor_lora_inference`` and ``actor_voice_clone`` answering a job
``{"id", "model", "status", "output", "error"}``, ``GET /v1/jobs/{id}`` answering the
same, and errors in the envelope ``{"error": {"code": ..., "message": ...}}``.

Disabled by default, as the page says the models are: every actor model, mock or not,
answers **503** ``{"error": {"code": "model_disabled", "message": "Actor models are
temporarily disabled"}}`` (after auth: a wrong key is still a 401). A disabled wrapper
most plausibly answers "service unavailable" with a reason; ``disabled=False`` (or
setting ``fake.disabled``) runs the models::

    async with FakeFramehood(api_key="fh_test_secret", disabled=False) as fh:
        client = FramehoodClient("fh_test_secret", fh.base_url)
        ...  # the code under test starts a training
        job = await fh.wait_for_job("actor_lora_train")
        assert len(job.images) == 4 and job.params["trigger_word"] == "ANNA"
        fh.finish(job.id)  # the next GET finds it succeeded, with a LoRA file URL

Parameters are validated per the page (422 ``validation_error``, the message starting
with the field): the wrapper's ``out`` is required; unknown parameters are refused;
``images_data_url`` must be a base64 ``data:`` URI of a ZIP (this fake fetches no URLs),
which is opened and must hold 4 to 30 images (``*.jpg|jpeg|png|webp``, not ``*_mask.*``);
``sample_urls`` must be ``data:audio/...`` URIs; ``loras`` items need a ``path``; an
unrecognised ``image_size`` name falls back to ``portrait_16_9`` as the page says.

Credits (``balance``, writable): 500 per training, 7 per picture (the page's "≈7 cr per
image at the ~1 MP presets", charged per image), 1 per voice clone, charged when the job
is accepted; 402 ``insufficient_credits`` when the balance is short. ``mock: true`` is
free and finishes at once with a placeholder output. The page says nothing of refunds,
so a failed job keeps its charge. ``Idempotency-Key`` is recorded on the job but not
honoured: the page names no such header, so the fake promises no deduplication.

How jobs end: a training job is ``queued``, turns ``running`` at its first poll and
stays so until the test calls ``finish(job_id)`` or ``fail(job_id, reason)``. The sync
models (picture, voice clone) answer already ``succeeded``, unless ``hold_sync_jobs`` is
set, which leaves them to ``finish``/``fail`` too. Outputs: a training's
``{"diffusers_lora_file": {"url": ...}}`` (fal's shape), a picture's ``{"images":
[{"url": ...}]}``, a clone's ``{"voice_id": ...}`` (ElevenLabs'). Files are served with
no auth at ``/files/{name}``, as a CDN link would be.

Test control
------------
State, read freely: ``jobs`` (id -> `JobRecord`: model, params, mock, charge,
idempotency_key, status, output, error, images (name -> bytes from the ZIP), samples
(decoded audio), polls), ``files`` (name -> `FileRecord`), ``requests`` (every request
with its headers, JSON body and the status answered), ``server_errors`` (bugs in the
fake; raised again on exit).

Failures: ``fail_next("POST /jobs/actor_lora_train", 500)`` answers the next matching
request with an error envelope (``retry_after=`` adds the header, ``process=True``
handles the request first), ``respond_next(target, json=...)`` (or ``text=``) any answer.
Targets are ``"METHOD"``, a path or ``"METHOD path"``; ``*`` matches anything and paths
are relative to ``/v1`` unless they start with ``/v1/`` or ``/files/``. Auth is checked
before either.

Waiting, without sleeps: ``await fh.wait_for_job(model)`` and ``wait_until(predicate)``
re-check whenever the fake handles a request or changes state, and raise TimeoutError
with the latest requests after ``timeout`` seconds.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import struct
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from types import NoneType
from typing import Any, Self

from aiohttp import web
from PIL import Image

from bot.playground.server import serve
from tests.fakes.canned import ApiError, FakeProviderServer, invalid

JSON = dict[str, Any]

API = "/v1"
DEFAULT_API_KEY = "fh_test_fakekey"
DEFAULT_BALANCE = 1000.0

LORA_TRAIN = "actor_lora_train"
LORA_INFERENCE = "actor_lora_inference"
VOICE_CLONE = "actor_voice_clone"
MODELS = (LORA_TRAIN, LORA_INFERENCE, VOICE_CLONE)
SYNC_MODELS = frozenset({LORA_INFERENCE, VOICE_CLONE})
PRICES: Mapping[str, float] = {LORA_TRAIN: 500.0, LORA_INFERENCE: 7.0, VOICE_CLONE: 1.0}
"""Credits per call; a picture's price is per image."""

DISABLED_STATUS = 503
DISABLED_CODE = "model_disabled"
DISABLED_MESSAGE = "Actor models are temporarily disabled"

MIN_TRAINING_IMAGES = 4
MAX_TRAINING_IMAGES = 30
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")
DEFAULT_IMAGE_SIZE = "portrait_16_9"
VOICE_LABEL_KEYS = frozenset({"language", "accent", "gender", "age"})

TERMINAL = frozenset({"succeeded", "failed"})

_Types = type | tuple[type, ...]
WRAPPER_PARAMS: Mapping[str, tuple[_Types, bool]] = {"out": (str, True), "mock": (bool, False)}
# name -> (accepted JSON types, required), per the page's parameter tables.
SCHEMAS: Mapping[str, Mapping[str, tuple[_Types, bool]]] = {
    LORA_TRAIN: {
        "images_data_url": (str, True),
        "trigger_word": (str, False),
        "create_masks": (bool, False),
        "steps": (int, False),
        "is_style": (bool, False),
        "is_input_format_already_preprocessed": (bool, False),
        "data_archive_format": (str, False),
    },
    LORA_INFERENCE: {
        "prompt": (str, True),
        "image_size": ((str, dict), False),
        "num_inference_steps": (int, False),
        "seed": (int, False),
        "loras": (list, False),
        "guidance_scale": ((int, float), False),
        "sync_mode": (bool, False),
        "num_images": (int, False),
        "enable_safety_checker": (bool, False),
        "output_format": (str, False),
        "acceleration": (str, False),
    },
    VOICE_CLONE: {
        "name": (str, True),
        "sample_urls": (list, True),
        "remove_background_noise": (bool, False),
        "description": ((str, NoneType), False),
        "labels": ((dict, str, NoneType), False),
    },
}

_DATA_URI = re.compile(r"^data:([^;,]*)((?:;[^;,]*)*?)(;base64)?,(.*)$", re.DOTALL)


@cache
def default_image() -> bytes:
    """A picture's default output: a valid 8x8 JPEG (the model's default format)."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(buffer, format="JPEG")
    return buffer.getvalue()


DEFAULT_LORA = struct.pack("<Q", 2) + b"{}"
"""A training's default output: an empty but well-formed safetensors file."""


# --- Records the tests read


@dataclass
class JobRecord:
    id: str
    model: str
    params: JSON
    mock: bool
    charge: float
    idempotency_key: str | None
    status: str = "queued"
    output: JSON | None = None
    error: str | None = None
    images: dict[str, bytes] = field(default_factory=dict)
    """A training's images, by their name in the ZIP."""
    samples: list[bytes] = field(default_factory=list)
    """A voice clone's decoded samples, in order."""
    polls: int = 0

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    def as_json(self) -> JSON:
        return {
            "id": self.id,
            "model": self.model,
            "status": self.status,
            "output": self.output,
            "error": self.error,
        }


@dataclass
class FileRecord:
    name: str
    data: bytes
    content_type: str
    url: str


class FakeFramehood(FakeProviderServer):
    """Framehood's actor models at ``base_url``; ``async with FakeFramehood() as fh``."""

    label = "Framehood"
    api = API
    roots = (API + "/", "/files/")

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        disabled: bool = True,
        balance: float = DEFAULT_BALANCE,
        hold_sync_jobs: bool = False,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.disabled = disabled
        """Every actor model answers 503 model_disabled while this is set."""
        self.balance = balance
        self.hold_sync_jobs = hold_sync_jobs
        """Leave picture and voice clone jobs queued, for `finish`/`fail` to end."""
        self.base_url = ""  # http://127.0.0.1:PORT, set on start

        self.jobs: dict[str, JobRecord] = {}
        self.files: dict[str, FileRecord] = {}

    # --- Lifecycle

    async def __aenter__(self) -> Self:
        # Training ZIPs travel base64-encoded in JSON: allow large bodies.
        app = web.Application(client_max_size=512 * 1024 * 1024, middlewares=[self._middleware])
        app.router.add_post(f"{API}/jobs/{{model}}", self._create)
        app.router.add_get(f"{API}/jobs/{{id}}", self._job)
        app.router.add_get("/files/{name}", self._file)
        self._runner, self.base_url = await serve(app)
        return self

    # --- Test-facing API: outcomes

    def finish(
        self,
        job_id: str,
        *,
        data: bytes | None = None,
        voice_id: str | None = None,
    ) -> JobRecord:
        """End a job successfully now (the next poll sees it). `data` is the LoRA file or
        the picture served (default: `DEFAULT_LORA`, `default_image()`); `voice_id` a
        clone's id (default: a fresh ``voice_NNNN``)."""
        record = self._running(job_id)
        self._succeed(record, data, voice_id)
        self._changes.notify()
        return record

    def fail(self, job_id: str, reason: str = "job failed") -> JobRecord:
        """End a job as failed now, with `reason` as its error."""
        record = self._running(job_id)
        record.status, record.error = "failed", reason
        self._changes.notify()
        return record

    # --- Test-facing API: waiting and reading

    async def wait_for_job(
        self, model: str | None = None, *, count: int = 1, timeout: float = 5.0
    ) -> JobRecord:
        """Wait until `count` real (not mock) jobs of `model` (None: any) were accepted;
        return the count-th."""

        def matching() -> list[JobRecord]:
            return [
                job
                for job in self.jobs.values()
                if not job.mock and (model is None or job.model == model)
            ]

        await self.wait_until(lambda: len(matching()) >= count, timeout)
        return matching()[count - 1]

    # --- Internals: state

    def _state_lines(self) -> list[str]:
        return [f"jobs: {[(j.id, j.model, j.status) for j in self.jobs.values()]}"]

    def _running(self, job_id: str) -> JobRecord:
        record = self.jobs[job_id]
        if record.is_terminal:
            raise ValueError(f"job {job_id} already ended {record.status}")
        return record

    def _serve_file(self, record: JobRecord, data: bytes, content_type: str) -> str:
        name = f"{record.id}_{re.sub(r'[^A-Za-z0-9._-]', '_', record.params['out'])}"
        url = f"{self.base_url}/files/{name}"
        self.files[name] = FileRecord(name, data, content_type, url)
        return url

    def _succeed(self, record: JobRecord, data: bytes | None, voice_id: str | None) -> None:
        record.status, record.error = "succeeded", None
        if record.model == LORA_TRAIN:
            url = self._serve_file(record, data or DEFAULT_LORA, "application/octet-stream")
            record.output = {
                "diffusers_lora_file": {"url": url, "file_name": record.params["out"]}
            }
        elif record.model == LORA_INFERENCE:
            images = []
            for _ in range(record.params.get("num_images", 1)):
                image = data or default_image()
                content_type = "image/png" if image.startswith(b"\x89PNG") else "image/jpeg"
                images.append(
                    {
                        "url": self._serve_file(record, image, content_type),
                        "content_type": content_type,
                    }
                )
            record.output = {"images": images, "seed": 42}
        else:
            voice = voice_id or ("mock_voice" if record.mock else self._new_id("voice"))
            record.output = {"voice_id": voice, "requires_verification": False}

    # --- Internals: HTTP

    async def _create(self, request: web.Request) -> web.Response:
        model = request.match_info["model"]
        if model not in MODELS:
            raise ApiError(404, "not_found", f"no model {model!r}")
        if self.disabled:
            raise ApiError(DISABLED_STATUS, DISABLED_CODE, DISABLED_MESSAGE)
        try:
            params = await request.json()
        except ValueError as err:
            raise invalid("body", "not valid JSON") from err
        if not isinstance(params, dict):
            raise invalid("body", "must be an object of parameters")
        _check_types(params, {**SCHEMAS[model], **WRAPPER_PARAMS})
        if not params["out"].strip():
            raise invalid("out", "must name the output file")
        mock = params.get("mock", False)
        record = JobRecord(
            self._new_id("job"), model, params, mock, 0.0, request.headers.get("Idempotency-Key")
        )
        if model == LORA_TRAIN:
            record.images = _training_images(params)
            price = PRICES[model]
        elif model == LORA_INFERENCE:
            _check_inference(params)
            price = PRICES[model] * params.get("num_images", 1)
        else:
            record.samples = _voice_samples(params)
            price = PRICES[model]
        if not mock:
            if self.balance < price:
                raise ApiError(
                    402,
                    "insufficient_credits",
                    f"{model} costs {price:g} credits; the balance is {self.balance:g}",
                )
            self.balance -= price
            record.charge = price
        self.jobs[record.id] = record
        if mock or (model in SYNC_MODELS and not self.hold_sync_jobs):
            self._succeed(record, None, None)
        return web.json_response(record.as_json(), status=201)

    async def _job(self, request: web.Request) -> web.Response:
        job_id = request.match_info["id"]
        record = self.jobs.get(job_id)
        if record is None:
            raise ApiError(404, "not_found", f"no job {job_id!r}")
        record.polls += 1
        if record.status == "queued":
            record.status = "running"  # a worker picked it up
        return web.json_response(record.as_json())

    async def _file(self, request: web.Request) -> web.Response:
        stored = self.files.get(request.match_info["name"])
        if stored is None:
            raise ApiError(404, "not_found", "no such file")
        return web.Response(body=stored.data, content_type=stored.content_type)


# --- Parameter validation


def _check_types(params: JSON, schema: Mapping[str, tuple[_Types, bool]]) -> None:
    for name in params:
        if name not in schema:
            raise invalid(name, "unknown parameter")
    for name, (types, required) in schema.items():
        if name not in params:
            if required:
                raise invalid(name, "field required")
            continue
        value = params[name]
        accepted = types if isinstance(types, tuple) else (types,)
        # JSON true is no integer, whatever Python thinks.
        if not isinstance(value, accepted) or (isinstance(value, bool) and bool not in accepted):
            names = " | ".join(t.__name__ for t in accepted)
            raise invalid(name, f"must be {names}")


def _decode_data_uri(name: str, value: str) -> tuple[str, bytes]:
    """(media type, bytes) of a base64 data URI; the fake fetches no other URL."""
    match = _DATA_URI.match(value)
    if match is None:
        raise invalid(name, "this fake accepts only data: URIs, not URLs to fetch")
    media_type, _, is_base64, payload = match.groups()
    if not is_base64:
        raise invalid(name, "the data URI must be base64")
    try:
        return media_type.lower(), base64.b64decode(payload, validate=True)
    except binascii.Error as err:
        raise invalid(name, "the data URI is not valid base64") from err


def _training_images(params: JSON) -> dict[str, bytes]:
    """The images in the training ZIP, which must hold 4 to 30."""
    if params.get("data_archive_format", "zip").lower() != "zip":
        raise invalid("data_archive_format", "only zip archives are supported")
    _, data = _decode_data_uri("images_data_url", params["images_data_url"])
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            images = {
                info.filename: archive.read(info)
                for info in archive.infolist()
                if not info.is_dir()
                and not info.filename.startswith("__MACOSX/")
                and info.filename.lower().endswith(IMAGE_EXTENSIONS)
                and not info.filename.rsplit(".", 1)[0].endswith("_mask")
            }
    except zipfile.BadZipFile as err:
        raise invalid("images_data_url", "is not a ZIP archive") from err
    if not MIN_TRAINING_IMAGES <= len(images) <= MAX_TRAINING_IMAGES:
        raise invalid(
            "images_data_url",
            f"the archive holds {len(images)} images; "
            f"{MIN_TRAINING_IMAGES} to {MAX_TRAINING_IMAGES} are needed",
        )
    return images


def _check_inference(params: JSON) -> None:
    if not params["prompt"].strip():
        raise invalid("prompt", "must not be empty")
    size = params.get("image_size", DEFAULT_IMAGE_SIZE)
    if isinstance(size, dict) and not (
        set(size) == {"width", "height"}
        and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size.values())
    ):
        raise invalid("image_size", "a custom size is {width, height} in whole pixels")
    for index, lora in enumerate(params.get("loras", [])):
        if not isinstance(lora, dict) or not isinstance(lora.get("path"), str):
            raise invalid(f"loras.{index}.path", "field required")
        scale = lora.get("scale", 1.0)
        if isinstance(scale, bool) or not isinstance(scale, int | float):
            raise invalid(f"loras.{index}.scale", "must be a number")
    if params.get("num_images", 1) < 1:
        raise invalid("num_images", "must be at least 1")
    if params.get("output_format", "jpeg") not in ("jpeg", "png"):
        raise invalid("output_format", "must be jpeg | png")
    if params.get("acceleration", "none") not in ("none", "regular"):
        raise invalid("acceleration", "must be none | regular")


def _voice_samples(params: JSON) -> list[bytes]:
    if not params["name"].strip():
        raise invalid("name", "must not be empty")
    labels = params.get("labels")
    if isinstance(labels, dict) and not set(labels) <= VOICE_LABEL_KEYS:
        raise invalid("labels", f"keys must be among {', '.join(sorted(VOICE_LABEL_KEYS))}")
    urls = params["sample_urls"]
    if not urls:
        raise invalid("sample_urls", "at least one audio sample is needed")
    samples = []
    for index, url in enumerate(urls):
        name = f"sample_urls.{index}"
        if not isinstance(url, str):
            raise invalid(name, "must be a URL")
        media_type, data = _decode_data_uri(name, url)
        if not media_type.startswith("audio/"):
            raise invalid(name, f"must be audio, not {media_type or 'untyped data'}")
        samples.append(data)
    return samples
