"""Small state that every process serving users must see alike: button payloads, the question
behind a 👎, a draft's typed facts until the draft is made.

One process keeps it in memory (or, for button payloads, in the bot's database so they outlive
a restart); several workers keep it in Redis, with an expiry on every key, so that any worker
can take any user's next message.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Protocol

PREFIX = "policybot:"


class SharedState(Protocol):
    """Keys with values (JSON-able) and an expiry."""

    def get(self, key: str) -> Any: ...

    def put(self, key: str, value: Any, ttl: float) -> None: ...

    def pop(self, key: str) -> Any: ...


class MemoryState:
    """This process only; expired keys are dropped as they are met and now and then."""

    def __init__(self, capacity: int = 50_000):
        self._data: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self.capacity = capacity

    def get(self, key: str) -> Any:
        with self._lock:
            item = self._data.get(key)
            if item is None or item[0] < time.monotonic():
                self._data.pop(key, None)
                return None
            return item[1]

    def put(self, key: str, value: Any, ttl: float) -> None:
        with self._lock:
            now = time.monotonic()
            if len(self._data) >= self.capacity:
                for old in [k for k, (until, _) in self._data.items() if until < now] or list(self._data)[:1000]:
                    del self._data[old]
            self._data[key] = (now + ttl, value)

    def pop(self, key: str) -> Any:
        value = self.get(key)
        with self._lock:
            self._data.pop(key, None)
        return value


class SqliteState:
    """A table ``shared`` in an SQLite file: survives a restart of the one process that uses it."""

    def __init__(self, path: str | Path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.execute("CREATE TABLE IF NOT EXISTS shared (key TEXT PRIMARY KEY, value TEXT, until REAL)")
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            row = self._conn.execute("SELECT value, until FROM shared WHERE key = ?", (key,)).fetchone()
        if row is None or row[1] < time.time():
            return None
        return json.loads(row[0])

    def put(self, key: str, value: Any, ttl: float) -> None:
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO shared VALUES (?, ?, ?)",
                               (key, json.dumps(value, ensure_ascii=False), time.time() + ttl))
            if hash(key) % 500 == 0:  # now and then, not on every write
                self._conn.execute("DELETE FROM shared WHERE until < ?", (time.time(),))

    def pop(self, key: str) -> Any:
        value = self.get(key)
        with self._lock:
            self._conn.execute("DELETE FROM shared WHERE key = ?", (key,))
        return value


class RedisState:
    """Redis, shared by every worker on every machine."""

    def __init__(self, url: str):
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=5)

    def get(self, key: str) -> Any:
        raw = self._redis.get(PREFIX + key)
        return None if raw is None else json.loads(raw)

    def put(self, key: str, value: Any, ttl: float) -> None:
        self._redis.set(PREFIX + key, json.dumps(value, ensure_ascii=False), px=max(1, int(ttl * 1000)))

    def pop(self, key: str) -> Any:
        raw = self._redis.getdel(PREFIX + key)
        return None if raw is None else json.loads(raw)


def volatile_state(redis_url: str = "") -> SharedState:
    """For what may be lost with the process (a 👎's question, a draft's facts): Redis when
    workers share it, else this process's memory."""
    return RedisState(redis_url) if redis_url else MemoryState()


def lasting_state(redis_url: str, sqlite_path: str | Path) -> SharedState:
    """For what must outlive a restart (button payloads): Redis, else an SQLite file."""
    return RedisState(redis_url) if redis_url else SqliteState(sqlite_path)
