"""Campaign deep links: which poster or page brought a user, and what the link opens.

A link is ``https://t.me/<bot username>?start=<payload>``. Telegram hands the payload to the
bot's /start and allows at most 64 characters of ``A-Za-z0-9_-``. The payload is:

    <name>              campaign only: the usual welcome (the same as a legacy campaign code)
    <name>-s            campaign, then the self-check (screening)
    <name>-a            campaign, then the application guide
    <name>-h            campaign, then the help text
    <name>-f<faq_id>    campaign, then one FAQ answer
    screen|apply|help   a topic without a campaign (links printed before campaigns existed)

``<name>`` is a campaign name: ``[a-z0-9_]``, 1–32 characters after case folding, and not one
of the bare topic words. Neither names nor FAQ ids contain ``-``, so the one hyphen separates
them unambiguously, and the longest name plus the longest FAQ id still fits in 64 characters.
Payloads are folded before parsing, so ``Poster_2026-S`` is ``poster_2026-s``.

No Telegram imports at module level: the start handler uses ``decode`` and ``load_greetings``;
only ``bot_username`` talks to Telegram, and only when asked.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.answering import pick_payload
from bot.content.problems import WARNING, Problem
from bot.content.yamlpos import LocatedDict, LocatedList, YamlProblem, load_located

CAMPAIGNS_FILE = "knowledge/campaigns.yml"
MAX_PAYLOAD = 64  # Telegram's limit for a deep-link start parameter
MAX_NAME = 32
MAX_GREETING = 1000  # a welcome, not an answer; Telegram's own limit is 4096

# Bare payloads that open a topic without a campaign; they can therefore not be campaign names.
BARE_TOPICS = {"screen": "/start_screening", "apply": "/how_to_apply", "help": "/help"}
# Topic name (as given to encode and --topic) -> code after the hyphen.
TOPIC_CODES = {"screen": "s", "apply": "a", "help": "h"}
FAQ_PREFIX = "faq:"
FAQ_CODE = "f"

_NAME = re.compile(r"[a-z0-9_]+")
_FAQ_ID = re.compile(r"[a-z0-9_]+")
_PAYLOAD_CHARS = re.compile(r"[A-Za-z0-9_-]+")
_USERNAME = re.compile(r"[A-Za-z0-9_]{5,32}")


class CampaignError(ValueError):
    """A campaign name, topic, link or file that cannot be used; the message says why."""


@dataclass(frozen=True)
class Arrival:
    """What a /start payload means.

    campaign  the folded campaign name, "" when none
    topic     the engine text to send after /start ("" for the usual welcome only)
    problem   "" when the payload was understood (or empty); else why not, for a warning log
    """

    campaign: str = ""
    topic: str = ""
    problem: str = ""


def normalize_name(name: str) -> str:
    """The campaign name case-folded and checked; CampaignError says what is allowed."""
    folded = str(name).strip().lower()
    if not folded or len(folded) > MAX_NAME or not _NAME.fullmatch(folded):
        raise CampaignError(
            f"invalid campaign name '{name}': use 1-{MAX_NAME} characters of a-z, 0-9 and _ "
            "(no spaces, hyphens or Chinese; capitals are folded to lower case)")
    if folded in BARE_TOPICS:
        raise CampaignError(f"invalid campaign name '{name}': '{folded}' is reserved for the topic link ?start={folded}")
    return folded


def encode(name: str, topic: str = "", faq_ids: Iterable[str] | None = None) -> str:
    """The payload for campaign ``name`` opening ``topic`` (screen, apply, help, faq:<id> or "").

    With ``faq_ids`` a faq topic must name one of them.
    """
    payload = normalize_name(name)
    topic = (topic or "").strip().lower()
    if topic in TOPIC_CODES:
        payload += "-" + TOPIC_CODES[topic]
    elif topic.startswith(FAQ_PREFIX):
        faq_id = topic[len(FAQ_PREFIX):]
        if not _FAQ_ID.fullmatch(faq_id):
            raise CampaignError(f"invalid topic '{topic}': a FAQ id is a-z, 0-9 and _ (faq:<id>)")
        if faq_ids is not None and faq_id not in set(faq_ids):
            raise CampaignError(f"unknown FAQ id '{faq_id}' (see the ids in faq/*.yml)")
        payload += "-" + FAQ_CODE + faq_id
    elif topic:
        raise CampaignError(f"unknown topic '{topic}': use screen, apply, help or faq:<id>")
    if len(payload) > MAX_PAYLOAD:
        raise CampaignError(f"the link payload '{payload}' is {len(payload)} characters; Telegram allows "
                            f"{MAX_PAYLOAD}: use a shorter campaign name")
    return payload


def decode(payload: str, faq_ids: Iterable[str] | None = None) -> Arrival:
    """What a /start payload asks for; anything not understood is an Arrival with a problem."""
    raw = payload or ""
    if not raw:
        return Arrival()
    if len(raw) > MAX_PAYLOAD or not _PAYLOAD_CHARS.fullmatch(raw):
        return Arrival(problem=f"payload is not 1-{MAX_PAYLOAD} characters of A-Za-z0-9_-")
    text = raw.lower()
    if text in BARE_TOPICS:
        return Arrival(topic=BARE_TOPICS[text])
    name, hyphen, code = text.partition("-")
    try:
        campaign = normalize_name(name)
    except CampaignError as exc:
        return Arrival(problem=str(exc))
    if not hyphen:
        return Arrival(campaign=campaign)  # also every legacy campaign code
    for topic_name, topic_code in TOPIC_CODES.items():
        if code == topic_code:
            return Arrival(campaign=campaign, topic=BARE_TOPICS[topic_name])
    if code.startswith(FAQ_CODE) and _FAQ_ID.fullmatch(code[len(FAQ_CODE):]):
        faq_id = code[len(FAQ_CODE):]
        if faq_ids is not None and faq_id not in set(faq_ids):
            return Arrival(problem=f"unknown FAQ id '{faq_id}'")
        return Arrival(campaign=campaign, topic=pick_payload(faq_id))
    return Arrival(problem=f"unknown topic code '{code}' (expected s, a, h or f<faq id>)")


def check_username(username: str) -> str:
    """A bot username without a leading @; CampaignError if it cannot be one."""
    name = str(username).strip().removeprefix("@")
    if not _USERNAME.fullmatch(name):
        raise CampaignError(f"'{username}' is not a Telegram bot username (5-32 letters, digits or _)")
    return name


def link(username: str, payload: str) -> str:
    """The t.me deep link that starts the bot with ``payload``."""
    if not payload or len(payload) > MAX_PAYLOAD or not _PAYLOAD_CHARS.fullmatch(payload):
        raise CampaignError(f"'{payload}' is not a deep-link payload (1-{MAX_PAYLOAD} characters of A-Za-z0-9_-)")
    return f"https://t.me/{check_username(username)}?start={payload}"


def write_qr(text: str, path: str | Path) -> Path:
    """Write a QR code PNG of ``text`` to ``path``; CampaignError names a path that cannot be written."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    # Medium error correction: survives a crease or a smudge on a printed poster.
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=10, border=4)
    code.add_data(text)
    code.make(fit=True)
    target = Path(path)
    try:
        code.make_image().save(target, format="PNG")
    except OSError as exc:
        raise CampaignError(f"cannot write {target}: {exc.strerror or exc}") from exc
    return target


def bot_username(environ: Mapping[str, str] | None = None, token: str | None = None) -> str:
    """The bot's username: TELEGRAM_BOT_USERNAME, else asked from Telegram (getMe) with the token.

    ``token`` overrides TELEGRAM_TOKEN; TELEGRAM_API_BASE_URL is honoured as by bot.config.
    Blocking (runs its own event loop): for the command line, not for the running bot.
    """
    env = os.environ if environ is None else environ
    configured = env.get("TELEGRAM_BOT_USERNAME", "").strip()
    if configured:
        return check_username(configured)
    token = (token if token is not None else env.get("TELEGRAM_TOKEN", "")).strip()
    if not token:
        raise CampaignError("the bot's username is unknown: set TELEGRAM_BOT_USERNAME, or TELEGRAM_TOKEN to ask Telegram")
    base_url = env.get("TELEGRAM_API_BASE_URL", "").strip() or "https://api.telegram.org/bot"
    return check_username(asyncio.run(_get_me(token, base_url)))


async def _get_me(token: str, base_url: str) -> str:
    from telegram import Bot
    from telegram.error import InvalidToken, TelegramError

    try:
        async with Bot(token, base_url=base_url) as bot:  # initialize() already calls getMe
            return bot.username
    except InvalidToken as exc:
        raise CampaignError("TELEGRAM_TOKEN was rejected by Telegram: check the token from @BotFather") from exc
    except (TelegramError, OSError) as exc:
        raise CampaignError(f"cannot ask Telegram for the bot's username at {base_url}: {exc}") from exc


def load_greetings(root: Path) -> tuple[dict[str, str], list[Problem]]:
    """Campaign name -> greeting from knowledge/campaigns.yml, and the problems found there.

    A missing file means no greetings. A broken entry is skipped; the others still load.
    """
    path = Path(root) / CAMPAIGNS_FILE
    if not path.exists():
        return {}, []
    try:
        data = load_located(path)
    except YamlProblem as exc:
        return {}, [Problem(CAMPAIGNS_FILE, exc.line, str(exc))]
    problems: list[Problem] = []

    def problem(line: int, message: str, entry: str = "", level: str = "error") -> None:
        problems.append(Problem(CAMPAIGNS_FILE, line, message, entry, level))

    if data is None:
        return {}, []
    if not isinstance(data, LocatedDict):
        problem(1, "expected a mapping with the key 'campaigns'")
        return {}, problems
    _duplicates(data, problem)
    for key in data:
        if key != "campaigns":
            problem(data.line_of(key), f"unknown key '{key}' (expected 'campaigns'); ignored", level=WARNING)
    entries = data.get("campaigns")
    if entries is None:
        return {}, problems
    if not isinstance(entries, LocatedList):
        problem(data.line_of("campaigns"), "'campaigns' must be a list of entries with name and greeting")
        return {}, problems
    greetings: dict[str, str] = {}
    for index, raw in enumerate(entries):
        line = entries.line_of(index)
        found = _entry(raw, line, problem)
        if found is None:
            continue
        name, greeting = found
        if name in greetings:
            problem(line, f"campaign '{name}' is listed twice (names are case-folded); this one is ignored", name)
            continue
        greetings[name] = greeting
    return greetings, problems


def _entry(raw: object, line: int, problem) -> tuple[str, str] | None:
    """One ``{name, greeting, note}`` entry checked, or None when it cannot be used."""
    if not isinstance(raw, LocatedDict):
        problem(line, "each campaign must be a mapping with name and greeting")
        return None
    _duplicates(raw, problem)
    name_value = raw.get("name")
    if not isinstance(name_value, str):
        problem(raw.line_of("name"), "campaign has no name (a-z, 0-9 and _)")
        return None
    try:
        name = normalize_name(name_value)
    except CampaignError as exc:
        problem(raw.line_of("name"), str(exc))
        return None
    for key in raw:
        if key not in ("name", "greeting", "note"):
            problem(raw.line_of(key), f"unknown field '{key}' (fields: name, greeting, note); ignored", name, WARNING)
    greeting = raw.get("greeting")
    if not isinstance(greeting, str) or not greeting.strip():
        problem(raw.line_of("greeting"), "campaign has no greeting text", name)
        return None
    greeting = greeting.strip()
    if len(greeting) > MAX_GREETING:
        problem(raw.line_of("greeting"), f"greeting is {len(greeting)} characters; keep it within {MAX_GREETING}", name)
        return None
    return name, greeting


def _duplicates(mapping: LocatedDict, problem) -> None:
    for key, key_line in mapping.duplicate_keys:
        problem(key_line, f"key '{key}' appears twice; the last one wins")
