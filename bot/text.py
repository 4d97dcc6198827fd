"""Text normalisation shared by the validator, retrieval and the channels.

Users write traditional characters, full-width forms, stray spaces, dialect characters and
homophone typos; the content is in simplified Chinese. Everything that compares text goes
through ``normalize`` (the replacements are content: knowledge/wording.yml).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import yaml
from opencc import OpenCC

logger = logging.getLogger(__name__)
WORDING_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "wording.yml"

_t2s = OpenCC("t2s")
_PUNCT_OR_SPACE = re.compile(r"[\s\W_]+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=8192)
def to_simplified(text: str) -> str:
    """Traditional to simplified characters, full-width to half-width (NFKC)."""
    return _t2s.convert(unicodedata.normalize("NFKC", text))


def read_wording(path: Path) -> dict[str, str]:
    """The ``replace:`` map of a wording file; raises ValueError saying what is wrong."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read: {exc}") from exc
    table = data.get("replace") if isinstance(data, dict) else None
    if not isinstance(table, dict):
        raise ValueError("expected a mapping 'replace:' of written form -> standard form")
    bad = [k for k, v in table.items() if not isinstance(k, str) or not isinstance(v, str) or not k.strip()]
    if bad:
        raise ValueError(f"replace: every entry must map text to text, not {bad[0]!r}")
    return {to_simplified(k).lower(): to_simplified(v).lower() for k, v in table.items()}


@lru_cache(maxsize=1)
def _wording() -> tuple[re.Pattern | None, dict[str, str]]:
    try:
        table = read_wording(WORDING_FILE)
    except ValueError as exc:  # `policybot validate` reports it; the bot goes on without it
        logger.warning("%s: %s", WORDING_FILE, exc)
        return None, {}
    # an identity entry (什么样) protects a longer word from a shorter one (么样)
    return longest_first(table), table


def longest_first(keys) -> re.Pattern | None:
    """A pattern matching any of ``keys``, the longest where several start at one place
    (None for no keys)."""
    keys = sorted(keys, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, keys))) if keys else None


@lru_cache(maxsize=8192)
def normalize(text: str, wording: bool = True) -> str:
    """Simplified, lower-case, single-spaced text with dialect characters and typos of
    knowledge/wording.yml replaced (unless ``wording`` is false), as the NLU sees it."""
    text = " ".join(to_simplified(text).lower().split())
    pattern, table = _wording() if wording else (None, {})
    return pattern.sub(lambda m: table[m.group(0)], text) if pattern else text


def comparable(text: str, wording: bool = True) -> str:
    """``normalize`` without punctuation and spaces: for detecting duplicates."""
    return _PUNCT_OR_SPACE.sub("", normalize(text, wording))


def visible_length(text: str) -> int:
    """Characters a reader sees: everything except whitespace."""
    return len("".join(text.split()))


def cjk_count(text: str) -> int:
    """Number of Chinese characters in ``text``."""
    return len(_CJK.findall(text))
