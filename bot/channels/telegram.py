"""The Telegram channel on python-telegram-bot 22: updates in, engine replies out.

python-telegram-bot is only the transport here: every message or button press goes through
``bot.engine`` (the same dialogue as the terminal), and each reply becomes a Telegram message
with an inline keyboard. Telegram limits shape the code: callback_data ≤ 64 bytes (longer
payloads get a short id), messages ≤ 4096 characters (split at paragraph boundaries).

Usage:
    TELEGRAM_TOKEN=... policybot serve
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import os
import time
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction, ChatType
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.answering import Reply
from bot.config import BotConfig
from bot.flood import NOTICE as FLOOD_NOTICE, FloodGuard
from bot.shared import MemoryState, SharedState, lasting_state, volatile_state
from bot.store import Store, load_secret, user_key

logger = logging.getLogger(__name__)

MAX_MESSAGE = 4096
MAX_CALLBACK_BYTES = 64
ASKED_SECONDS = 24 * 3600.0  # a 👎 a day after the answer no longer finds the question
RAW_PREFIX, SHORT_PREFIX, FEEDBACK_PREFIX, FORGET_PREFIX = "r:", "s:", "f:", "forget:"
BUSY = "系统繁忙，请稍后再试。"
TYPING_AFTER = 0.7  # seconds an answer may take before "typing" is shown
ONLY_TEXT = "我目前只能读文字消息。请用文字描述您的问题，例如：“集体研究决定的事出了问题能容错吗？”"
PRIVATE_ONLY = "为保护隐私，请私聊我提问。"
FORGET_ASK = "确定要删除我保存的关于您的全部记录吗？（包括提问记录、反馈和来源统计，删除后无法恢复）"
FORGET_DONE = "已删除关于您的全部记录（{n} 条）。当前对话也已清空。"
FORGET_KEPT = "好的，什么都没有删除。"
FEEDBACK_THANKS = "谢谢您的反馈！"
FEEDBACK_HELP = "请在 /feedback 后面直接写下您的意见，例如：/feedback 希望增加某地的办法。请不要写姓名、电话等个人信息。"
NOT_ADMIN = "这个命令只对管理员开放。"
STATS_HELP = "用法：/stats [活动名] [天数]，例如 /stats poster_2026 30"


def split_message(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at paragraph, then line, then any boundary."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), 0) or max(window.rfind("\n"), 0) or limit
        if cut < limit // 4:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces or [""]


async def tell_admins(bot: Any, admin_ids: frozenset[int], text: str) -> None:
    """A message to every admin; a failure is only logged."""
    for admin in admin_ids:
        try:
            await bot.send_message(admin, text[:MAX_MESSAGE])
        except Exception:  # noqa: BLE001 - an admin who blocked the bot must not stop the others
            logger.warning("could not tell admin about content")


class CallbackMap:
    """Button payloads as callback_data: short ones inline, long ones behind a short id.

    The id is a hash of the payload, kept in shared state (bot.shared): every worker gives the
    same payload the same id and can read any id back, also after a restart."""

    TTL = 90 * 24 * 3600.0  # a button in an old chat keeps working for three months
    REFRESH = 24 * 3600.0  # an id this process stored is written again (its expiry renewed) after a day

    def __init__(self, state: SharedState | None = None):
        self.state = state if state is not None else MemoryState()
        # ids stored lately: the same buttons come in reply after reply, a write each is not needed
        self._stored: dict[str, float] = {}

    def encode(self, payload: str) -> str:
        raw = RAW_PREFIX + payload
        if len(raw.encode()) <= MAX_CALLBACK_BYTES:
            return raw
        short = base64.urlsafe_b64encode(hashlib.sha256(payload.encode()).digest()[:15]).decode()
        now = time.monotonic()
        if now - self._stored.get(short, -self.REFRESH) >= self.REFRESH:
            self.state.put(f"button:{short}", payload, self.TTL)
            self._stored[short] = now
        return SHORT_PREFIX + short

    def decode(self, data: str) -> str | None:
        if data.startswith(RAW_PREFIX):
            return data[len(RAW_PREFIX):]
        if data.startswith(SHORT_PREFIX):
            return self.state.get(f"button:{data[len(SHORT_PREFIX):]}")
        return None


class TelegramChannel:
    """Handlers that translate between Telegram and the engine; one instance per bot."""

    def __init__(self, engine: Any, store: Store, config: BotConfig, flood: FloodGuard | None = None):
        self.engine = engine
        self.store = store
        self.config = config
        self.secret = load_secret(config.secret_path, config.secret or None)
        # Shared with the other workers when there are several (POLICYBOT_REDIS_URL).
        self.callbacks = CallbackMap(lasting_state(config.redis_url, config.db_path.with_name("shared.db")))
        # The question that got an FAQ answer, so that a 👎 can keep it for the trainers' review.
        self.asked: SharedState = volatile_state(config.redis_url)
        # With several workers the front guards against floods, before the queue.
        self.flood = flood
        self._locks: dict[str, asyncio.Lock] = {}

    # ---- helpers ----

    def key_of(self, update: Update) -> str:
        return self.key_of_id(update.effective_user.id) if update.effective_user else "anonymous"

    def key_of_id(self, telegram_id: int) -> str:
        return user_key(self.secret, telegram_id)

    def _lock(self, key: str) -> asyncio.Lock:
        # One lock per user: a user's updates are handled in order, different users in parallel.
        if key not in self._locks:
            self._locks[key] = asyncio.Lock()
        return self._locks[key]

    def keyboard(self, reply: Reply) -> InlineKeyboardMarkup | None:
        rows = [[InlineKeyboardButton(b.title[:60], callback_data=self.callbacks.encode(b.payload))] for b in reply.buttons]
        if reply.kind == "faq" and reply.faq_id:
            rows.append([
                InlineKeyboardButton("👍 有用", callback_data=f"{FEEDBACK_PREFIX}1:{reply.faq_id}"[:MAX_CALLBACK_BYTES]),
                InlineKeyboardButton("👎 没用", callback_data=f"{FEEDBACK_PREFIX}0:{reply.faq_id}"[:MAX_CALLBACK_BYTES]),
            ])
        return InlineKeyboardMarkup(rows) if rows else None

    async def send_replies(self, update: Update, context: ContextTypes.DEFAULT_TYPE, replies: list[Reply]) -> None:
        chat_id = update.effective_chat.id
        for reply in replies:
            pieces = split_message(reply.text)
            for index, piece in enumerate(pieces):
                markup = self.keyboard(reply) if index == len(pieces) - 1 else None
                await context.bot.send_message(chat_id, piece, reply_markup=markup)
            document = reply.extra.get("document")
            if document:
                await self.send_document(context, chat_id, document, reply.extra.get("document_name"))

    async def send_document(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, path: str, name: str | None) -> None:
        """Send a drafted file, then delete it: it holds what the user typed, and is theirs alone."""
        try:
            with open(path, "rb") as handle:
                await context.bot.send_document(chat_id, handle, filename=name or os.path.basename(path))
        finally:
            try:
                os.remove(path)
            except OSError:
                logger.warning("could not delete a sent draft")

    async def converse(self, update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, campaign: str = "") -> None:
        """Send ``text`` to the engine for this user, showing "typing" meanwhile, and answer."""
        key = self.key_of(update)
        if self.flood is not None:
            verdict = self.flood.check(key)
            if not verdict.admit:
                if verdict.notify:
                    await context.bot.send_message(update.effective_chat.id, FLOOD_NOTICE)
                return
        async with self._lock(key):
            await asyncio.to_thread(self.store.touch_user, key, campaign)
            typing = asyncio.create_task(self._typing_after(context, update.effective_chat.id))
            started = time.perf_counter()
            try:
                replies = await self.engine.handle(key, text)
            finally:
                typing.cancel()
            latency = (time.perf_counter() - started) * 1000
            await self.send_replies(update, context, replies)
            self._remember_questions(key, text, replies)
            main = next((r for r in replies if r.kind != "smalltalk"), replies[0] if replies else None)
            if main is not None:
                # Off the reply path: the answer is already on its way.
                asyncio.get_running_loop().run_in_executor(
                    None, self.store.record_turn, key, main.kind, main.faq_id, latency, campaign)

    def _remember_questions(self, key: str, text: str, replies: list[Reply]) -> None:
        if text.startswith("/"):
            return
        for reply in replies:
            if reply.kind == "faq" and reply.faq_id:
                self.asked.put(f"asked:{key}:{reply.faq_id}", [text, reply.confidence], ASKED_SECONDS)

    @staticmethod
    async def _typing_after(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
        """Show "typing" when an answer takes a while: most come sooner, and every call counts
        against Telegram's limit on what a bot may send per second."""
        await asyncio.sleep(TYPING_AFTER)
        try:
            await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
        except Exception:  # noqa: BLE001 - only a courtesy
            logger.debug("could not show typing")

    async def tell_admins(self, text: str) -> None:
        """A message to every admin (content errors, reloads); a failure is only logged."""
        bot = getattr(getattr(self, "application", None), "bot", None)
        if bot is not None:
            await tell_admins(bot, self.config.admin_ids, text)

    # ---- handlers ----

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Greets the user. A deep-link payload (bot.campaigns) records the campaign that brought
        them (first touch wins), adds the campaign's own greeting and opens its topic; a payload
        that is not understood is logged and the user starts as usual."""
        from bot.campaigns import decode, load_greetings

        payload = context.args[0] if context.args else ""
        arrival = decode(payload)
        if arrival.problem:
            logger.warning("deep link not understood, starting as usual: %s", arrival.problem)
        await self.converse(update, context, "/start", campaign=arrival.campaign)
        if arrival.campaign:
            greetings, _ = await asyncio.to_thread(load_greetings, self.engine.settings.root)
            if arrival.campaign in greetings:
                await context.bot.send_message(update.effective_chat.id, greetings[arrival.campaign])
        if arrival.topic:
            await self.converse(update, context, arrival.topic, campaign=arrival.campaign)

    async def command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/help, /screen and /apply: the engine knows them as commands."""
        command = (update.effective_message.text or "").split(maxsplit=1)[0].split("@", 1)[0]
        await self.converse(update, context, command)

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answers a text message."""
        await self.converse(update, context, update.effective_message.text or "")

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answers a button press: feedback, /forget confirmation, or a payload for the engine."""
        query = update.callback_query
        data = query.data or ""
        key = self.key_of(update)
        if data.startswith(FEEDBACK_PREFIX):
            useful, _, faq_id = data[len(FEEDBACK_PREFIX):].partition(":")
            await asyncio.to_thread(self.store.record_feedback, key, faq_id, useful == "1")
            asked = await asyncio.to_thread(self.asked.pop, f"asked:{key}:{faq_id}")
            if useful != "1" and asked is not None:  # 👎: the question goes to the trainers' review
                await asyncio.to_thread(self.store.log_unanswered, asked[0], "thumbs_down", key, faq_id, asked[1])
            await query.answer(FEEDBACK_THANKS)
            return
        if data.startswith(FORGET_PREFIX):
            await query.answer()
            if data == FORGET_PREFIX + "yes":
                deleted = await asyncio.to_thread(self.store.forget, key)
                deleted += await self.engine.forget(key) or 0  # the conversation itself too
                await context.bot.send_message(update.effective_chat.id, FORGET_DONE.format(n=deleted))
            else:
                await context.bot.send_message(update.effective_chat.id, FORGET_KEPT)
            return
        payload = self.callbacks.decode(data)
        await query.answer()
        if payload is None:
            await context.bot.send_message(update.effective_chat.id, "这个按钮已过期，请重新提问。")
            return
        await self.converse(update, context, payload)

    async def forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Asks the user to confirm deleting everything stored about them."""
        markup = InlineKeyboardMarkup([[
            InlineKeyboardButton("确认删除", callback_data=FORGET_PREFIX + "yes"),
            InlineKeyboardButton("不删除", callback_data=FORGET_PREFIX + "no"),
        ]])
        await update.effective_message.reply_text(FORGET_ASK, reply_markup=markup)

    async def feedback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stores a written suggestion (scrubbed of identifiers) for the trainers."""
        text = " ".join(context.args or [])
        if not text:
            await update.effective_message.reply_text(FEEDBACK_HELP)
            return
        await asyncio.to_thread(self.store.log_unanswered, text, "feedback", self.key_of(update))
        await update.effective_message.reply_text(FEEDBACK_THANKS)

    async def stats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Admins only: /stats [campaign] [days] — users, turns, the funnel and the self-checks
        of the last days (7 by default), for one campaign or all, with a chart."""
        if not self._is_admin(update):
            await update.effective_message.reply_text(NOT_ADMIN)
            return
        from bot.campaigns import CampaignError, normalize_name

        campaign, days = None, 7
        for arg in context.args or []:
            if arg.isdigit():
                days = max(1, min(int(arg), 3660))
                continue
            try:
                campaign = normalize_name(arg)
            except CampaignError as exc:
                await update.effective_message.reply_text(f"{exc}\n{STATS_HELP}")
                return
        text, png = await asyncio.to_thread(self.store.admin_stats, campaign, days)
        await update.effective_message.reply_text(text)
        await update.effective_message.reply_photo(png)

    async def reload(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Admins only: re-read faq/ and knowledge/ now (edits are also picked up on their own)."""
        if not self._is_admin(update):
            await update.effective_message.reply_text(NOT_ADMIN)
            return
        message = await self.engine.reload_content()
        await update.effective_message.reply_text(message)

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, photos, voice, files: says that only text is understood."""
        await update.effective_message.reply_text(ONLY_TEXT)

    async def group(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """In groups the bot only asks to be written to privately (nothing is read or stored)."""
        message = update.effective_message
        if message and message.text and message.text.startswith("/start"):
            await message.reply_text(PRIVATE_ONLY)

    def _is_admin(self, update: Update) -> bool:
        return bool(update.effective_user and update.effective_user.id in self.config.admin_ids)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Logs the fault first, then tells the user to try again; the bot keeps running."""
        logger.error("error while handling an update", exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat and update.effective_chat.type == ChatType.PRIVATE:
            try:
                await context.bot.send_message(update.effective_chat.id, BUSY)
            except Exception:  # noqa: BLE001 - the network may be what failed
                logger.warning("could not tell the user about the error")


def build_application(channel: TelegramChannel, config: BotConfig, polling: bool = True) -> Application:
    """The PTB application with every handler registered (order matters: see comments).

    Without ``polling`` it fetches no updates itself: a worker feeds it the front's
    (``process_update``)."""
    builder = (
        Application.builder()
        .token(config.token)
        .base_url(config.api_base_url)
        .concurrent_updates(True)  # users in parallel; TelegramChannel keeps each user in order
    )
    rate = config.send_rate / max(1, config.workers)  # each worker its share
    if rate > 0:
        builder = builder.rate_limiter(AIORateLimiter(overall_max_rate=rate))
    if not polling:
        builder = builder.updater(None)
    application = builder.build()
    private = filters.ChatType.PRIVATE
    # Groups first: nothing in a group reaches the dialogue.
    application.add_handler(MessageHandler(filters.ChatType.GROUPS, channel.group))
    application.add_handler(CommandHandler("start", channel.start, filters=private))
    application.add_handler(CommandHandler(["help", "screen", "apply"], channel.command, filters=private))
    application.add_handler(CommandHandler("forget", channel.forget, filters=private))
    application.add_handler(CommandHandler("feedback", channel.feedback, filters=private))
    application.add_handler(CommandHandler("stats", channel.stats, filters=private))
    application.add_handler(CommandHandler("reload", channel.reload, filters=private))
    application.add_handler(CallbackQueryHandler(channel.button))
    # Edited messages are ignored on purpose: the answer to the first version has been given.
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.UpdateType.EDITED, channel.text))
    application.add_handler(MessageHandler(private & ~filters.TEXT & ~filters.UpdateType.EDITED, channel.not_text))
    application.add_error_handler(channel.on_error)
    channel.application = application  # to reach the bot outside a handler (messages to admins)
    return application
