"""The FAQ as an .xlsx workbook, for trainers who would rather edit a spreadsheet than YAML.

Layout (the first row of each sheet is a frozen header):

* sheet ``entries``: one row per FAQ entry, columns ``id``, ``topic`` (the faq/<topic>.yml
  file), then every other field an entry can have: ``question``, ``answer``, ``sources``,
  ``rests_on``, ``related``, ``region``. Every cell is text (numbers, dates and formulas are
  refused on import); only ``answer`` may span lines, and keeps its newlines. Lists of ids
  are joined with ", " (on import a comma, "，", "、" or a newline separates items, and
  "[a, b]" is accepted too). An empty cell means the entry has no such field; ``[]`` means
  an empty list (e.g. ``rests_on: []`` for answers about the bot itself).
* sheet ``paraphrases``: one row per paraphrase, columns ``id`` and ``paraphrase``, in order.

Import reads and checks the whole workbook first and names every problem by sheet, row and
column (``entries!C7 (question): empty``); then it compares entry by entry with faq/ and
writes only the entries that differ (through bot.faq_edit, which keeps all other lines
byte-identical and undoes the write if the content no longer validates). Whitespace around
a value is not a change; the order of rows in ``entries`` is not either (new entries go to
the end of their topic's file), but the order of an entry's paraphrases is. To remove an
entry, delete its row in ``entries`` and its rows in ``paraphrases``. Moving an entry to
another topic rewrites it in the new file, without its YAML comments. A dry run compares
and reports but does not validate (that needs the files written).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, NamedTuple

from bot.content.loader import FAQ_FIELDS, ID_PATTERN
from bot.content.problems import Problem
from bot.faq_edit import (
    FIELD_ORDER,
    LIST_FIELDS,
    Edits,
    Value,
    entry_values,
    load_tree,
    render_files,
    same_value,
    write_validated,
)

ENTRIES = "entries"
PARAPHRASES = "paraphrases"
ENTRY_COLUMNS = ("id", "topic", *(f for f in FIELD_ORDER if f not in ("id", "paraphrases")))
PARAPHRASE_COLUMNS = ("id", "paraphrase")
REQUIRED = {"topic", *(f for f, (_, required) in FAQ_FIELDS.items() if required)}
WIDTHS = {"id": 30, "topic": 12, "question": 40, "answer": 80, "sources": 40, "rests_on": 40,
          "related": 40, "region": 12, "paraphrase": 80}
EMPTY_LIST = "[]"
MULTILINE = ("answer",)  # the only text that may span lines


class ExportSummary(NamedTuple):
    entries: int
    paraphrases: int


def export(root: Path, path: Path) -> ExportSummary:
    """Write every FAQ entry under ``root`` to the workbook ``path``."""
    from openpyxl import Workbook

    tree = load_tree(Path(root))
    book = Workbook()
    entries = book.active
    entries.title = ENTRIES
    paraphrases = book.create_sheet(PARAPHRASES)
    _header(entries, ENTRY_COLUMNS, "B2")  # keep the id in view while scrolling right
    _header(paraphrases, PARAPHRASE_COLUMNS, "A2")
    entry_row = paraphrase_row = 1
    for topic, node in tree.nodes():
        values = entry_values(node)
        row = [values.get("id", ""), topic]
        row += [_cell_text(values.get(column)) for column in ENTRY_COLUMNS[2:]]
        entry_row += 1
        _put(entries, entry_row, row)
        for text in values.get("paraphrases", []):
            paraphrase_row += 1
            _put(paraphrases, paraphrase_row, [values.get("id", ""), str(text).strip()])
    book.save(path)
    return ExportSummary(entry_row - 1, paraphrase_row - 1)


def _cell_text(value: Value | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ", ".join(str(v).strip() for v in value) if value else EMPTY_LIST
    return value.strip()


def _header(sheet: Any, columns: tuple[str, ...], freeze: str) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet.append(list(columns))
    for index, name in enumerate(columns, start=1):
        sheet.cell(1, index).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS.get(name, 20)
    sheet.freeze_panes = freeze


def _put(sheet: Any, row: int, values: list[str | None]) -> None:
    """Fill one row (rows are counted by the caller: openpyxl's max_row scans every cell)."""
    from openpyxl.styles import Alignment

    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row, column, value)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.number_format = "@"  # typed as text, so Excel keeps "0123" or "1,2" as written
        if isinstance(value, str) and value.startswith("="):
            cell.data_type = "s"  # a text that starts with '=' is not a formula


# ---- reading the workbook ----

@dataclass(frozen=True)
class SheetProblem:
    """A problem at a place in the workbook, printed as ``entries!C7 (question): empty``."""

    sheet: str
    row: int
    column: str  # letter, "" for a whole row or sheet
    name: str  # column name
    message: str

    def __str__(self) -> str:
        where = f"{self.sheet}!{self.column}{self.row}" if self.row else self.sheet
        return f"{where}{f' ({self.name})' if self.name else ''}: {self.message}"


@dataclass
class SheetEntry:
    topic: str
    values: dict[str, Value]
    row: int


class _Sheet:
    """One sheet's rows as {column name: cell}, with problems collected against it."""

    def __init__(self, sheet: Any, columns: tuple[str, ...], problems: list[SheetProblem]) -> None:
        from openpyxl.utils import get_column_letter

        self.title, self.problems = sheet.title, problems
        self.letters: dict[str, str] = {}
        self.rows: list[tuple[int, dict[str, Any]]] = []
        header = next(sheet.iter_rows(min_row=1, max_row=1), ())
        index_of: dict[int, str] = {}
        for cell in header:
            name = cell.value.strip() if isinstance(cell.value, str) else cell.value
            letter = get_column_letter(cell.column)
            if name in (None, ""):
                continue
            if name not in columns:
                self.problem(1, letter, str(name), f"unknown column (the columns are {', '.join(columns)})")
            elif name in self.letters:
                self.problem(1, letter, name, f"column given twice (also {self.letters[name]}1)")
            else:
                self.letters[name] = letter
                index_of[cell.column] = name
        for name in columns:
            if name not in self.letters:
                self.problem(1, "", name, "missing column")
        for cells in sheet.iter_rows(min_row=2):
            row = {index_of[c.column]: c for c in cells if c.column in index_of}
            stray = [c for c in cells if c.column not in index_of and c.value not in (None, "")]
            for cell in stray:
                self.problem(cell.row, get_column_letter(cell.column), "", "a value in a column without a known header")
            if any(c.value not in (None, "") for c in row.values()):
                self.rows.append((cells[0].row, row))

    def problem(self, row: int, letter: str, name: str, message: str) -> None:
        self.problems.append(SheetProblem(self.title, row, letter, name, message))

    def text(self, row: int, cells: dict[str, Any], name: str) -> str | None:
        """The cell's text (stripped, line ends made "\\n"); None when empty or not text
        (which is reported)."""
        cell = cells.get(name)
        value = cell.value if cell is not None else None
        if value is None:
            return None
        if getattr(cell, "data_type", "") == "f":
            return self._wrong(row, name, "formulas are not read: type the text itself")
        if isinstance(value, str):
            return value.replace("\r\n", "\n").replace("\r", "\n").strip() or None
        got = ("yes/no" if isinstance(value, bool) else "a number" if isinstance(value, (int, float))
               else "a date" if isinstance(value, (datetime, date, time)) else type(value).__name__)
        return self._wrong(row, name, f"must be text, got {got} (format the cell as text)")

    def empty(self, cells: dict[str, Any], name: str) -> bool:
        cell = cells.get(name)
        return cell is None or cell.value is None or (isinstance(cell.value, str) and not cell.value.strip())

    def _wrong(self, row: int, name: str, message: str) -> None:
        self.problem(row, self.letters[name], name, message)
        return None


def _split_list(text: str) -> list[str]:
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return [item.strip() for item in re.split(r"[,，、\n]", text) if item.strip()]


def read_sheet(path: Path, topics: set[str]) -> tuple[dict[str, SheetEntry], list[SheetProblem]]:
    """Every entry of the workbook (id -> topic and fields), or the problems found in it."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    problems: list[SheetProblem] = []
    try:
        book = load_workbook(path)  # not data_only: formulas are reported, not read as text
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        return {}, [SheetProblem(Path(path).name, 0, "", "", f"cannot read the workbook: {exc}")]
    for name in (ENTRIES, PARAPHRASES):
        if name not in book.sheetnames:
            problems.append(SheetProblem(name, 0, "", "",
                                         f"missing sheet (the workbook has {', '.join(book.sheetnames)})"))
    if problems:
        return {}, problems
    entries_sheet = _Sheet(book[ENTRIES], ENTRY_COLUMNS, problems)
    paraphrase_sheet = _Sheet(book[PARAPHRASES], PARAPHRASE_COLUMNS, problems)
    if problems:  # without the right columns every row would repeat the same complaint
        return {}, problems
    entries: dict[str, SheetEntry] = {}
    bad_ids: set[str] = set()  # reported once in entries, not again for each paraphrase row
    orphans: dict[str, list[int]] = {}  # paraphrase rows naming no entry, by id
    for row, cells in entries_sheet.rows:
        values: dict[str, Value] = {}
        for name in ENTRY_COLUMNS:
            text = entries_sheet.text(row, cells, name)
            if text is None:
                if name in REQUIRED and entries_sheet.empty(cells, name):
                    entries_sheet.problem(row, entries_sheet.letters[name], name, "empty")
                continue
            if name in LIST_FIELDS:
                values[name] = _split_list(text)
            elif "\n" in text and name not in MULTILINE:
                entries_sheet.problem(row, entries_sheet.letters[name], name, "must be one line")
            else:
                values[name] = text
        entry_id, topic = values.pop("id", None), values.pop("topic", None)
        if isinstance(topic, str) and topic not in topics:
            entries_sheet.problem(row, entries_sheet.letters["topic"], "topic",
                                  f"unknown topic '{topic}' (the topics are {', '.join(sorted(topics))})")
        if not isinstance(entry_id, str):
            continue
        if not ID_PATTERN.match(entry_id):
            bad_ids.add(entry_id)
            entries_sheet.problem(row, entries_sheet.letters["id"], "id",
                                  f"'{entry_id}' must be lower-case ASCII snake_case, 1-40 characters")
        elif entry_id in entries:
            entries_sheet.problem(row, entries_sheet.letters["id"], "id",
                                  f"duplicate id '{entry_id}' (first in row {entries[entry_id].row})")
        else:
            entries[entry_id] = SheetEntry(str(topic), {"id": entry_id, **values}, row)
    for row, cells in paraphrase_sheet.rows:
        entry_id = paraphrase_sheet.text(row, cells, "id")
        text = paraphrase_sheet.text(row, cells, "paraphrase")
        if text is not None and "\n" in text:
            paraphrase_sheet.problem(row, paraphrase_sheet.letters["paraphrase"], "paraphrase", "must be one line")
            text = None
        for name in PARAPHRASE_COLUMNS:
            if paraphrase_sheet.empty(cells, name):
                paraphrase_sheet.problem(row, paraphrase_sheet.letters[name], name, "empty")
        if entry_id is not None and entry_id not in entries and entry_id not in bad_ids:
            orphans.setdefault(entry_id, []).append(row)
        if entry_id in entries and text is not None:
            entries[entry_id].values.setdefault("paraphrases", []).append(text)  # type: ignore[union-attr]
    for entry_id, rows in orphans.items():  # once per id: a deleted entry leaves many rows behind
        more = f" (nor for the {len(rows) - 1} more rows naming it)" if len(rows) > 1 else ""
        paraphrase_sheet.problem(rows[0], paraphrase_sheet.letters["id"], "id",
                                 f"no entry '{entry_id}' in sheet {ENTRIES}{more}")
    for entry_id, entry in entries.items():
        if "paraphrases" not in entry.values:
            entries_sheet.problem(entry.row, entries_sheet.letters["id"], "id",
                                  f"no paraphrases for '{entry_id}' in sheet {PARAPHRASES}")
    problems.sort(key=lambda p: (p.sheet != ENTRIES, p.row, len(p.column), p.column))
    return entries, problems


# ---- comparing with faq/ and writing ----

@dataclass(frozen=True)
class FieldChange:
    name: str
    before: Value | None
    after: Value | None


@dataclass
class EntryDiff:
    """One entry that the sheet adds, removes or changes."""

    kind: str  # "added", "removed" or "changed"
    id: str
    topic: str
    changes: list[FieldChange] = field(default_factory=list)


@dataclass
class ImportResult:
    """What an import found and did; ``lines()`` prints it."""

    sheet_problems: list[SheetProblem] = field(default_factory=list)
    diffs: list[EntryDiff] = field(default_factory=list)
    dry_run: bool = False
    written: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # validation problems the import brought
    rolled_back: bool = False

    @property
    def ok(self) -> bool:
        return not self.sheet_problems and not self.rolled_back

    def count(self, kind: str) -> int:
        return sum(d.kind == kind for d in self.diffs)

    def lines(self) -> list[str]:
        if self.sheet_problems:
            return [str(p) for p in self.sheet_problems]
        out = diff_lines(self.diffs)
        if not self.diffs:
            out.append("no changes: faq/ already matches the sheet")
            return out
        out.append(f"{self.count('changed')} changed, {self.count('added')} added, {self.count('removed')} removed")
        if self.dry_run:
            out.append("dry run: nothing written")
        elif self.rolled_back:
            out.append("the content no longer validates, so faq/ was left as it was (lines as they would have been):")
            out += [f"  {p}" for p in self.problems if p.is_error]
        else:
            out += [f"wrote {p}" for p in self.written]
            out += [f"warning: {p}" for p in self.problems]
        return out


def diff_lines(diffs: list[EntryDiff]) -> list[str]:
    """Entry-level differences as lines: + added, - removed, ~ changed (before and after)."""
    out: list[str] = []
    for diff in diffs:
        mark = {"added": "+", "removed": "-", "changed": "~"}[diff.kind]
        out.append(f"{mark} {diff.id} ({diff.topic}): {diff.kind}")
        for change in diff.changes:
            out += _change_lines(change, diff.kind)
    return out


def _change_lines(change: FieldChange, kind: str) -> list[str]:
    if change.name == "paraphrases" and kind == "changed":
        before, after = list(change.before or []), list(change.after or [])
        lines = [f"    paraphrases: + {p}" for p in after if p not in before]
        lines += [f"    paraphrases: - {p}" for p in before if p not in after]
        return lines or ["    paraphrases: reordered"]
    if kind == "added":
        return [f"    {change.name}: {_show(change.after)}"]
    if kind == "removed":  # enough to recognise it; the rest is in git
        return [f"    {change.name}: {_show(change.before)}"] if change.name == "question" else []
    return [f"    {change.name}:", f"      before: {_show(change.before)}", f"      after:  {_show(change.after)}"]


def _show(value: Value | None) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]"
    indent = " " * 14  # under the text after "      before: "
    return "\n".join(line if i == 0 or not line else indent + line for i, line in enumerate(value.strip().split("\n")))


def compare(tree_values: dict[str, tuple[str, dict[str, Value]]], sheet: dict[str, SheetEntry]) -> list[EntryDiff]:
    """Entry-level differences from faq/ (id -> topic, values) to the sheet, in faq/ order."""
    diffs = []
    for entry_id, (topic, before) in tree_values.items():
        if entry_id not in sheet:
            changes = [FieldChange(k, v, None) for k, v in before.items() if k != "id"]
            diffs.append(EntryDiff("removed", entry_id, topic, changes))
            continue
        after = sheet[entry_id]
        changes = [FieldChange("topic", topic, after.topic)] if after.topic != topic else []
        for name in FIELD_ORDER:
            if not same_value(before.get(name), after.values.get(name)):
                changes.append(FieldChange(name, _clean(before.get(name)), _clean(after.values.get(name))))
        if changes:
            diffs.append(EntryDiff("changed", entry_id, after.topic, changes))
    for entry_id, entry in sheet.items():
        if entry_id not in tree_values:
            diffs.append(EntryDiff("added", entry_id, entry.topic,
                                   [FieldChange(k, None, v) for k, v in entry.values.items() if k != "id"]))
    return diffs


def _clean(value: Value | None) -> Value | None:
    if value is None or isinstance(value, str):
        return value.strip() if value is not None else None
    return [v.strip() for v in value]


def _edits(diffs: list[EntryDiff], sheet: dict[str, SheetEntry]) -> Edits:
    edits = Edits()
    for diff in diffs:
        if diff.kind == "removed":
            edits.removed.append(diff.id)
        elif diff.kind == "added":
            edits.added.append((diff.topic, sheet[diff.id].values))
        elif any(c.name == "topic" for c in diff.changes):  # a move: out of one file, into another
            edits.removed.append(diff.id)
            edits.added.append((diff.topic, sheet[diff.id].values))
        else:
            edits.changed[diff.id] = {c.name: c.after for c in diff.changes}
    return edits


def import_sheet(root: Path, path: Path, dry_run: bool = False) -> ImportResult:
    """Check the workbook, compare it with faq/, and (unless ``dry_run``) write the entries
    that differ; the write is undone when the content no longer validates."""
    root = Path(root)
    tree = load_tree(root)
    sheet, problems = read_sheet(Path(path), set(tree.files))
    if problems:
        return ImportResult(sheet_problems=problems, dry_run=dry_run)
    tree_values = {}
    for topic, node in tree.nodes():
        values = entry_values(node)
        tree_values.setdefault(str(values.get("id", "")), (topic, values))
    result = ImportResult(diffs=compare(tree_values, sheet), dry_run=dry_run)
    if dry_run or not result.diffs:
        return result
    outcome = write_validated(root, render_files(tree, _edits(result.diffs, sheet)))
    result.written = [p.relative_to(root) for p in outcome.written]
    result.problems, result.rolled_back = outcome.problems, outcome.rolled_back
    return result
