"""One Settings object, read from KEMPEN_* environment variables."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

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

    # Email. With no SMTP URL, mail goes to the built-in SMTP sink (the embedded setup's mail catcher).
    # smtp://user:password@host:587?starttls=required|opportunistic|off, or smtps://host:465 (implicit TLS).
    smtp_url: str | None = None
    # Messages per second to the SMTP server, shared evenly by the worker processes; 0 = no limit.
    smtp_rate_per_second: float = 0.0
    # Concurrent SMTP connections per worker process.
    smtp_connections: int = 4
    smtp_timeout_seconds: float = 30.0
    # Built-in SMTP sink: `kempen serve` starts it when no SMTP URL is set.
    mail_sink_host: str = "127.0.0.1"
    mail_sink_port: int = 2525
    # DKIM signing, on when all three are set.
    dkim_domain: str | None = None
    dkim_selector: str | None = None
    dkim_private_key_path: Path | None = None

    # Delivery engine.
    # Where workers journal each message handed to a channel, so that a worker killed mid-send is
    # recovered without loss or duplicates; default: <data_dir>/journal. Shared by workers on one host.
    journal_dir: Path | None = None
    batch_size: int = 500
    # A claimed batch whose lease ran out (worker gone) is recovered by the sweeper.
    lease_seconds: float = 60.0
    # How long a lost worker's batch waits for that host to recover it from its journal before any
    # worker settles it without the journal (its in-flight messages are then marked outcome_unknown).
    orphan_grace_seconds: float = 600.0
    max_send_attempts: int = 8
    # `kempen serve` runs an in-process worker when no broker is configured; this many sending threads.
    inprocess_workers: int = 1

    # Tracking. Open and click links stop recording (and clicks answer 410 with the destination as a
    # plain link) this many days after the send; unsubscribe links never expire.
    tracking_token_days: int = 730
    # Where tracking endpoints keep events while the database is unreachable; default <data_dir>/spool.
    tracking_spool_dir: Path | None = None
    # When a pixel or redirect is answered: "journal" once the event is in a local journal file (PostgreSQL;
    # replayed after a crash), "commit" once it is committed. See tracking/journal.py.
    tracking_ack: Literal["journal", "commit"] = "journal"
    # The bounce mailbox: `kempen serve` also listens for DSN/ARF reports on this port when set.
    bounce_smtp_host: str = "127.0.0.1"
    bounce_smtp_port: int | None = None

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, defaulting to an embedded SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / 'kempen.db').resolve()}"

    @property
    def journal_path(self) -> Path:
        """The journal folder of this host's workers."""
        return self.journal_dir or (self.data_dir / "journal")

    @property
    def tracking_spool_path(self) -> Path:
        """The folder of events waiting for the database."""
        return self.tracking_spool_dir or (self.data_dir / "spool")

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
