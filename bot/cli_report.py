"""``policybot report``: usage, FAQ, screening and campaign reports from the bot's database.

Kept apart from bot/cli.py, which registers it with ``cli.add_command(report)``.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import click

from bot.config import Settings, load_settings

REPORTS = ("usage", "faq", "screening", "campaigns")


def _day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        # One line, like the command's other errors, rather than click's usage block.
        raise click.ClickException(f"--{param.name}: '{value}' is not a date like 2026-12-01 (YYYY-MM-DD)") from None


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("name", metavar="REPORT", type=click.Choice(REPORTS))
@click.option("--since", metavar="DATE", callback=_day, help="First day to include, YYYY-MM-DD (UTC; default: no limit).")
@click.option("--until", metavar="DATE", callback=_day, help="Last day to include, YYYY-MM-DD (UTC; default: no limit).")
@click.option("--campaign", default=None,
              help="Only users first brought by this campaign code ('' for users who came directly).")
@click.option("--all-channels", is_flag=True,
              help="Also count terminal, batch and test conversations (default: Telegram only).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of a table.")
@click.option("--png", "png", type=click.Path(dir_okay=False), default=None, help="Also write a chart of it to this PNG file.")
@click.pass_context
def report(ctx: click.Context, name: str, since: date | None, until: date | None, campaign: str | None,
           all_channels: bool, as_json: bool, png: str | None) -> None:
    """Print a REPORT: usage, faq, screening or campaigns.

    \b
    usage      users and answered turns per day
    faq        hits, 👍/👎 and the 👎 rate per FAQ entry; entries never hit
    screening  self-checks started, finished, cancelled, abandoned; outcomes
    campaigns  funnel per campaign: started → asked → answered → screened →
               opened how-to-apply → drafted (distinct users first seen in the period)

    Days are UTC; --since and --until are both included. Reads the database named by
    POLICYBOT_DB (default var/policybot.db) without changing it.

    Example:

    \b
        policybot report usage --since 2026-12-01 --until 2026-12-07
        policybot report faq --json
        policybot report campaigns --since 2026-12-01 --png funnel.png
    """
    from bot import reports
    from bot.config import ConfigError, load_bot_config
    from bot.errors import ContentError

    settings = ctx.find_object(Settings) or load_settings()
    try:
        db_path = load_bot_config(settings).db_path
        scope = reports.Scope(reports.Period(since, until), all_channels, campaign)
    except (ConfigError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    if png and not Path(png).resolve().parent.is_dir():
        raise click.ClickException(f"--png: folder {Path(png).resolve().parent} does not exist")
    if not db_path.is_file():
        raise click.ClickException(f"no database at {db_path}: the bot has not run yet, or set POLICYBOT_DB")
    try:
        if name == "faq":
            from bot.content.live import LiveContent

            faq_ids = [entry.id for entry in LiveContent(settings.root).get()[0].faq]
            result = reports.faq(db_path, faq_ids, scope)
        else:
            result = getattr(reports, name)(db_path, scope)
    except ContentError as exc:
        raise click.ClickException(f"cannot read the FAQ entries: {exc} (run `policybot validate`)") from exc
    except sqlite3.Error as exc:
        raise click.ClickException(f"{db_path}: cannot read the database: {exc}") from exc
    click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2) if as_json else result.text())
    if png:
        try:
            result.chart(png)
        except OSError as exc:
            raise click.ClickException(f"--png: cannot write {png}: {exc.strerror or exc}") from exc
        click.echo(f"chart: {png}", err=True)
