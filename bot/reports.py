"""Usage, FAQ, screening and campaign reports over the bot's database, as text, JSON and PNG.

Pure functions over a database path (opened read-only) or a sqlite-utils ``Database``; no
Telegram. Days are UTC dates, as stored. Only Telegram conversations count unless
``all_channels`` is set: terminal, batch and test conversations would skew the figures.
"""

from __future__ import annotations

import io
import logging
import sqlite3
import subprocess
import textwrap
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import sqlite_utils

from bot.content.models import OUTCOMES
from bot.store import channel_of

logger = logging.getLogger(__name__)

POLICY_KINDS = ("faq", "knowledge", "clarify", "out_of_scope", "fallback", "procedure", "story")
ANSWER_KINDS = ("faq", "knowledge", "procedure", "story")
STAGES = (("started", "开始"), ("asked", "提问"), ("answered", "获答"), ("screened", "完成自查"),
          ("apply_opened", "看申请指引"), ("drafted", "起草申请"))
OUTCOME_LABELS = {"likely_tolerable": "可能容错", "possibly_mitigated": "可能从轻减轻",
                  "not_tolerable": "可能不属容错", "needs_review": "需再判断"}
DIRECT = "（无）"
CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
             "Noto Sans CJK JP", "Noto Sans CJK TC", "Source Han Sans CN", "Droid Sans Fallback",
             "AR PL UMing CN", "SimHei", "Microsoft YaHei", "PingFang SC")

# ---------------------------------------------------------------- period and data access


@dataclass(frozen=True)
class Period:
    """Whole UTC days from ``since`` to ``until``, both included; None leaves that end open."""

    since: date | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"--since {self.since} is after --until {self.until}")

    @classmethod
    def last_days(cls, days: int, today: date | None = None) -> "Period":
        if days < 1:
            raise ValueError("days must be at least 1")
        end = today or datetime.now(timezone.utc).date()
        return cls(end - timedelta(days=days - 1), end)

    def label(self) -> str:
        if not self.since and not self.until:
            return "全部时间 all time"
        return f"{self.since or '…'} – {self.until or '…'} (UTC)"

    def as_dict(self) -> dict[str, str | None]:
        return {"since": self.since and self.since.isoformat(), "until": self.until and self.until.isoformat()}


@dataclass(frozen=True)
class Scope:
    """What a report looks at: the period, Telegram only or all channels, one campaign or all."""

    period: Period = Period()
    all_channels: bool = False
    campaign: str | None = None

    def describe(self) -> str:
        parts = [self.period.label(), "所有渠道 all channels" if self.all_channels else "Telegram"]
        if self.campaign is not None:
            parts.append(f"推广 campaign {self.campaign or DIRECT}")
        return " · ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {"period": self.period.as_dict(), "channels": "all" if self.all_channels else "telegram",
                "campaign": self.campaign}


@contextmanager
def connect(db: str | Path | sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """The Database given, or the file at ``db`` opened read-only and closed afterwards
    (FileNotFoundError if there is none). From another thread than the bot's Store, pass the
    path: the Store's connection is only safe under its own lock."""
    if isinstance(db, sqlite_utils.Database):
        db.conn.create_function("key_channel", 1, channel_of, deterministic=True)
        yield db
        return
    path = Path(db)
    if not path.is_file():
        raise FileNotFoundError(f"no database at {path}")
    # Read-only: a report must never create or migrate the bot's database.
    conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
    try:
        conn.create_function("key_channel", 1, channel_of, deterministic=True)
        yield sqlite_utils.Database(conn)
    finally:
        conn.close()


def _fetch(db: sqlite_utils.Database, table: str, columns: str, scope: Scope, extra: str = "",
           args: Sequence[Any] = (), at: str = "at") -> list[tuple]:
    """Rows of ``table`` in the scope; none when the table does not exist (an older database)."""
    if not db[table].exists():
        return []
    have = {c.name for c in db[table].columns}
    clauses, params = [extra] if extra else [], list(args)
    if scope.period.since:
        clauses.append(f"{at} >= ?")
        params.append(scope.period.since.isoformat())
    if scope.period.until:
        # ``at`` is an ISO timestamp, so "before the next day" includes the whole last day.
        clauses.append(f"{at} < ?")
        params.append((scope.period.until + timedelta(days=1)).isoformat())
    if not scope.all_channels:
        # Rows written before the channel column existed have none: derive it from the key.
        channel = "COALESCE(NULLIF(channel, ''), key_channel(user_key))" if "channel" in have else "key_channel(user_key)"
        clauses.append(f"{channel} = 'telegram'")
    if scope.campaign is not None and table != "users":
        clauses.append("user_key IN (SELECT user_key FROM users WHERE COALESCE(campaign, '') = ?)")
        params.append(scope.campaign)
    elif scope.campaign is not None:
        clauses.append("COALESCE(campaign, '') = ?")
        params.append(scope.campaign)
    where = " AND ".join(clauses) or "1"
    return db.execute(f"SELECT {columns} FROM [{table}] WHERE {where}", params).fetchall()


# ---------------------------------------------------------------- text helpers


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A plain table; the first column left-aligned, the others right-aligned, CJK-width aware."""
    cells = [list(headers)] + [[str(c) for c in row] for row in rows]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        out = [row[0] + " " * (widths[0] - _width(row[0]))]
        out += [" " * (w - _width(c)) + c for c, w in zip(row[1:], widths[1:])]
        lines.append("  ".join(out).rstrip())
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# ---------------------------------------------------------------- charts


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family of an installed CJK font matplotlib can use, or None (charts show boxes)."""
    from matplotlib import font_manager

    def known() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((name for name in CJK_FONTS if name in names), None)

    if found := known():
        return found
    # Installed after matplotlib cached its font list: add what fontconfig knows about.
    added = []
    try:
        listing = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        listing = ""
    for line in listing.splitlines():
        path = line.strip().rstrip(":")
        try:
            font_manager.fontManager.addfont(path)
            added.append(font_manager.FontProperties(fname=path).get_name())
        except (OSError, RuntimeError, ValueError):
            continue
    found = known() or (added[0] if added else None)
    if not found:
        logger.warning("no CJK font found: chart labels will show boxes (run scripts/install-fonts.sh)")
    return found


@contextmanager
def _figure(rows: int = 1, cols: int = 1, size: tuple[float, float] = (9, 4.8)) -> Iterator[tuple[Any, Any]]:
    """A figure with the CJK font set; a plain Figure (Agg canvas), so no pyplot global state."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    font = cjk_font()
    rc = {"font.family": "sans-serif", "axes.unicode_minus": False}
    if font:
        rc["font.sans-serif"] = [font, "DejaVu Sans"]
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=size, dpi=100, constrained_layout=True)
        FigureCanvasAgg(fig)
        yield fig, fig.subplots(rows, cols)


def _save(fig: Any, target: str | Path | io.BytesIO) -> None:
    fig.savefig(target, format="png")


def _counts(axis: Any) -> None:
    """Whole-number ticks: the figures are counts."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _bar_labels(ax: Any, bars: Any) -> None:
    for bar in bars:
        ax.annotate(f"{bar.get_height():.0f}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize=8)


# ---------------------------------------------------------------- usage


@dataclass
class DayUsage:
    day: date
    users: int
    turns: int


@dataclass
class UsageReport:
    """Distinct users and answered turns per day, with totals."""

    scope: Scope
    days: list[DayUsage]
    users: int
    turns: int
    new_users: int
    by_kind: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {"report": "usage", **self.scope.as_dict(),
                "days": [{"date": d.day.isoformat(), "users": d.users, "turns": d.turns} for d in self.days],
                "totals": {"users": self.users, "turns": self.turns, "new_users": self.new_users,
                           "active_days": sum(1 for d in self.days if d.turns)},
                "by_kind": self.by_kind}

    def text(self) -> str:
        rows = [(d.day.isoformat(), d.users, d.turns) for d in self.days]
        rows.append(("合计 total", self.users, self.turns))
        kinds = ", ".join(f"{k} {v}" for k, v in self.by_kind.items()) or "—"
        return (f"使用情况 usage · {self.scope.describe()}\n"
                + _table(("日期 date", "用户 users", "对话轮次 turns"), rows)
                + f"\n新用户 new users: {self.new_users}\n按回答类型 by kind: {kinds}")

    def chart(self, path: str | Path | io.BytesIO) -> None:
        with _figure() as (fig, ax):
            _usage_axes(ax, self)
            _save(fig, path)


def _usage_axes(ax: Any, report: UsageReport) -> None:
    from matplotlib import dates as mdates

    days = [d.day for d in report.days]
    few = len(days) <= 31  # markers only while they stay apart
    ax.plot(days, [d.users for d in report.days], marker="o" if few else None, label="用户数")
    ax.plot(days, [d.turns for d in report.days], marker="s" if few else None, label="对话轮次")
    ax.set_title("每日用户与对话轮次")
    ax.set_xlabel("日期（UTC）")
    ax.set_ylabel("数量")
    ax.set_ylim(bottom=0)
    ax.legend()
    ax.grid(alpha=0.3)
    _counts(ax.yaxis)
    # One tick per day for short periods; the auto locator would add hours between them.
    if len(days) <= 14:
        ax.set_xticks(days)
    else:
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=12))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
    ax.tick_params(axis="x", labelrotation=30)


def usage(db: str | Path | sqlite_utils.Database, scope: Scope = Scope()) -> UsageReport:
    """Daily distinct users and turns; days without turns inside the period count as zero."""
    with connect(db) as database:
        events = _fetch(database, "events", "substr(at, 1, 10), user_key, kind", scope)
        new_users = len(_fetch(database, "users", "user_key", scope, at="first_seen"))
    per_day: dict[str, tuple[set[str], list[int]]] = {}
    by_kind: dict[str, int] = {}
    for day, key, kind in events:
        users, turns = per_day.setdefault(day, (set(), [0]))
        users.add(key)
        turns[0] += 1
        by_kind[kind] = by_kind.get(kind, 0) + 1
    seen = sorted(per_day)
    first = scope.period.since or (date.fromisoformat(seen[0]) if seen else None)
    last = scope.period.until or (date.fromisoformat(seen[-1]) if seen else None)
    days = []
    if first and last:
        for offset in range((last - first).days + 1):
            day = first + timedelta(days=offset)
            users, turns = per_day.get(day.isoformat(), (set(), [0]))
            days.append(DayUsage(day, len(users), turns[0]))
    return UsageReport(scope, days, len({key for _, key, _ in events}), len(events), new_users,
                       dict(sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0]))))


# ---------------------------------------------------------------- faq


@dataclass
class FaqRow:
    faq_id: str
    hits: int
    useful: int
    not_useful: int
    known: bool = True

    @property
    def not_useful_rate(self) -> float | None:
        return _rate(self.not_useful, self.useful + self.not_useful)


@dataclass
class FaqReport:
    """Hits and 👍/👎 per FAQ entry, and the entries nobody reached."""

    scope: Scope
    rows: list[FaqRow]
    never_hit: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"report": "faq", **self.scope.as_dict(),
                "entries": [{"faq_id": r.faq_id, "hits": r.hits, "useful": r.useful, "not_useful": r.not_useful,
                             "not_useful_rate": r.not_useful_rate, "known": r.known} for r in self.rows],
                "totals": {"hits": sum(r.hits for r in self.rows), "useful": sum(r.useful for r in self.rows),
                           "not_useful": sum(r.not_useful for r in self.rows)},
                "never_hit": self.never_hit}

    def text(self) -> str:
        rows = [(r.faq_id + ("" if r.known else " (不在现有 FAQ not in faq/)"), r.hits, r.useful, r.not_useful,
                 _pct(r.not_useful_rate)) for r in self.rows]
        totals = self.as_dict()["totals"]
        rows.append(("合计 total", totals["hits"], totals["useful"], totals["not_useful"],
                     _pct(_rate(totals["not_useful"], totals["useful"] + totals["not_useful"]))))
        never = textwrap.fill(f"从未命中 never hit ({len(self.never_hit)}): " + (", ".join(self.never_hit) or "—"),
                              width=100, subsequent_indent="  ", break_on_hyphens=False)
        return (f"FAQ 命中与反馈 faq · {self.scope.describe()}\n"
                + _table(("条目 entry", "命中 hits", "👍", "👎", "👎率 rate"), rows) + "\n" + never)

    def chart(self, path: str | Path | io.BytesIO, top: int = 15) -> None:
        shown = [r for r in self.rows if r.hits or r.useful or r.not_useful][:top][::-1]
        with _figure(size=(9, max(3.0, 0.4 * len(shown) + 1.5))) as (fig, ax):
            positions = range(len(shown))
            ax.barh([p + 0.2 for p in positions], [r.hits for r in shown], height=0.4, label="命中次数")
            ax.barh([p - 0.2 for p in positions], [r.not_useful for r in shown], height=0.4, label="反馈“没用”",
                    color="tab:red")
            ax.set_yticks(list(positions))
            ax.set_yticklabels([r.faq_id for r in shown])
            more = len([r for r in self.rows if r.hits or r.useful or r.not_useful]) > top
            ax.set_title("FAQ 命中次数与“没用”反馈" + (f"（前 {top} 条）" if more else ""))
            ax.set_xlabel("次数")
            _counts(ax.xaxis)
            ax.legend()
            _save(fig, path)


def faq(db: str | Path | sqlite_utils.Database, faq_ids: Iterable[str], scope: Scope = Scope()) -> FaqReport:
    """Per entry: hits (faq answers), 👍/👎 and the 👎 rate; ``faq_ids`` are the live entries."""
    with connect(db) as database:
        answered = _fetch(database, "events", "faq_id", scope, "kind = 'faq' AND COALESCE(faq_id, '') != ''")
        voted = _fetch(database, "feedback", "faq_id, useful", scope, "COALESCE(faq_id, '') != ''")
    ids = list(dict.fromkeys(faq_ids))
    hits: dict[str, int] = {}
    for (faq_id,) in answered:
        hits[faq_id] = hits.get(faq_id, 0) + 1
    votes: dict[str, list[int]] = {}
    for faq_id, useful in voted:
        votes.setdefault(faq_id, [0, 0])[0 if useful else 1] += 1
    known = set(ids)
    rows = [FaqRow(i, hits.get(i, 0), *votes.get(i, [0, 0]), known=i in known) for i in sorted({*hits, *votes})]
    rows.sort(key=lambda r: (-r.hits, -r.not_useful, r.faq_id))
    return FaqReport(scope, rows, [i for i in ids if i not in hits])


# ---------------------------------------------------------------- screening


@dataclass
class ScreeningReport:
    """Self-checks started, finished, cancelled and abandoned, and the outcomes (never answers)."""

    scope: Scope
    started: int
    finished: int
    cancelled: int
    outcomes: dict[str, int]

    @property
    def abandoned(self) -> int:
        return max(0, self.started - self.finished - self.cancelled)

    def as_dict(self) -> dict[str, Any]:
        return {"report": "screening", **self.scope.as_dict(), "started": self.started, "finished": self.finished,
                "cancelled": self.cancelled, "abandoned": self.abandoned, "outcomes": self.outcomes}

    def text(self) -> str:
        stages = [("开始 started", self.started), ("完成 finished", self.finished),
                  ("取消 cancelled", self.cancelled), ("中途放弃 abandoned", self.abandoned)]
        outcomes = [(f"{OUTCOME_LABELS.get(k, k)} {k}", v, _pct(_rate(v, self.finished)))
                    for k, v in self.outcomes.items()]
        return (f"自查 screening · {self.scope.describe()}\n"
                + _table(("自查 self-checks", "次数 count"), stages) + "\n\n"
                + _table(("结果 outcome", "次数 count", "占完成 share"), outcomes))

    def chart(self, path: str | Path | io.BytesIO) -> None:
        with _figure(1, 2, size=(11, 4.5)) as (fig, (left, right)):
            _bar_labels(left, left.bar(["开始", "完成", "取消", "中途放弃"],
                                       [self.started, self.finished, self.cancelled, self.abandoned],
                                       color=["tab:blue", "tab:green", "tab:gray", "tab:orange"]))
            left.set_title("自查次数")
            _bar_labels(right, right.bar([OUTCOME_LABELS.get(k, k) for k in self.outcomes], list(self.outcomes.values()),
                                         color="tab:purple"))
            right.set_title("自查结果分布")
            for ax in (left, right):
                ax.set_ylabel("次数")
                _counts(ax.yaxis)
            _save(fig, path)


def screening(db: str | Path | sqlite_utils.Database, scope: Scope = Scope()) -> ScreeningReport:
    """Counts of screening milestones (each self-check once) and of finished outcomes."""
    with connect(db) as database:
        rows = _fetch(database, "milestones", "name, COALESCE(detail, '')", scope,
                      "name IN ('screening_started', 'screening_finished', 'screening_cancelled')")
    counts = {"screening_started": 0, "screening_finished": 0, "screening_cancelled": 0}
    outcomes = dict.fromkeys(OUTCOMES, 0)
    for name, detail in rows:
        counts[name] += 1
        if name == "screening_finished":
            outcomes[detail or "unknown"] = outcomes.get(detail or "unknown", 0) + 1
    return ScreeningReport(scope, counts["screening_started"], counts["screening_finished"],
                           counts["screening_cancelled"], outcomes)


# ---------------------------------------------------------------- campaigns


@dataclass
class Funnel:
    """Distinct users of one campaign (None: all of them) at each stage, each stage counted on
    its own: a user may finish a self-check without asking anything first."""

    campaign: str | None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return "合计" if self.campaign is None else self.campaign or DIRECT

    def stages(self) -> list[dict[str, Any]]:
        out, previous = [], None
        started = self.counts.get("started", 0)
        for stage, _ in STAGES:
            n = self.counts.get(stage, 0)
            out.append({"stage": stage, "users": n,
                        "from_previous": None if previous is None else _rate(n, previous),
                        "from_started": None if previous is None else _rate(n, started)})
            previous = n
        return out

    def as_dict(self) -> dict[str, Any]:
        label = "total" if self.campaign is None else self.campaign or "direct"
        return {"campaign": self.campaign, "label": label, "stages": self.stages()}


@dataclass
class CampaignReport:
    """The funnel per campaign of the users first seen in the period, and the total."""

    scope: Scope
    funnels: list[Funnel]
    total: Funnel

    def as_dict(self) -> dict[str, Any]:
        return {"report": "campaigns", **self.scope.as_dict(), "campaigns": [f.as_dict() for f in self.funnels],
                "total": self.total.as_dict()}

    def text(self) -> str:
        names = dict(STAGES)
        blocks = [f"推广漏斗 campaigns · {self.scope.describe()}"]
        if not self.funnels:
            blocks.append("（期间内没有新用户 no new users in the period）")
        for funnel in [*self.funnels, self.total]:
            title = "合计 total" if funnel is self.total else f"推广 campaign: {funnel.label}"
            rows = [(f"{names[s['stage']]} {s['stage']}", s["users"], _pct(s["from_previous"]), _pct(s["from_started"]))
                    for s in funnel.stages()]
            blocks.append(title + "\n" + _table(("阶段 stage", "用户 users", "较上一步 vs prev", "较开始 vs start"), rows))
        return "\n\n".join(blocks)

    def chart(self, path: str | Path | io.BytesIO) -> None:
        with _figure(size=(10, 5)) as (fig, ax):
            _funnel_axes(ax, self.funnels or [self.total])
            _save(fig, path)


def _funnel_axes(ax: Any, funnels: list[Funnel]) -> None:
    width = 0.8 / max(1, len(funnels))
    for i, funnel in enumerate(funnels):
        xs = [s + (i - (len(funnels) - 1) / 2) * width for s in range(len(STAGES))]
        bars = ax.bar(xs, [funnel.counts.get(s, 0) for s, _ in STAGES], width=width, label=funnel.label)
        _bar_labels(ax, bars)
    ax.set_xticks(range(len(STAGES)))
    ax.set_xticklabels([name for _, name in STAGES])
    ax.set_title("推广渠道转化漏斗（用户数）")
    ax.set_ylabel("用户数")
    _counts(ax.yaxis)
    ax.legend(title="推广渠道")


def campaigns(db: str | Path | sqlite_utils.Database, scope: Scope = Scope()) -> CampaignReport:
    """Users first seen in the period, by first-touch campaign, through the stages (in the period)."""
    with connect(db) as database:
        cohort = {key: campaign or "" for key, campaign in
                  _fetch(database, "users", "user_key, campaign", scope, at="first_seen")}
        reached: dict[str, set[str]] = {"started": set(cohort)}
        for stage, kinds in (("asked", POLICY_KINDS), ("answered", ANSWER_KINDS)):
            marks = ", ".join("?" * len(kinds))
            reached[stage] = {k for (k,) in _fetch(database, "events", "DISTINCT user_key", scope,
                                                   f"kind IN ({marks})", kinds)}
        for stage, milestone in (("screened", "screening_finished"), ("apply_opened", "apply_opened"),
                                 ("drafted", "drafted")):
            reached[stage] = {k for (k,) in _fetch(database, "milestones", "DISTINCT user_key", scope, "name = ?",
                                                   [milestone])}
    funnels: dict[str, Funnel] = {}
    total = Funnel(None)
    for key, campaign in cohort.items():
        funnel = funnels.setdefault(campaign, Funnel(campaign))
        for stage, _ in STAGES:
            if key in reached[stage]:
                funnel.counts[stage] = funnel.counts.get(stage, 0) + 1
                total.counts[stage] = total.counts.get(stage, 0) + 1
    ordered = sorted(funnels.values(), key=lambda f: (f.campaign == "", -f.counts.get("started", 0), f.campaign))
    return CampaignReport(scope, ordered, total)


# ---------------------------------------------------------------- Telegram /stats


def stats_for_admin(db: str | Path | sqlite_utils.Database, campaign: str | None = None, days: int = 7,
                    today: date | None = None) -> tuple[str, bytes]:
    """A short summary of the last ``days`` days (one campaign, or all) and a PNG chart."""
    scope = Scope(Period.last_days(days, today), campaign=campaign)
    with connect(db) as database:
        use, screen, funnel = usage(database, scope), screening(database, scope), campaigns(database, scope).total
    who = f"推广 {campaign or DIRECT}" if campaign is not None else "全部推广"
    steps = " → ".join(f"{name} {funnel.counts.get(stage, 0)}" for stage, name in STAGES)
    outcomes = "，".join(f"{OUTCOME_LABELS.get(k, k)} {v}" for k, v in screen.outcomes.items() if v) or "—"
    lines = [f"近 {days} 天（{scope.period.since} – {scope.period.until}，UTC）· {who}",
             f"用户 {use.users}（新 {use.new_users}），对话 {use.turns} 轮",
             f"新用户漏斗：{steps}",
             f"自查：开始 {screen.started}，完成 {screen.finished}，取消 {screen.cancelled}，中途放弃 {screen.abandoned}",
             f"自查结果：{outcomes}"]
    buffer = io.BytesIO()
    with _figure(1, 2, size=(11, 4.5)) as (fig, (left, right)):
        _usage_axes(left, use)
        _funnel_axes(right, [Funnel(who, funnel.counts)])
        _save(fig, buffer)
    return "\n".join(lines), buffer.getvalue()
