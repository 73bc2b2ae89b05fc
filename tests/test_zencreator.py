"""ZenCreatorClient against the fake ZenCreator server over real HTTP.

Retry delays go to an injected sleep that only records them: no test here waits for a
backoff. The client with a RateBudget uses windows of a tenth of a second and asserts
bounds that hold however the machine is loaded (the budget's own tests: test_ratelimit.py).
"""

from __future__ import annotations

import asyncio
import io
import socket
from collections.abc import AsyncIterator

import httpx
import pydantic
import pytest
from aiohttp import web
from PIL import Image

from providers.errors import (
    APIConnectionError,
    APIResponseValidationError,
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
)
from providers.http import MAX_RETRY_AFTER
from providers.models import (
    MAX_UPLOAD_BYTES,
    GenerationStatus,
    MediaKind,
    Transaction,
    net_charge,
)
from providers.ratelimit import RateBudget
from providers.zencreator import ZenCreatorClient
from tests.downloads import download_bytes
from tests.fakes.zencreator import DEFAULT_MP4, FakeZenCreator, default_png
from tests.fakes.zencreator_catalog import UNDRESS_LORA_ID, UNDRESS_TEMPLATE_ID
from tests.virtual_time import RecordingSleep

KEY = "zc_live_testkey_s3cr3t"
API = "/api/public/v1"


@pytest.fixture
async def fake() -> AsyncIterator[FakeZenCreator]:
    async with FakeZenCreator(api_key=KEY) as server:
        yield server


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
async def client(fake: FakeZenCreator, sleep: RecordingSleep) -> AsyncIterator[ZenCreatorClient]:
    async with ZenCreatorClient(KEY, fake.base_url, sleep=sleep) as zc:
        yield zc


def png(color: str = "teal") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), color).save(buffer, format="PNG")
    return buffer.getvalue()


async def faceswap_input(client: ZenCreatorClient) -> dict[str, str]:
    ref = await client.upload(png("red"), MediaKind.IMAGE, "target.png")
    face = await client.upload(png("blue"), MediaKind.IMAGE, "face.png")
    return {"ref_asset": ref, "face_asset": face}


def assert_no_secret(err: BaseException) -> None:
    for text in (str(err), repr(err), str(err.__cause__), repr(err.__cause__)):
        assert "s3cr3t" not in text


# --- Auth


async def test_requests_carry_the_bearer_key(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    assert await client.balance() == 1000
    assert fake.requests[-1].path == f"{API}/balance"
    assert fake.requests[-1].headers["Authorization"] == f"Bearer {KEY}"


async def test_wrong_key_is_an_authentication_error_not_retried(
    fake: FakeZenCreator, sleep: RecordingSleep
) -> None:
    async with ZenCreatorClient("zc_live_wrong_s3cr3t", fake.base_url, sleep=sleep) as zc:
        with pytest.raises(AuthenticationError) as caught:
            await zc.balance()
    assert (caught.value.status_code, caught.value.code) == (401, "invalid_api_key")
    assert not caught.value.user_facing
    assert_no_secret(caught.value)
    assert len(fake.requests) == 1 and sleep.delays == []


async def test_missing_key_is_refused_with_missing_api_key(fake: FakeZenCreator) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{fake.base_url}{API}/balance")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_api_key"


def test_empty_key_means_unconfigured() -> None:
    with pytest.raises(ProviderUnavailableError):
        ZenCreatorClient("")


async def test_key_is_not_in_the_repr(client: ZenCreatorClient) -> None:
    assert "s3cr3t" not in repr(client) and "s3cr3t" not in str(vars(client))


async def test_missing_scope_is_permission_denied(sleep: RecordingSleep) -> None:
    async with (
        FakeZenCreator(api_key=KEY, scopes=("read",)) as fake,
        ZenCreatorClient(KEY, fake.base_url, sleep=sleep) as zc,
    ):
        assert await zc.balance() == 1000
        with pytest.raises(PermissionDeniedError) as caught:
            await zc.upload(png(), MediaKind.IMAGE, "face.png")
    assert caught.value.code == "insufficient_scope" and sleep.delays == []


# --- Upload


async def test_upload_sends_media_type_and_file(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    image = png()
    asset_id = await client.upload(image, MediaKind.IMAGE, "face.png")
    voice_id = await client.upload(b"OggS" + bytes(64), MediaKind.AUDIO, "voice.ogg")
    unnamed_id = await client.upload(image, MediaKind.IMAGE, "photo")  # typed by its bytes

    face, voice, unnamed = fake.uploads
    assert (face.asset_id, face.media_type, face.filename, face.content_type, face.data) == (
        asset_id,
        "image",
        "face.png",
        "image/png",
        image,
    )
    assert (voice.asset_id, voice.media_type, voice.content_type) == (
        voice_id,
        "audio",
        "audio/ogg",
    )
    assert voice.duration == 5.0  # unmeasurable junk counts as the fake's default
    assert (unnamed.asset_id, unnamed.content_type) == (unnamed_id, "image/png")
    assert fake.requests[0].headers["Authorization"] == f"Bearer {KEY}"
    assert fake.requests[0].headers["Content-Type"].startswith("multipart/form-data")


async def test_upload_over_50_mb_is_refused_before_sending(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    with pytest.raises(PayloadTooLargeError) as caught:
        await client.upload(bytes(MAX_UPLOAD_BYTES + 1), MediaKind.VIDEO, "clip.mp4")
    assert caught.value.user_facing and caught.value.status_code == 413
    assert "50 MB" in str(caught.value)
    assert fake.requests == []


async def test_server_side_size_limit_is_payload_too_large(sleep: RecordingSleep) -> None:
    async with (
        FakeZenCreator(api_key=KEY, max_upload_bytes=1024) as fake,
        ZenCreatorClient(KEY, fake.base_url, sleep=sleep) as zc,
    ):
        with pytest.raises(PayloadTooLargeError) as caught:
            await zc.upload(bytes(2048), MediaKind.IMAGE, "big.png")
        assert caught.value.code == "payload_too_large"
        assert fake.uploads == [] and len(fake.requests) == 1


async def test_unsupported_file_type_is_unsupported_media_type(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    with pytest.raises(UnsupportedMediaTypeError) as caught:
        await client.upload(b"GIF89a" + bytes(16), MediaKind.IMAGE, "funny.gif")
    assert caught.value.code == "unsupported_media_type" and caught.value.user_facing
    assert "image/gif" in str(caught.value)
    assert fake.uploads == []


async def test_upload_is_retried_on_429_only(
    fake: FakeZenCreator, client: ZenCreatorClient, sleep: RecordingSleep
) -> None:
    fake.fail_next("POST /assets", 429, retry_after=2)
    await client.upload(png(), MediaKind.IMAGE, "face.png")
    assert sleep.delays == [2.0] and len(fake.uploads) == 1

    # The server stores the file, then fails: a blind retry would store it twice.
    fake.fail_next("POST /assets", 500, process=True)
    with pytest.raises(InternalServerError):
        await client.upload(png(), MediaKind.IMAGE, "face.png")
    assert sleep.delays == [2.0]
    assert len(fake.requests_for("POST /assets")) == 3
    assert len(fake.uploads) == 2


# --- Start, idempotency and retries


async def test_start_sends_the_idempotency_key_and_a_replay_charges_once(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    tool_input = await faceswap_input(client) | {"model": "FULL_HEAD", "resolution": "2K"}
    first = await client.start("faceswap", tool_input, "job-1")
    assert first.status is GenerationStatus.QUEUED
    record = fake.generations[first.id]
    assert (record.tool, record.input, record.idempotency_key, record.charge) == (
        "faceswap",
        tool_input,
        "job-1",
        1,
    )
    assert fake.balance == 999

    again = await client.start("faceswap", tool_input, "job-1")
    assert again.id == first.id
    assert fake.balance == 999 and len(fake.generations) == 1
    assert [s.replayed for s in fake.starts] == [False, True]
    assert [r.headers["Idempotency-Key"] for r in fake.requests_for("POST /generations")] == [
        "job-1",
        "job-1",
    ]


async def test_start_after_a_lost_response_is_retried_with_the_same_key(
    fake: FakeZenCreator, client: ZenCreatorClient, sleep: RecordingSleep
) -> None:
    tool_input = await faceswap_input(client)
    # The server starts the generation and charges, then answers 500.
    fake.fail_next("POST /generations", 500, process=True)
    generation = await client.start("faceswap", tool_input, "job-2")

    posts = fake.requests_for("POST /generations")
    assert [r.status for r in posts] == [500, 200]
    assert {r.headers["Idempotency-Key"] for r in posts} == {"job-2"}
    assert list(fake.generations) == [generation.id]
    assert fake.balance == 999
    assert len(sleep.delays) == 1 and 0.375 <= sleep.delays[0] <= 0.5


async def test_server_errors_back_off_exponentially_then_give_up(
    fake: FakeZenCreator, sleep: RecordingSleep
) -> None:
    fake.fail_next("GET /balance", 503, times=5)
    async with ZenCreatorClient(KEY, fake.base_url, max_retries=3, sleep=sleep) as zc:
        with pytest.raises(InternalServerError) as caught:
            await zc.balance()
    assert caught.value.status_code == 503
    assert len(fake.requests) == 4
    first, second, third = sleep.delays
    assert 0.375 <= first <= 0.5 and 0.75 <= second <= 1.0 and 1.5 <= third <= 2.0


async def test_429_waits_for_retry_after(
    fake: FakeZenCreator, client: ZenCreatorClient, sleep: RecordingSleep
) -> None:
    generation_id = (await client.start("faceswap", await faceswap_input(client), "job-3")).id
    fake.fail_next("GET /generations/*", 429, retry_after=7)
    assert (await client.status(generation_id)).id == generation_id
    assert sleep.delays == [7.0]

    fake.fail_next("GET /generations/*", 429, retry_after=3600)
    await client.status(generation_id)
    assert sleep.delays == [7.0, MAX_RETRY_AFTER]


async def test_429_without_retry_after_backs_off(
    fake: FakeZenCreator, client: ZenCreatorClient, sleep: RecordingSleep
) -> None:
    fake.fail_next("GET /balance", 429)
    assert await client.balance() == 1000
    assert len(sleep.delays) == 1 and 0.375 <= sleep.delays[0] <= 0.5


async def test_validation_error_is_not_retried_and_names_the_field(
    fake: FakeZenCreator, client: ZenCreatorClient, sleep: RecordingSleep
) -> None:
    ref = await client.upload(png(), MediaKind.IMAGE, "target.png")
    with pytest.raises(InputValidationError) as caught:
        await client.start("faceswap", {"ref_asset": ref}, "job-4")
    err = caught.value
    assert (err.status_code, err.code, err.field) == (422, "validation_error", "face_asset")
    assert err.user_facing and str(err).startswith("face_asset")
    assert len(fake.requests_for("POST /generations")) == 1 and sleep.delays == []
    assert fake.generations == {} and fake.balance == 1000

    with pytest.raises(InputValidationError) as bad_model:
        await client.start("faceswap", {"ref_asset": ref, "face_asset": ref, "model": "XL"}, "j")
    assert bad_model.value.field == "model"


async def test_lipsync_is_charged_per_started_second_and_refuses_long_audio(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    image = await client.upload(png(), MediaKind.IMAGE, "portrait.png")
    audio = await client.upload(b"OggS" + bytes(64), MediaKind.AUDIO, "voice.ogg")
    fake.set_audio_duration(audio, 5.2)
    generation = await client.start(
        "lipsync", {"image_asset": image, "audio_asset": audio}, "job-5"
    )
    assert fake.generations[generation.id].charge == 18  # 6 started seconds x 3
    assert fake.balance == 982

    fake.audio_duration = 40
    long_audio = await client.upload(b"OggS" + bytes(64), MediaKind.AUDIO, "long.ogg")
    with pytest.raises(InputValidationError) as caught:
        await client.start("lipsync", {"image_asset": image, "audio_asset": long_audio}, "j6")
    assert caught.value.field == "audio_asset" and fake.balance == 982


async def test_insufficient_credits_is_not_retried(
    fake: FakeZenCreator, client: ZenCreatorClient, sleep: RecordingSleep
) -> None:
    tool_input = await faceswap_input(client)
    fake.balance = 0
    with pytest.raises(InsufficientCreditsError) as caught:
        await client.start("faceswap", tool_input, "job-7")
    assert caught.value.code == "insufficient_credits" and not caught.value.user_facing
    assert sleep.delays == [] and fake.generations == {}


async def test_reusing_a_key_for_another_request_is_refused(
    client: ZenCreatorClient,
) -> None:
    tool_input = await faceswap_input(client)
    await client.start("faceswap", tool_input, "job-8")
    with pytest.raises(InputValidationError) as caught:
        await client.start("faceswap", tool_input | {"resolution": "2K"}, "job-8")
    assert caught.value.field == "Idempotency-Key"


# --- Status, result, download


async def test_status_result_and_download_round_trip(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    fake.plan("faceswap", polls_until_done=2)
    generation = await client.start("faceswap", await faceswap_input(client), "job-9")
    statuses = [(await client.status(generation.id)).status for _ in range(3)]
    assert statuses == ["processing", "processing", "succeeded"]

    result = await client.result(generation.id)
    assert result.status is GenerationStatus.SUCCEEDED and len(result.outputs) == 1
    output = result.outputs[0]
    assert output.fetch_url == output.download_url
    assert output.download_url and output.download_url.startswith(fake.base_url)

    data = await download_bytes(client, output.download_url)
    assert data == default_png()
    assert Image.open(io.BytesIO(data)).format == "PNG"
    assert fake.requests[-1].headers["Authorization"] == f"Bearer {KEY}"


async def test_video_tool_outputs_and_planned_bytes(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    image = await client.upload(png(), MediaKind.IMAGE, "portrait.png")
    audio = await client.upload(b"OggS" + bytes(64), MediaKind.AUDIO, "voice.ogg")
    lipsync = {"image_asset": image, "audio_asset": audio}
    first = await client.start("lipsync", lipsync, "job-10")
    fake.plan("lipsync", status="partial", error="one clip failed", outputs=[b"a", b"b"])
    second = await client.start("lipsync", lipsync, "job-11")
    for generation_id in (first.id, second.id):
        while not (await client.status(generation_id)).status.is_terminal:
            pass

    default = await client.result(first.id)
    assert await download_bytes(client, default.outputs[0].fetch_url or "") == DEFAULT_MP4
    partial = await client.result(second.id)
    assert (partial.status, partial.error) == (GenerationStatus.PARTIAL, "one clip failed")
    assert [await download_bytes(client, o.fetch_url or "") for o in partial.outputs] == [
        b"a",
        b"b",
    ]


async def test_a_failed_generation_is_refunded(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    fake.plan(status="failed", error="no face found", polls_until_done=0)
    generation = await client.start("faceswap", await faceswap_input(client), "job-12")
    assert fake.balance == 999
    status = await client.status(generation.id)
    assert (status.status, status.error) == (GenerationStatus.FAILED, "no face found")
    assert fake.balance == 1000 and fake.generations[generation.id].refunded == 1
    assert (await client.result(generation.id)).outputs == []


async def test_the_test_finishes_a_generation_by_hand(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    fake.plan("faceswap", polls_until_done=None)
    task = asyncio.create_task(client.start("faceswap", await faceswap_input(client), "job-13"))
    record = await fake.wait_for_generation()
    generation = await task
    assert record.id == generation.id
    for _ in range(3):
        assert (await client.status(generation.id)).status is GenerationStatus.PROCESSING
    fake.finish(generation.id, "succeeded", outputs=[png("white")])
    assert (await client.status(generation.id)).status is GenerationStatus.SUCCEEDED
    assert len((await client.result(generation.id)).outputs) == 1


async def test_unknown_generation_is_not_found(
    client: ZenCreatorClient, sleep: RecordingSleep
) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.status("gen_missing")
    assert caught.value.code == "not_found" and sleep.delays == []
    with pytest.raises(NotFoundError):
        await client.result("gen_missing")


@pytest.fixture
async def foreign_host() -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    """Another origin (a CDN, say) serving /cdn/out.png and recording request headers."""
    seen: list[dict[str, str]] = []

    async def serve(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        return web.Response(body=b"cdn bytes", content_type="image/png")

    app = web.Application()
    app.router.add_get("/cdn/out.png", serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}", seen
    await runner.cleanup()


async def test_the_key_never_goes_to_another_host(
    fake: FakeZenCreator,
    client: ZenCreatorClient,
    foreign_host: tuple[str, list[dict[str, str]]],
) -> None:
    root, seen = foreign_host
    assert await download_bytes(client, f"{root}/cdn/out.png?signature=abc") == b"cdn bytes"
    # The API's own download link redirecting to the CDN: httpx drops the header.
    fake.respond_next(
        "GET /downloads/out_1", 302, headers={"Location": f"{root}/cdn/out.png"}, text=""
    )
    assert await download_bytes(client, f"{fake.base_url}{API}/downloads/out_1") == b"cdn bytes"
    assert len(seen) == 2
    assert all("Authorization" not in headers for headers in seen)
    assert all(KEY not in str(headers) for headers in seen)
    assert fake.requests[-1].headers["Authorization"] == f"Bearer {KEY}"


async def test_a_relative_output_url_is_fetched_from_the_api(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    generation = await client.start("faceswap", await faceswap_input(client), "job-14")
    fake.finish(generation.id, outputs=[b"relative"])
    output_id = fake.generations[generation.id].outputs[0].id
    assert await download_bytes(client, f"{API}/downloads/{output_id}") == b"relative"
    assert fake.requests[-1].headers["Authorization"] == f"Bearer {KEY}"


# --- Transport errors and bodies that do not parse


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_connection_errors_are_retried_then_raised_without_the_key(
    sleep: RecordingSleep,
) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    async with ZenCreatorClient(KEY, url, max_retries=2, sleep=sleep) as zc:
        with pytest.raises(APIConnectionError) as caught:
            await zc.balance()
    assert type(caught.value) is APIConnectionError
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert_no_secret(caught.value)
    assert len(sleep.delays) == 2


async def test_timeouts_become_api_timeout_errors(sleep: RecordingSleep) -> None:
    calls: list[httpx.Request] = []

    def time_out(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ReadTimeout("timed out", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(time_out)) as http:
        zc = ZenCreatorClient(KEY, "https://api.example", http_client=http, sleep=sleep)
        with pytest.raises(APITimeoutError) as caught:
            await zc.status("gen_1")
        assert isinstance(caught.value, APIConnectionError)
        assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
        assert_no_secret(caught.value)
        assert len(calls) == 4 and len(sleep.delays) == 3
        # A timed-out upload may have been stored: it is not repeated.
        with pytest.raises(APITimeoutError):
            await zc.upload(png(), MediaKind.IMAGE, "face.png")
        assert len(calls) == 5

        await zc.aclose()
        assert not http.is_closed  # handed in, so its owner closes it


async def test_unexpected_bodies_are_response_validation_errors(
    fake: FakeZenCreator, client: ZenCreatorClient, sleep: RecordingSleep
) -> None:
    fake.respond_next("GET /balance", json={"credits": 5})
    with pytest.raises(APIResponseValidationError) as caught:
        await client.balance()
    assert isinstance(caught.value.__cause__, pydantic.ValidationError)
    assert not isinstance(caught.value, pydantic.ValidationError)
    assert caught.value.body == {"credits": 5} and "balance" in str(caught.value)

    fake.respond_next("GET /generations/*", text="<html>maintenance</html>")
    with pytest.raises(APIResponseValidationError) as not_json:
        await client.status("gen_1")
    assert not_json.value.status_code == 200 and "not JSON" in str(not_json.value)
    assert sleep.delays == []


async def test_a_non_json_error_page_keeps_its_status(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    fake.respond_next("GET /balance", 502, text="<html>bad gateway</html>", times=10)
    with pytest.raises(InternalServerError) as caught:
        await client.balance()
    assert caught.value.status_code == 502 and caught.value.body == "<html>bad gateway</html>"


# --- Rate limits


async def test_the_fake_enforces_its_windows(fake: FakeZenCreator, sleep: RecordingSleep) -> None:
    fake.set_rate_limits({"read": 2}, window=60)
    async with ZenCreatorClient(KEY, fake.base_url, max_retries=0, sleep=sleep) as zc:
        await zc.balance()
        assert fake.requests[-1].status == 200
        await zc.balance()
        with pytest.raises(RateLimitError) as caught:
            await zc.balance()
    assert caught.value.code == "rate_limit_exceeded"
    assert caught.value.retry_after is not None and 1 <= caught.value.retry_after <= 60


async def test_remaining_budget_is_announced(fake: FakeZenCreator) -> None:
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {KEY}"}) as http:
        first = await http.get(f"{fake.base_url}{API}/balance")
        second = await http.get(f"{fake.base_url}{API}/balance")
    assert first.headers["X-RateLimit-Remaining"] == "59"
    assert second.headers["X-RateLimit-Remaining"] == "58"


async def test_a_budget_makes_a_burst_wait_instead_of_collecting_429s(
    fake: FakeZenCreator, sleep: RecordingSleep
) -> None:
    # The server allows 2 starts per 0.1 s; the client paces itself to 2 per 0.3 s, a
    # margin far above any localhost latency.
    fake.set_rate_limits({"generate": 2}, window=0.1)
    waits: list[float] = []

    async def budget_sleep(delay: float) -> None:
        waits.append(delay)
        await asyncio.sleep(delay)

    budget = RateBudget({"generate": 2}, window=0.3, sleep=budget_sleep)
    async with ZenCreatorClient(KEY, fake.base_url, budget=budget, sleep=sleep) as zc:
        inputs = {"ref_asset": fake.add_asset(), "face_asset": fake.add_asset()}
        generations = await asyncio.gather(
            *(zc.start("faceswap", inputs, f"burst-{n}") for n in range(4))
        )
    assert len({g.id for g in generations}) == 4
    assert [r.status for r in fake.requests_for("POST /generations")] == [201] * 4
    assert sleep.delays == []  # never retried: no 429 came back
    assert waits and all(0 < wait <= 0.31 for wait in waits)


def test_errors_are_provider_errors() -> None:
    assert issubclass(RateLimitError, ProviderError)


# --- Catalog and credit history


async def test_catalog_lists_come_back_as_models(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    loras = await client.loras("wan@2.2")
    assert [lora.id for lora in loras] == [
        "lora_blink_hair_flip",
        "lora_blink_wave",
        UNDRESS_LORA_ID,
    ]
    assert loras[0].name == "Blink: hair flip" and loras[0].model == "wan@2.2"
    assert "undresses" in loras[2].description
    assert fake.requests[-1].query == {"model": "wan@2.2"}
    assert len(await client.loras()) == 4 and fake.requests[-1].query == {}

    templates = await client.templates()
    undress = next(t for t in templates if t.id == UNDRESS_TEMPLATE_ID)
    assert (undress.name, undress.tool) == ("Undress", "image_editor")
    assert undress.input["lora_id"] == UNDRESS_TEMPLATE_ID

    categories = await client.photoshoot_categories()
    assert [(c.id, c.name) for c in categories][0] == ("cat_studio", "Studio portraits")

    paths = [r.path for r in fake.requests]
    assert paths == [
        f"{API}/loras",
        f"{API}/loras",
        f"{API}/templates",
        f"{API}/photoshoot-categories",
    ]
    assert all(r.headers["Authorization"] == f"Bearer {KEY}" for r in fake.requests)


async def test_a_tool_lists_the_named_styles_of_its_input(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    by_prompt = await client.tool("by_prompt")
    assert by_prompt.name == "by_prompt"
    assert by_prompt.listed_names("loras") == ["athletic", "curvy", "petite", "slim"]
    assert by_prompt.listed_names("positive_prompt") == []
    assert by_prompt.listed_names("no_such_field") == []
    assert fake.requests[-1].path == f"{API}/tools/by_prompt"
    with pytest.raises(NotFoundError):
        await client.tool("no_such_tool")

    schema = {"properties": {"loras": {"propertyNames": {"enum": ["noir", 7]}}}}
    fake.respond_next("GET /tools/by_ref", json={"name": "by_ref", "input_schema": schema})
    assert (await client.tool("by_ref")).listed_names("loras") == ["noir", "7"]


async def test_catalog_shapes_are_read_leniently(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    fake.respond_next("GET /loras", json=[{"id": 7, "name": "Seven", "extra": {"x": 1}}])
    (lora,) = await client.loras("wan@2.2")
    assert (lora.id, lora.name, lora.description, lora.model) == ("7", "Seven", "", None)

    fake.respond_next("GET /templates", json={"data": [{"id": "t", "description": None}]})
    (template,) = await client.templates()
    assert (template.id, template.name, template.tool, template.input) == ("t", "", None, {})

    fake.respond_next(
        "GET /photoshoot-categories",
        json={"categories": [{"id": "c", "name": "C"}], "total": 1},
    )
    assert [c.id for c in await client.photoshoot_categories()] == ["c"]

    fake.respond_next("GET /transactions", json={"results": []})
    assert await client.transactions() == []


async def test_catalog_bodies_that_do_not_parse_are_response_errors(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    fake.respond_next("GET /loras", json={"items": "none"})
    with pytest.raises(APIResponseValidationError):
        await client.loras()
    fake.respond_next("GET /templates", json=[{"name": "no id"}])
    with pytest.raises(APIResponseValidationError) as caught:
        await client.templates()
    assert "items.0.id" in str(caught.value)


async def test_catalog_errors_and_retries(
    fake: FakeZenCreator, client: ZenCreatorClient, sleep: RecordingSleep
) -> None:
    fake.fail_next("GET /photoshoot-categories", 503)
    assert len(await client.photoshoot_categories()) == 3
    assert len(sleep.delays) == 1

    async with ZenCreatorClient("zc_live_wrong_s3cr3t", fake.base_url, sleep=sleep) as wrong:
        with pytest.raises(AuthenticationError):
            await wrong.templates()
    with pytest.raises(InputValidationError) as caught:
        await client.transactions(limit=1000)
    assert caught.value.field == "limit"


async def test_catalog_reads_take_the_read_budget(fake: FakeZenCreator) -> None:
    waiting = asyncio.Event()

    async def hold(delay: float) -> None:
        waiting.set()
        await asyncio.Event().wait()  # the third read waits for a slot: never grant it

    budget = RateBudget({"read": 2, "generate": 10, "upload": 10}, window=60, sleep=hold)
    async with ZenCreatorClient(KEY, fake.base_url, budget=budget) as zc:
        await zc.loras()
        await zc.transactions()
        third = asyncio.create_task(zc.templates())
        await asyncio.wait_for(waiting.wait(), timeout=5)
        third.cancel()
        with pytest.raises(asyncio.CancelledError):
            await third
    assert [r.bucket for r in fake.requests] == ["read", "read"]


async def test_transactions_and_the_real_charge_of_a_generation(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    image = await client.upload(png(), MediaKind.IMAGE, "portrait.png")
    reel = "https://www.instagram.com/reel/abc/"
    fake.set_link_duration(reel, 7.5)  # 8 started seconds of dreamactor_m2
    motion = {"image_asset": image, "instagram_url": reel, "mode": "dreamactor_m2"}
    kept = await client.start("video2video", motion, "job-20")
    fake.plan("video2video", status="failed", polls_until_done=0)
    failed = await client.start("video2video", motion, "job-21")
    await client.status(failed.id)

    history = await client.transactions(limit=10)
    assert [(t.type, t.amount, t.generation_id) for t in history] == [
        ("refund", 8, failed.id),
        ("spend", -8, failed.id),
        ("spend", -8, kept.id),
        ("topup", 1000, None),
    ]
    assert history[0].is_refund and not history[1].is_refund
    assert fake.requests[-1].query == {"limit": "10", "offset": "0"}
    assert [t.type for t in await client.transactions(limit=1, offset=3)] == ["topup"]

    assert await client.generation_charge(kept.id) == 8
    assert await client.generation_charge(failed.id) == 0
    assert await client.generation_charge("gen_unknown") is None
    assert fake.requests[-1].query == {"limit": "100", "offset": "0"}


def test_net_charge_does_not_rely_on_the_sign_of_amounts() -> None:
    unsigned = [
        Transaction(id="1", type="spend", amount=10, generation_id="g"),
        Transaction(id="2", type="refund", amount=4, generation_id="g"),
        Transaction(id="3", type="spend", amount=5, generation_id="other"),
    ]
    signed = [t.model_copy(update={"amount": -t.amount}) for t in unsigned]
    assert net_charge(unsigned, "g") == net_charge(signed, "g") == 6
    assert net_charge(unsigned[1:2], "g") is None  # a refund alone says nothing of the charge
