"""Every CLI command is documented in the README and has help text."""

from __future__ import annotations

import pytest

from bot.cli import cli
from bot.config import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_command_documented(name):
    command = cli.commands[name]
    assert f"policybot {name}" in README
    assert command.help and command.help.strip()
    for param in command.params:
        if param.param_type_name == "option":
            assert param.help, f"{name} {param.name} has no help"


def test_readme_shows_the_two_commands():
    assert "make run" in README and "make test" in README
