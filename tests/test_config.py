"""Settings: read from the environment and .env, validated once, secrets kept secret."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings

TOKEN = "123456:" + "A" * 35
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for variable in ("TELEGRAM_BOT_TOKEN", "ADMIN_IDS", "CREDIT_MULTIPLIER", "LOG_LEVEL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_follow_the_operator_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    settings = load_settings()
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.database_path == Path("data/castbot.sqlite3")
    assert settings.welcome_credits == 10
    assert settings.admin_ids == frozenset()
    assert settings.credit_multiplier == 1
    assert settings.zencreator_api_url == "https://api.zencreator.pro"
    assert settings.zencreator_poll_interval == 5
    assert settings.zencreator_rate_limits.by_bucket() == {
        "read": 60,
        "generate": 10,
        "upload": 30,
    }
    assert settings.zencreator_rate_window == 60
    assert settings.scenario_api_url == "https://api.cloud.scenario.com/v1"
    assert settings.log_level == "INFO"
    assert settings.uses_mock_provider


def test_rate_limits_default_to_the_documented_ones_and_merge_what_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("ZENCREATOR_RATE_LIMITS", "read=600, generate=100")
    monkeypatch.setenv("ZENCREATOR_RATE_WINDOW", "6")
    monkeypatch.setenv("FRAMEHOOD_RATE_LIMITS", "generate=2")
    settings = load_settings()
    assert settings.zencreator_rate_limits.by_bucket() == {
        "read": 600,
        "generate": 100,
        "upload": 30,
    }
    assert settings.zencreator_rate_window == 6
    documented = {"read": 60, "generate": 10, "upload": 30}
    assert settings.scenario_rate_limits.by_bucket() == documented
    assert settings.framehood_rate_limits.by_bucket() == documented | {"generate": 2}
    assert settings.scenario_rate_window == settings.framehood_rate_window == 60


def test_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"TELEGRAM_BOT_TOKEN={TOKEN}\nADMIN_IDS=7, 8\nZENCREATOR_API_KEY=zc_live_x_y\n"
        "TELEGRAM_API_URL=http://127.0.0.1:8081/\n"
    )
    settings = load_settings()
    assert settings.admin_ids == frozenset({7, 8})
    assert settings.telegram_api_url == "http://127.0.0.1:8081"
    assert not settings.uses_mock_provider


def test_secrets_do_not_show_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("ZENCREATOR_API_KEY", "zc_live_key_secretpart")
    shown = repr(load_settings()) + str(load_settings())
    assert TOKEN not in shown
    assert "secretpart" not in shown


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "TELEGRAM_BOT_TOKEN does not look like"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "ADMIN_IDS": "1,bob"}, "ADMIN_IDS must be comma-sep"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "CREDIT_MULTIPLIER": "0"}, "CREDIT_MULTIPLIER"),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "ZENCREATOR_RATE_LIMITS": "reads=60"},
            "ZENCREATOR_RATE_LIMITS must be comma-separated bucket=count pairs",
        ),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "SCENARIO_RATE_LIMITS": "upload=0"},
            "SCENARIO_RATE_LIMITS must be",
        ),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "FRAMEHOOD_RATE_WINDOW": "0"}, "FRAMEHOOD_RATE_WINDOW"),
        # Digits int() does not read: the variable's own message, not int()'s.
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "ADMIN_IDS": "1,²"}, "ADMIN_IDS must be comma-sep"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "CREDIT_PACKS": "100:5²"}, "CREDIT_PACKS must be comma"),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "ZENCREATOR_RATE_LIMITS": "read=6²"},
            "ZENCREATOR_RATE_LIMITS must be comma-separated bucket=count pairs",
        ),
    ],
)
def test_invalid_settings_are_one_line(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], message: str
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)
    assert "not-a-token" not in str(refused.value)


def test_python_m_bot_without_token_exits_with_one_line(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "bot"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "", "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert completed.returncode != 0
    assert completed.stderr.strip().count("\n") == 0
    assert "TELEGRAM_BOT_TOKEN is not set" in completed.stderr
    assert "`python -m bot playground` to try the bot without one" in completed.stderr
    assert "Traceback" not in completed.stderr
