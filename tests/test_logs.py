"""Logs: LOG_FORMAT=json writes one JSON object per line, secrets are masked, and a whole
session at INFO shows no secret, no user's text and no per-request library chatter."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot import logs
from bot.config import load_settings
from bot.playground.emulator import BotApiEmulator
from tests.conftest import ZENCREATOR_KEY
from tests.fakes.zencreator import FakeZenCreator
from tests.flows import open_invoice, send_both_photos, start_faceswap

TOKEN = "4242:" + "S" * 30


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure() changes the process's logging; put it back after each test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in logs.CHATTY_LIBRARIES}
    yield
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    for name, old_level in quiet.items():
        logging.getLogger(name).setLevel(old_level)


def test_json_lines_carry_time_level_logger_message_and_extra_fields(
    restore_logging: None,
) -> None:
    stream = io.StringIO()
    settings = load_settings(_env_file=None, telegram_bot_token=TOKEN, log_format="JSON")
    logs.configure(settings, stream)
    log = logging.getLogger("castbot.test")
    log.info("job %s ordered", "j1", extra={"job_id": "j1", "tool": "faceswap"})
    try:
        raise RuntimeError(f"bad token {TOKEN}")
    except RuntimeError:
        log.exception("failed with %s", TOKEN)

    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "job j1 ordered"
    assert (first["level"], first["logger"]) == ("INFO", "castbot.test")
    assert (first["job_id"], first["tool"]) == ("j1", "faceswap")
    assert first["time"].endswith("+00:00")
    assert second["level"] == "ERROR"
    assert second["message"] == f"failed with {logs.MASK}"
    assert "RuntimeError: bad token" in second["exception"]
    assert TOKEN not in stream.getvalue()


def test_text_lines_mask_every_secret(restore_logging: None) -> None:
    stream = io.StringIO()
    settings = load_settings(
        _env_file=None, telegram_bot_token=TOKEN, zencreator_api_key="zc_live_key_12345"
    )
    logs.configure(settings, stream)
    logging.getLogger("castbot.test").warning("calling with %s and %s", TOKEN, "zc_live_key_12345")
    line = stream.getvalue()
    assert " WARNING castbot.test: calling with [secret] and [secret]" in line


async def test_a_session_at_info_shows_no_secret_no_user_text_and_no_chatter(
    restore_logging: None,
    telegram: BotApiEmulator,
    zencreator: FakeZenCreator,
    make_settings: Any,
    start_bot: Any,
) -> None:
    stream = io.StringIO()
    logs.configure(make_settings(log_format="json"), stream)
    bot = await start_bot(log_format="json")
    ann = telegram.user(101)
    await ann.send_text("/start")
    await ann.wait_for_text("/help")
    await ann.send_text("my private idea: a red castle at dawn")
    await ann.wait_for_text("/help lists")
    await start_faceswap(ann)
    await send_both_photos(ann)
    await telegram.wait_until(lambda: any(m.method == "sendDocument" for m in ann.messages()))
    await bot.services.engine.wait_idle()
    await ann.pay(await open_invoice(ann, 100))
    await ann.wait_for_text("Thank you")
    await bot.stop()

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert any("castbot started" in line["message"] for line in lines)
    text = stream.getvalue()
    for secret in (telegram.token, ZENCREATOR_KEY, "red castle"):
        assert secret not in text
    for chatter in ("getUpdates", "HTTP Request", "Added job", "Running job"):
        assert not [line for line in lines if chatter in line["message"]], chatter
