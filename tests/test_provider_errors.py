"""Provider errors: status/code mapping, Retry-After, offending fields, user_facing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from providers import errors
from providers.errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    InputValidationError,
    InsufficientCreditsError,
    InternalServerError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitError,
    UnsupportedMediaTypeError,
    make_status_error,
    parse_retry_after,
)


def envelope(code: str, message: str) -> dict[str, object]:
    return {"error": {"code": code, "message": message}}


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (401, "missing_api_key", AuthenticationError),
        (401, "invalid_api_key", AuthenticationError),
        (402, "insufficient_credits", InsufficientCreditsError),
        (403, "insufficient_scope", PermissionDeniedError),
        (403, "forbidden", PermissionDeniedError),
        (403, "user_blocked", PermissionDeniedError),
        (404, "not_found", NotFoundError),
        (413, "payload_too_large", PayloadTooLargeError),
        (415, "unsupported_media_type", UnsupportedMediaTypeError),
        (422, "validation_error", InputValidationError),
        (429, "rate_limit_exceeded", RateLimitError),
        (500, "internal_error", InternalServerError),
    ],
)
def test_every_documented_code_maps_to_its_class(
    status: int, code: str, cls: type[APIStatusError]
) -> None:
    body = envelope(code, f"the {code} message")
    err = make_status_error(httpx.Response(status, json=body))
    assert type(err) is cls
    assert isinstance(err, APIStatusError) and isinstance(err, ProviderError)
    assert (err.status_code, err.code, err.message, err.body) == (
        status,
        code,
        f"the {code} message",
        body,
    )
    assert str(err) == f"the {code} message"
    assert f"status_code={status}" in repr(err) and code in repr(err)


@pytest.mark.parametrize("status", [500, 502, 503, 504, 599])
def test_any_5xx_is_an_internal_server_error(status: int) -> None:
    assert type(make_status_error(httpx.Response(status))) is InternalServerError


def test_undocumented_status_falls_back_to_the_code_then_the_base_class() -> None:
    by_code = make_status_error(httpx.Response(400, json=envelope("validation_error", "x: bad")))
    assert type(by_code) is InputValidationError and by_code.field == "x"
    plain = make_status_error(httpx.Response(409, json=envelope("conflict", "busy")))
    assert type(plain) is APIStatusError
    assert (plain.status_code, plain.code, plain.message) == (409, "conflict", "busy")


def test_a_body_that_is_not_json_keeps_the_status_and_a_neutral_message() -> None:
    page = "<html><body>502 Bad Gateway</body></html>"
    err = make_status_error(httpx.Response(502, text=page))
    assert type(err) is InternalServerError
    assert err.code is None
    assert err.message == "HTTP 502 Bad Gateway"  # never the raw page
    assert err.body == page

    too_large = make_status_error(httpx.Response(413, text="<html>nginx</html>"))
    assert type(too_large) is PayloadTooLargeError
    assert too_large.message == "HTTP 413 Request Entity Too Large"


def test_json_bodies_outside_the_envelope_are_tolerated() -> None:
    detail = make_status_error(httpx.Response(404, json={"detail": "Not Found"}))
    assert type(detail) is NotFoundError and detail.message == "Not Found"
    bare = make_status_error(httpx.Response(403, json={"error": "user is blocked"}))
    assert type(bare) is PermissionDeniedError and bare.message == "user is blocked"
    odd = make_status_error(httpx.Response(401, json=["what"]))
    assert type(odd) is AuthenticationError and odd.message == "HTTP 401 Unauthorized"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (envelope("validation_error", "face_asset: field required"), "face_asset"),
        (envelope("validation_error", "input.audio_asset: too long"), "audio_asset"),
        (envelope("validation_error", "value of input.resolution is not allowed"), "resolution"),
        (envelope("validation_error", "field 'model' must be one of SDXL, GENERAL"), "model"),
        (
            {"error": {"code": "validation_error", "message": "bad", "field": "ref_asset"}},
            "ref_asset",
        ),
        (
            {"detail": [{"loc": ["body", "input", "face_asset"], "msg": "Field required"}]},
            "face_asset",
        ),
        (envelope("validation_error", "Field required"), None),
        (envelope("validation_error", "Invalid input"), None),
        (envelope("validation_error", "Error: something went wrong"), None),
    ],
)
def test_validation_error_names_the_offending_field(body: object, field: str | None) -> None:
    err = make_status_error(httpx.Response(422, json=body))
    assert isinstance(err, InputValidationError)
    assert err.field == field


def test_fastapi_validation_detail_becomes_the_message() -> None:
    body = {"detail": [{"loc": ["body", "input", "face_asset"], "msg": "Field required"}]}
    err = make_status_error(httpx.Response(422, json=body))
    assert err.message == "face_asset: Field required"


def test_rate_limit_error_reads_retry_after() -> None:
    response = httpx.Response(
        429, json=envelope("rate_limit_exceeded", "slow down"), headers={"Retry-After": "12"}
    )
    err = make_status_error(response)
    assert isinstance(err, RateLimitError) and err.retry_after == 12.0
    no_header = make_status_error(httpx.Response(429, json=envelope("rate_limit_exceeded", "x")))
    assert isinstance(no_header, RateLimitError) and no_header.retry_after is None


def http_date(delta: timedelta) -> str:
    return format_datetime(datetime.now(UTC) + delta, usegmt=True)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"Retry-After": "-3"}, 0.0),
        ({"retry-after-ms": "250", "Retry-After": "9"}, 0.25),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "nan"}, None),
        ({}, None),
        ({"Retry-After": http_date(timedelta(hours=-1))}, 0.0),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers) == expected


def test_parse_retry_after_http_date() -> None:
    seconds = parse_retry_after({"Retry-After": http_date(timedelta(seconds=30))})
    assert seconds is not None and 28 <= seconds <= 30


@pytest.mark.parametrize(
    ("err", "user_facing"),
    [
        (InputValidationError(422, "validation_error", "face_asset: no face"), True),
        (PayloadTooLargeError(413, "payload_too_large", "too big"), True),
        (UnsupportedMediaTypeError(415, "unsupported_media_type", "gif"), True),
        (AuthenticationError(401, "invalid_api_key", "bad key"), False),
        (InsufficientCreditsError(402, "insufficient_credits", "top up"), False),
        (PermissionDeniedError(403, "user_blocked", "blocked"), False),
        (NotFoundError(404, "not_found", "gone"), False),
        (RateLimitError(429, "rate_limit_exceeded", "slow", retry_after=1), False),
        (InternalServerError(500, "internal_error", "boom"), False),
        (APIStatusError(409, None, "conflict"), False),
        (APIConnectionError(), False),
        (APITimeoutError(), False),
        (APIResponseValidationError("odd body", status_code=200), False),
        (ProviderUnavailableError("not configured"), False),
        (ProviderError("anything"), False),
    ],
)
def test_user_facing_only_for_the_users_own_input(err: ProviderError, user_facing: bool) -> None:
    assert err.user_facing is user_facing


def test_hierarchy() -> None:
    assert issubclass(APITimeoutError, APIConnectionError)
    for cls in (APIConnectionError, APIResponseValidationError, APIStatusError):
        assert issubclass(cls, ProviderError)
    assert issubclass(ProviderUnavailableError, ProviderError)
    for cls in (
        AuthenticationError,
        InsufficientCreditsError,
        PermissionDeniedError,
        NotFoundError,
        PayloadTooLargeError,
        UnsupportedMediaTypeError,
        InputValidationError,
        RateLimitError,
        InternalServerError,
    ):
        assert issubclass(cls, APIStatusError)


def test_every_error_class_has_a_one_line_docstring_and_is_in_the_tree() -> None:
    tree = errors.__doc__ or ""
    classes = [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, ProviderError)
    ]
    assert len(classes) == 16
    for cls in classes:
        doc = (cls.__doc__ or "").strip()
        assert doc and "\n" not in doc, cls
        assert cls.__name__ in tree, cls


def test_defaults_of_the_connection_errors() -> None:
    assert str(APIConnectionError()) == "Connection error."
    assert str(APITimeoutError()) == "Request timed out."
