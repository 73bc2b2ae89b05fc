"""Actors in the job engine: which providers train them, and what their jobs record.

A user's actor (storage/actors.py) is trained by an actor provider (Scenario, then
Framehood, whichever is configured and available first), and pictured later by the one
that trained it. Training jobs keep the actor's training row in step through
`ActorTrainings`, the engine's `TrainingRecorder`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from bot import texts
from bot.jobs import JobFailure
from bot.tools import (
    ACTOR_LIKENESS,
    ActorJobInput,
    FileInput,
    JobSpec,
    LikenessInput,
    PictureInput,
)
from providers.base import ActorProvider
from providers.errors import ProviderError
from providers.models import MediaKind, Training, TrainingState
from storage.actors import (
    Actor,
    ActorNotFound,
    ActorPhoto,
    ActorsRepository,
    TrainingKind,
    TrainingStatus,
)
from storage.jobs import Job

log = logging.getLogger(__name__)

MIN_TRAINING_PHOTOS = 4
"""Both providers want at least 4 images for a likeness LoRA."""

_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png"}


class ActorProviders:
    """The configured actor providers, in order of preference."""

    def __init__(self, providers: Sequence[ActorProvider]) -> None:
        self._providers = list(providers)

    @property
    def by_name(self) -> Mapping[str, ActorProvider]:
        return {provider.name: provider for provider in self._providers}

    async def for_training(self) -> ActorProvider | None:
        """The first provider that takes trainings now, or None when none does."""
        for provider in self._providers:
            if await provider.available():
                return provider
        return None

    async def delete_models(self, actor: Actor) -> None:
        """Remove the actor's trained models where their provider allows; best effort."""
        for training in (actor.likeness, actor.voice_clone):
            if training is None or training.remote_id is None:
                continue
            provider = self.by_name.get(training.provider)
            if provider is None:
                continue
            try:
                await provider.delete_model(training.remote_id)
            except ProviderError as err:
                log.warning(
                    "could not delete %s model of actor %s: %r", training.kind, actor.id, err
                )

    async def aclose(self) -> None:
        for provider in self._providers:
            await provider.aclose()


def photo_input(photo: ActorPhoto, field: str, stem: str) -> FileInput:
    """An actor's stored photo as a job input: used without the user sending it again."""
    return FileInput(
        field=field,
        file_id=photo.file_id,
        file_unique_id=photo.file_unique_id,
        kind=MediaKind.IMAGE,
        filename=f"{stem}.{_EXTENSIONS.get(photo.mime_type, 'jpg')}",
    )


def trigger_word(actor: Actor) -> str:
    """A token no prompt uses by chance, so it names this actor's likeness alone."""
    return f"cbx{actor.id}z"


def likeness_spec(actor: Actor) -> JobSpec:
    return JobSpec(
        files=[
            photo_input(photo, f"image_{index}", f"face-{index}")
            for index, photo in enumerate(actor.photos, start=1)
        ],
        options=LikenessInput(
            actor_id=actor.id, actor_name=actor.name, trigger_word=trigger_word(actor)
        ).model_dump(),
    )


def voice_input(actor: Actor, field: str) -> FileInput:
    """An actor's stored voice sample as a job input."""
    assert actor.voice is not None
    voice = actor.voice
    return FileInput(
        field=field,
        file_id=voice.file_id,
        file_unique_id=voice.file_unique_id,
        kind=MediaKind.AUDIO,
        filename=voice.filename,
    )


def voice_spec(actor: Actor) -> JobSpec:
    assert actor.voice is not None
    return JobSpec(
        files=[voice_input(actor, "sample")],
        options=ActorJobInput(actor_id=actor.id, actor_name=actor.name).model_dump(),
    )


def picture_spec(actor: Actor, prompt: str) -> JobSpec:
    likeness = actor.likeness
    assert likeness is not None and likeness.remote_id is not None
    return JobSpec(
        files=[],
        options=PictureInput(
            actor_id=actor.id,
            actor_name=actor.name,
            model_ref=likeness.remote_id,
            trigger_word=likeness.trigger_word,
            prompt=prompt,
        ).model_dump(),
    )


def is_training(actor: Actor) -> bool:
    return any(
        training is not None and training.status is TrainingStatus.TRAINING
        for training in (actor.likeness, actor.voice_clone)
    )


_STATUS_OF = {
    TrainingState.QUEUED: TrainingStatus.TRAINING,
    TrainingState.TRAINING: TrainingStatus.TRAINING,
    TrainingState.TRAINED: TrainingStatus.TRAINED,
    TrainingState.FAILED: TrainingStatus.FAILED,
}


class ActorTrainings:
    """The engine's TrainingRecorder: the actor's row follows the job that trains it."""

    def __init__(self, actors: ActorsRepository) -> None:
        self._actors = actors

    async def started(self, job: Job) -> None:
        if job.tool == ACTOR_LIKENESS.name:
            likeness = LikenessInput.model_validate(job.spec["options"])
            actor_id, word = likeness.actor_id, likeness.trigger_word
        else:
            actor_id, word = ActorJobInput.model_validate(job.spec["options"]).actor_id, None
        try:
            await self._actors.start_training(
                actor_id, job.user_id, _kind(job), job.provider, job.id, trigger_word=word
            )
        except ActorNotFound:
            raise JobFailure(texts.ACTOR_GONE) from None

    async def progressed(self, job: Job, training: Training) -> None:
        await self._actors.update_training(
            ActorJobInput.model_validate(job.spec["options"]).actor_id,
            _kind(job),
            job.id,
            status=_STATUS_OF[training.state],
            progress=training.progress,
            remaining_seconds=(
                round(training.remaining_seconds)
                if training.remaining_seconds is not None
                else None
            ),
            stage=training.stage,
            remote_id=training.model_ref,
        )

    async def failed(self, job: Job) -> None:
        await self._actors.update_training(
            ActorJobInput.model_validate(job.spec["options"]).actor_id,
            _kind(job),
            job.id,
            status=TrainingStatus.FAILED,
        )


def _kind(job: Job) -> TrainingKind:
    return TrainingKind.LIKENESS if job.tool == ACTOR_LIKENESS.name else TrainingKind.VOICE
