"""Screening results as text: the verdict first and short, details on request.

Both texts stay well under Telegram's 4096-character limit.
"""

from __future__ import annotations

from typing import Any

from bot.answering import source_line
from bot.content import Content
from bot.dialogue import Dialogue
from bot.screening import Assessment, Questionnaire

EFFECT_WORDS = {"exclude": "不利（属于不予容错情形）", "mitigate": "部分不利（可能减责）",
                "positive": "有利", "uncertain": "需进一步核实", "": "未涉及"}
OUTCOME_MARK = {"likely_tolerable": "🟢", "possibly_mitigated": "🟡", "not_tolerable": "🔴", "needs_review": "⚪"}
MAX_CHARS = 4000


def render_result(assessment: Assessment, content: Content, dialogue: Dialogue) -> str:
    """The verdict, the deciding findings with sources, what would change it, next steps."""
    lines = [f"{OUTCOME_MARK.get(assessment.outcome, '')}【初步自查结果】{assessment.title}", assessment.explanation, ""]
    if assessment.decisive:
        lines.append("主要理由：")
        for rule in assessment.decisive[:3]:
            lines.append(f"• {rule.finding}")
            lines.append(f"  条款：{rule.clause}")
            lines.append(f"  {source_line(rule.sources, content, dialogue)}")
        lines.append("")
    if assessment.changes:
        lines.append("什么情况下结果会不同：")
        lines += [f"• {change}" for change in assessment.changes]
        lines.append("")
    faq = content.faq_by_id()
    steps = [faq[i].question for i in assessment.next_steps if i in faq]
    if steps:
        lines.append("下一步：可以点下面的按钮了解 " + "、".join(f"“{s}”" for s in steps))
        lines.append("")
    lines.append(f"⚠️ {assessment.disclaimer}")
    return _fit("\n".join(lines))


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
        "what_would_change": list(assessment.changes),
        "similar_cases": [{"case": s.case.id, "name": s.case.name, "outcome": s.case.outcome, "score": s.score,
                           "shared": list(s.shared)} for s in assessment.cases],
        "next_steps": list(assessment.next_steps),
        "answers": assessment.answers,
        "disclaimer": assessment.disclaimer,
    }


def _fit(text: str) -> str:
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"
