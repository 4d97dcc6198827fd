"""Conversations through bot.engine with the trained model and the real action server."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import sqlite_utils

from bot.channels.batch import answer_lines
from bot.config import PROJECT_ROOT
from bot.engine import EMPTY_INPUT


def user() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


# Warnings that are there by design, each for a reason:
EXPECTED_WARNINGS = (
    # button-only intents: sent as /intent{...} payloads, never typed, so no NLU examples
    "The intent 'pick' is listed in the domain file, but is not found in the NLU training data.",
    "The intent 'choose' is listed in the domain file, but is not found in the NLU training data.",
    "The intent 'screening_details' is listed in the domain file, but is not found in the NLU training data.",
    # choose is consumed by the screening form's validation action, not by a rule
    "The intent 'choose' is not used in any story or rule.",
    # FAQ answers are read from faq/ at run time by action_answer, not uttered from responses;
    # the generated placeholder responses (data/generated/faq.yml) make Rasa see faq twice
    "The utterance 'utter_faq' is not used in any story or rule.",
    "The following duplicated intents have been found across multiple domain files: faq",
)


def test_rasa_data_validates(trained_model):
    # trained_model first: it generates rasa_project/data/generated/ from faq/.
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "data", "validate"],
        cwd=PROJECT_ROOT / "rasa_project", capture_output=True, text=True, timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    warnings = [line.split("UserWarning: ", 1)[1].strip() for line in output.splitlines() if "UserWarning: " in line]
    rasa_warnings = [w for w in warnings if "deprecated" not in w.lower() and "auto-fill" not in w]
    assert sorted(set(rasa_warnings)) == sorted(EXPECTED_WARNINGS), output[-3000:]


def test_greet_question_related_button_out_of_scope(engine, engine_db):
    me = user()
    [hello] = engine.talk(me, "你好")
    assert hello.kind == "smalltalk" and "容错纠错" in hello.text

    [answer] = engine.talk(me, "单位开会集体研究定的事，后来出了问题，我会被问责吗")
    assert answer.kind == "faq" and answer.faq_id == "scope_collective_decision"
    assert "依据：《" in answer.text and answer.sources and answer.buttons

    pressed = answer.buttons[0]
    [related] = engine.talk(me, pressed.payload)
    assert related.kind == "faq" and related.text.startswith(related.text[:10])
    assert related.faq_id == json.loads(pressed.payload[len("/pick"):])["faq_id"] and related.confidence == 1.0

    [declined] = engine.talk(me, "明天北京天气怎么样")
    assert declined.kind == "out_of_scope" and declined.buttons
    rows = list(sqlite_utils.Database(engine_db)["unanswered"].rows_where("question = ?", ["明天北京天气怎么样"]))
    assert rows and rows[0]["kind"] == "out_of_scope"


def test_traditional_characters_and_typos_are_understood(engine):
    [answer] = engine.talk(user(), "容錯申請要準備哪些材料")
    assert answer.kind == "faq" and answer.faq_id == "apply_materials"


def test_identifiers_are_scrubbed_from_logged_questions(engine, engine_db):
    engine.talk(user(), "我的手机13812345678，帮我查下公积金余额")
    rows = list(sqlite_utils.Database(engine_db)["unanswered"].rows_where("question like ?", ["%公积金余额%"]))
    assert rows and "13812345678" not in rows[0]["question"] and "[手机号]" in rows[0]["question"]


def test_bad_input_gets_a_clear_reply(engine):
    me = user()
    [empty] = engine.talk(me, "   ")
    assert empty.text == EMPTY_INPUT
    replies = engine.talk(me, "容错" * 3000)
    assert replies and "只读了前" in replies[0].text
    assert engine.talk(me, "\x00\x01\ufffd%$#@!")
    assert engine.talk(me, '/pick{"faq_id": "no_such_id"}')[0].declines


def test_ask_json_contract(engine):
    lines: list[str] = []
    questions = ["怎么申请容错", "公积金怎么提取", "", "容错"]
    engine.run(answer_lines(engine, questions, True, lines.append))
    records = [json.loads(line) for line in lines]
    assert [r["question"] for r in records] == questions
    for record in records:
        assert set(record) == {"question", "answer", "kind", "faq_id", "confidence", "sources"}
        assert record["kind"] in {"faq", "knowledge", "clarify", "smalltalk", "out_of_scope", "fallback"}
        assert isinstance(record["confidence"], float) and isinstance(record["sources"], list)
    assert records[0]["kind"] == "faq" and records[0]["faq_id"] and records[0]["sources"]
    assert records[1]["kind"] in ("out_of_scope", "fallback") and records[1]["faq_id"] is None
