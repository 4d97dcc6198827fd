"""One user message in, the bot's replies out: care first, then next steps, stories, and
policy questions (bot.answering), each decided from what the message reader made of it.

Pure functions of the parse data, the content and the conversation so far: the Rasa actions
are thin adapters around ``respond`` and everything here is tested without Rasa.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot import answering, care, guide as apply_guide
from bot.answering import Button, Reply
from bot.content import Content
from bot.dialogue import Dialogue
from bot.reader import CHAT, DANGER, DISTRESS, EVERYDAY, NEXT_STEP, STORY, Reading, reader_for
from bot.retrieval import OUT_OF_SCOPE, classifier_for
from bot.stories import story_reply

# Kinds of the bot's messages after which a short message is most likely a next step.
STEP_KINDS = ("procedure", "story", "screening", apply_guide.KIND)
# Payload intents whose text is not the user's words (buttons, commands).
NOT_READ = {answering.PICK_INTENT, "choose", "screening_details", apply_guide.GUIDE_INTENT, apply_guide.DRAFT_INTENT}


@dataclass(frozen=True)
class Context:
    """What the bot said just before this message, and the self-check answers so far (from the
    conversation's events)."""

    kind: str = ""
    faq_id: str | None = None
    guide: str | None = None  # where the how-to-apply walk-through was, if that was the last message
    answers: dict[str, str] | None = None  # the last self-check's answers, if any

    @property
    def after_screening(self) -> bool:
        return self.kind == "screening"

    @property
    def after_steps(self) -> bool:
        """The bot's last message was a screening result, a story reply or the procedure: what
        the user says next is most likely about what to do now."""
        return self.kind in STEP_KINDS


def context_of(events: list[dict[str, Any]]) -> Context:
    """The kind, FAQ id and walk-through position of the bot's last message before the latest
    user message, and the latest self-check answers (tracker events as rasa_sdk gives them)."""
    answers = _screening_answers(events)
    seen_latest = False
    for event in reversed(events):
        if event.get("event") == "user":
            if seen_latest:
                break
            seen_latest = True
        elif event.get("event") == "bot" and seen_latest:
            meta = ((event.get("data") or {}).get("custom") or {}).get("policybot") or {}
            if meta.get("kind"):
                guide = meta.get("guide")
                return Context(str(meta.get("kind")), meta.get("faq_id"), None if guide is None else str(guide), answers)
    return Context(answers=answers)


def _screening_answers(events: list[dict[str, Any]]) -> dict[str, str] | None:
    for event in reversed(events):
        if event.get("event") == "slot" and event.get("name") == "screening_answers":
            value = event.get("value")
            return dict(value) if isinstance(value, dict) and value else None
    return None


def read(parse: dict[str, Any], content: Content, questionnaire: Any) -> Reading | None:
    """The reader's view of the user's words, or None for a button or command."""
    text = parse.get("text") or ""
    intent = (parse.get("intent") or {}).get("name") or ""
    if not text or text.startswith("/") or intent in NOT_READ:
        return None
    return reader_for(content, questionnaire).read(text)


def respond(parse: dict[str, Any], content: Content, dialogue: Dialogue, questionnaire: Any = None,
            context: Context = Context()) -> list[Reply]:
    """The replies to one message that needs more than small talk."""
    reading = read(parse, content, questionnaire)
    distress = care.level(reading, dialogue) if reading else ""
    if distress == DANGER:
        return care.danger_replies(content, dialogue)
    replies = _policy_replies(parse, reading, content, dialogue, questionnaire, context)
    if distress == DISTRESS:
        if replies[0].declines:  # never turn away someone who is struggling: offer the self-check
            replies = [answering.offer_reply([], content, dialogue, 0.0)]
        replies = care.acknowledge(replies, content)
    return replies


def guard(parse: dict[str, Any], content: Content, dialogue: Dialogue, questionnaire: Any = None) -> list[Reply]:
    """Care replies if the message signals danger, else nothing: for turns that are otherwise
    small talk or a screening answer (再见了 这个世界 must not get 祝您工作顺利)."""
    reading = read(parse, content, questionnaire)
    if reading and care.level(reading, dialogue) == DANGER:
        return care.danger_replies(content, dialogue)
    return []


def _policy_replies(parse: dict[str, Any], reading: Reading | None, content: Content, dialogue: Dialogue,
                    questionnaire: Any, context: Context) -> list[Reply]:
    intent = (parse.get("intent") or {}).get("name") or ""
    guide = content.guide
    if intent == apply_guide.GUIDE_INTENT and guide is not None:
        return [apply_guide.reply(apply_guide.state_of(parse) or "", guide, content, dialogue, context.answers)]
    if reading is not None and guide is not None and context.guide is not None:
        moved = apply_guide.navigate(parse.get("text") or "", context.guide, guide)
        if moved is not None:  # 下一步, 上一步, 材料清单 or a place's name typed inside the walk-through
            return [apply_guide.reply(moved, guide, content, dialogue, context.answers)]
    if intent == "how_to_apply":
        return [procedure_reply(parse.get("text") or "", content, dialogue, context)]
    if intent == "choose":  # an answer button of a self-check that has ended (no form is running)
        return [Reply(dialogue.text("screening_stale_answer"), kind="smalltalk",
                      buttons=(Button(dialogue.text("story_screen_button"), "/start_screening"),))]
    if reading is not None and is_story(reading, parse, content, dialogue):
        return story_replies(parse, reading, content, dialogue, questionnaire)
    if reading is not None and reading.kind == EVERYDAY and reading.share(EVERYDAY) >= dialogue.thresholds.everyday_decline:
        reply = answering.decline(content, dialogue, kind="out_of_scope")
    elif intent == "out_of_scope":
        reply = answering.out_of_scope_reply(parse, content, dialogue, reading)
    else:
        reply = answering.answer(parse, content, dialogue, reading)
    if reading is not None and reply.declines and context.after_steps and len(parse.get("text") or "") <= dialogue.thresholds.follow_up_max_chars:
        reading = reading.without(EVERYDAY, CHAT)  # 咋整 right after a result or a story reply: what now
    if reading is not None and is_next_step(reading, dialogue) and (
            reading.share(NEXT_STEP) >= dialogue.thresholds.next_step_sure or not _answers_another_question(reply, dialogue)):
        return [procedure_reply(parse.get("text") or "", content, dialogue, context)]
    if reply.declines:
        reply = answering.in_context(reply, parse.get("text") or "", context.faq_id if context.kind in ("faq", "procedure") else None,
                                     content, dialogue)
    return [_to_the_place_named(reply, parse.get("text") or "", content)]


def _to_the_place_named(reply: Reply, text: str, content: Content) -> Reply:
    """An answer about applying to a message that names a place (我在嵊泗 怎么申请): its
    walk-through button opens that place's steps."""
    guide = content.guide
    place = apply_guide.find_place(text, guide) if guide is not None and not text.startswith("/") else None
    if place is None or place.general:
        return reply
    start = apply_guide.payload("")
    if not any(b.payload == start for b in reply.buttons):
        return reply
    buttons = tuple(Button(f"{place.name}：{b.title}", apply_guide.payload(place.id)) if b.payload == start else b
                    for b in reply.buttons)
    return Reply(**{**reply.__dict__, "buttons": buttons})


def is_story(reading: Reading, parse: dict[str, Any], content: Content, dialogue: Dialogue) -> bool:
    """The reader takes the message for a story, unless the FAQ classifier is surer still that
    it is like the out-of-scope examples (巡察组来了 我们科室要怎么配合)."""
    share = reading.share(STORY)
    if reading.kind != STORY or share < dialogue.thresholds.story_min:
        return False
    return classifier_for(content).scores(parse.get("text") or "").get(OUT_OF_SCOPE, 0.0) <= share


def is_next_step(reading: Reading, dialogue: Dialogue) -> bool:
    return reading.kind == NEXT_STEP and reading.share(NEXT_STEP) >= dialogue.thresholds.next_step_min


def _answers_another_question(reply: Reply, dialogue: Dialogue) -> bool:
    """The FAQ clearly answers the message with an entry outside the procedure (核实那一步
    纪委主要盯哪些点 reads like a next step but asks about verification)."""
    return reply.kind in ("faq", "knowledge") and reply.faq_id not in dialogue.procedure_entries


def story_replies(parse: dict[str, Any], reading: Reading, content: Content, dialogue: Dialogue,
                  questionnaire: Any) -> list[Reply]:
    """A FAQ answer first when the story also asks a question the FAQ clearly answers; the
    story reply (cases, scenarios, pre-filled self-check) always."""
    policy = answering.answer(parse, content, dialogue, reading, story=True)
    replies = [policy] if policy.kind in ("faq", "knowledge") else []
    options = []
    if policy.kind == "clarify" and policy.extra.get("options"):
        faq = content.faq_by_id()
        options = [faq[i] for i in policy.extra["options"] if i in faq]
    return replies + [story_reply(reading, content, dialogue, questionnaire, options)]


def procedure_reply(text: str, content: Content, dialogue: Dialogue, context: Context = Context()) -> Reply:
    """A next step: the procedure entry the message asks for (to whom, what to bring …), with the
    walk-through as a button; when it asks for none in particular, the walk-through by place
    (straight to the place it names: 我在十堰 怎么申请)."""
    faq = content.faq_by_id()
    ids = [i for i in dialogue.procedure_entries if i in faq]
    guide = content.guide
    if not ids and guide is None:
        return answering.decline(content, dialogue, kind="fallback")
    first = ids[0] if ids else ""
    chosen = first
    typed = bool(text) and not text.startswith("/")
    if ids and typed:
        scores = {i: s for i, s in classifier_for(content).scores(text).items() if i in ids}
        total = sum(scores.values())
        if total > 0:
            best = max(scores, key=scores.get)
            if scores[best] / total >= dialogue.thresholds.procedure_pick_min:
                chosen = best
    starting = guide is not None and chosen == first  # how to start: the walk-through's places
    if starting:
        place = apply_guide.find_place(text, guide) if typed else None
        if place is not None:  # 我在十堰 怎么申请: straight to that place
            opened = apply_guide.reply(place.id, guide, content, dialogue, context.answers)
            return Reply(opened.text, kind=opened.kind, buttons=opened.buttons,
                         extra={**opened.extra, "milestone": apply_guide.OPENED})
        if not chosen:
            return apply_guide.start(guide, context.answers)
    reply = answering.faq_reply(faq[chosen], content, dialogue, 1.0)
    body = f"{dialogue.text('procedure_intro')}\n\n{reply.text}"
    buttons: list[Button] = []
    extra: dict[str, Any] = {}
    if starting:
        # the general first step, then the walk-through's places to choose from
        opened = apply_guide.start(guide, context.answers)
        body += "\n\n" + guide.text("pick_place")
        buttons += opened.buttons
        extra = dict(opened.extra)
    else:
        buttons += filter(None, [apply_guide.walk_through_button(content, dialogue)])
    if not context.after_screening:
        buttons.append(Button(dialogue.text("story_screen_button"), "/start_screening"))
    if not starting:
        buttons += [Button(faq[i].question, answering.pick_payload(i)) for i in ids if i != chosen]
    return Reply(text=body, kind="procedure", buttons=tuple(buttons), faq_id=chosen, confidence=reply.confidence,
                 sources=reply.sources, extra=extra)
