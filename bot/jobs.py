"""The job engine: quote, reserve, submit, poll, deliver, settle — and resume after a crash.

Each step is recorded in the job's row before the next begins (storage/jobs.py). A worker
claims a job with a lease before moving it, a heartbeat renews the leases of every job it
moves while their steps run, and every write is conditional on still holding the lease, so
a worker that lost a job (to another worker, after its lease ran out) can never write an
older state over a newer one: it stops that job instead.

A worker's id is `<name>/<run>`. At start the engine frees the leases that earlier runs of
its name left behind: the bot runs one process per database, so those runs are gone, and a
restarted bot resumes every unfinished job at once instead of waiting for their leases to
expire. Engines of different names (several workers on one database) wait for each
other's leases to expire instead.

A job's provider traffic goes through `bot.scheduler.traffic.Traffic`: its files are
uploaded together and once (single-flight), its start waits its turn in a queue fair across
users (the status message shows its place in line), and every status poll is made when the
key's poll scheduler gives the job its turn; no job sleeps on its own between polls.

Delivery records every send (an output, an album of outputs, a full-resolution copy, the
result card) with its message ids as soon as Telegram accepts it, so a retry or a restart
never makes a send twice; a crash between Telegram accepting a send and the bot recording
it is the one window in which a send can repeat.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Protocol
from urllib.parse import urlsplit

from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot import texts
from bot.courier import (
    ALBUM_SIZE,
    CAPTION_LIMIT,
    Courier,
    ImageInfo,
    InputFileUnavailable,
    fits_as_photo,
    inspect_image,
    retry_after_seconds,
)
from bot.i18n import SOURCE_LOCALE, set_locale
from bot.pricing import partial_refund
from bot.scheduler.polls import PolledJob, PollScheduler
from bot.scheduler.starts import Place
from bot.scheduler.traffic import Traffic
from bot.status import StatusMessages
from bot.telegram_limits import MessagePriority
from bot.tools import (
    TOOLS,
    ActorJobInput,
    JobSpec,
    LikenessInput,
    OutputKind,
    PictureInput,
    Tool,
    ToolKind,
)
from providers.base import ActorProvider, GenerationProvider, GenerationSource
from providers.errors import (
    APIConnectionError,
    InsufficientCreditsError,
    InternalServerError,
    OutputTooLargeError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitError,
)
from providers.models import GenerationStatus, Training, TrainingFile, TrainingState
from storage.jobs import Job, JobOutput, JobsRepository, JobState, LeaseLost, Reservation

log = logging.getLogger(__name__)

# Errors worth waiting out: the next attempt may well succeed. Telegram's BadRequest is a
# NetworkError too, so PERMANENT_TELEGRAM_ERRORS must be caught before these.
TRANSIENT_PROVIDER_ERRORS = (APIConnectionError, InternalServerError, RateLimitError)
TRANSIENT_ERRORS = (*TRANSIENT_PROVIDER_ERRORS, NetworkError, RetryAfter)
PERMANENT_TELEGRAM_ERRORS = (BadRequest, Forbidden)

WORKER_NAME = "castbot"
"""The default worker name: every run of the bot on one database is the same worker."""
DELIVERY_GRACE = timedelta(hours=1)
"""How long past its deadline a finished result is still offered to a Telegram that fails."""


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


class Settlement(Protocol):
    """What a finished job cost in the end, for a job charged the most it could cost."""

    async def overcharged(self, job: Job) -> int:
        """Credits charged beyond what the job cost (0: none, or not known); raises a
        passing provider error when the provider cannot tell now."""
        ...


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
        provider: GenerationProvider,
        courier: Courier,
        *,
        traffic: Traffic,
        balance_of: Callable[[int], Awaitable[int]],
        retry_interval: float,
        lease_seconds: float = 30.0,
        max_jobs_per_user: int = 3,
        worker_name: str = WORKER_NAME,
        actor_providers: Mapping[str, ActorProvider] | None = None,
        trainings: TrainingRecorder | None = None,
        on_delivered: Callable[[Job], Awaitable[None]] | None = None,
        on_out_of_credits: Callable[[], Awaitable[None]] | None = None,
        presenter: ResultPresenter | None = None,
        locale_of: Callable[[int], Awaitable[str]] | None = None,
        settlement: Settlement | None = None,
    ) -> None:
        self._jobs = jobs
        self._provider = provider
        self._traffic = traffic
        """Uploads, starts and polls go through it; the engine closes it when it stops."""
        self._actor_providers = dict(actor_providers or {})
        """Actor jobs name theirs in `job.provider`; one no longer configured fails them."""
        self._trainings = trainings
        self._courier = courier
        self._status = StatusMessages(courier, self._record_status)
        self._balance_of = balance_of
        self._retry_interval = retry_interval
        """Seconds before a step that hit a passing error is tried again."""
        self._lease_seconds = lease_seconds
        self._max_jobs_per_user = max_jobs_per_user
        self._on_delivered = on_delivered
        """Called once a job's results reached the user (referral rewards hang on it)."""
        self._on_out_of_credits = on_out_of_credits
        """Called when the provider refuses a job for lack of the operator's credits."""
        self._presenter = presenter
        self._locale_of = locale_of
        """The language of a user (by id): a job's texts are written in its user's."""
        self._settlement = settlement
        """Gives back what a job charged its most cost less (a linked video's length)."""
        self._worker_name = worker_name
        self._worker = f"{worker_name}/{uuid.uuid4().hex[:12]}"
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._held: set[str] = set()
        """Jobs whose lease this worker holds now; the heartbeat renews them."""
        self._background: list[asyncio.Task[None]] = []
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

        Raises, writing nothing: InsufficientCredits when the balance does not cover it,
        TooManyJobs when the user has `max_jobs_per_user` unfinished jobs, ConflictingJob
        when the same exclusive work (an actor's training) is under way.
        """
        job = await self._create(user_id, chat_id, tool, spec, price, provider, reserve=True)
        log.info("job %s ordered: tool %s, %d credits", job.id, job.tool, job.price)
        self.launch(job.id)
        return job

    async def confirm(self, job_id: str, user_id: int) -> Job:
        """Charge a quoted job and start it (raises JobNotQuoted, KeyError for no such job,
        and what `order` raises)."""
        quoted = await self._jobs.get(job_id)
        if quoted is None:
            raise KeyError(job_id)
        job = await self._jobs.reserve(job_id, user_id, self._reservation(TOOLS[quoted.tool]))
        log.info("job %s ordered: tool %s, %d credits", job.id, job.tool, job.price)
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
            exclusive_key=exclusive_key(tool, spec),
            reservation=self._reservation(tool) if reserve else None,
        )

    def _reservation(self, tool: Tool) -> Reservation:
        return Reservation(deadline=tool.deadline, max_unfinished=self._max_jobs_per_user)

    def launch(self, job_id: str) -> None:
        """Move a job on in the background, unless this worker already does."""
        if job_id in self._tasks or self._stopping.is_set():
            return
        task = asyncio.create_task(self._drive(job_id), name=f"job-{job_id}")
        self._tasks[job_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job_id, None))

    async def start(self) -> None:
        """Take back what earlier runs left, resume every unfinished job now, and keep the
        leases alive and the sweep for jobs whose lease expired going."""
        freed = await self._jobs.release_predecessors(f"{self._worker_name}/", self._worker)
        if freed:
            log.info("took back %d unfinished jobs from an earlier run", freed)
        await self.resume()
        self._background = [
            asyncio.create_task(self._sweep(), name="job-sweeper"),
            asyncio.create_task(self._heartbeat(), name="job-heartbeat"),
        ]

    async def resume(self) -> None:
        """Launch every unfinished job that no live worker holds."""
        for job_id in await self._jobs.claimable():
            self.launch(job_id)

    async def stop(self) -> None:
        """Stop every job where it stands and give up their leases for the next process."""
        self._stopping.set()
        held = set(self._held)
        running = [*self._background, *self._tasks.values()]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        for job_id in held:
            await self._jobs.release(job_id, self._worker)
        await self._status.aclose()
        await self._traffic.aclose()

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

    async def _heartbeat(self) -> None:
        """Renew the leases of the jobs this worker moves, so a long step never outlasts its
        lease; a job whose lease another worker took over is stopped here."""
        while not await self._pause(self._lease_seconds / 3):
            held = set(self._held)
            if not held:
                continue
            try:
                kept = await self._jobs.renew(self._worker, held, self._lease_seconds)
            except Exception:
                log.exception("could not renew the leases of running jobs")
                continue
            for job_id in held - kept:
                task = self._tasks.get(job_id)
                if job_id in self._held and task is not None:
                    log.warning("job %s: another worker took it over; stopping it here", job_id)
                    task.cancel()

    async def _pause(self, seconds: float) -> bool:
        """Wait `seconds`; True when the engine is stopping instead."""
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
                self._held.add(job_id)
                # The task runs for a job, whoever launched it: it speaks its user's language.
                set_locale(
                    await self._locale_of(job.user_id) if self._locale_of else SOURCE_LOCALE
                )
                await STEPS[job.state](self, job)
            await self._jobs.release(job_id, self._worker)
        except LeaseLost:
            log.warning("job %s: another worker took it over; this one leaves it", job_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The job keeps its recorded state and this worker's lease, no longer renewed:
            # the sweep retries it once the lease has expired.
            log.exception("job %s stopped by an unexpected error", job_id)
        finally:
            self._held.discard(job_id)
            self._status.forget(job_id)
            for polls in self._traffic.polls.values():
                polls.forget(job_id)

    async def _record(self, job: Job, **step: object) -> Job:
        return await self._jobs.record(job.id, self._worker, **step)

    async def _record_status(self, job_id: str, text: str) -> None:
        await self._jobs.record(job_id, self._worker, status_text=text)

    async def _record_sent(self, job: Job, sent: dict[str, list[int]]) -> Job:
        return await self._jobs.record_sent(job.id, self._worker, sent)

    def _deadline(self, job: Job) -> datetime:
        """When the job's result must be in: the tool's deadline, counted from the charge."""
        assert job.deadline_at, "a charged job has a deadline"
        return datetime.fromisoformat(job.deadline_at)

    async def _submit(self, job: Job) -> Job:
        """Hand the job to its provider, idempotently, and record the id to poll it by."""
        tool = TOOLS[job.tool]
        spec = JobSpec.model_validate(job.spec)
        try:
            if job.status_message_id is None:
                text = submitting_text(tool, spec)
                message_id = await self._courier.post(
                    job.chat_id, text, priority=MessagePriority.NORMAL
                )
                job = await self._record(job, status_message_id=message_id, status_text=text)
            generation_id = await self._start(job, tool, spec)
        except InputFileUnavailable as err:
            log.info("job %s: Telegram no longer gives out an input: %s", job.id, err)
            return await self._fail(job, JobFailure(texts.INPUT_FILE_UNAVAILABLE))
        except PERMANENT_TELEGRAM_ERRORS as err:
            return await self._fail(job, failure_of(err))
        except TRANSIENT_ERRORS as err:
            return await self._retry_or_fail(job, err, self._deadline(job))
        except ProviderError as err:
            if isinstance(err, InsufficientCreditsError) and self._on_out_of_credits:
                await self._on_out_of_credits()
            return await self._fail(job, failure_of(err))
        except JobFailure as failure:
            return await self._fail(job, failure)
        job = await self._record(
            job,
            state=JobState.SUBMITTED,
            generation_id=generation_id,
            submitted_at=datetime.now(UTC).isoformat(),
        )
        log.info("job %s started: tool %s at %s", job.id, job.tool, job.provider)
        # A place in line shown while the job waited gives way to where it stands now; the
        # first poll comes when the scheduler expects news (the start answered the status).
        self._show(job, waiting_text(tool, GenerationStatus.QUEUED, timedelta()))
        return job

    async def _start(self, job: Job, tool: Tool, spec: JobSpec) -> str:
        """Start the job's work at its provider; returns what the work is polled by."""
        if tool.kind is ToolKind.GENERATION:
            return await self._start_generation(job, tool, spec)
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

    async def _start_generation(self, job: Job, tool: Tool, spec: JobSpec) -> str:
        """Upload the job's files together, then start it in its turn, showing its place in
        line while it waits."""
        assets = await self._traffic.uploads.asset_ids(spec.files)

        async def show_place(place: Place) -> None:
            wait = timedelta(seconds=place.wait_seconds)
            self._show(job, texts.job_in_line(tool.title, place.position, wait))

        async with self._traffic.starts.turn(job.id, job.user_id, on_place=show_place):
            # A long line (or a long stop) can outlast the deadline: started now, the work
            # would be paid at the provider and then timed out at its first poll.
            if datetime.now(UTC) >= self._deadline(job):
                raise JobFailure(texts.JOB_TIMED_OUT)
            generation = await self._provider.start(
                tool.name, spec.provider_input(tool, assets), job.id
            )
        return generation.id

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

    @staticmethod
    def _out_of_time(job: Job, err: Exception, give_up_at: datetime) -> bool:
        if datetime.now(UTC) > give_up_at:
            log.error("job %s: still failing at its deadline: %r", job.id, err)
            return True
        return False

    async def _wait_out(self, job: Job, err: Exception, give_up_at: datetime) -> bool:
        """Wait before a step that hit a passing error is tried again (as long as Telegram
        asks, for a 429); False, without waiting, when the job has run out of time."""
        if self._out_of_time(job, err, give_up_at):
            return False
        delay = retry_after_seconds(err) if isinstance(err, RetryAfter) else self._retry_interval
        log.warning("job %s: will retry %s in %.1fs: %r", job.id, job.state, delay, err)
        await self._pause(delay)
        # Out of time while waiting: the error, not the clock, is why the job failed.
        return not self._out_of_time(job, err, give_up_at)

    async def _retry_or_fail(self, job: Job, err: Exception, give_up_at: datetime) -> Job:
        if await self._wait_out(job, err, give_up_at):
            return job
        return await self._fail(job, JobFailure(None))

    async def _poll(self, job: Job) -> Job:
        """Ask the provider once, when the key's poll scheduler gives the job its turn; on a
        terminal status, record the outcome. A job is timed out only by a poll made at or
        after its deadline that found it unfinished."""
        assert job.generation_id
        tool = TOOLS[job.tool]
        generation_id = job.generation_id
        try:
            source = self._source(job)
        except ProviderUnavailableError as err:
            return await self._fail(job, failure_of(err))
        polls = self._traffic.polls[source.name]
        if tool.kind.is_training:
            return await self._poll_training(job, tool, polls)
        polled = self._polled(job)
        try:
            outcome = await polls.poll(polled, lambda: source.status(generation_id))
            generation = outcome.status
            if generation.status.is_terminal and generation.status is not GenerationStatus.FAILED:
                result = await source.result(generation_id)
        except TRANSIENT_PROVIDER_ERRORS as err:
            return await self._poll_missed(job, err)
        except ProviderError as err:
            return await self._fail(job, failure_of(err))
        if generation.status.is_terminal:
            await polls.finished(job.id, learn=generation.status is not GenerationStatus.FAILED)
        if generation.status is GenerationStatus.FAILED:
            return await self._fail(job, JobFailure(provider_reason(generation.error)))
        if generation.status.is_terminal:
            outputs = [
                JobOutput(url=url, asset_id=output.asset_id, link=public_link(output.url))
                for output in result.outputs
                if (url := output.fetch_url)
            ]
            if not outputs:
                return await self._fail(job, JobFailure(provider_reason(generation.error)))
            partial = generation.status is GenerationStatus.PARTIAL
            state = JobState.PARTIAL if partial else JobState.SUCCEEDED
            job = await self._record(
                job, state=state, outputs=outputs, error=provider_reason(generation.error)
            )
            log.info(
                "job %s finished: tool %s, %s, %d outputs",
                job.id,
                job.tool,
                generation.status,
                len(outputs),
            )
            return job
        if outcome.past_deadline:
            return await self._fail(job, JobFailure(texts.JOB_TIMED_OUT))
        elapsed = timedelta(seconds=outcome.polled_at - polled.submitted_at)
        self._show(job, waiting_text(tool, generation.status, elapsed))
        return job

    async def _poll_training(self, job: Job, tool: Tool, polls: PollScheduler) -> Job:
        """Ask how the training goes, in its turn; keep the actor and the status message up
        to date."""
        assert job.generation_id and self._trainings is not None
        provider = self._actor_provider(job)
        training_id = job.generation_id
        try:
            outcome = await polls.poll(self._polled(job), lambda: provider.training(training_id))
        except TRANSIENT_PROVIDER_ERRORS as err:
            return await self._poll_missed(job, err)
        except ProviderError as err:
            return await self._fail(job, failure_of(err))
        training = outcome.status
        if training.state.is_terminal:
            await polls.finished(job.id, learn=training.state is TrainingState.TRAINED)
        if training.state is TrainingState.FAILED:
            return await self._fail(job, JobFailure(provider_reason(training.error)))
        await self._trainings.progressed(job, training)
        if training.state is TrainingState.TRAINED:
            job = await self._record(
                job,
                state=JobState.SUCCEEDED,
                outputs=[JobOutput(url=training.model_ref or training.id)],
            )
            log.info("job %s finished: tool %s, trained", job.id, job.tool)
            return job
        if outcome.past_deadline:
            return await self._fail(job, JobFailure(texts.JOB_TIMED_OUT))
        actor = ActorJobInput.model_validate(JobSpec.model_validate(job.spec).options)
        self._show(job, texts.training_status(tool.title, actor.actor_name, training))
        return job

    def _polled(self, job: Job) -> PolledJob:
        """The job as its poll scheduler knows it: durations are learned per tool and model."""
        assert job.submitted_at
        model = JobSpec.model_validate(job.spec).options.get("model", "")
        return PolledJob(
            job.id,
            job.tool,
            str(model),
            datetime.fromisoformat(job.submitted_at).timestamp(),
            self._deadline(job).timestamp(),
        )

    async def _poll_missed(self, job: Job, err: Exception) -> Job:
        """A poll that hit a passing error: the scheduler gives the job another turn (no
        sooner than its floor), unless the job has run out of time."""
        if self._out_of_time(job, err, self._deadline(job)):
            return await self._fail(job, JobFailure(None))
        log.warning("job %s: a poll failed; it is polled again later: %r", job.id, err)
        return job

    async def _deliver(self, job: Job) -> Job:
        """Send the results, settle a partial job, and close the status message."""
        tool = TOOLS[job.tool]
        if tool.kind.is_training:
            return await self._announce_trained(job, tool)
        try:
            card = None
            if self._presenter is not None and "card" not in job.deliveries:
                card = await self._presenter.present(job)
            with tempfile.TemporaryDirectory(prefix="castbot-") as folder:
                delivery = _Delivery(
                    job,
                    tool,
                    Path(folder),
                    source=self._source(job),
                    courier=self._courier,
                    card=card,
                    record=self._record_sent,
                )
                job = await delivery.run()
        except Forbidden:
            return await self._settle(job, tool, unreachable=True)
        except BadRequest as err:
            log.warning("job %s: Telegram refused the result: %s", job.id, err.message)
            return await self._fail(job, JobFailure(texts.RESULT_UNDELIVERABLE))
        except TRANSIENT_ERRORS as err:
            return await self._retry_or_fail(job, err, self._deadline(job) + DELIVERY_GRACE)
        except ProviderError as err:
            return await self._fail(job, failure_of(err))
        except JobFailure as failure:
            return await self._fail(job, failure)
        return await self._settle(job, tool, unreachable=False)

    async def _announce_trained(self, job: Job, tool: Tool) -> Job:
        """Close the status message and tell the user what the actor can do now."""
        actor = ActorJobInput.model_validate(JobSpec.model_validate(job.spec).options)
        self._show(job, texts.job_done(tool.title, 0))
        try:
            job = await self._post_once(
                job, "done", texts.training_done(tool.kind, actor.actor_name)
            )
        except Forbidden:
            return await self._settle(job, tool, unreachable=True)
        except BadRequest as err:
            log.warning("job %s: Telegram refused the announcement: %s", job.id, err.message)
        except TRANSIENT_ERRORS as err:
            if await self._wait_out(job, err, self._deadline(job) + DELIVERY_GRACE):
                return job
        return await self._settle(job, tool, unreachable=False)

    async def _settle(self, job: Job, tool: Tool, *, unreachable: bool) -> Job:
        """Refund what a partial job did not produce, close the status message, and mark
        the job delivered (to nobody when the user blocked the bot: the work was done)."""
        refund = 0
        if job.state is JobState.PARTIAL:
            expected = tool.expected_outputs(JobSpec.model_validate(job.spec).options)
            refund = partial_refund(job.price, len(job.outputs), expected)
            await self._refund(job, refund, texts.refund_note(tool.title))
        done = texts.job_done(tool.title, refund)
        if self._settlement is not None and not refund:
            overcharge = await self._overcharge(job)
            if overcharge is None:
                return job
            if overcharge:
                await self._refund(job, overcharge, texts.overcharge_note(tool.title))
                done = texts.job_done_overcharged(tool.title, overcharge)
        if not unreachable:
            self._show(job, done)
        job = await self._jobs.finish(job.id, self._worker, unreachable=unreachable)
        if unreachable:
            log.info(
                "job %s delivered to nobody: tool %s; the user blocked the bot", job.id, job.tool
            )
        else:
            sent = sum(len(message_ids) for message_ids in job.deliveries.values())
            log.info("job %s delivered: tool %s, %d messages", job.id, job.tool, sent)
        if self._on_delivered:
            await self._on_delivered(job)
        return job

    async def _overcharge(self, job: Job) -> int | None:
        """What the provider's real charge leaves to refund of a job charged its most; 0 when
        that cannot be known by the job's deadline, None when the bot stops meanwhile.

        Passing errors are waited out here, not by going back to the delivery step: a user
        who blocked the bot would make that step download the results again each time."""
        assert self._settlement is not None
        while True:
            try:
                return await self._settlement.overcharged(job)
            except TRANSIENT_PROVIDER_ERRORS as err:
                if not await self._wait_out(job, err, self._deadline(job) + DELIVERY_GRACE):
                    return 0
                if self._stopping.is_set():
                    return None

    async def _settle_failure(self, job: Job) -> Job:
        """Refund a failed job in full, exactly once, and tell the user why."""
        tool = TOOLS[job.tool]
        if tool.kind.is_training:
            assert self._trainings is not None
            await self._trainings.failed(job)
        await self._refund(job, job.price, texts.refund_note(tool.title))
        self._show(job, texts.job_failed_status(tool.title))
        balance = await self._balance_of(job.user_id)
        notice = texts.job_failed(tool.title, job.error, job.price, balance)
        unreachable = False
        try:
            job = await self._post_once(job, "failure", notice)
        except Forbidden:
            unreachable = True
        except BadRequest as err:
            log.warning("job %s: Telegram refused the failure notice: %s", job.id, err.message)
        except TRANSIENT_ERRORS as err:
            if await self._wait_out(job, err, self._deadline(job) + DELIVERY_GRACE):
                return job
        return await self._jobs.finish(job.id, self._worker, unreachable=unreachable)

    async def _post_once(self, job: Job, key: str, text: str) -> Job:
        """Send a message of the job's delivery unless it was sent already."""
        if key in job.deliveries:
            return job
        message_id = await self._courier.post(job.chat_id, text)
        return await self._record_sent(job, {key: [message_id]})

    async def _fail(self, job: Job, failure: JobFailure) -> Job:
        job = await self._record(job, state=JobState.FAILED, error=failure.reason)
        log.info("job %s failed: tool %s", job.id, job.tool)
        log.debug("job %s failure shown to the user: %s", job.id, failure)
        return job

    async def _refund(self, job: Job, amount: int, note: str) -> None:
        if await self._jobs.refund(job.id, self._worker, amount, note):
            log.info("job %s refunded: tool %s, %d credits", job.id, job.tool, amount)

    def _show(self, job: Job, text: str) -> None:
        """Have the job's status message show `text`; the edit never holds up the job."""
        self._status.show(job, text)


STEPS: dict[JobState, Callable[[JobEngine, Job], Awaitable[Job]]] = {
    JobState.RESERVED: JobEngine._submit,
    JobState.SUBMITTED: JobEngine._poll,
    JobState.SUCCEEDED: JobEngine._deliver,
    JobState.PARTIAL: JobEngine._deliver,
    JobState.FAILED: JobEngine._settle_failure,
}


class _Form(StrEnum):
    """How one output goes to Telegram."""

    PHOTO = "photo"
    VIDEO = "video"
    DOCUMENT = "document"
    LINK = "link"
    """A message with the provider's download link."""


@dataclass(frozen=True)
class _Output:
    """One output of a job, downloaded for sending (or too large to send)."""

    index: int
    path: Path | None
    """The file on disk; None when it is over Telegram's upload limit."""
    filename: str
    link: str | None
    as_photo: bool
    """Whether Telegram shows it as a photo (size, dimensions)."""


class _Delivery:
    """One attempt at sending a finished job's outputs.

    Photos go as albums of up to 10, a photo Telegram cannot take as one goes as a
    document, and a result Telegram refuses goes in the next form that may work: a photo
    or video as a document, then the provider's link. Each send is recorded as soon as it
    is made (an album records all its outputs at once) and none already recorded is made
    again. A single output carries the result card; several are followed by it.
    """

    def __init__(
        self,
        job: Job,
        tool: Tool,
        folder: Path,
        *,
        source: GenerationSource,
        courier: Courier,
        card: ResultCard | None,
        record: Callable[[Job, dict[str, list[int]]], Awaitable[Job]],
    ) -> None:
        assert tool.output is not None
        self.job = job
        self._tool = tool
        self._kind = tool.output
        self._folder = folder
        self._source = source
        self._courier = courier
        self._card = card
        self._record = record

    async def run(self) -> Job:
        single = len(self.job.outputs) == 1
        album: list[_Output] = []
        for index, output in enumerate(self.job.outputs):
            copy_pending = self._copy_key(index) not in self.job.deliveries
            if str(index) in self.job.deliveries:
                if self._tool.photo_also_as_file and copy_pending:
                    await self._send_copy(await self._fetch(index, output))
                continue
            item = await self._fetch(index, output)
            if self._kind is OutputKind.PHOTO and item.as_photo and not single:
                album.append(item)
                if len(album) == ALBUM_SIZE:
                    await self._send_album(album)
                    album = []
                continue
            await self._send_album(album)
            album = []
            await self._send(item, self._card if single else None)
        await self._send_album(album)
        if self._card is not None and "card" not in self.job.deliveries:
            await self._send_card(self._card)
        return self.job

    async def _send_card(self, card: ResultCard) -> None:
        try:
            message_id = await self._courier.post(
                self.job.chat_id, card.caption, card.reply_markup
            )
        except BadRequest as err:
            # The results arrived; a card Telegram refuses does not undo them.
            log.warning("job %s: Telegram refused the result card: %s", self.job.id, err.message)
            await self._sent({"card": []})
            return
        await self._sent({"card": [message_id]})

    async def _fetch(self, index: int, output: JobOutput) -> _Output:
        path = self._folder / str(index)
        stem = f"{self._tool.name}-{self.job.id[:8]}-{index + 1}"
        try:
            with path.open("wb") as file:
                size = await self._source.download(output.url, file, self._courier.upload_limit)
        except OutputTooLargeError as err:
            if output.link is None:
                raise JobFailure(texts.RESULT_TOO_LARGE) from err
            log.info(
                "job %s: output %d is too large for Telegram; its link goes", self.job.id, index
            )
            return _Output(index, None, stem, output.link, as_photo=False)
        image = inspect_image(path) if self._kind is not OutputKind.VIDEO else None
        return _Output(
            index,
            path,
            f"{stem}.{_extension(self._kind, image, output.url)}",
            output.link,
            as_photo=self._kind is OutputKind.PHOTO and fits_as_photo(image, size),
        )

    async def _send_album(self, items: list[_Output]) -> None:
        if len(items) < 2:
            for item in items:
                await self._send(item, None)
            return
        files = [(item.path, item.filename) for item in items if item.path is not None]
        try:
            message_ids = await self._courier.send_album(self.job.chat_id, files)
        except BadRequest as err:
            log.warning(
                "job %s: Telegram refused an album (%s); sending it photo by photo",
                self.job.id,
                err.message,
            )
            for item in items:
                await self._send(item, None)
            return
        await self._sent(
            {
                str(item.index): [message_id]
                for item, message_id in zip(items, message_ids, strict=True)
            }
        )
        for item in items:
            await self._send_copy(item)

    async def _send(self, item: _Output, card: ResultCard | None) -> None:
        """Send one output in the first form Telegram takes; the card rides on a media
        message when its caption fits."""
        if card is not None and len(card.caption) > CAPTION_LIMIT:
            card = None  # sent as its own message after the outputs
        attempts: list[tuple[_Form, ResultCard | None]] = [
            (form, card) for form in self._forms(item)
        ]
        if card is not None:
            # A card Telegram refuses (its buttons, say) must not cost the output its form.
            attempts.insert(1, (attempts[0][0], None))
        for number, (form, card) in enumerate(attempts, start=1):
            try:
                message_id = await self._send_as(form, item, card)
                break
            except BadRequest as err:
                if number == len(attempts):
                    raise
                log.warning(
                    "job %s: Telegram refused output %d as a %s (%s); trying otherwise",
                    self.job.id,
                    item.index,
                    form,
                    err.message,
                )
        sent = {str(item.index): [message_id]}
        if card is not None and form is not _Form.LINK:
            sent["card"] = [message_id]
        if self._tool.photo_also_as_file and form is not _Form.PHOTO:
            sent[self._copy_key(item.index)] = []  # only a photo comes with a copy
        await self._sent(sent)
        if form is _Form.PHOTO:
            await self._send_copy(item)

    def _forms(self, item: _Output) -> list[_Form]:
        """The forms to try, best first."""
        forms = []
        if item.path is not None:
            if item.as_photo:
                forms.append(_Form.PHOTO)
            elif self._kind is OutputKind.VIDEO:
                forms.append(_Form.VIDEO)
            forms.append(_Form.DOCUMENT)
        if item.link is not None:
            forms.append(_Form.LINK)
        return forms

    async def _send_as(self, form: _Form, item: _Output, card: ResultCard | None) -> int:
        chat_id = self.job.chat_id
        if form is _Form.LINK:
            assert item.link is not None
            if item.path is None:
                text = texts.result_link(self._tool.title, item.link)
            else:
                text = texts.result_refused_link(self._tool.title, item.link)
            return await self._courier.post(chat_id, text)
        assert item.path is not None
        send = {
            _Form.PHOTO: self._courier.send_photo,
            _Form.VIDEO: self._courier.send_video,
            _Form.DOCUMENT: self._courier.send_document,
        }[form]
        caption, markup = (card.caption, card.reply_markup) if card else (None, None)
        return await send(chat_id, item.path, item.filename, caption, markup)

    async def _send_copy(self, item: _Output) -> None:
        """The full-resolution file of a photo, for tools that send one."""
        key = self._copy_key(item.index)
        if not self._tool.photo_also_as_file or key in self.job.deliveries:
            return
        assert item.path is not None
        try:
            message_id = await self._courier.send_document(
                self.job.chat_id, item.path, item.filename
            )
        except BadRequest as err:
            # The photo arrived; the copy is a nicety Telegram would not take.
            log.warning(
                "job %s: Telegram refused the file copy of output %d: %s",
                self.job.id,
                item.index,
                err.message,
            )
            await self._sent({key: []})
            return
        await self._sent({key: [message_id]})

    @staticmethod
    def _copy_key(index: int) -> str:
        return f"{index}:file"

    async def _sent(self, sent: dict[str, list[int]]) -> None:
        self.job = await self._record(self.job, sent)


def submitting_text(tool: Tool, spec: JobSpec) -> str:
    """The status message of a job being handed to its provider: a video tool's inputs (up
    to 50 MB) take a while to send."""
    if tool.output is OutputKind.VIDEO and any(file.file_id for file in spec.files):
        return texts.video_sending(tool.title)
    return texts.job_queued(tool.title)


def waiting_text(tool: Tool, status: GenerationStatus, elapsed: timedelta) -> str:
    """The status message of a running job; a video's says what the AI service is doing,
    since it takes minutes."""
    video = tool.output is OutputKind.VIDEO
    if status is GenerationStatus.QUEUED:
        return texts.video_queued(tool.title) if video else texts.job_queued(tool.title)
    if video:
        return texts.video_processing(tool.title, elapsed)
    return texts.job_processing(tool.title, elapsed)


def exclusive_key(tool: Tool, spec: JobSpec) -> str | None:
    """Work only one unfinished job may do at a time: an actor's training of each kind."""
    if not tool.kind.is_training:
        return None
    return f"{tool.name}:{ActorJobInput.model_validate(spec.options).actor_id}"


def public_link(url: str | None) -> str | None:
    """An output URL a user can open, to be given out when the file is too large."""
    return url if url and url.startswith(("https://", "http://")) else None


def _extension(kind: OutputKind, image: ImageInfo | None, url: str) -> str:
    if image is not None:
        return image.extension
    if kind is OutputKind.VIDEO:
        return "mp4"
    return PurePosixPath(urlsplit(url).path).suffix.lstrip(".") or "bin"


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
    if isinstance(err, Forbidden):
        log.info("the user blocked the bot; the job is dropped and refunded")
    elif isinstance(err, BadRequest):
        log.warning("Telegram refused a message of the job: %s", err.message)
    return JobFailure(None)
