"""The drafted application (容错免责申请书) as a .docx, from the template in knowledge/apply/draft.yml.

It is filled from the self-screening (the matching scenario, the 六看 points in the applicant's
favour, the corrections already taken), the place and applicant chosen in the walk-through, and
the few facts the user chose to type. Facts not given stay as visible, highlighted blanks; the
first paragraph says it is a draft to check against local rules.

Typed facts are private: they are used for this file only, never stored or logged, and the file
lives in a private temporary folder until the channel has sent (and deleted) or saved it.
"""

from __future__ import annotations

import os
import string
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.content import Content
from bot.content.guide import DraftTemplate, Guide
from bot.guide import Position, materials_for

STALE_SECONDS = 3600  # a draft no channel picked up is removed after this long


@dataclass(frozen=True)
class Filled:
    """Everything the document says, before layout."""

    fields: dict[str, str]  # placeholder -> text ("" when blank)
    labels: dict[str, str]  # placeholder -> label of its blank
    lists: dict[str, tuple[str, ...]] = field(default_factory=dict)
    outcome: str = ""  # the screening's outcome title, if there was one


def fill(guide: Guide, content: Content, questionnaire: Any, answers: dict[str, str] | None,
         place_id: str = "", applicant: str = "self", facts: dict[str, str] | None = None) -> Filled:
    """The draft's fields and lists for these screening answers (None: no screening) and facts."""
    template = guide.draft
    facts = {k: v.strip() for k, v in (facts or {}).items() if isinstance(v, str) and v.strip()}
    wording = template.applicants.get(applicant) or template.applicants.get("self") or {"speaker": "", "applicant": ""}
    fields = {fact.id: facts.get(fact.id, "")[: fact.max_chars] for fact in template.facts}
    fields.update(speaker=wording["speaker"], applicant=wording["applicant"], receiver="")
    labels = {fact.id: fact.label for fact in template.facts}
    place = guide.place(place_id) or guide.general()
    position = Position(place.id if place else "", applicant)
    lists: dict[str, tuple[str, ...]] = {"materials": tuple(
        f"{m.condition}：{m.name}" if m.when and not answers else m.name
        for m in materials_for(position, guide, answers or None) if m.attach)}
    outcome = ""
    if answers and questionnaire is not None:
        from bot.screening import assess

        result = assess(questionnaire, answers, content.cases)
        outcome = result.title
        lists.update(_from_screening(result, questionnaire, template))
    return Filled(fields, labels, lists, outcome)


def _from_screening(result: Any, questionnaire: Any, template: DraftTemplate) -> dict[str, tuple[str, ...]]:
    """The scenario (positive findings about the work's context), the 六看 rows in the
    applicant's favour, and the corrections the answers report."""
    scenarios, by_look = [], {}
    for rule in result.for_tolerance:
        looks = {questionnaire.question(q).look for q in rule.when if questionnaire.question(q) is not None}
        if "context" in looks:
            scenarios.append(f"{rule.finding}（依据：{rule.clause}）")
        for look in looks:
            by_look.setdefault(look, []).append(rule.finding)
    looks = []
    for row in result.looks:
        if row.effect == "positive" and by_look.get(row.look):
            answered = "；".join(label for _, label in row.answers)
            looks.append(f"{row.name}：{' '.join(dict.fromkeys(by_look[row.look]))}（自查回答：{answered}）")
    corrections = []
    for question_id, options in template.corrections.items():
        option_id = result.answers.get(question_id)
        question = questionnaire.question(question_id)
        if question is not None and option_id in options:
            corrections.append(question.option(option_id).label)
    return {"scenarios": tuple(scenarios), "looks": tuple(looks), "corrections": tuple(corrections)}


def build_document(filled: Filled, template: DraftTemplate):
    """The python-docx Document of the draft."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    document = Document()
    for style_name in ("Normal", "Title", "Heading 2"):
        _chinese_font(document.styles[style_name])
    document.styles["Normal"].font.size = Pt(12)
    properties = document.core_properties
    properties.author, properties.last_modified_by, properties.comments = "", "", ""
    properties.title = template.texts["title"]
    notice = document.add_paragraph()
    run = notice.add_run(template.texts["notice"])
    run.bold = True
    run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
    title = document.add_heading(template.texts["title"], level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for section in template.sections:
        if section.heading:
            document.add_heading(section.heading, level=2)
        if section.text:
            _add_filled(document.add_paragraph(), section.text, filled, template)
            continue
        items = filled.lists.get(section.list, ())
        if not items:
            _add_filled(document.add_paragraph(), section.empty or "", filled, template, blank=True)
        for number, item in enumerate(items, 1):
            document.add_paragraph(f"{number}. {item}")
    for line in template.texts["closing"].split("\n"):
        paragraph = _add_filled(document.add_paragraph(), line, filled, template)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return document


def _chinese_font(style: Any) -> None:
    from docx.oxml.ns import qn

    style.font.name = "SimSun"
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), "宋体")


def _add_filled(paragraph: Any, text: str, filled: Filled, template: DraftTemplate, blank: bool = False) -> Any:
    """``text`` with its placeholders filled; blanks (and ``blank`` text) highlighted."""
    from docx.enum.text import WD_COLOR_INDEX

    for literal, name, _, _ in string.Formatter().parse(text):
        if literal:
            run = paragraph.add_run(literal)
            if blank:
                run.font.highlight_color = WD_COLOR_INDEX.YELLOW
        if name is None:
            continue
        value = filled.fields.get(name, "")
        if value:
            paragraph.add_run(value)
        else:
            paragraph.add_run(_blank(name, filled, template)).font.highlight_color = WD_COLOR_INDEX.YELLOW
    return paragraph


def _blank(name: str, filled: Filled, template: DraftTemplate) -> str:
    """What stands for a field not given: the fact's labelled blank, or the receiver's."""
    if name in filled.labels:
        return template.texts["blank"].format(label=filled.labels[name])
    return template.texts["receiver_blank"] if name == "receiver" else ""


def drafts_dir() -> Path:
    """A folder only this user can read, for drafts on their way to the user."""
    folder = Path(tempfile.gettempdir()) / f"policybot-drafts-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder


def write_draft(filled: Filled, template: DraftTemplate, out: Path | None = None) -> Path:
    """Save the draft to ``out``, or to a new private temporary file; return its path."""
    document = build_document(filled, template)
    if out is None:
        folder = drafts_dir()
        _sweep(folder)
        handle, name = tempfile.mkstemp(prefix="draft-", suffix=".docx", dir=folder)
        os.close(handle)
        out = Path(name)
    document.save(str(out))
    return out


def _sweep(folder: Path) -> None:
    """Remove drafts no channel picked up (a crash between writing and sending)."""
    cutoff = time.time() - STALE_SECONDS
    for path in folder.glob("draft-*.docx"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass


def summary(filled: Filled, template: DraftTemplate) -> str:
    """The short text sent with the file, for a phone that cannot open .docx."""
    filled_labels = [f.label for f in template.facts if filled.fields.get(f.id)]
    blank_labels = [f.label for f in template.facts if not filled.fields.get(f.id)]
    none = template.texts["none"]
    findings_none = none if filled.outcome else template.texts["no_screening"]
    return template.texts["summary"].format(
        file_name=template.texts["file_name"],
        speaker=filled.fields.get("speaker") or none,
        receiver_short=filled.fields.get("receiver") or "待填写",
        scenarios_short=_short(filled.lists.get("scenarios", ()), findings_none),
        looks_short=_short(tuple(item.split("：", 1)[0] for item in filled.lists.get("looks", ())), findings_none),
        filled="、".join(filled_labels) or none,
        blank_list="、".join(blank_labels) or none,
    ).strip()


def _short(items: tuple[str, ...], none: str) -> str:
    return "；".join(item.split("（依据", 1)[0].rstrip("。") for item in items) or none
