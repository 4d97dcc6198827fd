"""Self-screening (自查): the questionnaire in knowledge/screening.yml and its assessment.

Pure Python, no Rasa. ``next_question(answers)`` says what to ask next; ``assess(answers)``
turns a set of structured answers (question id -> option id) into an explained, preliminary
outcome: the findings for and against tolerance with their clauses and sources, a 六看 table,
which answers would make the result better or worse, the actions still in the user's hands, the
most similar published cases and the next steps. Deterministic.
"""

from __future__ import annotations

import itertools
import random
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from bot.content.models import OUTCOMES, Case, Content
from bot.content.problems import WARNING, Problem
from bot.content.yamlpos import LocatedDict, LocatedList, YamlProblem, load_located

EFFECTS = ("exclude", "mitigate", "positive", "uncertain")
LOOKS = {
    "nature": "一看问题性质", "basis": "二看工作依据", "motive": "三看主观动机",
    "process": "四看决策过程", "consequence": "五看后果影响", "attitude": "六看纠错态度",
    "context": "工作背景", "jurisdiction": "所在地区",
}
SIX_LOOKS = ("nature", "basis", "motive", "process", "consequence", "attitude")
FOR_TOLERANCE = ("positive",)
AGAINST_TOLERANCE = ("exclude", "mitigate", "uncertain")
# From the user's side: which outcome is better than which (for "what would change the result").
OUTCOME_RANK = {"not_tolerable": 0, "needs_review": 1, "possibly_mitigated": 2, "likely_tolerable": 3}
# Interface sentences a trainer may reword in screening.yml `texts:` (placeholders in braces).
DEFAULT_TEXTS = {
    "for_heading": "有利于容错的因素：",
    "against_heading": "不利或需要核实的因素：",
    "none_for": "（从您的回答中没有发现）",
    "none_against": "（从您的回答中没有发现）",
    "changes_heading": "什么情况下结果会不同：",
    "better_heading": "这些回答会让结果更有利：",
    "worse_heading": "这些回答会让结果更不利：",
    "change": "如果“{question}”的回答是“{option}”，初步结果会变为：{outcome}",
    "actions_heading": "您现在还能做的：",
    "unclear_reply": "这道题问的是：{question}\n{help}",
    "prefill_hint": "根据您前面的描述，这题可能是「{label}」。请确认，或改选其他选项：",
    "prefill_mark": "✓ {label}（按您的描述）",
}
QUESTION_ID = re.compile(r"^[a-z][a-z0-9_]{0,19}$")
ACTION_ID = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
OPTION_ID = re.compile(r"^[a-z0-9][a-z0-9_]{0,11}$")
PATH = "knowledge/screening.yml"


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    help: str
    look: str
    options: tuple[Option, ...]
    ask_if: dict[str, tuple[str, ...]] = field(default_factory=dict)
    line: int = 0

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True)
class Rule:
    id: str
    when: dict[str, tuple[str, ...]]
    effect: str
    finding: str
    clause: str
    sources: tuple[str, ...]
    line: int = 0

    def fires(self, answers: dict[str, str]) -> bool:
        return all(answers.get(q) in options for q, options in self.when.items())


@dataclass(frozen=True)
class Action:
    """Something the user can still do (主动纠错, 挽回损失 …), shown with the result when
    ``when`` holds (no conditions: always)."""

    id: str
    text: str
    when: dict[str, tuple[str, ...]]
    sources: tuple[str, ...]
    line: int = 0

    def applies(self, answers: dict[str, str]) -> bool:
        return all(answers.get(q) in options for q, options in self.when.items())


@dataclass(frozen=True)
class DecideLine:
    outcome: str
    any: str = ""
    at_least: dict[str, int] = field(default_factory=dict)

    def matches(self, effects: list[str]) -> bool:
        if self.any and self.any not in effects:
            return False
        return all(effects.count(effect) >= n for effect, n in self.at_least.items())


@dataclass(frozen=True)
class OutcomeText:
    title: str
    text: str


@dataclass(frozen=True)
class Questionnaire:
    title: str
    intro: str
    disclaimer: str
    outcomes: dict[str, OutcomeText]
    next_steps: tuple[str, ...]
    questions: tuple[Question, ...]
    rules: tuple[Rule, ...]
    decide: tuple[DecideLine, ...]
    typed_answers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    control_words: dict[str, tuple[str, ...]] = field(default_factory=dict)
    actions: tuple[Action, ...] = ()
    texts: dict[str, str] = field(default_factory=dict)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def text(self, key: str, **values: str) -> str:
        """An interface sentence from `texts:` (or its default), placeholders filled."""
        return self.texts.get(key, DEFAULT_TEXTS[key]).strip().format(**values)


# ---- the engine ----

def applicable(questionnaire: Questionnaire, answers: dict[str, str]) -> list[Question]:
    """The questions that apply given the answers so far (skip conditions evaluated in order)."""
    out = []
    for question in questionnaire.questions:
        if all(answers.get(q) in options for q, options in question.ask_if.items()):
            out.append(question)
    return out


def clean_answers(questionnaire: Questionnaire, answers: dict[str, str]) -> dict[str, str]:
    """Only valid answers to questions that apply (after an edit, dependent answers drop out)."""
    valid = {q: a for q, a in answers.items() if (question := questionnaire.question(q)) and question.option(a)}
    while True:
        keep = {q.id for q in applicable(questionnaire, valid)}
        pruned = {q: a for q, a in valid.items() if q in keep}
        if pruned == valid:
            return valid
        valid = pruned


def next_question(questionnaire: Questionnaire, answers: dict[str, str]) -> Question | None:
    """The next question to ask, or None when the questionnaire is complete."""
    answers = clean_answers(questionnaire, answers)
    return next((q for q in applicable(questionnaire, answers) if q.id not in answers), None)


def outcome_of(questionnaire: Questionnaire, answers: dict[str, str]) -> tuple[str, list[Rule]]:
    fired = [rule for rule in questionnaire.rules if rule.fires(answers)]
    effects = [rule.effect for rule in fired]
    for line in questionnaire.decide:
        if line.matches(effects):
            return line.outcome, fired
    return "needs_review", fired


@dataclass(frozen=True)
class LookRow:
    look: str
    name: str
    answers: tuple[tuple[str, str], ...]  # (question text, chosen label)
    effect: str  # the strongest effect of the findings on this look, or ""


@dataclass(frozen=True)
class SimilarCase:
    case: Case
    score: float
    shared: tuple[str, ...]  # labels of the answers the user shares with the case


@dataclass(frozen=True)
class Assessment:
    outcome: str
    title: str
    explanation: str
    findings: tuple[Rule, ...]
    decisive: tuple[Rule, ...]
    looks: tuple[LookRow, ...]
    changes: tuple[str, ...]  # better + worse
    cases: tuple[SimilarCase, ...]
    next_steps: tuple[str, ...]
    disclaimer: str
    answers: dict[str, str]
    for_tolerance: tuple[Rule, ...] = ()  # fired positive rules
    against_tolerance: tuple[Rule, ...] = ()  # fired exclude / mitigate / uncertain rules, strongest first
    better: tuple[str, ...] = ()  # single answer changes that would make the outcome better
    worse: tuple[str, ...] = ()  # … and worse
    actions: tuple[Action, ...] = ()  # what the user can still do
    texts: dict[str, str] = field(default_factory=dict)  # the questionnaire's `texts:` (headings)


DECISIVE_EFFECT = {"not_tolerable": "exclude", "possibly_mitigated": "mitigate",
                   "likely_tolerable": "positive", "needs_review": "uncertain"}
EFFECT_ORDER = {"exclude": 0, "mitigate": 1, "uncertain": 2, "positive": 3}


def assess(questionnaire: Questionnaire, answers: dict[str, str], cases: Iterable[Case] = ()) -> Assessment:
    """The explained preliminary outcome of a (complete or partial) answer set."""
    answers = clean_answers(questionnaire, answers)
    outcome, fired = outcome_of(questionnaire, answers)
    wanted = DECISIVE_EFFECT[outcome]
    decisive = tuple(rule for rule in fired if rule.effect == wanted) or tuple(fired[:3])
    text = questionnaire.outcomes[outcome]
    better = tuple(what_would_change(questionnaire, answers, outcome, direction="better"))
    worse = tuple(what_would_change(questionnaire, answers, outcome, direction="worse"))
    against = sorted((rule for rule in fired if rule.effect in AGAINST_TOLERANCE), key=lambda r: EFFECT_ORDER[r.effect])
    return Assessment(
        outcome=outcome,
        title=text.title,
        explanation=text.text,
        findings=tuple(fired),
        decisive=decisive,
        looks=tuple(_look_rows(questionnaire, answers, fired)),
        changes=better + worse,
        cases=tuple(similar_cases(questionnaire, answers, cases)),
        next_steps=questionnaire.next_steps,
        disclaimer=questionnaire.disclaimer,
        answers=answers,
        for_tolerance=tuple(rule for rule in fired if rule.effect in FOR_TOLERANCE),
        against_tolerance=tuple(against),
        better=better,
        worse=worse,
        actions=tuple(action for action in questionnaire.actions if action.applies(answers)),
        texts=questionnaire.texts,
    )


def _look_rows(questionnaire: Questionnaire, answers: dict[str, str], fired: list[Rule]) -> Iterable[LookRow]:
    for look in SIX_LOOKS:
        asked = [q for q in questionnaire.questions if q.look == look and q.id in answers]
        rows = tuple((q.text, q.option(answers[q.id]).label) for q in asked)  # type: ignore[union-attr]
        effects = sorted({r.effect for r in fired if any(questionnaire.question(q) in asked for q in r.when)},
                         key=EFFECT_ORDER.get)
        yield LookRow(look, LOOKS[look], rows, effects[0] if effects else "")


def what_would_change(questionnaire: Questionnaire, answers: dict[str, str], outcome: str, limit: int = 3,
                      direction: str = "any") -> list[str]:
    """Single answer changes that would change the outcome, as sentences, in question order.

    ``direction``: "better" (a better outcome for the user, see OUTCOME_RANK; per question the
    option giving the best one), "worse" (per question the option giving the worst one) or "any"
    (per question the first option that changes the outcome)."""
    rank = OUTCOME_RANK[outcome]
    changes = []
    for question in applicable(questionnaire, answers):
        if question.id not in answers:
            continue
        found: list[tuple[int, Option, str]] = []
        for option in question.options:
            if option.id == answers[question.id]:
                continue
            changed = clean_answers(questionnaire, {**answers, question.id: option.id})
            new_outcome, _ = outcome_of(questionnaire, changed)
            new_rank = OUTCOME_RANK[new_outcome]
            if new_outcome == outcome or (direction == "better" and new_rank <= rank) or (
                    direction == "worse" and new_rank >= rank):
                continue
            found.append((new_rank, option, new_outcome))
        if not found:
            continue
        if direction == "better":
            found.sort(key=lambda f: -f[0])  # stable: the first of the best options
        elif direction == "worse":
            found.sort(key=lambda f: f[0])
        _, option, new_outcome = found[0]
        changes.append(questionnaire.text("change", question=question.text, option=option.label,
                                          outcome=questionnaire.outcomes[new_outcome].title))
        if len(changes) >= limit:
            break
    return changes


def similar_cases(questionnaire: Questionnaire, answers: dict[str, str], cases: Iterable[Case], limit: int = 3) -> list[SimilarCase]:
    """Published cases whose recorded answers agree most with the user's."""
    scored = []
    for case in cases:
        if not case.answers:
            continue
        common = [q for q in case.answers if q in answers]
        same = [q for q in common if case.answers[q] == answers[q]]
        if not same:
            continue
        score = len(same) / len(set(case.answers) | set(answers))
        labels = tuple(questionnaire.question(q).option(answers[q]).label for q in same[:3])  # type: ignore[union-attr]
        scored.append(SimilarCase(case, round(score, 3), labels))
    scored.sort(key=lambda s: (-s.score, s.case.id))
    return scored[:limit]


def _check_record(questionnaire: Questionnaire, content: Content | None, record: Any, never: str) -> list[Problem]:
    """A rule's or an action's conditions name questions and options that exist, and its
    sources are in knowledge/sources.yml."""
    problems = []
    for qid, options in record.when.items():
        question = questionnaire.question(qid)
        if question is None:
            problems.append(Problem(PATH, record.line, f"when: unknown question '{qid}': {never}", record.id))
            continue
        for option in options:
            if question.option(option) is None:
                problems.append(Problem(PATH, record.line, f"when: question '{qid}' has no option '{option}'", record.id))
    for source in record.sources if content is not None else ():
        if source not in content.sources:
            problems.append(Problem(PATH, record.line, f"unknown source '{source}' (not in knowledge/sources.yml)", record.id))
    return problems


# ---- loading and checking ----

def load_questionnaire(root: Path, content: Content | None = None, explore: bool = True) -> tuple[Questionnaire | None, list[Problem]]:
    """Read knowledge/screening.yml; every problem names the line; None if unusable.

    ``explore`` also searches answer paths for rules that never fire and outcomes never
    reached (about a second): `policybot validate` does, the running bot does not."""
    path = root / PATH
    problems: list[Problem] = []
    if not path.exists():
        return None, [Problem(PATH, 0, "file is missing: the self-screening questionnaire")]
    try:
        data = load_located(path)
    except YamlProblem as exc:
        return None, [Problem(PATH, exc.line, str(exc))]
    if not isinstance(data, LocatedDict):
        return None, [Problem(PATH, 1, "the file must be a mapping with 'questions:', 'rules:' and 'decide:'")]

    def problem(line: int, message: str, entry: str = "", level: str = "error") -> None:
        problems.append(Problem(PATH, line, message, entry, level))

    def text(mapping: Any, key: str, where: int, entry: str = "") -> str:
        value = mapping.get(key) if isinstance(mapping, dict) else None
        if not isinstance(value, str) or not value.strip():
            problem(where, f"missing text '{key}'", entry)
            return ""
        return value.strip()

    outcomes = {}
    raw_outcomes = data.get("outcomes") if isinstance(data.get("outcomes"), dict) else {}
    for name in OUTCOMES:
        raw = raw_outcomes.get(name)
        if not isinstance(raw, dict):
            problem(data.line_of("outcomes"), f"outcomes: missing '{name}'")
            raw = {}
        outcomes[name] = OutcomeText(title=str(raw.get("title", name)).strip(), text=str(raw.get("text", "")).strip())

    questions = []
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, LocatedList) or not raw_questions:
        problem(data.line_of("questions"), "'questions:' must be a non-empty list")
        raw_questions = []
    for index, raw in enumerate(raw_questions):
        line = raw_questions.line_of(index)
        if not isinstance(raw, LocatedDict):
            problem(line, "a question must be a mapping")
            continue
        qid = str(raw.get("id", ""))
        if not QUESTION_ID.match(qid):
            problem(line, f"question id '{qid}' must be ASCII a-z0-9_, 1-20 characters", qid)
        look = str(raw.get("look", ""))
        if look not in LOOKS:
            problem(raw.line_of("look"), f"look '{look}' must be one of {', '.join(LOOKS)}", qid)
        options = []
        for option in raw.get("options") or []:
            oid = str(option.get("id", "")) if isinstance(option, dict) else ""
            if isinstance(option, dict) and isinstance(option.get("id"), bool):
                problem(raw.line_of("options"), "an option id reads as yes/no: quote it (\"yes\", \"no\")", qid)
            if not OPTION_ID.match(oid) or not isinstance(option, dict) or not str(option.get("label", "")).strip():
                problem(raw.line_of("options"), f"option '{oid}' needs an ASCII id (≤ 12 characters) and a label", qid)
                continue
            aliases = tuple(str(a) for a in option.get("aliases") or ())
            options.append(Option(oid, str(option["label"]).strip(), aliases))
        if len(options) < 2:
            problem(raw.line_of("options"), "a question needs at least 2 options", qid)
        ask_if = _conditions(raw.get("ask_if"))
        questions.append(Question(qid, text(raw, "text", line, qid), text(raw, "help", line, qid), look,
                                  tuple(options), ask_if, line))

    rules = []
    raw_rules = data.get("rules") if isinstance(data.get("rules"), LocatedList) else []
    for index, raw in enumerate(raw_rules):
        line = raw_rules.line_of(index)
        if not isinstance(raw, LocatedDict):
            problem(line, "a rule must be a mapping")
            continue
        rid = str(raw.get("id", ""))
        effect = str(raw.get("effect", ""))
        if effect not in EFFECTS:
            problem(raw.line_of("effect"), f"effect '{effect}' must be one of {', '.join(EFFECTS)}", rid)
        when = _conditions(raw.get("when"))
        if not when:
            problem(line, "a rule needs 'when:' conditions", rid)
        sources = tuple(str(s) for s in raw.get("sources") or ())
        if not sources:
            problem(line, "a rule must cite 'sources'", rid)
        rules.append(Rule(rid, when, effect, text(raw, "finding", line, rid), text(raw, "clause", line, rid), sources, line))

    actions = []
    raw_actions = data.get("actions")
    if raw_actions is not None and not isinstance(raw_actions, LocatedList):
        problem(data.line_of("actions"), "'actions:' must be a list")
        raw_actions = []
    for index, raw in enumerate(raw_actions or []):
        line = raw_actions.line_of(index)
        if not isinstance(raw, LocatedDict):
            problem(line, "an action must be a mapping")
            continue
        aid = str(raw.get("id", ""))
        if not ACTION_ID.match(aid):
            problem(line, f"action id '{aid}' must be ASCII a-z0-9_, 1-30 characters", aid)
        if raw.get("when") is not None and not isinstance(raw.get("when"), dict):
            problem(raw.line_of("when"), "'when:' must map question ids to options", aid)
        sources = tuple(str(s) for s in raw.get("sources") or ())
        if not sources:
            problem(line, "an action must cite 'sources'", aid)
        actions.append(Action(aid, text(raw, "text", line, aid), _conditions(raw.get("when")), sources, line))

    texts = {}
    raw_texts = data.get("texts")
    if raw_texts is not None and not isinstance(raw_texts, LocatedDict):
        problem(data.line_of("texts"), "'texts:' must be a mapping of text names to sentences")
        raw_texts = {}
    for key, value in (raw_texts or {}).items():
        line = raw_texts.line_of(key)
        if key not in DEFAULT_TEXTS:
            problem(line, f"texts: unknown text '{key}' (known: {', '.join(DEFAULT_TEXTS)})")
            continue
        if not isinstance(value, str) or not value.strip():
            problem(line, f"texts: '{key}' must be a non-empty sentence")
            continue
        allowed = _placeholders(DEFAULT_TEXTS[key])
        try:
            unknown = _placeholders(value) - allowed
        except ValueError as exc:
            problem(line, f"texts: '{key}' has a broken placeholder: {exc}")
            continue
        if unknown:
            problem(line, f"texts: '{key}' uses {', '.join('{' + u + '}' for u in sorted(unknown))}; "
                          f"it may use only {', '.join('{' + a + '}' for a in sorted(allowed)) or 'no placeholders'}")
            continue
        texts[str(key)] = value

    decide = []
    raw_decide = data.get("decide") if isinstance(data.get("decide"), LocatedList) else []
    for index, raw in enumerate(raw_decide):
        line = raw_decide.line_of(index)
        raw = raw if isinstance(raw, dict) else {}
        outcome = str(raw.get("outcome", ""))
        if outcome not in OUTCOMES:
            problem(line, f"decide: outcome '{outcome}' must be one of {', '.join(OUTCOMES)}")
            continue
        decide.append(DecideLine(outcome, str(raw.get("any") or ""), {str(k): int(v) for k, v in (raw.get("at_least") or {}).items()}))
    if not decide or decide[-1].any or decide[-1].at_least:
        problem(data.line_of("decide"), "'decide:' must end with a line without conditions (the default outcome)")

    questionnaire = Questionnaire(
        title=str(data.get("title", "")).strip(), intro=text(data, "intro", 1), disclaimer=text(data, "disclaimer", 1),
        outcomes=outcomes, next_steps=tuple(str(x) for x in data.get("next_steps") or ()),
        questions=tuple(questions), rules=tuple(rules), decide=tuple(decide),
        typed_answers=_word_lists(data.get("typed_answers")),
        control_words=_word_lists(data.get("control_words")),
        actions=tuple(actions), texts=texts,
    )
    problems += check_questionnaire(questionnaire, content, explore)
    return (questionnaire if not any(p.is_error for p in problems) else None), problems


def _conditions(raw: Any) -> dict[str, tuple[str, ...]]:
    """``{question: [option, ...]}`` from YAML (one option may stand alone, unquoted yes/no too)."""
    if not isinstance(raw, dict):
        return {}
    return {str(k): tuple(_option_key(x) for x in (v if isinstance(v, list) else [v])) for k, v in raw.items()}


def _placeholders(sentence: str) -> set[str]:
    """The {names} a sentence uses (ValueError when a brace is unbalanced)."""
    return {name for _, name, _, _ in string.Formatter().parse(sentence) if name is not None}


def _word_lists(raw: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        return {}
    return {_option_key(k): tuple(str(w) for w in (v or ())) for k, v in raw.items()}


def _option_key(key: Any) -> str:
    # YAML 1.1 reads a bare yes/no key as a boolean
    return {True: "yes", False: "no"}.get(key, str(key)) if isinstance(key, bool) else str(key)


def check_questionnaire(questionnaire: Questionnaire, content: Content | None = None, explore: bool = True) -> list[Problem]:
    """Cross-checks: unknown ids, unreachable questions, rules that never fire, outcomes never reached."""
    problems = []
    seen: dict[str, int] = {}
    for question in questionnaire.questions:
        if question.id in seen:
            problems.append(Problem(PATH, question.line, f"duplicate question id (first at line {seen[question.id]})", question.id))
        seen.setdefault(question.id, question.line)
        for other, options in question.ask_if.items():
            earlier = questionnaire.question(other)
            if earlier is None or questionnaire.questions.index(earlier) >= questionnaire.questions.index(question):
                problems.append(Problem(PATH, question.line, f"ask_if names '{other}', which is not an earlier question: the question is unreachable", question.id))
                continue
            for option in options:
                if earlier.option(option) is None:
                    problems.append(Problem(PATH, question.line, f"ask_if: '{other}' has no option '{option}': the question is unreachable", question.id))
    for rule in questionnaire.rules:
        problems += _check_record(questionnaire, content, rule, "the rule can never fire")
    seen_actions: dict[str, int] = {}
    for action in questionnaire.actions:
        if action.id in seen_actions:
            problems.append(Problem(PATH, action.line, f"duplicate action id (first at line {seen_actions[action.id]})", action.id))
        seen_actions.setdefault(action.id, action.line)
        problems += _check_record(questionnaire, content, action, "the action is never shown")
    if content is not None:
        known = content.faq_by_id()
        problems += [Problem(PATH, 0, f"next_steps: FAQ id '{faq_id}' does not exist") for faq_id in questionnaire.next_steps if faq_id not in known]
        for case in content.cases:
            for qid, option in case.answers.items():
                question = questionnaire.question(qid)
                if question is None or question.option(option) is None:
                    problems.append(Problem(case.location.path, case.location.line, f"answers: '{qid}: {option}' is not a question and option of screening.yml", case.id))
    if problems or not explore:
        return problems
    fired_ever, reached = _explore(questionnaire)
    for rule in questionnaire.rules:
        if rule.id not in fired_ever:
            problems.append(Problem(PATH, rule.line, "this rule can never fire (its conditions never hold together on an answer path)", rule.id))
    for action in questionnaire.actions:
        probe = Rule(action.id, action.when, "positive", "", "", action.sources, action.line)
        if action.when and not any(action.applies(a) for a in itertools.islice(paths_for_rule(questionnaire, probe), 200)):
            problems.append(Problem(PATH, action.line, "this action is never shown (its conditions never hold together on an answer path)", action.id))
    for outcome in OUTCOMES:
        if outcome not in reached:
            problems.append(Problem(PATH, 0, f"outcome '{outcome}' is never reached by any answers", level=WARNING))
    return problems


def _walk(questionnaire: Questionnaire, answers: dict[str, str], choices) -> Iterable[dict[str, str]]:
    """Every complete answer set reachable from ``answers``, taking ``choices(question)`` at each step."""
    question = next_question(questionnaire, answers)
    if question is None:
        yield answers
        return
    for option in choices(question):
        yield from _walk(questionnaire, {**answers, question.id: option.id}, choices)


def complete_paths(questionnaire: Questionnaire, limit: int = 50_000, seed: int = 7) -> Iterable[dict[str, str]]:
    """Complete answer sets: every path in order up to ``limit``, then a fixed random sample."""
    yield from itertools.islice(_walk(questionnaire, {}, lambda question: question.options), limit)
    yield from random_paths(questionnaire, limit // 10, seed)


def random_paths(questionnaire: Questionnaire, count: int, seed: int = 7) -> Iterable[dict[str, str]]:
    rng = random.Random(seed)
    for _ in range(count):
        answers: dict[str, str] = {}
        while (question := next_question(questionnaire, answers)) is not None:
            answers[question.id] = rng.choice(question.options).id
        yield answers


def paths_for_rule(questionnaire: Questionnaire, rule: Rule) -> Iterable[dict[str, str]]:
    """Complete answer sets that try every way of meeting ``rule``: the questions it names and
    the questions their skip conditions depend on branch; every other question takes its first option."""
    relevant = set(rule.when)
    for question in reversed(questionnaire.questions):
        if question.id in relevant:
            relevant |= set(question.ask_if)

    def choices(question: Question) -> Iterable[Option]:
        options = question.options if question.id in relevant else question.options[:1]
        return [o for o in options if question.id not in rule.when or o.id in rule.when[question.id]]

    return _walk(questionnaire, {}, choices)


def _explore(questionnaire: Questionnaire) -> tuple[set[str], set[str]]:
    """Which rules can fire and which outcomes can be reached (exact for rules; outcomes by the
    rule paths plus a fixed random sample of complete paths)."""
    fired_ever: set[str] = set()
    reached: set[str] = set()
    paths = itertools.chain(*(itertools.islice(paths_for_rule(questionnaire, r), 200) for r in questionnaire.rules),
                            random_paths(questionnaire, 3000))
    for answers in paths:
        outcome, fired = outcome_of(questionnaire, answers)
        reached.add(outcome)
        fired_ever.update(rule.id for rule in fired)
    return fired_ever, reached
