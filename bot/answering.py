"""Deciding and rendering the answer to a policy question.

Rasa's DIET says a message is a policy question; which FAQ entry it asks, and whether to answer,
ask which question was meant, search the knowledge base or decline, is decided here from the
FAQ classifier's and the nearest example's rankings (and a ResponseSelector's, if one is
configured). Pure functions of the parse data and the content: tested
without Rasa.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot.content import Content, FaqEntry
from bot.dialogue import Dialogue, Thresholds
from bot.reader import EVERYDAY, QUESTION, Reading
from bot.retrieval import OUT_OF_SCOPE, Hit, classifier_for, example_index_for, index_for, words
from bot.text import comparable

PICK_INTENT = "pick"


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    """One message of the bot, independent of the channel."""

    text: str
    kind: str  # faq | knowledge | clarify | smalltalk | out_of_scope | fallback
    buttons: tuple[Button, ...] = ()
    faq_id: str | None = None
    confidence: float = 0.0
    sources: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def declines(self) -> bool:
        return self.kind in ("out_of_scope", "fallback")

    def meta(self) -> dict[str, Any]:
        """What channels and ``ask --json`` need besides the text."""
        return {"kind": self.kind, "faq_id": self.faq_id, "confidence": round(self.confidence, 4),
                "sources": list(self.sources)}


def pick_payload(faq_id: str) -> str:
    """A button payload that selects one FAQ entry without NLU (≤ 64 bytes for ids ≤ 40)."""
    return f"/{PICK_INTENT}{json.dumps({'faq_id': faq_id}, separators=(',', ':'))}"


@dataclass(frozen=True)
class Candidate:
    faq_id: str
    confidence: float


def candidates(parse: dict[str, Any], content: Content, limits: Thresholds | None = None) -> list[Candidate]:
    """FAQ entries ranked best first by a weighted mean of up to three opinions: the
    ResponseSelector's confidence (when the Rasa pipeline has one), the FAQ classifier's
    score and the similarity of the closest example (weights from ``limits``; without them,
    the selector alone)."""
    selector = (parse.get("response_selector") or {}).get("faq")
    known = content.faq_by_id()
    model: dict[str, float] = {}
    for item in (selector or {}).get("ranking") or []:
        key = str(item.get("intent_response_key", "")).split("/", 1)[-1]
        if key in known:
            model[key] = float(item.get("confidence", 0.0))
    # a model trained without a ResponseSelector has no opinion: its weight must not count
    opinions = [(limits.model_weight if limits else 1.0, model)] if selector is not None or limits is None else []
    text = parse.get("text") or ""
    if limits is not None:
        if text and limits.classifier_weight > 0:
            opinions.append((limits.classifier_weight, classifier_for(content).scores(text)))
        if text and limits.nearest_weight > 0:
            opinions.append((limits.nearest_weight, example_index_for(content).scores(text)))
    total = sum(weight for weight, _ in opinions) or 1.0
    keys = set().union(*(scores for _, scores in opinions)) & set(known)
    blended = {key: sum(weight * scores.get(key, 0.0) for weight, scores in opinions) / total for key in keys}
    ranked = sorted(blended.items(), key=lambda item: (-item[1], item[0]))
    return [Candidate(key, score) for key, score in ranked]


def best_guess(parse: dict[str, Any], content: Content, dialogue: Dialogue) -> Candidate | None:
    """The FAQ entry the bot would have answered with, and its blended score: what a trainer
    sees beside a declined or clarified question."""
    if not parse.get("text") or str(parse.get("text")).startswith("/"):
        return None
    ranked = candidates(parse, content, dialogue.thresholds)
    return ranked[0] if ranked else None


def answer(parse: dict[str, Any], content: Content, dialogue: Dialogue, reading: Reading | None = None,
           story: bool = False) -> Reply:
    """The reply to one user message whose intent needs a policy answer. ``reading`` is the
    message reader's view (bot.reader): a message it takes for everyday trouble gets no
    low-score guesses. A ``story`` (the reader is sure the user tells a situation) is never
    declined here as out of scope: only the FAQ entries it may also ask about are looked for."""
    intent = (parse.get("intent") or {}).get("name") or ""
    faq = content.faq_by_id()
    if intent == PICK_INTENT:
        chosen = next((e.get("value") for e in parse.get("entities") or [] if e.get("entity") == "faq_id"), None)
        if chosen in faq:
            return faq_reply(faq[chosen], content, dialogue, 1.0)
    if intent in dialogue.intent_answers and dialogue.intent_answers[intent] in faq:
        confidence = float((parse.get("intent") or {}).get("confidence") or 0.0)
        return faq_reply(faq[dialogue.intent_answers[intent]], content, dialogue, confidence)
    limits = dialogue.thresholds
    text = parse.get("text") or ""
    classified = classifier_for(content).scores(text) if text else {}
    if classified and not story and _classifier_declines(classified, limits):
        return decline(content, dialogue, kind="out_of_scope")
    ranked = candidates(parse, content, limits) if story or _faq_is_plausible(parse, classified) else []
    if not ranked:
        return knowledge_or_decline(text, content, dialogue)
    top = ranked[0]
    if top.confidence < limits.vague_below and _only_generic_words(text, dialogue):
        return topics_reply(content, dialogue, top.confidence)
    close = [c for c in ranked[: limits.clarify_max]
             if c.confidence >= limits.clarify_floor and top.confidence - c.confidence < limits.margin]
    if top.confidence >= limits.answer and len(close) < 2:  # a clear winner
        return faq_reply(faq[top.faq_id], content, dialogue, top.confidence)
    if len(close) >= 2:  # a near tie: ask which one was meant
        return clarify_reply([faq[c.faq_id] for c in close], dialogue, top.confidence)
    found = knowledge_reply_if_strong(text, content, dialogue)
    if found is not None:
        return found
    # weak but not nothing: the best guesses. A long message spreads its score thinly, so the
    # right entry can lead with little: offering it beats "答不上来" unless the reader takes
    # the message for everyday trouble (借给朋友的钱要不回来了).
    floor = limits.clarify_floor if reading is not None and reading.kind == EVERYDAY else limits.guess_floor
    guesses = [faq[c.faq_id] for c in ranked[: limits.clarify_max] if c.confidence >= floor / 2] \
        if top.confidence >= floor else []
    if guesses:
        return clarify_reply(guesses, dialogue, top.confidence)
    return decline(content, dialogue, kind="fallback")


def offer_reply(guesses: list[FaqEntry], content: Content, dialogue: Dialogue, confidence: float) -> Reply:
    """No question matches well, but the user should not be turned away (someone in distress):
    the self-screening, how to apply and the best guesses (the main topics if there are none)."""
    steps = (Button(dialogue.text("story_screen_button"), "/start_screening"),
             Button(dialogue.text("story_apply_button"), "/how_to_apply"))
    questions = tuple(Button(e.question, pick_payload(e.id)) for e in guesses) or topic_buttons(content, dialogue)
    return Reply(text=dialogue.text("story"), kind="clarify", buttons=steps + questions,
                 faq_id=guesses[0].id if guesses else None, confidence=confidence,
                 extra={"options": [e.id for e in guesses]})


def out_of_scope_reply(parse: dict[str, Any], content: Content, dialogue: Dialogue,
                       reading: Reading | None = None) -> Reply:
    """The reply when the intent classifier said out_of_scope: a decline, unless the FAQ
    classifier finds the message nothing like the out-of-scope examples (a policy question
    told in words the intent classifier has not seen: 开会我投了反对票 现在追责会不会算我一份)
    or the message reader is sure it is a policy question; then it is decided like any policy
    question, and may still be declined."""
    text = parse.get("text") or ""
    classified = classifier_for(content).scores(text) if text else {}
    limits = dialogue.thresholds
    unlike_out_of_scope = classified.get(OUT_OF_SCOPE, 1.0) < limits.classifier_rescue
    # the message reader, a third opinion, sure it is a plain policy question (只是减轻 处分照样有)
    read_as_question = reading is not None and reading.kind == QUESTION and reading.share(QUESTION) >= limits.question_rescue
    if text and (unlike_out_of_scope or read_as_question):
        return answer({**parse, "intent": {"name": "nlu_fallback", "confidence": 0.0}}, content, dialogue, reading)
    return decline(content, dialogue, kind="out_of_scope")


def in_context(reply: Reply, text: str, previous_id: str | None, content: Content, dialogue: Dialogue) -> Reply:
    """A short message that alone would be declined, right after an answer, is most likely a
    follow-up (要多久, 交给谁, 那评优呢): it is answered as the policy question it would be (the
    FAQ classifier without its out-of-scope class, the entry just answered left out) when
    that is clear enough (``follow_up_min``); otherwise the decline stands (今天天气怎么样,
    谢谢, 我想买房 have no clear policy reading)."""
    limits = dialogue.thresholds
    faq = content.faq_by_id()
    if not reply.declines or previous_id not in faq or not text or len(text) > limits.follow_up_max_chars:
        return reply
    scores = {k: v for k, v in classifier_for(content).scores(text).items() if k in faq and k != previous_id}
    total = sum(scores.values())
    if total <= 0:
        return reply
    best = max(scores, key=scores.get)
    share = scores[best] / total
    return faq_reply(faq[best], content, dialogue, share) if share >= limits.follow_up_min else reply


def _only_generic_words(text: str, dialogue: Dialogue) -> bool:
    """Nothing in the message says what it is about (容错, 问一下容错, 容错相关 …)."""
    tokens = [t for t in words(comparable(text)) if t.strip()]
    return bool(tokens) and bool(dialogue.generic_words) and all(t in dialogue.generic_words for t in tokens)


def topics_reply(content: Content, dialogue: Dialogue, confidence: float) -> Reply:
    """Ask what the user wants to know, with the main topics as buttons (a vague message)."""
    faq = content.faq_by_id()
    return Reply(text=dialogue.text("vague"), kind="clarify", buttons=topic_buttons(content, dialogue),
                 confidence=confidence, extra={"options": [i for i in dialogue.topic_buttons if i in faq]})


def _classifier_declines(classified: dict[str, float], limits: Thresholds) -> bool:
    """The FAQ classifier is sure the question is like the out-of-scope examples (党费, 考公,
    天气 …): a second check after the intent classifier, which sometimes takes a near-domain
    question for a policy one."""
    best = max(classified, key=classified.get)
    return best == OUT_OF_SCOPE and classified[best] >= limits.classifier_decline


def _faq_is_plausible(parse: dict[str, Any], classified: dict[str, float]) -> bool:
    """The message is a policy question: faq is the top intent; or the intent classifier is
    unsure (fallback) and faq is a runner-up, or the FAQ classifier puts a FAQ entry first."""
    ranking = [i.get("name") for i in parse.get("intent_ranking") or []]
    intent = (parse.get("intent") or {}).get("name")
    if intent == "faq":
        return True
    if intent != "nlu_fallback":
        return False
    if "faq" in ranking[:3] and "out_of_scope" not in ranking[:2]:
        return True
    return bool(classified) and max(classified, key=classified.get) != OUT_OF_SCOPE


def faq_reply(entry: FaqEntry, content: Content, dialogue: Dialogue, confidence: float) -> Reply:
    """The entry's current answer, its sources, a regional note and related questions."""
    parts = [entry.answer.strip()]
    if entry.region:
        parts.append(dialogue.text("region_note", region=entry.region))
    parts.append(source_line(entry.sources, content, dialogue))
    faq = content.faq_by_id()
    related = [faq[r] for r in entry.related if r in faq][:3]
    buttons = [Button(r.question, pick_payload(r.id)) for r in related]
    if content.guide is not None and about_applying(entry, content, dialogue):
        from bot.guide import walk_through_button

        buttons[:0] = filter(None, [walk_through_button(content, dialogue)])
    return Reply(
        text="\n\n".join(parts),
        kind="faq",
        buttons=tuple(buttons),
        faq_id=entry.id,
        confidence=confidence,
        sources=entry.sources,
    )


def about_applying(entry: FaqEntry, content: Content, dialogue: Dialogue) -> bool:
    """The answer is about applying: its topic, or the procedure knowledge it rests on."""
    if entry.topic in dialogue.guide_topics or entry.id in dialogue.procedure_entries:
        return True
    items = content.items_by_id()
    kinds = {items[ref.partition(".")[0]].kind for ref in entry.rests_on or () if ref.partition(".")[0] in items}
    return bool(kinds & set(dialogue.guide_kinds))


def clarify_reply(entries: list[FaqEntry], dialogue: Dialogue, confidence: float) -> Reply:
    return Reply(
        text=dialogue.text("clarify"),
        kind="clarify",
        buttons=tuple(Button(e.question, pick_payload(e.id)) for e in entries),
        faq_id=entries[0].id,
        confidence=confidence,
        extra={"options": [e.id for e in entries]},
    )


def source_line(source_ids: tuple[str, ...], content: Content, dialogue: Dialogue) -> str:
    """依据：《…》（issuer，date）；… with a note on secondary sources."""
    cited = []
    for source_id in source_ids:
        source = content.sources.get(source_id)
        if source is None:
            continue
        note = dialogue.text("secondary_note") if source.tier == "secondary" else ""
        cited.append(source.citation() + note)
    return dialogue.text("sources_prefix") + "；".join(cited)


def knowledge_or_decline(text: str, content: Content, dialogue: Dialogue) -> Reply:
    """Answer from the best matching passage if it is strong enough, else decline."""
    return knowledge_reply_if_strong(text, content, dialogue) or decline(content, dialogue, kind="fallback")


def knowledge_reply_if_strong(text: str, content: Content, dialogue: Dialogue) -> Reply | None:
    hits = index_for(content).search(text, limit=3)
    strong = [h for h in hits if h.coverage >= dialogue.thresholds.knowledge_min_coverage]
    return knowledge_reply(strong[0], content, dialogue) if strong else None


def knowledge_reply(hit: Hit, content: Content, dialogue: Dialogue) -> Reply:
    passage = hit.passage
    if passage.kind == "faq":
        return faq_reply(content.faq_by_id()[passage.id], content, dialogue, min(hit.coverage, 0.99))
    body = passage.text.strip()
    if len(body) > 600:
        body = body[:600].rstrip() + "……"
    parts = [dialogue.text("knowledge_intro"), f"【{passage.title}】\n{body}"]
    if passage.region:
        parts.append(dialogue.text("region_note", region=passage.region))
    parts.append(source_line(passage.sources, content, dialogue))
    return Reply(text="\n\n".join(parts), kind="knowledge", confidence=min(hit.coverage, 0.99),
                 sources=passage.sources, extra={"passage": passage.id})


def decline(content: Content, dialogue: Dialogue, kind: str) -> Reply:
    """A polite refusal that says what the bot can do and offers the main topics."""
    key = "decline_out_of_scope" if kind == "out_of_scope" else "decline_unknown"
    return Reply(text=dialogue.text(key), kind=kind, buttons=topic_buttons(content, dialogue))


def help_reply(content: Content, dialogue: Dialogue) -> Reply:
    """What the bot can do, with the main topics as buttons."""
    return Reply(text=dialogue.text("help"), kind="smalltalk", buttons=topic_buttons(content, dialogue))


def topic_buttons(content: Content, dialogue: Dialogue) -> tuple[Button, ...]:
    faq = content.faq_by_id()
    return tuple(Button(faq[i].question, pick_payload(i)) for i in dialogue.topic_buttons if i in faq)
