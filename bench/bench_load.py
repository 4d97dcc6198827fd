"""Load benchmark (not a test): simulated Telegram users through the fake Bot API.

Usage:
    .venv/bin/python bench/bench_load.py [--users 200] [--turns 5000] [--out reports/bench_load.json]

Each simulated user sends a mix of policy questions, out-of-scope questions, button presses
(related questions) and a short screening, all as real Bot API updates over loopback HTTP to
the real bot (python-telegram-bot, the engine, the action server, the store). Reported:
throughput, reply latency p50/p95 (update queued -> first reply sent), errors, lost updates
(updates that never got a reply; must be 0) and peak memory.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fake_telegram import TOKEN, FakeTelegram  # noqa: E402

from bot.channels.telegram import TelegramChannel, build_application  # noqa: E402
from bot.config import load_bot_config, load_settings  # noqa: E402
from bot.content import validate  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.evaluation import load_questions  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.training import train  # noqa: E402
from common import percentile, write_results  # noqa: E402




async def simulated_user(fake: FakeTelegram, chat: int, script: list[str], latencies: list[float],
                         lost: list[int], rng: random.Random) -> None:
    """Sends one message, waits for the first reply, reads a moment, sends the next."""
    for text in script:
        before = len(fake.sent_to(chat))
        pushed = time.perf_counter()
        if text.startswith("button:"):
            replies = fake.sent_to(chat)
            buttons = [b for c in reversed(replies) for b in c.buttons if not b["callback_data"].startswith("f:")]
            if not buttons:
                continue
            fake.press(chat, buttons[0]["callback_data"])
        else:
            fake.send_text(chat, text)
        try:
            await fake.wait_for(lambda: len(fake.sent_to(chat)) > before, timeout=120)
        except AssertionError:
            lost.append(chat)
            continue
        latencies.append((fake.sent_to(chat)[before].at - pushed) * 1000)
        await asyncio.sleep(rng.uniform(0.05, 0.3))


def script_for(rng: random.Random, turns: int, inside: list[str], outside: list[str]) -> list[str]:
    script = ["/start"]
    while len(script) < turns:
        roll = rng.random()
        if roll < 0.08:
            script += ["/screen", "button:", "button:", "button:"]
        elif roll < 0.25:
            script.append(rng.choice(outside))
        elif roll < 0.4:
            script.append("button:")
        else:
            script.append(rng.choice(inside))
    return script[:turns]


async def run(users: int, turns: int, seed: int) -> dict:
    settings = load_settings()
    content, _ = validate(settings.root)
    model = train(settings, content).model
    questions = load_questions(settings.root / "tests" / "eval")
    inside = [q.text for q in questions if q.accept]
    outside = [q.text for q in questions if not q.accept]
    rng = random.Random(seed)
    fake = await FakeTelegram().start()
    config = dataclasses.replace(load_bot_config(settings, {}), token=TOKEN, api_base_url=fake.base_url,
                                 db_path=Path(tempfile.mkdtemp()) / "load.db", secret="bench")
    latencies: list[float] = []
    lost: list[int] = []
    async with Engine(settings, model, db_path=str(config.db_path)) as engine:
        channel = TelegramChannel(engine, Store(config.db_path), config)
        application = build_application(channel, config)
        await application.initialize()
        await application.start()
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
        per_user = max(1, turns // users)
        started = time.perf_counter()
        await asyncio.gather(*(
            simulated_user(fake, 100_000 + user, script_for(rng, per_user, inside, outside), latencies, lost,
                           random.Random(seed + user))
            for user in range(users)
        ))
        elapsed = time.perf_counter() - started
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
    await fake.stop()
    errors = sum(1 for c in fake.calls if c.method == "sendMessage" and c.text == "系统繁忙，请稍后再试。")
    return {
        "users": users, "turns": len(latencies) + len(lost), "seconds": round(elapsed, 1),
        "throughput_turns_per_s": round(len(latencies) / elapsed, 2),
        "reply_ms_p50": round(percentile(latencies, 0.5), 1), "reply_ms_p95": round(percentile(latencies, 0.95), 1),
        "errors": errors, "lost_updates": len(lost),
        "peak_rss_mb_bot": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "peak_rss_mb_action_server": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--turns", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default="reports/bench_load.json")
    args = parser.parse_args()
    results = asyncio.run(run(args.users, args.turns, args.seed))
    write_results(results, args.out)


if __name__ == "__main__":
    main()
