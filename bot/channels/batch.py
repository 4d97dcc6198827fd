"""``policybot ask``: answer questions one by one, each in a fresh conversation."""

from __future__ import annotations

import json
import uuid
from typing import Callable

from bot.answering import Reply


def main_reply(replies: list[Reply]) -> Reply:
    """The reply that carries the answer (the first with a kind other than smalltalk, else the first)."""
    return next((r for r in replies if r.kind != "smalltalk"), replies[0])


def as_record(question: str, replies: list[Reply]) -> dict:
    """The DESIGN §4 JSON object for one question."""
    reply = main_reply(replies)
    answer = reply.text
    if reply.kind == "clarify":
        answer = "\n".join([reply.text, *(f"- {b.title}" for b in reply.buttons)])
    return {
        "question": question,
        "answer": answer,
        "kind": reply.kind,
        "faq_id": reply.faq_id,
        "confidence": round(float(reply.confidence), 4),
        "sources": list(reply.sources),
    }


async def answer_lines(engine, lines: list[str], as_json: bool, write: Callable[[str], None]) -> None:
    """One answer per input line, in order; an empty line gets an answer too, never a gap."""
    for question in lines:
        replies = await engine.handle(f"ask-{uuid.uuid4().hex}", question)
        record = as_record(question, replies)
        if as_json:
            write(json.dumps(record, ensure_ascii=False))
        else:
            write(f"问：{question}\n答：{record['answer']}\n")
