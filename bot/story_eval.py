"""Measuring how the bot meets people where they start and end (tests/eval_stories/): stories
that should get the right published case or scenario, next steps that should reach the
procedure or the self-screening, everyday trouble that should be declined, and messages of
distress that should get care (and ordinary ones that should not raise an alarm).

Items may be multi-turn: ``before`` messages are sent first in the same conversation, and
``after_screening: <outcome>`` first completes a self-screening that reaches that outcome.
"""

from __future__ import annotations

import itertools
import json
import random
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.answering import Reply
from bot.screening_dialogue import choose_payload

EXPECTS = ("story", "next_step", "decline", "danger", "distress", "calm")
# Reply kinds that are a step of the procedure or of the self-screening.
NEXT_STEP_KINDS = ("procedure", "screening", "apply")


@dataclass(frozen=True)
class Item:
    text: str
    expect: str
    case: str = ""
    scenario: tuple[str, ...] = ()
    before: tuple[str, ...] = ()
    after_screening: str = ""
    where: str = ""


def load_items(folder: Path) -> list[Item]:
    """Every item of the YAML files in ``folder`` (each: items: [{text, expect, …}])."""
    items = []
    for path in sorted(folder.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for index, raw in enumerate(data.get("items") or []):
            where = f"{path.name} item {index + 1}"
            if raw.get("expect") not in EXPECTS:
                raise ValueError(f"{where}: expect must be one of {', '.join(EXPECTS)}, got {raw.get('expect')!r}")
            items.append(Item(str(raw["text"]), raw["expect"], str(raw.get("case") or ""),
                              tuple(raw.get("scenario") or ()), tuple(str(b) for b in raw.get("before") or ()),
                              str(raw.get("after_screening") or ""), where))
    return items


def is_story_folder(folder: Path) -> bool:
    """A folder of story items (``items:``) rather than FAQ questions (``questions:``)."""
    for path in sorted(folder.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return "items" in data
    return False


def answer_set_for(questionnaire: Any, outcome: str, tries: int = 5000) -> dict[str, str]:
    """A full answer set that reaches ``outcome`` (a seeded random search over the options)."""
    from bot.screening import applicable, clean_answers, outcome_of

    rng = random.Random(outcome)
    for _ in range(tries):
        answers: dict[str, str] = {}
        for _step in itertools.count():
            pending = [q for q in applicable(questionnaire, answers) if q.id not in answers]
            if not pending:
                break
            answers[pending[0].id] = rng.choice(pending[0].options).id
        answers = clean_answers(questionnaire, answers)
        if outcome_of(questionnaire, answers)[0] == outcome:
            return answers
    raise ValueError(f"no answer set reaches {outcome}")


async def complete_screening(engine, user: str, answers: dict[str, str]) -> list[Reply]:
    """Walk the self-screening through the engine with ``answers``; the result's replies."""
    replies = await engine.handle(user, "/start_screening")
    for _ in range(40):
        asking = next((r for r in replies if r.extra.get("question")), None)
        if asking is not None:
            question = asking.extra["question"]
            replies = await engine.handle(user, choose_payload(f"{question}:{answers[question]}"))
        elif any(r.extra.get("review") for r in replies):
            replies = await engine.handle(user, choose_payload("confirm"))
        else:
            return replies
    raise RuntimeError("the screening did not finish")


@dataclass
class ItemOutcome:
    where: str
    text: str
    expect: str
    kinds: list[str]
    passed: bool
    named: dict[str, Any] = field(default_factory=dict)


def judge(item: Item, replies: list[Reply], procedure_ids: tuple[str, ...] = ()) -> ItemOutcome:
    """Whether the turn's replies do what the item expects. A next step is reached by the
    procedure reply, the self-screening, or an answer from one of the procedure entries."""
    kinds = [r.kind for r in replies]
    story = next((r for r in replies if r.kind == "story"), None)
    distress = {r.extra.get("distress") for r in replies} - {None}
    named = {"cases": story.extra.get("cases", []), "scenarios": story.extra.get("scenarios", [])} if story else {}
    if item.expect == "story":
        passed = story is not None and (
            (item.case and item.case in named["cases"]) or bool(set(item.scenario) & set(named["scenarios"])))
    elif item.expect == "next_step":
        passed = any(r.kind in NEXT_STEP_KINDS or (r.kind == "faq" and r.faq_id in procedure_ids) for r in replies)
    elif item.expect == "decline":
        passed = bool(replies) and replies[0].declines
    elif item.expect == "danger":
        passed = "danger" in distress
    elif item.expect == "distress":
        passed = bool(distress)
    else:  # calm
        passed = not distress
    return ItemOutcome(item.where, item.text, item.expect, kinds, bool(passed), {**named, "distress": sorted(distress)})


@dataclass
class StoryReport:
    counts: dict[str, int]
    stories_named_right: float       # story items whose reply names the right case or scenario
    cases_named_right: float         # of those, the retold published cases
    scenarios_named_right: float     # of those, the stories that match a scenario but no case
    stories_recognised: float        # story items that got a story reply at all
    next_steps_reached: float
    everyday_declined: float
    danger_recognised: float
    distress_recognised: float       # distress items (with or without danger) given care
    false_alarms: float              # calm items that got care
    misses: list[dict]

    def summary(self) -> str:
        return "\n".join([
            "items: " + ", ".join(f"{k} {v}" for k, v in self.counts.items()),
            f"stories named right:    {self.stories_named_right:.1%} "
            f"(cases {self.cases_named_right:.1%}, scenarios {self.scenarios_named_right:.1%}; "
            f"recognised as stories {self.stories_recognised:.1%})",
            f"next steps reached:     {self.next_steps_reached:.1%}",
            f"everyday declined:      {self.everyday_declined:.1%}",
            f"danger recognised:      {self.danger_recognised:.1%}",
            f"distress recognised:    {self.distress_recognised:.1%}",
            f"false alarms:           {self.false_alarms:.1%}",
        ])


async def run_story_eval(engine, items: list[Item]) -> StoryReport:
    """Every item in its own conversation through the whole engine, as a user meets it."""
    from bot.content.live import LiveContent

    live = LiveContent(engine.settings.root)
    questionnaire, procedure_ids = live.questionnaire(), live.get()[1].procedure_entries
    answer_sets: dict[str, dict[str, str]] = {}
    outcomes = []
    for item in items:
        user = f"eval-{uuid.uuid4().hex}"
        if item.after_screening:
            if item.after_screening not in answer_sets:
                answer_sets[item.after_screening] = answer_set_for(questionnaire, item.after_screening)
            await complete_screening(engine, user, answer_sets[item.after_screening])
        for earlier in item.before:
            await engine.handle(user, earlier)
        outcomes.append(judge(item, await engine.handle(user, item.text), procedure_ids))
    return summarise(items, outcomes)


def summarise(items: list[Item], outcomes: list[ItemOutcome]) -> StoryReport:
    pairs = list(zip(items, outcomes))

    def share(test) -> float:
        chosen = [o for i, o in pairs if test(i)]
        return sum(o.passed for o in chosen) / len(chosen) if chosen else 0.0

    stories = [(i, o) for i, o in pairs if i.expect == "story"]
    recognised = sum("story" in o.kinds for _, o in stories) / len(stories) if stories else 0.0
    calm = [o for i, o in pairs if i.expect == "calm"]
    return StoryReport(
        counts={e: sum(i.expect == e for i in items) for e in EXPECTS},
        stories_named_right=share(lambda i: i.expect == "story"),
        cases_named_right=share(lambda i: i.expect == "story" and bool(i.case)),
        scenarios_named_right=share(lambda i: i.expect == "story" and not i.case),
        stories_recognised=recognised,
        next_steps_reached=share(lambda i: i.expect == "next_step"),
        everyday_declined=share(lambda i: i.expect == "decline"),
        danger_recognised=share(lambda i: i.expect == "danger"),
        distress_recognised=_distress_share(pairs),
        false_alarms=(sum(not o.passed for o in calm) / len(calm)) if calm else 0.0,
        misses=[{**asdict(o), "case": i.case, "scenario": list(i.scenario)} for i, o in pairs if not o.passed],
    )


def _distress_share(pairs: list[tuple[Item, ItemOutcome]]) -> float:
    chosen = [o for i, o in pairs if i.expect in ("danger", "distress")]
    return sum(bool(o.named.get("distress")) for o in chosen) / len(chosen) if chosen else 0.0


def write_story_report(report: StoryReport, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(report), ensure_ascii=False, indent=2), encoding="utf-8")
