"""The FAQ spreadsheet round trip and the comment-preserving YAML edits behind it."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bot.config import PROJECT_ROOT
from bot.faq_edit import (
    FaqEditError,
    FaqFile,
    add_paraphrases,
    entry_spans,
    entry_values,
    load_tree,
    make_yaml,
    render_entry,
)
from bot.faq_sheet import ENTRY_COLUMNS, export, import_sheet

FAQ_FILES = sorted((PROJECT_ROOT / "faq").glob("*.yml"))


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One copy of everything validate() reads, and its export (made once: exporting takes a second)."""
    root = tmp_path_factory.mktemp("pristine") / "project"
    for folder in ("faq", "knowledge"):
        shutil.copytree(PROJECT_ROOT / folder, root / folder)
    shutil.copytree(PROJECT_ROOT / "rasa_project" / "data" / "nlu", root / "rasa_project" / "data" / "nlu")
    export(root, root.parent / "faq.xlsx")
    return root, root.parent / "faq.xlsx"


@pytest.fixture
def root(pristine: tuple[Path, Path], tmp_path: Path) -> Path:
    """A fresh copy of the content, to edit freely."""
    shutil.copytree(pristine[0], tmp_path / "project")
    return tmp_path / "project"


@pytest.fixture
def sheet(pristine: tuple[Path, Path], tmp_path: Path) -> Path:
    """The export of ``root``."""
    shutil.copy(pristine[1], tmp_path / "faq.xlsx")
    return tmp_path / "faq.xlsx"


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "faq").glob("*.yml"))}


def _row_of(ws, entry_id: str) -> int:
    return next(row[0].row for row in ws.iter_rows(min_row=2) if row[0].value == entry_id)


def _col(name: str) -> int:
    return ENTRY_COLUMNS.index(name) + 1


def _errors(root: Path) -> list[str]:
    from bot.content import validate

    return [str(p) for p in validate(root)[1] if p.is_error]


# ---- YAML round trip ----

@pytest.mark.parametrize("path", FAQ_FILES, ids=lambda p: p.name)
def test_ruamel_round_trip_is_byte_identical(path: Path) -> None:
    text = path.read_bytes().decode("utf-8")
    out = io.StringIO()
    yaml = make_yaml()
    yaml.dump(yaml.load(text), out)
    assert out.getvalue() == text


@pytest.mark.parametrize("path", FAQ_FILES, ids=lambda p: p.name)
def test_each_entry_renders_as_its_own_lines(path: Path) -> None:
    """What edits splice rests on: an unchanged entry renders exactly as it stands."""
    tree = load_tree(PROJECT_ROOT)
    faq_file = tree.files[path.stem]
    lines = faq_file.text.splitlines(keepends=True)
    for (start, end), node in zip(entry_spans(faq_file, lines), faq_file.entries):
        assert render_entry(node) == lines[start:end], node["id"]


# ---- export / import ----

def test_export_layout(root: Path, sheet: Path) -> None:
    book = load_workbook(sheet)
    assert book.sheetnames == ["entries", "paraphrases"]
    entries, paraphrases = book["entries"], book["paraphrases"]
    assert tuple(c.value for c in entries[1]) == ENTRY_COLUMNS
    assert tuple(c.value for c in paraphrases[1]) == ("id", "paraphrase")
    assert entries.freeze_panes == "B2" and paraphrases.freeze_panes == "A2"
    tree = load_tree(root)
    assert entries.max_row - 1 == sum(1 for _ in tree.nodes())
    _, node = tree.find("apply_who_can")
    row = _row_of(entries, "apply_who_can")
    assert entries.cell(row, _col("answer")).value == str(node["answer"]).strip()
    assert "\n" in entries.cell(row, _col("answer")).value
    assert entries.cell(row, _col("sources")).value == ", ".join(node["sources"])
    texts = [r[1].value for r in paraphrases.iter_rows(min_row=2) if r[0].value == "apply_who_can"]
    assert texts == list(node["paraphrases"])
    about = next(n for _, n in tree.nodes() if n.get("rests_on") == [])
    assert entries.cell(_row_of(entries, about["id"]), _col("rests_on")).value == "[]"


def test_export_then_import_changes_nothing(root: Path, sheet: Path) -> None:
    before = _snapshot(root)
    result = import_sheet(root, sheet)
    assert result.ok and result.diffs == [] and result.written == []
    assert result.lines() == ["no changes: faq/ already matches the sheet"]
    assert _snapshot(root) == before


EXTRA = """
  - id: apply_extra_demo
    question: 这是一个演示用的临时条目吗？
    paraphrases:
{paraphrases}
    answer: |
      {answer}
    sources: [{sources}]
    rests_on: [{rests_on}]
    related: [{related}]
"""


def _add_extra_entry(root: Path) -> None:
    """An entry nothing refers to, so the import may remove it."""
    _, node = load_tree(root).find("apply_dual_track")
    values = entry_values(node)
    text = EXTRA.format(paraphrases="\n".join(f"      - 临时演示条目的第{n}种问法呢" for n in "一二三四五六七八九十"),
                        answer=values["answer"].strip().replace("\n", "\n      "),
                        **{k: ", ".join(values[k]) for k in ("sources", "rests_on", "related")})
    with (root / "faq" / "scope.yml").open("a", encoding="utf-8") as handle:
        handle.write(text)


def _other_lines(files: dict[str, bytes], edited: set[str]) -> dict[str, list[str]]:
    """Each file's lines outside the edited entries (blank lines dropped)."""
    out = {}
    for name, data in files.items():
        text = data.decode("utf-8")
        faq_file = FaqFile(name, Path(name), text, make_yaml().load(text))
        lines = text.splitlines(keepends=True)
        for (start, end), node in zip(entry_spans(faq_file, lines), faq_file.entries):
            if node["id"] in edited:
                lines[start:end] = [""] * (end - start)
        out[name] = [line for line in lines if line.strip()]
    return out


def test_import_writes_only_the_edited_entries(root: Path, tmp_path: Path) -> None:
    _add_extra_entry(root)
    assert _errors(root) == []
    path = tmp_path / "faq.xlsx"
    export(root, path)
    before = _snapshot(root)
    book = load_workbook(path)
    entries, paraphrases = book["entries"], book["paraphrases"]
    row = _row_of(entries, "apply_unit_apply")
    old_answer = entries.cell(row, _col("answer")).value
    entries.cell(row, _col("answer")).value = old_answer + "\n\n单位出面申请时，一般以书面形式提出。"
    last = max(r[0].row for r in paraphrases.iter_rows(min_row=2) if r[0].value == "apply_dual_track")
    paraphrases.insert_rows(last + 1)
    paraphrases.cell(last + 1, 1).value, paraphrases.cell(last + 1, 2).value = "apply_dual_track", "双轨启动 到底是啥意思嘛"
    template = [c.value for c in entries[_row_of(entries, "apply_extra_demo")]]
    entries.delete_rows(_row_of(entries, "apply_extra_demo"))
    for r in [r for r in paraphrases.iter_rows(min_row=2) if r[0].value == "apply_extra_demo"][::-1]:
        paraphrases.delete_rows(r[0].row)
    template[0], template[1], template[2] = "concept_demo_new", "concept", "新加的演示条目是什么？"
    entries.append(template)
    for n in "一二三四五六七八九十":
        paraphrases.append(["concept_demo_new", f"新加演示条目的问法{n}号"])
    book.save(path)

    dry = import_sheet(root, path, dry_run=True)
    assert dry.ok and _snapshot(root) == before and dry.written == []
    assert "dry run: nothing written" in dry.lines()

    result = import_sheet(root, path)
    assert result.ok, result.lines()
    kinds = {d.id: d.kind for d in result.diffs}
    assert kinds == {"apply_unit_apply": "changed", "apply_dual_track": "changed",
                     "apply_extra_demo": "removed", "concept_demo_new": "added"}
    answer = next(d for d in result.diffs if d.id == "apply_unit_apply").changes
    assert [(c.name, c.before, c.after) for c in answer] == [
        ("answer", old_answer, old_answer + "\n\n单位出面申请时，一般以书面形式提出。")]
    text = "\n".join(result.lines())
    assert "~ apply_unit_apply (apply): changed" in text and "before: " in text and "after: " in text
    assert "paraphrases: + 双轨启动 到底是啥意思嘛" in text
    assert "+ concept_demo_new (concept): added" in text and "- apply_extra_demo (scope): removed" in text
    assert sorted(map(str, result.written)) == ["faq/apply.yml", "faq/concept.yml", "faq/scope.yml"]
    assert _errors(root) == []

    after = _snapshot(root)
    assert {n for n in after if after[n] != before[n]} == {"apply.yml", "concept.yml", "scope.yml"}
    tree = load_tree(root)
    assert tree.find("apply_extra_demo") is None
    assert entry_values(tree.find("apply_unit_apply")[1])["answer"].endswith("一般以书面形式提出。\n")
    assert entry_values(tree.find("apply_dual_track")[1])["paraphrases"][-1] == "双轨启动 到底是啥意思嘛"
    assert tree.files["concept"].entries[-1]["id"] == "concept_demo_new"
    assert "\n  - id: concept_demo_new\n    question: 新加的演示条目是什么？\n    paraphrases:\n      - 新加演示条目的问法一号\n" \
        in after["concept.yml"].decode()
    assert "    answer: |\n" in after["concept.yml"].decode().split("concept_demo_new")[1]
    edited = {"apply_unit_apply", "apply_dual_track", "apply_extra_demo", "concept_demo_new"}
    assert _other_lines(after, edited) == _other_lines(before, edited)

    # importing the same sheet again finds nothing left to do
    assert import_sheet(root, path).diffs == []


def _broken(sheet: Path, edit) -> Path:
    book = load_workbook(sheet)
    edit(book)
    book.save(sheet)
    return sheet


@pytest.mark.parametrize("edit,expected", [
    (lambda b: b["entries"].cell(_row_of(b["entries"], "apply_timing"), _col("question")).__setattr__("value", "  "),
     "entries!C{apply_timing} (question): empty"),
    (lambda b: b["entries"].cell(_row_of(b["entries"], "apply_timing"), _col("topic")).__setattr__("value", "nowhere"),
     "entries!B{apply_timing} (topic): unknown topic 'nowhere'"),
    (lambda b: b["entries"].cell(_row_of(b["entries"], "apply_timing"), _col("region")).__setattr__("value", 2024),
     "entries!H{apply_timing} (region): must be text, got a number"),
    (lambda b: b["entries"].cell(_row_of(b["entries"], "apply_timing"), _col("answer")).__setattr__("value", "=A1"),
     "entries!D{apply_timing} (answer): formulas are not read"),
    (lambda b: b["entries"].cell(_row_of(b["entries"], "apply_timing"), 1).__setattr__("value", "Apply-Timing"),
     "entries!A{apply_timing} (id): 'Apply-Timing' must be lower-case"),
    (lambda b: b["entries"].cell(_row_of(b["entries"], "apply_timing"), 1).__setattr__("value", "apply_who_can"),
     "entries!A{apply_timing} (id): duplicate id 'apply_who_can' (first in row {apply_who_can})"),
    (lambda b: b["entries"].cell(_row_of(b["entries"], "apply_timing"), _col("question")).__setattr__("value", "两行\n问题"),
     "entries!C{apply_timing} (question): must be one line"),
    (lambda b: b["paraphrases"].cell(5, 1).__setattr__("value", "apply_nowhere"),
     "paraphrases!A5 (id): no entry 'apply_nowhere' in sheet entries"),
    (lambda b: b["paraphrases"].cell(5, 2).__setattr__("value", None),
     "paraphrases!B5 (paraphrase): empty"),
    (lambda b: b["entries"].cell(1, 9).__setattr__("value", "colour"),
     "entries!I1 (colour): unknown column"),
    (lambda b: b["entries"].delete_cols(_col("region")),
     "entries!1 (region): missing column"),
    (lambda b: b.remove(b["paraphrases"]),
     "paraphrases: missing sheet"),
])
def test_sheet_errors_name_sheet_row_and_column(root: Path, sheet: Path, edit, expected: str) -> None:
    rows = {i: _row_of(load_workbook(sheet)["entries"], i) for i in ("apply_timing", "apply_who_can")}
    before = _snapshot(root)
    result = import_sheet(root, _broken(sheet, edit))
    assert not result.ok and result.diffs == []
    assert any(str(p).startswith(expected.format(**rows)) for p in result.sheet_problems), result.lines()
    assert _snapshot(root) == before


def test_several_errors_are_all_reported(root: Path, sheet: Path) -> None:
    def edit(book) -> None:
        ws = book["entries"]
        ws.cell(3, _col("question")).value = None
        ws.cell(4, _col("sources")).value = None
        ws.cell(6, _col("topic")).value = "nowhere"
    result = import_sheet(root, _broken(sheet, edit))
    assert [str(p).split(":")[0] for p in result.sheet_problems] == [
        "entries!C3 (question)", "entries!E4 (sources)", "entries!B6 (topic)"]


def test_import_rolls_back_when_content_breaks(root: Path, sheet: Path) -> None:
    def edit(book) -> None:
        ws = book["entries"]
        ws.cell(_row_of(ws, "apply_timing"), _col("related")).value = "apply_nowhere"
    before = _snapshot(root)
    result = import_sheet(root, _broken(sheet, edit))
    assert result.rolled_back and not result.ok and result.written == []
    assert any("related id 'apply_nowhere' does not exist" in str(p) for p in result.problems)
    assert any(line.startswith("the content no longer validates, so faq/ was left as it was") for line in result.lines())
    assert _snapshot(root) == before


# ---- add_paraphrases ----

def test_add_paraphrases_appends_and_skips_duplicates(root: Path) -> None:
    before = _snapshot(root)
    existing = entry_values(load_tree(root).find("apply_dual_track")[1])["paraphrases"][0]
    new = "双轨制启动 具体咋个弄法"
    result = add_paraphrases(root, {"apply_dual_track": [f" {new} ", existing, new, ""]})
    assert result.ok and result.added == {"apply_dual_track": [new]}
    assert result.skipped == {"apply_dual_track": [existing, new, ""]}
    assert [p.name for p in result.written] == ["apply.yml"]
    old, now = before["apply.yml"].decode().splitlines(), (root / "faq" / "apply.yml").read_text().splitlines()
    added = [line for line in now if line not in old]
    assert added == [f"      - {new}"] and len(now) == len(old) + 1
    assert _snapshot(root).keys() == before.keys()
    assert all(_snapshot(root)[n] == before[n] for n in before if n != "apply.yml")

    again = add_paraphrases(root, {"apply_dual_track": [new]})
    assert again.added == {"apply_dual_track": []} and again.written == []


def test_add_paraphrases_dry_run_writes_nothing(root: Path) -> None:
    before = _snapshot(root)
    result = add_paraphrases(root, {"apply_dual_track": ["双轨制是怎么一回事呀老师"]}, dry_run=True)
    assert result.added == {"apply_dual_track": ["双轨制是怎么一回事呀老师"]} and result.written == []
    assert _snapshot(root) == before


def test_add_paraphrases_refuses_unknown_ids(root: Path) -> None:
    before = _snapshot(root)
    with pytest.raises(FaqEditError, match="apply_nowhere"):
        add_paraphrases(root, {"apply_dual_track": ["新问法一个"], "apply_nowhere": ["x"]})
    assert _snapshot(root) == before


def test_add_paraphrases_rolls_back_on_validation_errors(root: Path) -> None:
    before = _snapshot(root)
    taken = entry_values(load_tree(root).find("apply_who_can")[1])["paraphrases"][0]
    result = add_paraphrases(root, {"apply_dual_track": [taken]})
    assert result.rolled_back and not result.ok and result.written == []
    assert any("also belongs to entry" in str(p) and p.is_error for p in result.problems)
    assert _snapshot(root) == before


# ---- the command line ----

def _cli():
    from bot.cli import cli
    from bot.cli_faq import faq

    if "faq" not in cli.commands:
        cli.add_command(faq)
    return cli


def test_cli_export_and_dry_run_import(root: Path, tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    result = CliRunner().invoke(_cli(), ["--root", str(root), "faq", "export", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"wrote {path}: ")
    result = CliRunner().invoke(_cli(), ["--root", str(root), "faq", "import", str(path)])
    assert result.exit_code == 0 and "no changes" in result.output

    book = load_workbook(path)
    ws = book["entries"]
    ws.cell(_row_of(ws, "apply_timing"), _col("question")).value = "什么时候可以申请容错？"
    book.save(path)
    before = _snapshot(root)
    result = CliRunner().invoke(_cli(), ["--root", str(root), "faq", "import", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "~ apply_timing (apply): changed" in result.output and "after:  什么时候可以申请容错？" in result.output
    assert "dry run: nothing written" in result.output
    assert _snapshot(root) == before


def test_cli_import_errors_exit_1_one_line_each(root: Path, sheet: Path) -> None:
    def edit(book) -> None:
        ws = book["entries"]
        ws.cell(3, _col("question")).value = None
        ws.cell(4, _col("answer")).value = None
    result = CliRunner().invoke(_cli(), ["--root", str(root), "faq", "import", str(_broken(sheet, edit))])
    assert result.exit_code == 1
    assert "entries!C3 (question): empty\nentries!D4 (answer): empty" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


def test_cli_group_runs_on_its_own(root: Path, tmp_path: Path) -> None:
    from bot.cli_faq import faq
    from bot.config import Settings

    path = tmp_path / "own.xlsx"
    result = CliRunner().invoke(faq, ["export", str(path)], obj=Settings(root=root))
    assert result.exit_code == 0 and path.exists()
