"""The drafted application (bot.draft, bot.draft_dialogue, `policybot draft`): read back with
python-docx, with and without a self-check, and bad input to the command."""

from __future__ import annotations

import os
import stat
import time

import docx
import pytest
import yaml
from click.testing import CliRunner
from docx.enum.text import WD_COLOR_INDEX

from bot import draft
from bot.cli import cli
from bot.config import PROJECT_ROOT
from bot.content.live import LiveContent
from bot.draft_dialogue import next_fact, prompt, take_input

ANSWERS = {"private_gain": "no", "knowingly": "no", "prohibited": "no", "eight_rules": "no", "harm": "light",
           "context": "emergency", "procedure": "partial", "decision": "collective", "dissent": "objected",
           "attitude": "active", "region": "hubei"}
FACTS = {"unit": "某县水利局工程科", "account": "汛期抢险来不及走采购程序，先组织施工，事后补办了手续。"}


@pytest.fixture(scope="module")
def live():
    source = LiveContent(PROJECT_ROOT)
    content, dialogue = source.get()
    return content, source.questionnaire()


def paragraphs(path) -> list:
    return docx.Document(str(path)).paragraphs


def highlighted(path) -> list[str]:
    return [run.text for p in paragraphs(path) for run in p.runs if run.font.highlight_color == WD_COLOR_INDEX.YELLOW]


def test_a_draft_from_a_self_check_holds_its_findings_and_the_typed_facts(live, tmp_path):
    content, questionnaire = live
    guide = content.guide
    filled = draft.fill(guide, content, questionnaire, ANSWERS, "hubei_shiyan", "self", FACTS)
    path = draft.write_draft(filled, guide.draft, tmp_path / "draft.docx")
    texts = [p.text for p in paragraphs(path)]
    whole = "\n".join(texts)
    assert texts[0].startswith("【草稿") and "本地" in texts[0]  # it says it is a draft, first
    assert guide.draft.texts["title"] in texts
    assert "情况紧急时事急从权、临机处置" in whole  # the matching scenario
    assert "四看决策过程" in whole and "六看纠错态度" in whole  # 六看 in the applicant's favour
    assert "已主动报告或整改" in whole and "有遗漏或事后补办" in whole  # corrections taken
    assert FACTS["unit"] in whole and FACTS["account"] in whole
    assert "当时提出反对或保留意见的记录" in whole  # materials follow the answers
    assert "书面申请（容错免责申请书）" not in whole  # the application is not its own attachment
    blanks = highlighted(path)
    assert any("待填写：职务" in b for b in blanks) and any("待填写：事情发生的时间" in b for b in blanks)
    assert not any(FACTS["unit"] in b for b in blanks)
    assert docx.Document(str(path)).core_properties.author == ""


def test_a_draft_without_a_self_check_leaves_the_findings_to_the_user(live, tmp_path):
    content, questionnaire = live
    guide = content.guide
    filled = draft.fill(guide, content, questionnaire, None, "", "unit", {})
    path = draft.write_draft(filled, guide.draft, tmp_path / "blank.docx")
    whole = "\n".join(p.text for p in paragraphs(path))
    assert "尚未做自查" in whole and "我单位" in whole and "申请单位（盖章）" in whole
    blanks = " ".join(highlighted(path))
    for fact in guide.draft.facts:
        assert f"待填写：{fact.label}" in blanks
    assert "如果您当时提出过反对或保留意见" in whole  # conditions stated, not assumed
    summary = draft.summary(filled, guide.draft)
    assert "留空待填：工作单位、职务、事情发生的时间、事情经过" in summary and "草稿" in summary


def test_the_summary_for_a_phone_names_what_is_in_the_file(live):
    content, questionnaire = live
    filled = draft.fill(content.guide, content, questionnaire, ANSWERS, "hubei", "self", FACTS)
    summary = draft.summary(filled, content.guide.draft)
    assert "情况紧急时事急从权" in summary and "四看决策过程" in summary and "已填写：工作单位、事情经过" in summary
    assert FACTS["account"] not in summary and len(summary) < 1000


def test_drafts_wait_in_a_private_folder_and_stale_ones_are_swept(live):
    content, questionnaire = live
    filled = draft.fill(content.guide, content, questionnaire, None)
    old = draft.write_draft(filled, content.guide.draft)
    assert stat.S_IMODE(os.stat(old.parent).st_mode) == 0o700
    os.utime(old, (time.time() - 2 * draft.STALE_SECONDS,) * 2)
    new = draft.write_draft(filled, content.guide.draft)
    assert new.exists() and not old.exists()
    new.unlink()


def test_facts_are_asked_one_by_one_and_each_can_be_skipped(live):
    template = live[0].guide.draft
    facts: dict[str, str] = {}
    assert prompt(template, facts).extra["fact"] == "unit"
    facts = take_input(template, facts, {"text": "某局", "intent": {"name": "faq"}}).facts
    facts = take_input(template, facts, {"text": '/choose{"choice":"skip"}', "intent": {"name": "choose"},
                                         "entities": [{"entity": "choice", "value": "skip"}]}).facts
    assert facts == {"unit": "某局", "position": ""} and next_fact(template, facts).id == "date"
    facts = take_input(template, facts, {"text": "跳过", "intent": {"name": "deny"}}).facts
    long = take_input(template, facts, {"text": "经过" * 1000, "intent": {"name": "faq"}})
    assert long.status == "done" and len(long.facts["account"]) == template.fact("account").max_chars
    assert "只用了前" in long.replies[0].text


def test_generate_now_and_cancel(live):
    template = live[0].guide.draft
    done = take_input(template, {"unit": "某局"}, {"text": "直接生成", "intent": {"name": "faq"}})
    assert done.status == "done" and done.facts == {"unit": "某局"}
    cancelled = take_input(template, {"unit": "某局"}, {"text": "取消", "intent": {"name": "faq"}})
    assert cancelled.status == "cancelled" and cancelled.facts == {} and "没有保存" in cancelled.replies[0].text


# ---- policybot draft ----

def run(*args):
    return CliRunner().invoke(cli, ["--root", str(PROJECT_ROOT), "draft", *map(str, args)])


def test_the_command_writes_the_draft(tmp_path):
    answers, facts, out = tmp_path / "answers.yml", tmp_path / "facts.yml", tmp_path / "申请书.docx"
    answers.write_text(yaml.safe_dump(ANSWERS, allow_unicode=True), encoding="utf-8")
    facts.write_text(yaml.safe_dump(FACTS, allow_unicode=True), encoding="utf-8")
    result = run("--answers", answers, "--region", "zj_shengsi", "--facts", facts, "--out", out)
    assert result.exit_code == 0, result.output
    assert f"written: {out}" in result.output
    whole = "\n".join(p.text for p in paragraphs(out))
    assert FACTS["account"] in whole and "平时工作表现的材料" in whole  # 嵊泗's own material
    plain = tmp_path / "plain.docx"
    assert run("--out", plain).exit_code == 0 and "尚未做自查" in "\n".join(p.text for p in paragraphs(plain))


@pytest.mark.parametrize("name,content,args,message", [
    ("missing", None, ["--answers", "{dir}/nope.yml"], "nope.yml: cannot read"),
    ("bad.yml", "a: [\n", ["--answers", "{path}"], "bad.yml: not a readable YAML file"),
    ("list.yml", "- harm\n", ["--answers", "{path}"], "expected a mapping"),
    ("q.yml", "colour: red\n", ["--answers", "{path}"], "unknown question id(s): colour"),
    ("o.yml", "harm: tiny\n", ["--answers", "{path}"], "unknown option(s): harm: tiny"),
    ("f.yml", "name: 张三\n", ["--facts", "{path}"], "unknown fact(s) name"),
    ("n.yml", "unit: [1, 2]\n", ["--facts", "{path}"], "'unit' must be a text"),
    ("bin.yml", b"\x00\x01\x02", ["--facts", "{path}"], "binary file"),
    ("r.yml", "harm: light\n", ["--answers", "{path}", "--region", "atlantis"], "unknown place 'atlantis'"),
    ("a.yml", "harm: light\n", ["--answers", "{path}", "--applicant", "boss"], "--applicant: unknown 'boss'"),
])
def test_bad_input_gets_one_line_naming_it(tmp_path, name, content, args, message):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    args = [a.format(path=path, dir=tmp_path) for a in args]
    result = run(*args, "--out", tmp_path / "x.docx")
    assert result.exit_code == 1 and message in result.output, result.output
    assert "Traceback" not in result.output and not (tmp_path / "x.docx").exists()


def test_an_output_folder_that_does_not_exist_is_named(tmp_path):
    result = run("--out", tmp_path / "no" / "x.docx")
    assert result.exit_code == 1 and "does not exist" in result.output
