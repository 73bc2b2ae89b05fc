"""What the fake provider servers share: error envelopes, canned answers and their targets,
and the plumbing of the server itself."""

from __future__ import annotations

import fnmatch
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import ClassVar, Generic, Protocol, TypeVar

from aiohttp import web

from bot.playground.changes import Changes


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

    def response(self) -> web.Response:
        body = {"error": {"code": self.code, "message": self.message}}
        return web.json_response(body, status=self.status, headers=self.headers)


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


class _Recorded(Protocol):
    method: str
    path: str
    status: int


class _Answer(Protocol):
    remaining: int

    def matches(self, method: str, path: str) -> bool: ...


RequestT = TypeVar("RequestT", bound=_Recorded)
AnswerT = TypeVar("AnswerT", bound=_Answer)


class FakeProviderServer(Generic[RequestT, AnswerT]):
    """The plumbing every fake provider server shares: the request log, canned answers,
    waiting on changes, and failing the test on a bug in the fake itself.

    Subclasses name themselves (`label`), their API root (`api`) and the paths not under it
    (`roots`), and add their own state lines to timeout messages with `_state_lines`.
    """

    label: ClassVar[str]
    api: ClassVar[str]
    roots: ClassVar[tuple[str, ...]]

    def __init__(self) -> None:
        self.requests: list[RequestT] = []
        self.server_errors: list[str] = []
        """Tracebacks of bugs in the fake; raised again on exit."""
        self._answers: list[AnswerT] = []
        self._changes = Changes()  # tests wait on these, never sleep
        self._runner: web.AppRunner | None = None

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
        if not await self._changes.wait_for(predicate, timeout):
            try:
                source = inspect.getsource(predicate).strip()
            except (OSError, TypeError):
                source = repr(predicate)
            raise TimeoutError(f"still false after {timeout}s: {source}\n{self._history()}")

    def requests_for(self, target: str) -> list[RequestT]:
        """The requests matching `target` (the syntax of `fail_next`), in order."""
        method, pattern = parse_target(target, self.api, self.roots)
        return [r for r in self.requests if target_matches(method, pattern, r.method, r.path)]

    def _take_answer(self, method: str, path: str) -> AnswerT | None:
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
