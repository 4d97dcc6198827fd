"""Screening results as text: the verdict first and short, details on request.

Both texts stay well under Telegram's 4096-character limit.
"""

from __future__ import annotations

from typing import Any

from bot.answering import source_line
from bot.content import Content
from bot.dialogue import Dialogue
from bot.screening import DEFAULT_TEXTS, Assessment, Questionnaire

EFFECT_WORDS = {"exclude": "不利（属于不予容错情形）", "mitigate": "部分不利（可能减责）",
                "positive": "有利", "uncertain": "需进一步核实", "": "未涉及"}
OUTCOME_MARK = {"likely_tolerable": "🟢", "possibly_mitigated": "🟡", "not_tolerable": "🔴", "needs_review": "⚪"}
# Before each finding of the "against" list: what kind of finding it is.
EFFECT_TAGS = {"exclude": "【不予容错】", "mitigate": "【可能减责】", "uncertain": "【需要核实】"}
MAX_CHARS = 4000
MAX_CLAUSES = 3  # clauses quoted for at most this many deciding findings


def render_result(assessment: Assessment, content: Content, dialogue: Dialogue) -> str:
    """The verdict; what speaks for tolerance next to what speaks against it (the deciding
    findings with their clauses), which answers would make it better or worse, what the user
    can still do, next steps and the disclaimer (headings from screening.yml `texts:`)."""
    for level in range(3):
        text = _result_text(assessment, content, dialogue, level)
        if len(text) <= MAX_CHARS:
            return text
    return _fit(text)


def _result_text(assessment: Assessment, content: Content, dialogue: Dialogue, level: int) -> str:
    """``level`` 0: everything; 1: no sources under the actions; 2: the clause of the first
    deciding finding only (when a long answer path would not fit one message)."""

    def say(key: str) -> str:
        return assessment.texts.get(key, DEFAULT_TEXTS[key]).strip()

    decisive = {rule.id for rule in assessment.decisive[:MAX_CLAUSES if level < 2 else 1]}
    cited: set[str] = set()

    def sources(ids: tuple[str, ...]) -> str:
        return _sources_once(ids, content, dialogue, cited)

    lines = [f"{OUTCOME_MARK.get(assessment.outcome, '')}【初步自查结果】{assessment.title}", assessment.explanation, ""]
    for heading, rules, empty in (("for_heading", assessment.for_tolerance, "none_for"),
                                  ("against_heading", assessment.against_tolerance, "none_against")):
        lines.append(say(heading))
        if not rules:
            lines.append(say(empty))
        for rule in rules:
            tag = EFFECT_TAGS.get(rule.effect, "")
            lines.append(f"• {tag}{rule.finding}")
            if rule.id in decisive:
                lines.append(f"  条款：{rule.clause}")
            lines.append(f"  {sources(rule.sources)}")
        lines.append("")
    if assessment.better or assessment.worse:
        lines.append(say("changes_heading"))
        for heading, changes in (("better_heading", assessment.better), ("worse_heading", assessment.worse)):
            if changes:
                lines.append(say(heading))
                lines += [f"• {change}" for change in changes]
        lines.append("")
    if assessment.actions:
        lines.append(say("actions_heading"))
        for action in assessment.actions:
            lines.append(f"• {action.text}")
            if level < 1:
                lines.append(f"  {sources(action.sources)}")
        lines.append("")
    faq = content.faq_by_id()
    steps = [faq[i].question for i in assessment.next_steps if i in faq]
    if steps:
        lines.append("下一步：可以点下面的按钮了解 " + "、".join(f"“{s}”" for s in steps))
        lines.append("")
    lines.append(f"⚠️ {assessment.disclaimer}")
    return "\n".join(lines)


def _sources_once(source_ids: tuple[str, ...], content: Content, dialogue: Dialogue, cited: set[str]) -> str:
    """Like answering.source_line, but a source already cited in this message is named by its
    title only (the issuer, date and secondary-source note were given the first time)."""
    parts = []
    for source_id in source_ids:
        source = content.sources.get(source_id)
        if source is None:
            continue
        if source_id in cited:
            parts.append(f"《{source.title}》")
            continue
        cited.add(source_id)
        note = dialogue.text("secondary_note") if source.tier == "secondary" else ""
        parts.append(source.citation() + note)
    return dialogue.text("sources_prefix") + "；".join(parts)


def render_details(assessment: Assessment, questionnaire: Questionnaire) -> str:
    """The 六看 table with the user's answers and their effect, and the most similar cases."""
    lines = ["【“六看”对照】"]
    for row in assessment.looks:
        effect = EFFECT_WORDS[row.effect] if row.effect or not row.answers else "未发现不利情形"
        lines.append(f"{row.name}：{effect}")
        for question, label in row.answers:
            lines.append(f"  - {question} → {label}")
        if not row.answers:
            lines.append("  - （问卷未涉及）")
    lines.append("")
    if assessment.cases:
        lines.append("【相似的公开案例】")
        for similar in assessment.cases:
            case = similar.case
            lines.append(f"• {case.name}（{case.region}）")
            lines.append(f"  结果：{case.outcome_text}")
            if similar.shared:
                lines.append(f"  相似之处：{'、'.join(similar.shared)}")
        lines.append("")
    lines.append(f"⚠️ {assessment.disclaimer}")
    return _fit("\n".join(lines))


def render_review(questionnaire: Questionnaire, answers: dict[str, str]) -> str:
    """The user's answers, numbered, before the result is computed."""
    lines = ["请核对您的回答（点“修改”可以改任一题）："]
    number = 0
    for question in questionnaire.questions:
        if question.id in answers and (option := question.option(answers[question.id])):
            number += 1
            lines.append(f"{number}. {question.text}\n   → {option.label}")
    return _fit("\n".join(lines))


def as_dict(assessment: Assessment, questionnaire: Questionnaire) -> dict[str, Any]:
    """A JSON-friendly view of an assessment (for `policybot screen --json`)."""
    return {
        "outcome": assessment.outcome,
        "title": assessment.title,
        "explanation": assessment.explanation,
        "findings": [{"rule": r.id, "effect": r.effect, "finding": r.finding, "clause": r.clause, "sources": list(r.sources)}
                     for r in assessment.findings],
        "decisive": [r.id for r in assessment.decisive],
        "six_looks": [{"look": row.look, "name": row.name, "effect": row.effect,
                       "answers": [{"question": q, "answer": a} for q, a in row.answers]} for row in assessment.looks],
        "for_tolerance": [r.id for r in assessment.for_tolerance],
        "against_tolerance": [r.id for r in assessment.against_tolerance],
        "what_would_change": list(assessment.changes),
        "better_if": list(assessment.better),
        "worse_if": list(assessment.worse),
        "actions": [{"action": a.id, "text": a.text, "sources": list(a.sources)} for a in assessment.actions],
        "similar_cases": [{"case": s.case.id, "name": s.case.name, "outcome": s.case.outcome, "score": s.score,
                           "shared": list(s.shared)} for s in assessment.cases],
        "next_steps": list(assessment.next_steps),
        "answers": assessment.answers,
        "disclaimer": assessment.disclaimer,
    }


def _fit(text: str) -> str:
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"
