"""Typed records of the curated content (faq/ and knowledge/)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from bot.content.messages import Messages
from bot.content.synonyms import Synonyms

OUT_OF_SCOPE_INTENT = "out_of_scope"
OUTCOMES = ("likely_tolerable", "possibly_mitigated", "not_tolerable", "needs_review")
SIX_LOOKS = ("nature", "basis", "motive", "process", "consequence", "attitude")
ITEM_KINDS = {
    "principles": ("principle", "definition", "criterion", "finding"),
    "scenarios": ("tolerable", "exempt", "mitigated", "excluded"),
    "procedures": ("procedure", "body", "check", "result_use", "aftercare"),
    "figures": ("figure",),
}
# What kind of statement a knowledge item (or one of its parts) is; labels and the words that
# must mark a recommendation or proposal in an answer are in knowledge/statuses.yml.
STATUSES = ("rule", "practice", "recommendation", "proposal")


# What sources.yml says when a source names no issuer: true, but nothing to show a user.
UNNAMED_ISSUERS = ("原文未写", "未署名")


@dataclass(frozen=True)
class Location:
    """Where a record starts: a path relative to the content root and a 1-based line."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    issuer: str
    tier: str
    file: str
    location: Location
    date: str = ""
    region: str = ""
    url: str = ""
    note: str = ""
    quoted_in: tuple[str, ...] = ()

    def citation(self) -> str:
        """Short human citation: 《title》（issuer，date）; an issuer the source does not name
        (原文未写, 未署名) is left out."""
        issuer = "" if self.issuer in UNNAMED_ISSUERS else self.issuer
        details = "，".join(part for part in (issuer, self.date) if part)
        return f"《{self.title}》（{details}）" if details else f"《{self.title}》"


@dataclass(frozen=True)
class FaqEntry:
    id: str
    topic: str
    question: str
    paraphrases: tuple[str, ...]
    answer: str
    sources: tuple[str, ...]
    location: Location
    related: tuple[str, ...] = ()
    region: str = ""
    # knowledge items (``item_id``) or parts (``item_id.part_id``) or cases the answer rests on;
    # None when the entry does not say (an error once knowledge/statuses.yml exists)
    rests_on: tuple[str, ...] | None = None
    answer_line: int = 0  # line of the 'answer:' key, for pointing at one sentence

    @property
    def examples(self) -> tuple[str, ...]:
        """Everything a user might type for this entry: the question and its paraphrases."""
        return (self.question, *self.paraphrases)


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    entries: tuple[FaqEntry, ...]
    location: Location


@dataclass(frozen=True)
class Part:
    name: str
    text: str = ""
    id: str = ""
    status: str = ""  # overrides the item's status for this part


@dataclass(frozen=True)
class KnowledgeItem:
    id: str
    collection: str
    kind: str
    name: str
    text: str
    sources: tuple[str, ...]
    location: Location
    region: str = ""
    parts: tuple[Part, ...] = ()
    count: int | None = None
    value: str = ""
    unit: str = ""
    period: str = ""
    status: str = ""  # one of STATUSES

    def part(self, part_id: str) -> Part | None:
        return next((p for p in self.parts if p.id and p.id == part_id), None)

    def status_of(self, part: Part | None = None) -> str:
        """The status of the item, or of one part (its own status, else the item's)."""
        return (part.status if part is not None and part.status else "") or self.status

    def full_text(self) -> str:
        """The item's text with its parts, for search and display."""
        lines = [self.text.strip()] if self.text.strip() else []
        lines += [f"{p.name}：{p.text}".rstrip("：") for p in self.parts]
        return "\n".join(lines)


@dataclass(frozen=True)
class Case:
    id: str
    name: str
    facts: str
    outcome: str
    outcome_text: str
    sources: tuple[str, ...]
    location: Location
    region: str = ""
    six_looks: dict[str, str] = field(default_factory=dict)
    lesson: str = ""
    category: str = ""
    date: str = ""
    answers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StatusInfo:
    """One status of knowledge/statuses.yml: its Chinese label and, for recommendations and
    proposals, the words one of which the answer sentence stating such a claim must contain."""

    name: str
    label: str
    needs_marker: bool = False
    markers: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class StatusRules:
    """knowledge/statuses.yml: the statuses, and phrases in which a marker word does not count
    (提出申请 does not say that something is only proposed)."""

    statuses: dict[str, StatusInfo]
    ignore: tuple[str, ...] = ()
    path: str = "knowledge/statuses.yml"


@dataclass
class Content:
    """Everything trainers curate, loaded and typed."""

    sources: dict[str, Source] = field(default_factory=dict)
    topics: list[Topic] = field(default_factory=list)
    items: list[KnowledgeItem] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    # Every intent's hand-written Rasa examples (greetings, thanks, how_to_apply …), by intent.
    intent_examples: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Everyday ways of saying policy terms (knowledge/synonyms.yml), for the FAQ matchers.
    synonyms: Synonyms = field(default_factory=Synonyms)
    # Example messages by kind (stories, everyday trouble, next steps, distress) and the caring
    # replies (knowledge/messages/, knowledge/care.yml), for the message reader.
    messages: Messages = field(default_factory=Messages)
    # How to apply, by place: the walk-through, the checklist and the draft's template
    # (knowledge/apply/, bot.content.guide.Guide); None when those files are missing or broken.
    guide: Any = None

    @property
    def out_of_scope(self) -> tuple[str, ...]:
        """Questions the bot must decline (the Rasa out_of_scope examples): the FAQ classifier
        learns them as one more class, so a question like these does not get a FAQ answer."""
        return self.intent_examples.get(OUT_OF_SCOPE_INTENT, ())

    @property
    def faq(self) -> list[FaqEntry]:
        return [entry for topic in self.topics for entry in topic.entries]

    def faq_by_id(self) -> dict[str, FaqEntry]:
        return {entry.id: entry for entry in self.faq}

    def items_by_id(self) -> dict[str, KnowledgeItem]:
        return {item.id: item for item in self.items}

    def iter_ids(self) -> Iterator[tuple[str, Location]]:
        """Every id that `related:` may point to, with where it is defined."""
        for entry in self.faq:
            yield entry.id, entry.location
        for item in self.items:
            yield item.id, item.location
        for case in self.cases:
            yield case.id, case.location
