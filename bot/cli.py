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


def _load_content_or_fail(settings: Settings):
    """The content, or a ClickException naming the first error (validate lists them all)."""
    from bot.content import validate as run_validation

    content, problems = run_validation(settings.root)
    errors = [p for p in problems if p.is_error]
    if errors:
        raise click.ClickException(f"{errors[0]} ({len(errors)} errors; run `policybot validate`)")
    return content


def _ensure_model(settings: Settings, force: bool = False):
    from bot.training import train as run_training

    content = _load_content_or_fail(settings)
    click.echo("检查模型…", err=True)
    result = run_training(settings, content, force=force)
    click.echo(("已训练新模型：" if result.trained else "模型已是最新：") + str(result.model), err=True)
    return result


@cli.command()
@click.option("--force", is_flag=True, help="Train even if a model with the same fingerprint exists.")
@pass_settings
def train(settings: Settings, force: bool) -> None:
    """Regenerate the Rasa data from faq/ and train if its inputs changed.

    The model is cached by a fingerprint of config, domain and data, so an unchanged
    project trains nothing. Editing an answer text needs no training at all.

    Example:

    \b
        policybot train
    """
    import time

    started = time.perf_counter()
    result = _ensure_model(settings, force)
    click.echo(f"{'trained' if result.trained else 'up to date'}: {result.model} ({time.perf_counter() - started:.0f}s)")


def _run_engine(settings: Settings, body) -> None:
    """Start the engine on the current model, run ``body(engine)``, always shut it down."""
    import asyncio

    from bot.engine import Engine, EngineError

    result = _ensure_model(settings)
    click.echo("正在启动（加载模型约需几十秒）…", err=True)

    async def main() -> None:
        async with Engine(settings, result.model) as engine:
            await body(engine)

    try:
        asyncio.run(main())
    except EngineError as exc:
        raise click.ClickException(str(exc)) from exc
    except KeyboardInterrupt:
        click.echo("\n再见。", err=True)


@cli.command()
@pass_settings
def chat(settings: Settings) -> None:
    """Talk to the bot in the terminal. Buttons are numbered: type a number to press one.

    Example:

    \b
        policybot chat
    """
    from bot.channels.console import run_console

    _run_engine(settings, run_console)


@cli.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per question.")
@pass_settings
def ask(settings: Settings, question: str | None, as_json: bool) -> None:
    """Answer QUESTION, or one question per line of standard input.

    Each question is answered as in a fresh conversation. With --json each line of output is
    {"question", "answer", "kind", "faq_id", "confidence", "sources"}, in input order.

    Example:

    \b
        policybot ask "集体研究决定的事出了问题能容错吗"
        printf '怎么申请容错\n公积金怎么取\n' | policybot ask --json
    """
    from bot.channels.batch import answer_lines

    if question is not None:
        lines = [question]
    elif sys.stdin.isatty():
        raise click.UsageError("give a QUESTION or pipe questions, one per line, into standard input")
    else:
        lines = [line.rstrip("\n") for line in sys.stdin]

    async def body(engine) -> None:
        await answer_lines(engine, lines, as_json, click.echo)

    _run_engine(settings, body)


@cli.command()
@pass_settings
def run(settings: Settings) -> None:
    """Start the bot: on Telegram when TELEGRAM_TOKEN is set, else in the terminal."""
    import os

    if os.environ.get("TELEGRAM_TOKEN"):
        raise click.ClickException("the Telegram channel is not built yet: unset TELEGRAM_TOKEN to chat in the terminal")
    from bot.channels.console import run_console

    _run_engine(settings, run_console)


def main() -> None:
    cli(prog_name="policybot")


if __name__ == "__main__":
    main()
