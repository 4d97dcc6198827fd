"""The trainers' review loop: loading logged questions, grouping, the workbook and the CLI."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from bot.review import export_xlsx, group, load_items, read_decisions, render
from bot.store import Store

# (day in May 2024, question, kind, channel)
ROWS = [
    (1, "公积金怎么提取", "out_of_scope", "telegram"),
    (2, "住房公积金能取出来吗", "out_of_scope", "telegram"),
    (3, "离职了公积金咋取", "out_of_scope", "telegram"),
    (4, "容错申请交上去多久能有结果", "clarify", "telegram"),
    (5, "申请容错以后要等多长时间才认定", "thumbs_down", "telegram"),
    (6, "容错认定一般需要多少天", "clarify", "telegram"),
    (7, "今天天气怎么样", "out_of_scope", "telegram"),
    (8, "公积金怎么提取", "out_of_scope", "telegram"),
    (8, "党费按什么基数交", "out_of_scope", "terminal"),
    (9, "帮我写一首诗", "fallback", "test"),
]
TIME_QUESTIONS = {"容错申请交上去多久能有结果", "申请容错以后要等多长时间才认定", "容错认定一般需要多少天"}
FUND_QUESTIONS = {"公积金怎么提取", "住房公积金能取出来吗", "离职了公积金咋取"}


@pytest.fixture(scope="module")
def content():
    from bot.config import PROJECT_ROOT
    from bot.content.live import LiveContent

    return LiveContent(PROJECT_ROOT).get()[0]


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "bot.db"
    store = Store(path)
    for index, (day, question, kind, channel) in enumerate(ROWS):
        store.db["unanswered"].insert({
            "at": f"2024-05-{day:02d}T10:{index:02d}:00+00:00", "user_key": f"u{index}", "question": question,
            "kind": kind, "best_guess": "", "confidence": 0.1, "channel": channel,
        })
    return path


def test_load_items_leaves_terminal_and_tests_out_by_default(db):
    items = load_items(db)
    assert {i.channel for i in items} == {"telegram"} and len(items) == 8
    assert [i.at for i in items] == sorted(i.at for i in items)
    assert len(load_items(db, channels=None)) == len(ROWS)
    assert {i.question for i in load_items(db, channels=("terminal",))} == {"党费按什么基数交"}


def test_load_items_since(db):
    items = load_items(db, since=date(2024, 5, 7), channels=None)
    assert [i.question for i in items] == ["今天天气怎么样", "公积金怎么提取", "党费按什么基数交", "帮我写一首诗"]
    assert load_items(db, since=date(2030, 1, 1)) == []


def test_a_table_without_channel_column_counts_as_telegram(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE unanswered (id INTEGER PRIMARY KEY, at TEXT, user_key TEXT, question TEXT, "
                           "kind TEXT, best_guess TEXT, confidence FLOAT)")
        connection.execute("INSERT INTO unanswered (at, user_key, question, kind, best_guess, confidence) "
                           "VALUES ('2024-05-01T10:00:00+00:00', 'k', '公积金怎么取', 'out_of_scope', '', 0.2)")
    [item] = load_items(path)
    assert item.channel == "telegram" and item.question == "公积金怎么取"
    with pytest.raises(FileNotFoundError):
        load_items(tmp_path / "missing.db")


def test_grouping_puts_paraphrases_together_and_unrelated_questions_apart(db, content):
    groups = group(load_items(db), content)
    by_question = {q: g.number for g in groups for q in g.questions}
    assert len({by_question[q] for q in TIME_QUESTIONS}) == 1
    assert len({by_question[q] for q in FUND_QUESTIONS}) == 1
    assert len({by_question[q] for q in ("容错认定一般需要多少天", "公积金怎么提取", "今天天气怎么样")}) == 3
    first, second = groups[:2]
    # biggest first: the fund group has 4 logged questions (one asked twice), 3 distinct
    assert first.count == 4 and set(first.questions) == FUND_QUESTIONS and first.kinds == {"out_of_scope": 4}
    assert first.questions[0] == "公积金怎么提取" and first.last_seen.startswith("2024-05-08")
    assert first.suggested_entry == "" and first.out_of_scope_share > 0.5
    assert second.count == 3 and second.suggested_entry == "decision_time_limit" and second.share > 0.3
    assert second.kinds == {"clarify": 2, "thumbs_down": 1}
    assert second.examples[0] == "容错认定一般需要多少天"  # most recent first
    assert [g.number for g in groups] == list(range(1, len(groups) + 1))
    text = render(groups)
    assert "decision_time_limit" in text and "追问×2" in text and "公积金怎么提取" in text
    assert group([], content) == [] and render([]) == "没有需要复核的问题。"


def test_export_then_read_back(db, content, tmp_path):
    import openpyxl

    groups = group(load_items(db), content)
    path = tmp_path / "review.xlsx"
    export_xlsx(groups, path, [(e.id, e.question) for e in content.faq])
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:3] == ["groups", "questions", "说明"] and "entries" in book.sheetnames
    sheet = book["groups"]
    header = [c.value for c in sheet[1]]
    assert header == ["group", "count", "last_seen", "kinds", "suggested_entry", "suggested_question", "share",
                      "examples", "entry_id"]
    assert sheet.freeze_panes == "A2" and sheet.column_dimensions["H"].width >= 40
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(groups) and all(row[8] is None for row in rows)
    assert rows[1][4] == "decision_time_limit" and rows[1][7].split("\n")[0] == "容错认定一般需要多少天"
    questions = list(book["questions"].iter_rows(min_row=2, values_only=True))
    assert len(questions) == sum(len(g.questions) for g in groups)
    assert book["questions"].freeze_panes == "A2"
    assert "entry_id" in "".join(str(c.value) for c in book["说明"]["A"])
    # the trainer fills in an id for the deadline group and deletes one of its questions
    sheet["I3"] = "decision_time_limit"
    for row in book["questions"].iter_rows(min_row=2):
        if row[1].value == "容错认定一般需要多少天":
            row[1].value = None
    book.save(path)
    decisions, errors = read_decisions(path, [e.id for e in content.faq])
    assert errors == []
    assert decisions == {"decision_time_limit": ["申请容错以后要等多长时间才认定", "容错申请交上去多久能有结果"]}


def _workbook(tmp_path, groups_rows, question_rows, groups_header=("group", "entry_id")) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "groups"
    book["groups"].append(list(groups_header))
    for row in groups_rows:
        book["groups"].append(list(row))
    book.create_sheet("questions").append(["group", "question"])
    for row in question_rows:
        book["questions"].append(list(row))
    path = tmp_path / "filled.xlsx"
    book.save(path)
    return path


def test_read_decisions_names_sheet_row_and_column(tmp_path):
    ids = ["apply_materials", "decision_time_limit"]
    path = _workbook(tmp_path, [(1, "apply_materails"), (2, "decision_time_limit"), ("x", "apply_materials"),
                                (3, "apply_materials"), (4, None)],
                     [(1, "容错要交什么材料"), (2, "多久出结果"), (2, "我叫[姓名]，多久出结果"), (4, "不管它"),
                      (4, "我叫[姓名]")])  # group 4 has no entry id: its placeholder does not matter
    decisions, errors = read_decisions(path, ids)
    assert errors == [
        "groups!B2 (entry_id): unknown entry id 'apply_materails' (did you mean apply_materials?)",
        "questions!B4 (question): contains [姓名]: rewrite the question without it or delete the row",
        "groups!A4 (group): not a group number: 'x'",
        "groups!B5 (entry_id): group 3 has no questions left in sheet 'questions'",
    ]
    assert decisions == {"decision_time_limit": ["多久出结果"]}


def test_read_decisions_on_a_wrong_file(tmp_path):
    not_a_workbook = tmp_path / "notes.xlsx"
    not_a_workbook.write_text("hello")
    [error] = read_decisions(not_a_workbook, [])[1]
    assert error.startswith("notes.xlsx: cannot read the workbook")
    missing_column = _workbook(tmp_path, [(1, "x")], [], groups_header=("group", "entry"))
    assert read_decisions(missing_column, ["x"]) == ({}, ["groups!1 (entry_id): missing column"])
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "groups"
    book.save(tmp_path / "one_sheet.xlsx")
    [error] = read_decisions(tmp_path / "one_sheet.xlsx", [])[1]
    assert error == "one_sheet.xlsx: missing sheet 'questions' (the workbook has groups)"


@pytest.fixture
def cli():
    from bot.cli import cli
    from bot.cli_review import review

    if "review" not in cli.commands:
        cli.add_command(review)
    return cli


def test_cli_review_prints_groups_and_writes_the_workbook(cli, db, tmp_path):
    out = tmp_path / "review.xlsx"
    result = CliRunner().invoke(cli, ["review", "--out", str(out)], env={"POLICYBOT_DB": str(db)})
    assert result.exit_code == 0, result.output
    assert result.output.startswith("3 组，共 8 条问题") and "decision_time_limit" in result.output
    assert "党费" not in result.output and out.exists() and f"written: {out}" in result.output
    everything = CliRunner().invoke(cli, ["review", "--all-channels", "--since", "2024-05-08"],
                                    env={"POLICYBOT_DB": str(db)})
    assert everything.exit_code == 0 and "党费按什么基数交" in everything.output and "今天天气" not in everything.output
    missing = CliRunner().invoke(cli, ["review"], env={"POLICYBOT_DB": str(tmp_path / "none.db")})
    assert missing.exit_code == 1 and "no database at" in missing.output


def test_cli_review_import_adds_paraphrases(cli, tmp_path, monkeypatch):
    import bot.faq_edit

    calls = []

    def add_paraphrases(root, additions, dry_run=False):
        calls.append((root, additions, dry_run))
        return SimpleNamespace(added={k: list(v) for k, v in additions.items()}, skipped={}, problems=[], written=[],
                               rolled_back=False, dry_run=dry_run)

    monkeypatch.setattr(bot.faq_edit, "add_paraphrases", add_paraphrases, raising=False)
    path = _workbook(tmp_path, [(1, "decision_time_limit"), (2, None)], [(1, "多久出结果"), (1, "要等几天"), (2, "天气")])
    result = CliRunner().invoke(cli, ["review", "import", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    [(root, additions, dry_run)] = calls
    assert additions == {"decision_time_limit": ["多久出结果", "要等几天"]} and dry_run is True
    assert "decision_time_limit: would add 2" in result.output and "  + 要等几天" in result.output
    bad = _workbook(tmp_path, [(1, "no_such_entry")], [(1, "多久出结果")])
    result = CliRunner().invoke(cli, ["review", "import", str(bad)])
    assert result.exit_code == 1 and "groups!B2 (entry_id): unknown entry id 'no_such_entry'" in result.output
    assert "nothing written" in result.output and len(calls) == 1
