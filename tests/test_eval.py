"""The labelled question set: independent of the training data, and answered well enough."""

from __future__ import annotations

import pytest
import yaml

from bot.config import PROJECT_ROOT
from bot.content import validate
from bot.evaluation import load_questions, run_eval, training_overlap, write_report

EVAL_DIR = PROJECT_ROOT / "tests" / "eval"
# Two more sets written later by other authors (see their headers): eval_heldout was never
# used for tuning; eval_probe was, so it only guards against regressions.
HELDOUT_DIR = PROJECT_ROOT / "tests" / "eval_heldout"
PROBE_DIR = PROJECT_ROOT / "tests" / "eval_probe"
QUESTION_SETS = (EVAL_DIR, HELDOUT_DIR, PROBE_DIR)
# Floors just under what the shipped model reaches (see the README); CI fails below them:
# set -> (top-1, top-3, correct refusals, most false refusals)
FLOORS = {
    EVAL_DIR: (0.91, 0.97, 0.97, 0.02),
    HELDOUT_DIR: (0.88, 0.95, 0.96, 0.02),
    PROBE_DIR: (0.90, 0.98, 0.96, 0.02),
}


@pytest.fixture(scope="module")
def content():
    """The shipped content, validated once for every test here (~2 s a time)."""
    return validate(PROJECT_ROOT)[0]


@pytest.fixture(scope="module")
def training_examples(content) -> list[str]:
    examples = [text for entry in content.faq for text in entry.examples]
    for path in (PROJECT_ROOT / "rasa_project" / "data" / "nlu").glob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            examples += [line[2:] for line in block["examples"].splitlines() if line.startswith("- ")]
    return examples


def test_eval_set_size_and_labels(content):
    questions = load_questions(EVAL_DIR)
    ids = set(content.faq_by_id())
    inside = [q for q in questions if q.in_scope]
    assert len(inside) >= 200 and len(questions) - len(inside) >= 60
    assert {a for q in inside for a in q.accept} <= ids
    assert {q.accept[0] for q in inside} == ids  # every FAQ entry is asked about


@pytest.mark.parametrize("folder", QUESTION_SETS[1:], ids=lambda p: p.name)
def test_the_other_question_sets_use_known_entries(folder, content):
    questions = load_questions(folder)
    ids = set(content.faq_by_id())
    assert len(questions) >= 150 and any(not q.in_scope for q in questions)
    assert {a for q in questions for a in q.accept} <= ids


@pytest.mark.parametrize("folder", QUESTION_SETS, ids=lambda p: p.name)
def test_no_eval_question_is_a_training_example(folder, training_examples):
    assert training_overlap(load_questions(folder), training_examples) == []


@pytest.mark.parametrize("folder", QUESTION_SETS, ids=lambda p: p.name)
def test_accuracy_floors(engine, tmp_path, folder):
    report = engine.run(run_eval(engine, load_questions(folder)))
    write_report(report, tmp_path / "eval.json")
    print(report.summary())
    top1, top3, refusals, false_refusals = FLOORS[folder]
    assert report.top1 >= top1, report.summary()
    assert report.top3 >= top3, report.summary()
    assert report.correct_refusals >= refusals, report.summary()
    assert report.false_refusals <= false_refusals, report.summary()


# ---- stories, next steps, distress (tests/eval_stories: see its headers) ----

STORIES_DIR = PROJECT_ROOT / "tests" / "eval_stories"
# Floors just under what the shipped content reaches (see the README); false alarms at most.
# Danger is held at 100 %: missing a person in danger is the worst error the bot can make, and
# the reader that decides it is deterministic.
STORY_FLOORS = {
    "stories_named_right": 0.86,
    "next_steps_reached": 0.95,
    "everyday_declined": 0.92,
    "danger_recognised": 1.0,
    "distress_recognised": 0.96,
}
MAX_FALSE_ALARMS = 0.05


def test_the_story_set_covers_what_it_must(content):
    from bot.screening import load_questionnaire
    from bot.story_eval import load_items

    items = load_items(STORIES_DIR)
    cases = [i for i in items if i.expect == "story" and i.case]
    assert {c.id for c in content.cases} == {i.case for i in cases}
    assert all(sum(i.case == c.id for i in cases) >= 5 for c in content.cases)
    assert sum(i.expect == "story" and not i.case for i in items) >= 30
    assert sum(i.expect == "decline" for i in items) >= 30
    next_steps = [i for i in items if i.expect == "next_step"]
    assert len(next_steps) >= 40 and any(i.before or i.after_screening for i in next_steps)
    assert sum(i.expect in ("danger", "distress") for i in items) >= 40
    assert sum(i.expect == "calm" for i in items) >= 40
    rules = {r.id for r in load_questionnaire(PROJECT_ROOT, explore=False)[0].rules}
    assert {s for i in items for s in i.scenario} <= rules


def test_no_story_item_is_a_training_example(content, training_examples):
    from bot.evaluation import Question
    from bot.story_eval import load_items

    messages = content.messages
    examples = training_examples + [s.text for s in messages.stories]
    examples += [t for texts in messages.examples.values() for t in texts]
    items = [Question(i.text, ()) for i in load_items(STORIES_DIR) if not (i.before or i.after_screening)]
    assert training_overlap(items, examples) == []


def test_story_floors(engine, tmp_path):
    from bot.story_eval import load_items, run_story_eval, write_story_report

    report = engine.run(run_story_eval(engine, load_items(STORIES_DIR)))
    write_story_report(report, tmp_path / "stories.json")
    print(report.summary())
    for name, floor in STORY_FLOORS.items():
        assert getattr(report, name) >= floor, report.summary()
    assert report.false_alarms <= MAX_FALSE_ALARMS, report.summary()
