"""Benchmark (not a test): start-up, turn latency, memory and training time.

Usage:
    .venv/bin/python bench/bench.py [--turns 600] [--skip-cold-train] [--out reports/bench.json]

Cold training runs in an empty temporary model cache, so it measures a first-time train;
cached training is the fingerprint check on an unchanged project.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bot.config import load_settings
from common import percentile, write_results
from bot.content import validate
from bot.engine import Engine
from bot.evaluation import load_questions
from bot.training import train

# The environment as the user's shell gave it (nothing above loads Rasa): loading Rasa sets
# variables (PYTHONHASHSEED, TF_DETERMINISTIC_OPS, KMP_*) that a `policybot train` of one's own
# would not inherit.
USER_ENV = dict(os.environ)


def store_write_ms(writes: int = 1000) -> dict:
    """How long one event write takes (the Telegram channel does it off the reply path)."""
    from bot.store import Store

    store = Store(Path(tempfile.mkdtemp()) / "bench.db")
    store.touch_user("bench-user")
    timings = []
    for index in range(writes):
        begin = time.perf_counter()
        store.record_turn("bench-user", "faq", f"faq_{index % 50}", 80.0, "")
        timings.append((time.perf_counter() - begin) * 1000)
    return {"store_write_ms_p50": round(percentile(timings, 0.5), 2), "store_write_ms_p95": round(percentile(timings, 0.95), 2)}


def rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


async def measure_engine(settings, model: Path, questions: list[str], turns: int) -> dict:
    started = time.perf_counter()
    engine = Engine(settings, model, db_path=str(Path(tempfile.mkdtemp()) / "bench.db"))
    await engine.start()
    try:
        await engine.handle("bench-first", questions[0])
        first_answer = time.perf_counter() - started
        latencies = []
        users = [f"bench-{uuid.uuid4().hex[:6]}" for _ in range(20)]
        for turn in range(turns):
            text = questions[turn % len(questions)]
            begin = time.perf_counter()
            await engine.handle(users[turn % len(users)], text)
            latencies.append((time.perf_counter() - begin) * 1000)
    finally:
        await engine.close()
    return {
        "start_to_first_answer_s": round(first_answer, 2),
        "engine_start_s": round(engine.times.total, 2),
        "action_server_ready_s": round(engine.times.actions_ready, 2),
        "turns": turns,
        "turn_ms_p50": round(percentile(latencies, 0.50), 1),
        "turn_ms_p95": round(percentile(latencies, 0.95), 1),
        "turn_ms_p99": round(percentile(latencies, 0.99), 1),
        "turn_ms_mean": round(statistics.fmean(latencies), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=600)
    parser.add_argument("--skip-cold-train", action="store_true")
    parser.add_argument("--out", default="reports/bench.json")
    args = parser.parse_args()

    settings = load_settings()
    content, _ = validate(settings.root)
    results: dict = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}

    begin = time.perf_counter()
    model = train(settings, content).model
    results["train_cached_s"] = round(time.perf_counter() - begin, 2)

    results.update(store_write_ms())
    questions = [q.text for q in load_questions(settings.root / "tests" / "eval")]
    results.update(asyncio.run(measure_engine(settings, model, questions, args.turns)))
    results["peak_rss_mb_bot"] = round(rss_mb(resource.RUSAGE_SELF))
    results["peak_rss_mb_action_server"] = round(rss_mb(resource.RUSAGE_CHILDREN))

    if not args.skip_cold_train:
        # `policybot train` in its own process and after the memory figures, so that the
        # training's own peak does not count as the bot's
        with tempfile.TemporaryDirectory() as cache:
            begin = time.perf_counter()
            subprocess.run([sys.executable, "-m", "bot", "train"], env={**USER_ENV, "POLICYBOT_CACHE": cache},
                           check=True, stdout=subprocess.DEVNULL)
            results["train_cold_s"] = round(time.perf_counter() - begin, 1)

    write_results(results, args.out)


if __name__ == "__main__":
    main()
