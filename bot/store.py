"""Storage on sqlite-utils: pseudonymous events and the questions the bot could not answer.

Cadres describe their own mistakes, so nothing identifying is kept: users are a keyed hash,
and identifiers (phone, ID-card numbers, e-mail addresses, personal names: bot.privacy) are
scrubbed from stored questions.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sqlite3
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.privacy import MAX_STORED_CHARS, scrub  # noqa: F401 - part of this module's API

def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def load_secret(path: Path, env_value: str | None = None) -> bytes:
    """The HMAC key: from the environment, else a generated file readable only by its owner."""
    if env_value:
        return env_value.encode()
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(secret)
    return secret


def channel_of(user_key: str) -> str:
    """Where a conversation happens, from its user key: Telegram keys are 32 hex characters
    (see ``user_key``), the terminal's start with console-, ``policybot ask``'s with ask-;
    anything else is a test."""
    if len(user_key) == 32 and all(c in "0123456789abcdef" for c in user_key):
        return "telegram"
    if user_key.startswith("console-"):
        return "terminal"
    if user_key.startswith("ask-"):
        return "batch"
    return "test"


def user_key(secret: bytes, telegram_id: int | str) -> str:
    """Pseudonymous, stable key of a Telegram user: HMAC-SHA256(secret, id), hex, 32 characters.

    The raw id is never stored; without the secret the key cannot be traced back to it."""
    return hmac.new(secret, str(telegram_id).encode(), hashlib.sha256).hexdigest()[:32]


class Store:
    """The bot's database; one instance per process, safe to share between threads."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # Shared by the event loop and worker threads; every access goes through self._lock.
        self.db = sqlite_utils.Database(sqlite3.connect(str(self.path), check_same_thread=False))
        self.db.conn.execute("PRAGMA journal_mode=WAL")
        self.db.conn.execute("PRAGMA busy_timeout=5000")
        self._migrate()

    # ``channel`` (telegram, terminal, batch, test) comes from the shape of the user key: reports
    # and the review loop leave terminal and test conversations out by default.
    SCHEMA = {
        # Questions for the trainers' review: declined (out_of_scope, fallback), clarified
        # (clarify) and 👎 (thumbs_down) turns, scrubbed, with the bot's best guess.
        "unanswered": {"id": int, "at": str, "user_key": str, "question": str, "kind": str, "best_guess": str,
                       "confidence": float, "channel": str},
        "events": {"id": int, "at": str, "user_key": str, "kind": str, "faq_id": str, "latency_ms": float,
                   "campaign": str, "channel": str},
        "feedback": {"id": int, "at": str, "user_key": str, "faq_id": str, "useful": int},
        "users": {"user_key": str, "first_seen": str, "last_seen": str, "campaign": str, "channel": str},
        # How far a user got, for the funnel: apply_opened, drafted, screening_started,
        # screening_finished (detail: the outcome), screening_cancelled. A name, never content.
        "milestones": {"id": int, "at": str, "user_key": str, "name": str, "detail": str},
    }

    def _migrate(self) -> None:
        """Create missing tables and columns; never drops data."""
        existing = set(self.db.table_names())
        for name, columns in self.SCHEMA.items():
            table = self.db[name]
            if name not in existing:
                table.create(columns, pk="user_key" if name == "users" else "id")
                if "at" in columns:
                    table.create_index(["at"])
                if name != "users":
                    table.create_index(["user_key"])
            else:
                have = {c.name for c in table.columns}
                for column, kind in columns.items():
                    if column not in have:
                        table.add_column(column, kind)

    def log_unanswered(self, question: str, kind: str, user_key: str = "", best_guess: str = "",
                       confidence: float = 0.0) -> None:
        """Keep a question the bot declined, clarified or got a 👎 for, scrubbed, for trainers."""
        row: dict[str, Any] = {"at": _now(), "user_key": user_key, "question": scrub(question), "kind": kind,
                               "best_guess": best_guess or "", "confidence": round(float(confidence), 4),
                               "channel": channel_of(user_key)}
        with self._lock:
            self.db["unanswered"].insert(row)

    def unanswered(self, limit: int = 100) -> list[dict]:
        with self._lock:
            return list(self.db["unanswered"].rows_where(order_by="id desc", limit=limit))

    def record_turn(self, user_key: str, kind: str, faq_id: str | None, latency_ms: float, campaign: str = "") -> None:
        """One answered message (no text: only what kind of answer it got), attributed to the
        campaign that brought the user (first touch) when none is given."""
        now = _now()
        with self._lock:
            campaign = campaign or self._campaign_of(user_key)
            self.db["events"].insert({"at": now, "user_key": user_key, "kind": kind, "faq_id": faq_id or "",
                                      "latency_ms": round(latency_ms, 1), "campaign": campaign,
                                      "channel": channel_of(user_key)})
            self.db.execute("UPDATE users SET last_seen = ? WHERE user_key = ?", [now, user_key])

    def record_milestone(self, user_key: str, name: str, detail: str = "") -> None:
        """A step of the funnel this user reached (opened how-to-apply, drafted …); no content."""
        with self._lock:
            self.db["milestones"].insert({"at": _now(), "user_key": user_key, "name": name, "detail": detail})

    def milestones(self, name: str | None = None) -> list[dict]:
        with self._lock:
            where, args = ("name = ?", [name]) if name else (None, None)
            return list(self.db["milestones"].rows_where(where, args, order_by="id"))

    def touch_user(self, user_key: str, campaign: str = "") -> None:
        """Register a user on first contact; the first campaign that brought them sticks."""
        now = _now()
        with self._lock:
            self.db.execute(
                "INSERT INTO users (user_key, first_seen, last_seen, campaign, channel) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(user_key) DO UPDATE SET last_seen = excluded.last_seen",
                [user_key, now, now, campaign, channel_of(user_key)],
            )
            self.db.conn.commit()

    def campaign_of(self, user_key: str) -> str:
        with self._lock:
            return self._campaign_of(user_key)

    def _campaign_of(self, user_key: str) -> str:
        row = self.db.execute("SELECT campaign FROM users WHERE user_key = ?", [user_key]).fetchone()
        return (row[0] or "") if row else ""

    def record_feedback(self, user_key: str, faq_id: str, useful: bool) -> None:
        with self._lock:
            self.db["feedback"].insert({"at": _now(), "user_key": user_key, "faq_id": faq_id, "useful": int(useful)})

    def forget(self, user_key: str) -> int:
        """Delete every row about ``user_key``; return how many were deleted."""
        deleted = 0
        with self._lock, self.db.conn:
            for table in self.SCHEMA:
                cursor = self.db.conn.execute(f"DELETE FROM [{table}] WHERE user_key = ?", [user_key])
                deleted += cursor.rowcount
        return deleted

    def admin_stats(self, campaign: str | None, days: int) -> tuple[str, bytes]:
        """/stats: the summary of the last ``days`` days and its chart (bot.reports)."""
        from bot.reports import stats_for_admin

        return stats_for_admin(self.path, campaign, days)

    def purge(self, older_than_days: int) -> int:
        """Delete events, feedback and unanswered questions older than the retention period."""
        cutoff = (datetime.now(timezone.utc) - timedelta(days=older_than_days)).isoformat(timespec="seconds")
        deleted = 0
        with self._lock, self.db.conn:
            for table in ("events", "feedback", "unanswered", "milestones"):
                deleted += self.db.conn.execute(f"DELETE FROM [{table}] WHERE at < ?", [cutoff]).rowcount
            deleted += self.db.conn.execute("DELETE FROM users WHERE last_seen < ?", [cutoff]).rowcount
        return deleted

    def stats(self) -> dict[str, Any]:
        """Counts for admins: users, turns, answers by kind, feedback, unanswered."""
        count = lambda sql: self.db.execute(sql).fetchone()[0]  # noqa: E731
        with self._lock:
            return self._stats(count)

    def _stats(self, count) -> dict[str, Any]:
        return {
            "users": count("SELECT COUNT(*) FROM users"),
            "turns": count("SELECT COUNT(*) FROM events"),
            "by_kind": dict(self.db.execute("SELECT kind, COUNT(*) FROM events GROUP BY kind").fetchall()),
            "helpful": count("SELECT COUNT(*) FROM feedback WHERE useful = 1"),
            "not_helpful": count("SELECT COUNT(*) FROM feedback WHERE useful = 0"),
            "unanswered": count("SELECT COUNT(*) FROM unanswered"),
        }
