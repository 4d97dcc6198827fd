"""The how-to-apply content in knowledge/apply/: the walk-through by place (guide.yml), the
materials checklist (checklist.yml) and the draft application's template (draft.yml).

Every fact the walk-through and the checklist state is a reference to a knowledge item (``item``
or ``item.part``), so it is shown with its status and sources; these files hold only the order,
the places and the interface wording. ``load_guide`` reads and checks all three and says what is
wrong at file:line; the bot keeps the last good version while a trainer's edit is broken.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.content.problems import Problem
from bot.content.yamlpos import LocatedDict, LocatedList, YamlProblem, load_located

APPLY_DIR = "knowledge/apply"
GUIDE_FILE, CHECKLIST_FILE, DRAFT_FILE = f"{APPLY_DIR}/guide.yml", f"{APPLY_DIR}/checklist.yml", f"{APPLY_DIR}/draft.yml"
PLACE_ID = re.compile(r"^[a-z][a-z0-9_]{0,19}$")
GUIDE_TEXTS = ("title", "intro", "pick_place", "pick_child", "other_in_place", "pick_applicant", "remembered", "inherited",
               "general_note", "step_heading", "checklist_button", "draft_button", "prev_button", "next_button",
               "places_button", "restart_button", "screen_button", "not_listed")
CHECKLIST_TEXTS = ("title", "intro", "required_mark", "general_mark")
DRAFT_TEXTS = ("file_name", "title", "notice", "blank", "asking", "skip_button", "done_button", "cancel_button",
               "cancelled", "too_long", "receiver_blank", "closing", "summary", "saved", "none", "no_screening")
DRAFT_LISTS = ("scenarios", "looks", "corrections", "materials")
# What the draft's texts may name in braces, per text.
DRAFT_FIELDS = {"unit", "position", "date", "account", "speaker", "applicant", "receiver"}
SUMMARY_FIELDS = {"file_name", "speaker", "receiver_short", "scenarios_short", "looks_short", "filled", "blank_list"}
CONTROL_WORDS = ("skip", "done", "cancel")


@dataclass(frozen=True)
class Stage:
    id: str
    title: str
    gap: str
    footer: str = ""


@dataclass(frozen=True)
class Place:
    id: str
    name: str
    steps: dict[str, tuple[str, ...]]  # stage id -> knowledge refs
    parent: str = ""
    aliases: tuple[str, ...] = ()
    screening: str = ""  # option id of the screening's region question
    general: bool = False  # "my place is not listed": the general rules


@dataclass(frozen=True)
class Material:
    id: str
    name: str
    why: str
    rests_on: tuple[str, ...]
    required: bool = False
    when: dict[str, tuple[str, ...]] = field(default_factory=dict)
    condition: str = ""  # shown before the name when there is no screening to decide ``when``
    places: tuple[str, ...] = ()
    attach: bool = True  # listed as an attachment of the drafted application

    def applies(self, answers: dict[str, str] | None) -> bool:
        """True when the screening answers meet ``when`` (always without a condition)."""
        if not self.when or answers is None:
            return True
        return all(answers.get(question) in options for question, options in self.when.items())


@dataclass(frozen=True)
class Checklist:
    texts: dict[str, str]
    intro_rests_on: tuple[str, ...]
    materials: tuple[Material, ...]


@dataclass(frozen=True)
class Fact:
    id: str
    label: str
    ask: str
    max_chars: int = 200


@dataclass(frozen=True)
class Section:
    heading: str = ""
    text: str = ""
    list: str = ""
    empty: str = ""


@dataclass(frozen=True)
class DraftTemplate:
    texts: dict[str, str]
    facts: tuple[Fact, ...]
    applicants: dict[str, dict[str, str]]
    sections: tuple[Section, ...]
    control_words: dict[str, tuple[str, ...]]
    corrections: dict[str, tuple[str, ...]] = field(default_factory=dict)  # screening answers that are corrections

    def fact(self, fact_id: str) -> Fact | None:
        return next((f for f in self.facts if f.id == fact_id), None)


@dataclass(frozen=True)
class Guide:
    texts: dict[str, str]
    applicants: tuple[tuple[str, str], ...]  # (id, label)
    stages: tuple[Stage, ...]
    places: tuple[Place, ...]
    checklist: Checklist
    draft: DraftTemplate
    status_labels: dict[str, str] = field(default_factory=dict)  # rule -> 现行规定 … (knowledge/statuses.yml)

    def place(self, place_id: str) -> Place | None:
        return next((p for p in self.places if p.id == place_id), None)

    def children(self, place_id: str) -> list[Place]:
        return [p for p in self.places if p.parent == place_id]

    def top_places(self) -> list[Place]:
        """The places offered first: no parent, the general rules last."""
        return [p for p in self.places if not p.parent and not p.general]

    def general(self) -> Place | None:
        return next((p for p in self.places if p.general), None)

    def lineage(self, place_id: str) -> list[Place]:
        """The place, its parent, the parent's parent …"""
        chain, seen = [], set()
        place = self.place(place_id)
        while place is not None and place.id not in seen:
            chain.append(place)
            seen.add(place.id)
            place = self.place(place.parent) if place.parent else None
        return chain

    def applicant_label(self, applicant_id: str) -> str:
        return dict(self.applicants).get(applicant_id, "")

    def text(self, key: str, **values: Any) -> str:
        return self.texts[key].strip().format(**values)


class _Reader:
    """Typed access to one file's mapping; every problem names the file and line."""

    def __init__(self, rel: str, problems: list[Problem]):
        self.rel = rel
        self.problems = problems

    def problem(self, line: int, message: str, entry: str = "") -> None:
        self.problems.append(Problem(self.rel, line, message, entry))

    def load(self, root: Path) -> LocatedDict | None:
        path = root / self.rel
        if not path.exists():
            self.problem(0, "file is missing")
            return None
        try:
            data = load_located(path)
        except YamlProblem as exc:
            self.problem(exc.line, str(exc))
            return None
        if not isinstance(data, LocatedDict):
            self.problem(1, "the file must be a mapping of keys to values")
            return None
        return data

    def text(self, data: LocatedDict, key: str, entry: str = "", required: bool = True) -> str:
        value = data.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool) or not str(value).strip():
            self.problem(data.line_of(key), f"'{key}' must be a non-empty text", entry)
            return ""
        return str(value).strip()

    def texts(self, data: LocatedDict, keys: tuple[str, ...]) -> dict[str, str]:
        return {key: self.text(data, key) for key in keys}

    def words(self, data: LocatedDict, key: str, entry: str = "") -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) and str(v).strip() for v in value):
            self.problem(data.line_of(key), f"'{key}' must be a list of texts", entry)
            return ()
        return tuple(str(v).strip() for v in value)

    def mappings(self, data: LocatedDict, key: str) -> list[tuple[LocatedDict, int]]:
        value = data.get(key)
        if not isinstance(value, LocatedList):
            self.problem(data.line_of(key) if key in data else 1, f"'{key}:' must be a list")
            return []
        out = []
        for index, item in enumerate(value):
            if isinstance(item, LocatedDict):
                out.append((item, value.line_of(index)))
            else:
                self.problem(value.line_of(index), f"item {index + 1} of '{key}' must be a mapping")
        return out

    def unknown_keys(self, data: LocatedDict, allowed: tuple[str, ...], entry: str = "") -> None:
        for key in data:
            if key not in allowed:
                self.problem(data.line_of(key), f"unknown field '{key}' (expected: {', '.join(allowed)})", entry)

    def placeholders(self, data: LocatedDict, key: str, text: str, allowed: set[str], entry: str = "") -> None:
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as exc:
            self.problem(data.line_of(key), f"'{key}': unbalanced braces ({exc})", entry)
            return
        unknown = sorted(names - allowed)
        if unknown:
            self.problem(data.line_of(key), f"'{key}' names unknown placeholder(s) {', '.join('{' + n + '}' for n in unknown)}"
                         f" (allowed: {', '.join(sorted(allowed)) or 'none'})", entry)


def load_guide(root: Path, content: Any, questionnaire: Any = None) -> tuple[Guide | None, list[Problem]]:
    """Read knowledge/apply/; the guide, or None when a file is broken, and the problems."""
    problems: list[Problem] = []
    guide_reader = _Reader(GUIDE_FILE, problems)
    data = guide_reader.load(root)
    checklist = _load_checklist(root, content, questionnaire, problems)
    draft = _load_draft(root, questionnaire, problems)
    if data is None:
        return None, problems
    texts = guide_reader.texts(data, GUIDE_TEXTS)
    applicants = []
    for item, line in guide_reader.mappings(data, "applicants"):
        applicants.append((guide_reader.text(item, "id"), guide_reader.text(item, "label")))
    stages = []
    for item, line in guide_reader.mappings(data, "stages"):
        guide_reader.unknown_keys(item, ("id", "title", "gap", "footer"))
        stage = Stage(guide_reader.text(item, "id"), guide_reader.text(item, "title"), guide_reader.text(item, "gap"),
                      guide_reader.text(item, "footer", required=False))
        guide_reader.placeholders(item, "gap", stage.gap, {"place"}, stage.id)
        stages.append(stage)
    places = _load_places(guide_reader, data, [s.id for s in stages], content, questionnaire)
    _check_unique(guide_reader, data, "applicants", [a for a, _ in applicants])
    _check_unique(guide_reader, data, "stages", [s.id for s in stages])
    for key, allowed in (("pick_child", {"place"}), ("other_in_place", {"place"}), ("inherited", {"place", "parent"}),
                         ("step_heading", {"place", "n", "total", "title"})):
        guide_reader.placeholders(data, key, texts.get(key, ""), allowed)
    if draft is not None and applicants:
        missing = [a for a, _ in applicants if a not in draft.applicants]
        if missing:
            problems.append(Problem(DRAFT_FILE, 0, f"'applicants' has no wording for {', '.join(missing)} (see {GUIDE_FILE})"))
    if any(p.is_error for p in problems) or checklist is None or draft is None:
        return None, problems
    from bot.content.loader import load_statuses

    rules, _ = load_statuses(root)  # its own problems are reported by the statuses check
    labels = {name: info.label for name, info in rules.statuses.items()} if rules is not None else {}
    return Guide(texts, tuple(applicants), tuple(stages), tuple(places), checklist, draft, labels), problems


def _check_unique(reader: _Reader, data: LocatedDict, key: str, ids: list[str]) -> None:
    seen = set()
    for item_id in ids:
        if item_id in seen:
            reader.problem(data.line_of(key), f"duplicate id '{item_id}' in '{key}'", item_id)
        seen.add(item_id)


def _check_refs(reader: _Reader, raw: LocatedDict, key: str, refs: tuple[str, ...], content: Any, entry: str) -> None:
    from bot.content.validate import resolve_ref

    items = content.items_by_id()
    for ref in refs:
        found = resolve_ref(content, ref)
        if found is None or ref.partition(".")[0] not in items:
            reader.problem(raw.line_of(key), f"'{ref}' is not a knowledge item or item.part", entry)


def _load_places(reader: _Reader, data: LocatedDict, stage_ids: list[str], content: Any, questionnaire: Any) -> list[Place]:
    places: list[Place] = []
    region = questionnaire.question("region") if questionnaire is not None else None
    for item, line in reader.mappings(data, "places"):
        reader.unknown_keys(item, ("id", "name", "parent", "aliases", "screening", "general", "steps"))
        place_id = reader.text(item, "id")
        if place_id and not PLACE_ID.match(place_id):
            reader.problem(item.line_of("id"), f"place id '{place_id}' must be lower-case letters, digits and _ (at most 20)")
        steps_raw = item.get("steps") or LocatedDict()
        steps: dict[str, tuple[str, ...]] = {}
        if not isinstance(steps_raw, dict):
            reader.problem(item.line_of("steps"), "'steps' must map stage ids to lists of knowledge refs", place_id)
            steps_raw = LocatedDict()
        for stage_id in steps_raw:
            if stage_id not in stage_ids:
                reader.problem(steps_raw.line_of(stage_id), f"unknown stage '{stage_id}' (stages: {', '.join(stage_ids)})", place_id)
                continue
            refs = reader.words(steps_raw, stage_id, place_id)
            _check_refs(reader, steps_raw, stage_id, refs, content, place_id)
            steps[stage_id] = refs
        screening = reader.text(item, "screening", required=False)
        if screening and region is not None and region.option(screening) is None:
            reader.problem(item.line_of("screening"), f"the screening's region question has no option '{screening}'", place_id)
        places.append(Place(place_id, reader.text(item, "name"), steps, reader.text(item, "parent", required=False),
                            reader.words(item, "aliases", place_id), screening, bool(item.get("general"))))
    ids = [p.id for p in places]
    _check_unique(reader, data, "places", ids)
    for place in places:
        if place.parent and place.parent not in ids:
            reader.problem(data.line_of("places"), f"parent '{place.parent}' is not a place", place.id)
        seen, current = {place.id}, place
        while current is not None and current.parent:
            if current.parent in seen:
                reader.problem(data.line_of("places"), "parents form a loop", place.id)
                break
            seen.add(current.parent)
            current = next((p for p in places if p.id == current.parent), None)
    if sum(p.general for p in places) != 1:
        reader.problem(data.line_of("places"), "exactly one place must be 'general: true' (for places not listed)")
    return places


def _load_checklist(root: Path, content: Any, questionnaire: Any, problems: list[Problem]) -> Checklist | None:
    reader = _Reader(CHECKLIST_FILE, problems)
    data = reader.load(root)
    if data is None:
        return None
    before = len(problems)
    texts = reader.texts(data, CHECKLIST_TEXTS)
    intro_refs = reader.words(data, "intro_rests_on")
    _check_refs(reader, data, "intro_rests_on", intro_refs, content, "intro")
    materials = []
    for item, line in reader.mappings(data, "materials"):
        reader.unknown_keys(item, ("id", "name", "required", "why", "rests_on", "when", "if", "places", "attach"))
        material_id = reader.text(item, "id")
        refs = reader.words(item, "rests_on", material_id)
        if not refs:
            reader.problem(item.line_of("rests_on") if "rests_on" in item else line,
                           "'rests_on' must name the knowledge the 'why' comes from", material_id)
        _check_refs(reader, item, "rests_on", refs, content, material_id)
        required = item.get("required", False)
        if not isinstance(required, bool):
            reader.problem(item.line_of("required"), "'required' must be true or false", material_id)
            required = False
        if required and not _any_rule(content, refs):
            reader.problem(item.line_of("required"), "'required: true' needs a rule (status: rule) in 'rests_on' that "
                           "requires it; otherwise mark it required: false (shown as general practice)", material_id)
        when = _when(reader, item, questionnaire, material_id)
        if when and not item.get("if"):
            reader.problem(item.line_of("when"), "'when' needs 'if': the condition in words, shown when there is no self-check",
                           material_id)
        materials.append(Material(material_id, reader.text(item, "name", material_id), reader.text(item, "why", material_id),
                                  refs, required, when, reader.text(item, "if", required=False),
                                  reader.words(item, "places", material_id), item.get("attach", True) is not False))
    _check_unique(reader, data, "materials", [m.id for m in materials])
    if len(problems) > before:
        return None
    return Checklist(texts, intro_refs, tuple(materials))


def _any_rule(content: Any, refs: tuple[str, ...]) -> bool:
    from bot.content.validate import resolve_ref

    for ref in refs:
        found = resolve_ref(content, ref)
        if found is not None and hasattr(found[0], "status_of") and found[0].status_of(found[1]) == "rule":
            return True
    return False


def _when(reader: _Reader, item: LocatedDict, questionnaire: Any, entry: str, key: str = "when") -> dict[str, tuple[str, ...]]:
    raw = item.get(key)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        reader.problem(item.line_of(key), f"'{key}' must map screening question ids to lists of option ids", entry)
        return {}
    when = {}
    for question_id, options in raw.items():
        options = tuple(str(o) for o in options) if isinstance(options, list) else (str(options),)
        question = questionnaire.question(str(question_id)) if questionnaire is not None else None
        if questionnaire is not None and question is None:
            reader.problem(item.line_of(key), f"unknown screening question '{question_id}'", entry)
        elif question is not None:
            for option in options:
                if question.option(option) is None:
                    reader.problem(item.line_of(key), f"question '{question_id}' has no option '{option}'", entry)
        when[str(question_id)] = options
    return when


def _load_draft(root: Path, questionnaire: Any, problems: list[Problem]) -> DraftTemplate | None:
    reader = _Reader(DRAFT_FILE, problems)
    data = reader.load(root)
    if data is None:
        return None
    before = len(problems)
    texts = reader.texts(data, DRAFT_TEXTS)
    reader.placeholders(data, "blank", texts["blank"], {"label"})
    reader.placeholders(data, "asking", texts["asking"], {"n"})
    reader.placeholders(data, "too_long", texts["too_long"], {"n"})
    reader.placeholders(data, "closing", texts["closing"], DRAFT_FIELDS)
    reader.placeholders(data, "summary", texts["summary"], SUMMARY_FIELDS)
    reader.placeholders(data, "saved", texts["saved"], {"path"})
    facts = []
    for item, line in reader.mappings(data, "facts"):
        reader.unknown_keys(item, ("id", "label", "ask", "max_chars"))
        fact_id = reader.text(item, "id")
        if fact_id and fact_id not in DRAFT_FIELDS:
            reader.problem(item.line_of("id"), f"fact '{fact_id}' is not one the template can hold "
                           "(unit, position, date, account)", fact_id)
        limit = item.get("max_chars", 200)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 2000:
            reader.problem(item.line_of("max_chars"), "'max_chars' must be a whole number from 1 to 2000", fact_id)
            limit = 200
        facts.append(Fact(fact_id, reader.text(item, "label", fact_id), reader.text(item, "ask", fact_id), limit))
    _check_unique(reader, data, "facts", [f.id for f in facts])
    applicants: dict[str, dict[str, str]] = {}
    raw_applicants = data.get("applicants")
    if isinstance(raw_applicants, dict):
        for applicant_id, wording in raw_applicants.items():
            if isinstance(wording, dict) and all(isinstance(wording.get(k), str) for k in ("speaker", "applicant")):
                applicants[str(applicant_id)] = {"speaker": wording["speaker"], "applicant": wording["applicant"]}
            else:
                reader.problem(raw_applicants.line_of(applicant_id), "each applicant needs 'speaker' and 'applicant' texts",
                               str(applicant_id))
    else:
        reader.problem(data.line_of("applicants") if "applicants" in data else 1, "'applicants:' must map applicant ids "
                       "to {speaker, applicant}")
    sections = []
    for item, line in reader.mappings(data, "sections"):
        reader.unknown_keys(item, ("heading", "text", "list", "empty"))
        section = Section(reader.text(item, "heading", required=False), reader.text(item, "text", required=False),
                          reader.text(item, "list", required=False), reader.text(item, "empty", required=False))
        if bool(section.text) == bool(section.list):
            reader.problem(line, "a section has either 'text' or 'list'")
        if section.list and section.list not in DRAFT_LISTS:
            reader.problem(item.line_of("list"), f"unknown list '{section.list}' (lists: {', '.join(DRAFT_LISTS)})")
        reader.placeholders(item, "text", section.text, DRAFT_FIELDS)
        sections.append(section)
    control = data.get("control_words")
    words: dict[str, tuple[str, ...]] = {}
    if isinstance(control, LocatedDict):
        words = {key: reader.words(control, key) for key in CONTROL_WORDS}
    else:
        reader.problem(data.line_of("control_words") if "control_words" in data else 1,
                       f"'control_words:' must map {', '.join(CONTROL_WORDS)} to lists of words")
    corrections = _when(reader, data, questionnaire, "corrections", key="corrections")
    if len(problems) > before:
        return None
    return DraftTemplate(texts, tuple(facts), applicants, tuple(sections), words, corrections)
