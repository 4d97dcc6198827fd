"""Fixed dialogue texts and answer thresholds, read from knowledge/dialogue.yml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.errors import ContentError
from bot.text import normalize


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
    # A user telling their own case (a story cue such as 审计 or 追责, and a self word such as 我)
    # is asking a policy question unless the FAQ classifier gives the out-of-scope examples at
    # least this (1.0: always).
    story_decline: float = 1.0
    # A message that would be declined, at most follow_up_max_chars long (0: never), right after
    # a FAQ answer, is answered as a follow-up when the FAQ classifier without its out-of-scope
    # class gives one entry at least follow_up_min of the rest.
    follow_up_max_chars: int = 0
    follow_up_min: float = 0.3


@dataclass(frozen=True)
class Dialogue:
    texts: dict[str, str]
    intent_answers: dict[str, str]
    topic_buttons: tuple[str, ...]
    thresholds: Thresholds
    generic_words: frozenset[str] = frozenset()
    # words of being checked or held to account (审计, 纪委, 追责 …) and of speaking of oneself
    # (我, 本人 …), as normalize() writes them
    story_cues: tuple[str, ...] = ()
    self_words: tuple[str, ...] = ()
    # words that make a message about this policy whoever it speaks of (容错, 免责 …): a weak
    # match is offered rather than declined only when the message has one (or a story cue)
    policy_words: tuple[str, ...] = ()

    def text(self, key: str, **values: str) -> str:
        return self.texts[key].strip().format(**values)


REQUIRED_TEXTS = (
    "sources_prefix", "secondary_note", "region_note", "related_prefix", "clarify", "vague",
    "knowledge_intro", "decline_out_of_scope", "decline_unknown", "help",
    "story", "story_screen_button", "story_apply_button",
    "screening_progress", "screening_why_button", "screening_cancel_button", "screening_restart_button",
    "screening_confirm_button", "screening_edit_button", "screening_details_button", "screening_not_understood",
    "screening_cancelled", "screening_restarted", "screening_resume", "screening_no_result",
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
    lists = {}
    for key, example in (("story_cues", "[审计, 追责]"), ("self_words", "[我, 本人]"), ("policy_words", "[容错, 免责]")):
        words = data.get(key) or []
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise ContentError(f"{path}: {key}: expected a list of words, like {example}")
        lists[key] = tuple(sorted({normalize(w) for w in words}))
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
        story_cues=lists["story_cues"],
        self_words=lists["self_words"],
        policy_words=lists["policy_words"],
    )
