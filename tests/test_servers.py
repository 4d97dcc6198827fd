"""The real PostgreSQL and Redis of tests/servers.py: they serve, and they leave nothing behind."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg2
import pytest
import redis
import sqlalchemy

import servers
from servers import postgres_url, redis_url  # noqa: F401


def group_members(pgid: int) -> list[tuple[int, str]]:
    """(pid, state) of the live processes in process group ``pgid``; zombies count as gone."""
    members = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # ended while we looked
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state not in ("Z", "X"):
            members.append((int(stat_file.parent.name), state))
    return members


def refuses(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_postgres_round_trip_with_psycopg2(postgres_url):
    assert postgres_url.startswith("postgresql://policybot:policybot@127.0.0.1:")
    with psycopg2.connect(postgres_url) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)")
        cur.execute("INSERT INTO notes (body) VALUES (%s), (%s)", ("容错纠错", "second"))
        cur.execute("SELECT body FROM notes ORDER BY id")
        assert cur.fetchall() == [("容错纠错",), ("second",)]
        cur.execute("SELECT current_user, current_database()")
        assert cur.fetchone() == ("policybot", "policybot")
        cur.execute("DROP TABLE notes")
    conn.close()


def test_postgres_with_sqlalchemy_and_a_checked_password(postgres_url):
    engine = sqlalchemy.create_engine(postgres_url)
    try:
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text("CREATE TABLE kv (k text PRIMARY KEY, v integer)"))
            conn.execute(sqlalchemy.text("INSERT INTO kv VALUES (:k, :v)"), [{"k": "a", "v": 1}, {"k": "b", "v": 2}])
        with engine.begin() as conn:
            assert conn.execute(sqlalchemy.text("SELECT sum(v) FROM kv")).scalar() == 3
            conn.execute(sqlalchemy.text("DROP TABLE kv"))
    finally:
        engine.dispose()
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(postgres_url.replace("policybot:policybot@", "policybot:wrong@"))


def test_redis_set_get_and_blpop(redis_url):
    assert redis_url.startswith("redis://127.0.0.1:")
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.set("greeting", "你好")
        assert client.get("greeting").decode() == "你好"
        assert client.blpop(["jobs"], timeout=0.1) is None  # empty: waits, then gives up

        pusher = threading.Timer(0.2, lambda: redis.Redis.from_url(redis_url).rpush("jobs", "job-1"))
        pusher.start()
        started = time.monotonic()
        assert client.blpop(["jobs"], timeout=5) == (b"jobs", b"job-1")
        assert 0.1 < time.monotonic() - started < 5  # it really blocked until the push
        pusher.join()
        assert client.config_get("save") == {"save": ""}
        assert client.config_get("appendonly") == {"appendonly": "no"}
    finally:
        client.delete("greeting", "jobs")
        client.close()


@pytest.mark.parametrize("start", [servers.start_postgres, servers.start_redis], ids=["postgres", "redis"])
def test_stop_leaves_no_process_and_may_be_called_twice(start, tmp_path):
    server = start(tmp_path)
    assert server.startup_seconds < 10
    assert group_members(server.process.pid)  # running, in a process group of its own
    assert not refuses(server.port)

    server.stop()
    assert server.process.poll() is not None  # reaped: returncode known, no zombie
    assert group_members(server.process.pid) == []
    assert refuses(server.port)
    server.stop()  # harmless


CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
import servers
from pathlib import Path
pg = servers.start_postgres(Path(sys.argv[2]) / "pg")
rd = servers.start_redis(Path(sys.argv[2]) / "redis")
print(json.dumps([pg.process.pid, pg.port, rd.process.pid, rd.port]), flush=True)
time.sleep(120)
"""


def test_servers_die_when_the_process_that_started_them_is_killed(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(Path(__file__).parent), str(tmp_path)],
                             stdout=subprocess.PIPE, text=True)
    try:
        pg_pid, pg_port, redis_pid, redis_port = json.loads(child.stdout.readline())
        assert group_members(pg_pid) and group_members(redis_pid)
    finally:
        child.send_signal(signal.SIGKILL)  # no teardown at all
        child.wait()
        child.stdout.close()
    deadline = time.monotonic() + 10
    while (group_members(pg_pid) or group_members(redis_pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert group_members(pg_pid) == [] and group_members(redis_pid) == []
    assert refuses(pg_port) and refuses(redis_port)


def test_missing_servers_are_named_with_the_install_script(monkeypatch, tmp_path):
    monkeypatch.setattr(servers, "_pg_bin_dir", lambda: None)
    monkeypatch.setattr(servers.shutil, "which", lambda name: None)
    assert not servers.postgres_available() and not servers.redis_available()
    for start in (servers.start_postgres, servers.start_redis):
        with pytest.raises(servers.ServerUnavailable, match="scripts/install-servers.sh"):
            start(tmp_path)
    with pytest.raises(pytest.fail.Exception, match="scripts/install-servers.sh"):
        servers._start_or_fail(servers.start_redis, tmp_path)
