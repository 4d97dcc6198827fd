"""Content that follows edits: reloaded when a file under faq/ or knowledge/ changes.

Answer texts are read at run time, so a trainer's edit takes effect without retraining.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Callable

from bot.content import snapshot
from bot.content.models import Content
from bot.content.validate import validate
from bot.dialogue import Dialogue, load_dialogue
from bot.errors import ContentError

logger = logging.getLogger(__name__)


class LiveContent:
    """Holds the current content and dialogue texts; ``get()`` reloads them after an edit."""

    def __init__(self, root: Path, on_load: Callable[[Content, Any], None] | None = None,
                 on_change: Callable[[list[str], bool], None] | None = None):
        """``on_load(content, questionnaire)`` runs on every newly loaded content before it is
        used (e.g. to build search indexes and the message reader off the answer path).
        ``on_change(errors, kept_previous)`` runs after an edit was loaded (no errors) or
        refused (errors, the previous or last good version kept): to tell admins."""
        self.root = root
        self._on_load = on_load
        self._on_change = on_change
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
        content, dialogue, errors = self._load(self.root)
        if errors:
            for problem in errors[:10]:
                logger.error("content error: %s", problem)
            if self._content is not None:
                logger.error("content has %d errors, keeping the previous version", len(errors))
                self._stamp = stamp
                self._notify(errors, kept=True)
                return
            if not snapshot.exists(self.root):
                raise ContentError(f"content has {len(errors)} errors and there is no last good copy to start with; "
                                   f"first: {errors[0]} (run `policybot validate`)")
            content, dialogue, snapshot_errors = self._load(snapshot.snapshot_dir(self.root))
            if snapshot_errors:
                raise ContentError(f"content has {len(errors)} errors and the last good copy cannot be loaded either; "
                                   f"first: {errors[0]}")
            logger.error("STARTING WITH THE LAST GOOD CONTENT (%s): the content on disk has %d errors; first: %s",
                         snapshot.snapshot_dir(self.root), len(errors), errors[0])
            self._notify(errors, kept=True)
            root = snapshot.snapshot_dir(self.root)
        else:
            root = self.root
        from bot.screening import load_questionnaire

        questionnaire, _ = load_questionnaire(root, content, explore=False)
        if questionnaire is None and self._questionnaire is not None:
            logger.error("knowledge/screening.yml has errors, keeping the previous questionnaire")
            questionnaire = self._questionnaire
        from bot.content.guide import load_guide

        guide, guide_problems = load_guide(root, content, questionnaire)
        if guide is None:
            first = next((p for p in guide_problems if p.is_error), "missing")
            logger.error("knowledge/apply/ has errors, keeping the previous guide; first: %s", first)
            guide = self._content.guide if self._content is not None else None
        content.guide = guide
        if self._on_load is not None:
            self._on_load(content, questionnaire)
        first_load = self._content is None
        self._content, self._dialogue, self._questionnaire, self._stamp = content, dialogue, questionnaire, stamp
        if not errors:
            snapshot.save(self.root)
            if not first_load:
                self._notify([], kept=False)
        # a reload is news for whoever watches the running bot's stderr; the first load is not
        logger.log(logging.INFO if first_load else logging.WARNING, "content %s: %d FAQ entries, %d knowledge items, %d cases",
                   "loaded" if first_load else "reloaded", len(content.faq), len(content.items), len(content.cases))

    def _load(self, root: Path) -> tuple[Content, Dialogue | None, list]:
        """The content under ``root``, its dialogue texts and its errors (none: usable)."""
        content, problems = validate(root, screening=False)
        errors: list = [p for p in problems if p.is_error]
        try:
            dialogue = load_dialogue(root / "knowledge" / "dialogue.yml")
        except ContentError as exc:
            errors.append(exc)
            dialogue = None
        if not content.faq and not errors:
            errors.append(ContentError("faq/: no FAQ entries"))
        return content, dialogue, errors

    def _notify(self, errors: list, kept: bool) -> None:
        if self._on_change is None:
            return
        try:
            self._on_change([str(e) for e in errors], kept)
        except Exception:  # noqa: BLE001 - telling admins must never break loading
            logger.exception("could not report a content change")
