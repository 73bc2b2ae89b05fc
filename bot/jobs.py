"""The job engine: quote, reserve, submit, poll, deliver, settle — and resume after a crash.

Each step is recorded in the job's row before the next begins (storage/jobs.py), and a
worker holds a lease on a job while it moves it, so a restarted process picks every
unfinished job up where it stopped, and two processes never run the same step.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot import texts
from bot.courier import Courier, OutputTooLarge
from bot.pricing import partial_refund
from bot.tools import (
    TOOLS,
    ActorJobInput,
    FileInput,
    JobSpec,
    LikenessInput,
    PictureInput,
    Tool,
    ToolKind,
)
from providers.base import ActorProvider, GenerationProvider, GenerationSource
from providers.errors import (
    APIConnectionError,
    InsufficientCreditsError,
    InternalServerError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitError,
)
from providers.models import GenerationStatus, Training, TrainingFile, TrainingState
from storage.assets import AssetCache
from storage.jobs import Job, JobOutput, JobsRepository, JobState

log = logging.getLogger(__name__)

# Errors worth waiting out: the next attempt may well succeed.
TRANSIENT_PROVIDER_ERRORS = (APIConnectionError, InternalServerError, RateLimitError)
TRANSIENT_ERRORS = (*TRANSIENT_PROVIDER_ERRORS, NetworkError, RetryAfter)


class JobFailure(Exception):
    """Ends a job as failed; `reason` is safe to show the user, or None for a generic one."""

    def __init__(self, reason: str | None) -> None:
        super().__init__(reason or "failed")
        self.reason = reason


@dataclass(frozen=True)
class ResultCard:
    """What comes with a delivered result: a caption and the buttons that use it next."""

    caption: str
    reply_markup: InlineKeyboardMarkup | None = None


class ResultPresenter(Protocol):
    """Decides the card of a delivered job (the handlers layer builds its buttons)."""

    async def present(self, job: Job) -> ResultCard | None: ...


class TrainingRecorder(Protocol):
    """Keeps an actor's training state in step with the job that trains it."""

    async def started(self, job: Job) -> None:
        """Before the provider is asked; raises JobFailure if the actor is gone."""
        ...

    async def progressed(self, job: Job, training: Training) -> None: ...

    async def failed(self, job: Job) -> None: ...


class JobEngine:
    def __init__(
        self,
        jobs: JobsRepository,
        assets: AssetCache,
        provider: GenerationProvider,
        courier: Courier,
        *,
        balance_of: Callable[[int], Awaitable[int]],
        poll_interval: float,
        lease_seconds: float = 60.0,
        actor_providers: Mapping[str, ActorProvider] | None = None,
        trainings: TrainingRecorder | None = None,
        on_delivered: Callable[[Job], Awaitable[None]] | None = None,
        on_out_of_credits: Callable[[], Awaitable[None]] | None = None,
        presenter: ResultPresenter | None = None,
    ) -> None:
        self._jobs = jobs
        self._assets = assets
        self._provider = provider
        self._actor_providers = dict(actor_providers or {})
        """Actor jobs name theirs in `job.provider`; one no longer configured fails them."""
        self._trainings = trainings
        self._courier = courier
        self._balance_of = balance_of
        self._poll_interval = poll_interval
        self._lease_seconds = lease_seconds
        self._on_delivered = on_delivered
        """Called once a job's results reached the user (referral rewards hang on it)."""
        self._on_out_of_credits = on_out_of_credits
        """Called when the provider refuses a job for lack of the operator's credits."""
        self._presenter = presenter
        self._worker = uuid.uuid4().hex
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @property
    def provider(self) -> GenerationProvider:
        return self._provider

    async def quote(
        self,
        *,
        user_id: int,
        chat_id: int,
        tool: Tool,
        spec: JobSpec,
        price: int,
        provider: str | None = None,
    ) -> Job:
        """Save the inputs and the price; nothing is charged until the user confirms.

        `provider` names the actor provider of an actor job; others use the generation one.
        """
        return await self._create(user_id, chat_id, tool, spec, price, provider, reserve=False)

    async def order(
        self,
        *,
        user_id: int,
        chat_id: int,
        tool: Tool,
        spec: JobSpec,
        price: int,
        provider: str | None = None,
    ) -> Job:
        """Charge and start a job whose price the user has already been told.

        Raises InsufficientCredits, writing nothing, when the balance does not cover it.
        """
        job = await self._create(user_id, chat_id, tool, spec, price, provider, reserve=True)
        self.launch(job.id)
        return job

    async def confirm(self, job_id: str, user_id: int) -> Job:
        """Charge a quoted job and start it (raises JobNotQuoted, InsufficientCredits)."""
        job = await self._jobs.reserve(job_id, user_id)
        self.launch(job.id)
        return job

    async def decline(self, job_id: str, user_id: int) -> Job:
        return await self._jobs.decline(job_id, user_id)

    async def _create(
        self,
        user_id: int,
        chat_id: int,
        tool: Tool,
        spec: JobSpec,
        price: int,
        provider: str | None,
        reserve: bool,
    ) -> Job:
        if (tool.kind is ToolKind.GENERATION) != (provider is None):
            raise ValueError(f"{tool.name}: an actor job, and only one, names its provider")
        return await self._jobs.create(
            job_id=uuid.uuid4().hex,
            user_id=user_id,
            chat_id=chat_id,
            tool=tool.name,
            provider=provider or self._provider.name,
            spec=spec.model_dump(mode="json"),
            price=price,
            reserve=reserve,
        )

    def launch(self, job_id: str) -> None:
        """Move a job on in the background, unless this worker already does."""
        if job_id in self._tasks or self._stopping.is_set():
            return
        task = asyncio.create_task(self._drive(job_id), name=f"job-{job_id}")
        self._tasks[job_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job_id, None))

    async def start(self) -> None:
        """Resume every unfinished job now, and keep sweeping for ones whose lease expired."""
        await self.resume()
        self._sweeper = asyncio.create_task(self._sweep(), name="job-sweeper")

    async def resume(self) -> None:
        for job in await self._jobs.unfinished():
            self.launch(job.id)

    async def stop(self) -> None:
        """Stop every job where it stands and give up their leases for the next process."""
        self._stopping.set()
        running = [task for task in (self._sweeper, *self._tasks.values()) if task]
        job_ids = list(self._tasks)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        for job_id in job_ids:
            await self._jobs.release(job_id, self._worker)

    async def wait_idle(self) -> None:
        """Wait until no job task runs (for tests and orderly shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def _sweep(self) -> None:
        while not await self._pause(self._lease_seconds / 2):
            try:
                await self.resume()
            except Exception:
                log.exception("could not look for unfinished jobs")

    async def _pause(self, seconds: float) -> bool:
        """Wait between polls; True when the engine is stopping instead."""
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True

    async def _drive(self, job_id: str) -> None:
        try:
            # The row is read afresh before every step: it, not this task, is the truth.
            # Checking the flag, not only cancelling, matters: wait_for in _pause can swallow
            # a cancellation that arrives together with the stop event.
            while not self._stopping.is_set():
                job = await self._jobs.get(job_id)
                if job is None or job.state not in STEPS:
                    break
                if not await self._jobs.claim(job_id, self._worker, self._lease_seconds):
                    return
                await STEPS[job.state](self, job)
            await self._jobs.release(job_id, self._worker)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The job keeps its recorded state; the sweeper retries it once the lease expires.
            log.exception("job %s stopped by an unexpected error", job_id)

    async def _submit(self, job: Job) -> Job:
        """Hand the job to its provider, idempotently, and record the id to poll it by."""
        tool = TOOLS[job.tool]
        spec = JobSpec.model_validate(job.spec)
        try:
            if job.status_message_id is None:
                text = texts.job_queued(tool.title)
                message_id = await self._courier.post(job.chat_id, text)
                job = await self._jobs.record(
                    job.id, status_message_id=message_id, status_text=text
                )
            remote_id = await self._start(job, tool, spec)
        except TRANSIENT_ERRORS as err:
            give_up_at = datetime.fromisoformat(job.created_at) + tool.deadline
            return await self._retry_later(job, err, give_up_at)
        except (ProviderError, BadRequest, Forbidden) as err:
            if isinstance(err, InsufficientCreditsError) and self._on_out_of_credits:
                await self._on_out_of_credits()
            return await self._fail(job, failure_of(err))
        except JobFailure as failure:
            return await self._fail(job, failure)
        now = datetime.now(UTC)
        return await self._jobs.record(
            job.id,
            state=JobState.SUBMITTED,
            generation_id=remote_id,
            submitted_at=now.isoformat(),
            deadline_at=(now + tool.deadline).isoformat(),
        )

    async def _start(self, job: Job, tool: Tool, spec: JobSpec) -> str:
        """Start the job's work at its provider; returns the id it is polled by."""
        if tool.kind is ToolKind.GENERATION:
            assets = {file.field: await self._asset_id(file) for file in spec.files}
            provider_input = spec.provider_input(tool, assets)
            return (await self._provider.start(tool.name, provider_input, job.id)).id
        provider = self._actor_provider(job)
        if tool.kind is ToolKind.ACTOR_PICTURE:
            picture = PictureInput.model_validate(spec.options)
            generation = await provider.picture(
                picture.model_ref, picture.trigger_word, picture.prompt, job.id
            )
            return generation.id
        assert self._trainings is not None, "actor trainings need a TrainingRecorder"
        await self._trainings.started(job)
        files = [
            TrainingFile(
                data=await self._courier.fetch(file.file_id),
                filename=file.filename,
                kind=file.kind,
            )
            for file in spec.files
        ]
        if tool.kind is ToolKind.LIKENESS:
            likeness = LikenessInput.model_validate(spec.options)
            training = await provider.train_likeness(
                files,
                name=likeness.actor_name,
                trigger_word=likeness.trigger_word,
                idempotency_key=job.id,
            )
        else:
            actor = ActorJobInput.model_validate(spec.options)
            training = await provider.clone_voice(
                files[0], name=actor.actor_name, idempotency_key=job.id
            )
        return training.id

    def _actor_provider(self, job: Job) -> ActorProvider:
        provider = self._actor_providers.get(job.provider)
        if provider is None:
            raise ProviderUnavailableError(f"{job.provider} is not configured")
        return provider

    def _source(self, job: Job) -> GenerationSource:
        """Where a job's generation is polled and fetched."""
        if job.provider == self._provider.name:
            return self._provider
        return self._actor_provider(job)

    async def _asset_id(self, file: FileInput) -> str:
        if file.asset_id is not None:
            return file.asset_id
        assert file.file_id is not None and file.file_unique_id is not None
        cached = await self._assets.get(self._provider.name, file.file_unique_id)
        if cached:
            return cached
        data = await self._courier.fetch(file.file_id)
        asset_id = await self._provider.upload(data, file.kind, file.filename)
        await self._assets.put(self._provider.name, file.file_unique_id, asset_id)
        return asset_id

    async def _retry_later(self, job: Job, err: Exception, give_up_at: datetime) -> Job:
        """Wait out a passing error, unless the job has run out of time."""
        if datetime.now(UTC) > give_up_at:
            log.error("job %s: still failing at its deadline: %r", job.id, err)
            return await self._fail(job, JobFailure(None))
        log.warning("job %s: will retry %s: %r", job.id, job.state, err)
        await self._pause(self._poll_interval)
        return job

    async def _poll(self, job: Job) -> Job:
        """Ask the provider once; on a terminal status, record the outcome."""
        assert job.generation_id and job.deadline_at and job.submitted_at
        tool = TOOLS[job.tool]
        if datetime.now(UTC) > datetime.fromisoformat(job.deadline_at):
            return await self._fail(job, JobFailure(texts.JOB_TIMED_OUT))
        if tool.kind.is_training:
            return await self._poll_training(job, tool)
        try:
            source = self._source(job)
            generation = await source.status(job.generation_id)
            if generation.status.is_terminal and generation.status is not GenerationStatus.FAILED:
                result = await source.result(job.generation_id)
        except TRANSIENT_PROVIDER_ERRORS as err:
            return await self._retry_later(job, err, datetime.fromisoformat(job.deadline_at))
        except ProviderError as err:
            return await self._fail(job, failure_of(err))
        if generation.status is GenerationStatus.FAILED:
            return await self._fail(job, JobFailure(provider_reason(generation.error)))
        if generation.status.is_terminal:
            outputs = [
                JobOutput(url=url, asset_id=output.asset_id)
                for output in result.outputs
                if (url := output.fetch_url)
            ]
            if not outputs:
                return await self._fail(job, JobFailure(provider_reason(generation.error)))
            partial = generation.status is GenerationStatus.PARTIAL
            state = JobState.PARTIAL if partial else JobState.SUCCEEDED
            return await self._jobs.record(
                job.id, state=state, outputs=outputs, error=provider_reason(generation.error)
            )
        elapsed = datetime.now(UTC) - datetime.fromisoformat(job.submitted_at)
        if generation.status is GenerationStatus.QUEUED:
            text = texts.job_queued(tool.title)
        else:
            text = texts.job_processing(tool.title, elapsed)
        job = await self._show(job, text)
        await self._pause(self._poll_interval)
        return job

    async def _poll_training(self, job: Job, tool: Tool) -> Job:
        """Ask how the training goes; keep the actor and the status message up to date."""
        assert job.generation_id and job.deadline_at and self._trainings is not None
        try:
            training = await self._actor_provider(job).training(job.generation_id)
        except TRANSIENT_PROVIDER_ERRORS as err:
            return await self._retry_later(job, err, datetime.fromisoformat(job.deadline_at))
        except ProviderError as err:
            return await self._fail(job, failure_of(err))
        if training.state is TrainingState.FAILED:
            return await self._fail(job, JobFailure(provider_reason(training.error)))
        await self._trainings.progressed(job, training)
        if training.state is TrainingState.TRAINED:
            return await self._jobs.record(
                job.id,
                state=JobState.SUCCEEDED,
                outputs=[JobOutput(url=training.model_ref or training.id)],
            )
        actor = ActorJobInput.model_validate(JobSpec.model_validate(job.spec).options)
        job = await self._show(job, texts.training_status(tool.title, actor.actor_name, training))
        await self._pause(self._poll_interval)
        return job

    async def _deliver(self, job: Job) -> Job:
        """Send the results, settle a partial job, and close the status message."""
        tool = TOOLS[job.tool]
        if tool.kind.is_training:
            return await self._announce_trained(job, tool)
        assert tool.output is not None
        sent = list(job.delivered_message_ids)
        try:
            source = self._source(job)
            for index, output in enumerate(job.outputs, start=1):
                data = await source.download(output.url)
                sent += await self._courier.deliver(
                    job.chat_id, tool.output, data, f"{tool.name}-{job.id[:8]}-{index}"
                )
            card = await self._presenter.present(job) if self._presenter else None
            if card is not None:
                sent.append(await self._courier.post(job.chat_id, card.caption, card.reply_markup))
        except TRANSIENT_ERRORS as err:
            assert job.deadline_at
            return await self._retry_later(job, err, datetime.fromisoformat(job.deadline_at))
        except (ProviderError, OutputTooLarge) as err:
            return await self._fail(job, failure_of(err))
        except Forbidden:
            log.info("job %s: the user blocked the bot; results not delivered", job.id)
        refund = 0
        if job.state is JobState.PARTIAL:
            refund = partial_refund(
                job.price,
                len(job.outputs),
                tool.expected_outputs(JobSpec.model_validate(job.spec).options),
            )
            await self._jobs.refund(job.id, refund, texts.refund_note(tool.title))
        job = await self._show(job, texts.job_done(tool.title, refund))
        job = await self._jobs.record(job.id, state=JobState.DELIVERED, delivered_message_ids=sent)
        if self._on_delivered:
            await self._on_delivered(job)
        return job

    async def _announce_trained(self, job: Job, tool: Tool) -> Job:
        """Close the status message and tell the user what the actor can do now."""
        actor = ActorJobInput.model_validate(JobSpec.model_validate(job.spec).options)
        job = await self._show(job, texts.job_done(tool.title, 0))
        try:
            message_id = await self._courier.post(
                job.chat_id, texts.training_done(tool.kind, actor.actor_name)
            )
        except TRANSIENT_ERRORS as err:
            assert job.deadline_at
            return await self._retry_later(job, err, datetime.fromisoformat(job.deadline_at))
        except Forbidden:
            message_id = None
        job = await self._jobs.record(
            job.id,
            state=JobState.DELIVERED,
            delivered_message_ids=[message_id] if message_id else [],
        )
        if self._on_delivered:
            await self._on_delivered(job)
        return job

    async def _settle_failure(self, job: Job) -> Job:
        """Refund a failed job in full, exactly once, and tell the user why."""
        tool = TOOLS[job.tool]
        if tool.kind.is_training:
            assert self._trainings is not None
            await self._trainings.failed(job)
        await self._jobs.refund(job.id, job.price, texts.refund_note(tool.title))
        job = await self._show(job, texts.job_failed_status(tool.title))
        balance = await self._balance_of(job.user_id)
        try:
            message_id = await self._courier.post(
                job.chat_id, texts.job_failed(tool.title, job.error, job.price, balance)
            )
        except Forbidden:
            message_id = None
        return await self._jobs.record(
            job.id,
            state=JobState.DELIVERED,
            delivered_message_ids=[message_id] if message_id else [],
        )

    async def _fail(self, job: Job, failure: JobFailure) -> Job:
        log.info("job %s failed: %s", job.id, failure)
        return await self._jobs.record(job.id, state=JobState.FAILED, error=failure.reason)

    async def _show(self, job: Job, text: str) -> Job:
        """Edit the job's status message, skipping edits that would change nothing."""
        if job.status_message_id is None or job.status_text == text:
            return job
        try:
            await self._courier.edit(job.chat_id, job.status_message_id, text)
        except TelegramError as err:
            log.warning("job %s: could not update its status message: %r", job.id, err)
            return job
        return await self._jobs.record(job.id, status_text=text)


STEPS: dict[JobState, Callable[[JobEngine, Job], Awaitable[Job]]] = {
    JobState.RESERVED: JobEngine._submit,
    JobState.SUBMITTED: JobEngine._poll,
    JobState.SUCCEEDED: JobEngine._deliver,
    JobState.PARTIAL: JobEngine._deliver,
    JobState.FAILED: JobEngine._settle_failure,
}


def provider_reason(error: str | None) -> str | None:
    """The provider's own words on a failed generation, trimmed for a chat message."""
    if not error:
        return None
    return error if len(error) <= 300 else error[:297] + "..."


def failure_of(err: Exception) -> JobFailure:
    """Map an error once: the user's input problems are explained, the rest is generic."""
    if isinstance(err, ProviderUnavailableError):
        log.warning("job needs a provider that is unavailable: %s", err)
        return JobFailure(texts.PROVIDER_UNAVAILABLE)
    if isinstance(err, ProviderError):
        if err.user_facing:
            return JobFailure(texts.provider_refused_input(provider_reason(str(err))))
        log.error("provider problem the operator should look at: %r", err)
        return JobFailure(None)
    if isinstance(err, OutputTooLarge):
        return JobFailure(texts.RESULT_TOO_LARGE)
    if isinstance(err, BadRequest):
        return JobFailure(texts.INPUT_FILE_UNAVAILABLE)
    if isinstance(err, Forbidden):
        log.info("the user blocked the bot; the job is dropped and refunded")
    return JobFailure(None)
