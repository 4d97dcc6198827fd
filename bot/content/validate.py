"""Cross-file checks of the content: ids, references, duplicates, lengths.

The loader checks each record's shape; this module checks how records fit together and
whether the FAQ is fit to train a classifier on (no shared or near-identical paraphrases).
"""

from __future__ import annotations

import math
import re
from difflib import SequenceMatcher
from pathlib import Path

from bot.content.loader import load_content
from bot.content.models import Content, FaqEntry
from bot.content.problems import WARNING, Problem
from bot.text import comparable, visible_length

MAX_ANSWER_CHARS = 400
# Messages of files that could not be read at all (bot.content.yamlpos.load_located).
UNREADABLE = ("YAML syntax error", "YAML error", "cannot read file", "binary file", "not UTF-8")
MIN_PARAPHRASES = 10
NEAR_DUPLICATE_RATIO = 0.9
_BLOCK = 256  # examples compared with all others at once by the near-duplicate check


def validate(root: Path, seeds_dir: Path | None = None, screening: bool = True) -> tuple[Content, list[Problem]]:
    """Load and check everything under ``root``; problems are sorted by file and line.

    ``screening=False`` leaves knowledge/screening.yml to its own loader (the running bot)."""
    content, problems = load_content(root)
    unreadable = [p for p in problems if p.is_error and p.message.startswith(UNREADABLE)]
    if unreadable:
        # Every entry of an unreadable file is missing, so every reference to one would be
        # reported too: show only what to fix first.
        return content, sorted(set(unreadable))
    problems += check_ids(content)
    problems += check_references(content)
    problems += check_faq_shape(content)
    problems += check_paraphrases(content)
    problems += check_dialogue(root, content)
    problems += check_wording(root)
    problems += check_statuses(root, content)
    problems += check_campaigns(root)
    if screening:
        problems += check_screening(root, content)
    if seeds_dir is not None and seeds_dir.is_dir():
        problems += check_source_files(content, seeds_dir, root)
    return content, sorted(set(problems))


def check_ids(content: Content) -> list[Problem]:
    """Every id is defined once across faq/ and knowledge/."""
    seen: dict[str, object] = {}
    problems = []
    for item_id, location in content.iter_ids():
        if item_id in seen:
            problems.append(Problem(location.path, location.line, f"duplicate id (also at {seen[item_id]})", item_id))
        else:
            seen[item_id] = location
    return problems


def check_references(content: Content) -> list[Problem]:
    """Cited sources and related ids exist."""
    known_ids = {item_id for item_id, _ in content.iter_ids()}
    problems = []
    records = [*content.faq, *content.items, *content.cases]
    for record in records:
        where = record.location
        for source_id in record.sources:
            if source_id not in content.sources:
                problems.append(Problem(where.path, where.line, f"unknown source '{source_id}' (not in knowledge/sources.yml)", record.id))
    for entry in content.faq:
        for related in entry.related:
            if related == entry.id:
                problems.append(Problem(entry.location.path, entry.location.line, "related lists the entry itself", entry.id))
            elif related not in known_ids:
                problems.append(Problem(entry.location.path, entry.location.line, f"related id '{related}' does not exist", entry.id))
    for entry in content.faq:
        for ref in entry.rests_on or ():
            if resolve_ref(content, ref) is None:
                problems.append(Problem(entry.location.path, entry.location.line,
                                        f"rests_on '{ref}' is not a knowledge item, item.part or case", entry.id))
    for source in content.sources.values():
        for quoting in source.quoted_in:
            if quoting not in content.sources:
                problems.append(Problem(source.location.path, source.location.line, f"quoted_in '{quoting}' is not a source id", source.id))
    return problems


def check_faq_shape(content: Content) -> list[Problem]:
    """Answers are short enough to read at once; entries have enough paraphrases to learn from."""
    problems = []
    for entry in content.faq:
        where = entry.location
        length = visible_length(entry.answer)
        if length > MAX_ANSWER_CHARS:
            problems.append(Problem(where.path, where.line, f"answer too long: {length} characters (at most {MAX_ANSWER_CHARS})", entry.id))
        if len(entry.paraphrases) < MIN_PARAPHRASES:
            problems.append(Problem(where.path, where.line, f"only {len(entry.paraphrases)} paraphrases (at least {MIN_PARAPHRASES})", entry.id))
    return problems


def check_paraphrases(content: Content) -> list[Problem]:
    """No example appears in two entries; near-identical examples across entries are reported."""
    problems = []
    owner: dict[str, FaqEntry] = {}
    examples: list[tuple[str, FaqEntry, str]] = []
    for entry in content.faq:
        seen_here: set[str] = set()
        for text in entry.examples:
            key = comparable(text)
            where = entry.location
            if not key:
                problems.append(Problem(where.path, where.line, f"paraphrase '{text}' has no words", entry.id))
                continue
            if key in seen_here:
                problems.append(Problem(where.path, where.line, f"paraphrase '{text}' is repeated in this entry", entry.id, WARNING))
                continue
            seen_here.add(key)
            if key in owner and owner[key].id != entry.id:
                other = owner[key]
                problems.append(Problem(where.path, where.line, f"paraphrase '{text}' also belongs to entry {other.id} ({other.location})", entry.id))
                continue
            owner[key] = entry
            examples.append((key, entry, text))
    problems += _near_duplicates(examples)
    return problems


def _near_duplicates(examples: list[tuple[str, FaqEntry, str]]) -> list[Problem]:
    """Pairs of examples from different entries that differ by almost nothing.

    Character bigram overlap (Jaccard ≥ 0.6, counted with sparse matrix products: thousands
    of examples take well under a second) is a cheap filter; SequenceMatcher confirms the
    survivors.
    """
    import numpy as np
    from scipy.sparse import csr_matrix

    grams = [_bigrams(key) for key, _, _ in examples]
    vocabulary: dict[str, int] = {}
    rows, cols = [], []
    for row, example_grams in enumerate(grams):
        for gram in example_grams:
            rows.append(row)
            cols.append(vocabulary.setdefault(gram, len(vocabulary)))
    if not rows:
        return []
    matrix = csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(len(grams), len(vocabulary)))
    sizes = np.asarray(matrix.sum(axis=1)).ravel()
    pairs = []
    # a block of rows at a time: nearly every pair shares some bigram (容错), and the whole
    # product at once would take hundreds of MB
    for first in range(0, len(grams), _BLOCK):
        shared = (matrix[first:first + _BLOCK] @ matrix.T).tocoo()
        row = shared.row + first
        jaccard = shared.data / (sizes[row] + sizes[shared.col] - shared.data)
        close = (row < shared.col) & (jaccard >= 0.6)
        pairs += zip(row[close].tolist(), shared.col[close].tolist())
    problems = []
    for a, b in sorted(pairs):
        (key_a, entry_a, text_a), (key_b, entry_b, text_b) = examples[a], examples[b]
        if entry_a.id == entry_b.id:
            continue
        if SequenceMatcher(None, key_a, key_b).ratio() >= NEAR_DUPLICATE_RATIO:
            where = entry_b.location
            problems.append(Problem(
                where.path, where.line,
                f"paraphrase '{text_b}' is nearly the same as '{text_a}' of entry {entry_a.id} ({entry_a.location}): reword one",
                entry_b.id, WARNING,
            ))
    return problems


def _bigrams(text: str) -> frozenset[str]:
    return frozenset(text[i:i + 2] for i in range(len(text) - 1)) or frozenset([text])


def check_dialogue(root: Path, content: Content) -> list[Problem]:
    """knowledge/dialogue.yml has its texts and names only FAQ ids that exist."""
    from bot.dialogue import load_dialogue
    from bot.errors import ContentError

    path = root / "knowledge" / "dialogue.yml"
    if not path.exists():
        return [Problem("knowledge/dialogue.yml", 0, "file is missing: the bot's fixed texts and thresholds")]
    try:
        dialogue = load_dialogue(path)
    except ContentError as exc:
        return [Problem("knowledge/dialogue.yml", 0, str(exc).split(": ", 1)[-1])]
    known = content.faq_by_id()
    named = [*dialogue.intent_answers.values(), *dialogue.topic_buttons, *dialogue.procedure_entries]
    problems = [Problem("knowledge/dialogue.yml", 0, f"FAQ id '{faq_id}' does not exist") for faq_id in named if faq_id not in known]
    topics = {topic.id for topic in content.topics}
    problems += [Problem("knowledge/dialogue.yml", 0, f"guide_topics: '{topic}' is not a FAQ topic (a file in faq/)")
                 for topic in dialogue.guide_topics if topic not in topics]
    from bot.content.models import ITEM_KINDS

    kinds = {kind for group in ITEM_KINDS.values() for kind in group}
    problems += [Problem("knowledge/dialogue.yml", 0, f"guide_kinds: '{kind}' is not a kind of knowledge item")
                 for kind in dialogue.guide_kinds if kind not in kinds]
    return problems


def check_campaigns(root: Path) -> list[Problem]:
    """knowledge/campaigns.yml, when present: campaign names and greetings."""
    from bot.campaigns import load_greetings

    return load_greetings(root)[1]


def check_wording(root: Path) -> list[Problem]:
    """knowledge/wording.yml, when present, maps written forms to standard ones."""
    from bot.text import read_wording

    path = root / "knowledge" / "wording.yml"
    if not path.exists():
        return []
    try:
        read_wording(path)
    except ValueError as exc:
        return [Problem("knowledge/wording.yml", 0, str(exc))]
    return []


def check_screening(root: Path, content: Content) -> list[Problem]:
    """knowledge/screening.yml, when present: its schema, ids, reachability and case answers;
    and knowledge/apply/ (the how-to-apply guide), which refers to its questions."""
    from bot.screening import load_questionnaire

    if not (root / "knowledge" / "screening.yml").exists():
        return []
    from bot.content.messages import check_messages

    from bot.content.guide import load_guide

    questionnaire, problems = load_questionnaire(root, content)
    _, guide_problems = load_guide(root, content, questionnaire)
    return problems + check_messages(content, questionnaire) + guide_problems


def check_source_files(content: Content, seeds_dir: Path, root: Path) -> list[Problem]:
    """Each source names a file that exists (seeds/… beside the checkout, or in the project)."""
    problems = []
    for source in content.sources.values():
        name = source.file
        candidates = [seeds_dir.parent / name, seeds_dir / Path(name).name, root / name]
        if not any(path.is_file() for path in candidates):
            problems.append(Problem(source.location.path, source.location.line, f"file '{name}' not found in {seeds_dir}", source.id))
    return problems


# ---- statuses: an answer says when it rests on a recommendation or a proposal ----

MIN_SHARED_BIGRAMS = 4  # a sentence sharing fewer with a claim does not state it
MIN_COVERAGE = 0.25  # nor one whose content (weighted bigrams) is mostly about something else
_LIST_ITEM = re.compile(r"^\s*(\d+[.、．)）]|[-•·])")
_WORD_CHAR = re.compile(r"[\u4e00-\u9fff0-9A-Za-z]")


def resolve_ref(content: Content, ref: str):
    """``item``, ``item.part`` or a case id -> (item or case, part or None); None if unknown."""
    items = content.items_by_id()
    item_id, _, part_id = ref.partition(".")
    if item_id in items:
        item = items[item_id]
        if not part_id:
            return item, None
        part = item.part(part_id)
        return (item, part) if part is not None else None
    if not part_id and any(case.id == ref for case in content.cases):
        return next(case for case in content.cases if case.id == ref), None
    return None


def check_statuses(root: Path, content: Content) -> list[Problem]:
    """With knowledge/statuses.yml present: every knowledge item has a status, every FAQ entry
    says what it rests on, and the answer sentence stating a recommendation or proposal it
    rests on carries one of that status's markers (建议, 提出, 设想 …)."""
    from bot.content.loader import load_statuses

    rules, problems = load_statuses(root)
    if rules is None:
        return problems
    for item in content.items:
        if not item.status:
            problems.append(Problem(item.location.path, item.location.line,
                                    f"missing 'status' (one of {', '.join(rules.statuses)})", item.id))
    weights = _bigram_weights(content)
    for entry in content.faq:
        where = entry.location
        if entry.rests_on is None:
            problems.append(Problem(where.path, where.line, "missing 'rests_on' (the knowledge items the answer rests on)", entry.id))
            continue
        if not entry.rests_on and not any(content.sources.get(s) and content.sources[s].tier == "project" for s in entry.sources):
            problems.append(Problem(where.path, where.line, "'rests_on' is empty: only answers about the bot itself rest on no knowledge item", entry.id))
        problems += _check_markers(entry, content, rules, weights)
    return problems


def _check_markers(entry: FaqEntry, content: Content, rules, weights: dict[str, float]) -> list[Problem]:
    problems = []
    clauses = answer_clauses(entry.answer, rules)
    for ref in entry.rests_on or ():
        resolved = resolve_ref(content, ref)
        if resolved is None or not hasattr(resolved[0], "status_of"):
            continue
        for status_name, text in _claims(*resolved, rules).items():
            status = rules.statuses[status_name]
            claim = _bigrams(_words(text))
            scored = []
            for clause in clauses:
                own = _bigrams(clause.words)
                shared = own & claim
                if len(shared) < MIN_SHARED_BIGRAMS:
                    continue
                score = sum(weights.get(g, 1.0) for g in shared)
                scored.append((score, score / sum(weights.get(g, 1.0) for g in own), clause))
            if not scored:
                continue
            best = max(score for score, _, _ in scored)
            for score, coverage, clause in scored:
                # the clause(s) sharing the most with the claim state it, unless even they are
                # mostly about something else
                if score >= best * 0.999 and coverage >= MIN_COVERAGE and not clause.marked(status.markers):
                    shown = clause.text if len(clause.text) <= 40 else clause.text[:40] + "…"
                    problems.append(Problem(
                        entry.location.path, entry.answer_line + clause.line if entry.answer_line else entry.location.line,
                        f"rests on {ref} ({status.label}) but the sentence stating it does not say so: "
                        f"「{shown}」 needs one of {'、'.join(status.markers[:6])}…",
                        entry.id,
                    ))
    return problems


def _claims(item, part, rules) -> dict[str, str]:
    """Status -> text, for the statuses of an item (or part) that need a marker: for a whole
    item, its own text if its status needs one, and the parts whose status does."""
    def needs(status: str) -> bool:
        return status in rules.statuses and rules.statuses[status].needs_marker

    chunks: dict[str, list[str]] = {}
    if part is not None:
        units = [(item.status_of(part), part.text or part.name)]
    else:
        units = [(item.status, item.text)] + [(item.status_of(p), p.text or p.name) for p in item.parts]
    for status, text in units:
        if needs(status):
            chunks.setdefault(status, []).append(text)
    return {status: "\n".join(texts) for status, texts in chunks.items()}


class Clause:
    """A stretch of an answer that states one thing: a sentence, or one of the parts a
    sentence joins with ；. ``lead`` is the marker-bearing lead-in it inherits, if any
    (湖北调研报告建议：… ；… , or a line ending in ： followed by a numbered list)."""

    def __init__(self, text: str, line: int, lead: str, ignore: tuple[str, ...]):
        self.text, self.line, self.lead, self._ignore = text.strip(), line, lead, ignore
        self.words = _words(self.text)

    def marked(self, markers: tuple[str, ...]) -> bool:
        return _has_marker(self.text, markers, self._ignore) or _has_marker(self.lead, markers, self._ignore)


def _has_marker(text: str, markers: tuple[str, ...], ignore: tuple[str, ...]) -> bool:
    for phrase in ignore:
        text = text.replace(phrase, "")
    return any(marker in text for marker in markers)


def answer_clauses(answer: str, rules) -> list[Clause]:
    """Split an answer into clauses (line offsets from the answer's first line)."""
    all_markers = tuple(m for info in rules.statuses.values() for m in info.markers)
    clauses: list[Clause] = []
    list_lead = ""  # a line ending in ： with a marker, inherited by the list below it
    for offset, line in enumerate(answer.split("\n")):
        if not line.strip():
            list_lead = ""
            continue
        if not _LIST_ITEM.match(line):
            list_lead = ""
        for sentence in re.split(r"(?<=[。！？!?])", line):
            if not sentence.strip():
                continue
            lead = list_lead
            for part in sentence.split("；"):
                if not part.strip():
                    continue
                clause = Clause(part, offset, lead, rules.ignore)
                clauses.append(clause)
                head, colon, _ = part.partition("：")
                if colon and _has_marker(head, all_markers, rules.ignore):
                    lead = head  # 报告建议：甲；乙 — 乙 is also what the report recommends
        stripped = line.rstrip()
        if stripped.endswith(("：", ":")) and _has_marker(stripped, all_markers, rules.ignore):
            list_lead = stripped
    return clauses


def _words(text: str) -> str:
    return "".join(_WORD_CHAR.findall(text))


def _bigram_weights(content: Content) -> dict[str, float]:
    """Inverse document frequency of character bigrams over the knowledge texts: 容错 or 干部
    say little about which claim a sentence states; 一票否决 says a lot."""
    documents = [_bigrams(_words(item.text)) for item in content.items]
    documents += [_bigrams(_words(f"{p.name}{p.text}")) for item in content.items for p in item.parts]
    frequency: dict[str, int] = {}
    for grams in documents:
        for gram in grams:
            frequency[gram] = frequency.get(gram, 0) + 1
    total = len(documents) or 1
    return {gram: math.log((total + 1) / (count + 1)) + 0.1 for gram, count in frequency.items()}
