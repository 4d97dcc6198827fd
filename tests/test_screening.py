"""The screening engine on a small questionnaire (every rule path) and on the shipped one."""

from __future__ import annotations

import pytest

from bot.screening import assess, clean_answers, load_questionnaire, next_question, what_would_change

MINI = """\
title: 自查
intro: 开始
disclaimer: 仅供参考
outcomes:
  likely_tolerable: {title: 可能可以容错, text: 甲}
  possibly_mitigated: {title: 可能减责, text: 乙}
  not_tolerable: {title: 不能容错, text: 丙}
  needs_review: {title: 需要有权机关判断, text: 丁}
next_steps: []
questions:
  - id: gain
    text: 有没有谋取私利？
    help: 私利是红线
    look: motive
    options: [{id: "no", label: 没有}, {id: "yes", label: 有}, {id: unsure, label: 说不清}]
  - id: decision
    text: 怎么决定的？
    help: 看决策过程
    look: process
    options: [{id: collective, label: 集体研究}, {id: alone, label: 个人决定}]
  - id: dissent
    text: 您提出过反对意见吗？
    help: 问责条例第十七条
    look: process
    ask_if: {decision: [collective]}
    options: [{id: "yes", label: 提过}, {id: "no", label: 没有}]
  - id: loss
    text: 损失挽回了吗？
    help: 看后果
    look: consequence
    options: [{id: recovered, label: 挽回了}, {id: not, label: 没有}, {id: unsure, label: 不清楚}]
rules:
  - {id: r_gain, when: {gain: ["yes"]}, effect: exclude, finding: 谋私不能容错, clause: 区分开来, sources: [seed_a]}
  - {id: r_gain_unsure, when: {gain: [unsure]}, effect: uncertain, finding: 私利不清, clause: 条款, sources: [seed_a]}
  - {id: r_public, when: {gain: ["no"]}, effect: positive, finding: 出于公心, clause: 条款, sources: [seed_a]}
  - {id: r_collective, when: {decision: [collective]}, effect: positive, finding: 集体决策, clause: 条款, sources: [seed_a]}
  - {id: r_dissent, when: {dissent: ["yes"]}, effect: positive, finding: 提过反对, clause: 第十七条, sources: [seed_a]}
  - {id: r_alone_loss, when: {decision: [alone], loss: ["not"]}, effect: mitigate, finding: 个人决定且未挽回, clause: 条款, sources: [seed_a]}
  - {id: r_loss_unsure, when: {loss: [unsure]}, effect: uncertain, finding: 后果不清, clause: 条款, sources: [seed_a]}
actions:
  - {id: a_correct, text: 及时纠正, sources: [seed_a]}
  - {id: a_keep_record, when: {dissent: ["yes"]}, text: 保留反对意见的记录, sources: [seed_a]}
  - {id: a_remedy, when: {loss: ["not", unsure]}, text: 尽快挽回损失, sources: [seed_a]}
decide:
  - {outcome: not_tolerable, any: exclude}
  - {outcome: needs_review, at_least: {uncertain: 2}}
  - {outcome: possibly_mitigated, any: mitigate}
  - {outcome: likely_tolerable, at_least: {positive: 2}}
  - {outcome: needs_review}
"""


def line_of(text: str) -> int:
    """The line of MINI that holds ``text`` (1-based)."""
    return next(n for n, line in enumerate(MINI.splitlines(), start=1) if text in line)


@pytest.fixture
def mini(make_tree):
    root = make_tree({"knowledge/screening.yml": MINI})
    questionnaire, problems = load_questionnaire(root)
    assert problems == [] and questionnaire is not None
    return questionnaire


def test_questions_in_order_with_skip_conditions(mini):
    assert next_question(mini, {}).id == "gain"
    assert next_question(mini, {"gain": "no"}).id == "decision"
    assert next_question(mini, {"gain": "no", "decision": "collective"}).id == "dissent"
    assert next_question(mini, {"gain": "no", "decision": "alone"}).id == "loss"
    assert next_question(mini, {"gain": "no", "decision": "alone", "loss": "recovered"}) is None


def test_an_edit_drops_answers_that_no_longer_apply(mini):
    answers = {"gain": "no", "decision": "alone", "dissent": "yes", "loss": "recovered", "junk": "x"}
    assert clean_answers(mini, answers) == {"gain": "no", "decision": "alone", "loss": "recovered"}


@pytest.mark.parametrize("answers, outcome", [
    ({"gain": "no", "decision": "collective", "dissent": "yes", "loss": "recovered"}, "likely_tolerable"),
    ({"gain": "yes", "decision": "collective", "dissent": "yes", "loss": "recovered"}, "not_tolerable"),  # exclusion first
    ({"gain": "unsure", "decision": "alone", "loss": "unsure"}, "needs_review"),
    ({"gain": "no", "decision": "alone", "loss": "not"}, "possibly_mitigated"),
    ({"gain": "no", "decision": "alone", "loss": "recovered"}, "needs_review"),  # one positive only: default
    ({"gain": "yes", "decision": "alone", "loss": "not"}, "not_tolerable"),  # exclusion beats mitigation
])
def test_every_decide_path(mini, answers, outcome):
    assert assess(mini, answers).outcome == outcome


def test_assessment_is_explained(mini, make_tree):
    from bot.content import load_content

    result = assess(mini, {"gain": "yes", "decision": "collective", "dissent": "yes", "loss": "recovered"})
    assert [r.id for r in result.decisive] == ["r_gain"]
    assert result.title == "不能容错" and result.disclaimer == "仅供参考"
    motive = next(row for row in result.looks if row.look == "motive")
    assert motive.answers == (("有没有谋取私利？", "有"),) and motive.effect == "exclude"
    assert result.changes[0] == "如果“有没有谋取私利？”的回答是“没有”，初步结果会变为：可能可以容错"
    assert [row.name for row in result.looks][:2] == ["一看问题性质", "二看工作依据"]


def test_assessment_is_deterministic(mini):
    answers = {"gain": "no", "decision": "alone", "loss": "not"}
    assert assess(mini, answers) == assess(mini, dict(reversed(list(answers.items()))))


def test_similar_cases(mini, make_tree):
    from bot.content import load_content

    root = make_tree({"knowledge/screening.yml": MINI, "knowledge/cases/case_demo.yml": (
        "id: case_demo\nname: 示例\nfacts: 事实\noutcome: likely_tolerable\noutcome_text: 容错\nsources: [seed_a]\n"
        "answers: {gain: \"no\", decision: collective}\n")})
    content, _ = load_content(root)
    result = assess(mini, {"gain": "no", "decision": "collective", "dissent": "no", "loss": "recovered"}, content.cases)
    [similar] = result.cases
    assert similar.case.id == "case_demo" and similar.shared == ("没有", "集体研究")


@pytest.mark.parametrize("change, message", [
    (("ask_if: {decision: [collective]}", "ask_if: {loss: [recovered]}"),
     "ask_if names 'loss', which is not an earlier question: the question is unreachable"),
    (("ask_if: {decision: [collective]}", "ask_if: {decision: [group]}"),
     "ask_if: 'decision' has no option 'group': the question is unreachable"),
    (("when: {loss: [unsure]}", "when: {losses: [unsure]}"), "when: unknown question 'losses': the rule can never fire"),
    (("when: {decision: [alone], loss: [\"not\"]}", "when: {decision: [alone], dissent: [\"yes\"]}"),
     "this rule can never fire (its conditions never hold together on an answer path)"),
    (("effect: mitigate", "effect: forgive"), "effect 'forgive' must be one of exclude, mitigate, positive, uncertain"),
    (('{id: "no", label: 没有}, {id: "yes", label: 有}, {id: unsure', '{id: no, label: 没有}, {id: "yes", label: 有}, {id: unsure'),
     "an option id reads as yes/no: quote it (\"yes\", \"no\")"),
])
def test_validation_errors(make_tree, change, message):
    old, new = change
    assert old in MINI
    root = make_tree({"knowledge/screening.yml": MINI.replace(old, new, 1)})
    _, problems = load_questionnaire(root)
    assert message in [p.message for p in problems], [str(p) for p in problems]


def test_for_and_against_tolerance_from_the_fired_rules(mini):
    result = assess(mini, {"gain": "no", "decision": "alone", "loss": "not"})
    assert [r.id for r in result.for_tolerance] == ["r_public"]
    assert [r.id for r in result.against_tolerance] == ["r_alone_loss"]
    result = assess(mini, {"gain": "yes", "decision": "alone", "loss": "unsure"})
    assert result.for_tolerance == () and [r.id for r in result.against_tolerance] == ["r_gain", "r_loss_unsure"]


def test_what_would_change_in_both_directions(mini):
    result = assess(mini, {"gain": "no", "decision": "alone", "loss": "not"})  # possibly_mitigated
    assert result.better == ("如果“怎么决定的？”的回答是“集体研究”，初步结果会变为：可能可以容错",)
    assert result.worse == ("如果“有没有谋取私利？”的回答是“有”，初步结果会变为：不能容错",
                            "如果“损失挽回了吗？”的回答是“挽回了”，初步结果会变为：需要有权机关判断")
    assert result.changes == result.better + result.worse
    best = assess(mini, {"gain": "no", "decision": "collective", "dissent": "yes", "loss": "recovered"})
    assert best.better == () and best.worse
    worst = assess(mini, {"gain": "yes", "decision": "alone", "loss": "not"})
    assert worst.worse == () and worst.better


def test_actions_follow_their_conditions(mini):
    ids = lambda answers: [a.id for a in assess(mini, answers).actions]  # noqa: E731
    assert ids({"gain": "no", "decision": "collective", "dissent": "yes", "loss": "recovered"}) == ["a_correct", "a_keep_record"]
    assert ids({"gain": "no", "decision": "alone", "loss": "unsure"}) == ["a_correct", "a_remedy"]
    assert mini.actions[1].sources == ("seed_a",) and mini.actions[1].line > 0


@pytest.mark.parametrize("change, message", [
    (("{id: a_remedy, when: {loss: [\"not\", unsure]}", "{id: a_remedy, when: {losses: [unsure]}"),
     "when: unknown question 'losses': the action is never shown"),
    (("{id: a_remedy, when: {loss: [\"not\", unsure]}", "{id: a_remedy, when: {loss: [gone]}"),
     "when: question 'loss' has no option 'gone'"),
    (("text: 尽快挽回损失, sources: [seed_a]", "text: 尽快挽回损失, sources: [seed_zz]"),
     "unknown source 'seed_zz' (not in knowledge/sources.yml)"),
    (("text: 尽快挽回损失, sources: [seed_a]", "text: 尽快挽回损失, sources: []"), "an action must cite 'sources'"),
    (("{id: a_remedy,", "{id: a_correct,"), f"duplicate action id (first at line {line_of('id: a_correct')})"),
    (("{id: a_remedy, when: {loss: [\"not\", unsure]}", "{id: a_remedy, when: {decision: [alone], dissent: [\"yes\"]}"),
     "this action is never shown (its conditions never hold together on an answer path)"),
])
def test_action_validation_names_the_line(make_tree, change, message):
    from bot.content import load_content

    old, new = change
    assert old in MINI, old
    root = make_tree({"knowledge/screening.yml": MINI.replace(old, new, 1)})
    content, _ = load_content(root)
    _, problems = load_questionnaire(root, content)
    matching = [p for p in problems if p.message == message]
    assert matching, [str(p) for p in problems]
    assert str(matching[0]).startswith(f"knowledge/screening.yml:{line_of('id: a_remedy')}: ")  # the action's own line


@pytest.mark.parametrize("texts, message", [
    ("texts: {actions_title: 能做的}", "texts: unknown text 'actions_title'"),
    ("texts: {prefill_mark: \"✓ {option}\"}", "texts: 'prefill_mark' uses {option}; it may use only {label}"),
    ("texts: {change: \"如果 {question\"}", "texts: 'change' has a broken placeholder"),
])
def test_texts_are_checked(make_tree, texts, message):
    root = make_tree({"knowledge/screening.yml": MINI + texts + "\n"})
    _, problems = load_questionnaire(root)
    assert any(p.message.startswith(message) and p.line == MINI.count("\n") + 1 for p in problems), [str(p) for p in problems]


def test_texts_reword_the_interface(make_tree):
    root = make_tree({"knowledge/screening.yml": MINI + "texts:\n  change: \"改成“{option}”就是：{outcome}\"\n"})
    questionnaire, problems = load_questionnaire(root)
    assert problems == []
    result = assess(questionnaire, {"gain": "no", "decision": "alone", "loss": "not"})
    assert result.better == ("改成“集体研究”就是：可能可以容错",)


def test_unreachable_outcome_is_reported(make_tree):
    root = make_tree({"knowledge/screening.yml": MINI.replace("  - {outcome: possibly_mitigated, any: mitigate}\n", "")})
    _, problems = load_questionnaire(root)
    assert "outcome 'possibly_mitigated' is never reached by any answers" in [p.message for p in problems]


def test_bad_yaml_is_one_line(make_tree):
    root = make_tree({"knowledge/screening.yml": "questions: [\n"})
    questionnaire, problems = load_questionnaire(root)
    assert questionnaire is None and str(problems[0]).startswith("knowledge/screening.yml:2: YAML syntax error")


def test_what_would_change_is_empty_when_nothing_changes_the_outcome(mini):
    answers = {"gain": "yes", "decision": "alone", "loss": "not"}
    changes = what_would_change(mini, answers, "not_tolerable")
    assert all("谋取私利" in c for c in changes)


# ---- the shipped questionnaire ----

import yaml  # noqa: E402

from bot.config import PROJECT_ROOT  # noqa: E402
from bot.content.live import LiveContent  # noqa: E402

SCENARIOS = yaml.safe_load((PROJECT_ROOT / "tests" / "screening_scenarios.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def shipped():
    live = LiveContent(PROJECT_ROOT)
    content, dialogue = live.get()
    questionnaire = live.questionnaire()
    assert questionnaire is not None
    return questionnaire, content, dialogue


def test_published_cases_reach_their_published_outcomes(shipped):
    questionnaire, content, _ = shipped
    replayed = {c.id: assess(questionnaire, c.answers).outcome for c in content.cases if c.answers}
    assert replayed["case_li_allowance"] == "not_tolerable"
    for case_id in ("case_huang_reservoir_gate", "case_lin_lottery", "case_devzone_permit"):
        assert replayed[case_id] == "likely_tolerable"
    assert replayed == {c.id: c.outcome for c in content.cases if c.answers}


@pytest.mark.parametrize("scenario", SCENARIOS["scenarios"], ids=lambda s: s["name"])
def test_constructed_scenarios(shipped, scenario):
    questionnaire, content, _ = shipped
    answers = clean_answers(questionnaire, {**SCENARIOS["base"], **scenario["change"]})
    assert next_question(questionnaire, answers) is None, "the scenario must answer every question it is asked"
    assert assess(questionnaire, answers, content.cases).outcome == scenario["expect"]


def test_scenarios_cover_all_outcomes():
    assert len(SCENARIOS["scenarios"]) >= 20
    assert {s["expect"] for s in SCENARIOS["scenarios"]} == {"likely_tolerable", "possibly_mitigated", "not_tolerable", "needs_review"}


def test_region_never_changes_the_outcome(shipped):
    questionnaire, _, _ = shipped
    region = questionnaire.question("region")
    for scenario in SCENARIOS["scenarios"]:
        outcomes = {assess(questionnaire, {**SCENARIOS["base"], **scenario["change"], "region": o.id}).outcome for o in region.options}
        assert len(outcomes) == 1, scenario["name"]


def test_result_is_explained_and_fits_one_message(shipped):
    from bot.screening_render import render_details, render_result

    questionnaire, content, dialogue = shipped
    for scenario in SCENARIOS["scenarios"]:
        result = assess(questionnaire, {**SCENARIOS["base"], **scenario["change"]}, content.cases)
        text = render_result(result, content, dialogue)
        assert len(text) <= 4096 and text.splitlines()[0].endswith(result.title)
        assert result.disclaimer in text and "依据：《" in text
        assert len(result.looks) == 6 and len(result.cases) <= 3
        assert len(render_details(result, questionnaire)) <= 4096


def test_result_weighs_both_sides_and_says_what_to_do(shipped):
    from bot.screening_render import render_result

    questionnaire, content, dialogue = shipped
    result = assess(questionnaire, {**SCENARIOS["base"], "harm": "heavy", "recovered": "partly"}, content.cases)
    assert result.outcome == "possibly_mitigated"
    assert {"r_no_private_gain", "r_reform", "r_collective"} <= {r.id for r in result.for_tolerance}
    assert [r.id for r in result.against_tolerance] == ["r_recovered", "r_harm_heavy"]
    assert result.better and result.worse
    assert {"a_correct", "a_remedy", "a_cooperate", "a_keep_dissent", "a_apply"} <= {a.id for a in result.actions}
    text = render_result(result, content, dialogue)
    order = ["有利于容错的因素：", "不利或需要核实的因素：", "什么情况下结果会不同：", "这些回答会让结果更有利：",
             "这些回答会让结果更不利：", "您现在还能做的：", "⚠️"]
    positions = [text.index(heading) for heading in order]
    assert positions == sorted(positions)
    assert "【可能减责】" in text and "【需要核实】" in text
    assert "条款：问责条例第十八条" in text  # the deciding finding keeps its clause
    remedy = next(a for a in result.actions if a.id == "a_remedy")
    assert remedy.text in text and "第十八条" in remedy.text


def test_an_exclusion_still_shows_what_speaks_for_tolerance(shipped):
    from bot.screening_render import render_result

    questionnaire, content, dialogue = shipped
    result = assess(questionnaire, {**SCENARIOS["base"], "private_gain": "yes"}, content.cases)
    assert result.outcome == "not_tolerable" and [r.id for r in result.decisive] == ["r_private_gain"]
    assert "r_reform" in {r.id for r in result.for_tolerance} and result.worse == ()
    assert any("有谋取私利" in c and "没有谋取私利" in c for c in result.better)
    assert "a_apply" not in {a.id for a in result.actions} and "a_cooperate" in {a.id for a in result.actions}
    text = render_result(result, content, dialogue)
    assert "• 【不予容错】有谋取私利的情形" in text and "改革创新、先行先试" in text


def test_red_lines_are_stated_flatly(shipped):
    questionnaire, _, _ = shipped
    exclusions = [r for r in questionnaire.rules if r.effect == "exclude"]
    assert len(exclusions) == 5
    for rule in exclusions:
        assert not any(hedge in rule.finding for hedge in ("一般", "原则上", "按资料", "可能")), rule.id
    by_id = {r.id: r for r in exclusions}
    for rule_id in ("r_private_gain", "r_knowingly", "r_prohibited"):
        assert by_id[rule_id].finding.endswith("不予容错。")
    assert "必须追究处理" in by_id["r_eight_rules"].finding and "不予容错免责或减责" in by_id["r_harm_serious"].finding


def test_every_action_cites_a_source_and_can_be_shown(shipped):
    questionnaire, content, _ = shipped
    assert len(questionnaire.actions) >= 5
    for action in questionnaire.actions:
        assert action.sources and all(s in content.sources for s in action.sources), action.id
    shown = {a.id for scenario in SCENARIOS["scenarios"]
             for a in assess(questionnaire, {**SCENARIOS["base"], **scenario["change"]}).actions}
    assert shown == {a.id for a in questionnaire.actions}


def test_similar_cases_for_an_allowance_case(shipped):
    questionnaire, content, _ = shipped
    result = assess(questionnaire, {**SCENARIOS["base"], "eight_rules": "yes"}, content.cases)
    assert result.cases and result.cases[0].case.outcome in ("not_tolerable", "likely_tolerable", "possibly_mitigated")


def test_question_count_and_median_path_length(shipped):
    import statistics

    from bot.screening import complete_paths

    questionnaire, _, _ = shipped
    lengths = [len(answers) for answers in complete_paths(questionnaire, limit=20_000)]
    assert 8 <= len(questionnaire.questions) <= 16
    assert 6 <= statistics.median(lengths) <= len(questionnaire.questions)


def test_screen_cli(tmp_path):
    from click.testing import CliRunner

    from bot.cli import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["screen", "--case", "all"])
    assert result.exit_code == 0 and "DIFFERS" not in result.output and "case_li_allowance: not_tolerable" in result.output
    answers = tmp_path / "answers.yml"
    answers.write_text("private_gain: no\nknowingly: no\nprohibited: no\neight_rules: yes\n", encoding="utf-8")
    result = runner.invoke(cli, ["screen", "--answers", str(answers), "--json"])
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(result.output)
    assert data["outcome"] == "not_tolerable" and data["decisive"] == ["r_eight_rules"]
    assert data["against_tolerance"] == ["r_eight_rules"] and "r_no_private_gain" in data["for_tolerance"]
    assert data["better_if"] and data["worse_if"] == [] and data["what_would_change"] == data["better_if"]
    actions = {a["action"]: a for a in data["actions"]}
    assert "a_correct" in actions and actions["a_cooperate"]["sources"] == ["accountability_regs_2019", "supp_hubei_epidemic_2020"]
    answers.write_text("private_gain: maybe\n", encoding="utf-8")
    result = runner.invoke(cli, ["screen", "--answers", str(answers)])
    assert result.exit_code == 1 and "unknown option(s): private_gain: maybe" in result.output
    answers.write_text("nonsense_q: no\n", encoding="utf-8")
    result = runner.invoke(cli, ["screen", "--answers", str(answers)])
    assert result.exit_code == 1 and "unknown question id(s): nonsense_q" in result.output
    answers.write_bytes(b"\xff\xfe\x00bad")
    result = runner.invoke(cli, ["screen", "--answers", str(answers)])
    assert result.exit_code == 1 and "Traceback" not in result.output
