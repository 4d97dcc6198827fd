"""Custom actions: thin adapters from Rasa to bot.answering (logic is tested without Rasa)."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import answering, responding
from bot.stories import parse_prefill
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


def reply(dispatcher: CollectingDispatcher, tracker: Tracker) -> list:
    """Send ``responding.respond``'s replies to the latest message; log it for trainers if the
    bot declines (never a message of distress: those are handled before and not stored)."""
    rt = runtime()
    content, dialogue = rt.content.get()
    parse = tracker.latest_message or {}
    replies = responding.respond(parse, content, dialogue, rt.content.questionnaire(),
                                 responding.context_of(tracker.events))
    if replies[0].declines or replies[0].kind == "clarify":  # what trainers review
        guess = answering.best_guess(parse, content, dialogue)
        rt.log_unanswered(parse.get("text") or "", replies[0], user_key(tracker),
                          guess.faq_id if guess else "", guess.confidence if guess else 0.0)
    for one in replies:
        send(dispatcher, one)
        rt.record_milestone(user_key(tracker), one.extra.get("milestone", ""))
    return []


def guarded(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Care replies sent if the latest message signals danger (whatever else it looked like)."""
    rt = runtime()
    content, dialogue = rt.content.get()
    replies = responding.guard(tracker.latest_message or {}, content, dialogue, rt.content.questionnaire())
    for one in replies:
        send(dispatcher, one)
    return bool(replies)


class ActionAnswer(Action):
    def name(self) -> str:
        return "action_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        return reply(dispatcher, tracker)


class ActionDecline(Action):
    def name(self) -> str:
        return "action_decline"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        return reply(dispatcher, tracker)


class ActionSmalltalk(Action):
    """Greetings, thanks, goodbyes …: the domain's response for the intent, unless the message
    signals danger (再见了 这个世界 is no goodbye)."""

    def name(self) -> str:
        return "action_smalltalk"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        if not guarded(dispatcher, tracker):
            intent = ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""
            dispatcher.utter_message(response=f"utter_{intent}")
        return []


class ActionHelp(Action):
    def name(self) -> str:
        return "action_help"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        if not guarded(dispatcher, tracker):
            content, dialogue = runtime().content.get()
            send(dispatcher, answering.help_reply(content, dialogue))
        return []


# ---- self-screening (the questionnaire lives in knowledge/screening.yml) ----

SCREENING_SLOTS = ("screening_input", "screening_answers", "screening_status", "screening_misses", "screening_prefill")


def _screening():
    from bot import screening_dialogue

    rt = runtime()
    content, dialogue = rt.content.get()
    return rt, content, dialogue, rt.content.questionnaire(), screening_dialogue


class ActionStartScreening(Action):
    def name(self) -> str:
        return "action_start_screening"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        _, _, dialogue, questionnaire, _ = _screening()
        guarded(dispatcher, tracker)
        entities = (tracker.latest_message or {}).get("entities") or []
        packed = next((e.get("value") for e in entities if e.get("entity") == "prefill"), None)
        prefill = parse_prefill(packed, questionnaire)
        if questionnaire is not None:
            dispatcher.utter_message(text=questionnaire.intro, json_message={"policybot": {"kind": "screening"}})
            runtime().record_milestone(user_key(tracker), "screening_started")
        return [SlotSet("screening_answers", {}), SlotSet("screening_status", None), SlotSet("screening_misses", 0),
                SlotSet("screening_input", None), SlotSet("screening_prefill", prefill)]


class ValidateScreeningForm(FormValidationAction):
    def name(self) -> str:
        return "validate_screening_form"

    def validate_screening_input(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: dict[str, Any]) -> dict[str, Any]:
        rt, content, dialogue, questionnaire, flow = _screening()
        if questionnaire is None:
            dispatcher.utter_message(text="自查问卷暂时不可用，请稍后再试。")
            return {"screening_input": "cancelled", "screening_status": "cancelled"}
        parse = tracker.latest_message or {}
        answers = tracker.get_slot("screening_answers") or {}
        if (parse.get("intent") or {}).get("name") == "start_screening":
            # The message that opened the form (or asked again): not an answer, just ask.
            return {"screening_input": None, "screening_answers": answers}
        if guarded(dispatcher, tracker):  # a person in danger first; the form waits
            return {"screening_input": None, "screening_answers": answers}
        turn = flow.take_input(questionnaire, dialogue, answers, parse, int(tracker.get_slot("screening_misses") or 0),
                               prefill=tracker.get_slot("screening_prefill") or {})
        if turn.unmatched and (parse.get("intent") or {}).get("name") not in ("choose", "affirm", "deny", "greet"):
            # A question asked in the middle of the form: answer it, then the form asks again.
            reply = answering.answer(parse, content, dialogue)
            # Only a clear policy question interrupts; anything vaguer is treated as a bad answer.
            if reply.kind in ("faq", "knowledge") and reply.confidence >= 2 * dialogue.thresholds.answer:
                send(dispatcher, reply)
                dispatcher.utter_message(text=dialogue.text("screening_resume"))
                return {"screening_input": None, "screening_answers": turn.answers, "screening_misses": turn.misses - 1}
        for reply in turn.replies:
            send(dispatcher, reply)
        if turn.status:
            return {"screening_input": turn.status, "screening_answers": turn.answers,
                    "screening_status": turn.status, "screening_misses": 0}
        return {"screening_input": None, "screening_answers": turn.answers, "screening_misses": turn.misses}


class ActionAskScreeningInput(Action):
    def name(self) -> str:
        return "action_ask_screening_input"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        _, _, dialogue, questionnaire, flow = _screening()
        if questionnaire is not None:
            send(dispatcher, flow.prompt(questionnaire, dialogue, tracker.get_slot("screening_answers") or {},
                                         prefill=tracker.get_slot("screening_prefill") or {}))
        return []


class ActionScreeningResult(Action):
    def name(self) -> str:
        return "action_screening_result"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        from bot.screening import assess
        from bot.screening_render import render_result

        _, content, dialogue, questionnaire, flow = _screening()
        events = [SlotSet("screening_input", None), SlotSet("screening_status", None), SlotSet("screening_misses", 0),
                  SlotSet("screening_prefill", None)]
        rt = runtime()
        if tracker.get_slot("screening_status") != "done" or questionnaire is None:
            if tracker.get_slot("screening_status") == "cancelled":
                rt.record_milestone(user_key(tracker), "screening_cancelled")
            return events + [SlotSet("screening_answers", None)]
        result = assess(questionnaire, tracker.get_slot("screening_answers") or {}, content.cases)
        rt.record_milestone(user_key(tracker), "screening_finished", result.outcome)  # the outcome, never the answers
        faq = content.faq_by_id()
        buttons = [answering.Button(dialogue.text("screening_details_button"), "/screening_details")]
        from bot.guide import walk_through_button

        buttons += filter(None, [walk_through_button(content, dialogue)])
        buttons += [answering.Button(faq[i].question, answering.pick_payload(i)) for i in result.next_steps if i in faq]
        reply = answering.Reply(render_result(result, content, dialogue), kind="screening", buttons=tuple(buttons),
                                extra={"outcome": result.outcome})
        send(dispatcher, reply)
        return events


class ActionScreeningDetails(Action):
    def name(self) -> str:
        return "action_screening_details"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        from bot.screening import assess
        from bot.screening_render import render_details

        _, content, dialogue, questionnaire, _ = _screening()
        answers = tracker.get_slot("screening_answers") or {}
        if not answers or questionnaire is None:
            send(dispatcher, answering.Reply(dialogue.text("screening_no_result"), kind="smalltalk"))
            return []
        result = assess(questionnaire, answers, content.cases)
        send(dispatcher, answering.Reply(render_details(result, questionnaire), kind="screening", extra={"outcome": result.outcome}))
        return []


# ---- the drafted application (knowledge/apply/draft.yml) ----

DRAFT_SLOTS = ("draft_input", "draft_facts", "draft_position", "draft_status")


def _template():
    rt = runtime()
    content, dialogue = rt.content.get()
    guide = content.guide
    return rt, content, dialogue, guide


class ActionStartDraft(Action):
    """Remembers the place and applicant of the walk-through and says what will be asked."""

    def name(self) -> str:
        return "action_start_draft"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        from bot.draft_dialogue import intro
        from bot.guide import state_of

        _, _, _, guide = _template()
        if guide is None:
            dispatcher.utter_message(text="起草申请书暂时不可用，请稍后再试。")
            return [SlotSet("draft_status", "cancelled"), SlotSet("draft_input", "cancelled")]
        dispatcher.utter_message(text=intro(guide.draft), json_message={"policybot": {"kind": "draft"}})
        position = state_of(tracker.latest_message or {}) or ""
        runtime().drop_facts(user_key(tracker))
        return [SlotSet("draft_facts", {}), SlotSet("draft_position", position), SlotSet("draft_status", None),
                SlotSet("draft_input", None)]


class ValidateDraftForm(FormValidationAction):
    def name(self) -> str:
        return "validate_draft_form"

    def validate_draft_input(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: dict[str, Any]) -> dict[str, Any]:
        from bot.draft_dialogue import take_input

        rt, _, _, guide = _template()
        facts = rt.facts_of(user_key(tracker), tracker.get_slot("draft_facts") or {})
        parse = tracker.latest_message or {}
        asked = tracker.get_slot("draft_facts") or {}
        if guide is None or tracker.get_slot("draft_status") == "cancelled":
            return {"draft_input": "cancelled", "draft_status": "cancelled"}
        if (parse.get("intent") or {}).get("name") == "draft":
            return {"draft_input": None, "draft_facts": asked}
        if guarded(dispatcher, tracker):  # a person in danger first; the draft waits
            return {"draft_input": None, "draft_facts": asked}
        turn = take_input(guide.draft, facts, parse)
        for one in turn.replies:
            send(dispatcher, one)
        asked = rt.remember_facts(user_key(tracker), turn.facts)  # the text stays in this process
        if turn.status:
            return {"draft_input": turn.status, "draft_facts": asked, "draft_status": turn.status}
        return {"draft_input": None, "draft_facts": asked}


class ActionAskDraftInput(Action):
    def name(self) -> str:
        return "action_ask_draft_input"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        from bot.draft_dialogue import prompt

        _, _, _, guide = _template()
        if guide is not None:
            send(dispatcher, prompt(guide.draft, tracker.get_slot("draft_facts") or {}))
        return []


class ActionDraft(Action):
    """Writes the draft to a private temporary file for the channel to send (or save) and delete;
    the facts, kept in this process only, are dropped once it is made."""

    def name(self) -> str:
        return "action_draft"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        from bot import draft
        from bot.guide import DRAFTED, Position

        rt, content, dialogue, guide = _template()
        cleared = [SlotSet(name, None) for name in DRAFT_SLOTS]
        facts = rt.facts_of(user_key(tracker), tracker.get_slot("draft_facts") or {})
        rt.drop_facts(user_key(tracker))
        if tracker.get_slot("draft_status") != "done" or guide is None:
            return cleared
        position = Position.parse(tracker.get_slot("draft_position") or "")
        filled = draft.fill(guide, content, rt.content.questionnaire(), tracker.get_slot("screening_answers") or None,
                            position.place, position.applicant or "self", facts)
        path = draft.write_draft(filled, guide.draft)
        reply = answering.Reply(draft.summary(filled, guide.draft), kind="draft",
                                extra={"document": str(path), "document_name": guide.draft.texts["file_name"],
                                       "saved_text": guide.draft.texts["saved"], "milestone": DRAFTED})
        send(dispatcher, reply)
        rt.record_milestone(user_key(tracker), DRAFTED)
        return cleared
