"""``policybot content``: what changed in the content, for review before publishing.

bot/cli.py registers the group with ``cli.add_command(content)``; the settings decorator is
made here so that importing this module never imports bot.cli back.
"""

from __future__ import annotations

import click

from bot.config import Settings

pass_settings = click.make_pass_decorator(Settings)


@click.group()
def content() -> None:
    """Review changes to the content (faq/)."""


@content.command("diff")
@click.argument("revision", default="HEAD")
@pass_settings
def diff_command(settings: Settings, revision: str) -> None:
    """List the FAQ entries changed since REVISION (a git revision; default HEAD, the last commit).

    Added and removed entries by id, and for each changed entry the fields that changed, before
    and after (paraphrases as + and - lines). Moving an entry or reformatting a file is no change.

    Example:

    \b
        policybot content diff            # uncommitted edits
        policybot content diff HEAD~3     # the last three commits and the edits
    """
    from bot.content_diff import DiffError, diff, report
    from bot.faq_edit import FaqEditError

    try:
        diffs = diff(settings.root, revision)
    except (DiffError, FaqEditError) as exc:
        raise click.ClickException(str(exc)) from exc
    for line in report(diffs, revision):
        click.echo(line)
