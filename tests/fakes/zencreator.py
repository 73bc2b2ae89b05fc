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
replayed), ``transactions`` (the credit history, oldest first), ``requests`` (every
request with headers and the status answered),
``server_errors`` (tracebacks of bugs in the fake; raised again on exit).

How generations end: a generation is ``queued`` when started; each ``GET
/generations/{id}`` counts one poll; after ``polls_until_done`` polls answered
``processing``, the next poll finds it terminal. The outcome is the first matching
`plan` (per tool, or for any tool), else success with the default outputs (below)::

    zc.plan("lipsync", status="partial", error="one clip failed", outputs=[b"..."])
    zc.plan(status="failed", error="NSFW", polls_until_done=0)  # the next start, any tool
    zc.plan("faceswap", polls_until_done=None, times=None)      # never ends by itself ...
    zc.finish(generation_id, status="succeeded")                # ... until the test says so

Timing, for the benchmark and the budget's tests: ``set_durations({"faceswap": 2.0})`` makes
generations of a tool end by themselves that many seconds (of ``clock``) after they started,
however often they are polled (the outcome is still the plan's); every generation records
``finished_at``, the ``clock`` time it ended. ``add_generation(tool)`` adds a running
generation without a request, as a restart finds them. ``delay_next(target, seconds)``
makes the next matching request reach the fake that much later, as over a slow connection:
it counts against the rate limit only then.

Failures: ``fail_next("POST /generations", 500)`` answers the next matching request with
an error envelope (``retry_after=`` adds the header; ``process=True`` handles the request
first, as a server that crashes after doing the work), and ``respond_next(target,
json=...)`` (or ``text=``) any answer at all, an error page among them. A target is
``"METHOD"``, a path, or ``"METHOD path"``; paths may use ``*`` (which also matches ``/``)
and are relative to ``/api/public/v1`` unless they start with ``/api/`` or ``/files/``.

Every tool of the reference's catalog is validated and priced as the reference says
(`tests/fakes/zencreator_tools.py`: fields, rules, price tables, output counts): unknown
fields, wrong types, values outside ``one of``, asset ids that name no stored asset of the
right media type, and combinations the reference forbids are refused with 422 before
anything is charged. Prices that depend on media use the stored asset as the fake measured
it: audio with mutagen (unmeasurable audio counts as ``audio_duration`` seconds, 5 by
default; ``set_audio_duration(asset_id, seconds)`` overrides one asset), video with PyAV
(width, height, duration, frame rate). The video behind an Instagram/TikTok URL is
``link_duration`` seconds long (10 by default) unless ``set_link_duration(url, seconds)``
says otherwise.

A success makes as many outputs as the input asks for (``batch_size``,
``number_of_images``, ``image_count``, facegen's variants); a partial one, one fewer (at
least one). Default outputs are small PNGs, each a different colour (`default_png(index)`),
and a real 1 s MP4 for video tools (`DEFAULT_MP4`). Every output is also stored as an asset:
the result lists its ``asset_id`` and a later generation may take it as an input.

Catalog: ``GET /tools`` and ``/tools/{name}`` (input schemas made from the same field
specs), ``GET /loras?model=``, ``/templates`` and ``/photoshoot-categories`` (state
``loras``, ``templates``, ``categories``: lists of dicts a test may change; see
`tests/fakes/zencreator_catalog.py`), and ``GET /transactions`` (``limit``, ``offset``;
newest first): a top-up for the starting balance and for each ``top_up(credits)``, a spend
per accepted generation and a refund per failed one, each naming its ``generation_id``.
Lists are served as ``{"items": [...]}``.

Freezing the code under test at a step: ``hold = zc.hold("POST /generations",
handled=True)`` keeps the next matching request waiting (after it took effect, with
``handled``) until ``hold.release()``; ``await hold.wait_reached()`` waits for it to arrive.

Waiting, without sleeps: ``await zc.wait_for_generation(count)`` and
``wait_until(predicate)`` re-check whenever the fake handles a request or changes
state, and raise TimeoutError with the latest requests after ``timeout`` seconds.

Outputs are served twice: ``download_url`` under the API (Bearer auth, read budget) and
``url`` at ``/files/{id}`` with no auth, as a CDN link would be.

Everything runs on the test's event loop; handlers await only request bodies and holds, so
state changes are atomic between awaits.
"""

from __future__ import annotations

import asyncio
import io
import json as jsonlib
import math
import time
from collections import deque
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from types import TracebackType
from typing import Any, Literal, Self

import mutagen
from aiohttp import BodyPartReader, web
from PIL import Image

from bot.playground.changes import Hold
from bot.playground.server import serve
from tests.fakes import canned
from tests.fakes.canned import (
    ApiError,
    FakeProviderServer,
    Handler,
    invalid,
    parse_target,
    target_matches,
)
from tests.fakes.media import probe_video, video_file
from tests.fakes.zencreator_catalog import LORAS, PHOTOSHOOT_CATEGORIES, TEMPLATES
from tests.fakes.zencreator_tools import TOOLS, Context, accept

JSON = dict[str, Any]
MB = 1024 * 1024

API = "/api/public/v1"
DEFAULT_API_KEY = "zc_live_fakekey_fakesecret"
DEFAULT_BALANCE = 1000.0
MAX_UPLOAD_BYTES = 50 * MB
IDEMPOTENCY_TTL = 24 * 60 * 60.0
DEFAULT_RATE_LIMITS: Mapping[str, int] = {"read": 60, "generate": 10, "upload": 30}
DEFAULT_RATE_WINDOW = 60.0
DEFAULT_LINK_SECONDS = 10.0
DEFAULT_TRANSACTIONS_LIMIT = 20
MAX_TRANSACTIONS_LIMIT = 100

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


@cache
def default_png(index: int = 0) -> bytes:
    """The `index`-th default output of image tools: a valid 8x8 PNG, teal for the first
    and a different colour for each next one."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (index * 53 % 256, 128, 128)).save(buffer, format="PNG")
    return buffer.getvalue()


DEFAULT_MP4 = video_file()
"""The default output of video tools: a real 1 s 128x72 H.264 MP4 at 24 fps."""


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
    """Seconds of audio (measured, declared, or `audio_duration`) or video (measured);
    None for images and for video the fake could not read."""
    width: int | None = None
    """Of a video, measured; None for other media."""
    height: int | None = None
    fps: float | None = None


@dataclass
class Plan:
    """How the next generation(s) of `tool` (None: any tool) end."""

    tool: str | None
    status: Terminal = "succeeded"
    error: str | None = None
    polls_until_done: int | None = 1
    """Polls answered `processing` before the terminal one; None: only `finish` ends it."""
    outputs: list[bytes] | None = None
    """Bytes of each output; None: the default outputs (none when failed)."""
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
    expected_outputs: int
    """How many outputs the input asks for."""
    status: str = "queued"
    error: str | None = None
    outputs: list[OutputRecord] = field(default_factory=list)
    polls: int = 0
    refunded: float = 0.0
    seconds: float | None = None
    """Ends by itself this long after `created_at` (see `set_durations`); None: by polls."""
    finished_at: float | None = None
    """The fake's `clock` time it ended; None while it runs."""

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    def as_json(self) -> JSON:
        return {"id": self.id, "tool": self.tool, "status": self.status, "error": self.error}


@dataclass
class TransactionRecord:
    """One line of the credit history; `amount` is signed as it changed the balance."""

    id: str
    type: Literal["topup", "spend", "refund"]
    amount: float
    balance: float
    """The balance after it."""
    generation_id: str | None
    created_at: str

    def as_json(self) -> JSON:
        return {
            "id": self.id,
            "type": self.type,
            "amount": self.amount,
            "balance_after": self.balance,
            "generation_id": self.generation_id,
            "created_at": self.created_at,
        }


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
class RequestRecord(canned.RequestRecord):
    bucket: str | None = None
    """The rate-limit bucket it counted against; None outside the API."""
    at: float = 0.0
    """When it arrived, by the fake's `clock`."""


@dataclass
class _Delay:
    """Requests matching (method, pattern) that `delay_next` holds back."""

    method: str | None
    pattern: str
    seconds: float
    remaining: int


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


class FakeZenCreator(FakeProviderServer):
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
        link_duration: float = DEFAULT_LINK_SECONDS,
        max_upload_bytes: int = MAX_UPLOAD_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`rate_limits` per bucket (read/generate/upload) over `rate_window` seconds;
        None turns rate limiting off. `clock` measures rate windows and idempotency TTLs."""
        super().__init__()
        self.api_key = api_key
        self.balance = 0.0
        self.scopes = set(scopes)
        self.polls_until_done = polls_until_done
        """Default for generations no plan covers."""
        self.audio_duration = audio_duration
        self.link_duration = link_duration
        """Seconds of the video behind an Instagram/TikTok URL without its own duration."""
        self.max_upload_bytes = max_upload_bytes
        self.clock = clock
        self.base_url = ""  # http://127.0.0.1:PORT, set on start

        self.uploads: list[UploadRecord] = []
        self.assets: dict[str, UploadRecord] = {}
        self.generations: dict[str, GenerationRecord] = {}
        self.starts: list[StartRecord] = []
        self.transactions: list[TransactionRecord] = []
        self.loras = [dict(lora) for lora in LORAS]
        self.templates = [dict(template) for template in TEMPLATES]
        self.categories = [dict(category) for category in PHOTOSHOOT_CATEGORIES]

        self._holds: list[tuple[str | None, str, bool, Hold]] = []
        self._plans: list[Plan] = []
        self._link_seconds: dict[str, float] = {}
        self._durations: dict[str, float] = {}
        self._delays: list[_Delay] = []
        self._outputs: dict[str, OutputRecord] = {}
        self._idempotency: dict[str, tuple[float, str, str]] = {}  # key -> (at, body, gen id)
        self._windows: dict[str, _SlidingWindow] = {}
        self.set_rate_limits(rate_limits, rate_window)
        if balance:
            self.top_up(balance)

    # --- Lifecycle

    async def __aenter__(self) -> Self:
        # Upload sizes are checked by the handler (413 in the envelope), not by aiohttp.
        app = web.Application(client_max_size=1024 * MB, middlewares=[self._middleware])
        app.router.add_post(f"{API}/assets", self._upload)
        app.router.add_post(f"{API}/generations", self._start)
        app.router.add_get(f"{API}/generations/{{id}}", self._status)
        app.router.add_get(f"{API}/generations/{{id}}/result", self._result)
        app.router.add_get(f"{API}/balance", self._balance)
        app.router.add_get(f"{API}/transactions", self._transactions)
        app.router.add_get(f"{API}/tools", self._tools)
        app.router.add_get(f"{API}/tools/{{name}}", self._tool)
        app.router.add_get(f"{API}/loras", self._loras)
        app.router.add_get(f"{API}/templates", self._templates)
        app.router.add_get(f"{API}/photoshoot-categories", self._categories)
        app.router.add_get(f"{API}/downloads/{{id}}", self._download)
        app.router.add_get("/files/{id}", self._download)
        self._runner, self.base_url = await serve(app)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for *_, hold in self._holds:
            hold.release()
        await super().__aexit__(exc_type, exc, tb)

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
        if tool is not None and tool not in TOOLS:
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

    def set_durations(self, seconds: Mapping[str, float]) -> None:
        """Generations of these tools started from now on end `seconds[tool]` after they
        started (by `clock`), whether or not anyone polls them."""
        unknown = set(seconds) - set(TOOLS)
        if unknown:
            raise ValueError(f"unknown tools {sorted(unknown)}")
        self._durations.update(seconds)

    def add_generation(self, tool: str, tool_input: JSON | None = None) -> str:
        """A generation running since now, added without a request or a charge (the state a
        restarted bot finds); it ends as `set_durations` or the plans say. Returns its id."""
        if tool not in TOOLS:
            raise ValueError(f"unknown tool {tool!r}")
        record = GenerationRecord(
            self._new_id("gen"),
            tool,
            dict(tool_input or {}),
            None,
            0.0,
            self._take_plan(tool),
            self.clock(),
            1,
            seconds=self._durations.get(tool),
        )
        self.generations[record.id] = record
        return record.id

    # --- Test-facing API: failures

    def delay_next(self, target: str, seconds: float, *, times: int = 1) -> None:
        """The next `times` requests matching `target` reach the fake `seconds` late: they are
        authenticated, counted against the rate limit and handled only then."""
        method, pattern = parse_target(target, self.api, self.roots)
        self._delays.append(_Delay(method, pattern, seconds, times))

    def hold(self, target: str, *, skip: int = 0, handled: bool = False) -> Hold:
        """Keep one request matching `target` (after `skip` such) waiting until the test
        releases it. With `handled` the request takes effect first (an asset stored, a
        generation started) and only the answer waits."""
        method, pattern = parse_target(target, self.api, self.roots)
        hold = Hold(self._changes, skip)
        self._holds.append((method, pattern, handled, hold))
        return hold

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

    def set_link_duration(self, url: str, seconds: float) -> None:
        """Declare how long the video behind an Instagram/TikTok URL is (video2video)."""
        self._link_seconds[url] = seconds

    # --- Test-facing API: credits

    def top_up(self, credits: float) -> TransactionRecord:
        """Add credits as a purchase would, with its line in the credit history."""
        return self._transact("topup", credits, None)

    # --- Test-facing API: waiting and reading

    async def wait_for_generation(self, count: int = 1, timeout: float = 5.0) -> GenerationRecord:
        """Wait until `count` generations were started; return the count-th."""
        await self.wait_until(lambda: len(self.generations) >= count, timeout)
        return list(self.generations.values())[count - 1]

    # --- Internals: state

    def _state_lines(self) -> list[str]:
        return [f"generations: {[(g.id, g.tool, g.status) for g in self.generations.values()]}"]

    def _take_delay(self, method: str, path: str) -> float | None:
        for delay in self._delays:
            if target_matches(delay.method, delay.pattern, method, path):
                delay.remaining -= 1
                if delay.remaining <= 0:
                    self._delays.remove(delay)
                return delay.seconds
        return None

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
        record = UploadRecord(self._new_id("asset"), media_type, filename, content_type, data)
        if media_type == "audio":
            record.duration = _measure_audio(data) or self.audio_duration
        elif media_type == "video" and (video := probe_video(data)) is not None:
            record.duration, record.fps = video.seconds, video.fps
            record.width, record.height = video.width, video.height
        self.assets[record.asset_id] = record
        return record

    def _transact(
        self, kind: Literal["topup", "spend", "refund"], amount: float, generation_id: str | None
    ) -> TransactionRecord:
        """Change the balance by `amount` and write the line of the credit history."""
        self.balance = round(self.balance + amount, 2)
        record = TransactionRecord(
            f"txn_{len(self.transactions) + 1:04d}",  # own sequence: other ids stay as they were
            kind,
            amount,
            self.balance,
            generation_id,
            datetime.now(UTC).isoformat(),
        )
        self.transactions.append(record)
        return record

    def _complete(
        self,
        record: GenerationRecord,
        status: Terminal,
        error: str | None,
        outputs: list[bytes] | None,
        at: float | None = None,
    ) -> None:
        record.status = status
        record.finished_at = self.clock() if at is None else at
        if status == "failed":
            record.error = error or "generation failed"
            record.refunded = record.charge
            self._transact("refund", record.charge, record.id)
            return
        count = record.expected_outputs
        if status == "partial":
            record.error = error or "some outputs could not be generated"
            count = max(count - 1, 1)
        else:
            record.error = error
        kind = TOOLS[record.tool].output
        if outputs is None:
            outputs = [default_png(n) if kind == "image" else DEFAULT_MP4 for n in range(count)]
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

    def _record(self, request: web.Request) -> RequestRecord:
        return RequestRecord(
            request.method,
            request.path,
            dict(request.query),
            dict(request.headers),
            at=self.clock(),
        )

    async def _serve(
        self, request: web.Request, handler: Handler, record: RequestRecord
    ) -> web.StreamResponse:
        method, path = request.method, request.path
        if (delay := self._take_delay(method, path)) is not None:
            await asyncio.sleep(delay)
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
        await self._held(method, path, handled=False)
        if request.transport is None or request.transport.is_closing():
            # The client went away while the request was held: it never arrived.
            return web.Response(status=499)
        answer = self._take_answer(method, path)
        if answer is None or answer.process:
            response = await self._handle(request, handler)
        await self._held(method, path, handled=True)
        if answer is not None:
            response = answer.response()
        if window is not None:
            response.headers["X-RateLimit-Limit"] = str(window.limit)
            response.headers["X-RateLimit-Remaining"] = str(window.remaining(self.clock()))
        return response

    async def _held(self, method: str, path: str, *, handled: bool) -> None:
        for want_method, pattern, after, hold in self._holds:
            if (
                after is handled
                and target_matches(want_method, pattern, method, path)
                and hold.catches()
            ):
                await hold.held()

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
        if not isinstance(tool, str) or tool not in TOOLS:
            raise invalid("tool", f"unknown tool {tool!r}")
        if not isinstance(tool_input, dict):
            raise invalid("input", "must be an object")
        accepted = accept(TOOLS[tool], tool_input, self._tool_context())
        price = accepted.price
        if self.balance < price:
            raise ApiError(
                402,
                "insufficient_credits",
                f"this generation costs {price:g} credits; the balance is {self.balance:g}",
            )
        record = GenerationRecord(
            self._new_id("gen"),
            tool,
            tool_input,
            key,
            price,
            self._take_plan(tool),
            now,
            accepted.outputs,
            seconds=self._durations.get(tool),
        )
        self.generations[record.id] = record
        self._transact("spend", -price, record.id)
        if key is not None:
            self._idempotency[key] = (now, fingerprint, record.id)
        start.generation_id = record.id
        return web.json_response(record.as_json(), status=201)

    def _tool_context(self) -> Context:
        return Context(
            assets=self.assets,
            link_seconds=lambda url: self._link_seconds.get(url, self.link_duration),
            loras=self.loras,
            templates=self.templates,
            categories=self.categories,
        )

    def _generation(self, request: web.Request) -> GenerationRecord:
        generation_id = request.match_info["id"]
        record = self.generations.get(generation_id)
        if record is None:
            raise ApiError(404, "not_found", f"no generation {generation_id!r}")
        return record

    async def _status(self, request: web.Request) -> web.Response:
        record = self._generation(request)
        self._end_if_due(record)
        if not record.is_terminal:
            record.polls += 1
            done_after = record.plan.polls_until_done
            if record.seconds is not None:
                record.status = "processing"
            elif done_after is not None and record.polls > done_after:
                self._complete(record, record.plan.status, record.plan.error, record.plan.outputs)
            else:
                record.status = "processing"
        return web.json_response(record.as_json())

    async def _result(self, request: web.Request) -> web.Response:
        record = self._generation(request)
        self._end_if_due(record)
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

    def _end_if_due(self, record: GenerationRecord) -> None:
        """End a timed generation whose time has come, as of the moment it came."""
        if record.is_terminal or record.seconds is None:
            return
        due = record.created_at + record.seconds
        if self.clock() >= due:
            plan = record.plan
            self._complete(record, plan.status, plan.error, plan.outputs, at=due)

    async def _balance(self, request: web.Request) -> web.Response:
        return web.json_response({"balance": self.balance})

    async def _transactions(self, request: web.Request) -> web.Response:
        limit = _query_int(request, "limit", DEFAULT_TRANSACTIONS_LIMIT, 1, MAX_TRANSACTIONS_LIMIT)
        offset = _query_int(request, "offset", 0, 0, None)
        newest_first = self.transactions[::-1][offset : offset + limit]
        return web.json_response(
            {"items": [t.as_json() for t in newest_first], "total": len(self.transactions)}
        )

    async def _tools(self, request: web.Request) -> web.Response:
        return web.json_response({"items": [tool.as_json() for tool in TOOLS.values()]})

    async def _tool(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in TOOLS:
            raise ApiError(404, "not_found", f"no tool {name!r}")
        return web.json_response(TOOLS[name].as_json())

    async def _loras(self, request: web.Request) -> web.Response:
        model = request.query.get("model")
        loras = [lora for lora in self.loras if model is None or lora["model"] == model]
        return web.json_response({"items": loras})

    async def _templates(self, request: web.Request) -> web.Response:
        return web.json_response({"items": self.templates})

    async def _categories(self, request: web.Request) -> web.Response:
        return web.json_response({"items": self.categories})

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


def _query_int(
    request: web.Request, name: str, default: int, minimum: int, maximum: int | None
) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as err:
        raise invalid(name, "must be an integer") from err
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"at least {minimum}" if maximum is None else f"{minimum} to {maximum}"
        raise invalid(name, f"must be {bound}")
    return value
