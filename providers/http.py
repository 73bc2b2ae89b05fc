"""What every provider client shares: one API origin, its credentials, retries and pacing.

`ApiTransport.request` is the one place a provider request is sent (`download` streams an
output through the same retries into a file, up to a size limit). It retries what the
caller says is safe to repeat (`repeatable` for GETs and idempotent writes, `refused_unprocessed`
for writes that must not run twice): after `Retry-After` (capped) for a 429, otherwise with
exponential backoff and jitter. A request takes a place in line in the shared `RateBudget`
(with its priority: results and downloads before status polls) and each attempt a slot,
settled with the answer, so a refused attempt gives its slot back. Error responses become
`providers.errors` exceptions; transport failures become `APIConnectionError`.

Credentials go only to the API's own origin and never appear in a repr, a log line or an
exception message.

Each client (ZenCreator, Scenario, Framehood) is an `ApiClient` over one transport, made
from its own credentials and the caller's `TransportOptions`.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from types import TracebackType
from typing import Any, BinaryIO, Final, Self, TypedDict, TypeVar
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
    OutputTooLargeError,
    RateLimitError,
    make_status_error,
)
from providers.models import MediaKind
from providers.ratelimit import Bucket, Priority, RateBudget, Sleep, Slot, Ticket

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT: Final = httpx.Timeout(60.0, connect=10.0)
"""Generous reads and writes: an upload may carry 50 MB, a download a whole video."""
DEFAULT_MAX_RETRIES: Final = 3
INITIAL_RETRY_DELAY: Final = 0.5
MAX_RETRY_DELAY: Final = 8.0
MAX_RETRY_AFTER: Final = 60.0
"""A longer `Retry-After` is cut to this; the caller sees the 429 if it persists."""
DOWNLOAD_CHUNK: Final = 64 * 1024
"""Bytes a download holds in memory at a time."""

_Model = TypeVar("_Model", bound=pydantic.BaseModel)
_Result = TypeVar("_Result")

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


def repeatable(err: BaseException) -> bool:
    """Worth another attempt when repeating the request cannot do anything twice."""
    if isinstance(err, RateLimitError | APIConnectionError):  # includes APITimeoutError
        return True
    return isinstance(err, APIStatusError) and (err.status_code == 408 or err.status_code >= 500)


def refused_unprocessed(err: BaseException) -> bool:
    """Worth another attempt even for a non-idempotent request: it was not processed."""
    return isinstance(err, RateLimitError)


class ApiTransport:
    """Requests to one provider API, authorized with one credential."""

    def __init__(
        self,
        base_url: str,
        api_root: str,
        authorization: SecretStr,
        *,
        http_client: httpx.AsyncClient | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        timeout: httpx.Timeout | None = None,
        budget: RateBudget | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """`api_root` is the path under `base_url` that `url()` segments are joined to;
        `authorization` is the whole `Authorization` header value.

        `max_retries` counts attempts after the first. `budget` paces requests (share one
        per key; None: no pacing, 429s are still retried). `timeout` applies to every
        request; without it a client created here uses `DEFAULT_TIMEOUT` and a given
        `http_client` keeps its own. `sleep` waits between retries (tests pass one that
        records the delay instead).
        """
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.base = httpx.URL(base_url.rstrip("/") + "/")
        if self.base.scheme not in _DEFAULT_PORTS:
            raise ValueError(f"base_url must be http(s), not {base_url!r}")
        self._api = self.base.join(api_root.strip("/") + "/") if api_root.strip("/") else self.base
        self._authorization = authorization
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=timeout or DEFAULT_TIMEOUT)
        self._timeout = timeout
        self._max_retries = max_retries
        self._budget = budget
        self._sleep = sleep

    def url(self, *segments: str) -> httpx.URL:
        """The API URL of these path segments, each one escaped."""
        return self._api.join("/".join(quote(segment, safe="") for segment in segments))

    def is_own(self, url: httpx.URL) -> bool:
        """True when `url` is on the API's origin, where the credentials may go."""
        return _origin(url) == _origin(self.base)

    async def get(
        self, url: httpx.URL, *, priority: Priority = Priority.NORMAL, **kwargs: Any
    ) -> httpx.Response:
        return await self.request(
            "GET", url, bucket="read", priority=priority, retry_on=repeatable, **kwargs
        )

    async def download(self, url: str, into: BinaryIO, max_bytes: int) -> int:
        """Stream a produced file into `into`; returns its size in bytes.

        The body is written chunk by chunk, never held whole. Past `max_bytes` (told by
        Content-Length up front, or counted while streaming) it stops and raises
        OutputTooLargeError. A retried attempt starts the file over. The credentials go
        along only to the API's own origin, where the download also takes a read slot (ahead
        of status polls).
        """
        target = self.base.join(url)  # a relative URL is the API's own
        if target.scheme not in _DEFAULT_PORTS:
            raise APIResponseValidationError(
                f"cannot download an output from a {target.scheme!r} URL", status_code=200
            )
        own = self.is_own(target)
        where = redacted("GET", target)
        headers = {"Authorization": self._authorization.get_secret_value()} if own else {}
        ticket = self._ticket("read", Priority.FETCH) if own else None

        async def attempt() -> int:
            into.seek(0)
            into.truncate()
            request = self._http.build_request(
                "GET",
                target,
                headers=headers,
                timeout=httpx.USE_CLIENT_DEFAULT if self._timeout is None else self._timeout,
            )
            async with _slot_of(ticket) as slot:
                with _translate_transport_errors(where):
                    # httpx drops the Authorization header on a redirect to another origin.
                    response = await self._http.send(request, stream=True, follow_redirects=True)
                if slot is not None:
                    slot.answered(response.status_code, response.headers)
            try:
                if response.is_error:
                    await response.aread()
                    raise make_status_error(response)
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise OutputTooLargeError(max_bytes, int(declared))
                size = 0
                with _translate_transport_errors(where):
                    async for chunk in response.aiter_bytes(DOWNLOAD_CHUNK):
                        size += len(chunk)
                        if size > max_bytes:
                            raise OutputTooLargeError(max_bytes)
                        into.write(chunk)
                return size
            finally:
                await response.aclose()

        return await self._retrying(where, repeatable, attempt)

    async def request(
        self,
        method: str,
        url: httpx.URL,
        *,
        bucket: Bucket | None,
        retry_on: Callable[[BaseException], bool],
        priority: Priority = Priority.NORMAL,
        authorized: bool = True,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one request, retrying what `retry_on` allows; raise ProviderError on failure.

        `bucket` names the budget it spends (None: none, e.g. a download from a CDN), and
        `priority` its place among the requests waiting for that bucket.
        """
        headers = {"Accept": "application/json", **(headers or {})}
        if authorized:
            headers["Authorization"] = self._authorization.get_secret_value()
        if self._timeout is not None:
            kwargs["timeout"] = self._timeout
        where = redacted(method, url)
        ticket = self._ticket(bucket, priority) if bucket is not None else None

        async def attempt() -> httpx.Response:
            async with _slot_of(ticket) as slot:
                with _translate_transport_errors(where):
                    response = await self._http.request(method, url, headers=headers, **kwargs)
                if slot is not None:
                    slot.answered(response.status_code, response.headers)
            if response.is_error:
                raise make_status_error(response)
            return response

        return await self._retrying(where, retry_on, attempt)

    def _ticket(self, bucket: Bucket, priority: Priority) -> Ticket | None:
        """A place in line in the budget, kept across retries; None without a budget."""
        return None if self._budget is None else self._budget.ticket(bucket, priority)

    async def _retrying(
        self,
        where: str,
        retry_on: Callable[[BaseException], bool],
        attempt: Callable[[], Awaitable[_Result]],
    ) -> _Result:
        """Run `attempt` until it succeeds, or fails in a way `retry_on` does not allow."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._max_retries + 1),
            retry=retry_if_exception(retry_on),
            wait=_retry_delay,
            sleep=self._sleep,
            before_sleep=lambda state: _log_retry(where, state, self._max_retries),
            reraise=True,
        )
        async for attempt_state in retrying:
            with attempt_state:
                return await attempt()
        raise AssertionError("unreachable: tenacity reraises the last error")

    async def aclose(self) -> None:
        """Close the HTTP client, unless it was handed in (then its owner closes it)."""
        if self._owns_http:
            await self._http.aclose()


class TransportOptions(TypedDict, total=False):
    """What a provider client's constructor takes on for its `ApiTransport` (see there)."""

    http_client: httpx.AsyncClient | None
    max_retries: int
    timeout: httpx.Timeout | None
    budget: RateBudget | None
    sleep: Sleep


class ApiClient:
    """What every HTTP provider client shares: one transport, the downloads of its outputs,
    closing, and use as an async context manager."""

    def __init__(self, transport: ApiTransport) -> None:
        self._transport = transport

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={str(self._transport.base)!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def download(self, url: str, into: BinaryIO, max_bytes: int) -> int:
        """Stream one output into `into`; the credentials go along only to the API's own
        origin."""
        return await self._transport.download(url, into, max_bytes)

    async def aclose(self) -> None:
        await self._transport.aclose()


def parse(model: type[_Model], response: httpx.Response) -> _Model:
    """The body as `model`; anything else is an APIResponseValidationError."""
    where = redacted(response.request.method, response.request.url)
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


def redacted(method: str, url: httpx.URL) -> str:
    """`METHOD scheme://host/path`, without a query that may hold a signed-URL token."""
    return f"{method} {url.copy_with(query=None, fragment=None)}"


@asynccontextmanager
async def _slot_of(ticket: Ticket | None) -> AsyncIterator[Slot | None]:
    """One attempt's slot of the budget, or None for a request outside it."""
    if ticket is None:
        yield None
        return
    async with ticket.slot() as slot:
        yield slot


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


def _origin(url: httpx.URL) -> tuple[str, str, int]:
    return url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme, 0)


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


def content_type(data: bytes, kind: MediaKind, filename: str) -> str:
    """A file's media type: by file name, else by signature, else the kind's usual."""
    prefix = f"{kind.value}/"
    guessed, _ = mimetypes.guess_type(filename)
    if guessed and guessed.startswith(prefix):
        return guessed
    for signature, offset, types in _SIGNATURES:
        if data[offset : offset + len(signature)] == signature:
            for candidate in types:
                if candidate.startswith(prefix):
                    return candidate
    return _FALLBACK_TYPES[kind]
