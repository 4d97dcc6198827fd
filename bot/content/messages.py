"""Example messages that teach the bot what kind of message it got (knowledge/messages/) and
its caring replies (knowledge/care.yml).

The examples are content, like the FAQ paraphrases: trainers add one when the bot misread a
message, and the message reader (bot/reader.py) learns from them when the content loads, without
retraining Rasa. Each file holds one kind:

- ``stories_*.yml``: ``stories:`` a user telling a situation, with the self-screening answers the
  story itself gives (``answers``) and, for a retold published case, its ``case`` id;
- ``everyday.yml``, ``next_steps.yml``, ``questions.yml``: ``examples:`` everyday trouble to
  decline, "what do I do now" messages, general policy questions that tell no situation;
- ``distress.yml``: ``danger:`` (self-harm, despair), ``distress:`` (fear, sleeplessness, no
  danger) and ``calm:`` (the same words in another sense).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.content.problems import WARNING, Problem
from bot.content.yamlpos import LocatedDict, LocatedList, YamlProblem, load_located
from bot.text import comparable

MESSAGES_DIR = "knowledge/messages"
CARE_FILE = "knowledge/care.yml"
EXAMPLE_FILES = {"everyday.yml": "everyday", "next_steps.yml": "next_step", "questions.yml": "question"}
DISTRESS_KEYS = ("danger", "distress", "calm")
CARE_TEXTS = ("danger", "danger_then", "distress")


@dataclass(frozen=True)
class Story:
    text: str
    path: str
    line: int
    case: str = ""
    answers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Care:
    """What the bot says to someone in despair (knowledge/care.yml)."""

    danger: str = ""
    danger_then: str = ""
    distress: str = ""
    hotline: str = ""
    hotline_sources: tuple[str, ...] = ()
    safety_net: tuple[str, ...] = ()

    def danger_text(self) -> str:
        return self.danger.replace("{hotline}", self.hotline)


@dataclass(frozen=True)
class Messages:
    """Every example message by kind, and the caring replies."""

    stories: tuple[Story, ...] = ()
    examples: dict[str, tuple[str, ...]] = field(default_factory=dict)  # kind -> texts
    care: Care = field(default_factory=Care)

    def of(self, kind: str) -> tuple[str, ...]:
        return self.examples.get(kind, ())


def load_messages(root: Path, problems: list[Problem]) -> Messages:
    """knowledge/messages/*.yml and knowledge/care.yml (the bot works without them, less well)."""
    folder = root / MESSAGES_DIR
    stories: list[Story] = []
    examples: dict[str, list[str]] = {}
    for path in sorted(folder.glob("*.y*ml")) if folder.is_dir() else []:
        rel = path.relative_to(root).as_posix()
        data = _load(path, rel, problems)
        if data is None:
            continue
        if path.name.startswith("stories"):
            stories += _stories(data, rel, problems)
        elif path.name in EXAMPLE_FILES:
            examples.setdefault(EXAMPLE_FILES[path.name], []).extend(_texts(data, "examples", rel, problems))
        elif path.name == "distress.yml":
            for key in DISTRESS_KEYS:
                examples.setdefault(key, []).extend(_texts(data, key, rel, problems))
        else:
            problems.append(Problem(rel, 1, "unknown file in knowledge/messages (expected stories_*.yml, "
                                    f"{', '.join(EXAMPLE_FILES)} or distress.yml); not loaded", level=WARNING))
    messages = Messages(tuple(stories), {k: tuple(v) for k, v in examples.items()}, load_care(root, problems))
    problems += _duplicates(messages)
    return messages


def load_care(root: Path, problems: list[Problem]) -> Care:
    path = root / CARE_FILE
    if not path.exists():
        return Care()
    data = _load(path, CARE_FILE, problems)
    if not isinstance(data, LocatedDict):
        return Care()
    values: dict[str, Any] = {}
    for key in CARE_TEXTS:
        if not isinstance(data.get(key), str) or not data[key].strip():
            problems.append(Problem(CARE_FILE, data.line_of(key) if key in data else 1, f"missing text '{key}'"))
        else:
            values[key] = data[key].strip()
    hotline = data.get("hotline")
    if isinstance(hotline, LocatedDict) and isinstance(hotline.get("text"), str):
        values["hotline"] = hotline["text"].strip()
        sources = hotline.get("sources")
        values["hotline_sources"] = tuple(str(s) for s in sources) if isinstance(sources, list) else ()
        if not values["hotline_sources"]:
            problems.append(Problem(CARE_FILE, hotline.line, "the hotline needs 'sources': give no number you cannot source"))
    elif "hotline" in data:
        problems.append(Problem(CARE_FILE, data.line_of("hotline"), "'hotline' must be a mapping with 'text' and 'sources'"))
    net = data.get("safety_net")
    if net is not None:
        if isinstance(net, list) and all(isinstance(p, str) and p.strip() for p in net):
            values["safety_net"] = tuple(comparable(p) for p in net)
        else:
            problems.append(Problem(CARE_FILE, data.line_of("safety_net"), "'safety_net' must be a list of phrases"))
    if "{hotline}" in values.get("danger", "") and not values.get("hotline"):
        problems.append(Problem(CARE_FILE, data.line_of("danger"), "'danger' names {hotline} but no hotline is given"))
    return Care(**values)


def check_messages(content, questionnaire) -> list[Problem]:
    """Stories name existing cases, and screening questions and options that exist; the hotline's
    sources exist."""
    problems = []
    cases = {case.id for case in content.cases}
    for story in content.messages.stories:
        if story.case and story.case not in cases:
            problems.append(Problem(story.path, story.line, f"unknown case '{story.case}'"))
        if questionnaire is None:
            continue
        for question_id, option_id in story.answers.items():
            question = questionnaire.question(question_id)
            if question is None:
                problems.append(Problem(story.path, story.line, f"unknown screening question '{question_id}'"))
            elif question.option(option_id) is None:
                options = ", ".join(o.id for o in question.options)
                problems.append(Problem(story.path, story.line,
                                        f"question '{question_id}' has no option '{option_id}' (options: {options})"))
    for source_id in content.messages.care.hotline_sources:
        if source_id not in content.sources:
            problems.append(Problem(CARE_FILE, 0, f"unknown source '{source_id}' for the hotline"))
    return problems


def _load(path: Path, rel: str, problems: list[Problem]) -> Any:
    try:
        return load_located(path)
    except YamlProblem as exc:
        problems.append(Problem(rel, exc.line, str(exc)))
        return None


def _list(data: Any, key: str, rel: str, problems: list[Problem]) -> LocatedList | None:
    if not isinstance(data, LocatedDict):
        problems.append(Problem(rel, 1, f"the file must be a mapping with '{key}:' at the top"))
        return None
    items = data.get(key)
    if not isinstance(items, LocatedList):
        problems.append(Problem(rel, data.line_of(key) if key in data else 1, f"'{key}:' must be a list"))
        return None
    return items


def _texts(data: Any, key: str, rel: str, problems: list[Problem]) -> list[str]:
    items = _list(data, key, rel, problems)
    out = []
    for index, item in enumerate(items or []):
        if isinstance(item, (str, int, float)) and not isinstance(item, bool) and str(item).strip():
            out.append(str(item).strip())
        else:
            problems.append(Problem(rel, items.line_of(index), f"item {index + 1} of '{key}' must be a non-empty text"))
    return out


def _stories(data: Any, rel: str, problems: list[Problem]) -> list[Story]:
    items = _list(data, "stories", rel, problems)
    out = []
    for index, item in enumerate(items or []):
        line = items.line_of(index)
        if not isinstance(item, LocatedDict) or not isinstance(item.get("text"), str) or not item["text"].strip():
            problems.append(Problem(rel, line, f"story {index + 1} must be a mapping with a 'text'"))
            continue
        unknown = [k for k in item if k not in ("text", "case", "answers")]
        for key in unknown:
            problems.append(Problem(rel, item.line_of(key), f"unknown field '{key}' (text, case, answers)"))
        answers = item.get("answers") or {}
        if not isinstance(answers, dict):
            problems.append(Problem(rel, item.line_of("answers"), "'answers' must map question ids to option ids"))
            answers = {}
        out.append(Story(item["text"].strip(), rel, line, str(item.get("case") or ""),
                         {str(k): str(v) for k, v in answers.items()}))
    return out


def _duplicates(messages: Messages) -> list[Problem]:
    """The same text under two kinds teaches the reader nothing but confusion."""
    seen: dict[str, str] = {}
    problems = []
    labelled = [("story", s.text, s.path, s.line) for s in messages.stories]
    labelled += [(kind, text, MESSAGES_DIR, 0) for kind, texts in messages.examples.items() for text in texts]
    for kind, text, path, line in labelled:
        key = comparable(text)
        if key in seen and seen[key] != kind:
            problems.append(Problem(path, line, f"'{text}' is both {seen[key]} and {kind}", level=WARNING))
        seen.setdefault(key, kind)
    return problems
