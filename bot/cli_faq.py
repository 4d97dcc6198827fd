"""``policybot faq``: the FAQ as a spreadsheet, for trainers who would rather not edit YAML.

bot/cli.py registers the group with ``cli.add_command(faq)``. The settings decorator is made
here rather than imported from bot.cli, so importing this module never runs into bot.cli
importing it back; click finds the same Settings object either way.

Example:

\b
    policybot faq export faq.xlsx
    policybot faq import faq.xlsx --dry-run
"""

from __future__ import annotations

from pathlib import Path

import click

from bot.config import Settings

pass_settings = click.make_pass_decorator(Settings)


@click.group()
def faq() -> None:
    """Export faq/ to an .xlsx workbook and import the edited workbook back."""


@faq.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@pass_settings
def export_command(settings: Settings, file: str) -> None:
    """Write the FAQ to the workbook FILE (.xlsx).

    Sheet 'entries' has one row per entry (id, topic and every field), sheet 'paraphrases'
    one row per paraphrase; bot/faq_sheet.py describes the columns. FILE is overwritten.

    Example:

    \b
        policybot faq export faq.xlsx
    """
    from bot.faq_edit import FaqEditError
    from bot.faq_sheet import export

    try:
        summary = export(settings.root, Path(file))
    except (FaqEditError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"wrote {file}: {summary.entries} entries, {summary.paraphrases} paraphrases")


@faq.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Show what the workbook would change in faq/; write nothing.")
@pass_settings
def import_command(settings: Settings, file: str, dry_run: bool) -> None:
    """Apply the edited workbook FILE (from `faq export`) to faq/.

    Prints each added, removed and changed entry with its fields before and after, then
    rewrites only those entries' lines. If the content no longer validates, faq/ is
    restored. Exits 1 on problems in the workbook (one line each: sheet!CELL (column):
    what is wrong; nothing is written) or when the import was undone.

    Example:

    \b
        policybot faq import faq.xlsx --dry-run
        policybot faq import faq.xlsx
    """
    from bot.faq_edit import FaqEditError
    from bot.faq_sheet import import_sheet

    try:
        result = import_sheet(settings.root, Path(file), dry_run=dry_run)
    except (FaqEditError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    if result.sheet_problems:
        lines = [str(p) for p in result.sheet_problems]
        raise click.ClickException(f"{len(lines)} problems in {file}, nothing written:\n" + "\n".join(lines))
    for line in result.lines():
        click.echo(line)
    if result.rolled_back:
        raise click.ClickException("import undone: fix the workbook and import again")
