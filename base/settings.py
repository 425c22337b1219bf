"""Configuration from WEGWEISER_* environment variables and `.env`.

A bad value is reported as one line naming the variable (see `SettingsError`),
never as a traceback.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_LENGTH = 32
SECRET_FILE = "secret_key"  # noqa: S105 - a file name, not a secret


class SettingsError(Exception):
    """A configuration problem, phrased for the operator in one line."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="WEGWEISER_", env_file=".env", extra="forbid", env_ignore_empty=True
    )

    env: Literal["development", "production"] = "development"
    instance_dir: Path = Path("instance")
    database_url: str = ""  # default: SQLite file in instance_dir
    secret_key: SecretStr = SecretStr(
        ""
    )  # default: generated once and kept in instance_dir (development)
    default_locale: str = "de"
    default_flow: str = "demo"
    flows_dir: Path = Path(__file__).resolve().parent.parent / "dialogs" / "flows"
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    conversation_ttl_days: int = Field(default=30, ge=1, le=365)
    max_text_length: int = Field(default=1000, ge=10, le=4096)
    referral_retention_days: int = Field(default=90, ge=1, le=3650)
    telegram_bot_token: SecretStr = Field(
        default=SecretStr(""), validation_alias="TELEGRAM_BOT_TOKEN"
    )
    telegram_api_base: str = "https://api.telegram.org"
    telegram_webhook_secret: SecretStr = SecretStr("")
    telegram_webhook_url: str = ""  # set: `serve` registers this webhook instead of polling
    telegram_chat_rate: float = Field(default=1.0, gt=0, le=100)  # messages/s per chat
    telegram_chat_burst: int = Field(default=3, ge=1, le=100)
    telegram_global_rate: float = Field(default=30.0, gt=0, le=1000)  # messages/s per worker
    telegram_retry_seconds: float = Field(default=2.0, gt=0, le=3600)  # first backoff step
    telegram_max_attempts: int = Field(default=5, ge=1, le=50)
    telegram_claim_seconds: float = Field(default=60.0, ge=1, le=3600)  # a dead sender's claim
    flood_max_updates: int = Field(default=20, ge=1, le=10000)
    flood_window_seconds: float = Field(default=10.0, gt=0, le=3600)
    # Links on posters: https://t.me/<username>?start=<code> and <public_url>/chat?start=<code>
    telegram_bot_username: str = ""
    public_url: str = ""

    @field_validator("telegram_bot_username")
    @classmethod
    def _bot_username(cls, v: str) -> str:
        v = v.strip().lstrip("@")
        if v and not (
            5 <= len(v) <= 32 and all(c.isascii() and (c.isalnum() or c == "_") for c in v)
        ):
            raise ValueError("a Telegram bot username: 5-32 characters A-Z, a-z, 0-9 and _")
        return v

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, v: str) -> str:
        if v and not v.startswith(("https://", "http://")):
            raise ValueError("must be the https:// address people reach `serve` at")
        return v.rstrip("/")

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _secret_chars(cls, secret: SecretStr) -> SecretStr:
        v = secret.get_secret_value()
        if v and not (
            1 <= len(v) <= 256 and all(c.isascii() and (c.isalnum() or c in "_-") for c in v)
        ):
            raise ValueError("1-256 characters A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return secret

    @field_validator("telegram_webhook_url")
    @classmethod
    def _webhook_url(cls, v: str) -> str:
        if v and not v.startswith(("https://", "http://")):
            raise ValueError("must be an https:// URL that reaches `serve`")
        return v

    # admin API: staff sessions and login lockout
    cookie_secure: bool | None = None  # None: Secure cookies in production only
    session_hours: int = Field(default=8, ge=1, le=168)
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_lock_minutes: int = Field(default=15, ge=1, le=1440)
    # requests to the API and staff pages in any 10 s, per API token or session, per address
    pace_per_credential: int = Field(default=200, ge=10, le=1_000_000)
    pace_per_address: int = Field(default=600, ge=10, le=1_000_000)
    # slow clients: deadlines for receiving a request, and open connections at most
    request_header_seconds: float = Field(default=10.0, gt=0, le=300)
    request_seconds: float = Field(default=120.0, gt=0, le=3600)
    max_connections: int = Field(default=4096, ge=16, le=1_000_000)
    max_connections_per_address: int = Field(default=256, ge=4, le=1_000_000)
    # Prometheus /metrics: a token, or an address of its own (required in production)
    metrics_token: str = ""  # set: /metrics needs `Authorization: Bearer <token>`
    metrics_address: str = ""  # "host:port": /metrics is served there only

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token(cls, v: str) -> str:
        if v and (len(v) < 16 or not v.isascii() or not v.isprintable() or " " in v):
            raise ValueError("at least 16 printable ASCII characters without spaces")
        return v

    @field_validator("metrics_address")
    @classmethod
    def _metrics_address(cls, v: str) -> str:
        host, _, port = v.rpartition(":")
        if v and not (host and port.isdigit() and 1 <= int(port) <= 65535):
            raise ValueError("must be host:port, e.g. 127.0.0.1:9100")
        return v

    def check_metrics(self) -> None:
        """Production must not serve /metrics to whoever reaches the main port."""
        if self.env == "production" and not (self.metrics_token or self.metrics_address):
            raise SettingsError(
                "WEGWEISER_METRICS_TOKEN or WEGWEISER_METRICS_ADDRESS: one is required in "
                "production"
            )

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, v: str) -> str:
        if v and not v.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return v

    @field_validator("default_locale")
    @classmethod
    def _locale_shape(cls, v: str) -> str:
        if not v.replace("_", "").isalpha() or len(v) > 6:
            raise ValueError("must be a locale code like de, ar or fa_AF")
        return v

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.instance_dir / 'wegweiser.db'}"

    @property
    def secure_cookies(self) -> bool:
        return self.env == "production" if self.cookie_secure is None else self.cookie_secure

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")

    def resolved_secret(self) -> bytes:
        """The HMAC secret. Development generates one and keeps it (mode 0600) in instance_dir."""
        if key := self.secret_key.get_secret_value():
            if len(key) < MIN_SECRET_LENGTH:
                raise SettingsError(
                    f"WEGWEISER_SECRET_KEY: must be at least {MIN_SECRET_LENGTH} characters"
                )
            return key.encode()
        if self.env == "production":
            raise SettingsError("WEGWEISER_SECRET_KEY: required in production (32+ characters)")
        path = self.instance_dir / SECRET_FILE
        if not path.exists():
            self.instance_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48))
        return path.read_text().strip().encode()


def load_settings(**overrides: object) -> Settings:
    """Build settings; turn pydantic's report into one operator-readable line."""
    known = {f"WEGWEISER_{name.upper()}" for name in Settings.model_fields}
    for var in sorted(os.environ):
        if var.startswith("WEGWEISER_") and var not in known:
            raise SettingsError(
                f"{var}: unknown setting (see the configuration table in README.md)"
            )
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as e:
        err = e.errors()[0]
        loc = str(err["loc"][0]) if err["loc"] else "?"
        name = loc if loc.isupper() else f"WEGWEISER_{loc.upper()}"
        raise SettingsError(f"{name}: {err['msg']}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
