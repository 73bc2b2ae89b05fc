"""The provider's lists (LoRA styles, templates, photoshoot categories): the client against the
fake ZenCreator, the mock's, and the studio's cache and content filter."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.catalog.model import Source, SourceItem
from bot.studio import ProviderLists, offers_undressing, styles_scope
from providers.errors import InternalServerError
from providers.mock import MockProvider
from providers.models import CatalogItem
from providers.zencreator import ZenCreatorClient
from tests.fakes.zencreator import FakeZenCreator

KEY = "zc_live_testkey_s3cr3t"
WATERCOLOR = SourceItem("tpl_watercolor", "Watercolor portrait")
"""The one template for Flux Klein's presets that does not offer undressing."""


async def no_wait(delay: float) -> None:
    """Retries go on at once: only their number matters here."""


@pytest.fixture
async def fake() -> AsyncIterator[FakeZenCreator]:
    async with FakeZenCreator(api_key=KEY) as server:
        yield server


@pytest.fixture
async def client(fake: FakeZenCreator) -> AsyncIterator[ZenCreatorClient]:
    async with ZenCreatorClient(KEY, fake.base_url, sleep=no_wait) as zencreator:
        yield zencreator


async def test_the_mock_lists_no_undressing() -> None:
    mock = MockProvider()
    for items in (
        await mock.loras(),
        await mock.templates(),
        await mock.photoshoot_categories(),
    ):
        assert items and not any(offers_undressing(item) for item in items)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_lists_are_cached_filtered_and_fetched_again_when_old(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    clock = Clock()
    lists = ProviderLists(client, ttl=600, clock=clock)
    expected = [
        SourceItem("cat_studio", "Studio portraits"),
        SourceItem("cat_street", "Street style"),
        SourceItem("cat_beach", "Beach"),
    ]
    assert await lists.items(Source.PHOTOSHOOT_CATEGORIES) == expected
    fake.categories.append({"id": "cat-gym", "name": "Gym"})
    clock.now = 599
    assert await lists.items(Source.PHOTOSHOOT_CATEGORIES) == expected
    clock.now = 601
    assert (await lists.items(Source.PHOTOSHOOT_CATEGORIES))[-1] == SourceItem("cat-gym", "Gym")
    assert await lists.items(Source.LORAS, "wan@2.2") == [
        SourceItem("lora_blink_hair_flip", "Blink: hair flip"),
        SourceItem("lora_blink_wave", "Blink: wave hello"),
    ]
    assert await lists.items(Source.TEMPLATES, "image_editor") == [WATERCOLOR]


async def test_named_styles_are_the_tools_own_and_never_undress(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    lists = ProviderLists(client)
    assert await lists.items(Source.STYLES, styles_scope("by_prompt", "loras")) == [
        SourceItem("athletic", "Athletic"),
        SourceItem("curvy", "Curvy"),
        SourceItem("petite", "Petite"),
        SourceItem("slim", "Slim"),
    ]
    styles = {"film_noir": {"type": "number"}, "topless": {"type": "number"}}
    schema = {"properties": {"loras": {"type": "object", "properties": styles}}}
    fake.respond_next("GET /tools/by_ref", json={"name": "by_ref", "input_schema": schema})
    assert await lists.items(Source.STYLES, styles_scope("by_ref", "loras")) == [
        SourceItem("film_noir", "Film noir")
    ]
    assert await lists.items(Source.STYLES, styles_scope("no_such_tool", "loras")) == []


async def test_a_list_that_cannot_be_fetched_is_offered_empty_for_a_while(
    fake: FakeZenCreator, client: ZenCreatorClient
) -> None:
    clock = Clock()
    lists = ProviderLists(client, ttl=600, clock=clock)
    fake.fail_next("GET templates", 500, times=4)
    assert await lists.items(Source.TEMPLATES, "image_editor") == []
    clock.now = 61
    assert await lists.items(Source.TEMPLATES, "image_editor") == [WATERCOLOR]
    fake.fail_next("GET templates", 500, times=4)
    with pytest.raises(InternalServerError):
        await client.templates()


@pytest.mark.parametrize(
    ("name", "description", "undressing"),
    [
        ("Undress", "", True),
        ("Beach", "Undressing on the beach", True),
        ("Boudoir", "Nude poses", True),
        ("Strip", "", True),
        ("Clothes off", "", True),
        ("Remove clothing", "", True),
        ("Noir", "Black and white film noir", False),
        ("Film grain", "35 mm film look", False),
        ("Office", "A day at work", False),
    ],
)
def test_entries_that_offer_undressing_are_recognised(
    name: str, description: str, undressing: bool
) -> None:
    item = CatalogItem(id="x", name=name, description=description)
    assert offers_undressing(item) is undressing
