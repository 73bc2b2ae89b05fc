"""What the fake provider servers share: error envelopes, canned answers and their targets."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web


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
