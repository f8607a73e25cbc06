"""One Settings object, read from KEMPEN_* environment variables."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration; every field maps to a `KEMPEN_<NAME>` variable."""

    model_config = SettingsConfigDict(env_prefix="KEMPEN_", extra="ignore")

    data_dir: Path = Path("kempen-data")
    database_url: str | None = None
    secret_key: str | None = None
    broker_url: str | None = None
    base_url: str = "http://127.0.0.1:8000"
    webhook_timeout_seconds: float = 10.0
    # Webhook URLs must be HTTPS; this also admits http://127.0.0.1 and http://localhost (tests, local dev).
    webhook_allow_http_localhost: bool = False
    # Local development serves over plain HTTP; production sets this to true.
    secure_cookies: bool = False
    # Contact metrics (order stats, RFM, lead score) are recomputed this often while serving; 0 turns it off.
    metrics_refresh_minutes: int = 60

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, defaulting to an embedded SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / 'kempen.db').resolve()}"

    @property
    def signing_key(self) -> str:
        """The secret key; generated once and kept in the data folder when not configured."""
        if self.secret_key:
            return self.secret_key
        key_file = self.data_dir / "secret_key"
        if not key_file.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        return key_file.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings (cached; tests clear the cache)."""
    return Settings()
