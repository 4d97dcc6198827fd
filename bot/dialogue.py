"""Fixed dialogue texts and answer thresholds, read from knowledge/dialogue.yml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.errors import ContentError


@dataclass(frozen=True)
class Thresholds:
    answer: float = 0.55
    margin: float = 0.15
    clarify_floor: float = 0.2
    # no entry close enough to answer or tie: the best ones are still offered when the first
    # scores at least this, before the knowledge search's passage and a decline
    guess_floor: float = 0.2
    clarify_max: int = 3
    vague_below: float = 0.3
    knowledge_min_coverage: float = 0.6
    # Weights of the three opinions on which FAQ entry was meant (see answering.candidates).
    model_weight: float = 1.0
    classifier_weight: float = 1.0
    nearest_weight: float = 1.0
    classifier_decline: float = 0.5
    # The intent classifier said out_of_scope, but the FAQ classifier gives the out-of-scope
    # examples less than this: treat the message as a policy question (0 never does).
    classifier_rescue: float = 0.0
    # A message that would be declined, at most follow_up_max_chars long (0: never), right after
    # a FAQ answer, is answered as a follow-up when the FAQ classifier without its out-of-scope
    # class gives one entry at least follow_up_min of the rest.
    follow_up_max_chars: int = 0
    follow_up_min: float = 0.3
    # The message reader (bot/reader.py): its share for a kind of message needed to treat the
    # message as that kind, and for what a story tells.
    story_min: float = 0.5        # a story: cases, scenarios and a pre-filled self-check
    next_step_min: float = 0.5    # a next step (怎么申请, 那我该怎么办): the procedure, unless the FAQ
    next_step_sure: float = 0.9   # clearly answers another entry and the reader is less sure than this
    question_rescue: float = 0.8   # the intent classifier said out of scope, the reader a question: answered
    everyday_decline: float = 0.8  # everyday trouble (孩子没考上 我该怎么办): declined, whatever the FAQ ranks
    danger_min: float = 0.3       # self-harm or despair: care before anything else
    distress_min: float = 0.5     # distress without danger: one sentence of acknowledgement first
    case_min: float = 0.35        # a published case the story is like
    case_floor: float = 0.15      # the most similar case when neither the reader nor the answers are sure
    prefill_min: float = 0.5      # a self-screening answer the story gives (confirmed by the user)
    # the procedure entry a next step asks for, when the FAQ classifier gives it this share of
    # the procedure entries (else the first of procedure_entries)
    procedure_pick_min: float = 0.5


@dataclass(frozen=True)
class Dialogue:
    texts: dict[str, str]
    intent_answers: dict[str, str]
    topic_buttons: tuple[str, ...]
    thresholds: Thresholds
    generic_words: frozenset[str] = frozenset()
    # FAQ entries of the procedure, the first being how to start: a next step leads there
    procedure_entries: tuple[str, ...] = ()
    # FAQ topics about applying: their answers offer the walk-through by place (texts.guide_button)
    guide_topics: tuple[str, ...] = ()
    # … and so do answers resting on knowledge of these kinds (the procedure, who receives and decides)
    guide_kinds: tuple[str, ...] = ()

    def text(self, key: str, **values: str) -> str:
        return self.texts[key].strip().format(**values)


REQUIRED_TEXTS = (
    "sources_prefix", "secondary_note", "region_note", "related_prefix", "clarify", "vague",
    "knowledge_intro", "decline_out_of_scope", "decline_unknown", "help",
    "story", "story_screen_button", "story_apply_button", "story_intro", "story_scenarios", "story_prefill",
    "story_no_prefill", "story_prefill_button", "procedure_intro", "care_fallback",
    "screening_progress", "screening_why_button", "screening_cancel_button", "screening_restart_button",
    "screening_confirm_button", "screening_edit_button", "screening_details_button", "screening_not_understood",
    "screening_cancelled", "screening_restarted", "screening_resume", "screening_no_result",
    "screening_stale_answer",
)


def load_dialogue(path: Path) -> Dialogue:
    """Read dialogue.yml; raise ContentError naming the file and the missing part."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ContentError(f"{path}: cannot read: {exc}") from exc
    texts = data.get("texts") or {}
    missing = [key for key in REQUIRED_TEXTS if not isinstance(texts.get(key), str)]
    if missing:
        raise ContentError(f"{path}: texts: missing {', '.join(missing)}")
    generic = data.get("generic_words") or []
    if not isinstance(generic, list):
        raise ContentError(f"{path}: generic_words: expected a list of words, like [容错, 问一下]")
    try:
        thresholds = Thresholds(**(data.get("thresholds") or {}))
    except TypeError as exc:
        raise ContentError(f"{path}: thresholds: {exc}") from exc
    return Dialogue(
        texts={k: str(v) for k, v in texts.items()},
        intent_answers=dict(data.get("intent_answers") or {}),
        topic_buttons=tuple(data.get("topic_buttons") or ()),
        thresholds=thresholds,
        generic_words=frozenset(str(w) for w in generic),
        procedure_entries=tuple(str(i) for i in data.get("procedure_entries") or ()),
        guide_topics=tuple(str(i) for i in data.get("guide_topics") or ()),
        guide_kinds=tuple(str(i) for i in data.get("guide_kinds") or ()),
    )
