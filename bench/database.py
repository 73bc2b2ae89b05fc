"""Databases the bot starts with: the tree's own schema, then users and jobs written directly."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.trees import Tree

_MIGRATE = """
import asyncio, sys
from storage.db import Database

async def main():
    db = await Database.open(sys.argv[1])
    await db.close()

asyncio.run(main())
"""


@dataclass(frozen=True)
class UnfinishedJob:
    """A job the provider is working on, as a restarted bot finds it."""

    id: str
    user_id: int
    tool: str
    generation_id: str
    submitted: datetime
    deadline: timedelta


def create(tree: Tree, path: Path) -> None:
    """An empty database with the schema the tree's own migrations make."""
    subprocess.run(
        [sys.executable, "-c", _MIGRATE, str(path)],
        env={"PYTHONPATH": str(tree.path)},
        check=True,
        capture_output=True,
    )


def add_users(path: Path, user_ids: range, balance: int) -> None:
    """Accounts as /start leaves them: the welcome credits, with their ledger row."""
    now = _iso(datetime.now(UTC))
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO users (id, name, created_at, last_seen_at, balance, terms_accepted_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(user_id, f"User {user_id}", now, now, balance, now) for user_id in user_ids],
        )
        db.executemany(
            "INSERT INTO ledger (user_id, amount, kind, created_at) VALUES (?, ?, 'welcome', ?)",
            [(user_id, balance, now) for user_id in user_ids],
        )


def add_unfinished_jobs(path: Path, jobs: list[UnfinishedJob]) -> None:
    """Jobs charged and submitted, waiting for their provider (a face swap's or a lipsync's
    spec, with Telegram files that were uploaded already)."""
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO jobs (id, user_id, chat_id, tool, provider, state, spec, price,"
            " generation_id, created_at, updated_at, submitted_at, deadline_at)"
            " VALUES (?, ?, ?, ?, 'zencreator', 'submitted', ?, 1, ?, ?, ?, ?, ?)",
            [
                (
                    job.id,
                    job.user_id,
                    job.user_id,
                    job.tool,
                    json.dumps(_spec(job)),
                    job.generation_id,
                    _iso(job.submitted),
                    _iso(job.submitted),
                    _iso(job.submitted),
                    _iso(job.submitted + job.deadline),
                )
                for job in jobs
            ],
        )


def _spec(job: UnfinishedJob) -> dict[str, object]:
    if job.tool == "lipsync":
        fields = [("image_asset", "image", "portrait.jpg"), ("audio_asset", "audio", "voice.ogg")]
        return {"files": _files(job, fields), "options": {}, "audio_seconds": 5.0}
    fields = [("face_asset", "image", "face.jpg"), ("ref_asset", "image", "target.jpg")]
    return {"files": _files(job, fields), "options": {"model": "SDXL"}}


def _files(job: UnfinishedJob, fields: list[tuple[str, str, str]]) -> list[dict[str, str]]:
    return [
        {
            "field": field,
            "file_id": f"file-{job.id}-{field}",
            "file_unique_id": f"unique-{job.id}-{field}",
            "kind": kind,
            "filename": filename,
        }
        for field, kind, filename in fields
    ]


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="seconds")
