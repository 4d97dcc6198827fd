"""The single Telegram entry point of `policybot serve --workers N`, and its supervisor.

The front long-polls Telegram's getUpdates and puts each update in its user's mailbox in Redis
(bot.mailbox), once by update_id; the workers (bot.worker) answer. The offset of the next
getUpdates is saved in Redis only after the updates are queued, so a front that restarts, or is
killed, gets the unqueued ones again from Telegram and queues none twice.

Besides, the front:
- drops a flooding user's excess messages with one notice (bot.flood), before the queue;
- is the only writer of the bot's database: workers send their store calls (bot.remote_store);
- runs the daily retention purge and tells admins about content edits;
- starts the local workers and starts again one that dies.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import click

from bot.config import BotConfig, Settings
from bot.flood import NOTICE, FloodGuard
from bot.mailbox import OFFSET, connect, push_many
from bot.store import Store, load_secret, user_key

logger = logging.getLogger(__name__)
POLL_SECONDS = 25  # Telegram's long poll; the fake Bot API caps it at 1 s
RESTART_PAUSE = 2.0
KEYS_CACHED = 100_000


class Admins:
    """Messages to the admins from the front (content edits)."""

    def __init__(self, bot, admin_ids: frozenset[int]):
        self.bot = bot
        self.admin_ids = admin_ids

    async def tell_admins(self, text: str) -> None:
        from bot.channels.telegram import tell_admins

        await tell_admins(self.bot, self.admin_ids, text)


class Front:
    """Takes updates from Telegram and queues them for the workers."""

    def __init__(self, config: BotConfig, redis, bot, flood: FloodGuard | None = None):
        self.config = config
        self.redis = redis
        self.bot = bot
        self.flood = flood or FloodGuard()
        self.secret = load_secret(config.secret_path, config.secret or None)
        self.queued = 0
        self.dropped = 0
        self._keys: dict[int, str] = {}  # sender id -> user key (an HMAC each time otherwise)
        self._notices: set[asyncio.Task] = set()

    def routing_key(self, update: dict) -> str:
        """The user's pseudonymous key (as the workers compute it): their mailbox."""
        sender = sender_of(update)
        key = self._keys.get(sender)
        if key is None:
            if len(self._keys) >= KEYS_CACHED:
                self._keys.clear()
            key = self._keys[sender] = user_key(self.secret, sender)
        return key

    def admit(self, update: dict, key: str) -> bool:
        """False for a flooding user's excess update (dropped; the first drop sends the notice)."""
        verdict = self.flood.check(key)
        if verdict.admit:
            return True
        self.dropped += 1
        chat = chat_of(update)
        if verdict.notify and chat:
            notice = asyncio.create_task(self._notify(chat))  # others' updates need not wait for it
            self._notices.add(notice)
            notice.add_done_callback(self._notices.discard)
        return False

    async def _notify(self, chat: int) -> None:
        try:
            await self.bot.send_message(chat, NOTICE)
        except Exception:  # noqa: BLE001 - the notice is a courtesy
            logger.warning("could not send the flood notice")

    async def take(self, updates: list[dict]) -> None:
        """Queue the admitted ``updates`` and save the next offset, in one Redis round trip.

        When every update was dropped, the offset is not saved: a front restarted then gets
        them again from Telegram and judges them again, and a flood costs no Redis write."""
        admitted = []
        for update in updates:
            key = self.routing_key(update)
            if self.admit(update, key):
                admitted.append((key, int(update["update_id"]), json.dumps(update, ensure_ascii=False)))
        if admitted:
            self.queued += await push_many(self.redis, admitted, offset=int(updates[-1]["update_id"]) + 1)

    async def poll(self, stop: asyncio.Event) -> None:
        """getUpdates until ``stop``; network errors are retried, never fatal.

        The updates are read as JSON, not as python-telegram-bot objects: the front only needs
        the sender (mailbox, flood control), and a flood must cost it as little as possible;
        the worker parses each update it handles. A GET with the parameters in the URL is one
        write to the socket (a form POST is two)."""
        import aiohttp

        url = f"{self.config.api_base_url}{self.config.token}/getUpdates"
        offset = int(await self.redis.get(OFFSET) or 0)
        timeout = aiohttp.ClientTimeout(total=POLL_SECONDS + 10)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while not stop.is_set():
                try:
                    params = {"offset": str(offset), "timeout": str(POLL_SECONDS)}
                    async with session.get(url, params=params) as response:
                        answer = await response.json(content_type=None)
                except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                    logger.warning("getUpdates failed (%s); retrying", exc or type(exc).__name__)
                    await asyncio.sleep(1)
                    continue
                if not answer.get("ok"):
                    logger.error("getUpdates refused: %s", answer.get("description"))
                    await asyncio.sleep(5)
                    continue
                updates = answer.get("result") or []
                if updates:
                    await self.take(updates)
                    offset = int(updates[-1]["update_id"]) + 1


def _payload(update: dict) -> dict:
    """The update's one object besides update_id (message, callback_query …)."""
    return next((value for key, value in update.items() if key != "update_id" and isinstance(value, dict)), {})


def sender_of(update: dict) -> int:
    """The Telegram id of whoever caused the update (its chat's, if it has no sender)."""
    body = _payload(update)
    who = body.get("from") or body.get("user") or body.get("chat") or (body.get("message") or {}).get("chat") or {}
    return int(who.get("id") or 0)


def chat_of(update: dict) -> int:
    body = _payload(update)
    return int((body.get("chat") or (body.get("message") or {}).get("chat") or {}).get("id") or 0)


@dataclass
class Workers:
    """The local worker processes, started again when one dies."""

    model: Path
    count: int
    processes: list[subprocess.Popen] = field(default_factory=list)
    restarts: int = 0

    def start(self) -> None:
        self.processes = [self._spawn() for _ in range(self.count)]

    def _spawn(self) -> subprocess.Popen:
        from bot.engine import _die_with_parent

        command = [sys.executable, "-m", "bot.worker", "--model", str(self.model)]
        env = dict(os.environ, POLICYBOT_WORKERS=str(self.count))  # each takes its share of the send rate
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, env=env, preexec_fn=_die_with_parent)

    def replace_dead(self) -> None:
        for index, process in enumerate(self.processes):
            if process.poll() is not None:
                logger.warning("worker %d (pid %d) exited with code %s; starting it again",
                               index, process.pid, process.returncode)
                self.processes[index] = self._spawn()
                self.restarts += 1

    def stop(self, timeout: float = 30.0) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + timeout
        for process in self.processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def run_front(settings: Settings, config: BotConfig, model: Path | None, workers: int, stop: asyncio.Event) -> None:
    """The front and ``workers`` local workers, until ``stop`` is set."""
    from telegram import Bot
    from telegram.error import InvalidToken, NetworkError

    from bot.channels.telegram_runner import purge_daily, watch_content
    from bot.remote_store import serve_store
    from bot.trackers import open_store

    redis = connect(config.redis_url)
    try:
        await redis.ping()
    except Exception as exc:  # noqa: BLE001
        raise click.ClickException(f"cannot reach Redis at POLICYBOT_REDIS_URL ({exc})") from exc
    bot = Bot(config.token, base_url=config.api_base_url)
    try:
        await bot.initialize()
    except InvalidToken as exc:
        raise click.ClickException("TELEGRAM_TOKEN was rejected by Telegram: check the token from @BotFather") from exc
    except NetworkError as exc:
        raise click.ClickException(f"cannot reach the Telegram Bot API at {config.api_base_url}: {exc}") from exc
    store = Store(config.db_path)
    warnings.filterwarnings("ignore", module=r"rasa\..*")  # Rasa's own SQLAlchemy deprecations
    trackers = await asyncio.to_thread(open_store, config.db_path.with_name("tracker.db"), None, config.tracker_url)
    front = Front(config, redis, bot)
    local = Workers(model, workers) if workers and model else None
    tasks = [
        asyncio.create_task(serve_store(redis, store, stop)),
        asyncio.create_task(purge_daily(store, config.retention_days, trackers=trackers)),
        asyncio.create_task(watch_content(settings, Admins(bot, config.admin_ids))),
    ]
    if local:
        local.start()
    polling = asyncio.create_task(front.poll(stop))
    logger.warning("front running: %d local worker(s)", workers)
    try:
        while not stop.is_set():
            if polling.done():
                polling.result()  # re-raise what stopped it
            if local:
                local.replace_dead()
            try:
                await asyncio.wait_for(stop.wait(), RESTART_PAUSE)
            except asyncio.TimeoutError:
                pass
    finally:
        polling.cancel()
        if local:
            await asyncio.to_thread(local.stop)  # they finish the turns in flight first
        await asyncio.sleep(0.2)  # the last store calls of the workers
        for task in tasks:
            task.cancel()
        await asyncio.gather(polling, *tasks, return_exceptions=True)
        await bot.shutdown()
        await redis.close()


def serve_front(settings: Settings, config: BotConfig, model: Path | None, workers: int) -> None:
    """Blocking entry point of `policybot serve --workers N`; stops on Ctrl-C or SIGTERM."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s front %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from bot.channels.telegram_runner import run_until_signalled

    run_until_signalled(lambda stop: run_front(settings, config, model, workers, stop))


def serve_workers_only(settings: Settings, config: BotConfig, model: Path, workers: int) -> None:
    """Workers on a machine of their own (the front runs elsewhere): start them, start again
    one that dies, stop them on Ctrl-C or SIGTERM."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s workers %(levelname)s %(name)s: %(message)s")
    local = Workers(model, workers)
    local.start()
    stopping = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.append(True))
    try:
        while not stopping:
            local.replace_dead()
            time.sleep(RESTART_PAUSE)
    finally:
        local.stop()
