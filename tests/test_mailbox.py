"""The Redis mailboxes between the front and the workers (bot.mailbox), on a real Redis: each
update is taken once, a user's updates are handled one at a time and in order while users run
in parallel, and the updates a dead worker held are handled by another."""

from __future__ import annotations

import asyncio
import time

from bot import mailbox
from bot.mailbox import Consumer, connect, push


def run(coroutine):
    return asyncio.run(coroutine)


async def fresh(url):
    redis = connect(url)
    await redis.flushdb()
    return redis


def test_each_update_is_queued_once_by_update_id(redis_url):
    async def main():
        redis = await fresh(redis_url)
        assert await push(redis, "u1", 1, "a") and not await push(redis, "u1", 1, "a")
        assert await push(redis, "u1", 2, "b") and await push(redis, "u2", 3, "c")
        assert await redis.lrange(mailbox.inbox("u1"), 0, -1) == [b"a", b"b"]
        assert await redis.lrange(mailbox.READY, 0, -1) == [b"u1", b"u2"]  # each user once
        await redis.close()

    run(main())


def test_in_order_per_user_in_parallel_across_users_with_two_consumers(redis_url):
    async def main():
        redis = await fresh(redis_url)
        handled: dict[str, list[int]] = {}
        busy: set[str] = set()
        overlaps = []
        most: list[int] = []

        async def handle(raw: str) -> None:
            user, number = raw.split(":")
            if user in busy:
                overlaps.append(raw)
            busy.add(user)
            most.append(len(busy))
            await asyncio.sleep(0.01)
            handled.setdefault(user, []).append(int(number))
            busy.discard(user)

        consumers = [Consumer(connect(redis_url), handle, tasks=2, name=f"c{i}") for i in range(2)]
        running = [asyncio.create_task(c.run()) for c in consumers]
        update_id = 0
        for number in range(20):
            for user in ("a", "b", "c", "d", "e"):
                update_id += 1
                await push(redis, user, update_id, f"{user}:{number}")
        started = time.monotonic()
        while sum(map(len, handled.values())) < 100 and time.monotonic() - started < 20:
            await asyncio.sleep(0.05)
        for consumer in consumers:
            consumer.stop()
        await asyncio.gather(*running)
        assert all(handled[user] == list(range(20)) for user in "abcde") and not overlaps
        assert all(c.handled > 0 for c in consumers)  # both took part
        assert max(most) > 1  # users ran side by side
        await redis.close()

    run(main())


def test_a_dead_workers_user_is_taken_over_after_its_lock_expires(redis_url, monkeypatch):
    monkeypatch.setattr(mailbox, "LOCK_SECONDS", 1.0)
    monkeypatch.setattr(mailbox, "SWEEP_SECONDS", 0.2)

    async def main():
        redis = await fresh(redis_url)
        await push(redis, "u", 1, "first")
        await push(redis, "u", 2, "second")
        # a worker took the user and died: its lock stays until it expires, the user is off ready
        await redis.set(mailbox.lock_key("u"), "dead-worker", px=1000)
        await redis.delete(mailbox.READY)
        seen = []

        async def handle(raw: str) -> None:
            seen.append(raw)

        consumer = Consumer(connect(redis_url), handle, tasks=2)
        running = asyncio.create_task(consumer.run())
        started = time.monotonic()
        while len(seen) < 2 and time.monotonic() - started < 10:
            await asyncio.sleep(0.05)
        consumer.stop()
        await running
        assert seen == ["first", "second"] and time.monotonic() - started >= 0.8
        await redis.close()

    run(main())


def test_a_poll_is_queued_with_its_offset_in_one_round_trip(redis_url):
    async def main():
        redis = await fresh(redis_url)
        new = await mailbox.push_many(redis, [("u1", 7, "a"), ("u2", 8, "b"), ("u1", 7, "a")], offset=9)
        assert new == 2 and await redis.get(mailbox.OFFSET) == b"9"
        assert await redis.lrange(mailbox.inbox("u1"), 0, -1) == [b"a"]
        await redis.close()

    run(main())


def test_the_front_carries_out_the_workers_store_calls_in_order_and_answers_queries(redis_url):
    """Calls waiting together are taken together; a bad one is reported, the others still run."""
    import json

    from bot.remote_store import CALLS, serve_store

    class Store:
        def __init__(self):
            self.done = []

        def touch_user(self, key, campaign=""):
            self.done.append(("touch", key))

        def forget(self, key):
            self.done.append(("forget", key))
            return 3

    async def main():
        redis = await fresh(redis_url)
        store, stop = Store(), asyncio.Event()
        await redis.rpush(CALLS, json.dumps({"method": "touch_user", "args": ["a", ""]}), b"\xff not json",
                          json.dumps({"method": "drop_tables", "args": [], "reply": "r1"}),
                          json.dumps({"method": "forget", "args": ["a"], "reply": "r2"}))
        serving = asyncio.create_task(serve_store(redis, store, stop))
        r2 = await redis.blpop("r2", timeout=5)
        r1 = await redis.lpop("r1")
        stop.set()
        await serving
        assert store.done == [("touch", "a"), ("forget", "a")]
        assert json.loads(r2[1]) == {"value": 3} and "unknown store method" in json.loads(r1)["error"]
        await redis.close()

    run(main())
