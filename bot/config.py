"""Operator settings, read once at start-up from the environment and a `.env` file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from providers.ratelimit import DEFAULT_LIMITS, Bucket, parse_limits

TOKEN_PATTERN = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")
MAX_SUBSCRIPTION_STARS = 10_000
"""Telegram's ceiling on the price of a Stars subscription."""


class SettingsError(Exception):
    """Settings are missing or malformed; the message is one line an operator can act on."""


class CreditPack(BaseModel, frozen=True):
    """Credits sold for a price in Telegram Stars (once, or every month for a plan)."""

    credits: int
    stars: int


class RateLimits(BaseModel, frozen=True):
    """One API key's requests per rate window, by bucket; written `read=60,generate=10`
    (a bucket left out keeps its default)."""

    read: int = Field(default=DEFAULT_LIMITS["read"], ge=1)
    generate: int = Field(default=DEFAULT_LIMITS["generate"], ge=1)
    upload: int = Field(default=DEFAULT_LIMITS["upload"], ge=1)

    def by_bucket(self) -> dict[Bucket, int]:
        return {"read": self.read, "generate": self.generate, "upload": self.upload}


class DatabaseSettings(BaseSettings):
    """The database alone: what `python -m bot backup` needs (no token)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    database_path: Path = Path("data/castbot.sqlite3")


class Settings(DatabaseSettings):
    """Every operator variable (the README's settings table)."""

    telegram_bot_token: SecretStr
    telegram_api_url: str = "https://api.telegram.org"
    telegram_local_mode: bool = False
    telegram_messages_per_second: float = Field(default=30.0, gt=0)
    telegram_chat_messages_per_second: float = Field(default=1.0, gt=0)
    telegram_group_messages_per_minute: float = Field(default=20.0, gt=0)
    welcome_credits: int = Field(default=10, ge=0)
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    credit_multiplier: float = Field(default=1.0, gt=0)
    zencreator_api_key: SecretStr = SecretStr("")
    zencreator_api_url: str = "https://api.zencreator.pro"
    zencreator_poll_interval: float = Field(default=5.0, gt=0)
    zencreator_rate_limits: Annotated[RateLimits, NoDecode] = RateLimits()
    zencreator_rate_window: float = Field(default=60.0, gt=0)
    max_jobs_per_user: int = Field(default=3, ge=1)
    scenario_api_key: SecretStr = SecretStr("")
    scenario_api_secret: SecretStr = SecretStr("")
    scenario_api_url: str = "https://api.cloud.scenario.com/v1"
    framehood_api_key: SecretStr = SecretStr("")
    framehood_api_url: str = ""
    # Neither Scenario nor Framehood publishes its limits: these are modest guesses.
    scenario_rate_limits: Annotated[RateLimits, NoDecode] = RateLimits()
    scenario_rate_window: float = Field(default=60.0, gt=0)
    framehood_rate_limits: Annotated[RateLimits, NoDecode] = RateLimits()
    framehood_rate_window: float = Field(default=60.0, gt=0)
    likeness_training_price: int = Field(default=150, ge=0)
    voice_clone_price: int = Field(default=20, ge=0)
    actor_picture_price: int = Field(default=5, ge=0)
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    credit_packs: Annotated[tuple[CreditPack, ...], NoDecode] = (
        CreditPack(credits=100, stars=50),
        CreditPack(credits=500, stars=200),
        CreditPack(credits=1500, stars=500),
    )
    subscription_plans: Annotated[tuple[CreditPack, ...], NoDecode] = ()
    provider_balance_alert: float = Field(default=100.0, ge=0)
    referral_credits: int = Field(default=10, ge=0)
    terms_text: str = ""
    paysupport_text: str = ""
    allow_nsfw: bool = False

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not TOKEN_PATTERN.match(value.get_secret_value()):
            raise ValueError("does not look like a token from @BotFather (digits:secret)")
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        parts = [part.strip() for part in value.split(",") if part.strip()]
        if not all(part.lstrip("-").isdecimal() for part in parts):
            raise ValueError("must be comma-separated numeric Telegram user ids")
        return frozenset(int(part) for part in parts)

    @field_validator("credit_packs", mode="before")
    @classmethod
    def _parse_packs(cls, value: object) -> object:
        return _credit_pairs(value)

    @field_validator("subscription_plans", mode="before")
    @classmethod
    def _parse_plans(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return ()
        plans = _credit_pairs(value)
        if isinstance(plans, tuple) and any(plan.stars > MAX_SUBSCRIPTION_STARS for plan in plans):
            raise ValueError(f"must not cost more than {MAX_SUBSCRIPTION_STARS} Stars a month")
        return plans

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator(
        "zencreator_rate_limits", "scenario_rate_limits", "framehood_rate_limits", mode="before"
    )
    @classmethod
    def _parse_rate_limits(cls, value: object) -> object:
        return RateLimits(**parse_limits(value)) if isinstance(value, str) else value

    @field_validator(
        "telegram_api_url", "zencreator_api_url", "scenario_api_url", "framehood_api_url"
    )
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @property
    def uses_mock_provider(self) -> bool:
        return not self.zencreator_api_key.get_secret_value()

    @property
    def scenario_configured(self) -> bool:
        return bool(
            self.scenario_api_key.get_secret_value()
            and self.scenario_api_secret.get_secret_value()
        )

    @property
    def framehood_configured(self) -> bool:
        return bool(self.framehood_api_key.get_secret_value() and self.framehood_api_url)


def _credit_pairs(value: object) -> object:
    """`100:50,500:200` as CreditPacks; anything but a string is left to pydantic."""
    if not isinstance(value, str):
        return value
    packs = []
    for part in value.split(","):
        credits, _, stars = part.strip().partition(":")
        if not (credits.isdecimal() and stars.isdecimal() and int(credits) and int(stars)):
            raise ValueError(
                "must be comma-separated credits:stars pairs of positive whole numbers,"
                " like 100:50,500:200"
            )
        packs.append(CreditPack(credits=int(credits), stars=int(stars)))
    if len({pack.credits for pack in packs}) != len(packs):
        raise ValueError("must not offer the same number of credits twice")
    return tuple(packs)


def load_settings(**overrides: object) -> Settings:
    """Read and validate settings, turning a validation failure into one readable line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as err:
        raise SettingsError(_describe(err)) from None


def load_database_settings() -> DatabaseSettings:
    """Read DATABASE_PATH only, as load_settings reads everything."""
    try:
        return DatabaseSettings()
    except ValidationError as err:
        raise SettingsError(_describe(err)) from None


def _describe(err: ValidationError) -> str:
    problems = []
    where = "set it in the environment or in .env"
    for error in err.errors():
        variable = str(error["loc"][0]).upper() if error["loc"] else "settings"
        if error["type"] == "missing":
            problems.append(f"{variable} is not set")
            if variable == "TELEGRAM_BOT_TOKEN":
                where += ", or run `python -m bot playground` to try the bot without one"
        else:
            # The message never echoes the input, so a malformed secret is not printed.
            problems.append(f"{variable} {error['msg'].removeprefix('Value error, ')}")
    return "; ".join(problems) + f" ({where})"
