"""Where things are: one place for paths and settings read from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Paths the bot works with; every one can be overridden from the environment."""

    root: Path = PROJECT_ROOT

    @property
    def faq_dir(self) -> Path:
        return self.root / "faq"

    @property
    def knowledge_dir(self) -> Path:
        return self.root / "knowledge"

    @property
    def rasa_dir(self) -> Path:
        return self.root / "rasa_project"

    @property
    def cache_dir(self) -> Path:
        """Caches that may outlive the checkout (dependencies, trained models), like a CI cache."""
        env = os.environ.get("POLICYBOT_CACHE")
        return Path(env) if env else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "policybot"

    @property
    def model_cache(self) -> Path:
        return self.cache_dir / "models"

    @property
    def db_path(self) -> Path:
        """The SQLite database (POLICYBOT_DB overrides it)."""
        env = os.environ.get("POLICYBOT_DB")
        return Path(env) if env else self.root / "var" / "policybot.db"

    @property
    def seeds_dir(self) -> Path:
        """The source documents (../shared/seeds beside the checkout, or POLICYBOT_SEEDS_DIR)."""
        env = os.environ.get("POLICYBOT_SEEDS_DIR")
        return Path(env) if env else self.root.parent / "shared" / "seeds"


def load_settings(root: str | Path | None = None) -> Settings:
    """Settings for the content root given, POLICYBOT_ROOT, or this checkout."""
    chosen = root or os.environ.get("POLICYBOT_ROOT") or PROJECT_ROOT
    return Settings(root=Path(chosen).resolve())


@dataclass(frozen=True)
class BotConfig:
    """Everything the running bot is configured with, from the environment (documented in README).

    TELEGRAM_TOKEN            bot token from @BotFather (required for `serve`)
    TELEGRAM_API_BASE_URL     Bot API base URL (default https://api.telegram.org/bot; a local Bot API server)
    TELEGRAM_WEBHOOK_URL      public HTTPS URL: run a webhook instead of long polling
    TELEGRAM_WEBHOOK_SECRET   secret token Telegram sends with each webhook call
    TELEGRAM_WEBHOOK_LISTEN   address:port the webhook server listens on (default 127.0.0.1:8443)
    POLICYBOT_ADMIN_IDS       comma-separated Telegram ids allowed to use /stats and /reload
    POLICYBOT_DB              SQLite database path (default var/policybot.db)
    POLICYBOT_SECRET          HMAC key for pseudonymous user keys (default: generated into var/secret.key, 0600)
    POLICYBOT_RETENTION_DAYS  keep events and logged questions this many days (default 180)
    POLICYBOT_REDIS_URL       redis://host:port/db: the queue, lock store and shared state of several workers
    POLICYBOT_TRACKER_URL     postgresql://user:password@host:port/db: conversations (default: SQLite tracker.db)
    POLICYBOT_WORKERS         how many engine workers `serve` runs (default 0: one process, no Redis)
    POLICYBOT_SEND_RATE       messages a second the bot may send in all, shared by its workers (default 30, 0: no limit)
    """

    token: str = ""
    api_base_url: str = "https://api.telegram.org/bot"
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    admin_ids: frozenset[int] = frozenset()
    db_path: Path = PROJECT_ROOT / "var" / "policybot.db"
    secret: str = ""
    secret_path: Path = PROJECT_ROOT / "var" / "secret.key"
    retention_days: int = 180
    redis_url: str = ""
    tracker_url: str = ""
    workers: int = 0
    send_rate: float = 30.0


class ConfigError(ValueError):
    "A setting has a value the bot cannot use."


def load_bot_config(settings: Settings, environ: dict[str, str] | None = None) -> BotConfig:
    """Read BotConfig from the environment; a bad value raises ConfigError naming the variable."""
    env = dict(os.environ if environ is None else environ)
    try:
        admins = frozenset(int(x) for x in env.get("POLICYBOT_ADMIN_IDS", "").replace(" ", "").split(",") if x)
    except ValueError as exc:
        raise ConfigError("POLICYBOT_ADMIN_IDS must be comma-separated numeric Telegram ids") from exc
    try:
        retention = int(env.get("POLICYBOT_RETENTION_DAYS", "180"))
        if retention < 1:
            raise ValueError
    except ValueError as exc:
        raise ConfigError("POLICYBOT_RETENTION_DAYS must be a whole number of days, at least 1") from exc
    try:
        workers = int(env.get("POLICYBOT_WORKERS", "0"))
        if not 0 <= workers <= 64:
            raise ValueError
    except ValueError as exc:
        raise ConfigError("POLICYBOT_WORKERS must be a whole number from 0 to 64") from exc
    try:
        send_rate = float(env.get("POLICYBOT_SEND_RATE", "30"))
        if send_rate < 0:
            raise ValueError
    except ValueError as exc:
        raise ConfigError("POLICYBOT_SEND_RATE must be a number of messages a second, 0 for no limit") from exc
    for name in ("POLICYBOT_REDIS_URL", "POLICYBOT_TRACKER_URL"):
        value = env.get(name, "").strip()
        if value and "://" not in value:
            raise ConfigError(f"{name} must be a URL like {'redis://127.0.0.1:6379/0' if 'REDIS' in name else 'postgresql://user:password@127.0.0.1:5432/policybot'}")
    listen = env.get("TELEGRAM_WEBHOOK_LISTEN", "127.0.0.1:8443")
    host, _, port = listen.rpartition(":")
    if not port.isdigit():
        raise ConfigError("TELEGRAM_WEBHOOK_LISTEN must look like 127.0.0.1:8443")
    return BotConfig(
        token=env.get("TELEGRAM_TOKEN", "").strip(),
        api_base_url=env.get("TELEGRAM_API_BASE_URL", "https://api.telegram.org/bot").strip(),
        webhook_url=env.get("TELEGRAM_WEBHOOK_URL", "").strip(),
        webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET", "").strip(),
        webhook_listen=host or "127.0.0.1",
        webhook_port=int(port),
        admin_ids=admins,
        db_path=Path(env["POLICYBOT_DB"]) if env.get("POLICYBOT_DB") else settings.db_path,
        secret=env.get("POLICYBOT_SECRET", ""),
        secret_path=settings.root / "var" / "secret.key",
        retention_days=retention,
        redis_url=env.get("POLICYBOT_REDIS_URL", "").strip(),
        tracker_url=env.get("POLICYBOT_TRACKER_URL", "").strip(),
        workers=workers,
        send_rate=send_rate,
    )
