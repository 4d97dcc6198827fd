"""Several workers behind one Telegram front (bot.front, bot.worker, bot.mailbox), on real
PostgreSQL and Redis: a conversation moves between workers with its state, survives a worker
killed with SIGKILL and a front killed and started again, and no update is lost or answered
twice. The front and the workers run as separate commands, as on several machines."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest
import redis as redis_sync
import sqlite_utils

from bot.store import user_key
from fake_telegram import ADMIN, TOKEN, FakeTelegram

SECRET = "workers-test"
START_SECONDS = 240


class Cluster:
    """The fake Bot API in a thread of its own, the front and the workers as subprocesses."""

    def __init__(self, tmp_path, postgres_url: str, redis_url: str):
        self.postgres_url = postgres_url
        self.loop = asyncio.new_event_loop()
        self.fake = self.loop.run_until_complete(FakeTelegram().start())
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.redis = redis_sync.Redis.from_url(redis_url)
        self.redis.flushdb()
        self.db = tmp_path / "bot.db"
        self.env = dict(os.environ, TELEGRAM_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=self.fake.base_url,
                        POLICYBOT_DB=str(self.db), POLICYBOT_SECRET=SECRET, POLICYBOT_ADMIN_IDS=str(ADMIN),
                        POLICYBOT_REDIS_URL=redis_url, POLICYBOT_TRACKER_URL=postgres_url)
        self.logs = tmp_path
        self.front = self.start("front", 0)
        self.workers = self.start("workers", 2)

    def start(self, role: str, workers: int) -> subprocess.Popen:
        log = open(self.logs / f"{role}.log", "ab")
        return subprocess.Popen([sys.executable, "-m", "bot", "serve", "--role", role, "--workers", str(workers)],
                                env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def log(self, role: str) -> str:
        return (self.logs / f"{role}.log").read_text(errors="replace")[-4000:]

    def send(self, user: int, text: str) -> None:
        self.loop.call_soon_threadsafe(self.fake.send_text, user, text)

    def press(self, user: int, data: str) -> None:
        self.loop.call_soon_threadsafe(self.fake.press, user, data)

    def wait(self, predicate, seconds: float = 60.0, what: str = "") -> None:
        deadline = time.monotonic() + seconds
        while not predicate():
            for role, process in (("front", self.front), ("workers", self.workers)):
                assert process.poll() is None, f"{role} exited: {self.log(role)}"
            assert time.monotonic() < deadline, f"timed out waiting for {what}; front: {self.log('front')[-1500:]}"
            time.sleep(0.1)

    def worker_pids(self) -> set[int]:
        return {int(pid) for pid in self.redis.hkeys("policybot:handled")}

    def worker_of(self, telegram_id: int) -> int:
        return int(self.redis.get(f"policybot:worker_of:{user_key(SECRET.encode(), telegram_id)}") or 0)

    def stop(self) -> None:
        for process in (self.front, self.workers):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes = [process.wait(timeout=60) for process in (self.front, self.workers)]
        self.loop.call_soon_threadsafe(self.loop.stop)
        assert codes == [0, 0], (self.log("front"), self.log("workers"))
        for process in (self.front, self.workers):
            leftovers = subprocess.run(["pgrep", "-s", str(process.pid)], capture_output=True, text=True).stdout.split()
            assert leftovers == [], "a worker or an action server outlived its supervisor"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, trained_model, postgres_url, redis_url):
    running = Cluster(tmp_path_factory.mktemp("cluster"), postgres_url, redis_url)
    try:
        # both workers up: every user below is answered by a loaded engine
        for probe in (9901, 9902, 9903, 9904):
            running.send(probe, "/start")
        running.wait(lambda: all(running.fake.sent_to(p) for p in (9901, 9902, 9903, 9904)), START_SECONDS, "start")
        running.wait(lambda: len(running.worker_pids()) == 2, 120, "two workers")
        yield running
    finally:
        running.stop()


def conversation_rows(postgres_url: str, sender: str) -> int:
    import psycopg2

    with psycopg2.connect(postgres_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM events WHERE sender_id = %s", (sender,))
        return cursor.fetchone()[0]


def option_buttons(call) -> list[dict]:
    return [b for b in call.buttons if not b["callback_data"].startswith("f:")]


def test_a_screening_moves_between_workers_and_survives_a_killed_one(cluster, engine):
    fake, user = cluster.fake, 9101
    mirror = f"test-{uuid.uuid4().hex[:8]}"  # the same choices in the single in-process engine
    expected = engine.talk(mirror, "/start_screening")
    cluster.send(user, "/screen")
    cluster.wait(lambda: len(fake.sent_to(user)) >= len(expected), what="the first question")
    for _ in range(2):
        before = len(fake.sent_to(user))
        choice = option_buttons(fake.sent_to(user)[-1])[0]
        expected = engine.talk(mirror, expected[-1].buttons[0].payload)
        cluster.press(user, choice["callback_data"])
        cluster.wait(lambda: len(fake.sent_to(user)) >= before + len(expected), what="the next question")
        assert fake.sent_to(user)[-1].text == expected[-1].text

    victim = cluster.worker_of(user)
    assert victim in cluster.worker_pids()
    os.kill(victim, signal.SIGKILL)  # in the middle of the self-check
    before = len(fake.sent_to(user))
    expected = engine.talk(mirror, expected[-1].buttons[0].payload)
    cluster.press(user, option_buttons(fake.sent_to(user)[-1])[0]["callback_data"])
    cluster.wait(lambda: len(fake.sent_to(user)) >= before + len(expected), 60, "the answer after the kill")
    time.sleep(2)  # a duplicate would come now
    sent = fake.sent_to(user)
    assert len(sent) == before + len(expected), "a reply was sent twice"
    assert sent[-1].text == expected[-1].text  # the screening went on where it was
    assert cluster.worker_of(user) not in (victim, 0)  # answered by the other worker


def test_restarting_the_front_loses_nothing_and_sends_nothing_twice(cluster):
    fake = cluster.fake
    users = [9201, 9202, 9203]
    for user in users:
        cluster.send(user, "你好")
    cluster.wait(lambda: all(fake.sent_to(u) for u in users), what="the first replies")
    cluster.front.send_signal(signal.SIGKILL)
    cluster.front.wait()
    for user in users:  # while the front is down
        cluster.send(user, "谢谢")
        cluster.send(user, "容错申请要准备哪些材料")
    cluster.front = cluster.start("front", 0)
    cluster.wait(lambda: all(len(fake.sent_to(u)) >= 3 for u in users), 120, "the replies after the restart")
    time.sleep(3)
    for user in users:
        sent = fake.sent_to(user)
        assert len(sent) == 3, [c.text[:20] for c in sent]
        assert "不客气" in sent[1].text and "依据：《" in sent[2].text  # in the order they were written


def test_a_flooding_user_gets_one_notice_and_others_are_served(cluster):
    fake, flooder, calm = cluster.fake, 9301, 9302
    for index in range(60):
        cluster.send(flooder, f"第{index}个问题：容错是什么")
    cluster.send(calm, "你好")
    cluster.wait(lambda: fake.sent_to(calm), what="the calm user's reply")
    cluster.wait(lambda: sum("太快" in c.text for c in fake.sent_to(flooder)) == 1, what="the notice")
    time.sleep(3)
    sent = fake.sent_to(flooder)
    assert sum("太快" in c.text for c in sent) == 1 and len(sent) < 20


def test_forget_and_stats_go_through_the_front(cluster):
    fake, user = cluster.fake, 9401
    cluster.send(user, "容错申请要准备哪些材料")
    cluster.wait(lambda: fake.sent_to(user), what="the answer")
    key = user_key(SECRET.encode(), user)
    cluster.wait(lambda: sqlite_utils.Database(cluster.db)["events"].count_where("user_key = ?", [key]) > 0,
                 10, "the front's write")
    assert conversation_rows(cluster.postgres_url, key) > 0
    cluster.send(user, "/forget")
    cluster.wait(lambda: len(fake.sent_to(user)) >= 2, what="the question to confirm")
    cluster.press(user, "forget:yes")
    cluster.wait(lambda: len(fake.sent_to(user)) >= 3, what="the confirmation")
    assert "已删除" in fake.sent_to(user)[2].text
    assert sqlite_utils.Database(cluster.db)["events"].count_where("user_key = ?", [key]) == 0
    assert conversation_rows(cluster.postgres_url, key) == 0  # the conversation in PostgreSQL too
    cluster.send(ADMIN, "/stats")
    cluster.wait(lambda: fake.sent_to(ADMIN, "sendPhoto"), what="the admin's chart")
