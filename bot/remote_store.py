"""The bot's store seen from workers on any machine: calls go through Redis to the front,
which owns the SQLite database (bot.store) and is its only writer.

Writes (a turn, a milestone, a logged question, feedback) are sent and not waited for, like
the single process sends them off the reply path. ``forget`` and ``admin_stats`` wait for the
front's answer.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import uuid
from typing import Any

logger = logging.getLogger(__name__)

CALLS = "policybot:store"
WRITES = ("touch_user", "record_turn", "record_feedback", "log_unanswered", "record_milestone")
QUERIES = ("forget", "admin_stats")
ANSWER_SECONDS = 30.0
BATCH = 100


class StoreUnavailable(Exception):
    "The front did not answer a store query in time."


class RemoteStore:
    """The write and query methods of bot.store.Store, carried out by the front."""

    def __init__(self, redis_url: str):
        import redis

        self._redis = redis.Redis.from_url(redis_url, socket_timeout=ANSWER_SECONDS + 5)

    def _send(self, method: str, args: tuple, reply: str = "") -> None:
        self._redis.rpush(CALLS, json.dumps({"method": method, "args": list(args), "reply": reply}, ensure_ascii=False))

    def _query(self, method: str, *args: Any) -> Any:
        reply = f"policybot:reply:{uuid.uuid4().hex}"
        self._send(method, args, reply)
        answer = self._redis.blpop(reply, timeout=ANSWER_SECONDS)
        if answer is None:
            raise StoreUnavailable(f"the front did not answer {method} within {ANSWER_SECONDS:.0f}s")
        result = json.loads(answer[1])
        if "error" in result:
            raise StoreUnavailable(result["error"])
        return result["value"]

    def touch_user(self, user_key: str, campaign: str = "") -> None:
        self._send("touch_user", (user_key, campaign))

    def record_turn(self, user_key: str, kind: str, faq_id: str | None, latency_ms: float, campaign: str = "") -> None:
        self._send("record_turn", (user_key, kind, faq_id, latency_ms, campaign))

    def record_feedback(self, user_key: str, faq_id: str, useful: bool) -> None:
        self._send("record_feedback", (user_key, faq_id, useful))

    def log_unanswered(self, question: str, kind: str, user_key: str = "", best_guess: str = "",
                       confidence: float = 0.0) -> None:
        self._send("log_unanswered", (question, kind, user_key, best_guess, confidence))

    def record_milestone(self, user_key: str, name: str, detail: str = "") -> None:
        self._send("record_milestone", (user_key, name, detail))

    def forget(self, user_key: str) -> int:
        return int(self._query("forget", user_key))

    def admin_stats(self, campaign: str | None, days: int) -> tuple[str, bytes]:
        text, png = self._query("admin_stats", campaign, days)
        return text, base64.b64decode(png)


def _apply(store: Any, method: str, args: list) -> Any:
    if method not in WRITES + QUERIES:
        raise ValueError(f"unknown store method {method!r}")
    value = getattr(store, method)(*args)
    if method == "admin_stats":
        text, png = value
        return [text, base64.b64encode(png).decode()]
    return value


def _apply_all(store: Any, calls: list[dict]) -> list[dict]:
    """Each call's answer, in order; a failed call is logged (a query gets the error)."""
    answers = []
    for call in calls:
        try:
            answers.append({"value": _apply(store, call["method"], call["args"])})
        except Exception as exc:  # noqa: BLE001 - one bad call must not stop the others
            logger.exception("store call %s failed", call.get("method"))
            answers.append({"error": f"{call.get('method')}: {exc}"})
    return answers


async def serve_store(redis, store: Any, stop: asyncio.Event, batch: int = BATCH) -> None:
    """The front's side: carry out the workers' store calls, in the order they came.

    The calls waiting are taken together (up to ``batch``, BLMPOP: Redis 7) and carried out in
    one thread hop: a busy front makes one Redis round trip per batch, not per call."""
    while not stop.is_set():
        try:
            found = await redis.blmpop(1, 1, CALLS, direction="LEFT", count=batch)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - Redis away for a moment
            logger.exception("store calls: Redis unavailable")
            await asyncio.sleep(1)
            continue
        if not found:
            continue
        calls = []
        for raw in found[1]:
            try:
                calls.append(json.loads(raw))
            except ValueError:
                logger.error("store calls: not JSON, dropped: %r", raw[:80])
        answers = await asyncio.to_thread(_apply_all, store, calls)
        for call, answer in zip(calls, answers):
            if call.get("reply"):
                await redis.rpush(call["reply"], json.dumps(answer, ensure_ascii=False))
                await redis.expire(call["reply"], int(ANSWER_SECONDS))
