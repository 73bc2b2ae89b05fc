"""The ZenCreator public API client (https://api.zencreator.pro/api/public/v1).

`ZenCreatorClient` implements `providers.base.GenerationProvider`: upload inputs, start a
generation, poll it, fetch its result and download the outputs. The response shapes it
assumes live in `providers.models`; its errors are those of `providers.errors`.

Retries live in one place, `_request`, and follow what is safe to repeat:

* every GET, and `POST /generations` (it carries an `Idempotency-Key`, so a repeat
  returns the generation the first attempt may have started), are retried on 408, 429,
  5xx, timeouts and connection errors: after `Retry-After` (capped) for a 429, otherwise
  with exponential backoff and jitter;
* `POST /assets` is retried only on 429, which means the upload was refused before being
  stored. After a 5xx or a timeout the asset may exist already and there is no key to
  deduplicate it, so the error goes to the caller instead of uploading twice;
* no other 4xx is retried: the same request would be refused again.

Each attempt first takes a slot of the shared `RateBudget` (read for GETs, generate for
`POST /generations`, upload for `POST /assets`).

The API key is sent only to the API's own origin and never appears in a repr, a log
line or an exception message.
"""

from __future__ import annotations

import asyncio
import logging
import math
import mimetypes
import random
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Self, TypeVar
from urllib.parse import quote

import httpx
import pydantic
from pydantic import SecretStr
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from providers.errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    PayloadTooLargeError,
    ProviderUnavailableError,
    RateLimitError,
    make_status_error,
)
from providers.models import (
    MAX_UPLOAD_BYTES,
    Asset,
    Balance,
    Generation,
    GenerationResult,
    MediaKind,
)
from providers.ratelimit import Bucket, RateBudget

if TYPE_CHECKING:
    from providers.base import GenerationProvider

log = logging.getLogger(__name__)

DEFAULT_BASE_URL: Final = "https://api.zencreator.pro"
API_PREFIX: Final = "/api/public/v1"
DEFAULT_TIMEOUT: Final = httpx.Timeout(60.0, connect=10.0)
"""Generous reads and writes: an upload may carry 50 MB, a download a whole video."""
DEFAULT_MAX_RETRIES: Final = 3
INITIAL_RETRY_DELAY: Final = 0.5
MAX_RETRY_DELAY: Final = 8.0
MAX_RETRY_AFTER: Final = 60.0
"""A longer `Retry-After` is cut to this; the caller sees the 429 if it persists."""

Sleep = Callable[[float], Awaitable[None]]
_Model = TypeVar("_Model", bound=pydantic.BaseModel)

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


def _repeatable(err: BaseException) -> bool:
    """Worth another attempt when repeating the request cannot do anything twice."""
    if isinstance(err, RateLimitError | APIConnectionError):  # includes APITimeoutError
        return True
    return isinstance(err, APIStatusError) and (err.status_code == 408 or err.status_code >= 500)


def _refused_unprocessed(err: BaseException) -> bool:
    """Worth another attempt even for a non-idempotent request: it was not processed."""
    return isinstance(err, RateLimitError)


class ZenCreatorClient:
    """Async client of ZenCreator's public API; one per API key (or share its budget)."""

    name = "zencreator"

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        http_client: httpx.AsyncClient | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        timeout: httpx.Timeout | None = None,
        budget: RateBudget | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """`max_retries` counts attempts after the first. `budget` paces requests (share one
        per key; None: no pacing, 429s are still retried).

        `timeout` applies to every request; without it a client created here uses
        `DEFAULT_TIMEOUT` and a given `http_client` keeps its own. `sleep` waits between
        retries (tests pass one that records the delay instead).
        """
        if not api_key:
            raise ProviderUnavailableError("ZenCreator is not configured: the API key is empty")
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self._api_key = SecretStr(api_key)
        self._base = httpx.URL(base_url.rstrip("/") + "/")
        if self._base.scheme not in _DEFAULT_PORTS:
            raise ValueError(f"base_url must be http(s), not {base_url!r}")
        self._api = self._base.join(API_PREFIX.lstrip("/") + "/")
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=timeout or DEFAULT_TIMEOUT)
        self._timeout = timeout
        self._max_retries = max_retries
        self._budget = budget
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"ZenCreatorClient(base_url={str(self._base)!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # --- GenerationProvider

    async def upload(self, data: bytes, media_type: MediaKind, filename: str) -> str:
        """Upload one input file and return its asset id; over 50 MB is refused unsent."""
        kind = MediaKind(media_type)
        if len(data) > MAX_UPLOAD_BYTES:
            raise PayloadTooLargeError(
                413,
                "payload_too_large",
                f"The file is too large to upload ({math.ceil(len(data) / 2**20 * 10) / 10} MB;"
                f" the limit is {MAX_UPLOAD_BYTES // 2**20} MB).",
            )
        response = await self._request(
            "POST",
            self._url("assets"),
            bucket="upload",
            retry_on=_refused_unprocessed,
            data={"media_type": kind.value},
            files={"file": (filename, data, _content_type(data, kind, filename))},
        )
        return _parse(Asset, response).asset_id

    async def start(self, tool: str, input: dict[str, Any], idempotency_key: str) -> Generation:
        """Start a generation; the same key never starts a second one (for 24 hours)."""
        response = await self._request(
            "POST",
            self._url("generations"),
            bucket="generate",
            retry_on=_repeatable,
            json={"tool": tool, "input": input},
            headers={"Idempotency-Key": idempotency_key},
        )
        return _parse(Generation, response)

    async def status(self, generation_id: str) -> Generation:
        response = await self._get(self._url("generations", generation_id))
        return _parse(Generation, response)

    async def result(self, generation_id: str) -> GenerationResult:
        response = await self._get(self._url("generations", generation_id, "result"))
        return _parse(GenerationResult, response)

    async def download(self, url: str) -> bytes:
        """Fetch one output; the API key goes along only to the API's own origin."""
        target = self._base.join(url)  # a relative URL is the API's own
        if target.scheme not in _DEFAULT_PORTS:
            raise APIResponseValidationError(
                f"cannot download an output from a {target.scheme!r} URL", status_code=200
            )
        own = _origin(target) == _origin(self._base)
        response = await self._request(
            "GET",
            target,
            bucket="read" if own else None,
            retry_on=_repeatable,
            authorized=own,
            # httpx drops the Authorization header on a redirect to another origin.
            follow_redirects=True,
        )
        return response.content

    async def balance(self) -> float:
        response = await self._get(self._url("balance"))
        return _parse(Balance, response).balance

    async def aclose(self) -> None:
        """Close the HTTP client, unless it was handed in (then its owner closes it)."""
        if self._owns_http:
            await self._http.aclose()

    # --- Transport

    def _url(self, *segments: str) -> httpx.URL:
        return self._api.join("/".join(quote(segment, safe="") for segment in segments))

    async def _get(self, url: httpx.URL) -> httpx.Response:
        return await self._request("GET", url, bucket="read", retry_on=_repeatable)

    async def _request(
        self,
        method: str,
        url: httpx.URL,
        *,
        bucket: Bucket | None,
        retry_on: Callable[[BaseException], bool],
        authorized: bool = True,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one request, retrying what `retry_on` allows; raise ProviderError on failure."""
        headers = {"Accept": "application/json", **(headers or {})}
        if authorized:
            headers["Authorization"] = f"Bearer {self._api_key.get_secret_value()}"
        if self._timeout is not None:
            kwargs["timeout"] = self._timeout
        where = _redacted(method, url)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._max_retries + 1),
            retry=retry_if_exception(retry_on),
            wait=_retry_delay,
            sleep=self._sleep,
            before_sleep=lambda state: _log_retry(where, state, self._max_retries),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                if bucket is not None and self._budget is not None:
                    await self._budget.acquire(bucket)
                with _translate_transport_errors(where):
                    response = await self._http.request(method, url, headers=headers, **kwargs)
                if response.is_error:
                    raise make_status_error(response)
                return response
        raise AssertionError("unreachable: tenacity reraises the last error")


@contextmanager
def _translate_transport_errors(where: str) -> Iterator[None]:
    """httpx's transport errors as ours. Messages name the request, never its headers."""
    try:
        yield
    except httpx.TimeoutException as err:
        raise APITimeoutError(f"{where} timed out ({type(err).__name__})") from err
    except httpx.RequestError as err:
        raise APIConnectionError(f"{where} failed: {type(err).__name__}") from err


def _retry_delay(state: RetryCallState) -> float:
    """`Retry-After` of a 429 (capped), else exponential backoff with 25% jitter."""
    err = state.outcome.exception() if state.outcome is not None else None
    if isinstance(err, RateLimitError) and err.retry_after is not None:
        return min(err.retry_after, MAX_RETRY_AFTER)
    backoff = min(INITIAL_RETRY_DELAY * 2.0 ** (state.attempt_number - 1), MAX_RETRY_DELAY)
    return backoff * (1 - 0.25 * random.random())


def _log_retry(where: str, state: RetryCallState, max_retries: int) -> None:
    err = state.outcome.exception() if state.outcome is not None else None
    delay = state.next_action.sleep if state.next_action is not None else 0.0
    log.warning(
        "%s: %r; retry %d of %d in %.2fs",
        where,
        err,
        state.attempt_number,
        max_retries,
        delay,
    )


def _parse(model: type[_Model], response: httpx.Response) -> _Model:
    """The body as `model`; anything else is an APIResponseValidationError."""
    where = _redacted(response.request.method, response.request.url)
    try:
        payload = response.json()
    except ValueError as err:
        raise APIResponseValidationError(
            f"{where} answered {response.status_code} with a body that is not JSON",
            status_code=response.status_code,
            body=response.text,
        ) from err
    try:
        return model.model_validate(payload)
    except pydantic.ValidationError as err:
        first = err.errors()[0]
        location = ".".join(str(part) for part in first["loc"]) or "body"
        raise APIResponseValidationError(
            f"{where} answered with an unexpected body ({location}: {first['msg']})",
            status_code=response.status_code,
            body=payload,
        ) from err


def _origin(url: httpx.URL) -> tuple[str, str, int]:
    return url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme, 0)


def _redacted(method: str, url: httpx.URL) -> str:
    """`METHOD scheme://host/path`, without a query that may hold a signed-URL token."""
    return f"{method} {url.copy_with(query=None, fragment=None)}"


# What to call a file whose name says nothing, by its first bytes: (signature, offset,
# the type it means for each kind of media it can hold).
_SIGNATURES: Final = (
    (b"\x89PNG\r\n\x1a\n", 0, ("image/png",)),
    (b"\xff\xd8\xff", 0, ("image/jpeg",)),
    (b"WEBP", 8, ("image/webp",)),
    (b"ftyp", 4, ("video/mp4", "audio/mp4")),
    (b"\x1aE\xdf\xa3", 0, ("video/webm", "audio/webm")),
    (b"OggS", 0, ("audio/ogg", "video/ogg")),
    (b"ID3", 0, ("audio/mpeg",)),
    (b"WAVE", 8, ("audio/wav",)),
)
_FALLBACK_TYPES: Final = {
    MediaKind.IMAGE: "image/jpeg",
    MediaKind.VIDEO: "video/mp4",
    MediaKind.AUDIO: "audio/mpeg",
}


def _content_type(data: bytes, kind: MediaKind, filename: str) -> str:
    """The part's Content-Type: by file name, else by signature, else the kind's usual."""
    prefix = f"{kind.value}/"
    guessed, _ = mimetypes.guess_type(filename)
    if guessed and guessed.startswith(prefix):
        return guessed
    for signature, offset, types in _SIGNATURES:
        if data[offset : offset + len(signature)] == signature:
            for content_type in types:
                if content_type.startswith(prefix):
                    return content_type
    return _FALLBACK_TYPES[kind]


if TYPE_CHECKING:
    # Fails type checking if the client ever drifts from the protocol.
    _conforms: GenerationProvider = ZenCreatorClient("key")
