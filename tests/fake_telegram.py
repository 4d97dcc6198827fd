"""A fake Telegram Bot API server on loopback, for tests: no network, real HTTP.

python-telegram-bot talks to it through ``base_url``. Tests queue updates (``send_text``,
``press``, ``send_sticker`` …) and read back what the bot called (``calls``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-token"
ADMIN = 42  # the Telegram id the tests configure as an admin
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "政策咨询", "username": "policy_test_bot"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.perf_counter)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # field -> (file name, bytes uploaded)

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def buttons(self) -> list[dict]:
        markup = self.params.get("reply_markup")
        if not markup:
            return []
        markup = json.loads(markup) if isinstance(markup, str) else markup
        return [button for row in markup.get("inline_keyboard", []) for button in row]


@dataclass
class FakeTelegram:
    port: int = 0
    calls: list[Call] = field(default_factory=list)
    _updates: list[dict] = field(default_factory=list)
    _update_ids: Any = field(default_factory=lambda: itertools.count(1))
    _message_ids: Any = field(default_factory=lambda: itertools.count(1000))
    _runner: web.AppRunner | None = None
    _new_update: asyncio.Event = field(default_factory=asyncio.Event)
    _new_call: asyncio.Event = field(default_factory=asyncio.Event)
    _closing: bool = False
    _by_chat: dict = field(default_factory=dict)  # (method, chat id) -> calls: sent_to() stays O(1) under load
    _waiters: dict = field(default_factory=dict)  # chat id -> [(count, future)]: wait_for_messages()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> "FakeTelegram":
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)  # like Telegram: GET or POST
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # the free port the OS chose
        return self

    async def stop(self) -> None:
        self._closing = True
        self._new_update.set()  # release a long poll in flight
        await asyncio.sleep(0.05)
        if self._runner:
            await self._runner.cleanup()

    # ---- what the bot sees ----

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        try:
            params = {**request.query, **(await request.post() if request.can_read_body else {})}
        except ConnectionResetError:  # the client gave up (a timeout under overload): nothing to answer
            return web.Response(status=499)
        files = {k: (getattr(v, "filename", "file"), v.file.read()) for k, v in params.items()
                 if not isinstance(v, str) and hasattr(v, "file")}
        params = {k: (v if isinstance(v, str) else getattr(v, "filename", "file")) for k, v in params.items()}
        if method == "getUpdates":
            return web.json_response({"ok": True, "result": await self._get_updates(params)})
        call = Call(method, params, files=files)
        self.calls.append(call)
        chat = params.get("chat_id")
        if chat is not None:
            self._by_chat.setdefault((method, int(chat)), []).append(call)
            if method == "sendMessage":
                self._wake(int(chat))
        self._new_call.set()
        return web.json_response({"ok": True, "result": self._result(method, params)})

    async def _get_updates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        if offset:  # as Telegram does: an offset confirms, and forgets, every update before it
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        timeout = min(float(params.get("timeout") or 0), 1.0)
        deadline = time.monotonic() + timeout
        while True:
            pending = [u for u in self._updates if u["update_id"] >= offset]
            if pending or self._closing or time.monotonic() >= deadline:
                return pending[:100]
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), max(0.01, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                pass

    def _result(self, method: str, params: dict) -> Any:
        if method == "getMe":
            return BOT_USER
        if method in ("sendMessage", "sendDocument", "sendPhoto", "editMessageText"):
            chat_id = int(params.get("chat_id", 0))
            message = {"message_id": next(self._message_ids), "date": int(time.time()),
                       "chat": {"id": chat_id, "type": "private"}, "from": BOT_USER}
            if "text" in params:
                message["text"] = params["text"]
            if method == "sendDocument":
                message["document"] = {"file_id": "f1", "file_unique_id": "u1", "file_name": "file"}
            if method == "sendPhoto":
                message["photo"] = [{"file_id": "p1", "file_unique_id": "pu1", "width": 1, "height": 1}]
            return message
        return True  # answerCallbackQuery, sendChatAction, deleteWebhook, setMyCommands …

    # ---- what the tests send ----

    def _push(self, update: dict) -> dict:
        update["update_id"] = next(self._update_ids)
        self._updates.append(update)
        self._new_update.set()
        return update

    @staticmethod
    def _user(user_id: int) -> dict:
        return {"id": user_id, "is_bot": False, "first_name": "测试", "username": f"user{user_id}", "language_code": "zh-hans"}

    def _message(self, user_id: int, chat_type: str = "private", **content: Any) -> dict:
        chat = {"id": user_id if chat_type == "private" else -100, "type": chat_type}
        if chat_type != "private":
            chat["title"] = "群"
        return {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                "from": self._user(user_id), **content}

    def send_text(self, user_id: int, text: str, chat_type: str = "private") -> dict:
        entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text.startswith("/") else []
        message = self._message(user_id, chat_type, text=text)
        if entities:
            message["entities"] = entities
        return self._push({"message": message})

    def send_sticker(self, user_id: int) -> dict:
        sticker = {"file_id": "s1", "file_unique_id": "su1", "type": "regular", "width": 512, "height": 512,
                   "is_animated": False, "is_video": False}
        return self._push({"message": self._message(user_id, sticker=sticker)})

    def send_photo(self, user_id: int) -> dict:
        photo = [{"file_id": "p1", "file_unique_id": "pu1", "width": 90, "height": 90}]
        return self._push({"message": self._message(user_id, photo=photo)})

    def edit_text(self, user_id: int, text: str) -> dict:
        return self._push({"edited_message": {**self._message(user_id, text=text), "edit_date": int(time.time())}})

    def press(self, user_id: int, data: str) -> dict:
        query = {"id": str(next(self._message_ids)), "from": self._user(user_id), "chat_instance": "ci",
                 "data": data, "message": self._message(user_id, text="…")}
        return self._push({"callback_query": query})

    # ---- waiting for the bot ----

    def sent_to(self, chat_id: int, method: str = "sendMessage") -> list[Call]:
        return list(self._by_chat.get((method, chat_id), ()))

    def _wake(self, chat: int) -> None:
        count = len(self._by_chat.get(("sendMessage", chat), ()))
        waiting = self._waiters.get(chat, [])
        for item in [w for w in waiting if w[0] <= count]:
            waiting.remove(item)
            if not item[1].done():
                item[1].set_result(None)

    async def wait_for_messages(self, chat: int, count: int, timeout: float = 30.0) -> bool:
        """Until ``chat`` has been sent ``count`` messages in all; False on timeout. Cheap with
        many chats waiting at once (the load benchmark)."""
        if len(self.sent_to(chat)) >= count:
            return True
        future = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(chat, []).append((count, future))
        try:
            await asyncio.wait_for(future, timeout)
            return True
        except asyncio.TimeoutError:
            return False

    async def wait_for(self, predicate, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; calls so far: {[(c.method, c.text[:30]) for c in self.calls][-10:]}")
            self._new_call.clear()
            try:
                await asyncio.wait_for(self._new_call.wait(), 0.2)
            except asyncio.TimeoutError:
                pass
