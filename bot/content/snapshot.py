"""The last good content, kept so that a start with a broken edit still serves users.

Each time the content loads without errors its files (faq/, knowledge/ and the hand-written
Rasa NLU data) are copied to ``var/content-snapshot``. A start whose content has errors uses
that copy instead, loudly; a fresh clone has none, and then the start refuses and says why.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)

PARTS = ("faq", "knowledge", "rasa_project/data/nlu")
SNAPSHOT = Path("var") / "content-snapshot"
COMPLETE = ".complete"


def snapshot_dir(root: Path) -> Path:
    return root / SNAPSHOT


def exists(root: Path) -> bool:
    return (snapshot_dir(root) / COMPLETE).is_file()


def save(root: Path) -> None:
    """Copy the content of ``root`` into its snapshot, atomically (readers never see half)."""
    target = snapshot_dir(root)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".content-snapshot-", dir=target.parent))
    try:
        for part in PARTS:
            if (root / part).is_dir():
                shutil.copytree(root / part, staging / part)
        (staging / COMPLETE).write_text("", encoding="utf-8")
        old = target.with_name(target.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            os.replace(target, old)
        os.replace(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:  # a full disk must not take the bot down: the snapshot is a safety net
        logger.warning("could not save the content snapshot: %s", exc)
        shutil.rmtree(staging, ignore_errors=True)
