"""The content loader and validator on good and broken trees, and on the shipped content."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.config import PROJECT_ROOT, load_settings
from bot.content import load_content, validate
from conftest import PARAPHRASES_A, PARAPHRASES_B, entry, faq_file


def messages(root: Path) -> list[str]:
    _, problems = validate(root)
    return [str(p) for p in problems]


def test_good_tree_loads_typed_records(make_tree):
    content, problems = load_content(make_tree())
    assert problems == []
    assert [e.id for e in content.faq] == ["basics_what", "basics_materials"]
    what = content.faq_by_id()["basics_what"]
    assert what.topic == "basics" and what.location.path == "faq/basics.yml" and what.location.line == 4
    assert what.paraphrases[0] == "容错是什么意思0" and what.related == ("basics_materials",)
    principle = content.items_by_id()["three_distinctions"]
    assert principle.parts[0].name == "第一个区分" and "明知故犯" in principle.full_text()
    assert content.cases[0].six_looks == {"motive": "出于公心"}
    assert content.sources["seed_a"].citation() == "《测试文件甲》（测试机关）"


def test_out_of_scope_examples_come_from_the_rasa_nlu_data(make_tree):
    nlu = 'version: "3.1"\nnlu:\n  - intent: greet\n    examples: |\n      - 你好\n' \
          '  - intent: out_of_scope\n    examples: |\n      - 公积金怎么取\n      - 明天下雨吗\n'
    content, problems = load_content(make_tree({"rasa_project/data/nlu/base.yml": nlu}))
    assert problems == [] and content.out_of_scope == ("公积金怎么取", "明天下雨吗")


def test_broken_nlu_file_is_a_problem_not_a_crash(make_tree):
    content, problems = load_content(make_tree({"rasa_project/data/nlu/base.yml": "nlu: [unclosed\n"}))
    assert content.out_of_scope == () and [p.path for p in problems] == ["rasa_project/data/nlu/base.yml"]


def test_wording_file_is_checked(make_tree):
    assert messages(make_tree({"knowledge/wording.yml": "replace:\n  容措: 容错\n"})) == []
    assert messages(make_tree({"knowledge/wording.yml": "replace: [容措]\n"})) == [
        "knowledge/wording.yml: expected a mapping 'replace:' of written form -> standard form"]


def test_dialect_characters_and_typos_are_normalised():
    from bot.text import normalize

    assert normalize("上頭叫我做嘅 出咗事 我有冇責任") == "上头叫我做的 出了事 我有没有责任"
    assert normalize("容措申清") == "容错申请"
    assert normalize("什么样的错 我么样办") == "什么样的错 我怎么样办"  # 什么样 is protected


def test_good_tree_is_clean(make_tree):
    assert messages(make_tree()) == []


def test_missing_field_names_file_line_and_entry(make_tree):
    broken = faq_file(entries=entry("basics_what", "问题？", PARAPHRASES_A).replace("    answer: 这是回答。\n", ""))
    assert messages(make_tree({"faq/basics.yml": broken})) == ["faq/basics.yml:4: entry basics_what: missing 'answer'"]


def test_unknown_field_suggests_the_right_name(make_tree):
    broken = faq_file().replace("    sources: [seed_a]\n", "    sources: [seed_a]\n    relatd: [basics_what]\n", 1)
    assert "faq/basics.yml:19: entry basics_what: unknown field 'relatd' (did you mean 'related'?)" in messages(make_tree({"faq/basics.yml": broken}))


def test_wrong_type(make_tree):
    broken = faq_file().replace("    answer: 这是回答。", "    answer: [一, 二]", 1)
    assert messages(make_tree({"faq/basics.yml": broken})) == ["faq/basics.yml:17: entry basics_what: 'answer' must be text, got a list"]


def test_bad_id(make_tree):
    broken = faq_file().replace("basics_what", "Basics-What")
    assert "faq/basics.yml:4: entry Basics-What: id 'Basics-What' must be lower-case ASCII snake_case, 1-40 characters" in messages(make_tree({"faq/basics.yml": broken}))


def test_duplicate_id_across_faq_and_knowledge(make_tree):
    broken = faq_file().replace("basics_materials", "three_distinctions")
    assert "knowledge/principles.yml:3: entry three_distinctions: duplicate id (also at faq/basics.yml:20)" in messages(make_tree({"faq/basics.yml": broken}))


def test_dangling_source_and_related(make_tree):
    broken = faq_file().replace("sources: [seed_a]\n    related: [basics_materials]", "sources: [seed_x]\n    related: [nowhere]")
    found = messages(make_tree({"faq/basics.yml": broken}))
    assert "faq/basics.yml:4: entry basics_what: unknown source 'seed_x' (not in knowledge/sources.yml)" in found
    assert "faq/basics.yml:4: entry basics_what: related id 'nowhere' does not exist" in found


def test_same_paraphrase_in_two_entries_even_in_traditional_characters(make_tree):
    shared = PARAPHRASES_B[:9] + ["容錯是什麼意思0！"]
    broken = faq_file(entries=entry("basics_what", "问题一？", PARAPHRASES_A) + entry("basics_materials", "问题二？", shared))
    assert messages(make_tree({"faq/basics.yml": broken})) == [
        "faq/basics.yml:19: entry basics_materials: paraphrase '容錯是什麼意思0！' also belongs to entry basics_what (faq/basics.yml:4)"
    ]


def test_near_identical_paraphrases_are_warnings(make_tree):
    near = PARAPHRASES_B[:9] + ["容错是什么意思啊0"]
    root = make_tree({"faq/basics.yml": faq_file(entries=entry("basics_what", "问题一？", PARAPHRASES_A) + entry("basics_materials", "问题二？", near))})
    _, problems = validate(root)
    assert len(problems) == 1 and not problems[0].is_error
    assert "nearly the same as '容错是什么意思0' of entry basics_what" in str(problems[0])


def test_over_long_answer_and_too_few_paraphrases(make_tree):
    broken = faq_file(entries=entry("basics_what", "问题？", PARAPHRASES_A[:3], answer="长" * 401))
    assert messages(make_tree({"faq/basics.yml": broken})) == [
        "faq/basics.yml:4: entry basics_what: answer too long: 401 characters (at most 400)",
        "faq/basics.yml:4: entry basics_what: only 3 paraphrases (at least 10)",
    ]


def test_malformed_yaml_is_one_readable_line(make_tree):
    broken = "topic: basics\ntitle: 基础\nentries:\n  - id: basics_what\n    question: [未闭合\n"
    found = messages(make_tree({"faq/basics.yml": broken}))
    # the line where the bracket was opened, not the end of the file where it was noticed
    assert len(found) == 1 and found[0].startswith("faq/basics.yml:5: YAML syntax error:") and "[未闭合" in found[0]


def test_binary_and_non_utf8_files(make_tree):
    found = messages(make_tree({"faq/basics.yml": b"\x00\x01\x02", "faq/other.yml": "title: 其他\nentries: []\n".encode("gbk") + "问题".encode("gbk")}))
    assert "faq/basics.yml: binary file, expected UTF-8 YAML text" in found
    assert "faq/other.yml:1: not UTF-8 text (save the file as UTF-8)" in found


def test_duplicate_key_and_wrong_top_level(make_tree):
    broken = faq_file().replace("    answer: 这是回答。\n", "    answer: 这是回答。\n    answer: 另一个回答。\n", 1)
    found = messages(make_tree({"faq/basics.yml": broken, "faq/list.yml": "- 只是一个列表\n"}))
    assert "faq/basics.yml:18: entry basics_what: field 'answer' is given twice" in found
    assert "faq/list.yml:1: the file must be a mapping with 'entries:' at the top, got a list" in found


def test_topic_must_match_file_name(make_tree):
    found = messages(make_tree({"faq/basics.yml": faq_file(topic="other")}))
    assert found == ["faq/basics.yml:1: topic 'other' must match the file name 'basics'"]


def test_knowledge_kind_case_outcome_and_file_name(make_tree):
    found = messages(make_tree({
        "knowledge/principles.yml": "title: 原则\nitems:\n  - id: p1\n    kind: rumour\n    name: 名\n    text: 文\n    sources: [seed_a]\n",
        "knowledge/cases/case_demo.yml": "id: case_other\nname: 名\nfacts: 事实\noutcome: forgiven\noutcome_text: 结果\nsources: [seed_a]\nsix_looks:\n  mood: 好\n",
    }))
    assert "knowledge/principles.yml:4: entry p1: kind 'rumour' must be one of principle, definition, criterion, finding in principles.yml" in found
    assert "knowledge/cases/case_demo.yml:1: entry case_other: case id must match the file name 'case_demo'" in found
    assert "knowledge/cases/case_demo.yml:4: entry case_other: outcome 'forgiven' must be one of likely_tolerable, possibly_mitigated, not_tolerable, needs_review" in found
    assert "knowledge/cases/case_demo.yml:8: entry case_other: six_looks key 'mood' must be one of nature, basis, motive, process, consequence, attitude" in found


def test_missing_sources_file(make_tree, tmp_path):
    root = make_tree()
    (root / "knowledge/sources.yml").unlink()
    found = messages(root)
    assert "knowledge/sources.yml: file is missing: every answer must cite a source" in found


def test_source_file_must_exist_in_seeds(make_tree, tmp_path):
    root = make_tree({"knowledge/sources.yml": "sources:\n  - {id: seed_a, title: 甲, issuer: 乙, tier: primary, file: seeds/nope.txt}\n"})
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    _, problems = validate(root, seeds)
    assert [str(p) for p in problems] == [f"knowledge/sources.yml:2: entry seed_a: file 'seeds/nope.txt' not found in {seeds}"]


def test_dialogue_names_existing_faq_ids_and_has_its_texts(make_tree):
    from conftest import DIALOGUE

    found = messages(make_tree({"knowledge/dialogue.yml": DIALOGUE.replace("topic_buttons: []", "topic_buttons: [basics_what, nowhere]")}))
    assert found == ["knowledge/dialogue.yml: FAQ id 'nowhere' does not exist"]
    found = messages(make_tree({"knowledge/dialogue.yml": DIALOGUE.replace('  help: "我可以回答问题。"\n', "")}))
    assert found == ["knowledge/dialogue.yml: texts: missing help"]
    found = messages(make_tree({"knowledge/dialogue.yml": DIALOGUE + "procedure_entries: [basics_materials, gone]\n"}))
    assert found == ["knowledge/dialogue.yml: FAQ id 'gone' does not exist"]


def test_cli_exit_codes(make_tree):
    runner = CliRunner()
    root = make_tree()
    result = runner.invoke(cli, ["--root", str(root), "validate"])
    assert result.exit_code == 0, result.output
    assert result.output.endswith("2 FAQ entries in 1 topics (20 paraphrases), 1 knowledge items, 1 cases, 1 sources: 0 errors, 0 warnings\n")
    broken = make_tree({"faq/basics.yml": "entries: [\n"})
    result = runner.invoke(cli, ["--root", str(broken), "validate"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith("faq/basics.yml:2: YAML syntax error:")


def test_cli_strict_fails_on_warnings(make_tree):
    near = PARAPHRASES_B[:9] + ["容错是什么意思啊0"]
    root = make_tree({"faq/basics.yml": faq_file(entries=entry("basics_what", "问题一？", PARAPHRASES_A) + entry("basics_materials", "问题二？", near))})
    assert CliRunner().invoke(cli, ["--root", str(root), "validate"]).exit_code == 0
    assert CliRunner().invoke(cli, ["--root", str(root), "validate", "--strict"]).exit_code == 1


# ---- the shipped content ----

@pytest.fixture(scope="module")
def shipped():
    settings = load_settings(PROJECT_ROOT)
    return validate(settings.root, settings.seeds_dir)


def test_shipped_content_validates_cleanly(shipped):
    _, problems = shipped
    assert [str(p) for p in problems] == []


def test_shipped_faq_size_and_coverage(shipped):
    content, _ = shipped
    assert len(content.faq) >= 80
    assert all(len(e.paraphrases) >= 10 for e in content.faq)
    topics = {t.id for t in content.topics}
    assert {"concept", "scope", "excluded", "apply", "decision", "results", "clarify", "local", "myths", "about_bot"} <= topics


def test_shipped_knowledge_covers_the_sources(shipped):
    content, _ = shipped
    items = content.items_by_id()
    looks = items["six_looks"] if "six_looks" in items else next(i for i in content.items if i.name.startswith("六看"))
    assert len(looks.parts) == 6
    counts = {(i.region, i.kind): i.count for i in content.items if i.count}
    assert {8, 4, 3} <= set(counts.values())
    case_outcomes = {c.id: c.outcome for c in content.cases}
    assert "not_tolerable" in case_outcomes.values() and "likely_tolerable" in case_outcomes.values()
    figures = " ".join(i.value for i in content.items if i.kind == "figure")
    for number in ("70115", "14406", "503"):
        assert number in figures


# ---- statuses and rests_on ----

STATUSES_YML = """\
statuses:
  rule: {label: 现行规定}
  practice: {label: 地方做法}
  recommendation:
    label: 调研建议
    needs_marker: true
    markers: [建议, 提出, 调研报告认为]
  proposal:
    label: 设想
    needs_marker: true
    markers: [设想, 建议]
ignore: [提出申请]
"""

RECOMMENDATION = """\
title: 原则
items:
  - id: three_distinctions
    kind: principle
    status: rule
    name: 三个区分开来
    text: 把失误和错误区分开来。
    sources: [seed_a]
  - id: rec_promotion
    kind: principle
    status: recommendation
    name: 免责干部提拔免予一票否决
    text: 对确定免责的干部，在提拔任用党风廉政审查中免予一票否决。
    parts:
      - id: rec_mitigated
        name: 减责的
        text: 对确定减责的，具体说明在干部选任中存在的影响及时限。
      - id: rec_practice
        name: 已有做法
        status: practice
        text: 影响期结束后在干部选拔任用上不受影响。
    sources: [seed_a]
"""


def status_messages(root: Path) -> list[str]:
    """Problems of the status checks' trees (the dialogue file is another test's concern)."""
    return [m for m in messages(root) if not m.startswith("knowledge/dialogue.yml")]


def status_tree(make_tree, answer: str, rests_on: str = "[rec_promotion]"):
    """A tree with knowledge/statuses.yml whose first FAQ entry rests on ``rests_on``."""
    first = entry("basics_what", "问题？", PARAPHRASES_A, answer=answer).replace(
        "    sources: [seed_a]\n", f"    sources: [seed_a]\n    rests_on: {rests_on}\n")
    second = entry("basics_materials", "问题二？", PARAPHRASES_B).replace(
        "    sources: [seed_a]\n", "    sources: [seed_a]\n    rests_on: [three_distinctions]\n")
    return make_tree({"knowledge/statuses.yml": STATUSES_YML, "knowledge/principles.yml": RECOMMENDATION,
                      "faq/basics.yml": faq_file(entries=first + second)})


def test_statuses_and_rests_on_load(make_tree):
    content, problems = load_content(status_tree(make_tree, "这是回答。"))
    assert problems == []
    item = content.items_by_id()["rec_promotion"]
    assert item.status == "recommendation" and item.status_of(item.part("rec_practice")) == "practice"
    assert content.faq_by_id()["basics_what"].rests_on == ("rec_promotion",)


def test_recommendation_stated_as_practice_fails_with_file_and_line(make_tree):
    found = status_messages(status_tree(make_tree, "确定免责的干部，提拔任用党风廉政审查中免予一票否决。"))
    assert found == [
        "faq/basics.yml:17: entry basics_what: rests on rec_promotion (调研建议) but the sentence stating it "
        "does not say so: 「确定免责的干部，提拔任用党风廉政审查中免予一票否决。」 needs one of 建议、提出、调研报告认为…"
    ]


def test_recommendation_with_a_marker_in_its_own_sentence_passes(make_tree):
    assert status_messages(status_tree(make_tree, "嵊泗县的报告建议：确定免责的干部，提拔任用党风廉政审查中免予一票否决。")) == []
    # a lead-in line with a marker covers the numbered list under it
    listed = "|\n      调研报告认为：\n      1. 确定免责的干部，提拔任用党风廉政审查中免予一票否决；\n      2. 其他。"
    assert status_messages(status_tree(make_tree, listed)) == []


def test_marker_in_another_sentence_does_not_rescue_it(make_tree):
    answer = "建议先问清本地办法。确定免责的干部，提拔任用党风廉政审查中免予一票否决。"
    found = status_messages(status_tree(make_tree, answer))
    assert len(found) == 1 and "rests on rec_promotion (调研建议)" in found[0]
    # nor does a marker word used in another sense (提出申请) in the same sentence
    found = status_messages(status_tree(make_tree, "本人提出申请后，确定免责的干部，提拔任用党风廉政审查中免予一票否决。"))
    assert len(found) == 1


def test_a_practice_part_needs_no_marker(make_tree):
    assert status_messages(status_tree(make_tree, "影响期结束后在干部选拔任用上不受影响。", "[rec_promotion.rec_practice]")) == []


def test_missing_status_rests_on_and_unknown_ids(make_tree):
    root = status_tree(make_tree, "这是回答。", "[nowhere, rec_promotion.no_part]")
    principles = (root / "knowledge/principles.yml").read_text(encoding="utf-8")
    (root / "knowledge/principles.yml").write_text(principles.replace("    status: rule\n", "").replace(
        "    status: recommendation\n", "    status: advice\n"), encoding="utf-8")
    faq = (root / "faq/basics.yml").read_text(encoding="utf-8")
    (root / "faq/basics.yml").write_text(faq.replace("    rests_on: [three_distinctions]\n", ""), encoding="utf-8")
    found = status_messages(root)
    assert "faq/basics.yml:4: entry basics_what: rests_on 'nowhere' is not a knowledge item, item.part or case" in found
    assert "faq/basics.yml:4: entry basics_what: rests_on 'rec_promotion.no_part' is not a knowledge item, item.part or case" in found
    assert "faq/basics.yml:20: entry basics_materials: missing 'rests_on' (the knowledge items the answer rests on)" in found
    assert "knowledge/principles.yml:3: entry three_distinctions: missing 'status' (one of rule, practice, recommendation, proposal)" in found
    assert "knowledge/principles.yml:10: entry rec_promotion: status 'advice' must be one of rule, practice, recommendation, proposal" in found


def test_shipped_items_have_statuses_and_entries_rest_on_items(shipped):
    content, _ = shipped
    assert all(item.status for item in content.items)
    assert all(entry.rests_on is not None for entry in content.faq)
    statuses = {item.status for item in content.items}
    assert {"rule", "practice", "recommendation", "proposal"} <= statuses
