"""Shared state (bot.shared): what one process keeps in memory, the single bot keeps across a
restart in SQLite, and several workers share in Redis, each with its expiry; button payloads
decode on any worker."""

from __future__ import annotations

import time

import pytest

from bot.channels.telegram import CallbackMap
from bot.shared import MemoryState, RedisState, SqliteState

LONG = '/apply_guide{"guide":"hubei/shiyan:unit:3","from":"screening_result_button"}'


@pytest.fixture(params=["memory", "sqlite", "redis"])
def state(request, tmp_path):
    if request.param == "memory":
        return MemoryState()
    if request.param == "sqlite":
        return SqliteState(tmp_path / "shared.db")
    return RedisState(request.getfixturevalue("redis_url"))


def test_put_get_pop_and_expiry(state):
    state.put("a", {"x": "容错"}, ttl=60)
    assert state.get("a") == {"x": "容错"} and state.pop("a") == {"x": "容错"} and state.get("a") is None
    state.put("short", [1, 2], ttl=0.2)
    time.sleep(0.4)
    assert state.get("short") is None and state.pop("nothing") is None


def test_a_button_survives_a_restart_and_decodes_on_another_worker(tmp_path, redis_url):
    encoded = CallbackMap(SqliteState(tmp_path / "shared.db")).encode(LONG)
    assert len(encoded.encode()) <= 64
    assert CallbackMap(SqliteState(tmp_path / "shared.db")).decode(encoded) == LONG  # after a restart
    one, other = CallbackMap(RedisState(redis_url)), CallbackMap(RedisState(redis_url))
    assert other.decode(one.encode(LONG)) == LONG and one.encode(LONG) == other.encode(LONG)
