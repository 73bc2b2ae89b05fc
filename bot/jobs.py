"""The job engine: quote, reserve, submit, poll, deliver, settle — and resume after a crash.

Each step is recorded in the job's row before the next begins (storage/jobs.py), and a
worker holds a lease on a job while it moves it, so a restarted process picks every
unfinished job up where it stopped, and two processes never run the same step.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot import texts
from bot.courier import Courier, OutputTooLarge
from bot.pricing import partial_refund
from bot.tools import TOOLS, FileInput, JobSpec, Tool
from providers.base import GenerationProvider
from providers.errors import (
    APIConnectionError,
    InsufficientCreditsError,
    InternalServerError,
    ProviderError,
    RateLimitError,
)
from providers.models import GenerationStatus
from storage.assets import AssetCache
from storage.jobs import Job, JobsRepository, JobState

log = logging.getLogger(__name__)

# Errors worth waiting out: the next attempt may well succeed.
TRANSIENT_PROVIDER_ERRORS = (APIConnectionError, InternalServerError, RateLimitError)
TRANSIENT_ERRORS = (*TRANSIENT_PROVIDER_ERRORS, NetworkError, RetryAfter)


class JobFailure(Exception):
    """Ends a job as failed; `reason` is safe to show the user, or None for a generic one."""

    def __init__(self, reason: str | None) -> None:
        super().__init__(reason or "failed")
        self.reason = reason


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
        on_delivered: Callable[[Job], Awaitable[None]] | None = None,
        on_out_of_credits: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._jobs = jobs
        self._assets = assets
        self._provider = provider
        self._courier = courier
        self._balance_of = balance_of
        self._poll_interval = poll_interval
        self._lease_seconds = lease_seconds
        self._on_delivered = on_delivered
        """Called once a job's results reached the user (referral rewards hang on it)."""
        self._on_out_of_credits = on_out_of_credits
        """Called when the provider refuses a job for lack of the operator's credits."""
        self._worker = uuid.uuid4().hex
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @property
    def provider(self) -> GenerationProvider:
        return self._provider

    async def quote(
        self, *, user_id: int, chat_id: int, tool: Tool, spec: JobSpec, price: int
    ) -> Job:
        """Save the inputs and the price; nothing is charged until the user confirms."""
        return await self._create(user_id, chat_id, tool, spec, price, reserve=False)

    async def order(
        self, *, user_id: int, chat_id: int, tool: Tool, spec: JobSpec, price: int
    ) -> Job:
        """Charge and start a job whose price the user has already been told.

        Raises InsufficientCredits, writing nothing, when the balance does not cover it.
        """
        job = await self._create(user_id, chat_id, tool, spec, price, reserve=True)
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
        self, user_id: int, chat_id: int, tool: Tool, spec: JobSpec, price: int, reserve: bool
    ) -> Job:
        return await self._jobs.create(
            job_id=uuid.uuid4().hex,
            user_id=user_id,
            chat_id=chat_id,
            tool=tool.name,
            provider=self._provider.name,
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
        """Upload the inputs (once per file) and start the generation, idempotently."""
        tool = TOOLS[job.tool]
        spec = JobSpec.model_validate(job.spec)
        try:
            if job.status_message_id is None:
                text = texts.job_queued(tool.title)
                message_id = await self._courier.post(job.chat_id, text)
                job = await self._jobs.record(
                    job.id, status_message_id=message_id, status_text=text
                )
            assets = {file.field: await self._asset_id(file) for file in spec.files}
            provider_input = spec.provider_input(tool, assets)
            generation = await self._provider.start(tool.name, provider_input, job.id)
        except TRANSIENT_ERRORS as err:
            give_up_at = datetime.fromisoformat(job.created_at) + tool.deadline
            return await self._retry_later(job, err, give_up_at)
        except (ProviderError, BadRequest, Forbidden) as err:
            if isinstance(err, InsufficientCreditsError) and self._on_out_of_credits:
                await self._on_out_of_credits()
            return await self._fail(job, failure_of(err))
        now = datetime.now(UTC)
        return await self._jobs.record(
            job.id,
            state=JobState.SUBMITTED,
            generation_id=generation.id,
            submitted_at=now.isoformat(),
            deadline_at=(now + tool.deadline).isoformat(),
        )

    async def _asset_id(self, file: FileInput) -> str:
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
        try:
            generation = await self._provider.status(job.generation_id)
            if generation.status.is_terminal and generation.status is not GenerationStatus.FAILED:
                result = await self._provider.result(job.generation_id)
        except TRANSIENT_PROVIDER_ERRORS as err:
            return await self._retry_later(job, err, datetime.fromisoformat(job.deadline_at))
        except ProviderError as err:
            return await self._fail(job, failure_of(err))
        if generation.status is GenerationStatus.FAILED:
            return await self._fail(job, JobFailure(provider_reason(generation.error)))
        if generation.status.is_terminal:
            outputs = [url for output in result.outputs if (url := output.fetch_url)]
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

    async def _deliver(self, job: Job) -> Job:
        """Send the results, settle a partial job, and close the status message."""
        tool = TOOLS[job.tool]
        sent = list(job.delivered_message_ids)
        try:
            for index, url in enumerate(job.outputs, start=1):
                data = await self._provider.download(url)
                sent += await self._courier.deliver(
                    job.chat_id, tool.output, data, f"{tool.name}-{job.id[:8]}-{index}"
                )
        except TRANSIENT_ERRORS as err:
            assert job.deadline_at
            return await self._retry_later(job, err, datetime.fromisoformat(job.deadline_at))
        except (ProviderError, OutputTooLarge) as err:
            return await self._fail(job, failure_of(err))
        except Forbidden:
            log.info("job %s: the user blocked the bot; results not delivered", job.id)
        refund = 0
        if job.state is JobState.PARTIAL:
            refund = partial_refund(job.price, len(job.outputs), tool.expected_outputs)
            await self._jobs.refund(job.id, refund, texts.refund_note(tool.title))
        job = await self._show(job, texts.job_done(tool.title, refund))
        job = await self._jobs.record(job.id, state=JobState.DELIVERED, delivered_message_ids=sent)
        if self._on_delivered:
            await self._on_delivered(job)
        return job

    async def _settle_failure(self, job: Job) -> Job:
        """Refund a failed job in full, exactly once, and tell the user why."""
        tool = TOOLS[job.tool]
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
