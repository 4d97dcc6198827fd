"""The ``policybot`` command line: a thin layer over the bot's modules.

Example:

\b
    policybot validate
    policybot validate --strict
"""

from __future__ import annotations

import sys

import click

from bot.config import Settings, load_settings

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}
pass_settings = click.make_pass_decorator(Settings)


@click.group(context_settings=CONTEXT_SETTINGS)
@click.option("--root", envvar="POLICYBOT_ROOT", type=click.Path(file_okay=False),
              help="Project folder holding faq/ and knowledge/ (default: this checkout).")
@click.version_option(package_name="policybot")
@click.pass_context
def cli(ctx: click.Context, root: str | None) -> None:
    """容错纠错政策咨询机器人: a policy advisor for cadres, in Telegram or the terminal."""
    ctx.obj = load_settings(root)


@cli.command()
@click.option("--strict", is_flag=True, help="Treat warnings (e.g. near-duplicate paraphrases) as errors.")
@pass_settings
def validate(settings: Settings, strict: bool) -> None:
    """Check faq/ and knowledge/: schema, ids, references, duplicates, lengths.

    Prints one line per problem as FILE:LINE: entry ID: what is wrong, and exits 1 on any
    error (or warning, with --strict).

    Example:

    \b
        policybot validate
    """
    from bot.content import validate as run_validation

    content, problems = run_validation(settings.root, settings.seeds_dir)
    for problem in problems:
        click.echo(str(problem), err=False)
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    paraphrases = sum(len(e.paraphrases) for e in content.faq)
    click.echo(
        f"{len(content.faq)} FAQ entries in {len(content.topics)} topics ({paraphrases} paraphrases), "
        f"{len(content.items)} knowledge items, {len(content.cases)} cases, {len(content.sources)} sources: "
        f"{errors} errors, {warnings} warnings"
    )
    if errors or (strict and warnings):
        sys.exit(1)


def main() -> None:
    cli(prog_name="policybot")


if __name__ == "__main__":
    main()
