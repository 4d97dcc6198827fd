"""Which FAQ entries changed since a git revision: added, removed, and changed field by field
(before and after), for a trainer to review an edit before publishing it.

The revision's faq/ is taken with ``git archive`` into a temporary folder and compared with the
working tree entry by entry (bot.faq_sheet's comparison), so a moved entry or a reformatted
file shows no change, and an edited answer shows its old and new text.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from pathlib import Path

from bot.faq_edit import entry_values, load_tree
from bot.faq_sheet import EntryDiff, SheetEntry, compare, diff_lines


class DiffError(Exception):
    """The revision or the files cannot be read; the message says which."""


def entries(root: Path) -> dict[str, tuple[str, dict]]:
    """id -> (topic, field values) of every FAQ entry under ``root``."""
    found: dict[str, tuple[str, dict]] = {}
    for topic, node in load_tree(root).nodes():
        values = entry_values(node)
        found[str(values.get("id", ""))] = (topic, values)
    return found


def faq_at(root: Path, revision: str, target: Path) -> Path:
    """faq/ as it was at ``revision`` of the git checkout ``root``, extracted under ``target``."""
    try:
        archive = subprocess.run(["git", "-C", str(root), "archive", "--format=tar", revision, "faq"],
                                 capture_output=True, check=True, timeout=60).stdout
    except FileNotFoundError as exc:
        raise DiffError("git is not installed") from exc
    except subprocess.CalledProcessError as exc:
        reason = exc.stderr.decode(errors="replace").strip().splitlines()
        raise DiffError(f"cannot read faq/ at '{revision}': {reason[-1] if reason else 'git archive failed'}") from exc
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def diff(root: Path, revision: str = "HEAD") -> list[EntryDiff]:
    """The FAQ entries that differ between ``revision`` and the working tree of ``root``."""
    with tempfile.TemporaryDirectory() as folder:
        before = entries(faq_at(root, revision, Path(folder)))
    after = {entry_id: SheetEntry(topic, values, row=0) for entry_id, (topic, values) in entries(root).items()}
    return compare(before, after)


def report(diffs: list[EntryDiff], revision: str) -> list[str]:
    """The lines `policybot content diff` prints."""
    if not diffs:
        return [f"no FAQ entry changed since {revision}"]
    counts = {kind: sum(d.kind == kind for d in diffs) for kind in ("changed", "added", "removed")}
    return diff_lines(diffs) + [f"since {revision}: {counts['changed']} changed, {counts['added']} added, "
                                f"{counts['removed']} removed"]
