"""YAML loading that remembers line numbers, so errors can say file:line.

Mappings load as ``LocatedDict`` and sequences as ``LocatedList``; both know the line where
they start and the line of each key or item. Duplicate keys, which PyYAML silently merges,
are recorded so the validator can report them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class LocatedDict(dict):
    """A mapping from YAML with ``line`` and ``key_lines`` (1-based)."""

    line: int = 0
    key_lines: dict[str, int]
    duplicate_keys: list[tuple[str, int]]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LocatedList(list):
    """A sequence from YAML with ``line`` and ``item_lines`` (1-based)."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LocatedDict:
    loader.flatten_mapping(node)
    result = LocatedDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    result.duplicate_keys = []
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in result:
            result.duplicate_keys.append((key, key_node.start_mark.line + 1))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LocatedList:
    result = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


class YamlProblem(Exception):
    """The file cannot be read as YAML; ``line`` is 1-based or 0 when unknown."""

    def __init__(self, message: str, line: int = 0):
        super().__init__(message)
        self.line = line


def load_located(path: Path) -> Any:
    """Load one YAML file with line numbers; raise ``YamlProblem`` with a readable message."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise YamlProblem(f"cannot read file: {exc.strerror}") from exc
    if b"\x00" in raw:
        raise YamlProblem("binary file, expected UTF-8 YAML text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlProblem("not UTF-8 text (save the file as UTF-8)", line) from exc
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = _real_mark(exc)
        line = mark.line + 1 if mark else 0
        what = exc.problem or exc.context or "invalid YAML"
        if exc.context and mark is exc.context_mark:
            what = f"{exc.context}: {what}"
        offending = text.splitlines()[line - 1].strip() if 0 < line <= len(text.splitlines()) else ""
        shown = f" in: {offending[:80]}" if offending else ""
        raise YamlProblem(f"YAML syntax error: {what}{shown}", line) from exc
    except yaml.YAMLError as exc:
        raise YamlProblem(f"YAML error: {exc}") from exc


def _real_mark(exc: yaml.MarkedYAMLError):
    """Where the mistake is: an unclosed quote or bracket is only noticed at the end of the
    file (problem_mark), but the scanner remembers where it was opened (context_mark)."""
    if exc.context_mark is not None and exc.context and ("scanning" in exc.context or "parsing a flow" in exc.context):
        return exc.context_mark
    return exc.problem_mark or exc.context_mark
