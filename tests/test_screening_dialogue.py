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


BASE = {"private_gain": "no", "knowingly": "no", "prohibited": "no", "eight_rules": "no", "harm": "light",
        "context": "reform", "procedure": "done", "decision": "collective", "dissent": "objected",
        "attitude": "active", "region": "hubei"}


@pytest.mark.parametrize("text", ["不知道是啥意思", "没看懂", "啥意思", "看不懂", "不明白这题", "什么意思", "这题什么意思？",
                                  "我没看懂这个问题"])
def test_not_understanding_a_question_gets_its_explanation(flow, text):
    questionnaire, dialogue = flow
    answers = {"private_gain": "no"}
    turn = take_input(questionnaire, dialogue, answers, typed(text, intent="nlu_fallback"))
    question = questionnaire.question("knowingly")
    assert turn.answers == answers and not turn.unmatched and turn.misses == 0
    assert question.help.strip() in turn.replies[0].text and question.text in turn.replies[0].text


def test_unsure_words_still_answer_unsure(flow):
    questionnaire, dialogue = flow
    assert take_input(questionnaire, dialogue, {}, typed("不知道")).answers == {"private_gain": "unsure"}
    assert take_input(questionnaire, dialogue, {}, typed("我也不知道")).answers == {"private_gain": "unsure"}


def number_of(reply) -> int:
    import re

    return int(re.search(r"第(\d+)题", reply.text).group(1))


@pytest.mark.parametrize("question, number", [("private_gain", 1), ("knowingly", 2), ("harm", 5), ("region", 11)])
def test_question_number_after_an_edit_is_its_place_on_the_path(flow, question, number):
    questionnaire, dialogue = flow
    turn = take_input(questionnaire, dialogue, BASE, pressed(f"edit:{question}"))
    reply = prompt(questionnaire, dialogue, turn.answers)
    assert reply.extra["question"] == question and number_of(reply) == number
    review = prompt(questionnaire, dialogue, BASE)
    assert review.buttons[number].title == f"修改第{number}题" and review.buttons[number].payload.endswith(f'edit:{question}"}}')


def test_question_numbers_follow_the_path_as_it_grows(flow):
    questionnaire, dialogue = flow
    answers = {k: BASE[k] for k in ("private_gain", "knowingly", "prohibited", "eight_rules")}
    assert number_of(prompt(questionnaire, dialogue, answers)) == 5  # harm
    answers["harm"] = "heavy"
    assert number_of(prompt(questionnaire, dialogue, answers)) == 6  # recovered, asked only after heavy harm
    edited = {**BASE, "harm": "heavy", "recovered": "done"}
    edited.pop("context")
    assert number_of(prompt(questionnaire, dialogue, edited)) == 7


def test_prefilled_answer_is_offered_first_and_marked_but_never_assumed(flow):
    questionnaire, dialogue = flow
    plain = prompt(questionnaire, dialogue, {})
    assert prompt(questionnaire, dialogue, {}, prefill=None) == plain  # backwards compatible
    reply = prompt(questionnaire, dialogue, {}, prefill={"private_gain": "no", "prohibited": "yes"})
    assert reply.extra == {"question": "private_gain", "prefilled": "no"}
    assert "「没有谋取私利」" in reply.text and "确认" in reply.text
    assert reply.buttons[0].title == "✓ 没有谋取私利（按您的描述）"
    assert json.loads(reply.buttons[0].payload[len("/choose"):]) == {"choice": "private_gain:no"}
    assert [b.title for b in reply.buttons[1:3]] == ["有谋取私利", "说不清"]
    # nothing is answered until the user presses or types
    later = prompt(questionnaire, dialogue, {"private_gain": "no", "knowingly": "no"}, prefill={"prohibited": "yes"})
    assert later.buttons[0].title == "✓ 已明令禁止（按您的描述）" and later.buttons[1].title == "没有明令禁止"
    answers = {"private_gain": "no", "knowingly": "no"}
    assert take_input(questionnaire, dialogue, answers, typed("1"), prefill={"prohibited": "yes"}).answers["prohibited"] == "yes"
    assert take_input(questionnaire, dialogue, answers, typed("2"), prefill={"prohibited": "yes"}).answers["prohibited"] == "no"
    assert take_input(questionnaire, dialogue, answers, typed("没有明令禁止"), prefill={"prohibited": "yes"}).answers["prohibited"] == "no"
    # a question without a pre-filled answer is asked as usual
    other = prompt(questionnaire, dialogue, {"private_gain": "no"}, prefill={"prohibited": "yes"})
    assert "按您的描述" not in other.text + "".join(b.title for b in other.buttons) and "prefilled" not in other.extra


def test_prefill_with_unknown_ids_is_ignored(flow):
    questionnaire, dialogue = flow
    reply = prompt(questionnaire, dialogue, {}, prefill={"private_gain": "maybe", "nonsense": "no"})
    assert reply == prompt(questionnaire, dialogue, {})
