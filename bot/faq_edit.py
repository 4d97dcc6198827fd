"""Edits of faq/<topic>.yml that keep everything a trainer wrote: comments, order, quoting.

Files are read with ruamel.yaml, but an edit never re-dumps a whole file: each changed or
added entry is rendered on its own from its ruamel node (so comments inside it survive) and
spliced into the file's text in place of its old lines. Every other line keeps its bytes, so
a review shows exactly the entries that changed.

After writing, the whole content is validated; when the edit brings new errors the files get
their original bytes back and the errors are reported.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString, SingleQuotedScalarString

from bot.content.loader import FAQ_FIELDS
from bot.content.problems import Problem

# The order fields are written in (the order the shipped files use); fields the loader
# knows but this list misses go last, so a new field still gets a column and a place.
FIELD_ORDER = tuple(dict.fromkeys(
    ("id", "question", "paraphrases", "answer", "sources", "rests_on", "related", "region", *FAQ_FIELDS)))
TEXT_FIELDS = tuple(f for f in FIELD_ORDER if FAQ_FIELDS[f][0] != "strlist")
LIST_FIELDS = tuple(f for f in FIELD_ORDER if FAQ_FIELDS[f][0] == "strlist")
BLOCK_LISTS = ("paraphrases",)  # one item per line; other lists are written [a, b]
KEY_INDENT = 4  # "  - id: ..." puts an entry's keys in column 4

Value = str | list[str]


class FaqEditError(ValueError):
    """An edit that cannot be made (e.g. an unknown entry id); nothing was written."""


def make_yaml() -> YAML:
    """The ruamel settings under which every shipped faq file round-trips byte for byte."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


@dataclass
class FaqFile:
    """One topic file: its original text and its ruamel document."""

    topic: str
    path: Path
    text: str
    doc: CommentedMap

    @property
    def entries(self) -> CommentedSeq:
        entries = self.doc.get("entries") if isinstance(self.doc, CommentedMap) else None
        return entries if isinstance(entries, CommentedSeq) else CommentedSeq()

    def index_of(self, entry_id: str) -> int | None:
        for index, node in enumerate(self.entries):
            if isinstance(node, CommentedMap) and node.get("id") == entry_id:
                return index
        return None


@dataclass
class FaqTree:
    """All faq/*.yml files of a content root, by topic (the file name without .yml)."""

    root: Path
    files: dict[str, FaqFile]

    def nodes(self) -> Iterator[tuple[str, CommentedMap]]:
        """(topic, entry node) for every entry, in file order."""
        for topic, faq_file in self.files.items():
            for node in faq_file.entries:
                if isinstance(node, CommentedMap):
                    yield topic, node

    def find(self, entry_id: str) -> tuple[FaqFile, CommentedMap] | None:
        for faq_file in self.files.values():
            index = faq_file.index_of(entry_id)
            if index is not None:
                return faq_file, faq_file.entries[index]
        return None


def load_tree(root: Path) -> FaqTree:
    """Read every faq/*.yml under ``root`` (raises FaqEditError on YAML that does not parse)."""
    yaml = make_yaml()
    files = {}
    for path in sorted((Path(root) / "faq").glob("*.y*ml")):
        text = path.read_bytes().decode("utf-8")
        try:
            doc = yaml.load(text)
        except Exception as exc:  # ruamel has no single base class for its parse errors
            raise FaqEditError(f"{path.relative_to(root).as_posix()}: not valid YAML: {exc}") from exc
        files[path.stem] = FaqFile(path.stem, path, text, doc)
    return FaqTree(Path(root), files)


# ---- plain values of an entry ----

def entry_values(node: CommentedMap) -> dict[str, Value]:
    """The entry's known fields as plain text / lists of text (absent fields are left out)."""
    values: dict[str, Value] = {}
    for key in FIELD_ORDER:
        if key not in node or node[key] is None:
            continue
        raw = node[key]
        if key in LIST_FIELDS:
            values[key] = [str(item) for item in raw] if isinstance(raw, list) else [str(raw)]
        else:
            values[key] = str(raw)
    return values


def same_value(a: Value | None, b: Value | None) -> bool:
    """Equal once surrounding whitespace is ignored (the loader strips it too)."""
    return _norm(a) == _norm(b)


def _norm(value: Value | None) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return value.replace("\r\n", "\n").strip()
    return [str(v).strip() for v in value]


# ---- changing nodes ----

def set_fields(node: CommentedMap, values: dict[str, Value | None]) -> None:
    """Set fields of an entry node in place; None removes a field. Values that are equal
    (after stripping) keep their original scalar, so quoting and comments stay."""
    for key, value in values.items():
        if value is None:
            if key in node:
                del node[key]
            continue
        old = node.get(key)
        if key in node and same_value(entry_values(node).get(key), value):
            continue
        new = _list_node(key, list(value), old) if key in LIST_FIELDS else _text_node(key, str(value), old)
        if key in node:
            node[key] = new
        else:
            node.insert(_position(node, key), key, new)


def new_entry(values: dict[str, Value]) -> CommentedMap:
    """A fresh entry node with the fields in the files' order."""
    node = CommentedMap()
    set_fields(node, {key: values[key] for key in FIELD_ORDER if values.get(key) is not None})
    return node


def _position(node: CommentedMap, key: str) -> int:
    """Where ``key`` goes: after the last present field that precedes it in FIELD_ORDER."""
    rank = FIELD_ORDER.index(key) if key in FIELD_ORDER else len(FIELD_ORDER)
    position = 0
    for index, existing in enumerate(node):
        if existing in FIELD_ORDER and FIELD_ORDER.index(existing) < rank:
            position = index + 1
    return position


def _text_node(key: str, value: str, old: Any) -> str:
    value = value.replace("\r\n", "\n").strip()
    # answers are written as '|' blocks like the shipped files; any multi-line text must be
    if "\n" in value or isinstance(old, LiteralScalarString) or (old is None and key == "answer"):
        return LiteralScalarString(value + "\n")
    if isinstance(old, (SingleQuotedScalarString, DoubleQuotedScalarString)):
        return type(old)(value)
    return value


def _list_node(key: str, values: list[str], old: Any) -> CommentedSeq:
    """A new sequence that reuses old items (and their comments) where the text is unchanged."""
    seq = CommentedSeq()
    old_items = list(old) if isinstance(old, CommentedSeq) else []
    unused = list(range(len(old_items)))
    for text in values:
        text = text.strip()
        match = next((i for i in unused if str(old_items[i]).strip() == text), None)
        if match is None:
            seq.append(text)
            continue
        unused.remove(match)
        seq.append(old_items[match])
        if match in old.ca.items:
            seq.ca.items[len(seq) - 1] = old.ca.items[match]
    flow = old.fa.flow_style() if isinstance(old, CommentedSeq) and old_items else None
    if flow is None:
        flow = key not in BLOCK_LISTS
    if flow:
        seq.fa.set_flow_style()
    else:
        seq.fa.set_block_style()
    return seq


# ---- rendering and splicing ----

@dataclass
class Edits:
    """Whole-entry changes: fields of existing entries, new entries, removed entries."""

    changed: dict[str, dict[str, Value | None]] = field(default_factory=dict)  # id -> field -> value (None: drop)
    added: list[tuple[str, dict[str, Value]]] = field(default_factory=list)  # (topic, all fields)
    removed: list[str] = field(default_factory=list)  # ids

    def __bool__(self) -> bool:
        return bool(self.changed or self.added or self.removed)


def render_entry(node: CommentedMap, yaml: YAML | None = None) -> list[str]:
    """The lines of one entry as it sits in a topic file (``  - id: ...``), without the blank
    lines and outer comments that separate it from the next entry."""
    holder = CommentedMap()
    holder["entries"] = CommentedSeq([node])
    out = io.StringIO()
    (yaml or make_yaml()).dump(holder, out)
    return _trim(out.getvalue().splitlines(keepends=True)[1:])


def _is_gap(line: str) -> bool:
    """Blank, or a comment outdented to the entry's keys or less: it separates entries."""
    stripped = line.strip()
    if not stripped:
        return True
    return stripped.startswith("#") and len(line) - len(line.lstrip(" ")) <= KEY_INDENT


def _trim(lines: list[str]) -> list[str]:
    end = len(lines)
    while end and _is_gap(lines[end - 1]):
        end -= 1
    return lines[:end]


def entry_spans(faq_file: FaqFile, lines: list[str]) -> list[tuple[int, int]]:
    """(first, end) line indexes of each entry's own lines (end excluded, gaps left out)."""
    entries = faq_file.entries
    starts = []
    for index in range(len(entries)):
        line = entries.lc.item(index)[0]
        while line > 0 and not lines[line].lstrip().startswith("-"):
            line -= 1  # the item's position is its first key; the dash may sit above it
        starts.append(line)
    keys = list(faq_file.doc)
    after = keys[keys.index("entries") + 1:] if "entries" in keys else []
    block_end = faq_file.doc.lc.key(after[0])[0] if after else len(lines)
    spans = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else block_end
        while end > start + 1 and _is_gap(lines[end - 1]):
            end -= 1
        spans.append((start, end))
    return spans


def render_files(tree: FaqTree, edits: Edits) -> dict[Path, str]:
    """The new text of every file the edits change (files are not written here).

    Raises FaqEditError for ids that are not in faq/ or topics without a file."""
    unknown = [i for i in [*edits.changed, *edits.removed] if tree.find(i) is None]
    if unknown:
        raise FaqEditError(f"unknown FAQ entry id: {', '.join(unknown)}")
    bad_topics = sorted({topic for topic, _ in edits.added} - set(tree.files))
    if bad_topics:
        raise FaqEditError(f"unknown topic: {', '.join(bad_topics)} (no faq/<topic>.yml)")
    yaml = make_yaml()
    texts = {}
    for topic, faq_file in tree.files.items():
        ids = [node.get("id") for node in faq_file.entries if isinstance(node, CommentedMap)]
        changed = {i: v for i, v in edits.changed.items() if i in ids}
        removed = {i for i in edits.removed if i in ids}
        added = [values for t, values in edits.added if t == topic]
        if not (changed or removed or added):
            continue
        text = _splice(faq_file, changed, removed, [new_entry(v) for v in added], yaml)
        if text != faq_file.text:
            texts[faq_file.path] = text
    return texts


def _splice(faq_file: FaqFile, changed: dict[str, dict[str, Value | None]], removed: set[str],
            added: list[CommentedMap], yaml: YAML) -> str:
    lines = faq_file.text.splitlines(keepends=True)
    entries = faq_file.entries
    if not entries or len(removed) == len(entries):
        return _dump_whole(faq_file, changed, removed, added, yaml)  # no entry left to splice beside
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    spans = entry_spans(faq_file, lines)
    replace: dict[int, tuple[int, list[str]]] = {}
    drop: set[int] = set()
    for index, node in enumerate(entries):
        entry_id = node.get("id") if isinstance(node, CommentedMap) else None
        start, end = spans[index]
        if entry_id in removed:
            if index == 0:  # the entry and the blank lines after it
                end_gap = end
                while end_gap < len(lines) and not lines[end_gap].strip():
                    end_gap += 1
                drop.update(range(start, end_gap))
            else:  # the gap before it (its header comments) and the entry
                drop.update(range(spans[index - 1][1], end))
        elif entry_id in changed:
            set_fields(node, changed[entry_id])
            replace[start] = (end, render_entry(node, yaml))
    insert_at = spans[-1][1]
    inserted = [line for node in added for line in ["\n", *render_entry(node, yaml)]]
    out: list[str] = []
    index = 0
    while index <= len(lines):
        if index == insert_at:
            out.extend(inserted)
        if index == len(lines):
            break
        if index in replace:
            end, new_lines = replace[index]
            out.extend(new_lines)
            index = end
            continue
        if index not in drop:
            out.append(lines[index])
        index += 1
    return "".join(out)


def _dump_whole(faq_file: FaqFile, changed: dict[str, dict[str, Value | None]], removed: set[str],
                added: list[CommentedMap], yaml: YAML) -> str:
    """Fallback for a file that has (or would have) no entries: edit the document and dump it."""
    entries = CommentedSeq()
    for node in faq_file.entries:
        entry_id = node.get("id") if isinstance(node, CommentedMap) else None
        if entry_id in removed:
            continue
        if entry_id in changed:
            set_fields(node, changed[entry_id])
        entries.append(node)
    entries.extend(added)
    if not entries:
        entries.fa.set_flow_style()
    faq_file.doc["entries"] = entries
    out = io.StringIO()
    yaml.dump(faq_file.doc, out)
    return out.getvalue()


# ---- writing with validation ----

@dataclass
class WriteOutcome:
    """What writing changed files did: the problems the edit brought, and whether it was undone."""

    written: list[Path]
    problems: list[Problem]
    rolled_back: bool


def write_validated(root: Path, texts: dict[Path, str]) -> WriteOutcome:
    """Write ``texts``, validate the whole content, and restore the original bytes if the
    edit brought errors that were not there before (warnings are reported, not undone)."""
    from bot.content import validate

    if not texts:
        return WriteOutcome([], [], False)
    _, before = validate(root)
    originals = {path: path.read_bytes() for path in texts}
    try:
        for path, text in texts.items():
            path.write_bytes(text.encode("utf-8"))
        _, after = validate(root)
    except BaseException:
        _restore(originals)
        raise
    new = new_problems(before, after)
    if any(p.is_error for p in new):
        _restore(originals)
        return WriteOutcome([], new, True)
    return WriteOutcome(sorted(texts), new, False)


def _restore(originals: dict[Path, bytes]) -> None:
    for path, data in originals.items():
        path.write_bytes(data)


def new_problems(before: list[Problem], after: list[Problem]) -> list[Problem]:
    """Problems in ``after`` that ``before`` did not have. Line numbers shift when entries
    grow or shrink, so problems are compared without them."""
    def key(problem: Problem) -> tuple[str, str, str, str]:
        return problem.path, problem.entry, problem.level, re.sub(r"\d+", "#", problem.message)

    seen = Counter(key(p) for p in before)
    new = []
    for problem in after:
        if seen[key(problem)]:
            seen[key(problem)] -= 1
        else:
            new.append(problem)
    return new


# ---- the API for adding paraphrases ----

@dataclass
class EditResult:
    """What ``add_paraphrases`` did, entry by entry.

    ``problems`` are the validation problems the edit brought (errors undo it: then
    ``rolled_back`` is true and ``written`` empty)."""

    added: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, list[str]] = field(default_factory=dict)  # already there, or empty
    problems: list[Problem] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    rolled_back: bool = False
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.rolled_back


def add_paraphrases(root: Path, additions: dict[str, list[str]], dry_run: bool = False) -> EditResult:
    """Append paraphrases to the named entries, skipping ones already present (compared
    after stripping). Writes only the files that change, then validates; new errors restore
    the files. Raises FaqEditError naming ids that are not FAQ entries."""
    root = Path(root)
    tree = load_tree(root)
    unknown = [entry_id for entry_id in additions if tree.find(entry_id) is None]
    if unknown:
        raise FaqEditError(f"unknown FAQ entry id: {', '.join(unknown)}")
    result = EditResult(dry_run=dry_run)
    edits = Edits()
    for entry_id, texts in additions.items():
        _, node = tree.find(entry_id)  # type: ignore[misc]
        current = list(entry_values(node).get("paraphrases", []))
        present = {p.strip() for p in current}
        added, skipped = [], []
        for text in texts:
            text = text.strip()
            if not text or text in present:
                skipped.append(text)
            else:
                added.append(text)
                present.add(text)
        result.added[entry_id] = added
        if skipped:
            result.skipped[entry_id] = skipped
        if added:
            edits.changed[entry_id] = {"paraphrases": current + added}
    if dry_run or not edits:
        return result
    outcome = write_validated(root, render_files(tree, edits))
    result.problems, result.written, result.rolled_back = outcome.problems, outcome.written, outcome.rolled_back
    return result
