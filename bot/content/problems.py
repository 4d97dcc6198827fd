"""Problems found in the content, each saying where and what."""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """One finding of the loader or validator, printed as ``path:line: entry id: message``."""

    path: str
    line: int
    message: str
    entry: str = ""
    level: str = ERROR

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        who = f" entry {self.entry}:" if self.entry else ""
        tag = "" if self.level == ERROR else " warning:"
        return f"{where}:{tag}{who} {self.message}"

    @property
    def is_error(self) -> bool:
        return self.level == ERROR
