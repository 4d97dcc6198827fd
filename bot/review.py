"""The trainers' review loop: what users needed and did not get, grouped, as a workbook.

Questions the bot declined, asked to clarify or got a 👎 for are logged (scrubbed) in the
table ``unanswered``. ``load_items`` reads them, ``group`` clusters questions that ask the
same thing and suggests the FAQ entry they come closest to, ``export_xlsx`` writes the groups
for a trainer to fill in an entry id per group, and ``read_decisions`` reads those decisions
back as paraphrases to add (written by ``bot.faq_edit.add_paraphrases``).
"""

from __future__ import annotations

import difflib
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from bot.content import Content
from bot.retrieval import OUT_OF_SCOPE, classifier_for, margin_shares
from bot.text import comparable

DEFAULT_CHANNEL = "telegram"  # rows logged before the channel column existed came from Telegram
# Cosine distance (1 - similarity) under which average-linkage clusters merge. With the boost
# below, on the labelled questions of tests/eval it puts in-scope questions with the same answer
# together (adjusted Rand index 0.80, against 0.08 for the text features alone), and leaves the
# grouping of out-of-scope questions as the text features make it.
DISTANCE_THRESHOLD = 0.75
# How much agreeing on the FAQ entry raises the similarity of two questions worded unlike each
# other; scaled by how in-scope the classifier finds both, so that out-of-scope questions (whose
# entry scores are all alike and near 0) are grouped by their words alone.
ENTRY_BOOST = 0.7
EXAMPLES = 5
# Below this mean score the classifier's best entry is a guess, not a suggestion.
MIN_SUGGESTION = 0.05
KIND_LABELS = {"out_of_scope": "未答出", "fallback": "未答出", "declined": "未答出", "clarify": "追问",
               "thumbs_down": "👎", "feedback": "建议"}
PLACEHOLDERS = ("[姓名]", "[手机号]", "[身份证号]", "[邮箱]", "[电话]")
GROUP_COLUMNS = ("group", "count", "last_seen", "kinds", "suggested_entry", "suggested_question", "share",
                 "examples", "entry_id")
QUESTION_COLUMNS = ("group", "question")
WIDTHS = {"group": 8, "count": 8, "last_seen": 20, "kinds": 18, "suggested_entry": 26, "suggested_question": 36,
          "share": 8, "examples": 60, "entry_id": 26, "question": 80}
HELP_LINES = (
    "怎么填写这份表",
    "1. 工作表 groups 每行是一组意思相近的用户问题（count 为次数，examples 为最近的几条）。",
    "2. 若某组问题应由某个 FAQ 条目回答，在该行 entry_id 列填上条目 id（suggested_entry 是分类器的建议，"
    "可照抄，也可另填；工作表 entries 列出全部条目）。不填的组不做处理。",
    "3. 工作表 questions 列出每组的全部问题；导入时把该组留在表里的问题作为条目的新问法加入。"
    "不想加入的问题，删掉那一行即可；也可以直接改写问题的文字。",
    "4. 含 [姓名]、[手机号] 等占位符的问题是脱敏后的原话，请改写或删掉，否则导入时报错。",
    "5. 保存后运行：policybot review import 本文件.xlsx --dry-run 先看改动，再去掉 --dry-run 写入 faq/。",
)


@dataclass(frozen=True)
class Item:
    """One logged question (already scrubbed)."""

    id: int
    at: str  # ISO time, UTC
    user_key: str
    question: str
    kind: str
    best_guess: str
    confidence: float
    channel: str = DEFAULT_CHANNEL


@dataclass
class Group:
    """Questions that ask the same thing, with the FAQ entry the classifier finds closest."""

    number: int
    count: int  # logged questions (a question asked twice counts twice)
    last_seen: str
    questions: list[str]  # distinct, most recent first
    kinds: dict[str, int]
    suggested_entry: str = ""  # best FAQ entry by the group's mean scores ("" when none scores 0.05)
    suggested_question: str = ""
    share: float = 0.0  # that entry's mean score
    out_of_scope_share: float = 0.0  # mean score of "not a policy question"
    items: list[Item] = field(default_factory=list, repr=False)

    @property
    def examples(self) -> list[str]:
        return self.questions[:EXAMPLES]


def load_items(db_path: str | Path, since: date | None = None,
               channels: Iterable[str] | None = (DEFAULT_CHANNEL,)) -> list[Item]:
    """Logged questions, oldest first: since ``since`` (a UTC date) if given, from ``channels``
    (``None`` for every channel; the terminal and tests are left out by default). Raises
    FileNotFoundError when there is no database at ``db_path``."""
    path = Path(db_path)
    if not path.is_file():
        raise FileNotFoundError(f"no database at {path}")
    connection = sqlite3.connect(str(path))
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "unanswered" not in tables:
            return []
        columns = {row[1] for row in connection.execute("PRAGMA table_info(unanswered)")}
        channel = "channel" if "channel" in columns else "NULL"
        sql = (f"SELECT id, COALESCE(at, ''), COALESCE(user_key, ''), COALESCE(question, ''), COALESCE(kind, ''), "
               f"COALESCE(best_guess, ''), COALESCE(confidence, 0), {channel} FROM unanswered")
        args: list[Any] = []
        if since is not None:
            sql += " WHERE at >= ?"
            args.append(since.isoformat())
        rows = connection.execute(sql + " ORDER BY at, id", args).fetchall()
    finally:
        connection.close()
    wanted = None if channels is None else set(channels)
    items = [Item(int(r[0]), r[1], r[2], r[3], r[4], r[5], float(r[6]), r[7] or DEFAULT_CHANNEL) for r in rows]
    return [i for i in items if i.question.strip() and (wanted is None or i.channel in wanted)]


def similarities(questions: list[str], content: Content) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Pairwise similarity of ``questions`` (0..1), each question's classifier scores and the
    labels of the score columns.

    The similarity is the cosine of the FAQ classifier's own features (character n-grams and
    jieba words, TF-IDF), raised where the classifier leans to the same FAQ entries for both."""
    from sklearn.preprocessing import normalize

    classifier = classifier_for(content)
    if classifier._vectorizer is None:  # fewer than two labels: nothing learnt to compare with
        from sklearn.feature_extraction.text import TfidfVectorizer

        features = TfidfVectorizer(analyzer="char", ngram_range=(1, 3)).fit_transform(questions)
        scores = np.ones((len(questions), len(classifier.labels)))
        return (normalize(features) @ normalize(features).T).toarray(), scores, list(classifier.labels)
    features = classifier._vectorizer.transform([classifier._matchable(q) for q in questions])
    unit = normalize(features)
    text = np.asarray((unit @ unit.T).todense())
    scores = margin_shares(classifier._svm, features, classifier.temperature)
    labels = [str(label) for label in classifier._svm.classes_]
    in_scope = np.array([label != OUT_OF_SCOPE for label in labels])
    entries = scores[:, in_scope]
    mass = entries.sum(axis=1)
    agreement = normalize(entries) @ normalize(entries).T
    boost = ENTRY_BOOST * agreement * np.sqrt(np.outer(mass, mass))
    return np.clip(1 - (1 - text) * (1 - boost), 0.0, 1.0), scores, labels


def cluster(similarity: np.ndarray, threshold: float = DISTANCE_THRESHOLD) -> list[int]:
    """A cluster number per row: average linkage over cosine distance, cut at ``threshold``."""
    count = len(similarity)
    if count < 2:
        return [0] * count
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    distance = np.clip(1.0 - similarity, 0.0, None)
    distance = (distance + distance.T) / 2  # exactly symmetric, as squareform demands
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), method="average")
    return [int(label) for label in fcluster(tree, threshold, criterion="distance")]


def group(items: list[Item], content: Content, threshold: float = DISTANCE_THRESHOLD) -> list[Group]:
    """``items`` clustered by what they ask, biggest group first (then the most recently seen).

    Identical questions (after normalisation) are one point; memory grows with the square of
    the number of distinct questions (5,000 take about 200 MB)."""
    if not items:
        return []
    by_text: dict[str, list[Item]] = {}
    for item in items:
        by_text.setdefault(comparable(item.question) or item.question, []).append(item)
    keys = list(by_text)
    representatives = [by_text[key][-1].question for key in keys]
    similarity, scores, labels = similarities(representatives, content)
    members: dict[int, list[int]] = {}
    for index, label in enumerate(cluster(similarity, threshold)):
        members.setdefault(label, []).append(index)
    questions_of = {entry.id: entry.question for entry in content.faq}
    groups = [_make_group([i for k in indexes for i in by_text[keys[k]]],
                          [len(by_text[keys[k]]) for k in indexes], scores[indexes], labels, questions_of)
              for indexes in members.values()]
    groups.sort(key=lambda g: g.last_seen, reverse=True)
    groups.sort(key=lambda g: g.count, reverse=True)  # stable: ties keep the most recent first
    for number, found in enumerate(groups, 1):
        found.number = number
    return groups


def _make_group(items: list[Item], weights: list[int], scores: np.ndarray, labels: list[str],
                questions_of: dict[str, str]) -> Group:
    items = sorted(items, key=lambda i: (i.at, i.id), reverse=True)
    mean = np.average(scores, axis=0, weights=weights)  # each logged question counts once
    ranked = [(float(share), label) for share, label in zip(mean, labels) if label != OUT_OF_SCOPE]
    share, entry = max(ranked) if ranked else (0.0, "")
    if share < MIN_SUGGESTION:
        share, entry = 0.0, ""
    outside = float(mean[labels.index(OUT_OF_SCOPE)]) if OUT_OF_SCOPE in labels else 0.0
    return Group(
        number=0, count=len(items), last_seen=items[0].at, questions=list(dict.fromkeys(i.question for i in items)),
        kinds=dict(Counter(i.kind for i in items).most_common()), suggested_entry=entry,
        suggested_question=questions_of.get(entry, ""), share=round(share, 3), out_of_scope_share=round(outside, 3),
        items=items,
    )


def kinds_text(kinds: dict[str, int]) -> str:
    """``{"out_of_scope": 3, "clarify": 1}`` as 未答出×3 追问×1 (labels of one meaning add up)."""
    labelled: Counter[str] = Counter()
    for kind, count in kinds.items():
        labelled[KIND_LABELS.get(kind, kind)] += count
    return " ".join(f"{label}×{count}" for label, count in labelled.most_common())


def render(groups: list[Group]) -> str:
    """The groups for the terminal: size, when last seen, kinds, suggestion and examples."""
    if not groups:
        return "没有需要复核的问题。"
    total = sum(g.count for g in groups)
    lines = [f"{len(groups)} 组，共 {total} 条问题（按条数排序，时间为 UTC）", ""]
    for found in groups:
        lines.append(f"#{found.number}  {found.count} 条 · 最近 {found.last_seen[:16].replace('T', ' ')}"
                     f" · {kinds_text(found.kinds)}")
        if found.suggested_entry:
            lines.append(f"    建议条目：{found.suggested_entry}「{found.suggested_question}」"
                         f" 得分 {found.share:.2f}，不属于政策问题 {found.out_of_scope_share:.2f}")
        else:
            lines.append(f"    无建议条目（不属于政策问题 {found.out_of_scope_share:.2f}）")
        for question in found.examples:
            lines.append(f"    · {question}")
        if len(found.questions) > EXAMPLES:
            lines.append(f"    …另有 {len(found.questions) - EXAMPLES} 种问法")
        lines.append("")
    return "\n".join(lines).rstrip()


def export_xlsx(groups: list[Group], path: str | Path, entries: list[tuple[str, str]] | None = None) -> None:
    """Write the groups to ``path``: sheets groups (one row per group; the trainer fills
    entry_id), questions (every question of every group), 说明 (how to fill it in) and, given
    ``entries`` (FAQ id, question), entries to look ids up in."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = "groups"
    _header(sheet, GROUP_COLUMNS, Font, get_column_letter)
    for found in groups:
        _append(sheet, [found.number, found.count, found.last_seen, kinds_text(found.kinds), found.suggested_entry,
                        found.suggested_question, found.share, "\n".join(found.examples), None])
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap
    entry_column = get_column_letter(GROUP_COLUMNS.index("entry_id") + 1)
    for cell in sheet[entry_column]:
        cell.fill = PatternFill("solid", fgColor="FFF2CC")  # the one column to type in
    questions = book.create_sheet("questions")
    _header(questions, QUESTION_COLUMNS, Font, get_column_letter)
    for found in groups:
        for question in found.questions:
            _append(questions, [found.number, question])
    notes = book.create_sheet("说明")
    notes.column_dimensions["A"].width = 120
    for line in HELP_LINES:
        notes.append([line])
    notes["A1"].font = Font(bold=True)
    if entries:
        listing = book.create_sheet("entries")
        _header(listing, ("entry_id", "question"), Font, get_column_letter)
        for entry_id, question in entries:
            _append(listing, [entry_id, question])
        # a drop-down of the ids; a typed id that is not listed only warns (import checks it)
        check = DataValidation(type="list", formula1=f"=entries!$A$2:$A${len(entries) + 1}", allow_blank=True,
                               errorStyle="warning", showErrorMessage=True)
        check.add(f"{entry_column}2:{entry_column}{max(len(groups) + 1, 2)}")
        sheet.add_data_validation(check)
    book.save(path)


def _header(sheet: Any, columns: tuple[str, ...], font: Any, letter: Any) -> None:
    sheet.append(list(columns))
    for index, name in enumerate(columns, 1):
        sheet.cell(row=1, column=index).font = font(bold=True)
        sheet.column_dimensions[letter(index)].width = WIDTHS.get(name, 20)
    sheet.freeze_panes = "A2"


def _append(sheet: Any, values: list[Any]) -> None:
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"  # a question that starts with '=' is text, not a formula


def read_decisions(path: str | Path, faq_ids: Iterable[str]) -> tuple[dict[str, list[str]], list[str]]:
    """The trainer's decisions in a filled workbook: entry id -> the questions of every group
    given that id (in sheet order, without repeats), and the problems found, each naming
    sheet, row and column (``groups!I4 (entry_id): unknown entry id 'x'``). Apply nothing when
    there are problems."""
    from openpyxl import load_workbook

    known = set(faq_ids)
    name = Path(path).name
    try:
        book = load_workbook(path, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a file that is no workbook
        return {}, [f"{name}: cannot read the workbook: {exc}"]
    errors = [f"{name}: missing sheet '{sheet}' (the workbook has {', '.join(book.sheetnames)})"
              for sheet in ("groups", "questions") if sheet not in book.sheetnames]
    if errors:
        return {}, errors
    groups_sheet = _columns(book["groups"], ("group", "entry_id"), errors)
    questions_sheet = _columns(book["questions"], QUESTION_COLUMNS, errors)
    if errors:
        return {}, errors
    questions: dict[int, list[tuple[int, str]]] = {}
    for row, cells in _rows(book["questions"], questions_sheet):
        number = _group_number(cells["group"], f"questions!{questions_sheet['group']}{row} (group)", errors)
        text = cells["question"]
        if number is None or text is None or not str(text).strip():
            continue
        text = str(text).strip()
        questions.setdefault(number, []).append((row, text))
    decisions: dict[str, list[str]] = {}
    for row, cells in _rows(book["groups"], groups_sheet):
        entry_id = cells["entry_id"]
        if entry_id is None or not str(entry_id).strip():
            continue
        entry_id = str(entry_id).strip()
        where = f"groups!{groups_sheet['entry_id']}{row} (entry_id)"
        number = _group_number(cells["group"], f"groups!{groups_sheet['group']}{row} (group)", errors)
        if entry_id not in known:
            close = difflib.get_close_matches(entry_id, known, n=1)
            errors.append(f"{where}: unknown entry id '{entry_id}'" + (f" (did you mean {close[0]}?)" if close else ""))
            continue
        if number is None:
            continue
        if number not in questions:
            errors.append(f"{where}: group {number} has no questions left in sheet 'questions'")
            continue
        decisions.setdefault(entry_id, [])
        for question_row, text in questions[number]:
            found = [p for p in PLACEHOLDERS if p in text]
            if found:  # a scrubbed question would teach the placeholder, not the question
                errors.append(f"questions!{questions_sheet['question']}{question_row} (question): contains {found[0]}: "
                              "rewrite the question without it or delete the row")
            elif text not in decisions[entry_id]:
                decisions[entry_id].append(text)
    return decisions, errors


def _columns(sheet: Any, wanted: tuple[str, ...], errors: list[str]) -> dict[str, str]:
    """Column letter of each wanted header of ``sheet``; a missing one is an error."""
    from openpyxl.utils import get_column_letter

    letters: dict[str, str] = {}
    for cell in next(sheet.iter_rows(min_row=1, max_row=1), ()):
        if isinstance(cell.value, str) and cell.value.strip() in wanted:
            letters.setdefault(cell.value.strip(), get_column_letter(cell.column))
    errors += [f"{sheet.title}!1 ({column}): missing column" for column in wanted if column not in letters]
    return letters


def _rows(sheet: Any, letters: dict[str, str]):
    """(row number, {column: value}) of every data row."""
    from openpyxl.utils import column_index_from_string

    index = {name: column_index_from_string(letter) - 1 for name, letter in letters.items()}
    for number, values in enumerate(sheet.iter_rows(min_row=2, values_only=True), 2):
        cells = {name: values[i] if i < len(values) else None for name, i in index.items()}
        if any(value not in (None, "") for value in cells.values()):
            yield number, cells


def _group_number(value: Any, where: str, errors: list[str]) -> int | None:
    """A group cell as a number; anything else is an error."""
    try:
        number = float(str(value).strip())
    except ValueError:
        number = -1.0
    if value is None or number < 1 or number != int(number):
        errors.append(f"{where}: not a group number: {value!r}")
        return None
    return int(number)
