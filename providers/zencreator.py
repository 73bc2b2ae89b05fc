"""The ZenCreator public API client (https://api.zencreator.pro/api/public/v1).

`ZenCreatorClient` implements `providers.base.GenerationProvider`: upload inputs, start a
generation, poll it, fetch its result and download the outputs; and it reads the catalog
(LoRA styles, templates, photoshoot categories) and the credit history. The response
shapes it assumes live in `providers.models`; its errors are those of `providers.errors`.

Requests go through `providers.http.ApiTransport`, retried as far as is safe:

* every GET, and `POST /generations` (it carries an `Idempotency-Key`, so a repeat
  returns the generation the first attempt may have started), are retried on 408, 429,
  5xx, timeouts and connection errors;
* `POST /assets` is retried only on 429, which means the upload was refused before being
  stored. After a 5xx or a timeout the asset may exist already and there is no key to
  deduplicate it, so the error goes to the caller instead of uploading twice;
* no other 4xx is retried: the same request would be refused again.

Each attempt takes a slot of the shared `RateBudget` (read for GETs, generate for
`POST /generations`, upload for `POST /assets`); among waiting reads, a finished
generation's result and its downloads go before status polls.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Final, Unpack

from pydantic import SecretStr

from providers.errors import PayloadTooLargeError, ProviderUnavailableError
from providers.http import (
    ApiClient,
    ApiTransport,
    TransportOptions,
    content_type,
    parse,
    refused_unprocessed,
    repeatable,
)
from providers.models import (
    MAX_UPLOAD_BYTES,
    Asset,
    Balance,
    Generation,
    GenerationResult,
    Listing,
    Lora,
    MediaKind,
    PhotoshootCategory,
    Template,
    ToolInfo,
    Transaction,
    net_charge,
)
from providers.ratelimit import Priority

if TYPE_CHECKING:
    from providers.base import GenerationProvider

DEFAULT_BASE_URL: Final = "https://api.zencreator.pro"
API_PREFIX: Final = "/api/public/v1"
CHARGE_LOOKBACK: Final = 100
"""Transactions `generation_charge` reads, newest first: enough for a generation that
finished a moment ago on a busy key."""


class ZenCreatorClient(ApiClient):
    """Async client of ZenCreator's public API; one per API key (or share its budget)."""

    name = "zencreator"

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        **options: Unpack[TransportOptions],
    ) -> None:
        if not api_key:
            raise ProviderUnavailableError("ZenCreator is not configured: the API key is empty")
        super().__init__(
            ApiTransport(base_url, API_PREFIX, SecretStr(f"Bearer {api_key}"), **options)
        )

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
        response = await self._transport.request(
            "POST",
            self._transport.url("assets"),
            bucket="upload",
            retry_on=refused_unprocessed,
            data={"media_type": kind.value},
            files={"file": (filename, data, content_type(data, kind, filename))},
        )
        return parse(Asset, response).asset_id

    async def start(self, tool: str, input: dict[str, Any], idempotency_key: str) -> Generation:
        """Start a generation; the same key never starts a second one (for 24 hours)."""
        response = await self._transport.request(
            "POST",
            self._transport.url("generations"),
            bucket="generate",
            retry_on=repeatable,
            json={"tool": tool, "input": input},
            headers={"Idempotency-Key": idempotency_key},
        )
        return parse(Generation, response)

    async def status(self, generation_id: str) -> Generation:
        url = self._transport.url("generations", generation_id)
        return parse(Generation, await self._transport.get(url, priority=Priority.POLL))

    async def result(self, generation_id: str) -> GenerationResult:
        url = self._transport.url("generations", generation_id, "result")
        return parse(GenerationResult, await self._transport.get(url, priority=Priority.FETCH))

    async def balance(self) -> float:
        response = await self._transport.get(self._transport.url("balance"))
        return parse(Balance, response).balance

    # --- Catalog and credit history

    async def loras(self, model: str | None = None) -> list[Lora]:
        """LoRA styles, for one model (e.g. `wan@2.2`) or all."""
        params = {} if model is None else {"model": model}
        response = await self._transport.get(self._transport.url("loras"), params=params)
        return parse(Listing[Lora], response).items

    async def templates(self) -> list[Template]:
        response = await self._transport.get(self._transport.url("templates"))
        return parse(Listing[Template], response).items

    async def tool(self, name: str) -> ToolInfo:
        """One tool with its input schema (NotFoundError for a tool the catalog lacks)."""
        response = await self._transport.get(self._transport.url("tools", name))
        return parse(ToolInfo, response)

    async def photoshoot_categories(self) -> list[PhotoshootCategory]:
        url = self._transport.url("photoshoot-categories")
        return parse(Listing[PhotoshootCategory], await self._transport.get(url)).items

    async def transactions(self, limit: int = 20, offset: int = 0) -> list[Transaction]:
        """The credit history, newest first: top-ups, spends and refunds."""
        params = {"limit": limit, "offset": offset}
        response = await self._transport.get(self._transport.url("transactions"), params=params)
        return parse(Listing[Transaction], response).items

    async def generation_charge(self, generation_id: str) -> float | None:
        """What a generation cost in the end (charged less refunded), as the credit history
        says; None when its charge is not among the latest transactions."""
        return net_charge(await self.transactions(limit=CHARGE_LOOKBACK), generation_id)


if TYPE_CHECKING:
    # Fails type checking if the client ever drifts from the protocol.
    _conforms: GenerationProvider = ZenCreatorClient("key")
