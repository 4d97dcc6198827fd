"""Durable conversations: Rasa's SQLTrackerStore, in its own SQLite file by default, keeping
nothing that the privacy rules keep out of storage.

Rasa stores every event verbatim. Before events are written, this store blanks the words of a
message that got care (distress) and of the messages typed while a draft's facts were asked, with
the slots that carry them (the facts themselves never reach a slot: bot.actions_runtime keeps
them); intents, buttons and structured screening answers are kept, so a conversation survives a
restart where it was.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any, Iterator

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActiveLoop, BotUttered, Event, SlotSet, UserUttered

REMOVED = "[已删除]"
PRIVATE_FORMS = ("draft_form",)
# Slots that carry what the user typed for a private form (the draft's facts).
PRIVATE_SLOTS = ("draft_input", "draft_facts")
CARE_KINDS = ("distress",)


def _kind(event: Event) -> str:
    if not isinstance(event, BotUttered):
        return ""
    return str((((event.data or {}).get("custom") or {}).get("policybot") or {}).get("kind") or "")


def private_indexes(events: list[Event]) -> set[int]:
    """Indexes of the user messages whose words must not be stored: typed while a private form
    was active, or answered with care."""
    private: set[int] = set()
    active = None
    last_user = None
    for index, event in enumerate(events):
        if isinstance(event, ActiveLoop):
            active = event.name
        elif isinstance(event, UserUttered):
            last_user = index
            if active in PRIVATE_FORMS:
                private.add(index)
        elif last_user is not None and _kind(event) in CARE_KINDS:
            private.add(last_user)
    return private


def scrubbed(event: Event, private: bool) -> Event:
    """The event as it may be stored."""
    if isinstance(event, UserUttered) and private:
        clean = copy.deepcopy(event)
        clean.text = REMOVED
        if clean.parse_data:
            clean.parse_data["text"] = REMOVED
        return clean
    if isinstance(event, SlotSet) and event.key in PRIVATE_SLOTS and event.value:
        value: Any = {key: "" for key in event.value} if isinstance(event.value, dict) else REMOVED
        return SlotSet(event.key, value, timestamp=event.timestamp, metadata=event.metadata)
    return event


# How many of a tracker object's events are in the database, set when it is read and saved: a
# save then needs no count query first (Rasa's way), one round trip less per turn. A tracker
# object without it (made elsewhere) falls back to the count.
STORED = "_policybot_stored"


class PrivateSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that writes the scrubbed events (see the module docstring)."""

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> Any:
        tracker = await super()._retrieve(sender_id, fetch_events_from_all_sessions)
        if tracker is not None and not fetch_events_from_all_sessions:
            setattr(tracker, STORED, len(tracker.events))
        return tracker

    async def save(self, tracker: Any) -> None:
        await super().save(tracker)
        setattr(tracker, STORED, len(tracker.events))

    def _additional_events(self, session: Any, tracker: Any) -> Iterator[Event]:
        events = list(tracker.events)
        private = private_indexes(events)
        stored = getattr(tracker, STORED, None)
        if stored is None or stored > len(events):
            stored = len(events) - len(list(super()._additional_events(session, tracker)))
        return iter(scrubbed(event, index in private) for index, event in enumerate(events) if index >= stored)

    def forget(self, sender_id: str) -> int:
        """Delete every stored event of one conversation; return how many."""
        with self.session_scope() as session:
            deleted = session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id).delete()
            session.commit()
        return int(deleted or 0)

    def purge(self, older_than_days: int) -> int:
        """Delete the events older than the retention period; return how many."""
        cutoff = time.time() - older_than_days * 86400
        with self.session_scope() as session:
            deleted = session.query(self.SQLEvent).filter(self.SQLEvent.timestamp < cutoff).delete()
            session.commit()
        return int(deleted or 0)


def open_store(path: Path, domain: Any = None, url: str = "") -> PrivateSQLTrackerStore:
    """The tracker store at ``url`` (postgresql://user:password@host:port/db, shared by
    workers), else in the SQLite file ``path`` (created with its folder if missing)."""
    if url:
        from sqlalchemy.engine.url import make_url

        parts = make_url(url)
        return PrivateSQLTrackerStore(domain=domain, dialect=parts.drivername, host=parts.host, port=parts.port,
                                      db=parts.database, username=parts.username, password=parts.password)
    path.parent.mkdir(parents=True, exist_ok=True)
    return PrivateSQLTrackerStore(domain=domain, dialect="sqlite", db=str(path))


# How long Rasa's lock holds a conversation whose worker died (Rasa's default is 60 s); a live
# worker's turn takes well under a second. Between attempts a waiting turn sleeps WAIT_SECONDS
# (Rasa's default is 1 s).
LOCK_SECONDS = 10.0
WAIT_SECONDS = 0.05


def open_lock_store(url: str) -> Any:
    """Rasa's RedisLockStore at ``url`` (redis://host:port/db), with the shorter lock above."""
    from redis.connection import parse_url
    from rasa.core.lock_store import RedisLockStore

    class ShortRedisLockStore(RedisLockStore):
        def lock(self, conversation_id: str, lock_lifetime: float = LOCK_SECONDS,
                 wait_time_in_seconds: float = WAIT_SECONDS):
            return super().lock(conversation_id, lock_lifetime, wait_time_in_seconds)

    parts = parse_url(url)
    return ShortRedisLockStore(host=parts.get("host", "localhost"), port=parts.get("port", 6379), db=parts.get("db", 0),
                               username=parts.get("username"), password=parts.get("password"), key_prefix="policybot")
