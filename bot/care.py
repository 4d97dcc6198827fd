"""Care before policy: the replies to a message of despair or distress (texts in knowledge/care.yml).

The text of such a message is never stored; the channel records only that care was given.
"""

from __future__ import annotations

from bot.answering import Button, Reply
from bot.content import Content
from bot.dialogue import Dialogue
from bot.reader import DANGER, DISTRESS, Reading


def level(reading: Reading, dialogue: Dialogue) -> str:
    """``danger``, ``distress`` or "" for this message. A safety-net phrase (care.yml) counts as
    danger whatever the classifier says: missing a person in danger is the worst error."""
    limits = dialogue.thresholds
    if reading.safety_net or reading.distress.get(DANGER, 0.0) >= limits.danger_min:
        return DANGER
    if reading.distress.get(DANGER, 0.0) + reading.distress.get(DISTRESS, 0.0) >= limits.distress_min:
        return DISTRESS
    return ""


def danger_replies(content: Content, dialogue: Dialogue) -> list[Reply]:
    """First the person: acknowledgement, someone to talk to now, 110/120, the hotline. Then,
    gently, what the mechanism is for, with the self-screening offered."""
    care = content.messages.care
    first = Reply(text=care.danger_text() or dialogue.text("care_fallback"), kind="distress",
                  sources=care.hotline_sources, extra={"distress": DANGER})
    then = Reply(text=care.danger_then or "", kind="distress",
                 buttons=(Button(dialogue.text("story_screen_button"), "/start_screening"),),
                 extra={"distress": DANGER})
    return [first, then] if then.text else [first]


def acknowledge(replies: list[Reply], content: Content) -> list[Reply]:
    """One sentence of acknowledgement before the policy reply (distress without danger)."""
    sentence = content.messages.care.distress
    if not sentence or not replies:
        return replies
    first = replies[0]
    marked = Reply(**{**first.__dict__, "text": f"{sentence}\n\n{first.text}",
                      "extra": {**first.extra, "distress": DISTRESS}})
    return [marked, *replies[1:]]
