"""One validated Settings object, read from environment variables prefixed ``UNICO_``.

The secret key has no default: when none is configured, one is generated into
``var/secret_key`` on first use and reused afterwards, so no deployment ever runs
on a key that is written in the source.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="UNICO_", extra="ignore")

    var_dir: Path = Field(default=Path("var"), description="Where the embedded database and keys live.")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means SQLite in var_dir.")
    secret_key: str = Field(default="", description="Signs sessions and CSRF tokens; generated if empty.")
    host: str = "127.0.0.1"
    port: int = 8000
    public_base_url: str = Field(
        default="", description="Where customers reach links (e-tickets); empty: host:port."
    )
    log_level: str = "INFO"
    log_json: bool = True
    default_locale: str = "it"
    currency: str = "EUR"
    session_hours: int = 12
    worker_poll_seconds: float = 0.5
    webhook_timeout_seconds: float = 5.0
    webhook_max_attempts: int = 8
    handler_max_attempts: int = 5
    reservation_default_ttl_seconds: int = 1800
    max_availability_skus: int = 1000
    reservation_hold_hours: int = Field(default=48, gt=0, description="How long an e-reservation is held.")
    pickup_hold_days: int = Field(default=7, gt=0, description="How long a ready pickup waits.")

    @field_validator("default_locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in ("it", "en"):
            raise ValueError("default_locale must be 'it' or 'en'")
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.var_dir / 'unico.db'}"

    def resolved_secret_key(self) -> str:
        """The configured key, or the one kept in ``var/secret_key`` (created on first call)."""
        if self.secret_key:
            return self.secret_key
        path = self.var_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.var_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key + "\n")
        path.chmod(0o600)
        return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
