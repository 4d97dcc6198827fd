"""``policybot review``: the questions users did not get answered, grouped, for trainers.

bot/cli.py registers the group with ``cli.add_command(review)``. The settings decorator is
made here rather than imported from bot.cli, so that importing this module never runs into
bot.cli importing it back; click finds the same Settings object either way.

Example:

\b
    policybot review --since 2024-05-01 --out review.xlsx
    policybot review import review.xlsx --dry-run
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from bot.config import Settings

pass_settings = click.make_pass_decorator(Settings, ensure=True)


def _db_path(settings: Settings) -> Path:
    from bot.config import ConfigError, load_bot_config

    try:
        return load_bot_config(settings).db_path
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def _content(settings: Settings):
    from bot.content.live import LiveContent

    content, _ = LiveContent(settings.root).get()
    return content


@click.group(invoke_without_command=True)
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, metavar="DATE",
              help="Only questions logged on or after this day (YYYY-MM-DD, UTC).")
@click.option("--out", "out_file", type=click.Path(dir_okay=False), default=None,
              help="Also write the groups to this .xlsx workbook, for filling in entry ids.")
@click.option("--all-channels", is_flag=True,
              help="Include questions from the terminal, `policybot ask` and tests (default: Telegram only).")
@click.pass_context
def review(ctx: click.Context, since: datetime | None, out_file: str | None, all_channels: bool) -> None:
    """Group the questions the bot declined, clarified or got a 👎 for, and suggest FAQ entries.

    Prints one block per group (biggest first): how often it was asked, when last, the kinds,
    the FAQ entry the classifier finds closest and up to five example questions. With --out,
    writes them to a workbook: type an entry id into a group's row, then run
    `policybot review import` to add that group's questions to the entry as paraphrases.

    Example:

    \b
        policybot review
        policybot review --since 2024-05-01 --out review.xlsx
    """
    if ctx.invoked_subcommand is not None:
        if since or out_file or all_channels:
            raise click.UsageError("--since, --out and --all-channels belong to `policybot review` itself")
        return
    from bot.review import export_xlsx, group, load_items, render

    settings = ctx.find_object(Settings) or ctx.ensure_object(Settings)
    db_path = _db_path(settings)
    if out_file and not Path(out_file).resolve().parent.is_dir():
        raise click.ClickException(f"--out: folder {Path(out_file).parent} does not exist")
    try:
        items = load_items(db_path, since.date() if since else None, None if all_channels else ("telegram",))
    except FileNotFoundError as exc:
        raise click.ClickException(f"{exc} (set POLICYBOT_DB, or run the bot first)") from exc
    content = _content(settings)
    groups = group(items, content)
    click.echo(render(groups))
    if out_file:
        try:
            export_xlsx(groups, Path(out_file), [(e.id, e.question) for e in content.faq])
        except OSError as exc:
            raise click.ClickException(f"--out: cannot write {out_file}: {exc.strerror}") from exc
        click.echo(f"written: {out_file}")


@review.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Show which paraphrases would be added; write nothing.")
@pass_settings
def import_command(settings: Settings, file: str, dry_run: bool) -> None:
    """Add the questions of every group given an entry id in FILE (a workbook written by
    `policybot review --out`) to that FAQ entry as paraphrases.

    Questions already there are skipped. If faq/ no longer validates afterwards, the files
    are restored. Problems in the workbook are printed one a line (sheet!cell (column): what)
    and nothing is written.

    Example:

    \b
        policybot review import review.xlsx --dry-run
        policybot review import review.xlsx
    """
    from bot.review import read_decisions

    content = _content(settings)
    additions, errors = read_decisions(Path(file), [entry.id for entry in content.faq])
    if errors:
        for error in errors:
            click.echo(error, err=True)
        raise click.ClickException(f"{len(errors)} problem(s) in {file}, nothing written")
    if not additions:
        click.echo("no group has an entry_id: nothing to add")
        return
    from bot.faq_edit import FaqEditError, add_paraphrases

    try:
        result = add_paraphrases(settings.root, additions, dry_run=dry_run)
    except (FaqEditError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    for line in _result_lines(result):
        click.echo(line)
    if result.rolled_back:
        raise click.ClickException("import undone: faq/ did not validate afterwards (problems above)")


def _result_lines(result) -> list[str]:
    """What ``add_paraphrases`` did, entry by entry, then the files and problems."""
    lines = []
    verb = "would add" if result.dry_run else "added"
    for entry_id, added in result.added.items():
        skipped = result.skipped.get(entry_id, [])
        lines.append(f"{entry_id}: {verb} {len(added)}" + (f", {len(skipped)} already there" if skipped else ""))
        lines += [f"  + {text}" for text in added]
    lines += [f"problem: {problem}" for problem in result.problems]
    lines += [f"written: {path}" for path in result.written]
    if result.dry_run:
        lines.append("dry run: nothing written")
    return lines
