"""Actors: a user's saved characters, with their face photos, voice sample and trainings.

An actor is chosen in every tool instead of re-sending the same face, so it must always be
usable: it has at least one photo, and its name is unique for its user. Limits (actors per
user, photos per actor) are checked in the same transaction as the insert, so two updates
arriving at once cannot both slip under them.

Every method that takes a user id treats an actor of another user exactly like a missing
one (ActorNotFound): a forged callback must not even learn that the id exists.
"""

from __future__ import annotations

import builtins
import json
import math
import sqlite3
import unicodedata
from enum import StrEnum
from typing import Any, Literal

import aiosqlite
from pydantic import BaseModel

from storage.db import Database, utcnow

MAX_ACTORS = 20
MAX_PHOTOS = 30
MAX_NAME_LENGTH = 32


class TrainingKind(StrEnum):
    LIKENESS = "likeness"
    """A LoRA of the actor's face."""
    VOICE = "voice"
    """A cloned voice made from the actor's voice sample."""


class TrainingStatus(StrEnum):
    TRAINING = "training"
    TRAINED = "trained"
    FAILED = "failed"


class ActorPhoto(BaseModel):
    file_id: str
    file_unique_id: str
    """Telegram's stable id of the file; the same photo is stored once per actor."""
    mime_type: str = "image/jpeg"
    """A compressed Telegram photo is a JPEG; an image sent as a file says its type."""


class ActorVoice(BaseModel):
    file_id: str
    file_unique_id: str
    seconds: float
    filename: str
    mime_type: str


class ActorTraining(BaseModel):
    kind: TrainingKind
    provider: str
    job_id: str
    """The engine job running this training; only it may update the row."""
    status: TrainingStatus
    remote_id: str | None = None
    """The provider's model id, LoRA path or voice id, once known."""
    trigger_word: str | None = None
    progress: float | None = None
    remaining_seconds: int | None = None
    stage: str | None = None
    updated_at: str


class Actor(BaseModel):
    id: int
    user_id: int
    name: str
    photos: list[ActorPhoto]
    voice: ActorVoice | None
    likeness: ActorTraining | None
    voice_clone: ActorTraining | None
    created_at: str

    @property
    def primary_photo(self) -> ActorPhoto:
        """The first photo: the face shown for the actor and used where only one fits."""
        return self.photos[0]


class ActorError(Exception):
    """Base of every refusal by the actors repository; nothing was written."""


NameProblem = Literal["empty", "too_long", "line_break"]


class InvalidActorName(ActorError):
    def __init__(self, reason: NameProblem) -> None:
        super().__init__(f"invalid actor name: {reason}")
        self.reason: NameProblem = reason


class ActorNameTaken(ActorError):
    """The user already has an actor of this name (ignoring case)."""


class ActorLimitReached(ActorError):
    """The user already has MAX_ACTORS actors."""


class PhotoLimitReached(ActorError):
    """The photos would not fit under MAX_PHOTOS; `room` is how many more would have."""

    def __init__(self, room: int) -> None:
        super().__init__(f"room for {room} more photos")
        self.room = room


class ActorNotFound(ActorError):
    """No such actor, or it belongs to another user; the two are never told apart."""


def clean_name(name: str) -> str:
    """Strip surrounding whitespace and check the rest; raise InvalidActorName if unusable.

    A name is shown on buttons and in captions, so it is one short line.
    """
    cleaned = name.strip()
    if not cleaned:
        raise InvalidActorName("empty")
    if cleaned.splitlines() != [cleaned]:
        raise InvalidActorName("line_break")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise InvalidActorName("too_long")
    return cleaned


def _name_key(name: str) -> str:
    """What uniqueness compares, so "ANNA", "anna" and "Ａｎｎａ" are one name.

    Done in Python because SQLite's NOCASE and lower() fold ASCII letters only, and
    "МАША" and "маша" must be one name too.
    """
    return unicodedata.normalize("NFKC", name.strip()).casefold()


_TRAINING_COLUMNS = (
    "provider",
    "job_id",
    "status",
    "remote_id",
    "trigger_word",
    "progress",
    "remaining_seconds",
    "stage",
    "updated_at",
)

# One statement loads actors whole (photos as a JSON array, both trainings joined), so a
# list is one query rather than three per actor, and it reads one consistent snapshot.
_SELECT = (
    "SELECT a.id, a.user_id, a.name, a.created_at, a.voice_file_id, a.voice_file_unique_id,"
    " a.voice_seconds, a.voice_filename, a.voice_mime_type,"
    " (SELECT json_group_array(json_object('position', p.position, 'file_id', p.file_id,"
    " 'file_unique_id', p.file_unique_id, 'mime_type', p.mime_type)) FROM actor_photos AS p"
    " WHERE p.actor_id = a.id) AS photos, "
    + ", ".join(f"l.{column} AS likeness_{column}" for column in _TRAINING_COLUMNS)
    + ", "
    + ", ".join(f"v.{column} AS voice_{column}" for column in _TRAINING_COLUMNS)
    + " FROM actors AS a"
    " LEFT JOIN actor_trainings AS l ON l.actor_id = a.id AND l.kind = 'likeness'"
    " LEFT JOIN actor_trainings AS v ON v.actor_id = a.id AND v.kind = 'voice'"
)


class ActorsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        user_id: int,
        name: str,
        photos: builtins.list[ActorPhoto],
        voice: ActorVoice | None = None,
    ) -> Actor:
        """Save a new actor with its photos (and voice sample) in one transaction.

        Repeated photos (same file_unique_id) are kept once. Raises InvalidActorName,
        ValueError without photos, PhotoLimitReached, ActorLimitReached, ActorNameTaken.
        """
        cleaned = clean_name(name)
        unique = _new_photos(photos, set())
        if not unique:
            raise ValueError("an actor needs at least one photo")
        if len(unique) > MAX_PHOTOS:
            raise PhotoLimitReached(room=MAX_PHOTOS)
        async with self._db.transaction() as tx:
            row = await (
                await tx.execute("SELECT COUNT(*) FROM actors WHERE user_id = ?", (user_id,))
            ).fetchone()
            if row is not None and int(row[0]) >= MAX_ACTORS:
                raise ActorLimitReached(f"user {user_id} has {MAX_ACTORS} actors")
            try:
                cursor = await tx.execute(
                    "INSERT INTO actors (user_id, name, name_key, voice_file_id,"
                    " voice_file_unique_id, voice_seconds, voice_filename, voice_mime_type,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (user_id, cleaned, _name_key(cleaned), *_voice_values(voice), utcnow()),
                )
            except sqlite3.IntegrityError as error:
                _raise_if_name_taken(error, cleaned)
                raise
            actor_id = cursor.lastrowid
            assert actor_id is not None
            await _insert_photos(tx, actor_id, 0, unique)
            return await _load(tx, actor_id, user_id)

    async def name_taken(self, user_id: int, name: str) -> bool:
        """Whether the user has an actor of this name, ignoring case and surrounding spaces."""
        row = await self._db.fetch_one(
            "SELECT 1 FROM actors WHERE user_id = ? AND name_key = ?", user_id, _name_key(name)
        )
        return row is not None

    async def count(self, user_id: int) -> int:
        row = await self._db.fetch_one("SELECT COUNT(*) FROM actors WHERE user_id = ?", user_id)
        return int(row[0]) if row else 0

    async def list(self, user_id: int) -> builtins.list[Actor]:
        """The user's actors, oldest first, each with photos, voice and trainings."""
        rows = await self._db.fetch_all(f"{_SELECT} WHERE a.user_id = ? ORDER BY a.id", user_id)
        return [_actor(row) for row in rows]

    async def get(self, actor_id: int, user_id: int) -> Actor:
        row = await self._db.fetch_one(
            f"{_SELECT} WHERE a.id = ? AND a.user_id = ?", actor_id, user_id
        )
        if row is None:
            raise ActorNotFound(actor_id)
        return _actor(row)

    async def rename(self, actor_id: int, user_id: int, name: str) -> Actor:
        """Give the actor a new name; changing only its case is allowed."""
        cleaned = clean_name(name)
        async with self._db.transaction() as tx:
            await _require(tx, actor_id, user_id)
            try:
                await tx.execute(
                    "UPDATE actors SET name = ?, name_key = ? WHERE id = ?",
                    (cleaned, _name_key(cleaned), actor_id),
                )
            except sqlite3.IntegrityError as error:
                _raise_if_name_taken(error, cleaned)
                raise
            return await _load(tx, actor_id, user_id)

    async def add_photos(
        self, actor_id: int, user_id: int, photos: builtins.list[ActorPhoto]
    ) -> Actor:
        """Append photos after the existing ones, skipping any the actor already has.

        All or nothing: if the new ones do not all fit, raise PhotoLimitReached with the
        room left, so the user can choose which to send instead of losing some silently.
        """
        async with self._db.transaction() as tx:
            actor = await _load(tx, actor_id, user_id)
            new = _new_photos(photos, {photo.file_unique_id for photo in actor.photos})
            if not new:
                return actor
            if len(actor.photos) + len(new) > MAX_PHOTOS:
                raise PhotoLimitReached(room=max(0, MAX_PHOTOS - len(actor.photos)))
            row = await (
                await tx.execute(
                    "SELECT COALESCE(MAX(position) + 1, 0) FROM actor_photos WHERE actor_id = ?",
                    (actor_id,),
                )
            ).fetchone()
            await _insert_photos(tx, actor_id, int(row[0]) if row else 0, new)
            return await _load(tx, actor_id, user_id)

    async def set_voice(self, actor_id: int, user_id: int, voice: ActorVoice) -> Actor:
        """Replace the voice sample.

        A cloned voice was made from the old sample, so a different sample removes the
        voice training (a running voice job then finds no row and stops counting). Sending
        the very same file again (same file_unique_id) keeps the clone the user paid for.
        """
        async with self._db.transaction() as tx:
            actor = await _load(tx, actor_id, user_id)
            await tx.execute(
                "UPDATE actors SET voice_file_id = ?, voice_file_unique_id = ?,"
                " voice_seconds = ?, voice_filename = ?, voice_mime_type = ? WHERE id = ?",
                (*_voice_values(voice), actor_id),
            )
            if actor.voice is None or actor.voice.file_unique_id != voice.file_unique_id:
                await tx.execute(
                    "DELETE FROM actor_trainings WHERE actor_id = ? AND kind = ?",
                    (actor_id, TrainingKind.VOICE.value),
                )
            return await _load(tx, actor_id, user_id)

    async def delete(self, actor_id: int, user_id: int) -> Actor:
        """Delete the actor with its photos and trainings; return it as it was.

        The caller uses the returned trainings' remote ids to delete the provider's models.
        """
        async with self._db.transaction() as tx:
            actor = await _load(tx, actor_id, user_id)
            await tx.execute("DELETE FROM actors WHERE id = ?", (actor_id,))
            return actor

    async def start_training(
        self,
        actor_id: int,
        user_id: int,
        kind: TrainingKind,
        provider: str,
        job_id: str,
        trigger_word: str | None = None,
    ) -> Actor:
        """Record that `job_id` now trains this kind for the actor, replacing any earlier one.

        Progress, stage and remote id start empty; a job still running for the old training
        no longer matches the job id, so its updates are ignored. Read the old remote id
        first if the old remote model should be deleted.
        """
        async with self._db.transaction() as tx:
            await _require(tx, actor_id, user_id)
            await tx.execute(
                "INSERT INTO actor_trainings (actor_id, kind, provider, job_id, status,"
                " trigger_word, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (actor_id, kind) DO UPDATE SET provider = excluded.provider,"
                " job_id = excluded.job_id, status = excluded.status, remote_id = NULL,"
                " trigger_word = excluded.trigger_word, progress = NULL,"
                " remaining_seconds = NULL, stage = NULL, updated_at = excluded.updated_at",
                (
                    actor_id,
                    kind.value,
                    provider,
                    job_id,
                    TrainingStatus.TRAINING.value,
                    trigger_word,
                    utcnow(),
                ),
            )
            return await _load(tx, actor_id, user_id)

    async def update_training(
        self,
        actor_id: int,
        kind: TrainingKind,
        job_id: str,
        *,
        status: TrainingStatus,
        progress: float | None = None,
        remaining_seconds: int | None = None,
        stage: str | None = None,
        remote_id: str | None = None,
    ) -> bool:
        """Record a training job's progress or outcome; False if the job is no longer current.

        Progress, remaining time and stage are a snapshot and are replaced as given (None
        clears them). The remote id is kept when None is passed: it is learnt once and is
        what lets the model be used and deleted later. Progress is clamped to 0..1 and the
        remaining time to >= 0, since providers' estimates overshoot.
        """
        if progress is not None:
            progress = min(max(progress, 0.0), 1.0) if math.isfinite(progress) else None
        if remaining_seconds is not None:
            remaining_seconds = max(remaining_seconds, 0)
        async with self._db.transaction() as tx:
            cursor = await tx.execute(
                "UPDATE actor_trainings SET status = ?, progress = ?, remaining_seconds = ?,"
                " stage = ?, remote_id = COALESCE(?, remote_id), updated_at = ?"
                " WHERE actor_id = ? AND kind = ? AND job_id = ?",
                (
                    status.value,
                    progress,
                    remaining_seconds,
                    stage,
                    remote_id,
                    utcnow(),
                    actor_id,
                    kind.value,
                    job_id,
                ),
            )
            return cursor.rowcount == 1


def _new_photos(photos: list[ActorPhoto], have: set[str]) -> list[ActorPhoto]:
    """The photos not yet in `have`, each file once, in the order given."""
    seen = set(have)
    new: list[ActorPhoto] = []
    for photo in photos:
        if photo.file_unique_id not in seen:
            seen.add(photo.file_unique_id)
            new.append(photo)
    return new


def _voice_values(voice: ActorVoice | None) -> tuple[Any, ...]:
    if voice is None:
        return (None, None, None, None, None)
    return (voice.file_id, voice.file_unique_id, voice.seconds, voice.filename, voice.mime_type)


def _raise_if_name_taken(error: sqlite3.IntegrityError, name: str) -> None:
    """Turn a violation of the unique name index into ActorNameTaken; leave others alone."""
    if "actors.name_key" in str(error):
        raise ActorNameTaken(name) from error


async def _insert_photos(
    tx: aiosqlite.Connection, actor_id: int, first_position: int, photos: list[ActorPhoto]
) -> None:
    await tx.executemany(
        "INSERT INTO actor_photos (actor_id, position, file_id, file_unique_id, mime_type)"
        " VALUES (?, ?, ?, ?, ?)",
        [
            (
                actor_id,
                first_position + offset,
                photo.file_id,
                photo.file_unique_id,
                photo.mime_type,
            )
            for offset, photo in enumerate(photos)
        ],
    )


async def _require(tx: aiosqlite.Connection, actor_id: int, user_id: int) -> None:
    """Raise ActorNotFound unless the actor exists and is this user's."""
    cursor = await tx.execute(
        "SELECT 1 FROM actors WHERE id = ? AND user_id = ?", (actor_id, user_id)
    )
    if await cursor.fetchone() is None:
        raise ActorNotFound(actor_id)


async def _load(tx: aiosqlite.Connection, actor_id: int, user_id: int) -> Actor:
    cursor = await tx.execute(f"{_SELECT} WHERE a.id = ? AND a.user_id = ?", (actor_id, user_id))
    row = await cursor.fetchone()
    if row is None:
        raise ActorNotFound(actor_id)
    return _actor(row)


def _actor(row: aiosqlite.Row) -> Actor:
    photos = sorted(json.loads(row["photos"]), key=lambda photo: photo["position"])
    voice = None
    if row["voice_file_id"] is not None:
        voice = ActorVoice(
            file_id=row["voice_file_id"],
            file_unique_id=row["voice_file_unique_id"],
            seconds=row["voice_seconds"],
            filename=row["voice_filename"],
            mime_type=row["voice_mime_type"],
        )
    return Actor(
        id=row["id"],
        user_id=row["user_id"],
        name=row["name"],
        photos=[ActorPhoto.model_validate(photo) for photo in photos],
        voice=voice,
        likeness=_training(row, TrainingKind.LIKENESS),
        voice_clone=_training(row, TrainingKind.VOICE),
        created_at=row["created_at"],
    )


def _training(row: aiosqlite.Row, kind: TrainingKind) -> ActorTraining | None:
    """The training of this kind, from the columns `_SELECT` names after it."""
    if row[f"{kind}_job_id"] is None:
        return None
    values = {column: row[f"{kind}_{column}"] for column in _TRAINING_COLUMNS}
    return ActorTraining.model_validate({"kind": kind, **values})
