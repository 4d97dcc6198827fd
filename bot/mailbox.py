"""Telegram updates handed from the front to the workers through Redis, one mailbox per user.

The front puts each update in its user's mailbox (a Redis list) once, by update_id, and the
user on the ``ready`` list. A worker takes a user from ``ready``, holds the user's mailbox lock
and handles that user's updates one at a time, oldest first; other users go to other workers
or other tasks of the same worker. So a user's updates are handled in order and by one worker
at a time, while different users run in parallel.

An update leaves its mailbox only after it was handled: if a worker dies (kill -9) in the
middle, its lock expires after ``LOCK_SECONDS`` and another worker handles the update again.
A reply can then be sent once more than asked, never lost. The lock is renewed while a turn
runs, so a slow turn keeps it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from typing import Awaitable, Callable

logger = logging.getLogger(__name__)

PREFIX = "policybot:"
READY = PREFIX + "ready"
OFFSET = PREFIX + "offset"
LOCK_SECONDS = 10.0  # how long a dead worker can hold a user; renewed every third of it by a live one
SEEN_SECONDS = 24 * 3600  # Telegram re-sends an unconfirmed update for at most a day
SWEEP_SECONDS = 2.0

# Atomically: take the update once (by update_id), append it to the user's mailbox, and put the
# user on the ready list unless already there.
PUSH = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) then
  redis.call('RPUSH', KEYS[2], ARGV[1])
  if not redis.call('LPOS', KEYS[3], ARGV[3]) then redis.call('RPUSH', KEYS[3], ARGV[3]) end
  return 1
end
return 0
"""
# Release a lock only if it is still ours (it may have expired and been taken by another worker).
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


def inbox(user: str) -> str:
    return f"{PREFIX}inbox:{user}"


def lock_key(user: str) -> str:
    return f"{PREFIX}held:{user}"  # not lock: (Rasa's RedisLockStore uses policybot:lock:)


def connect(url: str):
    """An asyncio Redis client for ``url``."""
    import redis.asyncio as aioredis

    return aioredis.Redis.from_url(url, socket_timeout=10, max_connections=200)


async def push(redis, user: str, update_id: int, raw: str) -> bool:
    """Queue one update for ``user``; False when this update_id was queued before."""
    return await push_many(redis, [(user, update_id, raw)]) == 1


async def push_many(redis, updates: list[tuple[str, int, str]], offset: int | None = None) -> int:
    """Queue ``updates`` (user, update_id, raw JSON) in one round trip, then save ``offset``
    (Redis runs a connection's commands in order, so it is saved only after they are queued).
    Returns how many were new."""
    pipe = redis.pipeline(transaction=False)
    for user, update_id, raw in updates:
        keys = [f"{PREFIX}seen:{update_id}", inbox(user), READY]
        pipe.eval(PUSH, len(keys), *keys, raw, int(SEEN_SECONDS), user)
    if offset is not None:
        pipe.set(OFFSET, offset)
    results = await pipe.execute()
    return sum(1 for result in results[:len(updates)] if result == 1)


Handler = Callable[[str], Awaitable[None]]


class Consumer:
    """Takes users from ``ready`` and drains their mailboxes with ``handle`` (the raw update)."""

    def __init__(self, redis, handle: Handler, tasks: int = 32, name: str = ""):
        self.redis = redis
        self.handle = handle
        self.tasks = tasks
        self.token = name or f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.handled = 0
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        """Until ``stop()``: ``tasks`` users at a time, and a sweep for users a dead worker left."""
        runners = [asyncio.create_task(self._take_users()) for _ in range(self.tasks)]
        runners.append(asyncio.create_task(self._sweep()))
        await self._stop.wait()
        # Turns in flight finish (their replies go out); then whatever still waits is cancelled.
        await asyncio.wait(runners[:-1], timeout=LOCK_SECONDS)
        for runner in runners:
            runner.cancel()
        await asyncio.gather(*runners, return_exceptions=True)

    async def _take_users(self) -> None:
        while not self._stop.is_set():
            try:
                item = await self.redis.blpop(READY, timeout=1)
                if item is not None:
                    await self._drain(item[1].decode())
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - Redis away for a moment: retry, do not die
                logger.exception("mailbox: could not take work")
                await asyncio.sleep(1)

    async def _drain(self, user: str) -> None:
        if not await self.redis.set(lock_key(user), self.token, nx=True, px=int(LOCK_SECONDS * 1000)):
            return  # another worker holds this user and will find the new update
        renewing = asyncio.create_task(self._renew(user))
        try:
            while not self._stop.is_set():
                raw = await self.redis.lindex(inbox(user), 0)
                if raw is None:
                    break
                try:
                    await self.handle(raw.decode())
                except Exception:  # noqa: BLE001 - one bad update must not block the user's next ones
                    logger.exception("mailbox: an update failed and is dropped")
                await self.redis.lpop(inbox(user))
                self.handled += 1
        finally:
            renewing.cancel()
            await self.redis.eval(RELEASE, 1, lock_key(user), self.token)
            # An update may have come after the last look and before the release.
            if await self.redis.llen(inbox(user)):
                await self._schedule(user)

    async def _renew(self, user: str) -> None:
        while True:
            await asyncio.sleep(LOCK_SECONDS / 3)
            await self.redis.eval(RENEW, 1, lock_key(user), self.token, int(LOCK_SECONDS * 1000))

    async def _schedule(self, user: str) -> None:
        if await self.redis.lpos(READY, user) is None:
            await self.redis.rpush(READY, user)

    async def _sweep(self) -> None:
        """Users with waiting updates, nobody holding them and not on ``ready``: their worker
        died. Put them back."""
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                async for key in self.redis.scan_iter(match=inbox("*"), count=500):
                    user = key.decode()[len(inbox("")):]
                    if not await self.redis.exists(lock_key(user)):
                        await self._schedule(user)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001
                logger.exception("mailbox: sweep failed")


async def wait_until_empty(redis, timeout: float = 30.0) -> bool:
    """True once no update waits anywhere (for a graceful stop and for tests)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not [key async for key in redis.scan_iter(match=inbox("*"), count=500)]:
            return True
        await asyncio.sleep(0.1)
    return False
