"""The one error hierarchy of every provider client.

    ProviderError                       anything a provider client raises
    ├── ProviderUnavailableError        the provider is disabled or not configured
    ├── OutputTooLargeError             a download over the caller's size limit, abandoned
    ├── APIConnectionError              no response: connection refused, reset, DNS, ...
    │   └── APITimeoutError             no response in time
    ├── APIResponseValidationError      a response body that does not parse
    └── APIStatusError                  an HTTP error response (status_code, code, message, body)
        ├── AuthenticationError         401 missing_api_key, invalid_api_key
        ├── InsufficientCreditsError    402 insufficient_credits
        ├── PermissionDeniedError       403 insufficient_scope, forbidden, user_blocked
        ├── NotFoundError               404 not_found
        ├── PayloadTooLargeError        413 payload_too_large
        ├── UnsupportedMediaTypeError   415 unsupported_media_type
        ├── InputValidationError        422 validation_error (.field)
        ├── RateLimitError              429 rate_limit_exceeded (.retry_after)
        └── InternalServerError         5xx internal_error

`make_status_error` is the one place that maps an error response to its class.

`str(error)` is the provider's own message and never carries an API key. Whether that
message may be shown to an end user is `error.user_facing`: true only for problems with
the user's own input (validation, too large, unsupported media type); credentials,
credits, permissions, server and network trouble are the operator's to fix.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import ClassVar

import httpx
import pydantic

from providers.models import ErrorEnvelope, ValidationIssue

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "InputValidationError",
    "InsufficientCreditsError",
    "InternalServerError",
    "NotFoundError",
    "OutputTooLargeError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "ProviderError",
    "ProviderUnavailableError",
    "RateLimitError",
    "UnsupportedMediaTypeError",
    "make_status_error",
    "parse_retry_after",
]


class ProviderError(Exception):
    """Base of every error a provider client raises."""

    _user_facing: ClassVar[bool] = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def user_facing(self) -> bool:
        """True when the message explains a problem with the user's input and may be shown."""
        return self._user_facing

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class ProviderUnavailableError(ProviderError):
    """The provider is disabled or not configured, so no request was made."""


class OutputTooLargeError(ProviderError):
    """A download over the caller's size limit, stopped there (its bytes never held)."""

    def __init__(self, limit: int, size: int | None = None) -> None:
        shown = "" if size is None else f" ({size} bytes)"
        super().__init__(f"the output{shown} is over the limit of {limit} bytes")
        self.limit = limit
        self.size = size
        """The size the provider declared, when it did."""


class APIConnectionError(ProviderError):
    """The request got no response: the connection failed or broke."""

    def __init__(self, message: str = "Connection error.") -> None:
        super().__init__(message)


class APITimeoutError(APIConnectionError):
    """The request got no response in time."""

    def __init__(self, message: str = "Request timed out.") -> None:
        super().__init__(message)


class APIResponseValidationError(ProviderError):
    """The provider answered with a body that does not have the expected shape."""

    def __init__(self, message: str, *, status_code: int, body: object = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body


class APIStatusError(ProviderError):
    """The provider answered with an HTTP error status."""

    def __init__(
        self, status_code: int, code: str | None, message: str, body: object = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        """The envelope's machine-readable code, e.g. `validation_error`; None if absent."""
        self.body = body
        """The parsed JSON body, or the text of a body that is not JSON."""

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code}, code={self.code!r}, "
            f"message={self.message!r})"
        )


class AuthenticationError(APIStatusError):
    """401: the API key is missing or invalid."""


class InsufficientCreditsError(APIStatusError):
    """402: the provider account has too few credits for this generation."""


class PermissionDeniedError(APIStatusError):
    """403: the key lacks the scope, or the account is forbidden or blocked."""


class NotFoundError(APIStatusError):
    """404: no such generation, asset or route."""


class PayloadTooLargeError(APIStatusError):
    """413: the uploaded file is over the provider's size limit."""

    _user_facing = True


class UnsupportedMediaTypeError(APIStatusError):
    """415: the provider does not accept this kind of file."""

    _user_facing = True


class InputValidationError(APIStatusError):
    """422: the input was refused; `field` names the offending field when known."""

    _user_facing = True

    def __init__(
        self,
        status_code: int,
        code: str | None,
        message: str,
        body: object = None,
        *,
        field: str | None = None,
    ) -> None:
        super().__init__(status_code, code, message, body)
        self.field = field


class RateLimitError(APIStatusError):
    """429: over the key's rate limit; `retry_after` is the wait the server asked for."""

    def __init__(
        self,
        status_code: int,
        code: str | None,
        message: str,
        body: object = None,
        *,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(status_code, code, message, body)
        self.retry_after = retry_after


class InternalServerError(APIStatusError):
    """5xx: the provider failed; the same request may well succeed later."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    401: AuthenticationError,
    402: InsufficientCreditsError,
    403: PermissionDeniedError,
    404: NotFoundError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    422: InputValidationError,
    429: RateLimitError,
}

# Only consulted when the status itself is not one the document lists (e.g. a 400).
_BY_CODE: dict[str, type[APIStatusError]] = {
    "missing_api_key": AuthenticationError,
    "invalid_api_key": AuthenticationError,
    "insufficient_credits": InsufficientCreditsError,
    "insufficient_scope": PermissionDeniedError,
    "forbidden": PermissionDeniedError,
    "user_blocked": PermissionDeniedError,
    "not_found": NotFoundError,
    "payload_too_large": PayloadTooLargeError,
    "unsupported_media_type": UnsupportedMediaTypeError,
    "validation_error": InputValidationError,
    "rate_limit_exceeded": RateLimitError,
    "internal_error": InternalServerError,
}


def make_status_error(response: httpx.Response) -> APIStatusError:
    """The error for an HTTP error response, read from its envelope when it has one."""
    status = response.status_code
    body: object
    try:
        body = response.json()
    except ValueError:  # not JSON (an HTML error page from a proxy, say), or not UTF-8
        body = response.text
    envelope = _envelope(body)
    code, message, field = None, None, None
    if envelope is not None:
        if isinstance(envelope.error, str):
            message = envelope.error
        elif envelope.error is not None:
            error = envelope.error
            code, message, field = error.code, error.message, error.field
        if field is None and isinstance(envelope.detail, list):
            field = next((_field_of_loc(i.loc) for i in envelope.detail if i.loc), None)
            if message is None:
                message = "; ".join(_describe_issue(issue) for issue in envelope.detail) or None
        elif message is None and isinstance(envelope.detail, str):
            message = envelope.detail
    if not message:
        # A raw body (HTML, say) is no message for anyone; it stays available in `body`.
        message = f"HTTP {status} {response.reason_phrase}".rstrip()

    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = InternalServerError if status >= 500 else _BY_CODE.get(code or "", APIStatusError)
    if issubclass(cls, RateLimitError):
        return cls(status, code, message, body, retry_after=parse_retry_after(response.headers))
    if issubclass(cls, InputValidationError):
        return cls(status, code, message, body, field=field or _field_of_message(message))
    return cls(status, code, message, body)


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from `Retry-After` (seconds or an HTTP date) or `retry-after-ms`."""
    lowered = {key.lower(): value for key, value in headers.items()}
    if (millis := _non_negative(lowered.get("retry-after-ms"))) is not None:
        return millis / 1000
    value = lowered.get("retry-after")
    if value is None:
        return None
    if (seconds := _non_negative(value)) is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _non_negative(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return max(number, 0.0) if math.isfinite(number) else None


def _envelope(body: object) -> ErrorEnvelope | None:
    if not isinstance(body, dict):
        return None
    try:
        return ErrorEnvelope.model_validate(body)
    except pydantic.ValidationError:
        return None


def _field_of_loc(loc: list[str | int]) -> str | None:
    """FastAPI's `["body", "input", "face_asset"]` -> `face_asset`."""
    names = [part for part in loc if isinstance(part, str) and part not in ("body", "input")]
    return names[-1] if names else None


def _describe_issue(issue: ValidationIssue) -> str:
    msg = issue.msg or "invalid"
    name = _field_of_loc(issue.loc)
    return f"{name}: {msg}" if name else msg


# The document promises "the offending field" but not where; messages seen in the wild
# read "face_asset: Field required", "input.face_asset ..." or "field 'face_asset' ...".
_FIELD_PATTERNS = (
    re.compile(r"^\s*(?:input\.)?([A-Za-z_][\w-]*)\s*:"),
    re.compile(r"\binput\.([A-Za-z_]\w*)"),
    re.compile(r"\bfield\s+[`'\"](?:input\.)?([A-Za-z_]\w*)[`'\"]", re.IGNORECASE),
)
_NOT_FIELDS = frozenset({"error", "invalid", "validation_error", "http"})


def _field_of_message(message: str) -> str | None:
    for pattern in _FIELD_PATTERNS:
        match = pattern.search(message)
        if match and match.group(1).lower() not in _NOT_FIELDS:
            return match.group(1)
    return None
