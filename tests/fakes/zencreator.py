"""A fake ZenCreator public API server, for the client's tests and the bot's end-to-end tests.

It serves the API at http://127.0.0.1:PORT as `/work/shared/reference/zencreator-public-api.md`
describes it, under ``/api/public/v1``: Bearer auth (401 ``missing_api_key`` /
``invalid_api_key``), scopes (403 ``insufficient_scope``), the error envelope
``{"error": {"code": ..., "message": ...}}``, multipart asset uploads (50 MB, 413, 415),
generations with input validation (422 ``validation_error`` whose message starts with the
offending field, ``"face_asset: field required"``), credits charged on acceptance and
refunded when a generation fails (402 ``insufficient_credits``), ``Idempotency-Key``
replays for 24 hours, and per-key sliding-window rate limits (429
``rate_limit_exceeded`` with ``Retry-After``; ``X-RateLimit-Remaining`` on every answer).
Response shapes are the ones the reference README assumes::

    async with FakeZenCreator(api_key="zc_live_test_secret") as zc:
        client = ZenCreatorClient("zc_live_test_secret", zc.base_url)
        zc.plan("faceswap", status="failed", error="no face found")
        ...  # the code under test uploads, starts, polls
        generation = await zc.wait_for_generation()
        assert generation.charge == 1 and generation.status == "failed"

Test control
------------
State, read freely: ``balance`` (writable too), ``uploads`` (every stored upload, in
order), ``assets`` (id -> upload), ``generations`` (id -> `GenerationRecord`: tool, input,
idempotency_key, charge, refunded, status, error, outputs, polls), ``starts`` (every
``POST /generations`` that parsed: tool, input, key, and the generation it started or
replayed), ``requests`` (every request with headers and the status answered),
``server_errors`` (tracebacks of bugs in the fake; raised again on exit).

How generations end: a generation is ``queued`` when started; each ``GET
/generations/{id}`` counts one poll; after ``polls_until_done`` polls answered
``processing``, the next poll finds it terminal. The outcome is the first matching
`plan` (per tool, or for any tool), else success with one default output (a small PNG
for image tools, a few bytes marked as MP4 for video tools)::

    zc.plan("lipsync", status="partial", error="one clip failed", outputs=[b"..."])
    zc.plan(status="failed", error="NSFW", polls_until_done=0)  # the next start, any tool
    zc.plan("faceswap", polls_until_done=None, times=None)      # never ends by itself ...
    zc.finish(generation_id, status="succeeded")                # ... until the test says so

Failures: ``fail_next("POST /generations", 500)`` answers the next matching request with
an error envelope (``retry_after=`` adds the header; ``process=True`` handles the request
first, as a server that crashes after doing the work; ``body=`` sends a raw body instead),
and ``respond_next(target, json=...)`` (or ``text=``) any answer at all. A target is
``"METHOD"``, a path, or ``"METHOD path"``; paths may use ``*`` (which also matches ``/``)
and are relative to ``/api/public/v1`` unless they start with ``/api/`` or ``/files/``.

``GET /loras?model=``, ``/templates`` and ``/photoshoot-categories`` answer bare JSON arrays
from ``loras`` (per model; DEFAULT_LORAS otherwise), ``templates`` and
``photoshoot_categories``, which tests may replace; each default list holds one entry that
offers undressing.

Lipsync is charged 3 credits per started second of audio, as the fake measures the upload
(with mutagen); audio it cannot measure counts as ``audio_duration`` seconds (5 by
default), and ``set_audio_duration(asset_id, seconds)`` overrides one asset. Other
catalog tools accept any object input and cost ``flat_price`` (1) credit.

Waiting, without sleeps: ``await zc.wait_for_generation(count)``, ``wait_for_upload(count)``
and ``wait_until(predicate)`` re-check whenever the fake handles a request or changes
state, and raise TimeoutError with the latest requests after ``timeout`` seconds.

Outputs are served twice: ``download_url`` under the API (Bearer auth, read budget) and
``url`` at ``/files/{id}`` with no auth, as a CDN link would be.

Everything runs on the test's event loop; handlers await only request bodies, so state
changes are atomic between awaits.
"""

from __future__ import annotations

import io
import itertools
import json as jsonlib
import math
import time
import traceback
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, Self

import mutagen
from aiohttp import BodyPartReader, web
from PIL import Image

from bot.playground.server import serve
from tests.fakes.canned import ApiError, CannedAnswer, FakeProviderServer, invalid, parse_target

JSON = dict[str, Any]
MB = 1024 * 1024

API = "/api/public/v1"
DEFAULT_API_KEY = "zc_live_fakekey_fakesecret"
DEFAULT_BALANCE = 1000.0
MAX_UPLOAD_BYTES = 50 * MB
MAX_LIPSYNC_AUDIO_SECONDS = 35.0
MAX_LIPSYNC_IMAGE_BYTES = 5 * MB
IDEMPOTENCY_TTL = 24 * 60 * 60.0
DEFAULT_RATE_LIMITS: Mapping[str, int] = {"read": 60, "generate": 10, "upload": 30}
DEFAULT_RATE_WINDOW = 60.0

MEDIA_TYPES = ("image", "video", "audio")
# Content types accepted per media_type; anything else is 415.
CONTENT_TYPES: Mapping[str, frozenset[str]] = {
    "image": frozenset({"image/jpeg", "image/png", "image/webp"}),
    "video": frozenset({"video/mp4", "video/quicktime", "video/webm"}),
    "audio": frozenset(
        {
            "audio/mpeg",
            "audio/mp3",
            "audio/mp4",
            "audio/x-m4a",
            "audio/aac",
            "audio/ogg",
            "audio/opus",
            "audio/wav",
            "audio/x-wav",
            "audio/wave",
            "audio/webm",
        }
    ),
}

Terminal = Literal["succeeded", "failed", "partial"]
TERMINAL: frozenset[str] = frozenset({"succeeded", "failed", "partial"})

# Output kind of every catalog tool; only faceswap and lipsync are validated and priced.
TOOL_OUTPUTS: Mapping[str, Literal["image", "video"]] = {
    "upscaler": "image",
    "faceswap": "image",
    "by_prompt": "image",
    "image_editor": "image",
    "videogen": "video",
    "photoshoot": "image",
    "facegen": "image",
    "carousel": "image",
    "collaber": "image",
    "by_ref": "image",
    "video2video": "video",
    "lipsync": "video",
    "undress": "image",
    "video_upscaler": "video",
    "video_merger": "video",
}
FACESWAP_MODELS = ("SDXL", "GENERAL", "GENERAL_ADVANCED", "FULL_HEAD")
FACESWAP_RESOLUTIONS = ("2K", "4K")
LIPSYNC_MODELS = ("GENERAL_NSFW",)

# What `GET /loras`, `/templates` and `/photoshoot-categories` list (bare JSON arrays); each
# holds an entry that offers undressing, which the bot must never show.
DEFAULT_LORAS: list[JSON] = [
    {"id": "lora-film", "name": "Film", "description": "35 mm film look"},
    {"id": "lora-undress", "name": "Undress", "description": "removes clothing"},
]
DEFAULT_TEMPLATES: list[JSON] = [
    {"id": "tpl-noir", "name": "Noir", "description": "Black and white film noir"},
    {"id": "tpl-strip", "name": "Beach", "description": "Undressing on the beach"},
]
DEFAULT_PHOTOSHOOT_CATEGORIES: list[JSON] = [
    {"id": "cat-beach", "name": "Beach day", "description": "Sun, sand and sea"},
    {"id": "cat-office", "name": "Office", "description": "A day at work"},
    {"id": "cat-nude", "name": "Boudoir", "description": "Nude, undressed poses"},
]

_DEFAULT_ERROR_CODES = {
    401: "invalid_api_key",
    402: "insufficient_credits",
    403: "forbidden",
    404: "not_found",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limit_exceeded",
}


@cache
def default_png() -> bytes:
    """The default output of image tools: a valid 8x8 PNG."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(buffer, format="PNG")
    return buffer.getvalue()


DEFAULT_MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"fake zencreator video"
"""The default output of video tools: an MP4 file-type box and a few bytes."""


# --- Records the tests read


@dataclass
class UploadRecord:
    """One stored asset (uploaded, or added by the test with `add_asset`)."""

    asset_id: str
    media_type: str
    filename: str | None
    content_type: str
    data: bytes
    duration: float | None = None
    """Seconds of audio (measured, declared, or `audio_duration`); None for other media."""


@dataclass
class Plan:
    """How the next generation(s) of `tool` (None: any tool) end."""

    tool: str | None
    status: Terminal = "succeeded"
    error: str | None = None
    polls_until_done: int | None = 1
    """Polls answered `processing` before the terminal one; None: only `finish` ends it."""
    outputs: list[bytes] | None = None
    """Bytes of each output; None: one default output (none when failed)."""
    times: int | None = 1
    """How many generations it applies to; None: every one from now on."""


@dataclass
class OutputRecord:
    id: str
    data: bytes
    content_type: str
    url: str
    """Public link on the fake, no auth (`/files/{id}`)."""
    download_url: str
    """Under the API, Bearer auth (`/api/public/v1/downloads/{id}`)."""


@dataclass
class GenerationRecord:
    id: str
    tool: str
    input: JSON
    idempotency_key: str | None
    charge: float
    plan: Plan
    created_at: float
    status: str = "queued"
    error: str | None = None
    outputs: list[OutputRecord] = field(default_factory=list)
    polls: int = 0
    refunded: float = 0.0

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    def as_json(self) -> JSON:
        return {"id": self.id, "tool": self.tool, "status": self.status, "error": self.error}


@dataclass
class StartRecord:
    """One `POST /generations` whose body parsed, accepted or not."""

    tool: Any
    input: Any
    idempotency_key: str | None
    generation_id: str | None = None
    """The generation started or replayed; None when refused."""
    replayed: bool = False


@dataclass
class RequestRecord:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    bucket: str | None = None
    status: int = 0
    """The status answered; 0 while the request is being handled."""


class _SlidingWindow:
    """At most `limit` hits in any `window` seconds."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._hits: deque[float] = deque()

    def _expire(self, now: float) -> None:
        while self._hits and self._hits[0] <= now - self.window:
            self._hits.popleft()

    def take(self, now: float) -> float | None:
        """Record a hit; None if allowed, else seconds until a slot frees."""
        self._expire(now)
        if len(self._hits) >= self.limit:
            return self._hits[0] + self.window - now
        self._hits.append(now)
        return None

    def remaining(self, now: float) -> int:
        self._expire(now)
        return max(self.limit - len(self._hits), 0)


def _measure_audio(data: bytes) -> float | None:
    try:
        parsed = mutagen.File(io.BytesIO(data))
    except Exception:  # mutagen raises many kinds on junk; junk is simply unmeasured
        return None
    length = getattr(getattr(parsed, "info", None), "length", None)
    return float(length) if length else None


def _sniff_content_type(data: bytes, kind: str) -> str:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return "video/mp4" if kind == "video" else "image/png"


class FakeZenCreator(FakeProviderServer[RequestRecord, CannedAnswer]):
    """ZenCreator's public API at ``base_url``; use as ``async with FakeZenCreator() as zc``."""

    label = "ZenCreator"
    api = API
    roots = ("/api/", "/files/")

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        balance: float = DEFAULT_BALANCE,
        scopes: Collection[str] = ("read", "generate"),
        rate_limits: Mapping[str, int] | None = DEFAULT_RATE_LIMITS,
        rate_window: float = DEFAULT_RATE_WINDOW,
        polls_until_done: int | None = 1,
        audio_duration: float = 5.0,
        flat_price: float = 1.0,
        max_upload_bytes: int = MAX_UPLOAD_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`rate_limits` per bucket (read/generate/upload) over `rate_window` seconds;
        None turns rate limiting off. `clock` measures rate windows and idempotency TTLs."""
        super().__init__()
        self.api_key = api_key
        self.balance = balance
        self.scopes = set(scopes)
        self.polls_until_done = polls_until_done
        """Default for generations no plan covers."""
        self.audio_duration = audio_duration
        self.flat_price = flat_price
        self.max_upload_bytes = max_upload_bytes
        self.clock = clock
        self.base_url = ""  # http://127.0.0.1:PORT, set on start

        self.loras: dict[str, list[JSON]] = {}
        """Per model; a model not listed gets DEFAULT_LORAS."""
        self.templates: list[JSON] = list(DEFAULT_TEMPLATES)
        self.photoshoot_categories: list[JSON] = list(DEFAULT_PHOTOSHOOT_CATEGORIES)
        self.uploads: list[UploadRecord] = []
        self.assets: dict[str, UploadRecord] = {}
        self.generations: dict[str, GenerationRecord] = {}
        self.starts: list[StartRecord] = []

        self._plans: list[Plan] = []
        self._outputs: dict[str, OutputRecord] = {}
        self._idempotency: dict[str, tuple[float, str, str]] = {}  # key -> (at, body, gen id)
        self._windows: dict[str, _SlidingWindow] = {}
        self.set_rate_limits(rate_limits, rate_window)
        self._ids = itertools.count(1)

    # --- Lifecycle

    async def __aenter__(self) -> Self:
        # Upload sizes are checked by the handler (413 in the envelope), not by aiohttp.
        app = web.Application(client_max_size=1024 * MB, middlewares=[self._middleware])
        app.router.add_post(f"{API}/assets", self._upload)
        app.router.add_post(f"{API}/generations", self._start)
        app.router.add_get(f"{API}/generations/{{id}}", self._status)
        app.router.add_get(f"{API}/generations/{{id}}/result", self._result)
        app.router.add_get(f"{API}/balance", self._balance)
        app.router.add_get(f"{API}/loras", self._loras)
        app.router.add_get(f"{API}/templates", self._templates)
        app.router.add_get(f"{API}/photoshoot-categories", self._photoshoot_categories)
        app.router.add_get(f"{API}/downloads/{{id}}", self._download)
        app.router.add_get("/files/{id}", self._download)
        self._runner, self.base_url = await serve(app)
        return self

    # --- Test-facing API: outcomes

    def plan(
        self,
        tool: str | None = None,
        *,
        status: Terminal = "succeeded",
        error: str | None = None,
        polls_until_done: int | None = 1,
        outputs: list[bytes] | None = None,
        times: int | None = 1,
    ) -> Plan:
        """Decide how the next `times` generations of `tool` (None: any tool) end.

        Plans are used in the order given; a generation takes the first that matches.
        """
        if tool is not None and tool not in TOOL_OUTPUTS:
            raise ValueError(f"unknown tool {tool!r}")
        plan = Plan(tool, status, error, polls_until_done, outputs, times)
        self._plans.append(plan)
        return plan

    def finish(
        self,
        generation_id: str,
        status: Terminal = "succeeded",
        *,
        error: str | None = None,
        outputs: list[bytes] | None = None,
    ) -> GenerationRecord:
        """End a generation now (the next poll sees it); a failure refunds its charge."""
        record = self.generations[generation_id]
        if record.is_terminal:
            raise ValueError(f"generation {generation_id} already ended {record.status}")
        self._complete(record, status, error, outputs)
        self._changes.notify()
        return record

    # --- Test-facing API: failures

    def fail_next(
        self,
        target: str,
        status: int,
        code: str | None = None,
        *,
        message: str | None = None,
        retry_after: float | None = None,
        times: int = 1,
        process: bool = False,
        body: str | None = None,
    ) -> None:
        """Answer the next `times` requests matching `target` with an error envelope.

        Auth, scopes and rate limits are checked first. `process=True` handles the request
        (storing, charging) before answering the error; `body` replaces the envelope.
        """
        code = code or _DEFAULT_ERROR_CODES.get(status, "internal_error")
        headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
        if body is None:
            envelope = {"error": {"code": code, "message": message or f"injected {code}"}}
            self._add_answer(
                target, status, jsonlib.dumps(envelope).encode(), headers, times, process
            )
        else:
            self._add_answer(
                target, status, body.encode(), headers, times, process, content_type="text/html"
            )

    def respond_next(
        self,
        target: str,
        status: int = 200,
        *,
        json: object = None,
        text: str | None = None,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
        process: bool = False,
    ) -> None:
        """Answer the next `times` requests matching `target` with exactly this."""
        if text is not None:
            self._add_answer(
                target,
                status,
                text.encode(),
                dict(headers or {}),
                times,
                process,
                content_type="text/plain",
            )
        else:
            self._add_answer(
                target, status, jsonlib.dumps(json).encode(), dict(headers or {}), times, process
            )

    def set_rate_limits(
        self, limits: Mapping[str, int] | None, window: float = DEFAULT_RATE_WINDOW
    ) -> None:
        """Replace the per-bucket limits (None: unlimited), starting with empty windows."""
        self._windows = {
            bucket: _SlidingWindow(limit, window) for bucket, limit in (limits or {}).items()
        }

    # --- Test-facing API: assets

    def add_asset(
        self,
        data: bytes = b"",
        media_type: str = "image",
        *,
        filename: str | None = None,
        content_type: str | None = None,
        duration: float | None = None,
    ) -> str:
        """Store an asset as if uploaded (no request, no rate budget); return its id."""
        if media_type not in MEDIA_TYPES:
            raise ValueError(f"media_type must be one of {MEDIA_TYPES}")
        data = data or (default_png() if media_type == "image" else DEFAULT_MP4)
        content_type = content_type or sorted(CONTENT_TYPES[media_type])[0]
        record = self._store_asset(media_type, filename, content_type, data)
        if duration is not None:
            record.duration = duration
        return record.asset_id

    def set_audio_duration(self, asset_id: str, seconds: float) -> None:
        """Declare how long an uploaded audio asset is (what lipsync is priced from)."""
        self.assets[asset_id].duration = seconds

    # --- Test-facing API: waiting and reading

    async def wait_for_generation(self, count: int = 1, timeout: float = 5.0) -> GenerationRecord:
        """Wait until `count` generations were started; return the count-th."""
        await self.wait_until(lambda: len(self.generations) >= count, timeout)
        return list(self.generations.values())[count - 1]

    async def wait_for_upload(self, count: int = 1, timeout: float = 5.0) -> UploadRecord:
        """Wait until `count` assets were uploaded; return the count-th."""
        await self.wait_until(lambda: len(self.uploads) >= count, timeout)
        return self.uploads[count - 1]

    # --- Internals: state

    def _state_lines(self) -> list[str]:
        return [f"generations: {[(g.id, g.tool, g.status) for g in self.generations.values()]}"]

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):04d}"

    def _add_answer(
        self,
        target: str,
        status: int,
        body: bytes,
        headers: dict[str, str],
        times: int,
        process: bool,
        content_type: str = "application/json",
    ) -> None:
        method, pattern = parse_target(target, API, ("/api/", "/files/"))
        self._answers.append(
            CannedAnswer(method, pattern, status, body, content_type, headers, process, times)
        )

    def _take_plan(self, tool: str) -> Plan:
        for plan in self._plans:
            if plan.tool in (None, tool):
                if plan.times is not None:
                    plan.times -= 1
                    if plan.times <= 0:
                        self._plans.remove(plan)
                return plan
        return Plan(tool, polls_until_done=self.polls_until_done)

    def _store_asset(
        self, media_type: str, filename: str | None, content_type: str, data: bytes
    ) -> UploadRecord:
        duration = None
        if media_type == "audio":
            duration = _measure_audio(data) or self.audio_duration
        record = UploadRecord(
            self._new_id("asset"), media_type, filename, content_type, data, duration
        )
        self.assets[record.asset_id] = record
        return record

    def _complete(
        self,
        record: GenerationRecord,
        status: Terminal,
        error: str | None,
        outputs: list[bytes] | None,
    ) -> None:
        record.status = status
        if status == "failed":
            record.error = error or "generation failed"
            record.refunded = record.charge
            self.balance += record.charge
            return
        if status == "partial":
            record.error = error or "some outputs could not be generated"
        else:
            record.error = error
        kind = TOOL_OUTPUTS[record.tool]
        if outputs is None:
            outputs = [default_png() if kind == "image" else DEFAULT_MP4]
        for data in outputs:
            # Each output is also an asset, which later generations may take as an input.
            asset = self._store_asset(kind, None, _sniff_content_type(data, kind), data)
            output_id = asset.asset_id
            output = OutputRecord(
                output_id,
                data,
                _sniff_content_type(data, kind),
                url=f"{self.base_url}/files/{output_id}",
                download_url=f"{self.base_url}{API}/downloads/{output_id}",
            )
            self._outputs[output_id] = output
            record.outputs.append(output)

    # --- Internals: HTTP

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        record = RequestRecord(
            request.method, request.path, dict(request.query), dict(request.headers)
        )
        self.requests.append(record)
        try:
            response = await self._serve(request, handler, record)
        except Exception:
            self.server_errors.append(traceback.format_exc())
            response = ApiError(500, "internal_error", "the fake server failed").response()
        record.status = response.status
        self._changes.notify()
        return response

    async def _serve(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
        record: RequestRecord,
    ) -> web.StreamResponse:
        method, path = request.method, request.path
        window: _SlidingWindow | None = None
        if path.startswith(API + "/"):
            record.bucket = bucket = _bucket_of(method, path)
            window = self._windows.get(bucket)
            try:
                self._authenticate(request)
                if ("read" if method == "GET" else "generate") not in self.scopes:
                    raise ApiError(
                        403, "insufficient_scope", f"this API key lacks the scope for {bucket}"
                    )
                if window is not None and (wait := window.take(self.clock())) is not None:
                    raise ApiError(
                        429,
                        "rate_limit_exceeded",
                        f"rate limit of {window.limit} {bucket} requests per "
                        f"{window.window:g}s exceeded",
                        {
                            "Retry-After": str(max(1, math.ceil(wait))),
                            "X-RateLimit-Limit": str(window.limit),
                            "X-RateLimit-Remaining": "0",
                        },
                    )
            except ApiError as err:
                return err.response()
        answer = self._take_answer(method, path)
        if answer is None or answer.process:
            response = await self._handle(request, handler)
        if answer is not None:
            response = answer.response()
        if window is not None:
            response.headers["X-RateLimit-Limit"] = str(window.limit)
            response.headers["X-RateLimit-Remaining"] = str(window.remaining(self.clock()))
        return response

    async def _handle(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as err:
            return err.response()
        except web.HTTPException as err:  # the router's 404 and 405
            code = "not_found" if err.status == 404 else "method_not_allowed"
            return ApiError(err.status, code, err.reason).response()

    def _authenticate(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        if not header or scheme.lower() != "bearer" or not key.strip():
            raise ApiError(401, "missing_api_key", "send Authorization: Bearer <API_KEY>")
        if key.strip() != self.api_key:
            raise ApiError(401, "invalid_api_key", "the API key is not valid")

    async def _upload(self, request: web.Request) -> web.Response:
        if not request.content_type.startswith("multipart/form-data"):
            raise ApiError(415, "unsupported_media_type", "send multipart/form-data")
        reader = await request.multipart()
        media_type: str | None = None
        file_part: tuple[str | None, str, bytes] | None = None
        size = 0
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise invalid("body", "nested multipart is not supported")
            if part.name == "media_type":
                media_type = (await part.text()).strip()
            elif part.name == "file":
                chunks: list[bytes] = []
                while chunk := await part.read_chunk(256 * 1024):
                    size += len(chunk)
                    if size <= self.max_upload_bytes:  # keep draining, stop keeping
                        chunks.append(chunk)
                content_type = part.headers.get("Content-Type", "application/octet-stream")
                file_part = (part.filename, content_type, b"".join(chunks))
            else:
                await part.release()
        if size > self.max_upload_bytes:
            raise ApiError(
                413,
                "payload_too_large",
                f"file is {size} bytes; the limit is {self.max_upload_bytes // MB} MB",
            )
        if media_type not in MEDIA_TYPES:
            raise invalid("media_type", f"must be one of {', '.join(MEDIA_TYPES)}")
        if file_part is None:
            raise invalid("file", "field required")
        filename, content_type, data = file_part
        bare_type = content_type.split(";")[0].strip().lower()
        if bare_type not in CONTENT_TYPES[media_type]:
            raise ApiError(
                415,
                "unsupported_media_type",
                f"{bare_type} is not an accepted {media_type} type",
            )
        record = self._store_asset(media_type, filename, bare_type, data)
        self.uploads.append(record)
        return web.json_response(
            {"asset_id": record.asset_id, "media_type": media_type, "size": len(data)},
            status=201,
        )

    async def _start(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError as err:
            raise invalid("body", "not valid JSON") from err
        if not isinstance(body, dict):
            raise invalid("body", "must be an object with tool and input")
        tool, tool_input = body.get("tool"), body.get("input", {})
        key = request.headers.get("Idempotency-Key")
        start = StartRecord(tool, tool_input, key)
        self.starts.append(start)
        fingerprint = jsonlib.dumps([tool, tool_input], sort_keys=True)
        now = self.clock()
        if key is not None and key in self._idempotency:
            at, previous, generation_id = self._idempotency[key]
            if now - at < IDEMPOTENCY_TTL:
                if previous != fingerprint:
                    raise invalid("Idempotency-Key", "already used with a different request")
                start.generation_id, start.replayed = generation_id, True
                return web.json_response(
                    self.generations[generation_id].as_json(),
                    headers={"Idempotent-Replayed": "true"},
                )
        if tool not in TOOL_OUTPUTS:
            raise invalid("tool", f"unknown tool {tool!r}")
        if not isinstance(tool_input, dict):
            raise invalid("input", "must be an object")
        price = self._price(tool, tool_input)
        if self.balance < price:
            raise ApiError(
                402,
                "insufficient_credits",
                f"this generation costs {price:g} credits; the balance is {self.balance:g}",
            )
        self.balance -= price
        record = GenerationRecord(
            self._new_id("gen"), tool, tool_input, key, price, self._take_plan(tool), now
        )
        self.generations[record.id] = record
        if key is not None:
            self._idempotency[key] = (now, fingerprint, record.id)
        start.generation_id = record.id
        return web.json_response(record.as_json(), status=201)

    def _price(self, tool: str, tool_input: JSON) -> float:
        """Validate the input as the tool's schema would; return the credits to charge."""
        if tool == "faceswap":
            _only_fields(tool_input, ("ref_asset", "face_asset", "model", "resolution"))
            self._asset(tool_input, "ref_asset", "image")
            self._asset(tool_input, "face_asset", "image")
            _one_of(tool_input, "model", FACESWAP_MODELS)
            _one_of(tool_input, "resolution", FACESWAP_RESOLUTIONS)
            return 1.0
        if tool == "lipsync":
            _only_fields(tool_input, ("image_asset", "audio_asset", "prompt", "model"))
            image = self._asset(tool_input, "image_asset", "image")
            if image.content_type not in ("image/jpeg", "image/png"):
                raise invalid("image_asset", "must be a JPG or PNG image")
            if len(image.data) > MAX_LIPSYNC_IMAGE_BYTES:
                raise invalid("image_asset", "the image must be under 5 MB")
            audio = self._asset(tool_input, "audio_asset", "audio")
            seconds = audio.duration or self.audio_duration
            if seconds > MAX_LIPSYNC_AUDIO_SECONDS:
                raise invalid(
                    "audio_asset",
                    f"audio is {seconds:g} s long; at most {MAX_LIPSYNC_AUDIO_SECONDS:g} s",
                )
            if not isinstance(tool_input.get("prompt", ""), str):
                raise invalid("prompt", "must be a string")
            _one_of(tool_input, "model", LIPSYNC_MODELS)
            return 3.0 * math.ceil(seconds)
        return self.flat_price

    def _asset(self, tool_input: JSON, name: str, media_type: str) -> UploadRecord:
        value = tool_input.get(name)
        if value is None:
            raise invalid(name, "field required")
        if not isinstance(value, str):
            raise invalid(name, "must be an asset id string")
        asset = self.assets.get(value)
        if asset is None:
            raise invalid(name, f"no asset {value!r}")
        if asset.media_type != media_type:
            raise invalid(name, f"must be an {media_type} asset, not {asset.media_type}")
        return asset

    def _generation(self, request: web.Request) -> GenerationRecord:
        generation_id = request.match_info["id"]
        record = self.generations.get(generation_id)
        if record is None:
            raise ApiError(404, "not_found", f"no generation {generation_id!r}")
        return record

    async def _status(self, request: web.Request) -> web.Response:
        record = self._generation(request)
        if not record.is_terminal:
            record.polls += 1
            done_after = record.plan.polls_until_done
            if done_after is not None and record.polls > done_after:
                self._complete(record, record.plan.status, record.plan.error, record.plan.outputs)
            else:
                record.status = "processing"
        return web.json_response(record.as_json())

    async def _result(self, request: web.Request) -> web.Response:
        record = self._generation(request)
        outputs = [
            {
                "id": output.id,
                "asset_id": output.id,
                "url": output.url,
                "download_url": output.download_url,
                "content_type": output.content_type,
            }
            for output in record.outputs
        ]
        return web.json_response(record.as_json() | {"outputs": outputs})

    async def _balance(self, request: web.Request) -> web.Response:
        return web.json_response({"balance": self.balance})

    async def _loras(self, request: web.Request) -> web.Response:
        model = request.query.get("model", "")
        return web.json_response(self.loras.get(model, DEFAULT_LORAS))

    async def _templates(self, request: web.Request) -> web.Response:
        return web.json_response(self.templates)

    async def _photoshoot_categories(self, request: web.Request) -> web.Response:
        return web.json_response(self.photoshoot_categories)

    async def _download(self, request: web.Request) -> web.Response:
        output = self._outputs.get(request.match_info["id"])
        if output is None:
            raise ApiError(404, "not_found", "no such output")
        return web.Response(body=output.data, content_type=output.content_type)


def _bucket_of(method: str, path: str) -> str:
    if method == "POST" and path == f"{API}/assets":
        return "upload"
    if method == "POST":
        return "generate"
    return "read"


def _only_fields(tool_input: JSON, allowed: Collection[str]) -> None:
    for name in tool_input:
        if name not in allowed:
            raise invalid(name, "unknown field")


def _one_of(tool_input: JSON, name: str, allowed: Collection[str]) -> None:
    if name in tool_input and tool_input[name] not in allowed:
        raise invalid(name, f"must be one of {' | '.join(allowed)}")
