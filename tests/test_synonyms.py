"""knowledge/synonyms.yml: everyday wording mapped to the FAQ's terms for the matchers."""

from __future__ import annotations

import dataclasses

from bot.content import load_content, validate
from bot.content.synonyms import Synonyms, parse_synonyms
from bot.retrieval import FaqClassifier
from conftest import entry, faq_file


def test_expand_adds_the_standard_term_once_and_keeps_the_text():
    synonyms, problems = parse_synonyms({"synonyms": {"提拔": ["往上走", "升职"], "诬告": ["乱告", "瞎告"]}})
    assert problems == [] and len(synonyms) == 4
    assert synonyms.expand("被乱告了还能往上走吗升职") == "被乱告了还能往上走吗升职 诬告 提拔"
    assert synonyms.expand("提拔时往上走") == "提拔时往上走"  # already says it
    assert synonyms.expand("和这些都无关") == "和这些都无关"
    assert Synonyms().expand("往上走") == "往上走"


def test_longest_variant_wins():
    synonyms, _ = parse_synonyms({"synonyms": {"湖北": ["鄂省"], "湖北省纪委": ["鄂省纪委"]}})
    assert synonyms.expand("鄂省纪委怎么说") == "鄂省纪委怎么说 湖北省纪委"


def test_broken_groups_are_reported_and_sound_ones_kept():
    synonyms, problems = parse_synonyms({"synonyms": {
        "提拔": ["往上走", "提拔"],
        "重用": ["往上走"],
        "处分": "挨处分",
        "诬告": ["乱告", "提拔"],
    }})
    assert [p.message for p in problems] == [
        "'提拔' lists itself as a variant",
        "variant '往上走' is listed under both '提拔' and '重用'",
        "'处分' must have a list of texts (other ways to say it)",
        "variant '提拔' of '诬告' is itself a standard term",
    ]
    assert synonyms.standard_of == {"往上走": "提拔", "乱告": "诬告"}
    assert parse_synonyms({"synonyms": ["往上走"]})[1][0].message.startswith("expected a mapping 'synonyms:'")


def test_synonyms_file_problems_name_the_file_and_line(make_tree):
    root = make_tree({"knowledge/synonyms.yml": "synonyms:\n  提拔: [往上走]\n  重用: [往上走]\n"})
    assert [str(p) for p in validate(root)[1]] == [
        "knowledge/synonyms.yml:3: variant '往上走' is listed under both '提拔' and '重用'"]
    twice = make_tree({"knowledge/synonyms.yml": "synonyms:\n  提拔: [往上走]\n  提拔: [升职]\n"})
    assert [str(p) for p in validate(twice)[1]] == ["knowledge/synonyms.yml:3: standard term '提拔' is given twice"]
    broken = make_tree({"knowledge/synonyms.yml": "synonyms: [unclosed\n"})
    content, problems = load_content(broken)
    assert len(content.synonyms) == 0 and [p.path for p in problems] == ["knowledge/synonyms.yml"]


def test_the_classifier_understands_a_variant_it_never_saw(make_tree):
    """Only 提拔 is in the paraphrases; 往上走 reaches the right entry through the synonyms."""
    promotion = [f"容错以后影响提拔吗{i}" for i in range(10)] + ["以后提拔还有戏吗", "提拔会不会受影响"]
    assessment = [f"容错以后影响考核吗{i}" for i in range(10)] + ["年度考核还能评优吗", "考核等次会不会受影响"]
    root = make_tree({"faq/results.yml": faq_file("results", (
        entry("results_promotion", "容错后能提拔吗？", promotion)
        + entry("results_assessment", "容错后考核受影响吗？", assessment)
    ))})
    content, problems = load_content(root)
    assert problems == []
    question = "以后还能往上走不"
    plain = FaqClassifier(dataclasses.replace(content, synonyms=Synonyms()))
    with_synonyms = FaqClassifier(dataclasses.replace(content, synonyms=parse_synonyms({"synonyms": {"提拔": ["往上走"]}})[0]))
    scores = with_synonyms.scores(question)
    assert max(scores, key=scores.get) == "results_promotion"
    assert scores["results_promotion"] > plain.scores(question)["results_promotion"]
