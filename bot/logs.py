"""Logging for the process: plain text or one JSON object per line, secrets masked, and
the libraries' per-request chatter kept below INFO."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any

from bot.config import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MASK = "[secret]"
# httpx logs every request at INFO, and Bot API URLs contain the token; the job queue's
# scheduler logs every job it adds or runs.
CHATTY_LIBRARIES = ("httpx", "httpcore", "apscheduler")
# Every attribute a LogRecord has of its own; anything else came in through `extra=`.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the `extra=` fields (a job's
    id and tool, say), and the traceback if there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry |= {key: value for key, value in vars(record).items() if key not in _RECORD_FIELDS}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class SecretMask(logging.Formatter):
    """Wraps a formatter and replaces every secret in what it writes, tracebacks included."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str]) -> None:
        super().__init__()
        self._inner = inner
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = sorted({secret for secret in secrets if secret}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        line = self._inner.format(record)
        for secret in self._secrets:
            line = line.replace(secret, MASK)
        return line


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value in the settings."""
    return [
        value.get_secret_value()
        for value in (
            settings.telegram_bot_token,
            settings.zencreator_api_key,
            settings.scenario_api_key,
            settings.scenario_api_secret,
            settings.framehood_api_key,
        )
    ]


def configure(settings: Settings, stream: IO[str] | None = None) -> logging.Handler:
    """Send every log line to `stream` (stderr) as LOG_FORMAT says, at LOG_LEVEL; returns
    the handler it installed on the root logger."""
    inner = JsonFormatter() if settings.log_format == "json" else logging.Formatter(TEXT_FORMAT)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(SecretMask(inner, secrets_of(settings)))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler
