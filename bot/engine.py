"""The one in-process API every channel uses: Rasa's Agent plus the action server.

``Engine.start()`` loads the trained model with Rasa's ``Agent`` while the rasa_sdk action
server boots in a child process on a free loopback port (a child keeps the actions' CPU work
off the bot's event loop and is killed with the bot), waits until both are ready, and
``handle()`` turns one user message into channel-independent ``Reply`` objects.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import signal
import socket
import re
import subprocess
import sys
import threading
import time
from collections import deque
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.answering import Button, Reply
from bot.config import Settings
from bot.action_calls import validate_responses_once_compiled
from bot.model_loading import build_weights_eagerly
from bot.text import comparable, normalize

logger = logging.getLogger(__name__)

MAX_INPUT_CHARS = 1000
# Commands every channel understands, as the intent payloads they stand for.
COMMANDS = {"/start": "/greet", "/help": "/help", "/screen": "/start_screening", "/apply": "/how_to_apply"}
# Intents that may arrive as /intent{...} payloads (buttons, commands); other slash text is read as words.
PAYLOAD_INTENTS = {"pick", "choose", "screening_details", "start_screening", "how_to_apply", "help", "greet",
                   "goodbye", "thanks", "bot_challenge", "apply_guide", "draft"}
# Small talk whose training phrases are matched exactly before NLU: DIET is unreliable on
# two-character messages ("再见" once came out as affirm). Not affirm/deny: inside the screening
# form "是"/"没有" are answers and must reach it as text.
EXACT_INTENTS = ("greet", "goodbye", "thanks", "bot_challenge", "help")


def exact_phrases(nlu_file: Path) -> dict[str, str]:
    """Training phrase (comparable form) -> intent, for the EXACT_INTENTS of ``nlu_file``."""
    import yaml

    from bot.text import comparable

    phrases: dict[str, str] = {}
    if not nlu_file.is_file():
        return phrases
    for block in (yaml.safe_load(nlu_file.read_text(encoding="utf-8")) or {}).get("nlu") or []:
        if block.get("intent") in EXACT_INTENTS:
            for line in str(block.get("examples", "")).splitlines():
                if line.strip().startswith("- ") and (key := comparable(line.strip()[2:])):
                    phrases.setdefault(key, block["intent"])
    return phrases
EMPTY_INPUT = "请输入您想问的问题，例如：哪些情况可以容错？"
TOO_LONG_NOTE = "（您的消息较长，我只读了前 {n} 个字。）"
ACTION_SERVER_TIMEOUT = 60.0
# A log line of the action server: "2026-12-03 15:40:57 WARNING  bot.content.live  - …"
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (\w+)")


class EngineError(Exception):
    "The engine could not start or answer."


def quiet_rasa() -> None:
    """Environment and logging for running Rasa in-process (the CLI would do this for us)."""
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    if not os.environ.get("POLICYBOT_DEBUG"):
        # Rasa's dependencies warn about their own deprecations at import: not the user's concern.
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=PendingDeprecationWarning)
        warnings.filterwarnings("ignore", category=UserWarning, module=r"rasa\..*")
        warnings.filterwarnings("ignore", module=r"matplotlib\..*")
    from rasa.utils.tensorflow.environment import setup_tf_environment

    setup_tf_environment()
    for name in ("rasa", "tensorflow", "absl", "sanic", "asyncio", "jieba", "urllib3", "matplotlib"):
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        import structlog

        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    except ImportError:  # pragma: no cover - structlog comes with rasa
        pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Linux: the child gets SIGTERM when the bot dies, even on SIGKILL (no orphans)."""
    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


@dataclass
class StartupTimes:
    model_load: float = 0.0
    actions_ready: float = 0.0
    total: float = 0.0


class Engine:
    """Rasa NLU + dialogue with our custom actions; use ``async with Engine(...)``."""

    def __init__(self, settings: Settings, model_path: Path, db_path: str | None = None,
                 tracker_url: str = "", redis_url: str = ""):
        self.settings = settings
        self.model_path = model_path
        self.db_path = db_path
        # One of several workers: conversations in a shared SQL database (PostgreSQL), Rasa's
        # lock and the action server's shared state in Redis.
        self.tracker_url = tracker_url
        self.redis_url = redis_url
        self.agent: Any = None
        self.trackers: Any = None  # bot.trackers.PrivateSQLTrackerStore, once loaded
        self.port = 0
        self._actions: subprocess.Popen | None = None
        self.times = StartupTimes()
        self._stderr_tail: deque[str] = deque(maxlen=200)
        self._exact = exact_phrases(settings.rasa_dir / "data" / "nlu" / "base.yml")

    async def __aenter__(self) -> "Engine":
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ---- life cycle ----

    async def start(self) -> None:
        started = time.perf_counter()
        self.port = _free_port()
        self._actions = self._spawn_action_server()
        try:
            load = asyncio.create_task(asyncio.to_thread(self._load_agent))
            await self._wait_for_actions()
            self.times.actions_ready = time.perf_counter() - started
            self.agent = await load
            self.times.model_load = time.perf_counter() - started
            # The first prediction builds TensorFlow's graphs (seconds): pay it here, not on a user.
            await self.agent.parse_message("你好")
        except BaseException:
            await self.close()
            raise
        self.times.total = time.perf_counter() - started
        logger.info("engine ready in %.1fs (actions %.1fs)", self.times.total, self.times.actions_ready)

    def _spawn_action_server(self) -> subprocess.Popen:
        env = dict(os.environ, SANIC_HOST="127.0.0.1", POLICYBOT_ROOT=str(self.settings.root))
        if self.db_path:
            env["POLICYBOT_DB"] = self.db_path
        if self.redis_url:
            env["POLICYBOT_REDIS_URL"] = self.redis_url
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(self.settings.root), env.get("PYTHONPATH")]))
        command = [sys.executable, "-m", "bot.action_server", "--actions", "actions", "--port", str(self.port)]
        process = subprocess.Popen(
            command, cwd=self.settings.rasa_dir, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=_die_with_parent,
        )
        self._stderr_tail.clear()
        threading.Thread(target=self._forward_stderr, args=(process.stderr,), daemon=True).start()
        return process

    def _forward_stderr(self, pipe) -> None:
        """The action server's warnings and errors (content reloads, content errors, faults) go
        to our stderr; its start-up chatter only into a tail kept for a start-up failure.
        Reading also keeps the pipe from filling up and blocking the server."""
        forwarding = False
        try:
            for raw in iter(pipe.readline, b""):
                line = raw.decode(errors="replace")
                self._stderr_tail.append(line)
                level = LOG_LINE.match(line)
                if level:
                    forwarding = level.group(1) in ("WARNING", "ERROR", "CRITICAL")
                if forwarding:
                    sys.stderr.write(f"[actions] {line}")
        except (ValueError, OSError):  # the pipe was closed: the server is gone
            pass

    async def _wait_for_actions(self) -> None:
        import aiohttp

        deadline = time.monotonic() + ACTION_SERVER_TIMEOUT
        url = f"http://127.0.0.1:{self.port}/health"
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self._actions is not None and self._actions.poll() is not None:
                    await asyncio.sleep(0.2)  # let the reader thread take the last lines
                    error = "".join(self._stderr_tail)[-2000:]
                    raise EngineError(f"the action server exited with code {self._actions.returncode}: {error}")
                try:
                    async with session.get(url, timeout=aiohttp.ClientTimeout(total=1)) as response:
                        if response.status == 200:
                            return
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    pass
                await asyncio.sleep(0.2)
        raise EngineError(f"the action server did not answer on port {self.port} within {ACTION_SERVER_TIMEOUT:.0f}s")

    def _load_agent(self) -> Any:
        quiet_rasa()
        build_weights_eagerly()
        validate_responses_once_compiled()
        from rasa.core.agent import Agent
        from rasa.utils.endpoints import EndpointConfig

        from bot.trackers import open_lock_store, open_store

        if not self.model_path.is_file():
            raise EngineError(f"no trained model at {self.model_path}: run `policybot train`")
        self.trackers = open_store(self.tracker_path, url=self.tracker_url)
        locks = open_lock_store(self.redis_url) if self.redis_url else None
        # Selective domain: only the forms' validate_* actions need the domain (Rasa sends it to
        # them); the others are spared serialising all of it on every call.
        endpoint = EndpointConfig(url=f"http://127.0.0.1:{self.port}/webhook", enable_selective_domain=True)
        return Agent.load(str(self.model_path), action_endpoint=endpoint, tracker_store=self.trackers, lock_store=locks)

    async def close(self) -> None:
        """Stop the action server; safe to call twice."""
        process, self._actions = self._actions, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                await asyncio.to_thread(process.wait, 10)
            except subprocess.TimeoutExpired:
                process.kill()
                await asyncio.to_thread(process.wait)
        if process.stderr:
            try:
                process.stderr.close()
            except OSError:  # the reader thread may be closing it at the same moment
                pass

    # ---- turns ----

    async def handle(self, user_key: str, text: str, metadata: dict | None = None) -> list[Reply]:
        """The bot's replies to one message of one user (a button payload or typed text)."""
        if self.agent is None:
            raise EngineError("the engine is not started")
        message, notes = self._prepare(text)
        if not message:
            return [Reply(text=EMPTY_INPUT, kind="smalltalk")]
        from rasa.core.channels.channel import UserMessage

        collector = _collector_class()()
        await self.agent.handle_message(
            UserMessage(message, output_channel=collector, sender_id=user_key, metadata=metadata or {})
        )
        replies = [_to_reply(m) for m in collector.messages]
        if notes and replies:
            first = replies[0]
            replies[0] = Reply(**{**first.__dict__, "text": f"{notes}\n\n{first.text}"})
        return replies or [Reply(text="抱歉，我没有理解。请换个说法再问一次。", kind="fallback")]

    @property
    def tracker_path(self) -> Path:
        """The conversations' SQLite file: beside the bot's database, in a file of its own
        (Rasa's table is also called events)."""
        return Path(self.db_path or self.settings.db_path).with_name("tracker.db")

    async def forget(self, user_key: str) -> int:
        """Delete the user's conversation; return how many stored events went."""
        return await asyncio.to_thread(self.trackers.forget, user_key)

    async def purge(self, older_than_days: int) -> int:
        """Delete stored conversation events older than the retention period."""
        return await asyncio.to_thread(self.trackers.purge, older_than_days)

    async def reload_content(self) -> str:
        """Check faq/ and knowledge/ now and say what the bot will answer from.

        The action server re-reads the files on its own when they change; this reports."""
        from bot.content import validate

        content, problems = await asyncio.to_thread(validate, self.settings.root)
        errors = [p for p in problems if p.is_error]
        if errors:
            return f"内容有 {len(errors)} 处错误，继续使用上一版。第一处：{errors[0]}"
        return f"内容已就绪：{len(content.faq)} 条问答，{len(content.items)} 条知识，{len(content.cases)} 个案例。"

    async def parse(self, text: str) -> dict:
        """NLU only: intent, ranking and response selector output for ``text``."""
        message, _ = self._prepare(text)
        return await self.agent.parse_message(message)

    def _prepare(self, text: str) -> tuple[str, str]:
        """Clean user text; button payloads (/intent{...}) pass through untouched."""
        text = (text or "").replace("\x00", "").strip()
        command = text.split(maxsplit=1)[0].split("@", 1)[0].lower() if text else ""
        if command in COMMANDS:
            return COMMANDS[command], ""
        if text.startswith("/"):
            intent = text[1:].split("{", 1)[0].strip()
            if intent in PAYLOAD_INTENTS:
                return text[:200], ""
            text = text.lstrip("/")
        notes = ""
        if len(text) > MAX_INPUT_CHARS:
            text, notes = text[:MAX_INPUT_CHARS], TOO_LONG_NOTE.format(n=MAX_INPUT_CHARS)
        intent = self._exact.get(comparable(text))
        if intent:
            return f"/{intent}", notes
        return normalize(text), notes


@lru_cache(maxsize=1)
def _collector_class() -> type:
    """Defined on first use: importing rasa costs seconds."""
    from rasa.core.channels.channel import CollectingOutputChannel

    class Collector(CollectingOutputChannel):
        """Keeps each bot message whole (text, buttons and metadata together, no splitting)."""

        async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
            self.messages.append(dict(message))

    return Collector


def _to_reply(message: dict[str, Any]) -> Reply:
    meta = (message.get("custom") or {}).get("policybot") or {}
    buttons = tuple(Button(str(b.get("title", "")), str(b.get("payload", ""))) for b in message.get("buttons") or [])
    extra = {k: v for k, v in meta.items() if k not in ("kind", "faq_id", "confidence", "sources")}
    return Reply(
        text=str(message.get("text") or ""),
        kind=meta.get("kind", "smalltalk"),
        buttons=buttons,
        faq_id=meta.get("faq_id"),
        confidence=float(meta.get("confidence") or 0.0),
        sources=tuple(meta.get("sources") or ()),
        extra=extra,
    )
