"""Reports over a seeded database: exact figures, period and channel filters, JSON, charts, CLI."""

from __future__ import annotations

import json
import warnings
from datetime import date
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from bot import reports
from bot.reports import Period, Scope
from bot.store import Store
from tests.conftest import entry, faq_file

U1, U2, U3, U4, U5 = (f"{i:032x}" for i in range(1, 6))  # Telegram keys: 32 hex characters
CONSOLE, TEST = "console-1", "test-user"
DEC = Scope(Period(date(2026, 12, 1), date(2026, 12, 3)))
FAQ_IDS = ["basics_what", "basics_materials", "basics_never", "apply_how"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _at(day: str, time: str = "12:00:00") -> str:
    return f"2026-{day}T{time}+00:00"


def seed(path: Path) -> Path:
    """Five Telegram users (campaigns spring, poster and none; U5 before the period), a terminal
    and a test user whose rows must not count by default."""
    db = Store(path).db
    users = [(U1, "12-01", "spring"), (U2, "12-02", "spring"), (U3, "12-02", "poster"), (U4, "12-03", ""),
             (U5, "11-20", "spring"), (CONSOLE, "12-01", "spring"), (TEST, "12-02", "")]
    channels = {CONSOLE: "terminal", TEST: "test"}
    db["users"].insert_all({"user_key": k, "first_seen": _at(d, "08:00:00"), "last_seen": _at("12-03"), "campaign": c,
                            "channel": channels.get(k, "telegram")} for k, d, c in users)
    events = [("11-20", "10:00:00", U5, "faq", "basics_what"),
              ("12-01", "09:00:00", U1, "faq", "basics_what"), ("12-01", "09:05:00", U1, "knowledge", ""),
              ("12-01", "23:59:59", U1, "smalltalk", ""),
              ("12-02", "08:00:00", U2, "faq", "basics_what"), ("12-02", "08:10:00", U2, "clarify", ""),
              ("12-02", "12:00:00", U3, "faq", "basics_materials"), ("12-02", "12:01:00", U3, "screening", ""),
              ("12-03", "00:00:00", U4, "out_of_scope", ""), ("12-03", "10:00:00", U1, "procedure", ""),
              ("12-03", "11:00:00", U2, "faq", "old_entry"),
              ("12-01", "10:00:00", CONSOLE, "faq", "basics_what"), ("12-02", "10:00:00", TEST, "faq", "basics_materials")]
    campaign = {k: c for k, _, c in users}
    db["events"].insert_all({"at": _at(d, t), "user_key": k, "kind": kind, "faq_id": f, "latency_ms": 100.0,
                             "campaign": campaign[k], "channel": channels.get(k, "telegram")}
                            for d, t, k, kind, f in events)
    feedback = [("12-01", U1, "basics_what", 1), ("12-02", U2, "basics_what", 0), ("12-02", U3, "basics_materials", 0),
                ("12-01", CONSOLE, "basics_what", 0), ("11-20", U5, "basics_what", 1)]
    db["feedback"].insert_all({"at": _at(d), "user_key": k, "faq_id": f, "useful": u} for d, k, f, u in feedback)
    milestones = [("12-01", U1, "screening_started", ""), ("12-01", U1, "screening_finished", "likely_tolerable"),
                  ("12-01", U1, "apply_opened", ""), ("12-03", U1, "drafted", ""),
                  ("12-02", U2, "screening_started", ""), ("12-02", U2, "screening_finished", "possibly_mitigated"),
                  ("12-02", U3, "screening_started", ""), ("12-02", U3, "screening_finished", "not_tolerable"),
                  ("12-02", U3, "apply_opened", ""),
                  ("12-03", U4, "screening_started", ""), ("12-03", U4, "screening_finished", "needs_review"),
                  ("12-03", U4, "screening_started", ""), ("12-03", U4, "screening_cancelled", ""),
                  ("12-03", U2, "screening_started", ""),
                  ("12-01", CONSOLE, "screening_started", ""), ("12-01", CONSOLE, "screening_finished", "likely_tolerable"),
                  ("11-20", U5, "screening_started", "")]
    db["milestones"].insert_all({"at": _at(d), "user_key": k, "name": n, "detail": x} for d, k, n, x in milestones)
    db.conn.commit()
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return seed(tmp_path / "bot.db")


def test_usage(db):
    report = reports.usage(db, DEC)
    assert [(d.day.isoformat(), d.users, d.turns) for d in report.days] == [
        ("2026-12-01", 1, 3), ("2026-12-02", 2, 4), ("2026-12-03", 3, 3)]
    assert (report.users, report.turns, report.new_users) == (4, 10, 4)
    assert report.by_kind == {"faq": 4, "clarify": 1, "knowledge": 1, "out_of_scope": 1, "procedure": 1,
                              "screening": 1, "smalltalk": 1}
    assert "2026-12-02" in report.text() and "合计 total" in report.text()


def test_usage_channels_and_open_period(db):
    everything = reports.usage(db, Scope(all_channels=True))
    assert (everything.users, everything.turns, everything.new_users) == (7, 13, 7)
    # An open period runs from the first to the last day with turns, empty days included.
    telegram = reports.usage(db)
    assert (telegram.days[0].day, telegram.days[-1].day, len(telegram.days)) == (date(2026, 11, 20), date(2026, 12, 3), 14)
    assert (telegram.users, telegram.turns, telegram.new_users) == (5, 11, 5)


def test_period_bounds_are_whole_utc_days(db):
    one_day = reports.usage(db, Scope(Period(date(2026, 12, 1), date(2026, 12, 1))))
    assert (one_day.users, one_day.turns) == (1, 3)  # 23:59:59 is in, 12-02 00:00 is not
    from_second = reports.usage(db, Scope(Period(since=date(2026, 12, 2))))
    assert [d.day.day for d in from_second.days] == [2, 3] and from_second.turns == 7
    up_to_second = reports.usage(db, Scope(Period(until=date(2026, 12, 2))))
    assert up_to_second.turns == 8 and up_to_second.days[0].day == date(2026, 11, 20)
    with pytest.raises(ValueError):
        Period(date(2026, 12, 3), date(2026, 12, 1))


def test_campaign_scope(db):
    spring = reports.usage(db, Scope(DEC.period, campaign="spring"))
    assert (spring.users, spring.turns) == (2, 7)
    direct = reports.screening(db, Scope(DEC.period, campaign=""))
    assert (direct.started, direct.finished, direct.cancelled) == (2, 1, 1)


def test_faq(db):
    report = reports.faq(db, FAQ_IDS, DEC)
    rows = [(r.faq_id, r.hits, r.useful, r.not_useful, r.not_useful_rate, r.known) for r in report.rows]
    assert rows == [("basics_what", 2, 1, 1, 0.5, True), ("basics_materials", 1, 0, 1, 1.0, True),
                    ("old_entry", 1, 0, 0, None, False)]
    assert report.never_hit == ["basics_never", "apply_how"]
    assert report.as_dict()["totals"] == {"hits": 4, "useful": 1, "not_useful": 2}
    assert "从未命中 never hit (2): basics_never, apply_how" in report.text()
    everything = reports.faq(db, FAQ_IDS, Scope(all_channels=True))
    assert [(r.faq_id, r.hits, r.useful, r.not_useful) for r in everything.rows][:2] == [
        ("basics_what", 4, 2, 2), ("basics_materials", 2, 0, 1)]


def test_screening(db):
    report = reports.screening(db, DEC)
    assert report.as_dict() == {
        "report": "screening", "period": {"since": "2026-12-01", "until": "2026-12-03"}, "channels": "telegram",
        "campaign": None, "started": 6, "finished": 4, "cancelled": 1, "abandoned": 1,
        "outcomes": {"likely_tolerable": 1, "possibly_mitigated": 1, "not_tolerable": 1, "needs_review": 1}}
    assert reports.ScreeningReport(DEC, 1, 2, 1, {}).abandoned == 0  # never below zero
    everything = reports.screening(db, Scope(all_channels=True))
    assert (everything.started, everything.finished, everything.outcomes["likely_tolerable"]) == (8, 5, 2)


def test_campaigns(db):
    report = reports.campaigns(db, DEC)
    funnels = {f.campaign: [s["users"] for s in f.stages()] for f in report.funnels}
    #                  started asked answered screened apply_opened drafted
    assert funnels == {"spring": [2, 2, 2, 2, 1, 1], "poster": [1, 1, 1, 1, 1, 0], "": [1, 1, 0, 1, 0, 0]}
    assert [f.label for f in report.funnels] == ["spring", "poster", "（无）"]
    total = report.total.stages()
    assert [s["users"] for s in total] == [4, 4, 3, 4, 2, 1]
    assert total[0]["from_previous"] is None and total[2]["from_previous"] == 0.75
    assert total[4]["from_previous"] == 0.5 and total[4]["from_started"] == 0.5
    assert total[5]["from_started"] == 0.25
    assert "推广 campaign: （无）" in report.text()
    # Users first seen before the period are not in its cohort.
    later = reports.campaigns(db, Scope(Period(since=date(2026, 12, 2))))
    assert {f.campaign: f.counts["started"] for f in later.funnels} == {"spring": 1, "poster": 1, "": 1}


def test_as_dict_is_json(db):
    data = json.loads(json.dumps(reports.campaigns(db, DEC).as_dict(), ensure_ascii=False))
    assert data["report"] == "campaigns" and data["total"]["label"] == "total"
    assert [c["label"] for c in data["campaigns"]] == ["spring", "poster", "direct"]
    assert data["campaigns"][0]["stages"][1] == {"stage": "asked", "users": 2, "from_previous": 1.0, "from_started": 1.0}


@pytest.mark.parametrize("name", ["usage", "faq", "screening", "campaigns"])
def test_charts_are_png_with_chinese_labels(db, tmp_path, name):
    report = reports.faq(db, FAQ_IDS, DEC) if name == "faq" else getattr(reports, name)(db, DEC)
    out = tmp_path / f"{name}.png"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report.chart(out)
    assert out.read_bytes().startswith(PNG_MAGIC)
    assert not [w for w in caught if "missing from current font" in str(w.message)]


def test_a_cjk_font_is_used():
    assert reports.cjk_font(), "no CJK font: run scripts/install-fonts.sh"


def test_stats_for_admin(db):
    text, png = reports.stats_for_admin(db, None, 3, today=date(2026, 12, 3))
    assert png.startswith(PNG_MAGIC) and len(png) > 1000
    assert text.splitlines()[0] == "近 3 天（2026-12-01 – 2026-12-03，UTC）· 全部推广"
    assert "用户 4（新 4），对话 10 轮" in text
    assert "开始 4 → 提问 4 → 获答 3 → 完成自查 4 → 看申请指引 2 → 起草申请 1" in text
    spring, _ = reports.stats_for_admin(db, "spring", 3, today=date(2026, 12, 3))
    assert "推广 spring" in spring and "开始 2 → 提问 2" in spring


def test_a_store_database_and_an_older_schema(db, tmp_path):
    assert reports.screening(Store(db).db, DEC).as_dict() == reports.screening(db, DEC).as_dict()
    # Before channel columns and milestones existed: the channel comes from the key, no screening.
    old = sqlite_utils.Database(tmp_path / "old.db")
    old["users"].insert_all([{"user_key": U1, "first_seen": _at("12-01"), "last_seen": _at("12-01"), "campaign": ""},
                             {"user_key": CONSOLE, "first_seen": _at("12-01"), "last_seen": _at("12-01"),
                              "campaign": ""}])
    old["events"].insert_all([{"at": _at("12-01"), "user_key": U1, "kind": "faq", "faq_id": "basics_what"},
                              {"at": _at("12-01"), "user_key": CONSOLE, "kind": "faq", "faq_id": "basics_what"}])
    old.conn.close()
    assert (reports.usage(tmp_path / "old.db").turns, reports.screening(tmp_path / "old.db").started) == (1, 0)
    assert [s["users"] for s in reports.campaigns(tmp_path / "old.db").total.stages()] == [1, 1, 1, 0, 0, 0]


def test_missing_database(tmp_path):
    with pytest.raises(FileNotFoundError):
        reports.usage(tmp_path / "nope.db")
    assert not (tmp_path / "nope.db").exists()


# ---- the command line ----


@pytest.fixture
def run_cli(db, make_tree):
    from bot.cli import cli
    from bot.cli_report import report

    if "report" not in cli.commands:
        cli.add_command(report)
    apply = entry("apply_how", "怎么申请？", [f"怎么申请容错免责{i}" for i in range(10)])
    root = make_tree({"faq/apply.yml": faq_file("apply", apply)})

    def run(*args: str, database: Path = db):
        return CliRunner().invoke(cli, ["--root", str(root), "report", *args],
                                                  env={"POLICYBOT_DB": str(database)})

    return run


def test_cli_reports(run_cli, tmp_path):
    result = run_cli("usage", "--since", "2026-12-01", "--until", "2026-12-03")
    assert result.exit_code == 0, result.output + result.stderr
    assert "2026-12-03" in result.output and "合计 total" in result.output
    result = run_cli("faq", "--json", "--until", "2026-12-03")
    data = json.loads(result.output)
    assert data["never_hit"] == ["apply_how"]
    assert data["entries"][0] == {"faq_id": "basics_what", "hits": 3, "useful": 2, "not_useful": 1,
                                  "not_useful_rate": 0.3333, "known": True}
    data = json.loads(run_cli("screening", "--json", "--all-channels").output)
    assert (data["started"], data["channels"]) == (8, "all")
    png = tmp_path / "funnel.png"
    result = run_cli("campaigns", "--since", "2026-12-01", "--png", str(png), "--campaign", "spring")
    assert result.exit_code == 0 and png.read_bytes().startswith(PNG_MAGIC)
    assert "推广 campaign: spring" in result.output and "poster" not in result.output


@pytest.mark.parametrize("args, message", [
    (["usage", "--since", "2026-13-01"], "Error: --since: '2026-13-01' is not a date like 2026-12-01 (YYYY-MM-DD)"),
    (["usage", "--until", "yesterday"], "Error: --until: 'yesterday' is not a date like 2026-12-01 (YYYY-MM-DD)"),
    (["usage", "--since", "2026-12-03", "--until", "2026-12-01"], "Error: --since 2026-12-03 is after --until 2026-12-01"),
])
def test_cli_bad_dates_are_one_line(run_cli, args, message):
    result = run_cli(*args)
    assert (result.exit_code, result.stderr.strip()) == (1, message)


def test_cli_unknown_report(run_cli):
    result = run_cli("nonsense")
    assert result.exit_code == 2 and "Invalid value for 'REPORT'" in result.stderr


def test_cli_missing_database(run_cli, tmp_path):
    result = run_cli("usage", database=tmp_path / "none.db")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: no database at {tmp_path / 'none.db'}: the bot has not run yet, or set POLICYBOT_DB"


def test_the_font_check_would_catch_boxes(db, tmp_path, monkeypatch):
    """Without the CJK font matplotlib warns, so the check above is not vacuous."""
    monkeypatch.setattr(reports, "cjk_font", lambda: None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reports.screening(db, DEC).chart(tmp_path / "boxes.png")
    assert [w for w in caught if "missing from current font" in str(w.message)]
