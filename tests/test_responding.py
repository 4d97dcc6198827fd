"""Care, next steps and stories, decided by the message reader on the shipped content, without Rasa."""

from __future__ import annotations

import json

import pytest

from bot import responding
from bot.config import PROJECT_ROOT
from bot.content.live import LiveContent
from bot.reader import reader_for
from bot.stories import parse_prefill, prefill_payload


@pytest.fixture(scope="module")
def live():
    source = LiveContent(PROJECT_ROOT)
    content, dialogue = source.get()
    return content, dialogue, source.questionnaire()


def parse(text: str, intent: str = "nlu_fallback", confidence: float = 0.3, ranking=()):
    return {"text": text, "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": [{"name": intent, "confidence": confidence}], "entities": [],
            "response_selector": {"faq": {"ranking": [{"intent_response_key": f"faq/{k}", "confidence": c}
                                                      for k, c in ranking]}}}


def respond(live, text: str, intent: str = "nlu_fallback", context=responding.Context()):
    content, dialogue, questionnaire = live
    return responding.respond(parse(text, intent), content, dialogue, questionnaire, context)


@pytest.mark.parametrize("text", ["被纪委调查了 压力很大 真的不想活了", "活着没意思 想一了百了", "我写好遗书了"])
def test_despair_gets_care_before_anything_else(live, text):
    content = live[0]
    replies = respond(live, text, intent="faq")
    first = replies[0]
    assert first.kind == "distress" and first.extra["distress"] == "danger"
    assert "110" in first.text and "120" in first.text and "12356" in first.text
    assert first.sources == ("supp_psych_hotline_12356",) and "supp_psych_hotline_12356" in content.sources
    assert "容错纠错" in replies[1].text and replies[1].buttons[0].payload == "/start_screening"
    assert not any(r.declines for r in replies)


def test_the_safety_net_catches_what_the_classifier_might_miss(live):
    content, dialogue, questionnaire = live
    phrase = content.messages.care.safety_net[0]
    assert reader_for(content, questionnaire).read(f"随便说说 {phrase}").safety_net
    assert responding.guard(parse(phrase, "goodbye"), content, dialogue, questionnaire)[0].kind == "distress"


def test_distress_without_danger_is_acknowledged_then_answered(live):
    content = live[0]
    replies = respond(live, "出了这事我整夜睡不着 感觉天塌了", intent="out_of_scope")
    assert replies[0].text.startswith(content.messages.care.distress)
    assert replies[0].extra["distress"] == "distress" and not replies[0].declines
    assert "/start_screening" in [b.payload for r in replies for b in r.buttons]


@pytest.mark.parametrize("text", ["累死了 这个方案今天必须交", "笑死我了 哈哈哈", "双十一跳楼价 买不买"])
def test_the_same_words_in_another_sense_raise_no_alarm(live, text):
    assert not any(r.extra.get("distress") for r in respond(live, text, intent="out_of_scope"))


@pytest.mark.parametrize("text", ["怎么申请", "那我该怎么办", "下一步呢", "然后呢", "去哪申请", "我现在该咋整"])
def test_next_steps_lead_to_the_procedure(live, text):
    replies = respond(live, text, intent="out_of_scope")
    assert replies[0].kind == "procedure" and replies[0].faq_id in live[1].procedure_entries
    payloads = [b.payload for b in replies[0].buttons]
    assert "/start_screening" in payloads  # the self-check is offered too
    assert any(p.startswith("/apply_guide") for p in payloads)  # and the walk-through by place


def test_a_next_step_after_a_screening_result_does_not_offer_the_screening_again(live):
    replies = respond(live, "那我该怎么办", intent="out_of_scope", context=responding.Context("screening"))
    assert replies[0].kind == "procedure"
    assert "/start_screening" not in [b.payload for b in replies[0].buttons]


def test_whom_to_apply_to_is_the_procedure_entry_asked_for(live):
    assert respond(live, "找谁申请", intent="out_of_scope")[0].faq_id == "apply_to_whom"


@pytest.mark.parametrize("text", ["孩子没考上 我该怎么办", "借给朋友的钱要不回来了 咋整", "我爸住院了 医药费报不了 怎么办"])
def test_everyday_trouble_is_still_declined(live, text):
    assert respond(live, text, intent="out_of_scope")[0].declines


def test_a_retold_published_case_gets_the_case_scenarios_and_a_prefilled_self_check(live):
    content, dialogue, questionnaire = live
    story = "汛期快到了 水库闸门一直漏水 我没等政府采购走完就让施工队先进场修了 后来才补的手续 现在审计说程序有问题"
    replies = respond(live, story)
    reply = replies[-1]
    assert reply.kind == "story"
    assert reply.extra["cases"][0] == "case_huang_reservoir_gate"
    assert "【相似案例】" in reply.text and "结果：" in reply.text and "依据：《" in reply.text
    prefill = reply.extra["prefill"]
    assert prefill.get("context") == "emergency"
    assert set(reply.extra["scenarios"]) & {"r_emergency", "r_emergency_procedure"}
    start = reply.buttons[0]
    assert start.payload == prefill_payload(prefill)
    packed = json.loads("{" + start.payload.split("{", 1)[1])["prefill"]
    assert parse_prefill(packed, questionnaire) == prefill
    assert reply.buttons[1].payload == "/how_to_apply"


def test_a_story_told_in_the_third_person_without_policy_words_is_still_a_story(live):
    story = "我们村支书为了让村民早点用上水 没走招投标就把管网工程包给了邻村的施工队 钱一分没拿 现在乡里要处理他"
    reply = respond(live, story, intent="out_of_scope")[-1]
    assert reply.kind == "story" and reply.extra["cases"]


def test_prefill_keeps_only_known_questions_and_options(live):
    questionnaire = live[2]
    assert parse_prefill("context:emergency,harm:nonsense,unknown:yes,,private_gain:no", questionnaire) == {
        "context": "emergency", "private_gain": "no"}
    assert parse_prefill(None, questionnaire) == {}
    assert prefill_payload({}) == "/start_screening"


def test_the_context_is_the_bots_last_message_before_the_latest_user_message():
    answered = {"event": "bot", "data": {"custom": {"policybot": {"kind": "faq", "faq_id": "apply_how_start"}}}}
    result = {"event": "bot", "data": {"custom": {"policybot": {"kind": "screening"}}}}
    user, listen = {"event": "user", "text": "…"}, {"event": "action", "name": "action_listen"}
    assert responding.context_of([user, answered, listen, user]) == responding.Context("faq", "apply_how_start")
    assert responding.context_of([user, result, listen, user]).after_screening
    assert responding.context_of([user]) == responding.Context() and responding.context_of([]) == responding.Context()


def test_a_bare_what_now_after_a_result_or_a_story_is_a_next_step(live):
    for kind in ("screening", "story"):
        assert respond(live, "咋整", intent="out_of_scope", context=responding.Context(kind))[0].kind == "procedure"
    # after a plain answer a short message is read as usual: everyday chat is still declined
    assert respond(live, "今天天气怎么样", intent="out_of_scope", context=responding.Context("faq", "concept_what_is"))[0].declines
