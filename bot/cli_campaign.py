"""``policybot campaign``: deep links (and QR codes) that tell which poster or page brought a user.

bot/cli.py registers it with ``cli.add_command(campaign)``. This module does not import bot.cli
(bot.cli imports it), so it builds its own settings decorator.
"""

from __future__ import annotations

from pathlib import Path

import click

from bot.config import Settings

pass_settings = click.make_pass_decorator(Settings)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def campaign() -> None:
    """Campaign links: a t.me link and QR code that record which campaign brought a user.

    Example:

    \b
        policybot campaign link poster_2026 --topic screen --qr poster.png
    """


@campaign.command()
@click.argument("name")
@click.option("--topic", default="", metavar="TOPIC",
              help="What the link opens after the welcome: screen (self-check), apply (application guide), "
                   "help, or faq:<id> (one FAQ answer). Default: the welcome only.")
@click.option("--qr", "qr_file", type=click.Path(dir_okay=False), default=None, metavar="FILE.png",
              help="Also write a QR code of the link to this PNG file.")
@click.option("--username", default=None,
              help="The bot's Telegram username (default: TELEGRAM_BOT_USERNAME, else asked from Telegram "
                   "with TELEGRAM_TOKEN).")
@pass_settings
def link(settings: Settings, name: str, topic: str, qr_file: str | None, username: str | None) -> None:
    """Print the deep link for campaign NAME, and write its QR code with --qr.

    NAME is 1-32 characters of a-z, 0-9 and _; capitals are folded, so Poster_2026 and
    poster_2026 are one campaign. A greeting for it can be set in knowledge/campaigns.yml.

    Example:

    \b
        policybot campaign link poster_2026
        policybot campaign link poster_2026 --topic screen --qr poster.png
        policybot campaign link wechat_article --topic faq:about_bot_apply_guide --username my_policy_bot
    """
    from bot import campaigns

    if qr_file is not None and Path(qr_file).suffix.lower() != ".png":
        raise click.ClickException(f"--qr: {qr_file} must end in .png (the QR code is written as PNG)")
    try:
        folded = campaigns.normalize_name(name)
        faq_ids = _faq_ids(settings) if topic.strip().lower().startswith(campaigns.FAQ_PREFIX) else None
        payload = campaigns.encode(folded, topic, faq_ids)
        bot = campaigns.check_username(username) if username else campaigns.bot_username()
        url = campaigns.link(bot, payload)
        if qr_file is not None:
            campaigns.write_qr(url, qr_file)
    except campaigns.CampaignError as exc:
        raise click.ClickException(str(exc)) from exc
    if folded != name:
        click.echo(f"campaign name folded to {folded}", err=True)
    greetings, _ = campaigns.load_greetings(settings.root)
    if folded not in greetings:
        click.echo(f"no greeting for {folded} in {campaigns.CAMPAIGNS_FILE}: the usual welcome is shown", err=True)
    click.echo(url)
    if qr_file is not None:
        click.echo(f"QR code: {qr_file}")


def _faq_ids(settings: Settings) -> set[str]:
    """The FAQ ids of the content on disk, so a link never points at an entry that is not there."""
    from bot.content import load_content

    content, problems = load_content(settings.root)
    if not content.faq:
        first = next((p for p in problems if p.is_error), "no FAQ entries")
        raise click.ClickException(f"cannot read the FAQ to check the id: {first} (run `policybot validate`)")
    return {entry.id for entry in content.faq}
