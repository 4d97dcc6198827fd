"""Answer decisions from parse data, on the shipped content, without Rasa."""

from __future__ import annotations

import dataclasses
import json

import pytest

from bot import answering
from bot.config import PROJECT_ROOT
from bot.content.live import LiveContent
from bot.dialogue import Thresholds
from bot.reader import CALM, EVERYDAY, QUESTION, Reading
from bot.retrieval import OUT_OF_SCOPE, classifier_for


FIXED = Thresholds(answer=0.5, margin=0.15, clarify_floor=0.2, guess_floor=0.2, clarify_max=3, knowledge_min_coverage=0.6,
                   classifier_weight=0.0, nearest_weight=0.0)


@pytest.fixture(scope="module")
def live():
    """The shipped content with fixed thresholds, so these tests check the decision logic."""
    content, dialogue = LiveContent(PROJECT_ROOT).get()
    return content, dataclasses.replace(dialogue, thresholds=FIXED)


def parse(text: str, intent: str = "faq", ranking: list[tuple[str, float]] = (), confidence: float = 0.9, entities=()):
    return {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": intent, "confidence": confidence}],
        "entities": list(entities),
        "response_selector": {"faq": {"ranking": [
            {"intent_response_key": f"faq/{key}", "confidence": conf} for key, conf in ranking
        ]}},
    }


def test_confident_top_answer_is_given_with_sources_and_related(live):
    content, dialogue = live
    reply = answering.answer(parse("集体决策出错", ranking=[("scope_collective_decision", 0.9), ("scope_exempt", 0.05)]), content, dialogue)
    entry = content.faq_by_id()["scope_collective_decision"]
    assert reply.kind == "faq" and reply.faq_id == entry.id and reply.confidence == 0.9
    assert reply.text.startswith(entry.answer.strip()[:30])
    assert "依据：《" in reply.text and reply.sources == entry.sources
    assert 1 <= len(reply.buttons) <= 3
    assert all(b.payload.startswith('/pick{"faq_id":') and len(b.payload.encode()) <= 64 for b in reply.buttons)


@pytest.fixture
def copied_content(tmp_path):
    """A copy of the shipped faq/ and knowledge/ that a test may edit."""
    import shutil

    root = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT / "faq", root / "faq")
    shutil.copytree(PROJECT_ROOT / "knowledge", root / "knowledge")
    return root


def test_answer_text_follows_edits_without_retraining(copied_content):
    root = copied_content
    live = LiveContent(root)
    content, dialogue = live.get()
    target = root / "faq" / "apply.yml"
    old = content.faq_by_id()["apply_materials"].answer.strip().splitlines()[0]
    target.write_text(target.read_text(encoding="utf-8").replace(old, "【已更新】" + old), encoding="utf-8")
    content, _ = live.get()
    reply = answering.answer(parse("材料", ranking=[("apply_materials", 0.95)]), content, dialogue)
    assert reply.text.startswith("【已更新】")


def test_broken_edit_keeps_the_last_good_content(copied_content):
    root = copied_content
    live = LiveContent(root)
    before, _ = live.get()
    (root / "faq" / "apply.yml").write_text("entries: [\n", encoding="utf-8")
    after, _ = live.get()
    assert after is before


def test_close_candidates_ask_which_was_meant(live):
    content, dialogue = live
    reply = answering.answer(parse("容错", ranking=[("scope_exempt", 0.4), ("scope_mitigate", 0.35), ("concept_terms", 0.3)]), content, dialogue)
    assert reply.kind == "clarify"
    assert [json.loads(b.payload[len("/pick"):])["faq_id"] for b in reply.buttons] == ["scope_exempt", "scope_mitigate", "concept_terms"]
    assert reply.text == dialogue.text("clarify")


def test_pick_button_answers_that_entry(live):
    content, dialogue = live
    reply = answering.answer(parse('/pick{"faq_id":"apply_materials"}', intent="pick", entities=[{"entity": "faq_id", "value": "apply_materials"}]), content, dialogue)
    assert reply.kind == "faq" and reply.faq_id == "apply_materials" and reply.confidence == 1.0


def test_unknown_pick_id_does_not_crash(live):
    content, dialogue = live
    reply = answering.answer(parse("/pick", intent="pick", entities=[{"entity": "faq_id", "value": "nope"}]), content, dialogue)
    assert reply.declines


def test_middling_match_with_no_knowledge_hit_asks_with_the_top_candidates(live):
    content, dialogue = live
    reply = answering.answer(parse("那个事", ranking=[("scope_exempt", 0.3), ("apply_materials", 0.1)]), content, dialogue)
    assert reply.kind == "clarify" and reply.extra["options"] == ["scope_exempt", "apply_materials"]


def test_lexical_opinions_rescue_a_typo(live):
    content, dialogue = live
    blended = dataclasses.replace(dialogue, thresholds=dataclasses.replace(FIXED, classifier_weight=1.0, nearest_weight=1.0,
                                                                          answer=0.3))
    entry = content.faq_by_id()["apply_materials"]
    typo = entry.paraphrases[0].replace("材料", "材聊")
    reply = answering.answer(parse(typo, ranking=[("apply_materials", 0.2), ("apply_evidence", 0.18)]), content, blended)
    assert reply.kind == "faq" and reply.faq_id == "apply_materials"


def test_classifier_declines_what_is_like_the_out_of_scope_examples(live):
    content, dialogue = live
    assert content.out_of_scope  # loaded from rasa_project/data/nlu
    # the intent classifier took it for a policy question; the FAQ classifier knows better
    reply = answering.answer(parse("住房公积金贷款额度怎么算", ranking=[("apply_materials", 0.6)]), content, dialogue)
    assert reply.kind == "out_of_scope" and reply.declines


def test_classifier_ranks_an_unseen_wording(live):
    content, dialogue = live
    scores = classifier_for(content).scores("被提拔会不会因为以前容过错受影响")
    assert max(scores, key=scores.get) == "results_promotion"
    assert abs(sum(scores.values()) - 1) < 1e-6 and OUT_OF_SCOPE in scores


@pytest.mark.parametrize("text", ["容错", "问一下容错", "容错相关的", "請問容錯"])
def test_a_message_of_generic_words_gets_the_topics_not_a_guess(live, text):
    content, dialogue = live
    reply = answering.answer(parse(text, ranking=[("apply_materials", 0.2), ("myths_personnel_file", 0.1)]), content, dialogue)
    assert reply.kind == "clarify" and reply.text == dialogue.text("vague")
    assert [b.title for b in reply.buttons] == [content.faq_by_id()[i].question for i in dialogue.topic_buttons]


def test_a_specific_message_is_not_vague_even_when_short(live):
    content, dialogue = live
    reply = answering.answer(parse("容错 提拔", ranking=[("results_promotion", 0.2)]), content, dialogue)
    assert reply.text != dialogue.text("vague")


def test_weak_match_searches_the_knowledge_base(live):
    content, dialogue = live
    reply = answering.answer(parse("湖北回访教育了多少干部", ranking=[("results_promotion", 0.1)], intent="nlu_fallback"), content, dialogue)
    assert reply.kind in ("knowledge", "faq")
    assert "70115" in reply.text and reply.sources


def test_nothing_found_declines_with_topics(live):
    content, dialogue = live
    no_classifier = dataclasses.replace(dialogue, thresholds=dataclasses.replace(FIXED, classifier_decline=1.01))
    reply = answering.answer(parse("今天天气怎么样", ranking=[("results_promotion", 0.1)], intent="nlu_fallback"), content,
                             no_classifier)
    assert reply.kind == "fallback" and reply.declines
    assert reply.text == dialogue.text("decline_unknown") and reply.buttons


def test_a_weak_lead_is_offered_rather_than_declined(live):
    """A long story spreads its score thinly: when nothing is close enough to answer and the
    knowledge search finds no passage, the best entries above guess_floor are offered."""
    content, dialogue = live
    # the FAQ classifier's own out-of-scope check off: this tests the decision after it
    lower = dataclasses.replace(dialogue, thresholds=dataclasses.replace(FIXED, guess_floor=0.1, classifier_decline=1.01))
    story = "镇里让我们先把活干了 手续以后慢慢补 结果有人写信说我们乱来 这能容错吗"
    weak = parse(story, ranking=[("scope_procedure_flaw", 0.12), ("scope_emergency", 0.02)])
    offered = answering.answer(weak, content, lower)
    assert offered.kind == "clarify" and offered.extra["options"][0] == "scope_procedure_flaw"
    declined = answering.answer(weak, content, dialogue)  # FIXED: guess_floor 0.2
    assert declined.kind == "fallback" and declined.declines
    # a message the reader takes for everyday trouble is not offered guesses from so little
    everyday = parse("借给朋友的钱要不回来了 能起诉吗", ranking=[("excluded_private_gain", 0.12)])
    trouble = Reading(kinds={EVERYDAY: 0.9, QUESTION: 0.1}, distress={CALM: 1.0})
    assert answering.answer(everyday, content, lower, trouble).kind == "fallback"


def test_out_of_scope_decline(live):
    content, dialogue = live
    reply = answering.decline(content, dialogue, kind="out_of_scope")
    assert reply.kind == "out_of_scope" and "容错纠错" in reply.text


def test_intent_mapped_to_an_entry(live):
    content, dialogue = live
    reply = answering.answer(parse("教我申请", intent="how_to_apply"), content, dialogue)
    assert reply.faq_id == dialogue.intent_answers["how_to_apply"]


def test_secondary_sources_are_marked(live):
    content, dialogue = live
    secondary = next(s for s in content.sources.values() if s.tier == "secondary")
    line = answering.source_line((secondary.id,), content, dialogue)
    assert line.startswith("依据：《") and dialogue.text("secondary_note") in line


def test_a_policy_story_the_intent_classifier_called_out_of_scope_is_still_answered(live):
    content, dialogue = live
    rescuing = dataclasses.replace(dialogue, thresholds=dataclasses.replace(FIXED, classifier_rescue=0.2))
    story = "开会我投了反对票 现在追责会不会算我一份"
    reply = answering.out_of_scope_reply(
        parse(story, intent="out_of_scope", ranking=[("scope_collective_decision", 0.8)]), content, rescuing)
    assert reply.kind == "faq" and reply.faq_id == "scope_collective_decision"
    # what is like the out-of-scope examples is still declined, whatever the selector ranks
    weather = parse("明天北京会不会下雨", intent="out_of_scope", ranking=[("scope_emergency", 0.8)])
    assert answering.out_of_scope_reply(weather, content, rescuing).kind == "out_of_scope"
    # with no rescue threshold the intent classifier has the last word
    no_rescue = parse(story, intent="out_of_scope", ranking=[("scope_collective_decision", 0.8)])
    assert answering.out_of_scope_reply(no_rescue, content, dialogue).kind == "out_of_scope"


def test_a_short_follow_up_is_answered_in_the_context_of_the_previous_answer():
    content, dialogue = LiveContent(PROJECT_ROOT).get()  # the shipped thresholds
    declined = answering.decline(content, dialogue, kind="out_of_scope")
    follow_up = answering.in_context(declined, "要多久", "apply_how_start", content, dialogue)
    assert follow_up.kind == "faq" and follow_up.faq_id == "decision_time_limit" and "依据：" in follow_up.text
    assert answering.in_context(declined, "交给谁", "apply_materials", content, dialogue).faq_id == "apply_to_whom"
    assert answering.in_context(declined, "找谁", "apply_how_start", content, dialogue).faq_id == "apply_to_whom"
    # no policy reading, no previous answer, too long, or not declined: unchanged
    assert answering.in_context(declined, "今天天气怎么样", "apply_how_start", content, dialogue) is declined
    assert answering.in_context(declined, "谢谢", "apply_how_start", content, dialogue) is declined
    assert answering.in_context(declined, "要多久", None, content, dialogue) is declined
    assert answering.in_context(declined, "要多久" * 10, "apply_how_start", content, dialogue) is declined
    answered = answering.faq_reply(content.faq_by_id()["results_awards"], content, dialogue, 0.9)
    assert answering.in_context(answered, "要多久", "apply_how_start", content, dialogue) is answered
    # never the entry just answered
    again = answering.in_context(declined, "交给谁", "apply_to_whom", content, dialogue)
    assert again.faq_id != "apply_to_whom"
