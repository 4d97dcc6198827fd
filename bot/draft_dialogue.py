"""Asking for the draft's facts (unit, position, date, a short account), one at a time, each one
skippable. Pure functions, like bot.screening_dialogue: the Rasa form only carries the state.

The facts are the user's own words about their case: the action server keeps them in memory
until the draft is made (bot.actions_runtime; the conversation's slot holds only which facts were
asked) and never passes them to the store, the tracker store or a logger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.answering import Button, Reply
from bot.content.guide import DraftTemplate, Fact
from bot.text import comparable

SKIP, DONE, CANCEL = "skip", "done", "cancel"
KIND = "draft"


@dataclass
class Turn:
    facts: dict[str, str]
    replies: list[Reply] = field(default_factory=list)
    status: str = ""  # "done" (make the draft) or "cancelled"; "" while asking


def next_fact(template: DraftTemplate, facts: dict[str, str]) -> Fact | None:
    """The first fact not yet answered or skipped."""
    return next((fact for fact in template.facts if fact.id not in facts), None)


def choice_payload(choice: str) -> str:
    return '/choose{"choice":"%s"}' % choice


def prompt(template: DraftTemplate, facts: dict[str, str]) -> Reply:
    """The question for the next fact, with 跳过 / 直接生成 / 取消起草."""
    fact = next_fact(template, facts)
    if fact is None:  # nothing left to ask: the form is about to finish
        return Reply("", kind=KIND)
    texts = template.texts
    buttons = (Button(texts["skip_button"], choice_payload(SKIP)), Button(texts["done_button"], choice_payload(DONE)),
               Button(texts["cancel_button"], choice_payload(CANCEL)))
    return Reply(fact.ask, kind=KIND, buttons=buttons, extra={"fact": fact.id})


def intro(template: DraftTemplate) -> str:
    return template.texts["asking"].format(n=len(template.facts))


def control_of(parse: dict[str, Any], template: DraftTemplate) -> str:
    """skip, done or cancel when the message is one of those buttons or words, else ""."""
    if ((parse.get("intent") or {}).get("name")) == "choose":
        for entity in parse.get("entities") or []:
            if entity.get("entity") == "choice" and entity.get("value") in (SKIP, DONE, CANCEL):
                return str(entity["value"])
    key = comparable(parse.get("text") or "")
    for control in (CANCEL, DONE, SKIP):
        if key and key in {comparable(w) for w in template.control_words.get(control, ())}:
            return control
    return ""


def take_input(template: DraftTemplate, facts: dict[str, str], parse: dict[str, Any]) -> Turn:
    """The user's answer to the fact being asked: kept (cut to its length), skipped, or the end."""
    facts = dict(facts)
    fact = next_fact(template, facts)
    control = control_of(parse, template)
    if control == CANCEL:
        return Turn({}, [Reply(template.texts["cancelled"], kind=KIND)], status="cancelled")
    if fact is None or control == DONE:
        return Turn(facts, status="done")
    text = (parse.get("text") or "").strip()
    if control == SKIP or not text or text.startswith("/"):
        facts[fact.id] = ""
    else:
        replies = []
        if len(text) > fact.max_chars:
            replies.append(Reply(template.texts["too_long"].format(n=fact.max_chars), kind=KIND))
            text = text[: fact.max_chars]
        facts[fact.id] = text
        if next_fact(template, facts) is None:
            return Turn(facts, replies, status="done")
        return Turn(facts, replies)
    return Turn(facts, status="done" if next_fact(template, facts) is None else "")
