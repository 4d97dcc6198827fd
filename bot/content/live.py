"""Content that follows edits: reloaded when a file under faq/ or knowledge/ changes.

Answer texts are read at run time, so a trainer's edit takes effect without retraining.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Callable

from bot.content.models import Content
from bot.content.validate import validate
from bot.dialogue import Dialogue, load_dialogue
from bot.errors import ContentError

logger = logging.getLogger(__name__)


class LiveContent:
    """Holds the current content and dialogue texts; ``get()`` reloads them after an edit."""

    def __init__(self, root: Path, on_load: Callable[[Content, Any], None] | None = None):
        """``on_load(content, questionnaire)`` runs on every newly loaded content before it is
        used (e.g. to build search indexes and the message reader off the answer path)."""
        self.root = root
        self._on_load = on_load
        self._lock = threading.Lock()
        self._stamp: tuple = ()
        self._content: Content | None = None
        self._dialogue: Dialogue | None = None
        self._questionnaire = None

    def _files(self) -> list[Path]:
        return sorted([*self.root.joinpath("faq").rglob("*.y*ml"), *self.root.joinpath("knowledge").rglob("*.y*ml")])

    def _current_stamp(self) -> tuple:
        return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in self._files())

    def get(self) -> tuple[Content, Dialogue]:
        """The content as it is on disk now; after a broken edit, the last good version."""
        with self._lock:
            stamp = self._current_stamp()
            if stamp != self._stamp or self._content is None:
                self._reload(stamp)
            return self._content, self._dialogue  # type: ignore[return-value]

    def questionnaire(self):
        """The screening questionnaire of the current content (None if screening.yml is broken)."""
        self.get()
        return self._questionnaire

    def _reload(self, stamp: tuple) -> None:
        content, problems = validate(self.root, screening=False)
        errors = [p for p in problems if p.is_error]
        try:
            dialogue = load_dialogue(self.root / "knowledge" / "dialogue.yml")
        except ContentError as exc:
            errors.append(exc)  # type: ignore[arg-type]
            dialogue = None
        if errors and self._content is not None:
            logger.error("content has %d errors, keeping the previous version; first: %s", len(errors), errors[0])
            self._stamp = stamp
            return
        if errors and (dialogue is None or not content.faq):
            raise ContentError(f"content cannot be loaded: {errors[0]}")
        for problem in errors:
            logger.warning("content problem: %s", problem)
        from bot.screening import load_questionnaire

        questionnaire, _ = load_questionnaire(self.root, content, explore=False)
        if questionnaire is None and self._questionnaire is not None:
            logger.error("knowledge/screening.yml has errors, keeping the previous questionnaire")
            questionnaire = self._questionnaire
        from bot.content.guide import load_guide

        guide, guide_problems = load_guide(self.root, content, questionnaire)
        if guide is None:
            first = next((p for p in guide_problems if p.is_error), "missing")
            logger.error("knowledge/apply/ has errors, keeping the previous guide; first: %s", first)
            guide = self._content.guide if self._content is not None else None
        content.guide = guide
        if self._on_load is not None:
            self._on_load(content, questionnaire)
        self._content, self._dialogue, self._questionnaire, self._stamp = content, dialogue, questionnaire, stamp
        logger.info("content loaded: %d FAQ entries", len(content.faq))
