"""The example messages (knowledge/messages/) and caring replies (knowledge/care.yml): loading
with file:line problems, and the reader learned from them."""

from __future__ import annotations

from pathlib import Path

from bot.config import PROJECT_ROOT
from bot.content import validate
from bot.content.messages import check_messages, load_messages
from bot.content.models import Content
from bot.screening import load_questionnaire


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_examples_stories_and_care_load(tmp_path):
    root = write(tmp_path, {
        "knowledge/messages/stories_demo.yml": "stories:\n  - text: 我先修了闸门\n    case: case_x\n    answers: {context: emergency}\n",
        "knowledge/messages/next_steps.yml": "title: 下一步\nexamples:\n  - 然后呢\n  - 找谁\n",
        "knowledge/messages/distress.yml": "danger: [不想活了]\ndistress: [睡不着]\ncalm: [累死了]\n",
        "knowledge/care.yml": "hotline: {text: 热线, sources: [s]}\ndanger: 请打{hotline}\ndanger_then: 慢慢来\n"
                              "distress: 很正常\nsafety_net: [不想活]\n",
    })
    problems: list = []
    messages = load_messages(root, problems)
    assert problems == []
    assert messages.stories[0].case == "case_x" and messages.stories[0].answers == {"context": "emergency"}
    assert messages.stories[0].path == "knowledge/messages/stories_demo.yml" and messages.stories[0].line == 2
    assert messages.of("next_step") == ("然后呢", "找谁") and messages.of("danger") == ("不想活了",)
    assert messages.care.danger_text() == "请打热线" and messages.care.hotline_sources == ("s",)


def test_bad_message_files_are_reported_with_file_and_line(tmp_path):
    root = write(tmp_path, {
        "knowledge/messages/stories_bad.yml": "stories:\n  - text: 好的\n    answer: {x: y}\n  - 光秃秃一句\n",
        "knowledge/messages/everyday.yml": "examples:\n  - 孩子没考上\n  - [1, 2]\n",
        "knowledge/messages/questions.yml": "examples: [\n",
        "knowledge/messages/notes.yml": "examples: []\n",
        "knowledge/care.yml": "danger: 请打{hotline}\ndanger_then: 好\n",
    })
    problems: list = []
    load_messages(root, problems)
    found = [str(p) for p in problems]
    assert "knowledge/messages/stories_bad.yml:3: unknown field 'answer' (text, case, answers)" in found
    assert "knowledge/messages/stories_bad.yml:4: story 2 must be a mapping with a 'text'" in found
    assert "knowledge/messages/everyday.yml:3: item 2 of 'examples' must be a non-empty text" in found
    assert any(p.startswith("knowledge/messages/questions.yml:") for p in found)
    assert any(p.startswith("knowledge/messages/notes.yml:1: warning: unknown file") for p in found)
    assert "knowledge/care.yml:1: missing text 'distress'" in found
    assert "knowledge/care.yml:1: 'danger' names {hotline} but no hotline is given" in found


def test_stories_must_name_known_cases_questions_and_options(tmp_path):
    root = write(tmp_path, {"knowledge/messages/stories_x.yml":
                            "stories:\n  - text: 甲\n    case: case_nowhere\n    answers: {context: maybe, nothing: yes}\n"})
    problems: list = []
    content = Content(messages=load_messages(root, problems))
    questionnaire, _ = load_questionnaire(PROJECT_ROOT, explore=False)
    found = [str(p) for p in check_messages(content, questionnaire)]
    assert "knowledge/messages/stories_x.yml:2: unknown case 'case_nowhere'" in found
    assert any("question 'context' has no option 'maybe'" in p for p in found)
    assert "knowledge/messages/stories_x.yml:2: unknown screening question 'nothing'" in found


def test_the_shipped_messages_are_plentiful_and_valid():
    content, problems = validate(PROJECT_ROOT)
    assert not [p for p in problems if "knowledge/messages" in p.path or "care.yml" in p.path]
    messages = content.messages
    assert len(messages.stories) >= 300
    assert {s.case for s in messages.stories} >= {c.id for c in content.cases}  # every case retold
    for kind in ("everyday", "next_step", "question", "danger", "distress", "calm"):
        assert len(messages.of(kind)) >= 100, kind
    assert messages.care.hotline_sources and "12356" in messages.care.hotline
