"""``policybot ask``: answer questions one by one, each in a fresh conversation."""

from __future__ import annotations

import json
import uuid
from typing import Callable

from bot.answering import Reply


def main_reply(replies: list[Reply]) -> Reply:
    """The reply that carries the answer (the first with a kind other than smalltalk, else the first)."""
    return next((r for r in replies if r.kind != "smalltalk"), replies[0])


# Replies that answer with one entry's text.
ANSWER_KINDS = ("faq", "knowledge", "procedure")


def answering_reply(replies: list[Reply]) -> Reply:
    """The reply that answers the turn (an answer before a story reply counts), else the main one."""
    return next((r for r in replies if r.kind in ANSWER_KINDS), None) or main_reply(replies)


def turn_kind(replies: list[Reply]) -> str:
    """The kind of the whole turn: care and stories say more than the answer beside them."""
    kinds = [r.kind for r in replies]
    for special in ("distress", "story"):
        if special in kinds:
            return special
    return main_reply(replies).kind


def as_record(question: str, replies: list[Reply]) -> dict:
    """The DESIGN §4 JSON object for one question (and what a story or care reply adds)."""
    reply = answering_reply(replies)
    texts = []
    for one in replies:
        text = one.text
        if one.kind == "clarify":
            text = "\n".join([one.text, *(f"- {b.title}" for b in one.buttons)])
        texts.append(text)
    story = next((r for r in replies if r.kind == "story"), None)
    record = {
        "question": question,
        "answer": "\n\n".join(texts),
        "kind": turn_kind(replies),
        "faq_id": reply.faq_id,
        "confidence": round(float(reply.confidence), 4),
        "sources": list(dict.fromkeys(s for r in replies for s in r.sources)),
        "buttons": [b.title for r in replies for b in r.buttons],
    }
    if story is not None:
        record.update(case_ids=story.extra.get("cases", []), scenarios=story.extra.get("scenarios", []),
                      prefill=story.extra.get("prefill", {}))
    distress = next((r.extra["distress"] for r in replies if r.extra.get("distress")), None)
    if distress:
        record["distress"] = distress
    return record


async def answer_lines(engine, lines: list[str], as_json: bool, write: Callable[[str], None]) -> None:
    """One answer per input line, in order; an empty line gets an answer too, never a gap."""
    for question in lines:
        replies = await engine.handle(f"ask-{uuid.uuid4().hex}", question)
        record = as_record(question, replies)
        if as_json:
            write(json.dumps(record, ensure_ascii=False))
        else:
            write(f"问：{question}\n答：{record['answer']}\n")
