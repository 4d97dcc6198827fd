"""`policybot content diff [REV]`: changed FAQ entries by id, before and after."""

from __future__ import annotations

import shutil
import subprocess

from click.testing import CliRunner

from bot.cli import cli
from bot.config import PROJECT_ROOT


def git(root, *args):
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def test_edits_since_a_commit_are_listed_by_entry(tmp_path):
    shutil.copytree(PROJECT_ROOT / "faq", tmp_path / "faq")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "faq")
    git(tmp_path, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "faq")
    run = lambda *args: CliRunner().invoke(cli, ["--root", str(tmp_path), "content", "diff", *args])  # noqa: E731
    assert run().output.strip() == "no FAQ entry changed since HEAD"
    path = tmp_path / "faq" / "apply.yml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("      - 我自己能申请容错吗\n", "      - 我自己能申请容错吗\n      - 本人可以申请吗 测试\n", 1)
    text = text.replace("第一步是弄清本地的容错办法和受理部门", "第一步是先弄清本地的容错办法和受理部门", 1)
    path.write_text(text, encoding="utf-8")
    result = run()
    assert result.exit_code == 0, result.output
    assert "~ apply_who_can (apply): changed" in result.output and "paraphrases: + 本人可以申请吗 测试" in result.output
    assert "~ apply_how_start (apply): changed" in result.output
    assert "before: 第一步是弄清" in result.output and "after:  第一步是先弄清" in result.output
    assert "since HEAD: 2 changed, 0 added, 0 removed" in result.output
    bad = run("no-such-revision")
    assert bad.exit_code == 1 and "cannot read faq/ at 'no-such-revision'" in bad.output and "Traceback" not in bad.output
