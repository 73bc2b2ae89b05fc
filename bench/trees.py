"""The source trees the benchmark runs: this one, and a baseline commit beside it."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE_SITE = Path(__file__).resolve().parent / "baseline_site"
DEFAULT_BASELINE = "fa213f9"
"""The original engine: each job polling on its own, before the traffic work."""


@dataclass(frozen=True)
class Tree:
    """Where `python -m bot` is run from."""

    label: str
    path: Path
    pythonpath: tuple[Path, ...]
    """What the bot process's PYTHONPATH holds, in order."""


def this_tree() -> Tree:
    commit = _git("rev-parse", "--short", "HEAD", cwd=ROOT)
    dirty = "+changes" if _git("status", "--porcelain", "--untracked-files=no", cwd=ROOT) else ""
    return Tree(f"this tree ({commit}{dirty})", ROOT, (ROOT,))


@contextmanager
def baseline_tree(commit: str) -> Iterator[Tree]:
    """`commit` checked out with `git worktree add` into a temporary folder, removed after."""
    folder = Path(tempfile.mkdtemp(prefix="castbot-baseline-"))
    checkout = folder / "tree"
    _git("worktree", "add", "--detach", str(checkout), commit, cwd=ROOT)
    try:
        short = _git("rev-parse", "--short", "HEAD", cwd=checkout)
        yield Tree(f"baseline ({short})", checkout, (BASELINE_SITE, checkout))
    finally:
        _git("worktree", "remove", "--force", str(checkout), cwd=ROOT)
        shutil.rmtree(folder, ignore_errors=True)


def _git(*args: str, cwd: Path) -> str:
    completed = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return completed.stdout.strip()
