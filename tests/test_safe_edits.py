"""Edits are safe and visible: a broken edit while running keeps the last good content and says
where the mistake is; a start with broken content uses the last good copy; a YAML mistake is
reported at its real line, without follow-on errors from other files."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT, Settings
from bot.content import snapshot, validate
from bot.content.live import LiveContent
from bot.errors import ContentError


@pytest.fixture
def tree(tmp_path) -> Path:
    """A copy of the shipped content (without a last good copy yet)."""
    for part in snapshot.PARTS:
        shutil.copytree(PROJECT_ROOT / part, tmp_path / part)
    return tmp_path


def break_quote(root: Path) -> int:
    """An unclosed quote on the question of the first entry of faq/apply.yml; its line."""
    path = root / "faq" / "apply.yml"
    lines = path.read_text(encoding="utf-8").split("\n")
    number = next(i for i, line in enumerate(lines) if line.strip().startswith("question:"))
    lines[number] = lines[number].replace("question: ", 'question: "', 1)
    path.write_text("\n".join(lines), encoding="utf-8")
    return number + 1


def test_an_unclosed_quote_is_reported_at_its_line_alone(tree):
    line = break_quote(tree)
    _, problems = validate(tree)
    errors = [str(p) for p in problems if p.is_error]
    assert len(errors) == 1, errors  # no follow-on errors from files that refer to its entries
    assert errors[0].startswith(f"faq/apply.yml:{line}: YAML syntax error") and 'question: "' in errors[0]


def test_a_broken_edit_while_running_keeps_the_last_good_content_and_says_where(tree):
    told: list[tuple[list[str], bool]] = []
    live = LiveContent(tree, on_change=lambda errors, kept: told.append((errors, kept)))
    content, _ = live.get()
    entries = len(content.faq)
    assert snapshot.exists(tree)  # a good load is kept as the last good copy
    line = break_quote(tree)
    again, _ = live.get()
    assert again is content and len(again.faq) == entries
    [(errors, kept)] = told
    assert kept and errors[0].startswith(f"faq/apply.yml:{line}:")
    shutil.copy(PROJECT_ROOT / "faq" / "apply.yml", tree / "faq" / "apply.yml")
    fixed, _ = live.get()
    assert fixed is not content and told[-1] == ([], False)


def test_a_start_with_broken_content_uses_the_last_good_copy(tree, caplog):
    LiveContent(tree).get()  # a good start leaves the copy
    break_quote(tree)
    told = []
    live = LiveContent(tree, on_change=lambda errors, kept: told.append(errors))
    content, _ = live.get()
    assert len(content.faq) == len(LiveContent(PROJECT_ROOT).get()[0].faq)
    assert content.guide is not None and live.questionnaire() is not None
    assert "STARTING WITH THE LAST GOOD CONTENT" in caplog.text and told and "faq/apply.yml" in told[0][0]


def test_a_start_with_broken_content_and_no_copy_refuses_and_says_why(tree):
    line = break_quote(tree)
    with pytest.raises(ContentError, match=rf"no last good copy.*faq/apply.yml:{line}"):
        LiveContent(tree).get()


def test_training_and_the_cli_start_from_the_last_good_copy(tree, capsys):
    import click

    from bot.cli import _load_content_or_fail

    settings = Settings(root=tree)
    break_quote(tree)
    with pytest.raises(click.ClickException, match="no last good copy"):
        _load_content_or_fail(settings)
    shutil.copy(PROJECT_ROOT / "faq" / "apply.yml", tree / "faq" / "apply.yml")
    LiveContent(tree).get()  # a good load leaves the copy
    break_quote(tree)
    content = _load_content_or_fail(settings)
    assert content.faq and "上一版正确的内容" in capsys.readouterr().err


def test_admins_are_told_on_telegram(telegram, tree):
    from bot.channels.telegram_runner import watch_content
    from fake_telegram import ADMIN

    async def scenario(fake, channel):
        watch = asyncio.create_task(watch_content(Settings(root=tree), channel, period=0.2))
        try:
            await asyncio.sleep(3)  # the first load
            line = break_quote(tree)
            await fake.wait_for(lambda: any("错误" in c.text for c in fake.sent_to(ADMIN)), timeout=30)
            alert = next(c.text for c in fake.sent_to(ADMIN) if "错误" in c.text)
            assert f"faq/apply.yml:{line}" in alert and "上一版" in alert
            shutil.copy(PROJECT_ROOT / "faq" / "apply.yml", tree / "faq" / "apply.yml")
            await fake.wait_for(lambda: any("已生效" in c.text for c in fake.sent_to(ADMIN)), timeout=30)
        finally:
            watch.cancel()

    telegram(scenario)
