"""Reading what a message is before answering it: a story, a question, a next step, everyday
trouble; whether it signals distress; which published case a story is like; and which
self-screening answers it already gives.

Linear models over character n-grams and jieba words, like the FAQ classifier, trained when the
content loads (a few seconds) on the example messages in knowledge/messages/ plus the FAQ
questions and the out-of-scope examples. Trainers teach it by adding examples, not by editing
word lists, and no Rasa retraining is needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from bot.content import Content
from bot.retrieval import margin_shares, words
from bot.text import comparable

STORY, QUESTION, NEXT_STEP, EVERYDAY, CHAT = "story", "question", "next_step", "everyday", "chat"
# Rasa intents whose examples teach the reader small talk (哦豁 is no next step) and next steps.
CHAT_INTENTS = ("greet", "goodbye", "thanks", "affirm", "deny", "bot_challenge", "help")
NEXT_STEP_INTENTS = ("how_to_apply",)
DANGER, DISTRESS, CALM = "danger", "distress", "calm"
NO_CASE, UNKNOWN = "", "?"
# FAQ paraphrases this short are mostly questions or keywords (longer ones are often stories).
SHORT_QUESTION_CHARS = 20


@dataclass(frozen=True)
class Reading:
    """What the reader made of one message; scores are softmax shares (they sum to 1)."""

    kinds: dict[str, float]
    distress: dict[str, float]
    cases: dict[str, float] = field(default_factory=dict)
    answers: dict[str, tuple[str, float]] = field(default_factory=dict)  # question -> (option, share)
    safety_net: bool = False

    @property
    def kind(self) -> str:
        return max(self.kinds, key=self.kinds.get) if self.kinds else QUESTION

    def share(self, kind: str) -> float:
        return self.kinds.get(kind, 0.0)

    def without(self, *kinds: str) -> "Reading":
        """The same reading with some kinds ruled out by the context, the rest renormalised
        (after a policy answer, a short 咋整 is no everyday trouble)."""
        kept = {k: v for k, v in self.kinds.items() if k not in kinds}
        total = sum(kept.values())
        if total <= 0:
            return self
        return Reading({k: v / total for k, v in kept.items()}, self.distress, self.cases, self.answers, self.safety_net)

    def prefill(self, floor: float) -> dict[str, str]:
        """The screening answers the message gives with at least ``floor`` of the share."""
        return {q: option for q, (option, share) in self.answers.items() if share >= floor}

    def best_cases(self, floor: float, limit: int = 2) -> list[str]:
        ranked = sorted(((s, c) for c, s in self.cases.items() if c != NO_CASE and s >= floor), reverse=True)
        return [case for _, case in ranked[:limit]]


class _Head:
    """One linear classifier over the shared features, with softmax-like scores."""

    def __init__(self, features, labels: list[str], temperature: float):
        from sklearn.svm import LinearSVC

        self.labels = sorted(set(labels))
        self.temperature = temperature
        self._svm = None
        if len(self.labels) >= 2:
            # balanced: the rare kinds and answers (danger, 谋取私利) matter most
            self._svm = LinearSVC(C=1.0, random_state=0, class_weight="balanced")
            self._svm.fit(features, labels)

    def share_of(self, label: str, rows) -> np.ndarray:
        """The share of ``label`` for each row of a feature matrix."""
        if self._svm is None or label not in self.labels:
            return np.zeros(rows.shape[0])
        return margin_shares(self._svm, rows, self.temperature)[:, list(self._svm.classes_).index(label)]

    def scores(self, row) -> dict[str, float]:
        if self._svm is None:
            return {label: 1.0 / len(self.labels) for label in self.labels} if self.labels else {}
        shares = margin_shares(self._svm, row, self.temperature)[0]
        return {str(label): float(share) for label, share in zip(self._svm.classes_, shares)}


class MessageReader:
    """The heads described in the module docstring, trained on one version of the content."""

    def __init__(self, content: Content, questionnaire: Any = None, temperature: float = 0.3):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import make_union

        self._matchable = content.synonyms.matchable
        messages = content.messages
        stories = list(messages.stories)
        kinds: list[tuple[str, str]] = [(s.text, STORY) for s in stories]
        kinds += [(q, QUESTION) for q in sorted({e.question for e in content.faq})] + [(q, QUESTION) for q in messages.of(QUESTION)]
        intents = content.intent_examples
        kinds += [(t, NEXT_STEP) for t in (*messages.of(NEXT_STEP), *(t for i in NEXT_STEP_INTENTS for t in intents.get(i, ())))]
        kinds += [(t, EVERYDAY) for t in (*messages.of(EVERYDAY), *content.out_of_scope)]
        kinds += [(t, CHAT) for i in CHAT_INTENTS for t in intents.get(i, ())]
        distress = [(t, DANGER) for t in messages.of(DANGER)] + [(t, DISTRESS) for t in messages.of(DISTRESS)]
        distress += [(t, CALM) for t in messages.of(CALM)] + [(t, CALM) for t, _ in kinds]
        cases = [(s.text, s.case or NO_CASE) for s in stories]
        cases += [(f"{c.name} {c.facts}", c.id) for c in content.cases if any(s.case == c.id for s in stories)]
        self.safety_net = messages.care.safety_net
        self._vectorizer = make_union(
            TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2),
            TfidfVectorizer(analyzer=words, sublinear_tf=True),
        )
        every_text = sorted({t for t, _ in kinds + distress + cases})
        if len(every_text) < 2:
            self._vectorizer = None
            self._heads: dict[str, _Head] = {}
            self._answer_heads: dict[str, _Head] = {}
            return
        short = sorted({p for e in content.faq for p in e.paraphrases if len(comparable(p)) <= SHORT_QUESTION_CHARS})
        texts = sorted(set(every_text) | set(short))
        # each text is tokenised once (jieba is most of the cost); the heads take their rows
        self._rows = {text: i for i, text in enumerate(texts)}
        self._matrix = self._vectorizer.fit_transform([self._matchable(t) for t in texts])
        self._heads = {"kind": self._head(kinds, temperature)}
        # The FAQ's short paraphrases teach what a plain question looks like (会咋样 is no next
        # step), but some of them tell a story: a first kind head, trained without them, keeps
        # out those it reads as stories.
        story_share = self._heads["kind"].share_of(STORY, self._matrix[[self._rows[p] for p in short]])
        plain = [p for p, share in zip(short, story_share) if share < 0.5]
        kinds += [(p, QUESTION) for p in plain]
        distress += [(p, CALM) for p in plain]
        self._heads = {
            "kind": self._head(kinds, temperature),
            "distress": self._head(distress, temperature),
            "case": self._head(cases, temperature),
        }
        self._answer_heads = {}
        question_ids = [q.id for q in questionnaire.questions] if questionnaire is not None else []
        for question_id in question_ids:
            labelled = [(s.text, s.answers.get(question_id, UNKNOWN)) for s in stories]
            if len({label for _, label in labelled} - {UNKNOWN}) >= 1 and len(labelled) >= 2:
                self._answer_heads[question_id] = self._head(labelled, temperature)
        self._matrix = self._rows = None  # only needed to train
        self._remembered = lru_cache(maxsize=64)(self._read)

    def _row(self, text: str):
        return self._vectorizer.transform([self._matchable(text)])

    def _head(self, labelled: list[tuple[str, str]], temperature: float) -> _Head:
        features = self._matrix[[self._rows[t] for t, _ in labelled]]
        return _Head(features, [label for _, label in labelled], temperature)

    def read(self, text: str) -> Reading:
        """What ``text`` (normalised user text) is; the latest readings are remembered, since
        several decisions read the same message."""
        if self._vectorizer is None:
            return Reading({QUESTION: 1.0}, {CALM: 1.0}, safety_net=self._net(text))
        return self._remembered(text)

    def _read(self, text: str) -> Reading:
        row = self._row(text)
        answers = {}
        for question_id, head in self._answer_heads.items():
            scores = head.scores(row)
            best = max(scores, key=scores.get)
            if best != UNKNOWN:
                answers[question_id] = (best, scores[best])
        return Reading(
            kinds=self._heads["kind"].scores(row),
            distress=self._heads["distress"].scores(row),
            cases=self._heads["case"].scores(row),
            answers=answers,
            safety_net=self._net(text),
        )

    def _net(self, text: str) -> bool:
        key = comparable(text)
        return any(phrase and phrase in key for phrase in self.safety_net)


_latest: tuple[Content, Any, MessageReader] | None = None


def reader_for(content: Content, questionnaire: Any = None) -> MessageReader:
    """The reader of this content (and questionnaire), built once per loaded version."""
    global _latest
    if _latest is None or _latest[0] is not content or _latest[1] is not questionnaire:
        _latest = (content, questionnaire, MessageReader(content, questionnaire))
    return _latest[2]
