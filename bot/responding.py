"""One user message in, the bot's replies out: care first, then next steps, stories, and
policy questions (bot.answering), each decided from what the message reader made of it.

Pure functions of the parse data, the content and the conversation so far: the Rasa actions
are thin adapters around ``respond`` and everything here is tested without Rasa.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot import answering, care
from bot.answering import Button, Reply
from bot.content import Content
from bot.dialogue import Dialogue
from bot.reader import CHAT, DANGER, DISTRESS, EVERYDAY, NEXT_STEP, STORY, Reading, reader_for
from bot.retrieval import OUT_OF_SCOPE, classifier_for
from bot.stories import story_reply

# Kinds of the bot's messages after which a short message is most likely a next step.
STEP_KINDS = ("procedure", "story", "screening")
# Payload intents whose text is not the user's words (buttons, commands).
NOT_READ = {answering.PICK_INTENT, "choose", "screening_details"}


@dataclass(frozen=True)
class Context:
    """What the bot said just before this message (from the conversation's events)."""

    kind: str = ""
    faq_id: str | None = None

    @property
    def after_screening(self) -> bool:
        return self.kind == "screening"

    @property
    def after_steps(self) -> bool:
        """The bot's last message was a screening result, a story reply or the procedure: what
        the user says next is most likely about what to do now."""
        return self.kind in STEP_KINDS


def context_of(events: list[dict[str, Any]]) -> Context:
    """The kind and FAQ id of the bot's last message before the latest user message (tracker
    events as rasa_sdk gives them)."""
    seen_latest = False
    for event in reversed(events):
        if event.get("event") == "user":
            if seen_latest:
                return Context()
            seen_latest = True
        elif event.get("event") == "bot" and seen_latest:
            meta = ((event.get("data") or {}).get("custom") or {}).get("policybot") or {}
            if meta.get("kind"):
                return Context(str(meta.get("kind")), meta.get("faq_id"))
    return Context()


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
    if intent == "how_to_apply":
        return [procedure_reply(parse.get("text") or "", content, dialogue, context)]
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
    return [reply]


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
    """A next step: the procedure entry the message asks for (to whom, what to bring …; how to
    start when it does not say), the other procedure entries and the self-check as buttons."""
    faq = content.faq_by_id()
    ids = [i for i in dialogue.procedure_entries if i in faq]
    if not ids:
        return answering.decline(content, dialogue, kind="fallback")
    chosen = ids[0]
    if text and not text.startswith("/"):
        scores = {i: s for i, s in classifier_for(content).scores(text).items() if i in ids}
        total = sum(scores.values())
        if total > 0:
            best = max(scores, key=scores.get)
            if scores[best] / total >= dialogue.thresholds.procedure_pick_min:
                chosen = best
    reply = answering.faq_reply(faq[chosen], content, dialogue, 1.0)
    buttons: list[Button] = []
    if not context.after_screening:
        buttons.append(Button(dialogue.text("story_screen_button"), "/start_screening"))
    buttons += [Button(faq[i].question, answering.pick_payload(i)) for i in ids if i != chosen]
    return Reply(text=f"{dialogue.text('procedure_intro')}\n\n{reply.text}", kind="procedure",
                 buttons=tuple(buttons), faq_id=chosen, confidence=reply.confidence, sources=reply.sources)
