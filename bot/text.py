"""Text normalisation shared by the validator, retrieval and the channels.

Users write traditional characters, full-width forms and stray spaces; the content is in
simplified Chinese. Everything that compares text goes through ``normalize``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from opencc import OpenCC

_t2s = OpenCC("t2s")
_PUNCT_OR_SPACE = re.compile(r"[\s\W_]+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=8192)
def to_simplified(text: str) -> str:
    """Traditional to simplified characters, full-width to half-width (NFKC)."""
    return _t2s.convert(unicodedata.normalize("NFKC", text))


def normalize(text: str) -> str:
    """Simplified, lower-case, single-spaced text, as the NLU sees it."""
    return " ".join(to_simplified(text).lower().split())


def comparable(text: str) -> str:
    """``normalize`` without punctuation and spaces: for detecting duplicates."""
    return _PUNCT_OR_SPACE.sub("", normalize(text))


def visible_length(text: str) -> int:
    """Characters a reader sees: everything except whitespace."""
    return len("".join(text.split()))


def cjk_count(text: str) -> int:
    """Number of Chinese characters in ``text``."""
    return len(_CJK.findall(text))
