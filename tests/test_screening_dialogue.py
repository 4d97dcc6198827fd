"""The screening conversation turn by turn, without Rasa, on the shipped questionnaire."""

from __future__ import annotations

import json

import pytest

from bot.config import PROJECT_ROOT
from bot.content.live import LiveContent
from bot.screening_dialogue import choose_payload, match_option, prompt, take_input


@pytest.fixture(scope="module")
def flow():
    live = LiveContent(PROJECT_ROOT)
    _, dialogue = live.get()
    return live.questionnaire(), dialogue


def typed(text: str, intent: str = "faq") -> dict:
    return {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}


def pressed(choice: str) -> dict:
    return {"text": choose_payload(choice), "intent": {"name": "choose", "confidence": 1.0},
            "entities": [{"entity": "choice", "value": choice}]}


@pytest.mark.parametrize("question, text, option", [
    ("private_gain", "没有", "no"), ("private_gain", "有", "yes"), ("private_gain", "不清楚", "unsure"),
    ("private_gain", "2", "yes"), ("private_gain", "没有谋取私利", "no"), ("private_gain", "沒有", "no"),
    ("knowingly", "不是", "no"), ("knowingly", "是的", "yes"), ("recovered", "没有挽回", "no"),
    ("procedure", "没走程序", "skipped"), ("decision", "开会研究的", "collective"), ("attitude", "还没有", "not_yet"),
    ("region", "我在湖北", "hubei"), ("private_gain", "今天天气不错", None),
])
def test_typed_answers(flow, question, text, option):
    questionnaire, _ = flow
    assert match_option(questionnaire, questionnaire.question(question), text) == option


def test_a_full_run_by_buttons_then_review_and_confirm(flow):
    questionnaire, dialogue = flow
    answers: dict[str, str] = {}
    for _ in range(20):
        reply = prompt(questionnaire, dialogue, answers)
        if reply.extra.get("review"):
            break
        first = reply.buttons[0]
        assert len(first.payload.encode()) <= 64
        answers = take_input(questionnaire, dialogue, answers, pressed(json.loads(first.payload[len("/choose"):])["choice"])).answers
    assert reply.extra.get("review") and "请核对您的回答" in reply.text
    assert take_input(questionnaire, dialogue, answers, pressed("confirm")).status == "done"


def test_edit_at_review_asks_that_question_again(flow):
    questionnaire, dialogue = flow
    answers = {"private_gain": "no", "knowingly": "no"}
    turn = take_input(questionnaire, dialogue, answers, pressed("edit:private_gain"))
    assert prompt(questionnaire, dialogue, turn.answers).extra["question"] == "private_gain"
    assert turn.answers == {"knowingly": "no"}


def test_cancel_restart_and_why(flow):
    questionnaire, dialogue = flow
    answers = {"private_gain": "no"}
    assert take_input(questionnaire, dialogue, answers, typed("取消")).status == "cancelled"
    assert take_input(questionnaire, dialogue, answers, pressed("cancel")).status == "cancelled"
    assert take_input(questionnaire, dialogue, answers, typed("重新开始")).answers == {}
    why = take_input(questionnaire, dialogue, answers, typed("为什么问这个"))
    assert why.answers == answers and why.replies[0].text.startswith("为什么问这个：")


def test_invalid_answers_reexplain_then_show_help(flow):
    questionnaire, dialogue = flow
    first = take_input(questionnaire, dialogue, {}, typed("嗯……这个嘛让我想想看看", intent="nlu_fallback"))
    assert first.unmatched and first.misses == 1 and "为什么问这个" not in first.replies[0].text
    second = take_input(questionnaire, dialogue, {}, typed("随便吧啊啊", intent="nlu_fallback"), misses=first.misses)
    assert second.misses == 2 and "为什么问这个：" in second.replies[0].text


def test_a_stale_button_changes_that_earlier_answer(flow):
    questionnaire, dialogue = flow
    answers = {"private_gain": "no", "knowingly": "no"}
    turn = take_input(questionnaire, dialogue, answers, pressed("private_gain:unsure"))
    assert turn.answers == {"private_gain": "unsure", "knowingly": "no"}
