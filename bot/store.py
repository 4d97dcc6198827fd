"""Storage on sqlite-utils: pseudonymous events and the questions the bot could not answer.

Cadres describe their own mistakes, so nothing identifying is kept: users are a keyed hash,
and identifiers (phone, ID-card numbers, e-mail addresses) are scrubbed from stored questions.
"""

from __future__ import annotations

import re
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlite_utils

_SCRUBBERS = (
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[邮箱]"),
    (re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)|(?<!\d)\d{15}(?!\d)"), "[身份证号]"),
    (re.compile(r"(?<!\d)(\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"), "[手机号]"),
    (re.compile(r"(?<!\d)0\d{2,3}[- ]?\d{7,8}(?!\d)"), "[电话]"),
)
MAX_STORED_CHARS = 500


def scrub(text: str) -> str:
    """``text`` with e-mail addresses, ID-card and phone numbers replaced, cut to 500 characters."""
    for pattern, replacement in _SCRUBBERS:
        text = pattern.sub(replacement, text)
    return text[:MAX_STORED_CHARS]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    """The bot's database; one instance per process, safe to share between threads."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.db = sqlite_utils.Database(self.path, recreate=False)
        self.db.conn.execute("PRAGMA journal_mode=WAL")
        self.db.conn.execute("PRAGMA busy_timeout=5000")
        self._migrate()

    def _migrate(self) -> None:
        if "unanswered" not in self.db.table_names():
            self.db["unanswered"].create(
                {"id": int, "at": str, "user_key": str, "question": str, "kind": str, "best_guess": str,
                 "confidence": float},
                pk="id",
            )
            self.db["unanswered"].create_index(["at"])

    def log_unanswered(self, question: str, kind: str, user_key: str = "", best_guess: str = "",
                       confidence: float = 0.0) -> None:
        """Keep a question the bot declined, scrubbed, for trainers to review."""
        row: dict[str, Any] = {"at": _now(), "user_key": user_key, "question": scrub(question), "kind": kind,
                               "best_guess": best_guess, "confidence": round(confidence, 4)}
        with self._lock:
            self.db["unanswered"].insert(row)

    def unanswered(self, limit: int = 100) -> list[dict]:
        return list(self.db["unanswered"].rows_where(order_by="id desc", limit=limit))
