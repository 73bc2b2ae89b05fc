"""The actors repository: names, limits, ownership, cascades and training updates."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.actors import (
    MAX_ACTORS,
    MAX_NAME_LENGTH,
    MAX_PHOTOS,
    Actor,
    ActorLimitReached,
    ActorNameTaken,
    ActorNotFound,
    ActorPhoto,
    ActorsRepository,
    ActorVoice,
    InvalidActorName,
    PhotoLimitReached,
    TrainingKind,
    TrainingStatus,
    clean_name,
)
from storage.db import Database
from storage.users import UsersRepository

ANN, BOB = 1, 2


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "castbot.sqlite3")
    users = UsersRepository(database)
    await users.ensure(ANN, "Ann", None, welcome_credits=0)
    await users.ensure(BOB, "Bob", None, welcome_credits=0)
    yield database
    await database.close()


@pytest.fixture
def actors(db: Database) -> ActorsRepository:
    return ActorsRepository(db)


def photo(n: int) -> ActorPhoto:
    return ActorPhoto(file_id=f"file-{n}", file_unique_id=f"unique-{n}")


def photos(first: int, count: int) -> list[ActorPhoto]:
    return [photo(n) for n in range(first, first + count)]


def voice(n: int) -> ActorVoice:
    return ActorVoice(
        file_id=f"voice-{n}",
        file_unique_id=f"voice-unique-{n}",
        seconds=12.5,
        filename=f"sample-{n}.ogg",
        mime_type="audio/ogg",
    )


async def rows(db: Database, table: str, actor_id: int) -> int:
    row = await db.fetch_one(f"SELECT COUNT(*) FROM {table} WHERE actor_id = ?", actor_id)
    assert row is not None
    return int(row[0])


# Names


def test_clean_name_strips_and_refuses_unusable_names() -> None:
    assert clean_name("  Anna \n") == "Anna"
    assert clean_name("x" * MAX_NAME_LENGTH) == "x" * MAX_NAME_LENGTH
    assert clean_name(f"  {'x' * MAX_NAME_LENGTH}  ") == "x" * MAX_NAME_LENGTH
    cases = {
        "": "empty",
        "   \n\t": "empty",
        "x" * (MAX_NAME_LENGTH + 1): "too_long",
        "Anna\nKarenina": "line_break",
        "Anna\r\nK": "line_break",
        "Anna\u2028K": "line_break",
    }
    for name, reason in cases.items():
        with pytest.raises(InvalidActorName) as refused:
            clean_name(name)
        assert refused.value.reason == reason


async def test_create_stores_everything_and_get_returns_it(actors: ActorsRepository) -> None:
    created = await actors.create(ANN, "  Anna  ", photos(1, 3), voice(1))
    assert created.user_id == ANN
    assert created.name == "Anna"
    assert created.photos == photos(1, 3)
    assert created.primary_photo == photo(1)
    assert created.voice == voice(1)
    assert created.likeness is None and created.voice_clone is None
    assert created.created_at
    assert await actors.get(created.id, ANN) == created


async def test_create_without_voice_and_without_photos(actors: ActorsRepository) -> None:
    created = await actors.create(ANN, "Anna", [photo(1)])
    assert created.voice is None
    with pytest.raises(ValueError):
        await actors.create(ANN, "Bella", [])
    assert await actors.count(ANN) == 1


async def test_create_refuses_invalid_names_writing_nothing(actors: ActorsRepository) -> None:
    for name in ("", "  ", "x" * (MAX_NAME_LENGTH + 1), "two\nlines"):
        with pytest.raises(InvalidActorName):
            await actors.create(ANN, name, [photo(1)])
    assert await actors.count(ANN) == 0
    longest = await actors.create(ANN, "x" * MAX_NAME_LENGTH, [photo(1)])
    assert longest.name == "x" * MAX_NAME_LENGTH


async def test_names_are_unique_per_user_ignoring_case(actors: ActorsRepository) -> None:
    await actors.create(ANN, "Anna", [photo(1)])
    with pytest.raises(ActorNameTaken):
        await actors.create(ANN, " ANNA ", [photo(2)])
    assert await actors.name_taken(ANN, "anna")
    assert await actors.name_taken(ANN, "  aNNa ")
    assert not await actors.name_taken(ANN, "Bella")
    assert not await actors.name_taken(BOB, "Anna")
    assert (await actors.create(BOB, "Anna", [photo(1)])).user_id == BOB
    assert await actors.count(ANN) == 1


async def test_case_is_folded_beyond_ascii(actors: ActorsRepository) -> None:
    await actors.create(ANN, "Маша", [photo(1)])
    assert await actors.name_taken(ANN, "МАША")
    with pytest.raises(ActorNameTaken):
        await actors.create(ANN, "маша", [photo(2)])


# Limits


async def test_a_user_has_at_most_max_actors(actors: ActorsRepository) -> None:
    for n in range(MAX_ACTORS):
        await actors.create(ANN, f"Actor {n}", [photo(n)])
    assert await actors.count(ANN) == MAX_ACTORS
    with pytest.raises(ActorLimitReached):
        await actors.create(ANN, "One too many", [photo(99)])
    assert await actors.count(ANN) == MAX_ACTORS
    assert not await actors.name_taken(ANN, "One too many")
    # Another user's limit is their own.
    await actors.create(BOB, "Bob's first", [photo(1)])
    # Deleting one makes room again.
    first = (await actors.list(ANN))[0]
    await actors.delete(first.id, ANN)
    await actors.create(ANN, "One too many", [photo(99)])
    assert await actors.count(ANN) == MAX_ACTORS


async def test_concurrent_creates_cannot_pass_the_limit(actors: ActorsRepository) -> None:
    for n in range(MAX_ACTORS - 1):
        await actors.create(ANN, f"Actor {n}", [photo(n)])
    results = await asyncio.gather(
        actors.create(ANN, "Last A", [photo(1)]),
        actors.create(ANN, "Last B", [photo(1)]),
        return_exceptions=True,
    )
    assert sorted(type(result).__name__ for result in results) == ["Actor", "ActorLimitReached"]
    assert await actors.count(ANN) == MAX_ACTORS


async def test_concurrent_additions_cannot_pass_the_photo_limit(
    actors: ActorsRepository,
) -> None:
    anna = await actors.create(ANN, "Anna", photos(0, MAX_PHOTOS - 1))
    results = await asyncio.gather(
        actors.add_photos(anna.id, ANN, [photo(100)]),
        actors.add_photos(anna.id, ANN, [photo(101)]),
        return_exceptions=True,
    )
    assert sorted(type(result).__name__ for result in results) == ["Actor", "PhotoLimitReached"]
    assert len((await actors.get(anna.id, ANN)).photos) == MAX_PHOTOS


async def test_create_takes_at_most_max_photos(actors: ActorsRepository) -> None:
    with pytest.raises(PhotoLimitReached) as refused:
        await actors.create(ANN, "Anna", photos(0, MAX_PHOTOS + 1))
    assert refused.value.room == MAX_PHOTOS
    assert await actors.count(ANN) == 0
    full = await actors.create(ANN, "Anna", photos(0, MAX_PHOTOS))
    assert len(full.photos) == MAX_PHOTOS


async def test_create_keeps_a_repeated_photo_once(actors: ActorsRepository) -> None:
    repeated = [photo(1), photo(2), ActorPhoto(file_id="other-id", file_unique_id="unique-1")]
    created = await actors.create(ANN, "Anna", repeated)
    assert created.photos == [photo(1), photo(2)]


async def test_add_photos_appends_and_skips_known_ones(actors: ActorsRepository) -> None:
    created = await actors.create(ANN, "Anna", photos(1, 2))
    updated = await actors.add_photos(created.id, ANN, [photo(2), photo(3), photo(3), photo(4)])
    assert updated.photos == photos(1, 4)
    assert updated.primary_photo == photo(1)
    unchanged = await actors.add_photos(created.id, ANN, [photo(1)])
    assert unchanged.photos == photos(1, 4)
    assert await actors.get(created.id, ANN) == updated


async def test_add_photos_is_all_or_nothing_at_the_limit(actors: ActorsRepository) -> None:
    created = await actors.create(ANN, "Anna", photos(0, MAX_PHOTOS - 2))
    with pytest.raises(PhotoLimitReached) as refused:
        await actors.add_photos(created.id, ANN, photos(100, 3))
    assert refused.value.room == 2
    assert len((await actors.get(created.id, ANN)).photos) == MAX_PHOTOS - 2
    # Duplicates do not count against the room.
    full = await actors.add_photos(created.id, ANN, [photo(0), photo(100), photo(101)])
    assert len(full.photos) == MAX_PHOTOS
    assert full.photos[-2:] == [photo(100), photo(101)]
    with pytest.raises(PhotoLimitReached) as refused:
        await actors.add_photos(created.id, ANN, [photo(200)])
    assert refused.value.room == 0
    # Only known photos: nothing to add, nothing refused.
    assert (await actors.add_photos(created.id, ANN, [photo(0)])).photos == full.photos


# Reading and changing


async def test_list_is_oldest_first_and_fully_loaded(actors: ActorsRepository) -> None:
    first = await actors.create(ANN, "First", photos(1, 2), voice(1))
    second = await actors.create(ANN, "Second", [photo(3)])
    await actors.create(BOB, "Bob's", [photo(1)])
    await actors.start_training(first.id, ANN, TrainingKind.LIKENESS, "scenario", "job-l", "tok")
    await actors.start_training(first.id, ANN, TrainingKind.VOICE, "framehood", "job-v")
    listed = await actors.list(ANN)
    assert [actor.id for actor in listed] == [first.id, second.id]
    assert listed[0].photos == photos(1, 2)
    assert listed[0].voice == voice(1)
    assert listed[0].likeness is not None and listed[0].likeness.job_id == "job-l"
    assert listed[0].voice_clone is not None and listed[0].voice_clone.job_id == "job-v"
    assert listed[1].likeness is None and listed[1].voice_clone is None
    assert listed == [await actors.get(first.id, ANN), await actors.get(second.id, ANN)]
    assert await actors.list(3) == []
    assert await actors.count(3) == 0


async def test_rename(actors: ActorsRepository) -> None:
    anna = await actors.create(ANN, "Anna", [photo(1)])
    await actors.create(ANN, "Bella", [photo(2)])
    assert (await actors.rename(anna.id, ANN, " Anya ")).name == "Anya"
    assert (await actors.rename(anna.id, ANN, "ANYA")).name == "ANYA"
    with pytest.raises(ActorNameTaken):
        await actors.rename(anna.id, ANN, "bella")
    with pytest.raises(InvalidActorName):
        await actors.rename(anna.id, ANN, "x" * (MAX_NAME_LENGTH + 1))
    assert (await actors.get(anna.id, ANN)).name == "ANYA"
    assert not await actors.name_taken(ANN, "Anna")


async def test_set_voice_replaces_the_sample_and_drops_the_clone(
    actors: ActorsRepository,
) -> None:
    anna = await actors.create(ANN, "Anna", [photo(1)])
    assert (await actors.set_voice(anna.id, ANN, voice(1))).voice == voice(1)
    await actors.start_training(anna.id, ANN, TrainingKind.VOICE, "framehood", "job-v")
    await actors.start_training(anna.id, ANN, TrainingKind.LIKENESS, "scenario", "job-l")
    assert await actors.update_training(
        anna.id, TrainingKind.VOICE, "job-v", status=TrainingStatus.TRAINED, remote_id="v1"
    )
    updated = await actors.set_voice(anna.id, ANN, voice(2))
    assert updated.voice == voice(2)
    assert updated.voice_clone is None
    assert updated.likeness is not None
    # The old voice job finds nothing to update any more.
    assert not await actors.update_training(
        anna.id, TrainingKind.VOICE, "job-v", status=TrainingStatus.TRAINED
    )


async def test_the_same_sample_again_keeps_the_clone(actors: ActorsRepository) -> None:
    anna = await actors.create(ANN, "Anna", [photo(1)], voice(1))
    await actors.start_training(anna.id, ANN, TrainingKind.VOICE, "framehood", "job-v")
    resent = voice(1).model_copy(update={"file_id": "voice-1-again"})
    updated = await actors.set_voice(anna.id, ANN, resent)
    assert updated.voice == resent
    assert updated.voice_clone is not None


async def test_delete_returns_the_actor_and_cascades(
    db: Database, actors: ActorsRepository
) -> None:
    anna = await actors.create(ANN, "Anna", photos(1, 3), voice(1))
    await actors.start_training(anna.id, ANN, TrainingKind.LIKENESS, "scenario", "job-l")
    await actors.update_training(
        anna.id, TrainingKind.LIKENESS, "job-l", status=TrainingStatus.TRAINED, remote_id="lora"
    )
    await actors.start_training(anna.id, ANN, TrainingKind.VOICE, "framehood", "job-v")
    before = await actors.get(anna.id, ANN)
    deleted = await actors.delete(anna.id, ANN)
    assert deleted == before
    assert deleted.likeness is not None and deleted.likeness.remote_id == "lora"
    with pytest.raises(ActorNotFound):
        await actors.get(anna.id, ANN)
    with pytest.raises(ActorNotFound):
        await actors.delete(anna.id, ANN)
    assert await rows(db, "actor_photos", anna.id) == 0
    assert await rows(db, "actor_trainings", anna.id) == 0
    assert not await actors.name_taken(ANN, "Anna")
    # A new actor never reuses the deleted one's id.
    again = await actors.create(ANN, "Anna", [photo(1)])
    assert again.id != anna.id


# Ownership


async def test_another_users_actor_is_not_found(actors: ActorsRepository) -> None:
    anna = await actors.create(ANN, "Anna", [photo(1)])
    with pytest.raises(ActorNotFound):
        await actors.get(anna.id, BOB)
    with pytest.raises(ActorNotFound):
        await actors.rename(anna.id, BOB, "Mine")
    with pytest.raises(ActorNotFound):
        await actors.add_photos(anna.id, BOB, [photo(2)])
    with pytest.raises(ActorNotFound):
        await actors.set_voice(anna.id, BOB, voice(1))
    with pytest.raises(ActorNotFound):
        await actors.start_training(anna.id, BOB, TrainingKind.LIKENESS, "scenario", "job")
    with pytest.raises(ActorNotFound):
        await actors.delete(anna.id, BOB)
    assert await actors.get(anna.id, ANN) == anna
    assert await actors.list(BOB) == []


async def test_a_missing_actor_is_not_found(actors: ActorsRepository) -> None:
    with pytest.raises(ActorNotFound):
        await actors.get(12345, ANN)
    with pytest.raises(ActorNotFound):
        await actors.rename(12345, ANN, "Anna")
    with pytest.raises(ActorNotFound):
        await actors.add_photos(12345, ANN, [photo(1)])
    with pytest.raises(ActorNotFound):
        await actors.start_training(12345, ANN, TrainingKind.VOICE, "framehood", "job")


# Trainings


async def started(actors: ActorsRepository) -> Actor:
    anna = await actors.create(ANN, "Anna", [photo(1)])
    return await actors.start_training(
        anna.id, ANN, TrainingKind.LIKENESS, "scenario", "job-1", trigger_word="anna_tok"
    )


async def test_start_training_records_a_fresh_row(actors: ActorsRepository) -> None:
    anna = await started(actors)
    likeness = anna.likeness
    assert likeness is not None
    assert likeness.kind is TrainingKind.LIKENESS
    assert (likeness.provider, likeness.job_id, likeness.status) == (
        "scenario",
        "job-1",
        TrainingStatus.TRAINING,
    )
    assert likeness.trigger_word == "anna_tok"
    assert (likeness.progress, likeness.remaining_seconds, likeness.stage) == (None, None, None)
    assert likeness.remote_id is None
    assert likeness.updated_at
    assert anna.voice_clone is None


async def test_update_training_records_progress_and_outcome(actors: ActorsRepository) -> None:
    anna = await started(actors)
    assert await actors.update_training(
        anna.id,
        TrainingKind.LIKENESS,
        "job-1",
        status=TrainingStatus.TRAINING,
        progress=0.4,
        remaining_seconds=120,
        stage="training",
        remote_id="model-7",
    )
    likeness = (await actors.get(anna.id, ANN)).likeness
    assert likeness is not None
    assert (likeness.progress, likeness.remaining_seconds, likeness.stage) == (
        0.4,
        120,
        "training",
    )
    assert likeness.remote_id == "model-7"
    # The outcome: the snapshot fields are replaced, the remote id is kept when not given.
    assert await actors.update_training(
        anna.id, TrainingKind.LIKENESS, "job-1", status=TrainingStatus.TRAINED, progress=1.0
    )
    likeness = (await actors.get(anna.id, ANN)).likeness
    assert likeness is not None
    assert likeness.status is TrainingStatus.TRAINED
    assert (likeness.progress, likeness.remaining_seconds, likeness.stage) == (1.0, None, None)
    assert likeness.remote_id == "model-7"
    assert likeness.trigger_word == "anna_tok"


async def test_update_training_clamps_provider_estimates(actors: ActorsRepository) -> None:
    anna = await started(actors)
    assert await actors.update_training(
        anna.id,
        TrainingKind.LIKENESS,
        "job-1",
        status=TrainingStatus.TRAINING,
        progress=1.3,
        remaining_seconds=-5,
    )
    likeness = (await actors.get(anna.id, ANN)).likeness
    assert likeness is not None
    assert (likeness.progress, likeness.remaining_seconds) == (1.0, 0)


async def test_a_new_training_wins_over_a_stale_job(actors: ActorsRepository) -> None:
    anna = await started(actors)
    await actors.update_training(
        anna.id, TrainingKind.LIKENESS, "job-1", status=TrainingStatus.FAILED, remote_id="old"
    )
    restarted = await actors.start_training(
        anna.id, ANN, TrainingKind.LIKENESS, "framehood", "job-2"
    )
    likeness = restarted.likeness
    assert likeness is not None
    assert (likeness.provider, likeness.job_id, likeness.status) == (
        "framehood",
        "job-2",
        TrainingStatus.TRAINING,
    )
    assert likeness.remote_id is None and likeness.trigger_word is None
    assert not await actors.update_training(
        anna.id, TrainingKind.LIKENESS, "job-1", status=TrainingStatus.TRAINED, remote_id="x"
    )
    current = (await actors.get(anna.id, ANN)).likeness
    assert current == likeness
    # The job id must match the kind too.
    assert not await actors.update_training(
        anna.id, TrainingKind.VOICE, "job-2", status=TrainingStatus.TRAINED
    )
    assert (await actors.get(anna.id, ANN)).voice_clone is None


async def test_update_training_of_a_deleted_actor_is_ignored(actors: ActorsRepository) -> None:
    anna = await started(actors)
    await actors.delete(anna.id, ANN)
    assert not await actors.update_training(
        anna.id, TrainingKind.LIKENESS, "job-1", status=TrainingStatus.TRAINED, remote_id="m"
    )
