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
