"""Conversations through bot.engine with the trained model and the real action server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import sqlite_utils

from bot.channels.batch import answer_lines
from bot.config import PROJECT_ROOT
from bot.engine import EMPTY_INPUT
from bot.screening_dialogue import choose_payload


def user() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


# Warnings that are there by design, each for a reason:
EXPECTED_WARNINGS = (
    # button-only intents: sent as /intent{...} payloads, never typed, so no NLU examples
    "The intent 'pick' is listed in the domain file, but is not found in the NLU training data.",
    "The intent 'choose' is listed in the domain file, but is not found in the NLU training data.",
    "The intent 'screening_details' is listed in the domain file, but is not found in the NLU training data.",
    "The intent 'apply_guide' is listed in the domain file, but is not found in the NLU training data.",
    "The intent 'draft' is listed in the domain file, but is not found in the NLU training data.",
    # FAQ answers are read from faq/ at run time by action_answer, not uttered from responses;
    # the generated placeholder responses (data/generated/faq.yml) make Rasa see faq twice
    "The utterance 'utter_faq' is not used in any story or rule.",
    "The following duplicated intents have been found across multiple domain files: faq",
    # small talk is uttered by action_smalltalk, which first checks the message for danger
    # (再见了 这个世界 is no goodbye): the validator does not see responses named in an action
    *(f"The utterance 'utter_{intent}' is not used in any story or rule."
      for intent in ("greet", "goodbye", "thanks", "bot_challenge", "affirm", "deny")),
)


def test_rasa_data_validates(trained_model):
    # trained_model first: it generates rasa_project/data/generated/ from faq/.
    # the engine, if another test started it first, set TF_DETERMINISTIC_OPS for itself: not for this
    env = {k: v for k, v in os.environ.items() if k != "TF_DETERMINISTIC_OPS"}
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "data", "validate"],
        cwd=PROJECT_ROOT / "rasa_project", capture_output=True, text=True, timeout=300, env=env,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    warnings = [line.split("UserWarning: ", 1)[1].strip() for line in output.splitlines() if "UserWarning: " in line]
    rasa_warnings = [w for w in warnings if "deprecated" not in w.lower() and "auto-fill" not in w]
    assert sorted(set(rasa_warnings)) == sorted(EXPECTED_WARNINGS), output[-3000:]


def test_models_load_faster_but_predict_as_rasa_loads_them(engine, trained_model, monkeypatch):
    """bot.model_loading builds the weights eagerly: the predictions must be Rasa's own."""
    from rasa.core.agent import Agent
    from rasa.utils.tensorflow.models import RasaModel

    from bot import model_loading

    assert model_loading.traced_load is not None  # the engine loaded its model the fast way
    monkeypatch.setattr(RasaModel, "load", classmethod(model_loading.traced_load))
    rasa_loaded = Agent.load(str(trained_model))
    for text in ("容错怎么申请", "被人诬告了 组织会帮我澄清吗", "明天天气怎么样", "谢谢"):
        ours, theirs = (engine.run(agent.parse_message(text)) for agent in (engine.agent, rasa_loaded))
        assert ours["intent_ranking"] == theirs["intent_ranking"]
        assert ours.get("response_selector") == theirs.get("response_selector")  # none without a ResponseSelector


def test_greet_question_related_button_out_of_scope(engine, engine_db):
    me = user()
    [hello] = engine.talk(me, "你好")
    assert hello.kind == "smalltalk" and "容错纠错" in hello.text

    replies = engine.talk(me, "单位开会集体研究定的事，后来出了问题，我会被问责吗")
    answer = replies[0]  # the answer first; a story reply with similar cases may follow
    assert answer.kind == "faq" and answer.faq_id == "scope_collective_decision"
    assert all(r.kind == "story" for r in replies[1:])
    assert "依据：《" in answer.text and answer.sources and answer.buttons

    pressed = answer.buttons[0]
    [related] = engine.talk(me, pressed.payload)
    assert related.kind == "faq" and related.text.startswith(related.text[:10])
    assert related.faq_id == json.loads(pressed.payload[len("/pick"):])["faq_id"] and related.confidence == 1.0

    [declined] = engine.talk(me, "明天北京天气怎么样")
    assert declined.kind == "out_of_scope" and declined.buttons
    rows = list(sqlite_utils.Database(engine_db)["unanswered"].rows_where("question = ?", ["明天北京天气怎么样"]))
    assert rows and rows[0]["kind"] == "out_of_scope" and rows[0]["channel"] == "test"
    assert rows[0]["best_guess"] and rows[0]["confidence"] > 0  # what the bot would have answered


def test_disambiguation_offers_choices_and_a_choice_answers(engine, engine_db):
    me = user()
    # Vague messages that touch several entries; which of them ends in a near tie depends on
    # the trained model, but a bot that never asks would fail all of them.
    vague = ("免责 从轻", "容错 纠错 免责", "出错了", "容错 标准", "出了问题怎么办", "容错以后会怎样")
    replies = [engine.talk(me, text)[0] for text in vague]
    question = next((r for r in replies if r.kind == "clarify" and r.text == "您想问的是哪一个？请点选："), None)
    assert question is not None, [(r.kind, r.faq_id) for r in replies]
    asked = vague[replies.index(question)]
    [logged] = sqlite_utils.Database(engine_db)["unanswered"].rows_where("question = ? and user_key = ?", [asked, me])
    assert logged["kind"] == "clarify" and logged["best_guess"] and logged["confidence"] > 0
    assert 2 <= len(question.buttons) <= 3
    chosen = json.loads(question.buttons[1].payload[len("/pick"):])["faq_id"]
    [answer] = engine.talk(me, question.buttons[1].payload)
    assert answer.kind == "faq" and answer.faq_id == chosen and "依据：《" in answer.text


def test_a_bare_keyword_gets_the_topics(engine):
    [reply] = engine.talk(user(), "容错")
    assert reply.kind == "clarify" and reply.text.startswith("您想了解容错纠错的哪一方面") and len(reply.buttons) >= 3


def test_traditional_characters_and_typos_are_understood(engine):
    [answer] = engine.talk(user(), "容錯申請要準備哪些材料")
    assert answer.kind == "faq" and answer.faq_id == "apply_materials"


def test_a_retold_case_gets_the_case_and_a_prefilled_self_screening_to_confirm(engine):
    me = user()
    replies = engine.talk(me, "去年汛期前水库闸门漏水 我没等政府采购就让施工队先修了 后来补的手续 现在审计找上门了 我该怎么办")
    story = next(r for r in replies if r.kind == "story")
    assert story.extra["cases"][0] == "case_huang_reservoir_gate" and "【相似案例】" in story.text
    assert story.extra["prefill"].get("context") == "emergency"
    start = story.buttons[0]
    assert start.payload.startswith("/start_screening") and "prefill" in start.payload
    assert "/how_to_apply" in [b.payload for b in story.buttons]
    replies = engine.talk(me, start.payload)
    for _ in range(12):  # confirm each question; the pre-filled ones show the user's own reading first
        question = _question_of(replies)
        if question is None or question.extra.get("question") is None:
            break
        if question.extra["question"] == "context":
            assert "按您的描述" in question.buttons[0].title and "紧急" in question.buttons[0].title
            break
        replies = _press(engine, me, question)
    else:
        raise AssertionError("the pre-filled question was never asked")
    [everyday] = engine.talk(user(), "手机丢了怎么办")
    assert everyday.kind == "out_of_scope"


def test_next_steps_lead_to_the_procedure_fresh_after_an_answer_and_after_a_result(engine):
    [fresh] = engine.talk(user(), "怎么申请")
    assert fresh.kind == "procedure" and fresh.faq_id == "apply_how_start"
    me = user()
    engine.talk(me, "容错纠错是什么意思")
    [after] = engine.talk(me, "那我该怎么办")
    assert after.kind == "procedure" and "/start_screening" in [b.payload for b in after.buttons]
    me = user()
    replies = engine.talk(me, "/start_screening")
    while (question := _question_of(replies)) is not None and question.extra.get("question"):
        if question.extra["question"] == "private_gain":
            replies = engine.talk(me, choose_payload("private_gain:yes"))
        else:
            replies = _press(engine, me, question)
    replies = _press(engine, me, _question_of(replies), "确认")
    assert _question_of(replies).extra.get("outcome") == "not_tolerable"
    [then] = engine.talk(me, "那我该怎么办")
    assert then.kind == "procedure" and "/start_screening" not in [b.payload for b in then.buttons]


def test_despair_gets_care_first_and_its_text_is_never_stored(engine, engine_db):
    me = user()
    text = "被纪委调查了 压力很大 真的不想活了 这个号码13800000000"
    replies = engine.talk(me, text)
    assert replies[0].kind == "distress" and "12356" in replies[0].text and "110" in replies[0].text
    assert "/start_screening" in [b.payload for r in replies for b in r.buttons]
    db = sqlite_utils.Database(engine_db)
    stored = [row["question"] for row in db["unanswered"].rows] if db["unanswered"].exists() else []
    assert not any("不想活" in q for q in stored)
    [goodbye] = engine.talk(user(), "再见了 这个世界 我撑不下去了")[:1]
    assert goodbye.kind == "distress"
    [calm] = engine.talk(user(), "累死了 这个方案今晚必须交")[:1]
    assert calm.kind != "distress" and not calm.extra.get("distress")


def test_a_short_follow_up_is_read_in_the_context_of_the_previous_answer(engine):
    me = user()
    [first] = engine.talk(me, "我想申请容错，第一步该做什么")
    assert first.kind == "faq"
    [follow_up] = engine.talk(me, "要多久")
    assert follow_up.kind == "faq" and follow_up.faq_id == "decision_time_limit"
    [weather] = engine.talk(me, "今天天气怎么样")
    assert weather.declines


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
    questions = ["怎么申请容错", "公积金怎么提取", "", "容错", "汛期前闸门漏水 我没走政府采购就让人先修了 后来补的手续"]
    engine.run(answer_lines(engine, questions, True, lines.append))
    records = [json.loads(line) for line in lines]
    assert [r["question"] for r in records] == questions
    for record in records:
        assert {"question", "answer", "kind", "faq_id", "confidence", "sources", "buttons"} <= set(record)
        assert record["kind"] in {"faq", "knowledge", "clarify", "smalltalk", "out_of_scope", "fallback",
                                  "procedure", "story", "distress"}
        assert isinstance(record["confidence"], float) and isinstance(record["sources"], list)
        assert all(isinstance(b, str) for b in record["buttons"])
    assert records[0]["kind"] in ("faq", "procedure") and records[0]["faq_id"] == "apply_how_start" and records[0]["sources"]
    assert records[1]["kind"] in ("out_of_scope", "fallback") and records[1]["faq_id"] is None
    story = records[4]
    assert story["kind"] == "story" and story["case_ids"][0] == "case_huang_reservoir_gate"
    assert story["prefill"] and any("开始自查" in b for b in story["buttons"])


# ---- self-screening through the whole stack ----

def _press(engine, me, reply, title_part: str = ""):
    button = next(b for b in reply.buttons if title_part in b.title) if title_part else reply.buttons[0]
    return engine.talk(me, button.payload)


def _question_of(replies):
    """The last screening message of a turn (a question, the review or the result)."""
    return next((r for r in reversed(replies) if r.kind == "screening"), None)


def test_screening_by_buttons_with_details(engine):
    me = user()
    replies = engine.talk(me, "我想自查一下我这个事能不能容错")
    question = _question_of(replies)
    assert question is not None and question.extra.get("question") == "private_gain"
    for _ in range(15):
        if question.extra.get("review"):
            break
        question = _question_of(_press(engine, me, question))
    assert question.extra.get("review")
    result = _question_of(_press(engine, me, question, "确认"))
    assert result.extra.get("outcome") in {"likely_tolerable", "possibly_mitigated", "not_tolerable", "needs_review"}
    assert "初步自查结果" in result.text and "不是" in result.text and len(result.text) <= 4096
    details = _question_of(_press(engine, me, result, "详细"))
    assert "六看" in details.text


def test_screening_by_typed_answers_with_an_interruption_and_an_edit(engine):
    me = user()
    engine.talk(me, "帮我测一下我的情况符不符合容错")
    typed = ["没有", "不是", "没有", "不涉及", "影响轻微", "改革创新"]
    for text in typed:
        replies = engine.talk(me, text)
    # a policy question in the middle: answered, then the questionnaire goes on
    replies = engine.talk(me, "容错申请要准备哪些材料")
    assert any(r.kind == "faq" and r.faq_id == "apply_materials" for r in replies)
    assert _question_of(replies).extra.get("question") == "procedure"
    for text in ["都按规定办了", "集体研究", "明确提出过", "已主动报告", "湖北"]:
        replies = engine.talk(me, text)
    review = _question_of(replies)
    assert review.extra.get("review")
    # change the first answer at the review: that question comes back, then the review again
    replies = _press(engine, me, review, "修改第1题")
    assert _question_of(replies).extra.get("question") == "private_gain"
    review = _question_of(engine.talk(me, "有"))
    assert review.extra.get("review")
    result = _question_of(_press(engine, me, review, "确认"))
    assert result.extra["outcome"] == "not_tolerable"


def test_screening_cancelled_and_bad_answers(engine):
    me = user()
    engine.talk(me, "/start_screening")
    replies = engine.talk(me, "啊这个不好讲呀呀呀")
    assert "没看懂" in replies[0].text
    replies = engine.talk(me, "取消")
    assert any("已取消" in r.text for r in replies)
    [answer] = engine.talk(me, "集体决策出了问题能不能免责")
    assert answer.kind in ("faq", "clarify")


def test_an_old_answer_button_after_the_self_check_ended(engine):
    me = user()
    first = engine.talk(me, "/start_screening")
    old = next(b.payload for r in first for b in r.buttons if b.payload.startswith("/choose") and ":" in b.payload)
    assert any("已取消" in r.text for r in engine.talk(me, "取消"))
    [reply] = engine.talk(me, old)  # one reply, not the decline over and over
    assert "已经结束或取消" in reply.text and reply.buttons[0].payload == "/start_screening"
    [answer] = engine.talk(me, "集体决策出了问题能不能免责")
    assert answer.kind in ("faq", "clarify")
