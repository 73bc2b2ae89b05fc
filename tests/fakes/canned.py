"""What the fake provider servers share: error envelopes, canned answers and their targets,
the request log, and the plumbing of the server itself (recording, Bearer auth, turning
errors into answers)."""

from __future__ import annotations

import fnmatch
import itertools
import json as jsonlib
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ClassVar

from aiohttp import web

from bot.playground.changes import Changes

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

DEFAULT_ERROR_CODES: Mapping[int, str] = {
    401: "invalid_api_key",
    402: "insufficient_credits",
    403: "forbidden",
    404: "not_found",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limit_exceeded",
}
"""The envelope's code for an injected error of a status (else `internal_error`)."""


class ApiError(Exception):
    """An error answer in the envelope `{"error": {"code": ..., "message": ...}}`."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def envelope(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}

    def response(self) -> web.Response:
        return web.json_response(self.envelope(), status=self.status, headers=self.headers)


def invalid(field_name: str, reason: str) -> ApiError:
    """A 422 whose message starts with the offending field, `"face_asset: ..."`."""
    return ApiError(422, "validation_error", f"{field_name}: {reason}")


@dataclass
class CannedAnswer:
    """An answer a test asked for with `fail_next` / `respond_next`."""

    method: str | None
    pattern: str
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str]
    process: bool
    """Handle the request first, as a server that fails after doing the work."""
    remaining: int

    def matches(self, method: str, path: str) -> bool:
        return target_matches(self.method, self.pattern, method, path)

    def response(self) -> web.Response:
        return web.Response(
            status=self.status,
            body=self.body,
            content_type=self.content_type,
            headers=self.headers,
        )


def target_matches(want_method: str | None, pattern: str, method: str, path: str) -> bool:
    return (want_method is None or want_method == method) and fnmatch.fnmatchcase(path, pattern)


def parse_target(target: str, api: str, roots: tuple[str, ...]) -> tuple[str | None, str]:
    """`"POST /jobs/*"`, `"GET"` or `"/files/*"` -> (method, absolute path pattern).

    A path not under one of `roots` is taken as relative to `api`.
    """
    method: str | None = None
    path = target.strip()
    head, _, rest = path.partition(" ")
    if head.isalpha() and head.isupper():
        method, path = head, rest.strip()
    if not path:
        return method, "*"
    if not path.startswith("/"):
        path = "/" + path
    if not path.startswith(roots):
        path = api + path
    return method, path


@dataclass
class RequestRecord:
    """One request a fake served."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any = None
    """The parsed JSON body; None without one (or when it does not parse)."""
    status: int = 0
    """The status answered; 0 while the request is being handled."""


class FakeProviderServer:
    """The plumbing every fake provider server shares: the request log, canned answers,
    Bearer auth of `api_key` under `api`, errors turned into answers, waiting on changes,
    and failing the test on a bug in the fake itself.

    Subclasses name themselves (`label`), their API root (`api`) and the paths not under it
    (`roots`), serve `_middleware` in front of their routes, and add their own state lines
    to timeout messages with `_state_lines`. One whose errors come in another envelope, or
    that authenticates otherwise, overrides `_error` or `_authenticate`.
    """

    label: ClassVar[str]
    api: ClassVar[str]
    roots: ClassVar[tuple[str, ...]]
    api_key: str

    def __init__(self) -> None:
        self.requests: list[RequestRecord] = []
        self.server_errors: list[str] = []
        """Tracebacks of bugs in the fake; raised again on exit."""
        self._answers: list[CannedAnswer] = []
        self._changes = Changes()  # tests wait on these, never sleep
        self._runner: web.AppRunner | None = None
        self._ids = itertools.count(1)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self.server_errors and exc_type is None:
            raise AssertionError(f"the fake {self.label} server failed:\n{self.server_errors[0]}")

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until predicate() holds; re-checked whenever the fake handles a request."""
        await self._changes.wait_until(predicate, timeout, self._history)

    def requests_for(self, target: str) -> list[RequestRecord]:
        """The requests matching `target` (the syntax of `fail_next`), in order."""
        method, pattern = parse_target(target, self.api, self.roots)
        return [r for r in self.requests if target_matches(method, pattern, r.method, r.path)]

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
    ) -> None:
        """Answer the next `times` requests matching `target` with an error envelope.

        Auth is checked first. `process=True` handles the request (storing, charging,
        starting) before answering the error.
        """
        code = code or DEFAULT_ERROR_CODES.get(status, "internal_error")
        headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
        error = self._error(status, code, message or f"injected {code}")
        body = jsonlib.dumps(error.envelope()).encode()
        self._add_answer(target, status, body, headers, times, process)

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
            body, content_type = text.encode(), "text/plain"
        else:
            body, content_type = jsonlib.dumps(json).encode(), "application/json"
        self._add_answer(target, status, body, dict(headers or {}), times, process, content_type)

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
        method, pattern = parse_target(target, self.api, self.roots)
        self._answers.append(
            CannedAnswer(method, pattern, status, body, content_type, headers, process, times)
        )

    def _take_answer(self, method: str, path: str) -> CannedAnswer | None:
        for answer in self._answers:
            if answer.matches(method, path):
                answer.remaining -= 1
                if answer.remaining <= 0:
                    self._answers.remove(answer)
                return answer
        return None

    def _history(self) -> str:
        lines = ["last requests:"]
        recent = [f"  {r.method} {r.path} -> {r.status}" for r in self.requests[-10:]]
        lines += recent or ["  none"]
        lines += self._state_lines()
        return "\n".join(lines)

    def _state_lines(self) -> list[str]:
        return []

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):04d}"

    def _error(self, status: int, code: str, message: str) -> ApiError:
        """An error answer in this provider's envelope."""
        return ApiError(status, code, message)

    def _record(self, request: web.Request) -> RequestRecord:
        """The log entry of a request, before its body is read."""
        return RequestRecord(
            request.method, request.path, dict(request.query), dict(request.headers)
        )

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Log the request with its JSON body and the status answered; a bug in the fake is a
        500 here and fails the test on exit."""
        record = self._record(request)
        self.requests.append(record)
        try:
            if request.can_read_body and request.content_type == "application/json":
                try:
                    record.body = jsonlib.loads(await request.read())
                except ValueError:
                    record.body = None
            response = await self._serve(request, handler, record)
        except Exception:
            self.server_errors.append(traceback.format_exc())
            response = self._error(500, "internal_error", "the fake server failed").response()
        record.status = response.status
        self._changes.notify()
        return response

    async def _serve(
        self, request: web.Request, handler: Handler, record: RequestRecord
    ) -> web.StreamResponse:
        """Authenticate what is under the API, then answer as a test asked or as `handler`
        does."""
        if request.path.startswith(self.api + "/"):
            try:
                self._authenticate(request)
            except ApiError as err:
                return err.response()
        answer = self._take_answer(request.method, request.path)
        if answer is None or answer.process:
            response = await self._handle(request, handler)
        return answer.response() if answer is not None else response

    async def _handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """What `handler` answers, with the errors it raises as this provider's answers."""
        try:
            return await handler(request)
        except ApiError as err:
            return err.response()
        except web.HTTPException as err:  # the router's 404 and 405
            code = "not_found" if err.status == 404 else "method_not_allowed"
            return self._error(err.status, code, err.reason).response()

    def _authenticate(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        if not header or scheme.lower() != "bearer" or not key.strip():
            raise ApiError(401, "missing_api_key", "send Authorization: Bearer <API_KEY>")
        if key.strip() != self.api_key:
            raise ApiError(401, "invalid_api_key", "the API key is not valid")
