"""Durable conversations (bot.trackers): a self-check survives a restart of the bot, and what
the privacy rules keep out of storage is not in the tracker store either."""

from __future__ import annotations

import json
import uuid

import sqlite_utils

from bot.config import load_settings
from bot.engine import Engine
from bot.screening_dialogue import choose_payload
from bot.trackers import REMOVED


def stored_texts(path, sender: str) -> str:
    """Every stored event of one conversation, as readable text (Rasa stores JSON with \\u escapes)."""
    rows = sqlite_utils.Database(path)["events"].rows_where("sender_id = ?", [sender])
    return " ".join(json.dumps(json.loads(row["data"]), ensure_ascii=False) for row in rows)


def test_a_self_check_continues_after_a_restart(engine, trained_model, engine_db):
    me = f"test-{uuid.uuid4().hex[:8]}"
    engine.talk(me, "/start_screening")
    replies = engine.talk(me, choose_payload("private_gain:no"))
    asked = next(r for r in reversed(replies) if r.extra.get("question")).extra["question"]
    assert asked != "private_gain"
    again = Engine(load_settings(), trained_model, db_path=str(engine_db))  # a restarted bot
    engine.run(again.start())
    try:
        replies = engine.run(again.handle(me, "/start_screening"))
        question = next(r for r in reversed(replies) if r.extra.get("question"))
        assert question.extra["question"] == asked  # where it was, not at the first question
    finally:
        engine.run(again.close())


def test_care_texts_and_the_drafts_facts_are_not_stored(engine):
    me = f"test-{uuid.uuid4().hex[:8]}"
    despair = f"真的不想活了 {uuid.uuid4().hex[:6]}"
    assert engine.talk(me, despair)[0].kind == "distress"
    fact = f"某局{uuid.uuid4().hex[:6]}"
    engine.talk(me, '/draft{"guide":"general:self"}')
    engine.talk(me, fact)
    engine.talk(me, "取消")
    ordinary = "容错纠错是什么意思"
    engine.talk(me, ordinary)
    stored = stored_texts(engine.tracker_path, me)
    assert despair not in stored and fact not in stored and REMOVED in stored
    assert ordinary in stored  # ordinary words are kept
    assert engine.run(engine.forget(me)) > 0 and stored_texts(engine.tracker_path, me) == ""


def test_purge_deletes_old_conversations(tmp_path):
    import asyncio

    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.trackers import open_store

    store = open_store(tmp_path / "var" / "tracker.db")
    asyncio.run(store.save(DialogueStateTracker.from_events("someone", [UserUttered("你好")])))
    assert store.purge(older_than_days=30) == 0
    assert store.purge(older_than_days=0) == 1 and store.forget("someone") == 0


def test_each_event_is_stored_once_whichever_worker_saves(tmp_path):
    """A tracker read by one store (worker) and saved again, or saved by another, stores each
    event exactly once: the count of stored events travels with the tracker object."""
    import asyncio

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.trackers import open_store

    domain = Domain.from_dict({"intents": ["greet"]})
    path = tmp_path / "var" / "tracker.db"
    one, two = open_store(path, domain), open_store(path, domain)
    tracker = DialogueStateTracker.from_events("u", [UserUttered("一"), ActionExecuted("action_listen")])
    asyncio.run(one.save(tracker))
    tracker.update(UserUttered("二"))
    asyncio.run(one.save(tracker))
    asyncio.run(one.save(tracker))  # nothing new: nothing written
    loaded = asyncio.run(two.retrieve("u"))
    loaded.update(UserUttered("三"))
    asyncio.run(two.save(loaded))
    texts = [json.loads(row["data"]).get("text") for row in sqlite_utils.Database(path)["events"].rows_where(
        "sender_id = ?", ["u"], order_by="id")]
    assert texts == ["一", None, "二", "三"]
