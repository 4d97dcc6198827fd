"""Running the Telegram bot: engine, store, PTB application, daily purge, clean shutdown."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import Any, Awaitable, Callable

import click

from bot.channels.telegram import TelegramChannel, build_application
from bot.config import BotConfig, Settings
from bot.engine import Engine
from bot.flood import FloodGuard
from bot.store import Store

logger = logging.getLogger(__name__)
DAY = 24 * 3600


async def purge_daily(store: Any, days: int, period: float = DAY, trackers: Any = None) -> None:
    """Delete old records and conversations (``trackers``: bot.trackers' store) now and then
    once a day (plain asyncio: PTB's job queue cannot be installed beside Rasa)."""
    while True:
        try:
            deleted = await asyncio.to_thread(store.purge, days)
            if trackers is not None:
                deleted += await asyncio.to_thread(trackers.purge, days)
            logger.info("retention: deleted %d rows older than %d days", deleted, days)
        except Exception:  # noqa: BLE001 - a failed purge must not stop the bot
            logger.exception("retention purge failed")
        await asyncio.sleep(period)


async def watch_content(settings: Settings, channel: Any, period: float = 5.0) -> None:
    """Re-read faq/ and knowledge/ when they change and tell the admins on Telegram whether the
    edit is live or was refused (with file:line); the action server reloads the same files
    and keeps the previous version on errors in the same way."""
    from bot.content.live import LiveContent

    loop = asyncio.get_running_loop()

    def changed(errors: list[str], kept: bool) -> None:
        asyncio.run_coroutine_threadsafe(channel.tell_admins(content_message(errors)), loop)

    live = LiveContent(settings.root, on_change=changed)
    while True:
        try:
            await asyncio.to_thread(live.get)
        except Exception:  # noqa: BLE001 - a broken edit is reported by LiveContent; keep watching
            logger.exception("content watch failed")
        await asyncio.sleep(period)


def content_message(errors: list[str], shown: int = 5) -> str:
    """What admins are told after an edit."""
    if not errors:
        return "内容已更新，新内容已生效。"
    lines = [f"内容有 {len(errors)} 处错误，机器人继续使用上一版正确的内容。请改正："]
    lines += [f"• {error}" for error in errors[:shown]]
    if len(errors) > shown:
        lines.append(f"……另有 {len(errors) - shown} 处，运行 policybot validate 查看全部。")
    return "\n".join(lines)


async def run_telegram(settings: Settings, config: BotConfig, model: Path, stop: asyncio.Event) -> None:
    """Serve until ``stop`` is set; everything started here is shut down, also on errors."""
    from telegram.error import InvalidToken, NetworkError

    store = Store(config.db_path)
    async with Engine(settings, model, db_path=str(config.db_path)) as engine:
        channel = TelegramChannel(engine, store, config, flood=FloodGuard())
        application = build_application(channel, config)
        try:
            await application.initialize()
        except InvalidToken as exc:
            raise click.ClickException("TELEGRAM_TOKEN was rejected by Telegram: check the token from @BotFather") from exc
        except NetworkError as exc:
            raise click.ClickException(f"cannot reach the Telegram Bot API at {config.api_base_url}: {exc}") from exc
        purge = asyncio.create_task(purge_daily(store, config.retention_days, trackers=engine.trackers))
        watch = asyncio.create_task(watch_content(settings, channel))
        try:
            await application.start()
            if config.webhook_url:
                await application.updater.start_webhook(
                    listen=config.webhook_listen, port=config.webhook_port, url_path="telegram",
                    webhook_url=config.webhook_url, secret_token=config.webhook_secret or None,
                )
            else:
                await application.updater.start_polling()
            logger.info("Telegram bot is running")
            await stop.wait()
        finally:
            purge.cancel()
            watch.cancel()
            if application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
            await application.shutdown()


def serve_telegram(settings: Settings, config: BotConfig, model: Path) -> None:
    """Blocking entry point of `policybot serve`: stops cleanly on Ctrl-C or SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    run_until_signalled(lambda stop: run_telegram(settings, config, model, stop))


def run_until_signalled(serve: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run ``serve(stop)`` in a new event loop; Ctrl-C or SIGTERM sets ``stop``."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(stop)

    asyncio.run(main())
