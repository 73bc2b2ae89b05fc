"""Each job's status message, kept up to date without holding up the job.

A job tells the user how it stands by editing one message (its place in line, processing,
done). When many users are served at once, Telegram's overall limit can keep an edit
waiting for seconds; a job that waited for its own edit would poll, and deliver, that much
later. So the job only says what its message should show, and the edit is made in the
background: one edit at a time per message, and a text that comes while one is under way
replaces any other still waiting, so only the latest is shown. Each text shown is recorded
with the job (`status_text`) while the worker still holds the job's lease, so a restarted
bot does not repeat an edit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final, Protocol

from telegram.error import TelegramError

from storage.jobs import Job, LeaseLost

log = logging.getLogger(__name__)

Record = Callable[[str, str], Awaitable[object]]
"""Record that a job's status message shows a text: (job id, text)."""
STOP_GRACE: Final = 3.0
"""Seconds a stopping bot gives the last edits of jobs it no longer moves: a finished job's
"done" is shown by nothing else."""


class StatusEditor(Protocol):
    """What edits the messages (bot.courier.Courier)."""

    async def edit_status(self, chat_id: int, message_id: int, text: str) -> None: ...


@dataclass
class _Message:
    chat_id: int
    message_id: int
    shown: str | None
    """What the message shows, or is being edited to show."""
    wanted: str | None = None
    """What it shows next, once the edit under way is made."""
    editor: asyncio.Task[None] | None = None
    kept: bool = True
    """False once the job is no longer moved here: forgotten when its edits are made."""


class StatusMessages:
    def __init__(self, editor: StatusEditor, record: Record, *, grace: float = STOP_GRACE) -> None:
        self._editor = editor
        self._grace = grace
        self._record = record
        self._messages: dict[str, _Message] = {}
        """By job id, the jobs moved here and those whose last edits are being made."""

    def show(self, job: Job, text: str) -> None:
        """Have the job's status message show `text`, unless it does (or is about to)."""
        if job.status_message_id is None:
            return
        message = self._messages.get(job.id)
        if message is None:
            if text == job.status_text:
                return
            message = _Message(job.chat_id, job.status_message_id, job.status_text)
            self._messages[job.id] = message
        message.kept = True
        latest = message.wanted if message.wanted is not None else message.shown
        if text == latest:
            return
        message.wanted = text
        if message.editor is None:
            message.editor = asyncio.create_task(self._edit(job.id, message))

    def forget(self, job_id: str) -> None:
        """The job is no longer moved here: keep no more of it than its edits under way."""
        message = self._messages.get(job_id)
        if message is None:
            return
        if message.editor is None:
            del self._messages[job_id]
        else:
            message.kept = False

    async def aclose(self) -> None:
        """Stop the edits under way (at shutdown), after a short grace for the last edits of
        the jobs no longer moved here; a resumed job shows its state again."""
        last = [m.editor for m in self._messages.values() if m.editor and not m.kept]
        if last:
            await asyncio.wait(last, timeout=self._grace)
        editors = [m.editor for m in self._messages.values() if m.editor is not None]
        for editor in editors:
            editor.cancel()
        await asyncio.gather(*editors, return_exceptions=True)

    async def _edit(self, job_id: str, message: _Message) -> None:
        try:
            while message.wanted is not None:
                before, message.shown = message.shown, message.wanted
                text, message.wanted = message.wanted, None
                try:
                    await self._editor.edit_status(message.chat_id, message.message_id, text)
                except TelegramError as err:
                    log.warning("job %s: could not update its status message: %r", job_id, err)
                    message.shown = before
                    continue
                try:
                    await self._record(job_id, text)
                except LeaseLost:
                    pass  # the job ended, or another worker moves it now
                except Exception:
                    # Not recorded: a restarted bot edits it again. Newer texts still go.
                    log.exception("job %s: could not record its status text", job_id)
        except Exception:
            log.exception("job %s: its status message is not kept up to date", job_id)
        finally:
            message.editor = None
            if not message.kept:
                del self._messages[job_id]
