"""How to apply, step by step (bot.guide, knowledge/apply/): every place, every stage, the
checklist, typed moves and the content checks. Pure Python: no Rasa."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from bot import guide as apply_guide
from bot import responding
from bot.config import PROJECT_ROOT
from bot.content.guide import load_guide
from bot.content.live import LiveContent

MAX_CALLBACK_BYTES = 64


@pytest.fixture(scope="module")
def live():
    source = LiveContent(PROJECT_ROOT)
    content, dialogue = source.get()
    return content, dialogue, source.questionnaire()


def state(button) -> str:
    assert button.payload.startswith("/apply_guide"), button.payload
    return json.loads(button.payload[len("/apply_guide"):])["guide"]


def press(reply, title: str, live) -> "apply_guide.Reply":
    content, dialogue, _ = live
    button = next(b for b in reply.buttons if b.title == title)
    return apply_guide.reply(state(button), content.guide, content, dialogue)


def walk(place_id: str, applicant: str, live) -> list:
    """From the list of places to the checklist by buttons only, like a user."""
    content, dialogue, _ = live
    guide = content.guide
    reply = apply_guide.start(guide)
    lineage = guide.lineage(place_id)
    top = lineage[-1]
    reply = press(reply, guide.text("not_listed") if top.general else top.name, live)
    if guide.children(top.id):
        title = guide.text("other_in_place", place=top.name) if place_id == top.id else guide.place(place_id).name
        reply = press(reply, title, live)
    reply = press(reply, guide.applicant_label(applicant), live)
    steps = [reply]
    while any(b.title == guide.text("next_button") for b in reply.buttons):
        reply = press(reply, guide.text("next_button"), live)
        steps.append(reply)
    steps.append(press(reply, guide.text("checklist_button"), live))
    return steps


def all_walks():
    content, _ = LiveContent(PROJECT_ROOT).get()
    guide = content.guide
    return [(p.id, a) for p in guide.places for a, _ in guide.applicants]


@pytest.mark.parametrize("place_id,applicant", all_walks())
def test_every_place_walks_every_stage_to_the_checklist(place_id, applicant, live):
    content, dialogue, _ = live
    guide = content.guide
    steps = walk(place_id, applicant, live)
    stages, checklist = steps[:-1], steps[-1]
    assert [s.extra["stage"] for s in stages] == [stage.id for stage in guide.stages]
    place = guide.place(place_id)
    for number, (reply, stage) in enumerate(zip(stages, guide.stages), 1):
        assert reply.kind == "apply" and reply.text.startswith(f"{place.name} · 第{number}步（共{len(guide.stages)}步）")
        cited = "依据：《" in reply.text
        # every stage either cites its knowledge with a status, or says the sources are silent
        assert cited or "以本地办法为准" in reply.text, reply.text
        if cited:
            assert re.search(r"【(现行规定|地方做法|调研建议|设想)】", reply.text)
            assert reply.sources and all(s in content.sources for s in reply.sources)
        assert len(reply.text) <= 4096
        for button in reply.buttons:
            assert len(("r:" + button.payload).encode()) <= MAX_CALLBACK_BYTES, button.payload
    assert checklist.extra["stage"] == "list" and "材料清单" in checklist.text
    assert "资料未规定，以本地要求为准" in checklist.text and "必须" not in checklist.text
    draft = next(b for b in checklist.buttons if b.title == guide.text("draft_button"))
    assert draft.payload == '/draft{"guide":"%s:%s"}' % (place_id, applicant)
    assert len(("r:" + draft.payload).encode()) <= MAX_CALLBACK_BYTES


def test_previous_goes_back_one_stage(live):
    content, dialogue, _ = live
    guide = content.guide
    third = apply_guide.reply("hubei:self:3", guide, content, dialogue)
    second = press(third, guide.text("prev_button"), live)
    assert second.extra["stage"] == guide.stages[1].id and second.extra["guide"] == "hubei:self:2"


def test_a_city_without_its_own_rule_gets_its_provinces_said_so(live):
    content, dialogue, _ = live
    receive = apply_guide.reply("hubei_shiyan:self:2", content.guide, content, dialogue)
    assert "资料里没有湖北省十堰市这一步的具体做法，下面是湖北省的" in receive.text
    assert "党组织认为符合容错情形的，可以主动提出申请" in receive.text
    overview = apply_guide.reply("hubei_shiyan:self:1", content.guide, content, dialogue)
    assert "申请、受理、核实、认定、报审、反馈" in overview.text and "下面是湖北省的" not in overview.text
    jingmen = apply_guide.reply("hubei_jingmen:self:5", content.guide, content, dialogue)
    assert "容错减责评估委员会" in jingmen.text
    songming = apply_guide.reply("yn_songming:self:1", content.guide, content, dialogue)
    assert "1个工作日初审" in songming.text


def test_the_dual_track_and_the_shengsi_steps_are_there(live):
    content, dialogue, _ = live
    dual = apply_guide.reply("hubei:unit:3", content.guide, content, dialogue)
    assert "责任追究机关在启动问责程序时，同步考虑是否符合容错情形" in dual.text
    shengsi = apply_guide.reply("zj_shengsi:self:1", content.guide, content, dialogue)
    assert "申请—受理—核实—认定—报备—反馈—复议" in shengsi.text and "【地方做法】" in shengsi.text
    assert "办理时限、申请表格和费用" in shengsi.text


def test_not_listed_gets_the_general_rules_and_says_local_rules_decide(live):
    content, dialogue, _ = live
    guide = content.guide
    start = apply_guide.start(guide)
    assert start.buttons[-1].title == guide.text("not_listed") and start.extra["milestone"] == "apply_opened"
    applicants = press(start, guide.text("not_listed"), live)
    first = press(applicants, guide.applicant_label("self"), live)
    assert guide.text("general_note") in first.text
    receive = apply_guide.reply("general:self:2", guide, content, dialogue)
    assert "以本地办法为准" in receive.text and "依据" not in receive.text


def test_the_place_chosen_in_the_self_check_comes_first(live):
    content, _, _ = live
    start = apply_guide.start(content.guide, {"region": "zhoushan"})
    assert start.buttons[0].title.startswith("浙江省舟山市嵊泗县") and content.guide.text("remembered") in start.buttons[0].title


def test_the_checklist_follows_the_self_check(live):
    content, dialogue, _ = live
    guide = content.guide
    unknown = apply_guide.reply("hubei:self:list", guide, content, dialogue)
    assert "如果您当时提出过反对或保留意见：当时提出反对或保留意见的记录" in unknown.text
    assert any(b.payload == "/start_screening" for b in unknown.buttons)
    answers = {"decision": "collective", "dissent": "no", "context": "reform"}
    known = apply_guide.reply("hubei:self:list", guide, content, dialogue, answers)
    assert "集体研究、民主决策的记录" in known.text and "反对或保留意见的记录" not in known.text
    assert not any(b.payload == "/start_screening" for b in known.buttons)
    kunming = apply_guide.reply("yn_songming:self:list", guide, content, dialogue)
    assert "《报备容错受理决定书》" in kunming.text  # a parent's material holds for its places
    assert "《报备容错受理决定书》" not in unknown.text


@pytest.mark.parametrize("typed,expected", [
    ("下一步", "hubei:self:4"), ("上一步", "hubei:self:2"), ("材料清单", "hubei:self:list"), ("十堰", "hubei_shiyan"),
    ("我在嵊泗", "zj_shengsi"), ("荆门市的", "hubei_jingmen"),
])
def test_typed_moves_inside_the_walk_through(typed, expected, live):
    assert apply_guide.navigate(typed, "hubei:self:3", live[0].guide) == expected


def test_a_question_is_not_a_move(live):
    guide = live[0].guide
    assert apply_guide.navigate("湖北省容错纠错工作办法是哪年出台的", "hubei:self:3", guide) is None
    assert apply_guide.navigate("单位", "hubei", guide) == "hubei:unit:1"


def test_unknown_states_start_over(live):
    content, dialogue, _ = live
    for bad in ("nowhere:self:1", "hubei:self:99", "hubei:robot:2", "::", "x" * 300):
        reply = apply_guide.reply(bad, content.guide, content, dialogue)
        assert reply.kind == "apply"
    assert apply_guide.reply("hubei:self:99", content.guide, content, dialogue).extra["stage"] == "aftercare"


def _parse(text: str, intent: str, entities=()):
    return {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": list(entities),
            "intent_ranking": [], "response_selector": {"faq": {"ranking": []}}}


def test_how_to_apply_and_its_buttons_lead_through_respond(live):
    content, dialogue, questionnaire = live
    [opened] = responding.respond(_parse("/how_to_apply", "how_to_apply"), content, dialogue, questionnaire)
    # the general first step, then the places of the walk-through
    assert opened.kind == "procedure" and opened.faq_id == "apply_how_start" and opened.extra["milestone"] == "apply_opened"
    assert opened.buttons[0].payload.startswith("/apply_guide") and opened.text.endswith(content.guide.text("pick_place"))
    [step] = responding.respond(_parse('/apply_guide{"guide":"hubei:self:2"}', "apply_guide",
                                       [{"entity": "guide", "value": "hubei:self:2"}]), content, dialogue, questionnaire)
    assert step.extra["stage"] == "receive"
    context = responding.Context(kind="apply", guide="hubei:self:2")
    [moved] = responding.respond(_parse("下一步", "nlu_fallback"), content, dialogue, questionnaire, context)
    assert moved.extra["guide"] == "hubei:self:3"
    [place] = responding.respond(_parse("我在十堰，怎么申请容错", "how_to_apply"), content, dialogue, questionnaire)
    assert place.kind == "apply" and place.extra["guide"] == "hubei_shiyan"


def test_answers_about_applying_offer_the_walk_through(live):
    from bot.answering import faq_reply

    content, dialogue, _ = live
    faq = content.faq_by_id()
    answer = faq_reply(faq["apply_to_whom"], content, dialogue, 1.0)
    assert answer.buttons[0].title == dialogue.text("guide_button") and answer.buttons[0].payload.startswith("/apply_guide")
    other = faq_reply(faq["concept_what_is"], content, dialogue, 1.0)
    assert all(not b.payload.startswith("/apply_guide") for b in other.buttons)


# ---- the content checks: errors at file:line ----

@pytest.fixture
def copy_tree(tmp_path):
    """A copy of the shipped content that a test may break."""
    for folder in ("faq", "knowledge"):
        shutil.copytree(PROJECT_ROOT / folder, tmp_path / folder)
    shutil.copytree(PROJECT_ROOT / "rasa_project" / "data" / "nlu", tmp_path / "rasa_project" / "data" / "nlu")
    return tmp_path


def _problems(root: Path):
    from bot.content import validate

    _, problems = validate(root)
    return [str(p) for p in problems if p.is_error]


def _edit(path: Path, old: str, new: str) -> int:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def test_shipped_guide_is_clean(live):
    content, _, questionnaire = live
    guide, problems = load_guide(PROJECT_ROOT, content, questionnaire)
    assert guide is not None and not [p for p in problems if p.is_error]


@pytest.mark.parametrize("file,old,new,message", [
    ("guide.yml", "overview: [pr_shiyan_xianning_six_steps]", "overview: [pr_nowhere]", "'pr_nowhere' is not a knowledge item"),
    ("guide.yml", "    parent: hubei\n    aliases: [十堰", "    parent: hebei\n    aliases: [十堰", "parent 'hebei' is not a place"),
    ("guide.yml", "      review: [pr_shengsi_seven_steps.pr_ss_review]", "      appeal: [pr_shengsi_seven_steps.pr_ss_review]",
     "unknown stage 'appeal'"),
    ("guide.yml", "    screening: zhoushan", "    screening: zhejiang", "has no option 'zhejiang'"),
    ("checklist.yml", "    when: {dissent: [objected]}", "    when: {dissent: [loudly]}", "question 'dissent' has no option 'loudly'"),
    ("checklist.yml", "    name: 证明材料（工作依据、请示批复、会议记录或纪要、当时的文件）\n    required: false",
     "    name: 证明材料（工作依据、请示批复、会议记录或纪要、当时的文件）\n    required: true", "needs a rule"),
    ("draft.yml", "text: \"{date}，{account}\"", "text: \"{date}，{story}\"", "unknown placeholder(s) {story}"),
])
def test_broken_guide_files_are_reported_at_their_line(copy_tree, file, old, new, message):
    line = _edit(copy_tree / "knowledge" / "apply" / file, old, new)
    problems = [p for p in _problems(copy_tree) if f"knowledge/apply/{file}" in p]
    assert any(message in p for p in problems), problems
    if "parent" not in message:  # the parent check points at the places list
        changed = line + new.count("\n")  # the line of the edit's last line
        assert any(f"knowledge/apply/{file}:{changed}" in p for p in problems), (changed, problems)


def test_a_yaml_syntax_error_names_its_line_and_the_bot_keeps_the_last_good_guide(copy_tree):
    source = LiveContent(copy_tree)
    content, _ = source.get()
    assert content.guide is not None
    path = copy_tree / "knowledge" / "apply" / "guide.yml"
    line = _edit(path, "  - id: hubei_jingmen\n", "  - id: [hubei_jingmen\n")
    assert any(f"knowledge/apply/guide.yml:{line + 1}" in p or f"knowledge/apply/guide.yml:{line}" in p
               for p in _problems(copy_tree))
    again, _ = source.get()
    assert again.guide is not None and again.guide.place("hubei_jingmen") is not None


def test_an_edit_takes_effect_without_retraining(copy_tree):
    source = LiveContent(copy_tree)
    content, dialogue = source.get()
    _edit(copy_tree / "knowledge" / "apply" / "guide.yml", "title: 向谁提出申请", "title: 申请交给谁")
    content, dialogue = source.get()
    assert "申请交给谁" in apply_guide.reply("hubei:self:2", content.guide, content, dialogue).text
