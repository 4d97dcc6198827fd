"""One loader for both content trees, faq/ and knowledge/, with schema checks.

Loading never raises on bad content: every problem becomes a ``Problem`` with file, line and
entry id, and the records that are sound are still returned, so one typo does not hide the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.content.models import (
    ITEM_KINDS,
    OUTCOMES,
    SIX_LOOKS,
    STATUSES,
    Case,
    Content,
    FaqEntry,
    KnowledgeItem,
    Location,
    Part,
    Source,
    StatusInfo,
    StatusRules,
    Topic,
)
from bot.content.messages import load_messages
from bot.content.problems import WARNING, Problem
from bot.content.synonyms import SYNONYMS_FILE, Synonyms, parse_synonyms
from bot.content.yamlpos import LocatedDict, LocatedList, YamlProblem, load_located

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Files in knowledge/ that other modules own (loaded by them, not here).
OTHER_KNOWLEDGE_FILES = {"screening.yml", "dialogue.yml", "wording.yml", "synonyms.yml", "care.yml", "statuses.yml",
                         "campaigns.yml"}

# field name -> (type, required). Types: str, int, strlist, map, parts.
SOURCE_FIELDS = {
    "id": ("str", True), "title": ("str", True), "issuer": ("str", True), "tier": ("str", True),
    "file": ("str", True), "date": ("str", False), "region": ("str", False), "url": ("str", False),
    "note": ("str", False), "quoted_in": ("strlist", False),
}
FAQ_FIELDS = {
    "id": ("str", True), "question": ("str", True), "paraphrases": ("strlist", True),
    "answer": ("str", True), "sources": ("strlist", True), "related": ("strlist", False),
    "region": ("str", False), "rests_on": ("strlist", False),
}
ITEM_FIELDS = {
    "id": ("str", True), "kind": ("str", True), "name": ("str", True), "text": ("str", True),
    "sources": ("strlist", True), "region": ("str", False), "parts": ("parts", False),
    "count": ("int", False), "value": ("str", False), "unit": ("str", False),
    "period": ("str", False), "status": ("str", False),
}
PART_FIELDS = {"id": ("str", False), "name": ("str", True), "text": ("str", False), "status": ("str", False)}
CASE_FIELDS = {
    "id": ("str", True), "name": ("str", True), "facts": ("str", True), "outcome": ("str", True),
    "outcome_text": ("str", True), "sources": ("strlist", True), "region": ("str", False),
    "six_looks": ("map", False), "lesson": ("str", False), "category": ("str", False),
    "date": ("str", False), "answers": ("map", False),
}
SOURCE_TIERS = ("primary", "quoted", "secondary", "project")


@dataclass
class _Reader:
    """Reads one file's records, collecting problems against that file."""

    path: str
    problems: list[Problem] = field(default_factory=list)

    def problem(self, line: int, message: str, entry: str = "", level: str = "error") -> None:
        self.problems.append(Problem(self.path, line, message, entry, level))

    def fields(self, data: Any, spec: dict, line: int, what: str) -> dict | None:
        """Check one mapping against ``spec``; return the clean values or None if unusable."""
        if not isinstance(data, LocatedDict):
            self.problem(line, f"{what} must be a mapping of fields, got {_type_name(data)}")
            return None
        entry = data.get("id") if isinstance(data.get("id"), str) else ""
        for key, key_line in data.duplicate_keys:
            self.problem(key_line, f"field '{key}' is given twice", entry)
        clean: dict[str, Any] = {}
        ok = True
        for key in data:
            if key not in spec:
                hint = _closest(key, spec)
                self.problem(data.line_of(key), f"unknown field '{key}'" + (f" (did you mean '{hint}'?)" if hint else ""), entry)
        for key, (kind, required) in spec.items():
            if key not in data or data[key] is None or data[key] == "":
                if required:
                    self.problem(data.line, f"missing '{key}'", entry)
                    ok = False
                continue
            value = _convert(data[key], kind)
            if value is None:
                self.problem(data.line_of(key), f"'{key}' must be {_KIND_WORDS[kind]}, got {_type_name(data[key])}", entry)
                ok = False
                continue
            if kind == "parts":
                value = self.parts(data[key], entry)
            clean[key] = value
        if ok and "id" in clean and not ID_PATTERN.match(clean["id"]):
            self.problem(data.line_of("id"), f"id '{clean['id']}' must be lower-case ASCII snake_case, 1-40 characters", entry)
        return clean if ok else None

    def parts(self, raw: LocatedList, entry: str) -> tuple[Part, ...]:
        parts = []
        for index, item in enumerate(raw):
            if isinstance(item, str):
                parts.append(Part(name=item.strip()))
                continue
            clean = self.fields(item, PART_FIELDS, raw.line_of(index), f"part {index + 1} of {entry}")
            if clean and not self.status_ok(clean, item, entry):
                clean.pop("status")
            if clean:
                parts.append(Part(**{k: v.strip() if isinstance(v, str) else v for k, v in clean.items()}))
        return tuple(parts)

    def status_ok(self, clean: dict, raw: LocatedDict, entry: str) -> bool:
        """A given status is one of STATUSES (reported on its own line)."""
        status = clean.get("status")
        if status is None or status in STATUSES:
            return True
        self.problem(raw.line_of("status"), f"status '{status}' must be one of {', '.join(STATUSES)}", entry)
        return False


_KIND_WORDS = {"str": "text", "int": "a whole number", "strlist": "a list of texts",
               "map": "a mapping", "parts": "a list of parts"}


def _convert(value: Any, kind: str) -> Any:
    if kind == "str":
        if isinstance(value, bool) or isinstance(value, (list, dict)):
            return None
        return str(value)
    if kind == "int":
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if kind == "strlist":
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or any(isinstance(v, (list, dict)) or v is None for v in value):
            return None
        return tuple(str(v) for v in value)
    if kind == "map":
        return value if isinstance(value, dict) else None
    if kind == "parts":
        return value if isinstance(value, list) else None
    raise ValueError(kind)


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "yes/no"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (int, float)):
        return "a number"
    return "text"


def _closest(key: str, spec: dict) -> str:
    import difflib

    match = difflib.get_close_matches(key, list(spec), n=1, cutoff=0.6)
    return match[0] if match else ""


def _load_file(root: Path, path: Path) -> tuple[_Reader, Any]:
    reader = _Reader(path.relative_to(root).as_posix())
    try:
        data = load_located(path)
    except YamlProblem as exc:
        reader.problem(exc.line, str(exc))
        data = None
    return reader, data


def _top_list(reader: _Reader, data: Any, key: str, extra: tuple[str, ...] = ()) -> LocatedList | None:
    """The list under ``key`` at the top of a file, or None (with a problem) if absent."""
    if data is None:
        return None
    if not isinstance(data, LocatedDict):
        reader.problem(1, f"the file must be a mapping with '{key}:' at the top, got {_type_name(data)}")
        return None
    for name in data:
        if name not in (key, "title", "description", "topic", *extra):
            reader.problem(data.line_of(name), f"unknown top-level field '{name}'", level=WARNING)
    items = data.get(key)
    if not isinstance(items, LocatedList):
        reader.problem(data.line_of(key) if key in data else 1, f"'{key}:' must be a list")
        return None
    return items


def _strip(values: dict) -> dict:
    """Trim surrounding whitespace of every text value (YAML block scalars end in a newline)."""
    return {key: _trim(value) for key, value in values.items()}


def _trim(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, tuple):
        return tuple(_trim(v) for v in value)
    return value


def load_sources(root: Path, problems: list[Problem]) -> dict[str, Source]:
    path = root / "knowledge" / "sources.yml"
    if not path.exists():
        problems.append(Problem("knowledge/sources.yml", 0, "file is missing: every answer must cite a source"))
        return {}
    reader, data = _load_file(root, path)
    sources: dict[str, Source] = {}
    for index, raw in enumerate(_top_list(reader, data, "sources") or []):
        line = _line(data["sources"], index)
        clean = reader.fields(raw, SOURCE_FIELDS, line, f"source {index + 1}")
        if not clean:
            continue
        clean = _strip(clean)
        if clean["tier"] not in SOURCE_TIERS:
            reader.problem(raw.line_of("tier"), f"tier '{clean['tier']}' must be one of {', '.join(SOURCE_TIERS)}", clean["id"])
        if clean["id"] in sources:
            reader.problem(line, f"duplicate source id (first at line {sources[clean['id']].location.line})", clean["id"])
            continue
        sources[clean["id"]] = Source(location=Location(reader.path, line), **clean)
    problems.extend(reader.problems)
    return sources


def _line(items: LocatedList, index: int) -> int:
    return items.line_of(index)


def _answer_line(raw: LocatedDict) -> int:
    """The line where the answer's text starts (the line after 'answer: |' for a block)."""
    line = raw.line_of("answer")
    answer = raw.get("answer")
    return line + 1 if isinstance(answer, str) and "\n" in answer else line


def load_topics(root: Path, problems: list[Problem]) -> list[Topic]:
    topics = []
    folder = root / "faq"
    if not folder.is_dir():
        problems.append(Problem("faq", 0, "folder is missing"))
        return []
    for path in sorted(folder.glob("*.y*ml")):
        reader, data = _load_file(root, path)
        items = _top_list(reader, data, "entries")
        if items is None:
            problems.extend(reader.problems)
            continue
        topic_id = data.get("topic") or path.stem
        if topic_id != path.stem:
            reader.problem(data.line_of("topic"), f"topic '{topic_id}' must match the file name '{path.stem}'")
        title = data.get("title")
        if not isinstance(title, str) or not title.strip():
            reader.problem(1, "missing 'title' (the topic's name shown to users)")
            title = path.stem
        entries = []
        for index, raw in enumerate(items):
            line = _line(items, index)
            clean = reader.fields(raw, FAQ_FIELDS, line, f"entry {index + 1}")
            if clean:
                entries.append(FaqEntry(topic=path.stem, location=Location(reader.path, line),
                                        answer_line=_answer_line(raw), **_strip(clean)))
        topics.append(Topic(path.stem, title.strip(), tuple(entries), Location(reader.path, 1)))
        problems.extend(reader.problems)
    return topics


def load_items(root: Path, problems: list[Problem]) -> list[KnowledgeItem]:
    items_out = []
    folder = root / "knowledge"
    for path in sorted(folder.glob("*.y*ml")):
        if path.name == "sources.yml" or path.name in OTHER_KNOWLEDGE_FILES:
            continue
        collection = path.stem
        reader, data = _load_file(root, path)
        if collection not in ITEM_KINDS:
            reader.problem(1, f"unknown knowledge file (expected one of: {', '.join(f'{c}.yml' for c in ITEM_KINDS)}); not loaded", level=WARNING)
            problems.extend(reader.problems)
            continue
        kinds = ITEM_KINDS[collection]
        items = _top_list(reader, data, "items") or []
        for index, raw in enumerate(items):
            line = _line(items, index)
            clean = reader.fields(raw, ITEM_FIELDS, line, f"item {index + 1}")
            if not clean:
                continue
            if not reader.status_ok(clean, raw, clean["id"]):
                clean.pop("status")
            if clean["kind"] not in kinds:
                reader.problem(raw.line_of("kind"), f"kind '{clean['kind']}' must be one of {', '.join(kinds)} in {path.name}", clean["id"])
            items_out.append(KnowledgeItem(collection=collection, location=Location(reader.path, line), **_strip(clean)))
        problems.extend(reader.problems)
    return items_out


def load_cases(root: Path, problems: list[Problem]) -> list[Case]:
    cases = []
    for path in sorted((root / "knowledge" / "cases").glob("*.y*ml")):
        reader, data = _load_file(root, path)
        if data is None:
            problems.extend(reader.problems)
            continue
        clean = reader.fields(data, CASE_FIELDS, 1, "case")
        if clean:
            case_id = clean["id"]
            if case_id != path.stem:
                reader.problem(data.line_of("id"), f"case id must match the file name '{path.stem}'", case_id)
            if clean["outcome"] not in OUTCOMES:
                reader.problem(data.line_of("outcome"), f"outcome '{clean['outcome']}' must be one of {', '.join(OUTCOMES)}", case_id)
            looks = clean.get("six_looks", {})
            for key in looks:
                if key not in SIX_LOOKS:
                    reader.problem(looks.line_of(key), f"six_looks key '{key}' must be one of {', '.join(SIX_LOOKS)}", case_id)
            clean["six_looks"] = {k: str(v).strip() for k, v in looks.items() if k in SIX_LOOKS}
            clean["answers"] = {str(k): str(v) for k, v in clean.get("answers", {}).items()}
            cases.append(Case(location=Location(reader.path, 1), **_strip(clean)))
        problems.extend(reader.problems)
    return cases


def load_intent_examples(root: Path, problems: list[Problem]) -> dict[str, tuple[str, ...]]:
    """Every intent's examples in the hand-written Rasa NLU data (rasa_project/data/nlu)."""
    examples: dict[str, list[str]] = {}
    for path in sorted((root / "rasa_project" / "data" / "nlu").glob("*.y*ml")):
        reader, data = _load_file(root, path)
        blocks = data.get("nlu") if isinstance(data, dict) else None
        for block in blocks if isinstance(blocks, list) else []:
            if isinstance(block, dict) and isinstance(block.get("intent"), str):
                lines = str(block.get("examples") or "").splitlines()
                found = [line.strip()[2:].strip() for line in lines if line.strip().startswith("- ")]
                examples.setdefault(block["intent"], []).extend(e for e in found if e)
        problems.extend(reader.problems)
    return {intent: tuple(texts) for intent, texts in examples.items()}


def load_synonyms(root: Path, problems: list[Problem]) -> Synonyms:
    """knowledge/synonyms.yml, when present (the bot works without it)."""
    path = root / SYNONYMS_FILE
    if not path.exists():
        return Synonyms()
    reader, data = _load_file(root, path)
    problems.extend(reader.problems)
    synonyms, found = parse_synonyms(data, reader.path)
    problems.extend(found)
    return synonyms


STATUSES_FILE = "knowledge/statuses.yml"


def load_statuses(root: Path) -> tuple[StatusRules | None, list[Problem]]:
    """knowledge/statuses.yml: the four statuses with their labels and markers, or None when
    the file is absent (then items and answers are not checked for statuses)."""
    path = root / STATUSES_FILE
    if not path.exists():
        return None, []
    reader, data = _load_file(root, path)
    if data is None:
        return None, reader.problems
    if not isinstance(data, LocatedDict) or not isinstance(data.get("statuses"), LocatedDict):
        reader.problem(1, "expected a mapping 'statuses:' of status name -> label and markers")
        return None, reader.problems
    raw_statuses = data["statuses"]
    statuses: dict[str, StatusInfo] = {}
    for name, raw in raw_statuses.items():
        line = raw_statuses.line_of(name)
        if name not in STATUSES:
            reader.problem(line, f"unknown status '{name}' (the statuses are {', '.join(STATUSES)})")
            continue
        if not isinstance(raw, dict) or not isinstance(raw.get("label"), str):
            reader.problem(line, f"status '{name}' needs a 'label:' (its Chinese name)")
            continue
        markers = raw.get("markers") or []
        if not isinstance(markers, list) or not all(isinstance(m, str) and m.strip() for m in markers):
            reader.problem(line, f"status '{name}': 'markers:' must be a list of words")
            continue
        needs = bool(raw.get("needs_marker", False))
        if needs and not markers:
            reader.problem(line, f"status '{name}' needs a marker but lists no 'markers:'")
        statuses[name] = StatusInfo(name, raw["label"].strip(), needs, tuple(m.strip() for m in markers),
                                    str(raw.get("description") or "").strip())
    for name in STATUSES:
        if name not in statuses and name not in raw_statuses:
            reader.problem(raw_statuses.line, f"status '{name}' is not described")
    ignore = data.get("ignore") or []
    if not isinstance(ignore, list) or not all(isinstance(i, str) for i in ignore):
        reader.problem(data.line_of("ignore"), "'ignore:' must be a list of phrases")
        ignore = []
    return StatusRules(statuses, tuple(i.strip() for i in ignore if i.strip()), reader.path), reader.problems


def load_content(root: Path) -> tuple[Content, list[Problem]]:
    """Load faq/ and knowledge/ (and the out-of-scope examples) under ``root``; return the
    content and every problem found."""
    problems: list[Problem] = []
    content = Content(
        sources=load_sources(root, problems),
        topics=load_topics(root, problems),
        items=load_items(root, problems),
        cases=load_cases(root, problems),
        intent_examples=load_intent_examples(root, problems),
        synonyms=load_synonyms(root, problems),
        messages=load_messages(root, problems),
    )
    return content, problems

