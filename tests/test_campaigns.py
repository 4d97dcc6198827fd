"""Campaign deep links: names, payloads, links, QR codes, greetings, getMe and the CLI."""

from __future__ import annotations

import asyncio
import socket
import textwrap

import PIL.Image
import pytest
import zxingcpp
from click.testing import CliRunner

from bot import campaigns
from bot.answering import pick_payload
from bot.campaigns import Arrival, CampaignError, decode, encode, load_greetings, normalize_name
from bot.cli import cli
from bot.cli_campaign import campaign
from bot.config import PROJECT_ROOT
from tests.fake_telegram import TOKEN, FakeTelegram

if "campaign" not in cli.commands:  # until bot/cli.py registers it itself
    cli.add_command(campaign)


@pytest.fixture(scope="module")
def faq_ids() -> set[str]:
    from bot.content.live import LiveContent

    content, _ = LiveContent(PROJECT_ROOT).get()
    return {entry.id for entry in content.faq}


# ---- names ----

@pytest.mark.parametrize("raw, folded", [("Poster_2026", "poster_2026"), ("poster_2026", "poster_2026"),
                                         ("  WeChat ", "wechat"), ("a", "a"), ("x" * 32, "x" * 32)])
def test_names_are_case_folded(raw, folded):
    assert normalize_name(raw) == folded


@pytest.mark.parametrize("raw", ["", "   ", "poster-2026", "poster 2026", "海报", "x" * 33, "poster.2026", "screen", "HELP"])
def test_invalid_names_say_what_is_allowed(raw):
    with pytest.raises(CampaignError) as caught:
        normalize_name(raw)
    assert "invalid campaign name" in str(caught.value)
    assert "a-z, 0-9 and _" in str(caught.value) or "reserved" in str(caught.value)


# ---- payloads ----

def test_round_trip_for_every_topic_kind(faq_ids):
    faq_id = sorted(faq_ids)[0]
    expected = {"": "", "screen": "/start_screening", "apply": "/how_to_apply", "help": "/help",
                f"faq:{faq_id}": pick_payload(faq_id)}
    for topic, engine_text in expected.items():
        payload = encode("Poster_2026", topic, faq_ids)
        assert len(payload) <= 64 and all(c.isascii() and (c.isalnum() or c in "_-") for c in payload)
        assert decode(payload, faq_ids) == Arrival(campaign="poster_2026", topic=engine_text)
        assert decode(payload.upper(), faq_ids) == Arrival(campaign="poster_2026", topic=engine_text)
    assert encode("poster_2026", "screen") == "poster_2026-s"
    assert encode("poster_2026") == "poster_2026"


def test_the_longest_name_and_the_longest_shipped_faq_id_fit_in_64(faq_ids):
    longest = max(faq_ids, key=len)
    payload = encode("n" * 32, f"faq:{longest}", faq_ids)
    assert len(payload) <= 64
    assert decode(payload, faq_ids) == Arrival(campaign="n" * 32, topic=pick_payload(longest))


def test_over_64_characters_is_refused():
    with pytest.raises(CampaignError, match="64"):
        encode("n" * 32, "faq:" + "x" * 40)
    assert decode("a" * 65).problem and decode("a" * 65).campaign == ""


def test_encode_refuses_unknown_topics_and_faq_ids(faq_ids):
    with pytest.raises(CampaignError, match="unknown topic"):
        encode("poster", "contact")
    with pytest.raises(CampaignError, match="unknown FAQ id"):
        encode("poster", "faq:no_such_entry", faq_ids)
    with pytest.raises(CampaignError, match="FAQ id"):
        encode("poster", "faq:Bad-Id!")
    assert encode("poster", "faq:no_such_entry") == "poster-fno_such_entry"  # not checked without ids


def test_legacy_payloads_keep_working():
    assert decode("screen") == Arrival(topic="/start_screening")
    assert decode("apply") == Arrival(topic="/how_to_apply")
    assert decode("help") == Arrival(topic="/help")
    assert decode("poster_2026") == Arrival(campaign="poster_2026")
    assert decode("Poster_2026") == Arrival(campaign="poster_2026")
    assert decode("") == Arrival()


@pytest.mark.parametrize("payload", ["poster 2026", "海报", "poster.2026", "a" * 65, "poster_2026-x", "poster_2026-s-a",
                                     "-s", "screen-s", "poster_2026-f", "x" * 33, "poster_2026-fno_such_entry"])
def test_malformed_payloads_start_normally_with_a_problem(payload, faq_ids):
    arrival = decode(payload, faq_ids)
    assert arrival.campaign == "" and arrival.topic == "" and arrival.problem


# ---- links and QR codes ----

def test_link_and_qr_code_decode_to_the_same_text(tmp_path):
    url = campaigns.link("@policy_test_bot", encode("poster_2026", "screen"))
    assert url == "https://t.me/policy_test_bot?start=poster_2026-s"
    path = campaigns.write_qr(url, tmp_path / "poster.png")
    with PIL.Image.open(path) as image:
        assert image.format == "PNG"
        assert [b.text for b in zxingcpp.read_barcodes(image)] == [url]


def test_unwritable_qr_path_is_named(tmp_path):
    target = tmp_path / "missing" / "poster.png"
    with pytest.raises(CampaignError, match="cannot write .*missing/poster.png"):
        campaigns.write_qr("https://t.me/x_bot", target)


def test_link_checks_username_and_payload():
    with pytest.raises(CampaignError, match="username"):
        campaigns.link("no", "poster")
    with pytest.raises(CampaignError, match="payload"):
        campaigns.link("policy_test_bot", "bad payload")


# ---- greetings ----

def _greetings(tmp_path, text: str):
    (tmp_path / "knowledge").mkdir(exist_ok=True)
    (tmp_path / "knowledge" / "campaigns.yml").write_text(textwrap.dedent(text), encoding="utf-8")
    return load_greetings(tmp_path)


def test_shipped_greetings_load_cleanly():
    greetings, problems = load_greetings(PROJECT_ROOT)
    assert problems == [] and greetings
    assert all(name == normalize_name(name) for name in greetings)


def test_missing_greetings_file_is_fine(tmp_path):
    assert load_greetings(tmp_path) == ({}, [])


def test_greeting_problems_name_file_and_line(tmp_path):
    greetings, problems = _greetings(tmp_path, """\
        campaigns:
          - name: Poster_2026
            greeting: 欢迎！
          - name: poster-2026
            greeting: 坏名字
          - name: POSTER_2026
            greeting: 重复
          - name: no_text
          - name: typo
            greting: 拼错
            greeting: 好
          - just a string
        """)
    assert greetings == {"poster_2026": "欢迎！", "typo": "好"}
    found = [str(p) for p in problems]
    assert found[0].startswith("knowledge/campaigns.yml:4:") and "invalid campaign name" in found[0]
    assert found[1].startswith("knowledge/campaigns.yml:6:") and "listed twice" in found[1]
    assert found[2].startswith("knowledge/campaigns.yml:8:") and "no greeting" in found[2]
    assert found[3].startswith("knowledge/campaigns.yml:10: warning:") and "greting" in found[3]
    assert found[4].startswith("knowledge/campaigns.yml:12:") and "mapping" in found[4]
    assert len(found) == 5


def test_broken_yaml_and_wrong_shape_are_reported(tmp_path):
    greetings, problems = _greetings(tmp_path, "campaigns:\n  - name: x\n    greeting: \"unclosed\n")
    assert greetings == {} and problems[0].path == "knowledge/campaigns.yml" and "YAML" in problems[0].message
    greetings, problems = _greetings(tmp_path, "campaigns:\n  poster: 欢迎\n")
    assert greetings == {} and str(problems[0]).startswith("knowledge/campaigns.yml:1:")


# ---- the bot's username ----

def test_username_from_the_environment_needs_no_network():
    assert campaigns.bot_username({"TELEGRAM_BOT_USERNAME": "@policy_test_bot"}) == "policy_test_bot"


def test_no_username_and_no_token_says_what_to_set():
    with pytest.raises(CampaignError, match="TELEGRAM_BOT_USERNAME.*TELEGRAM_TOKEN"):
        campaigns.bot_username({})


def test_username_from_get_me_against_a_fake_bot_api():
    loop = asyncio.new_event_loop()
    fake = loop.run_until_complete(FakeTelegram().start())
    try:
        # bot_username runs its own event loop: call it from a thread while this loop serves.
        env = {"TELEGRAM_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": fake.base_url}
        assert loop.run_until_complete(asyncio.to_thread(campaigns.bot_username, env)) == "policy_test_bot"
        assert any(call.method == "getMe" for call in fake.calls)
        bad = dict(env, TELEGRAM_TOKEN="999:wrong")
        with pytest.raises(CampaignError, match="rejected"):
            loop.run_until_complete(asyncio.to_thread(campaigns.bot_username, bad))
    finally:
        loop.run_until_complete(fake.stop())
        loop.close()


def test_unreachable_bot_api_gives_the_reason():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"TELEGRAM_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{port}/bot"}
    with pytest.raises(CampaignError, match="cannot ask Telegram"):
        campaigns.bot_username(env)


# ---- the command line ----

def _run(args: list[str], env: dict[str, str] | None = None):
    environment = {"TELEGRAM_BOT_USERNAME": "", "TELEGRAM_TOKEN": "", **(env or {})}
    return CliRunner().invoke(cli, ["campaign", "link", *args], env=environment)


def test_cli_prints_the_link_and_writes_the_qr(tmp_path):
    qr = tmp_path / "poster.png"
    result = _run(["Poster_2026", "--topic", "screen", "--qr", str(qr), "--username", "policy_test_bot"])
    assert result.exit_code == 0, result.output
    url = "https://t.me/policy_test_bot?start=poster_2026-s"
    assert result.stdout.splitlines() == [url, f"QR code: {qr}"]
    assert "folded to poster_2026" in result.stderr
    with PIL.Image.open(qr) as image:
        assert [b.text for b in zxingcpp.read_barcodes(image)] == [url]


def test_cli_takes_the_username_from_the_environment_and_checks_faq_ids(faq_ids):
    faq_id = sorted(faq_ids)[0]
    result = _run(["wechat", "--topic", f"faq:{faq_id}"], {"TELEGRAM_BOT_USERNAME": "policy_test_bot"})
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"https://t.me/policy_test_bot?start=wechat-f{faq_id}"
    assert "no greeting for wechat" in result.stderr
    result = _run(["wechat", "--topic", "faq:no_such_entry"], {"TELEGRAM_BOT_USERNAME": "policy_test_bot"})
    assert result.exit_code == 1 and "unknown FAQ id 'no_such_entry'" in result.output


def test_cli_asks_telegram_when_no_username_is_configured():
    loop = asyncio.new_event_loop()
    fake = loop.run_until_complete(FakeTelegram().start())
    try:
        env = {"TELEGRAM_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": fake.base_url}
        result = loop.run_until_complete(asyncio.to_thread(_run, ["poster_2026"], env))
    finally:
        loop.run_until_complete(fake.stop())
        loop.close()
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "https://t.me/policy_test_bot?start=poster_2026"


@pytest.mark.parametrize("args, message", [
    (["poster-2026", "--username", "policy_test_bot"], "invalid campaign name 'poster-2026'"),
    (["海报", "--username", "policy_test_bot"], "a-z, 0-9 and _"),
    (["poster", "--topic", "contact", "--username", "policy_test_bot"], "unknown topic 'contact'"),
    (["poster"], "set TELEGRAM_BOT_USERNAME"),
    (["poster", "--username", "x"], "not a Telegram bot username"),
    (["poster", "--username", "policy_test_bot", "--qr", "poster.jpg"], "must end in .png"),
])
def test_cli_errors_are_one_line(args, message):
    result = _run(args)
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and message in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_cli_names_an_unwritable_qr_path(tmp_path):
    target = tmp_path / "missing" / "poster.png"
    result = _run(["poster", "--username", "policy_test_bot", "--qr", str(target)])
    assert result.exit_code == 1 and f"cannot write {target}" in result.output
    assert len(result.output.strip().splitlines()) == 1
