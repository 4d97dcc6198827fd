"""Synonyms: everyday ways of saying a policy term (knowledge/synonyms.yml).

A cadre writes 往上走 where the FAQ says 提拔, 乱告 where it says 诬告. The FAQ classifier and the
nearest-example index see a question with the standard term added after it (the original text
stays), and so do the paraphrases they learn from, so one list helps every entry at once.
The Rasa model does not use them: editing the list takes effect on reload, without retraining.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.content.problems import Problem
from bot.text import comparable, longest_first

SYNONYMS_FILE = "knowledge/synonyms.yml"


@dataclass(frozen=True)
class Synonyms:
    """variant -> standard term, matched longest first on ``comparable`` text."""

    standard_of: dict[str, str] = field(default_factory=dict)
    _pattern: re.Pattern | None = field(init=False, default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_pattern", longest_first(self.standard_of))

    def expand(self, text: str) -> str:
        """``text`` followed by the standard terms of the variants it contains (each once,
        and only when the text does not already say it)."""
        if self._pattern is None:
            return text
        found = dict.fromkeys(self.standard_of[m.group(0)] for m in self._pattern.finditer(text))
        extra = [term for term in found if term not in text]
        return f"{text} {' '.join(extra)}" if extra else text

    def matchable(self, text: str) -> str:
        """``text`` as the FAQ matchers see it: ``comparable``, then expanded."""
        return self.expand(comparable(text))

    def __len__(self) -> int:
        return len(self.standard_of)


def parse_synonyms(data: object, path: str = SYNONYMS_FILE) -> tuple[Synonyms, list[Problem]]:
    """Build ``Synonyms`` from the loaded YAML of a synonyms file; problems say what is wrong
    and where. Sound groups are kept when others are broken."""
    problems: list[Problem] = []
    if data is None:
        return Synonyms(), problems
    groups = data.get("synonyms") if isinstance(data, dict) else None
    if not isinstance(groups, dict):
        return Synonyms(), [Problem(path, 0, "expected a mapping 'synonyms:' of standard term -> list of other ways to say it")]
    line_of = getattr(groups, "line_of", lambda key: 0)
    problems += [Problem(path, line, f"standard term '{key}' is given twice") for key, line in getattr(groups, "duplicate_keys", [])]
    standard_of: dict[str, str] = {}
    standards = {comparable(str(k)) for k in groups if isinstance(k, str)}
    for key, variants in groups.items():
        line = line_of(key)
        if not isinstance(key, str) or not key.strip():
            problems.append(Problem(path, line, f"standard term must be text, not {key!r}"))
            continue
        if not isinstance(variants, list) or not variants or not all(isinstance(v, str) and v.strip() for v in variants):
            problems.append(Problem(path, line, f"'{key}' must have a list of texts (other ways to say it)"))
            continue
        standard = comparable(key)
        for variant in map(comparable, variants):
            if variant == standard:
                problems.append(Problem(path, line, f"'{key}' lists itself as a variant"))
            elif variant in standards:
                problems.append(Problem(path, line, f"variant '{variant}' of '{key}' is itself a standard term"))
            elif standard_of.get(variant, standard) != standard:
                problems.append(Problem(path, line, f"variant '{variant}' is listed under both '{standard_of[variant]}' and '{key}'"))
            else:
                standard_of[variant] = standard
    return Synonyms(standard_of), problems
