"""One turn of the self-screening conversation, independent of Rasa.

The Rasa form calls ``take_input`` with the user's message and the answers so far, and
``prompt`` to ask the next question or show the review. Answers arrive as button payloads
(``/choose{"choice": "<question>:<option>"}``) or as typed text ("有", "没有", "不清楚", "2").
Answers a user's story suggested (``prefill``) are offered first and marked, never assumed:
the user still presses or types every answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot.answering import Button, Reply
from bot.dialogue import Dialogue
from bot.screening import Option, Question, Questionnaire, applicable, clean_answers, next_question
from bot.screening_render import render_review
from bot.text import comparable

CHOOSE_INTENT = "choose"
CANCEL, RESTART, WHY, CONFIRM = "cancel", "restart", "why", "confirm"
UNCLEAR = "unclear"  # control_words key: "I don't understand the question" (found anywhere in the message)
UNCLEAR_FILLER = "unclear_filler"  # control_words key: what may stand beside it (这题, 我 …), one character each
MAX_MISSES_BEFORE_HELP = 2


def choose_payload(choice: str) -> str:
    return f"/{CHOOSE_INTENT}{json.dumps({'choice': choice}, separators=(',', ':'))}"


@dataclass
class Turn:
    """What one user message did to the screening."""

    answers: dict[str, str]
    status: str = ""  # "" (continue) | "done" | "cancelled"
    misses: int = 0
    replies: list[Reply] = field(default_factory=list)
    unmatched: bool = False  # the message was not an answer (the caller may answer it as a question)


def choice_of(parse: dict[str, Any]) -> str | None:
    """The button choice carried by a /choose payload, if any."""
    if (parse.get("intent") or {}).get("name") != CHOOSE_INTENT:
        return None
    return next((str(e.get("value")) for e in parse.get("entities") or [] if e.get("entity") == "choice"), None)


def control_word(questionnaire: Questionnaire, text: str) -> str | None:
    """cancel / restart / why when the user types one of the words listed for it; ``unclear``
    when the message contains one of the phrases of not understanding the question (没看懂,
    啥意思 …), before any option alias is looked at (不知道是啥意思 is no 不知道)."""
    key = comparable(text)
    for action, words in questionnaire.control_words.items():
        if action not in (UNCLEAR, UNCLEAR_FILLER) and key in {comparable(w) for w in words}:
            return action
    # Only when the rest of the message is filler (这题, 我 …): 容错是什么意思 asked in the
    # middle of the form is a policy question, answered as such.
    filler = {comparable(w) for w in questionnaire.control_words.get(UNCLEAR_FILLER, ())}
    for phrase in questionnaire.control_words.get(UNCLEAR, ()):
        word = comparable(phrase)
        if key and word and word in key and all(ch in filler for ch in key.replace(word, "")):
            return UNCLEAR
    return None


def shown_options(question: Question, prefill: dict[str, str] | None = None) -> list[Option]:
    """The options in the order their buttons are shown: a pre-filled one first."""
    options = list(question.options)
    suggested = question.option((prefill or {}).get(question.id, ""))
    if suggested is not None:
        options.remove(suggested)
        options.insert(0, suggested)
    return options


def match_option(questionnaire: Questionnaire, question: Question, text: str,
                 prefill: dict[str, str] | None = None) -> str | None:
    """The option a typed answer means: its number (as the buttons are shown), its label, or an
    alias; the longest alias found in the text wins (so 没有 beats 有)."""
    key = comparable(text)
    if not key:
        return None
    if key.isdigit() and 1 <= int(key) <= len(question.options):
        return shown_options(question, prefill)[int(key) - 1].id
    candidates: list[tuple[int, str]] = []
    for option in question.options:
        words = {option.label, *option.aliases, *questionnaire.typed_answers.get(option.id, ())}
        for word in words:
            word_key = comparable(word)
            if word_key and word_key == key:
                return option.id
            # A one-character word (有, 是, 嗯) counts only on its own: inside a sentence it means little.
            if len(word_key) > 1 and word_key in key:
                candidates.append((len(word_key), option.id))
    if not candidates:
        return None
    candidates.sort(reverse=True)
    best_length = candidates[0][0]
    best = {option_id for length, option_id in candidates if length == best_length}
    return best.pop() if len(best) == 1 else None


def take_input(questionnaire: Questionnaire, dialogue: Dialogue, answers: dict[str, str], parse: dict[str, Any],
               misses: int = 0, prefill: dict[str, str] | None = None) -> Turn:
    """Apply one user message to the screening state (``prefill``: as given to ``prompt``, so
    that a typed number means the button shown with that number)."""
    answers = clean_answers(questionnaire, answers)
    text = str(parse.get("text") or "")
    choice = choice_of(parse)
    action = choice if choice in (CANCEL, RESTART, WHY, CONFIRM) else None
    if choice is None:
        action = control_word(questionnaire, text)
    current = next_question(questionnaire, answers)

    if action == CANCEL:
        return Turn({}, status="cancelled", replies=[Reply(dialogue.text("screening_cancelled"), kind="smalltalk")])
    if action == RESTART:
        return Turn({}, replies=[Reply(dialogue.text("screening_restarted"), kind="smalltalk")])
    if action == WHY and current is not None:
        return Turn(answers, misses=misses, replies=[Reply(f"为什么问这个：{current.help}", kind="smalltalk")])
    if action == UNCLEAR and current is not None:
        explanation = questionnaire.text("unclear_reply", question=current.text, help=current.help)
        return Turn(answers, misses=misses, replies=[Reply(explanation, kind="smalltalk")])
    if action == CONFIRM and current is None:
        return Turn(answers, status="done")
    if choice and choice.startswith("edit:"):
        question_id = choice.split(":", 1)[1]
        return Turn({k: v for k, v in answers.items() if k != question_id})
    if choice and ":" in choice:
        question_id, option_id = choice.split(":", 1)
        question = questionnaire.question(question_id)
        if question is not None and question.option(option_id) is not None:
            # A button of an earlier question still counts: it changes that answer.
            return Turn(clean_answers(questionnaire, {**answers, question_id: option_id}))
    if current is not None:
        option_id = match_option(questionnaire, current, text, prefill)
        if option_id is not None:
            return Turn({**answers, current.id: option_id})
    if current is None and action is None and comparable(text) in {
        comparable(w) for w in questionnaire.typed_answers.get("yes", ())
    }:
        return Turn(answers, status="done")  # "是/好的" at the review confirms
    misses += 1
    reply = dialogue.text("screening_not_understood")
    if current is not None and misses > MAX_MISSES_BEFORE_HELP - 1:
        reply += f"\n\n为什么问这个：{current.help}"
    return Turn(answers, misses=misses, replies=[Reply(reply, kind="smalltalk")], unmatched=True)


def question_number(questionnaire: Questionnaire, answers: dict[str, str], question: Question) -> int:
    """The question's position among the questions asked on the user's path (1-based), so that
    the question asked again after 修改第2题 is 第2题 again."""
    path = [q.id for q in applicable(questionnaire, clean_answers(questionnaire, answers))]
    return path.index(question.id) + 1 if question.id in path else len(answers) + 1


def prompt(questionnaire: Questionnaire, dialogue: Dialogue, answers: dict[str, str],
           prefill: dict[str, str] | None = None) -> Reply:
    """The next question with its option buttons, or the review of all answers.

    ``prefill`` (question id -> option id) holds answers the user's own description suggested:
    when the question has one, the text says so and asks to confirm or change it, and that
    option's button comes first, marked. The answer still has to be pressed or typed."""
    answers = clean_answers(questionnaire, answers)
    question = next_question(questionnaire, answers)
    controls = (Button(dialogue.text("screening_cancel_button"), choose_payload(CANCEL)),)
    if question is not None:
        number = question_number(questionnaire, answers, question)
        suggested = question.option((prefill or {}).get(question.id, ""))
        options = shown_options(question, prefill)
        buttons = tuple(
            Button(questionnaire.text("prefill_mark", label=o.label) if o is suggested else o.label,
                   choose_payload(f"{question.id}:{o.id}"))
            for o in options)
        buttons += (Button(dialogue.text("screening_why_button"), choose_payload(WHY)),) + controls
        text = f"{dialogue.text('screening_progress', n=str(number))}\n{question.text}"
        extra: dict[str, Any] = {"question": question.id}
        if suggested is not None:
            text += "\n" + questionnaire.text("prefill_hint", label=suggested.label)
            extra["prefilled"] = suggested.id
        return Reply(text, kind="screening", buttons=buttons, extra=extra)
    asked = [q for q in questionnaire.questions if q.id in answers]
    buttons = (Button(dialogue.text("screening_confirm_button"), choose_payload(CONFIRM)),)
    buttons += tuple(Button(dialogue.text("screening_edit_button", n=str(i)), choose_payload(f"edit:{q.id}"))
                     for i, q in enumerate(asked, start=1))
    buttons += (Button(dialogue.text("screening_restart_button"), choose_payload(RESTART)),) + controls
    return Reply(render_review(questionnaire, answers), kind="screening", buttons=buttons, extra={"review": True})
