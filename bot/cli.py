"""The ``policybot`` command line: a thin layer over the bot's modules.

Example:

\b
    policybot validate
    policybot validate --strict
"""

from __future__ import annotations

import sys
from pathlib import Path

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
    """The content; with errors, the last good copy (said loudly), else a ClickException
    naming the first error (validate lists them all)."""
    from bot.content import snapshot
    from bot.content import validate as run_validation

    content, problems = run_validation(settings.root)
    errors = [p for p in problems if p.is_error]
    if not errors:
        return content
    if snapshot.exists(settings.root):
        last, last_problems = run_validation(snapshot.snapshot_dir(settings.root))
        if not any(p.is_error for p in last_problems):
            click.secho(f"警告：内容有 {len(errors)} 处错误（第一处：{errors[0]}）。机器人使用上一版正确的内容启动"
                        f"（{snapshot.snapshot_dir(settings.root)}）；改正后会自动换用新内容。运行 `policybot validate` 查看全部错误。",
                        fg="red", bold=True, err=True)
            return last
    raise click.ClickException(f"{errors[0]} ({len(errors)} errors, and no last good copy to start with; "
                               "run `policybot validate`)")


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
@click.option("--answers", "answers_file", type=click.Path(exists=True, dir_okay=False),
              help="A YAML file mapping question ids to option ids.")
@click.option("--case", "case_id", help="Replay a published case's answers ('all' for every case).")
@click.option("--json", "as_json", is_flag=True, help="Print the assessment as JSON.")
@click.option("--details", is_flag=True, help="Also print the 六看 table and similar cases.")
@pass_settings
def screen(settings: Settings, answers_file: str | None, case_id: str | None, as_json: bool, details: bool) -> None:
    """Assess a saved answer set (or a published case) without chatting.

    Trainers use it to test changes to knowledge/screening.yml.

    Example:

    \b
        policybot screen --answers my_answers.yml
        policybot screen --case all
    """
    import json

    import yaml

    from bot.content.live import LiveContent
    from bot.screening import assess, load_questionnaire
    from bot.screening_render import as_dict, render_details, render_result

    content, dialogue = LiveContent(settings.root).get()
    questionnaire, problems = load_questionnaire(settings.root, content)
    if questionnaire is None:
        raise click.ClickException(f"{[p for p in problems if p.is_error][0]} (run `policybot validate`)")
    if bool(answers_file) == bool(case_id):
        raise click.UsageError("give exactly one of --answers FILE or --case ID")
    if case_id:
        cases = [c for c in content.cases if c.answers and (case_id == "all" or c.id == case_id)]
        if not cases:
            raise click.ClickException(f"no case '{case_id}' with answers in knowledge/cases/")
        for case in cases:
            result = assess(questionnaire, case.answers, [c for c in content.cases if c.id != case.id])
            mark = "ok" if result.outcome == case.outcome else "DIFFERS"
            click.echo(f"{case.id}: {result.outcome} (published: {case.outcome}) {mark}")
        return
    answers = _read_answers(answers_file, questionnaire)
    result = assess(questionnaire, answers, content.cases)
    if as_json:
        click.echo(json.dumps(as_dict(result, questionnaire), ensure_ascii=False, indent=2))
        return
    click.echo(render_result(result, content, dialogue))
    if details:
        click.echo("\n" + render_details(result, questionnaire))


def _read_yaml_mapping(path: str, what: str) -> dict:
    """A YAML file that must hold a mapping; a one-line error naming the file otherwise."""
    import yaml

    try:
        raw = Path(path).read_bytes()
        if b"\x00" in raw:
            raise click.ClickException(f"{path}: binary file, expected UTF-8 YAML text ({what})")
        data = yaml.safe_load(raw.decode("utf-8-sig")) or {}
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot read: {exc.strerror}") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{path}: not a readable YAML file: {str(exc).splitlines()[0]}") from exc
    if not isinstance(data, dict):
        raise click.ClickException(f"{path}: expected a mapping ({what})")
    return data


def _read_answers(answers_file: str, questionnaire) -> dict[str, str]:
    """A saved answer set (question id -> option id), checked against the questionnaire."""
    answers = _read_yaml_mapping(answers_file, "question id: option id")
    answers = {str(k): _option_text(v) for k, v in answers.items()}
    unknown = [k for k in answers if questionnaire.question(k) is None]
    if unknown:
        raise click.ClickException(f"{answers_file}: unknown question id(s): {', '.join(unknown)}")
    bad = [f"{k}: {v}" for k, v in answers.items() if questionnaire.question(k).option(v) is None]
    if bad:
        raise click.ClickException(f"{answers_file}: unknown option(s): {'; '.join(bad)}")
    return answers


@cli.command()
@click.option("--answers", "answers_file", type=click.Path(dir_okay=False), default=None,
              help="A saved self-check (question id -> option id), as for `policybot screen --answers`.")
@click.option("--region", "place_id", default=None, help="A place id of knowledge/apply/guide.yml (e.g. hubei_shiyan).")
@click.option("--applicant", default="self", show_default=True, help="Who applies: self, unit or party_org.")
@click.option("--facts", "facts_file", type=click.Path(dir_okay=False), default=None,
              help="A YAML of the typed facts: unit, position, date, account.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False), required=True, help="The .docx file to write.")
@pass_settings
def draft(settings: Settings, answers_file: str | None, place_id: str | None, applicant: str, facts_file: str | None,
          out_file: str) -> None:
    """Write the drafted application (容错免责申请书) for an answer set as a .docx.

    Without --answers the findings stay blank; facts not given stay visible blanks.

    Example:

    \b
        policybot draft --answers my_answers.yml --region hubei_shiyan --facts facts.yml --out 申请书.docx
    """
    from bot import draft as drafting
    from bot.content.guide import load_guide
    from bot.content.live import LiveContent
    from bot.screening import load_questionnaire

    content, _ = LiveContent(settings.root).get()
    questionnaire, problems = load_questionnaire(settings.root, content)
    guide, guide_problems = load_guide(settings.root, content, questionnaire)
    if guide is None or questionnaire is None:
        first = next(p for p in [*problems, *guide_problems] if p.is_error)
        raise click.ClickException(f"{first} (run `policybot validate`)")
    answers = _read_answers(answers_file, questionnaire) if answers_file else None
    if place_id is not None and guide.place(place_id) is None:
        raise click.ClickException(f"--region: unknown place '{place_id}' (places: {', '.join(p.id for p in guide.places)})")
    if applicant not in dict(guide.applicants):
        raise click.ClickException(f"--applicant: unknown '{applicant}' (one of: {', '.join(a for a, _ in guide.applicants)})")
    facts: dict[str, str] = {}
    if facts_file:
        raw = _read_yaml_mapping(facts_file, "fact: text, for " + ", ".join(f.id for f in guide.draft.facts))
        unknown = [str(k) for k in raw if guide.draft.fact(str(k)) is None]
        if unknown:
            raise click.ClickException(f"{facts_file}: unknown fact(s) {', '.join(unknown)} "
                                       f"(facts: {', '.join(f.id for f in guide.draft.facts)})")
        for key, value in raw.items():
            if value is None:
                continue
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise click.ClickException(f"{facts_file}: '{key}' must be a text")
            fact = guide.draft.fact(str(key))
            if len(str(value)) > fact.max_chars:
                click.echo(f"{facts_file}: '{key}' is longer than {fact.max_chars} characters; cut", err=True)
            facts[str(key)] = str(value)
    out = Path(out_file)
    if not out.parent.is_dir():
        raise click.ClickException(f"--out: folder {out.parent} does not exist")
    filled = drafting.fill(guide, content, questionnaire, answers, place_id or "", applicant, facts)
    try:
        drafting.write_draft(filled, guide.draft, out)
    except OSError as exc:
        raise click.ClickException(f"--out: cannot write {out}: {exc.strerror}") from exc
    click.echo(drafting.summary(filled, guide.draft))
    click.echo(f"written: {out}")


def _option_text(value: object) -> str:
    """YAML reads unquoted yes/no as booleans; map them back to the option ids they were."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)


@cli.command(name="eval")
@click.option("--questions", type=click.Path(exists=True, file_okay=False), default=None,
              help="Folder of labelled question files (default: tests/eval).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), default="reports/eval.json",
              show_default=True, help="Where to write the JSON report.")
@click.option("--min-top1", type=float, default=0.0, help="Exit 1 if top-1 accuracy is below this (0-1).")
@click.option("--min-refusals", type=float, default=0.0, help="Exit 1 if correct refusals are below this (0-1).")
@click.option("--max-false-refusals", type=float, default=1.0, help="Exit 1 if false refusals exceed this (0-1).")
@pass_settings
def evaluate(settings: Settings, questions: str | None, report_path: str, min_top1: float,
             min_refusals: float, max_false_refusals: float) -> None:
    """Measure the assistant on the labelled question set.

    Prints top-1 and top-3 accuracy, correct and false refusals and the most confused FAQ
    pairs, and writes the JSON report (with every wrong answer). A folder of story items
    (tests/eval_stories: items with expect story/next_step/decline/danger/distress/calm) gets
    the story report instead: right case or scenario named, next steps reached, everyday
    trouble declined, distress recognised and false alarms.

    Example:

    \b
        policybot eval --min-top1 0.85
        policybot eval --questions tests/eval_stories
    """
    from pathlib import Path

    from bot.evaluation import load_questions, run_eval, write_report
    from bot.story_eval import is_story_folder, load_items, run_story_eval, write_story_report

    folder = Path(questions) if questions else settings.root / "tests" / "eval"
    if is_story_folder(folder):
        try:
            stories = load_items(folder)
        except (ValueError, KeyError) as exc:
            raise click.ClickException(f"{folder}: {exc}") from exc
        found = {}

        async def run_stories(engine) -> None:
            found["report"] = await run_story_eval(engine, stories)

        _run_engine(settings, run_stories)
        write_story_report(found["report"], Path(report_path))
        click.echo(found["report"].summary())
        click.echo(f"report: {report_path}")
        return
    items = load_questions(folder)
    if not items:
        raise click.ClickException(f"no questions in {folder}")
    outcome = {}

    async def body(engine) -> None:
        outcome["report"] = await run_eval(engine, items)

    _run_engine(settings, body)
    report = outcome["report"]
    write_report(report, Path(report_path))
    click.echo(report.summary())
    click.echo(f"report: {report_path}")
    if report.top1 < min_top1 or report.correct_refusals < min_refusals or report.false_refusals > max_false_refusals:
        raise click.ClickException("below the required floor")


@cli.command()
@click.option("--workers", type=click.IntRange(min=0, max=64), default=None,
              help="Run N engine workers behind one Telegram front (needs POLICYBOT_REDIS_URL and "
                   "POLICYBOT_TRACKER_URL); default POLICYBOT_WORKERS, else 0: one process.")
@click.option("--role", type=click.Choice(["all", "front", "workers"]), default="all", show_default=True,
              help="With --workers, on several machines: the front on one, workers on the others.")
@pass_settings
def serve(settings: Settings, workers: int | None, role: str) -> None:
    """Run the Telegram bot (long polling; a webhook when TELEGRAM_WEBHOOK_URL is set).

    Configuration comes from environment variables: TELEGRAM_TOKEN, TELEGRAM_API_BASE_URL,
    TELEGRAM_WEBHOOK_URL, TELEGRAM_WEBHOOK_SECRET, TELEGRAM_WEBHOOK_LISTEN, POLICYBOT_ADMIN_IDS,
    POLICYBOT_DB, POLICYBOT_SECRET, POLICYBOT_RETENTION_DAYS, POLICYBOT_WORKERS,
    POLICYBOT_REDIS_URL, POLICYBOT_TRACKER_URL (see the README).

    Examples:

    \b
        TELEGRAM_TOKEN=123:abc policybot serve
        TELEGRAM_TOKEN=123:abc POLICYBOT_REDIS_URL=redis://127.0.0.1:6379/0 \\
          POLICYBOT_TRACKER_URL=postgresql://policybot:secret@127.0.0.1:5432/policybot \\
          policybot serve --workers 2
    """
    from bot.config import ConfigError, load_bot_config

    try:
        config = load_bot_config(settings)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    if not config.token:
        raise click.ClickException("TELEGRAM_TOKEN is not set: get a token from @BotFather, or use `policybot chat`")
    workers = config.workers if workers is None else workers
    if workers or role != "all":
        if not config.redis_url or not config.tracker_url:
            raise click.ClickException("--workers needs POLICYBOT_REDIS_URL (queue, locks) and POLICYBOT_TRACKER_URL "
                                       "(conversations, PostgreSQL) shared by the front and every worker")
        from bot.front import serve_front, serve_workers_only

        model = _ensure_model(settings).model if role != "front" else None
        if role == "workers":
            click.echo(f"正在启动 {workers} 个工作进程…", err=True)
            serve_workers_only(settings, config, model, max(1, workers))
        else:
            click.echo(f"正在启动 Telegram 入口和 {workers if role == 'all' else 0} 个工作进程…", err=True)
            serve_front(settings, config, model, workers if role == "all" else 0)
        return
    from bot.channels.telegram_runner import serve_telegram

    result = _ensure_model(settings)
    click.echo("正在启动 Telegram 机器人（加载模型约需几十秒）…", err=True)
    serve_telegram(settings, config, result.model)


@cli.command()
@click.option("--older-than", "days", type=click.IntRange(min=1), required=True, help="Delete records older than DAYS days.")
@pass_settings
def purge(settings: Settings, days: int) -> None:
    """Delete stored events, feedback, logged questions and conversations older than DAYS days.

    Example:

    \b
        policybot purge --older-than 180
    """
    from bot.config import load_bot_config
    from bot.store import Store

    config = load_bot_config(settings)
    deleted = Store(config.db_path).purge(days)
    tracker = config.db_path.with_name("tracker.db")
    if tracker.exists() or config.tracker_url:
        from bot.trackers import open_store

        deleted += open_store(tracker, url=config.tracker_url).purge(days)
    click.echo(f"deleted {deleted} rows older than {days} days")


@cli.command()
@pass_settings
def run(settings: Settings) -> None:
    """Start the bot: on Telegram when TELEGRAM_TOKEN is set, else in the terminal."""
    import os

    if os.environ.get("TELEGRAM_TOKEN"):
        click.get_current_context().invoke(serve)
        return
    from bot.channels.console import run_console

    _run_engine(settings, run_console)


def _add_groups() -> None:
    """The command groups that live in their own modules."""
    from bot.cli_campaign import campaign
    from bot.cli_content import content
    from bot.cli_faq import faq
    from bot.cli_report import report
    from bot.cli_review import review

    for group in (campaign, content, faq, report, review):
        cli.add_command(group)


_add_groups()


def main() -> None:
    cli(prog_name="policybot")


if __name__ == "__main__":
    main()
