"""The reply to a user who tells their situation: the most similar published cases, the
scenarios it turns on (the screening rules its answers fire, with their clauses) and the
self-screening offered with the answers the story already gives, to be confirmed one by one.
"""

from __future__ import annotations

import json
from typing import Any

from bot.answering import Button, Reply, source_line
from bot.content import Case, Content
from bot.dialogue import Dialogue
from bot.reader import Reading

SCENARIO_EFFECTS = ("exclude", "mitigate", "positive")
MAX_SCENARIOS = 2
MAX_FACTS = 110


def prefill_payload(prefill: dict[str, str]) -> str:
    """The button that starts the self-screening with these answers to confirm."""
    if not prefill:
        return "/start_screening"
    packed = ",".join(f"{q}:{o}" for q, o in prefill.items())
    return f"/start_screening{json.dumps({'prefill': packed}, separators=(',', ':'))}"


def parse_prefill(packed: str | None, questionnaire: Any) -> dict[str, str]:
    """``q:o,q:o`` back into answers, keeping only questions and options that exist."""
    answers = {}
    for pair in (packed or "").split(","):
        question_id, _, option_id = pair.partition(":")
        question = questionnaire.question(question_id) if questionnaire is not None else None
        if question is not None and question.option(option_id) is not None:
            answers[question_id] = option_id
    return answers


def similar_cases(reading: Reading, prefill: dict[str, str], content: Content, questionnaire: Any,
                  dialogue: Dialogue) -> list[Case]:
    """One or two published cases: those the reader recognises, else those whose recorded
    answers agree most with what the story says."""
    by_id = {case.id: case for case in content.cases}
    limits = dialogue.thresholds
    named = [by_id[c] for c in reading.best_cases(limits.case_min) if c in by_id]
    if not named and questionnaire is not None and prefill:
        from bot.screening import similar_cases as by_answers

        named = [s.case for s in by_answers(questionnaire, prefill, content.cases, limit=1)]
    if not named:
        named = [by_id[c] for c in reading.best_cases(limits.case_floor, limit=1) if c in by_id]
    return named[:2]


def scenarios(prefill: dict[str, str], questionnaire: Any) -> list:
    """The screening rules the story's answers fire: exclusions first, then mitigation, then
    what speaks for tolerance; the most specific (most conditions) first within each."""
    if questionnaire is None or not prefill:
        return []
    fired = [r for r in questionnaire.rules if r.effect in SCENARIO_EFFECTS and r.fires(prefill)]
    fired.sort(key=lambda r: (SCENARIO_EFFECTS.index(r.effect), -len(r.when)))
    return fired[:MAX_SCENARIOS]


def story_reply(reading: Reading, content: Content, dialogue: Dialogue, questionnaire: Any,
                options: list | None = None) -> Reply:
    """The story reply (kind ``story``); ``options`` are FAQ entries offered as well."""
    prefill = reading.prefill(dialogue.thresholds.prefill_min)
    cases = similar_cases(reading, prefill, content, questionnaire, dialogue)
    rules = scenarios(prefill, questionnaire)
    parts = [dialogue.text("story_intro")]
    for case in cases:
        parts.append(_case_block(case, content, dialogue))
    if rules:
        lines = [dialogue.text("story_scenarios")]
        for rule in rules:
            # the first source is the clause's own; the rest are in the self-check's result
            lines.append(f"• {rule.finding}\n  {source_line(rule.sources[:1], content, dialogue)}")
        parts.append("\n".join(lines))
    if prefill and questionnaire is not None:
        labels = []
        for question_id, option_id in prefill.items():
            question = questionnaire.question(question_id)
            labels.append(f"• {question.option(option_id).label}")
        parts.append(dialogue.text("story_prefill") + "\n" + "\n".join(labels))
    else:
        parts.append(dialogue.text("story_no_prefill"))
    screen = dialogue.text("story_prefill_button", n=str(len(prefill))) if prefill else dialogue.text("story_screen_button")
    buttons = [Button(screen, prefill_payload(prefill)), Button(dialogue.text("story_apply_button"), "/how_to_apply")]
    from bot.answering import pick_payload

    buttons += [Button(e.question, pick_payload(e.id)) for e in options or []]
    sources = tuple(dict.fromkeys(s for case in cases for s in case.sources))
    return Reply(text="\n\n".join(parts), kind="story", buttons=tuple(buttons), sources=sources,
                 confidence=reading.share("story"),
                 extra={"cases": [c.id for c in cases], "scenarios": [r.id for r in rules], "prefill": prefill,
                        "options": [e.id for e in options or []]})


def _case_block(case: Case, content: Content, dialogue: Dialogue) -> str:
    facts = " ".join(case.facts.split())
    if len(facts) > MAX_FACTS:
        facts = facts[:MAX_FACTS].rstrip("，。；、 ") + "……"
    lines = [f"【相似案例】{case.name}", f"经过：{facts}", f"结果：{case.outcome_text}"]
    if case.lesson:
        why = " ".join(case.lesson.split())
        lines.append(f"为什么：{why[:MAX_FACTS] + '……' if len(why) > MAX_FACTS else why}")
    lines.append(source_line(case.sources, content, dialogue))
    return "\n".join(lines)
