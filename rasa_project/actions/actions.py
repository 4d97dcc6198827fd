"""Custom actions: thin adapters from Rasa to bot.answering (logic is tested without Rasa)."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import answering
from bot.actions_runtime import runtime

logger = logging.getLogger(__name__)


def send(dispatcher: CollectingDispatcher, reply: answering.Reply) -> None:
    """One message: the text, its buttons and the metadata channels need (kind, sources …)."""
    dispatcher.utter_message(
        text=reply.text,
        buttons=[{"title": b.title, "payload": b.payload} for b in reply.buttons],
        json_message={"policybot": {**reply.meta(), **reply.extra}},
    )


def user_key(tracker: Tracker) -> str:
    return tracker.sender_id or ""


class ActionAnswer(Action):
    def name(self) -> str:
        return "action_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        content, dialogue = runtime().content.get()
        parse = tracker.latest_message or {}
        reply = answering.answer(parse, content, dialogue)
        if reply.declines:
            runtime().log_unanswered(parse.get("text") or "", reply, user_key(tracker))
        send(dispatcher, reply)
        return []


class ActionDecline(Action):
    def name(self) -> str:
        return "action_decline"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        content, dialogue = runtime().content.get()
        reply = answering.decline(content, dialogue, kind="out_of_scope")
        runtime().log_unanswered((tracker.latest_message or {}).get("text") or "", reply, user_key(tracker))
        send(dispatcher, reply)
        return []


class ActionHelp(Action):
    def name(self) -> str:
        return "action_help"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        content, dialogue = runtime().content.get()
        send(dispatcher, answering.help_reply(content, dialogue))
        return []
