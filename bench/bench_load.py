"""Load benchmark (not a test): simulated Telegram users against `policybot serve --workers N`.

Usage:
    .venv/bin/python bench/bench_load.py [--workers 1,2] [--out reports/bench_load.json]
    .venv/bin/python bench/bench_load.py --workers 2 --steps 400 --no-flood     # one figure, quicker

This process runs the load generator and the fake Bot API (tests/fake_telegram.py); the bot
runs apart, as deployed: `policybot serve --workers N` (the front and N workers, each with its
action server) on real PostgreSQL and Redis (tests/servers.py) that this benchmark starts on
loopback. Each simulated user reads for 5–20 s between messages (think time) and sends a mix of
policy questions, out-of-scope questions, related-question buttons and short self-checks.

For each worker count it reports:
- saturation: turns per second with more users than the bot can serve (``--saturation-users``),
  and the peak: the most turns per second of any phase (the ratio of peaks compares 1 and 2);
- steps: reply p50/p95 (update queued -> first reply sent) at each user count of ``--steps``,
  and the most users served at p95 ≤ 1 s;
- CPU milliseconds per turn of the front, the workers, the action servers, PostgreSQL, Redis and
  this harness (load generator and fake Bot API: Telegram's side, on the same cores here);
- lost updates (no reply within 120 s), updates handled twice, duplicated replies and errors.
Then the ratio of peak throughputs, and the flood test: one user sending as fast as possible
beside ``--flood-users`` normal users, against the same users' messages without the flood,
``--flood-repeats`` times in alternating order, ``--flood-seconds`` each.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fake_telegram import TOKEN, FakeTelegram  # noqa: E402
from servers import start_postgres, start_redis  # noqa: E402

from bot.config import load_settings  # noqa: E402
from bot.evaluation import load_questions  # noqa: E402
from common import percentile, write_results  # noqa: E402

BUSY = "系统繁忙，请稍后再试。"
REPLY_TIMEOUT = 120.0
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Tally:
    """What one phase measured."""

    latencies: list[float] = field(default_factory=list)
    lost: int = 0
    sent: int = 0  # in the measured window
    sent_total: int = 0

    def figures(self, seconds: float) -> dict:
        return {"turns": len(self.latencies), "turns_per_s": round(len(self.latencies) / seconds, 2),
                "reply_ms_p50": round(percentile(self.latencies, 0.5), 1),
                "reply_ms_p95": round(percentile(self.latencies, 0.95), 1), "lost": self.lost}


def script_for(rng: random.Random, inside: list[str], outside: list[str]) -> list[str]:
    """An endless-enough conversation: no message twice in a row (a repeat would look like a
    duplicated reply)."""
    script = ["/start"]
    while len(script) < 200:
        roll = rng.random()
        if roll < 0.08:
            script += ["/screen", "button:", "button:", "button:"]
        elif roll < 0.25:
            script.append(rng.choice(outside))
        elif roll < 0.4:
            script.append("button:")
        else:
            script.append(rng.choice(inside))
    return script


async def simulated_user(fake: FakeTelegram, chat: int, script: list[str], think: tuple[float, float],
                         window: tuple[float, float], tally: Tally, rng: random.Random, start_within: float) -> None:
    """Reads (think time), sends, waits for the first reply; counts the turns sent in ``window``."""
    await asyncio.sleep(rng.uniform(0, start_within))
    for text in script:
        if time.monotonic() >= window[1]:
            return
        before = len(fake.sent_to(chat))
        if text.startswith("button:"):
            buttons = [b for call in reversed(fake.sent_to(chat)[-3:]) for b in call.buttons
                       if not b["callback_data"].startswith(("f:", "forget:"))]
            if not buttons:
                continue
            pushed = time.monotonic()
            fake.press(chat, rng.choice(buttons)["callback_data"])
        else:
            pushed = time.monotonic()
            fake.send_text(chat, text)
        counted = pushed >= window[0]
        tally.sent += counted
        tally.sent_total += 1
        if not await fake.wait_for_messages(chat, before + 1, REPLY_TIMEOUT):
            tally.lost += counted
            continue
        if counted:
            tally.latencies.append((fake.sent_to(chat)[before].at - pushed) * 1000)
        await asyncio.sleep(rng.uniform(*think))


async def flooder(fake: FakeTelegram, chat: int, until: float) -> int:
    """Sends as fast as a script can (50 messages a second) until ``until``."""
    sent = 0
    while time.monotonic() < until:
        fake.send_text(chat, f"第{sent}条：容错是什么意思")
        sent += 1
        await asyncio.sleep(0.02)
    return sent


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


def process_tree(root: int) -> dict[int, str]:
    """pid -> role (front, workers, actions) of ``root`` and its descendants."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    roles = {}
    for pid in tree:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        roles[pid] = ("actions" if "bot.action_server" in command else "workers" if "bot.worker" in command
                      else "front" if pid == root else "other")
    return roles


def tree_cpu(root: int) -> float:
    return sum(cpu_seconds(pid) for pid in process_tree(root))


class Bot:
    """`policybot serve --workers N` with its own database and the shared servers."""

    def __init__(self, workers: int, fake: FakeTelegram, postgres_url: str, redis_url: str, workdir: Path):
        import redis

        self.workers = workers
        self.redis = redis.Redis.from_url(redis_url)
        self.redis.flushdb()
        self.log = open(workdir / f"serve-{workers}.log", "ab")
        env = dict(os.environ, TELEGRAM_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=fake.base_url,
                   POLICYBOT_DB=str(workdir / f"bot-{workers}.db"), POLICYBOT_SECRET="bench",
                   POLICYBOT_REDIS_URL=redis_url, POLICYBOT_TRACKER_URL=postgres_url,
                   POLICYBOT_SEND_RATE="0")  # the bot's own capacity: the fake Bot API has no send limit
        from bot.engine import _die_with_parent

        self.process = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--workers", str(workers)],
                                        env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
                                        preexec_fn=_die_with_parent)

    async def ready(self, timeout: float = 600.0) -> float:
        started = time.monotonic()
        while len(self.redis.hkeys("policybot:handled")) < self.workers:
            if self.process.poll() is not None or time.monotonic() - started > timeout:
                raise SystemExit(f"the bot did not start: see {self.log.name}")
            await asyncio.sleep(0.5)
        return time.monotonic() - started

    def cpu(self) -> dict[str, float]:
        totals = {"front": 0.0, "workers": 0.0, "actions": 0.0}
        for pid, role in process_tree(self.process.pid).items():
            totals[role] = totals.get(role, 0.0) + cpu_seconds(pid)
        return totals

    def queued(self) -> int:
        """Updates the front queued (each once, by update_id)."""
        return sum(1 for _ in self.redis.scan_iter(match="policybot:seen:*", count=1000))

    def handled(self) -> int:
        return sum(int(v) for v in self.redis.hvals("policybot:handled"))

    async def drained(self, timeout: float = 180.0) -> None:
        started = time.monotonic()
        while list(self.redis.scan_iter(match="policybot:inbox:*")) and time.monotonic() - started < timeout:
            await asyncio.sleep(0.5)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


class Load:
    """Runs phases of simulated users against one bot and counts what came back."""

    def __init__(self, fake: FakeTelegram, bot: Bot, servers: dict[str, int], inside: list[str], outside: list[str],
                 seed: int):
        self.fake, self.bot, self.servers, self.inside, self.outside = fake, bot, servers, inside, outside
        self.rng = random.Random(seed)
        self.next_chat = 1_000_000 * bot.workers

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far of the bot's processes, the servers and this harness (the load
        generator and the fake Bot API, which Telegram's own servers would be)."""
        return {**self.bot.cpu(), **{name: tree_cpu(pid) for name, pid in self.servers.items()},
                "harness": cpu_seconds(os.getpid())}

    async def phase(self, users: int, seconds: float, think=(5.0, 20.0), flood: bool = False,
                    ramp: float = 20.0, seed: float | None = None) -> dict:
        """``users`` users starting within ``ramp`` seconds; turns sent in the ``seconds`` after
        the ramp are measured. Two phases with the same ``seed`` send the same messages at the
        same moments (to other chats), so they differ only in what else is going on."""
        rng = random.Random(self.rng.random() if seed is None else seed)
        tally = Tally()
        chats = list(range(self.next_chat, self.next_chat + users))
        self.next_chat += users + 1
        flood_chat = self.next_chat
        self.next_chat += 1
        start = time.monotonic()
        window = (start + ramp, start + ramp + seconds)
        cpu_before, handled_before = self.cpu(), self.bot.handled()
        tasks = [simulated_user(self.fake, chat, script_for(random.Random(rng.random()), self.inside, self.outside),
                                think, window, tally, random.Random(rng.random()), ramp) for chat in chats]
        if flood:
            tasks.append(flooder(self.fake, flood_chat, window[1]))
        results = await asyncio.gather(*tasks)
        await self.bot.drained()
        cpu_after, handled = self.cpu(), self.bot.handled() - handled_before
        figures = {"users": users, **tally.figures(seconds)}
        turns = max(1, handled)
        figures["cpu_ms_per_turn"] = {role: round((cpu_after[role] - cpu_before[role]) * 1000 / turns, 1)
                                      for role in cpu_after}
        figures["errors"] = sum(1 for chat in chats for call in self.fake.sent_to(chat) if call.text == BUSY)
        twice = duplicated(self.fake, chats)
        figures["duplicated_replies"] = len(twice)
        if twice:
            figures["duplicated_examples"] = sorted({text[:60] for text in twice})[:5]
        messages = sum(len(self.fake.sent_to(chat)) for chat in chats)
        figures["messages_per_turn"] = round(messages / max(1, tally.sent_total), 2)
        if flood:
            sent = results[-1]
            flood_replies = self.fake.sent_to(flood_chat)
            figures["flood"] = {"sent": sent, "answered": sum("太快" not in c.text for c in flood_replies),
                                "notices": sum("太快" in c.text for c in flood_replies)}
        return figures


def duplicated(fake: FakeTelegram, chats: list[int]) -> list[str]:
    """The same message sent to one chat twice within a second: a user reads 5–20 s between
    messages, so only a resent reply does that (two questions may well get the same answer)."""
    found = []
    for chat in chats:
        calls = fake.sent_to(chat)
        found += [a.text for a, b in zip(calls, calls[1:])
                  if a.text and a.text == b.text and a.params.get("reply_markup") == b.params.get("reply_markup")
                  and b.at - a.at < 1.0]
    return found


async def run_workers(workers: int, args, fake, servers, workdir, inside, outside) -> dict:
    bot = Bot(workers, fake, servers["postgres"].url, servers["redis"].url, workdir)
    try:
        result: dict = {"start_s": round(await bot.ready(), 1)}
        load = Load(fake, bot, {name: server.process.pid for name, server in servers.items()}, inside, outside,
                    args.seed)
        await load.phase(20, 20, ramp=5)  # warm-up: first turns pay for lazy loading
        if args.saturation_users:
            print(f"[{workers} worker(s)] saturation with {args.saturation_users} users …", file=sys.stderr)
            result["saturation"] = await load.phase(args.saturation_users, args.seconds)
        steps = []
        for users in args.steps:
            print(f"[{workers} worker(s)] {users} users …", file=sys.stderr)
            steps.append(await load.phase(users, args.seconds))
            print(f"    p95 {steps[-1]['reply_ms_p95']} ms", file=sys.stderr)
            if steps[-1]["reply_ms_p95"] > 1000 and users >= max(args.steps_required):
                break
        result["steps"] = steps
        within = [s["users"] for s in steps if s["reply_ms_p95"] <= 1000]
        result["most_users_at_p95_le_1s"] = max(within) if within else 0
        # Past saturation throughput falls again (every turn waits long enough to send "typing",
        # locks are renewed, timeouts hit): the most turns a second at any load is the capacity.
        result["peak_turns_per_s"] = max(phase["turns_per_s"] for phase in [*steps, result.get("saturation") or steps[0]])
        if args.flood and workers == max(args.workers):
            result["flood"] = await flood_test(load, args)
        result["updates_handled_twice"] = bot.handled() - bot.queued()
        return result
    finally:
        bot.stop()


async def flood_test(load: Load, args) -> dict:
    """Each repeat runs the same users' messages without and with the flood (in alternating
    order, so that a drift over the run favours neither)."""
    runs = []
    for repeat in range(args.flood_repeats):
        print(f"[flood] repeat {repeat + 1} …", file=sys.stderr)
        seed = load.rng.random()
        order = (False, True) if repeat % 2 == 0 else (True, False)
        measured = {flood: await load.phase(args.flood_users, args.flood_seconds, flood=flood, seed=seed)
                    for flood in order}
        calm, flooded = measured[False], measured[True]
        runs.append({"without": calm, "with": flooded,
                     "p95_change_pct": round((flooded["reply_ms_p95"] / max(1.0, calm["reply_ms_p95"]) - 1) * 100, 1)})
    return {"users": args.flood_users, "runs": runs,
            "worst_p95_change_pct": max(run["p95_change_pct"] for run in runs)}


async def main_async(args) -> dict:
    settings = load_settings()
    questions = load_questions(settings.root / "tests" / "eval")
    inside = [q.text for q in questions if q.accept]
    outside = [q.text for q in questions if not q.accept]
    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    postgres, redis = start_postgres(workdir / "postgres"), start_redis(workdir / "redis")
    fake = await FakeTelegram().start()
    results: dict = {"think_s": [5, 20], "measure_s": args.seconds, "cores": os.cpu_count()}
    try:
        for workers in args.workers:
            results[f"workers_{workers}"] = await run_workers(
                workers, args, fake, {"postgres": postgres, "redis": redis}, workdir, inside, outside)
    finally:
        await fake.stop()
        postgres.stop()
        redis.stop()
    if len(args.workers) >= 2:
        one, two = (results[f"workers_{w}"]["peak_turns_per_s"] for w in sorted(args.workers)[:2])
        results["peak_ratio"] = round(two / max(0.01, one), 2)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2", help="worker counts to compare, e.g. 1,2")
    parser.add_argument("--steps", default="100,200,300,400,500,600", help="user counts for the p95 ≤ 1 s search")
    parser.add_argument("--saturation-users", type=int, default=800)
    parser.add_argument("--seconds", type=float, default=60.0, help="measured seconds per phase (after a 20 s ramp)")
    parser.add_argument("--flood-users", type=int, default=200)
    parser.add_argument("--flood-repeats", type=int, default=3)
    parser.add_argument("--flood-seconds", type=float, default=120.0, help="measured seconds per flood-test phase")
    parser.add_argument("--no-flood", dest="flood", action="store_false")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default="reports/bench_load.json")
    args = parser.parse_args()
    args.workers = [int(w) for w in args.workers.split(",")]
    args.steps = [int(s) for s in args.steps.split(",")]
    args.steps_required = [400] if 400 in args.steps else args.steps[-1:]
    write_results(asyncio.run(main_async(args)), args.out)


if __name__ == "__main__":
    main()
