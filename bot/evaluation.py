"""Accuracy of the assistant on a labelled question set (tests/eval/).

Each in-scope question lists the FAQ ids that answer it correctly; out-of-scope questions list
none and must be declined. Questions run through the whole engine (NLU, dialogue, actions), each
in a fresh conversation, exactly as a user would meet them.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from bot.answering import candidates
from bot.channels.batch import ANSWER_KINDS, answering_reply
from bot.content.live import LiveContent
from bot.text import comparable


@dataclass(frozen=True)
class Question:
    text: str
    accept: tuple[str, ...]

    @property
    def in_scope(self) -> bool:
        return bool(self.accept)


def load_questions(folder: Path) -> list[Question]:
    """All questions of the YAML files in ``folder`` (each: questions: [{text, accept}])."""
    questions = []
    for path in sorted(folder.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("questions") or []:
            questions.append(Question(str(item["text"]), tuple(item.get("accept") or ())))
    return questions


def training_overlap(questions: list[Question], examples: list[str]) -> list[str]:
    """Eval questions that are also training examples (ignoring punctuation and script, but
    not typos: 糾措啥意思 tests that the typo is understood, 纠错啥意思 may be trained)."""
    known = {comparable(e, wording=False) for e in examples}
    return [q.text for q in questions if comparable(q.text, wording=False) in known]


@dataclass
class Outcome:
    text: str
    accept: tuple[str, ...]
    kind: str
    faq_id: str | None
    confidence: float
    top3: list[str]
    options: list[str] = field(default_factory=list)

    @property
    def declined(self) -> bool:
        return self.kind in ("out_of_scope", "fallback")

    @property
    def top1(self) -> bool:
        return self.kind in ANSWER_KINDS and self.faq_id in self.accept

    @property
    def in_top3(self) -> bool:
        return self.top1 or any(i in self.accept for i in self.top3 + self.options)


@dataclass
class Report:
    in_scope: int
    out_of_scope: int
    top1: float
    top3: float
    clarified: float
    correct_refusals: float
    false_refusals: float
    confused_pairs: list[tuple[str, str, int]]
    wrong: list[dict]

    def summary(self) -> str:
        lines = [
            f"in-scope questions: {self.in_scope}, out-of-scope: {self.out_of_scope}",
            f"top-1 accuracy:     {self.top1:.1%}",
            f"top-3 accuracy:     {self.top3:.1%}",
            f"asked to clarify:   {self.clarified:.1%} of in-scope",
            f"correct refusals:   {self.correct_refusals:.1%} of out-of-scope",
            f"false refusals:     {self.false_refusals:.1%} of in-scope",
            "most confused (expected -> answered):",
            *(f"  {a} -> {b}: {n}" for a, b, n in self.confused_pairs[:10]),
        ]
        return "\n".join(lines)


async def run_eval(engine, questions: list[Question]) -> Report:
    """Every question through the engine; top-3 is the blended ranking the bot decides from."""
    content, dialogue = LiveContent(engine.settings.root).get()
    outcomes = []
    for question in questions:
        replies = await engine.handle(f"eval-{uuid.uuid4().hex}", question.text)
        reply = answering_reply(replies)
        options = [i for r in replies for i in r.extra.get("options", [])]
        parse = await engine.parse(question.text)
        top3 = [c.faq_id for c in candidates(parse, content, dialogue.thresholds)[:3]]
        kind = "clarify" if reply.kind == "story" else reply.kind  # a story reply offers, it does not answer
        outcomes.append(Outcome(question.text, question.accept, kind, reply.faq_id, reply.confidence, top3, options))
    return summarise(outcomes)


def summarise(outcomes: list[Outcome]) -> Report:
    inside = [o for o in outcomes if o.accept]
    outside = [o for o in outcomes if not o.accept]
    share = lambda items, test: sum(map(test, items)) / len(items) if items else 0.0  # noqa: E731
    confused = Counter((o.accept[0], o.faq_id) for o in inside if o.faq_id and not o.top1 and o.kind != "clarify")
    wrong = [
        {"text": o.text, "accept": list(o.accept), "kind": o.kind, "answered": o.faq_id, "confidence": o.confidence}
        for o in outcomes if (o.accept and not o.top1) or (not o.accept and not o.declined)
    ]
    return Report(
        in_scope=len(inside), out_of_scope=len(outside),
        top1=share(inside, lambda o: o.top1), top3=share(inside, lambda o: o.in_top3),
        clarified=share(inside, lambda o: o.kind == "clarify"),
        correct_refusals=share(outside, lambda o: o.declined),
        false_refusals=share(inside, lambda o: o.declined),
        confused_pairs=[(a, b, n) for (a, b), n in confused.most_common(10)],
        wrong=wrong,
    )


def write_report(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(report), ensure_ascii=False, indent=2), encoding="utf-8")
