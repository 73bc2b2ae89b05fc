"""Status messages edited in the background: the last edit of a finished job, and texts that
could not be recorded."""

from __future__ import annotations

import asyncio

from bot.status import StatusMessages
from storage.jobs import Job, JobState

TIMEOUT = 5.0


class Editor:
    """Edits as Telegram would take them; `gate` cleared keeps each edit in flight."""

    def __init__(self) -> None:
        self.edits: list[str] = []
        self.in_flight = asyncio.Event()
        self.gate = asyncio.Event()
        self.gate.set()
        self.edited = asyncio.Event()

    async def edit_status(self, chat_id: int, message_id: int, text: str) -> None:
        self.in_flight.set()
        await self.gate.wait()
        self.edits.append(text)
        self.edited.set()


def job(status_text: str) -> Job:
    return Job(
        id="job-1",
        user_id=101,
        chat_id=101,
        tool="faceswap",
        provider="zencreator",
        state=JobState.SUBMITTED,
        spec={},
        price=1,
        status_message_id=7,
        status_text=status_text,
        created_at="2026-11-29T00:00:00+00:00",
        updated_at="2026-11-29T00:00:00+00:00",
    )


async def test_a_stopping_bot_still_shows_a_finished_jobs_last_text() -> None:
    editor = Editor()
    recorded: list[str] = []

    async def record(job_id: str, text: str) -> None:
        recorded.append(text)

    messages = StatusMessages(editor, record, grace=TIMEOUT)
    messages.show(job("⚙️ processing"), "✅ done")
    messages.forget("job-1")  # the job finished; only its edit is left
    await messages.aclose()
    assert editor.edits == recorded == ["✅ done"]


async def test_a_text_that_could_not_be_recorded_does_not_stop_the_newer_ones() -> None:
    editor = Editor()
    editor.gate.clear()

    async def record(job_id: str, text: str) -> None:
        if text == "⚙️ processing":
            raise RuntimeError("disk I/O error")

    messages = StatusMessages(editor, record)
    queued = job("⏳ queued")
    messages.show(queued, "⚙️ processing")
    await asyncio.wait_for(editor.in_flight.wait(), TIMEOUT)
    messages.show(queued, "✅ done")
    editor.edited.clear()
    editor.gate.set()
    async with asyncio.timeout(TIMEOUT):
        while editor.edits != ["⚙️ processing", "✅ done"]:
            editor.edited.clear()
            await editor.edited.wait()
    await messages.aclose()
