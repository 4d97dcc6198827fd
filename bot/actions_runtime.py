"""What the action server process shares between requests: live content and the store."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from bot.answering import Reply
from bot.config import load_settings
from bot.content.live import LiveContent
from bot.retrieval import warm
from bot.shared import MemoryState, SharedState, volatile_state
from bot.store import Store

logger = logging.getLogger(__name__)
FACTS_TTL = 3600.0  # seconds a started draft's facts are kept without being used


@dataclass
class Runtime:
    content: LiveContent
    store: Any
    # The facts typed for a drafted application, by conversation, until the draft is made: kept
    # in memory only (this process's, or Redis shared by the workers), never in the tracker
    # store (its slot holds which facts were asked) nor in the database.
    draft_facts: SharedState = field(default_factory=MemoryState)

    def remember_facts(self, sender: str, facts: dict[str, str]) -> dict[str, str]:
        """Keep ``facts`` for ``sender``; return what the slot may hold (the ids, no text)."""
        if facts:
            self.draft_facts.put(f"facts:{sender}", dict(facts), FACTS_TTL)
        else:
            self.draft_facts.pop(f"facts:{sender}")
        return {fact_id: "" for fact_id in facts}

    def facts_of(self, sender: str, asked: dict[str, str]) -> dict[str, str]:
        """The facts typed so far (the slot's ids, with the text kept here)."""
        kept = self.draft_facts.get(f"facts:{sender}") or {}
        return {fact_id: kept.get(fact_id, "") for fact_id in asked}

    def drop_facts(self, sender: str) -> None:
        self.draft_facts.pop(f"facts:{sender}")

    def log_unanswered(self, question: str, reply: Reply, user_key: str, best_guess: str = "",
                       confidence: float = 0.0) -> None:
        """Record a declined or clarified question for trainers, with the bot's best guess; a
        storage fault never breaks the reply."""
        if self.store is None or not question.strip() or question.startswith("/"):
            return
        try:
            self.store.log_unanswered(question, reply.kind, user_key=user_key, best_guess=best_guess,
                                      confidence=confidence)
        except Exception:  # noqa: BLE001 - logging must not cost the user an answer
            logger.exception("could not log an unanswered question")


    def record_milestone(self, user_key: str, name: str, detail: str = "") -> None:
        """Count a step of the funnel (no content); a storage fault never breaks the reply."""
        if self.store is None or not name:
            return
        try:
            self.store.record_milestone(user_key, name, detail)
        except Exception:  # noqa: BLE001 - counting must not cost the user an answer
            logger.exception("could not record a milestone")


def warm_all(content, questionnaire) -> None:
    """Build the search indexes, the FAQ classifier and the message reader of newly loaded
    content now, so that no user waits for them (the reader trains in several seconds)."""
    from bot.privacy import scrub
    from bot.reader import reader_for

    warm(content)
    reader_for(content, questionnaire)
    scrub("我叫张三")  # loads the name tagger (≈ 2 s) now, not when the first question is logged


@lru_cache(maxsize=1)
def runtime() -> Runtime:
    settings = load_settings()
    db = os.environ.get("POLICYBOT_DB") or str(settings.db_path)
    redis_url = os.environ.get("POLICYBOT_REDIS_URL", "")
    if redis_url:  # one of several workers: the front writes the database
        from bot.remote_store import RemoteStore

        store: Any = RemoteStore(redis_url)
    else:
        store = Store(db) if db != ":none:" else None
    # the classifiers train at load, not on the first question after a (re)load
    return Runtime(content=LiveContent(settings.root, on_load=warm_all), store=store,
                   draft_facts=volatile_state(redis_url))
