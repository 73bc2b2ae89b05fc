"""`python -m bot` as a process, with its start-up time, CPU time and memory from /proc."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from bench.trees import Tree
from bot.playground.emulator import BotApiEmulator

_TICKS = os.sysconf("SC_CLK_TCK")


class BotProcess:
    """The bot from one tree, talking to the emulator and the fake ZenCreator."""

    def __init__(self, tree: Tree, workdir: Path, environment: dict[str, str]) -> None:
        self.tree = tree
        self.workdir = workdir
        self.log_path = workdir / "bot.log"
        self._environment = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": os.pathsep.join(str(path) for path in tree.pythonpath),
            **environment,
        }
        self._process: asyncio.subprocess.Process | None = None

    async def start(self, telegram: BotApiEmulator, timeout: float = 120.0) -> float:
        """Start it; returns the seconds until it first asked the Bot API for updates."""
        polls_before = self._polls(telegram)
        started = time.monotonic()
        with self.log_path.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                cwd=self.workdir,
                env=self._environment,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        try:
            await telegram.wait_until(lambda: self._polls(telegram) > polls_before, timeout)
        except TimeoutError:
            raise RuntimeError(f"the bot did not start polling; see {self.log_path}") from None
        return time.monotonic() - started

    @property
    def pid(self) -> int:
        assert self._process is not None, "not started"
        return self._process.pid

    def cpu_seconds(self) -> float:
        """User and system CPU time so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS

    def rss_mb(self) -> float:
        return self._status_kb("VmRSS") / 1024

    def peak_rss_mb(self) -> float:
        return self._status_kb("VmHWM") / 1024

    async def stop(self) -> None:
        """Stop it as an operator would (Ctrl-C); kill it if it does not stop."""
        if self._process is None or self._process.returncode is not None:
            return
        self._process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(self._process.wait(), 60)
        except TimeoutError:
            self._process.kill()
            await self._process.wait()

    def _status_kb(self, field: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
        raise RuntimeError(f"/proc/{self.pid}/status has no {field}")

    @staticmethod
    def _polls(telegram: BotApiEmulator) -> int:
        return sum(1 for method, _ in telegram.requests if method == "getUpdates")
