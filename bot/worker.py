"""One engine worker of `policybot serve --workers N`: Rasa's engine with its action server,
fed Telegram updates by the front through Redis (bot.mailbox).

The worker keeps no state of its own: conversations are in the SQL tracker store
(PostgreSQL), Rasa's lock and the shared state in Redis, the bot's database behind the front
(bot.remote_store). So any worker, on any machine, can take any user's next message.

Run by the front's supervisor as ``python -m bot.worker --model PATH``; the configuration
comes from the same environment variables as `policybot serve`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
from pathlib import Path

from bot.config import BotConfig, Settings, load_bot_config, load_settings
from bot.mailbox import PREFIX, Consumer, connect

logger = logging.getLogger(__name__)
WHO_SECONDS = 3600  # how long "which worker served this user last" is kept (operations, tests)


def worker_of(user_key: str) -> str:
    """Redis key: the pid of the worker that handled the user's last update."""
    return f"{PREFIX}worker_of:{user_key}"


async def run_worker(settings: Settings, config: BotConfig, model: Path, stop: asyncio.Event,
                     tasks: int = 32) -> None:
    """Serve updates from the mailboxes until ``stop`` is set; finish the turns in flight."""
    from telegram import Update

    from bot.channels.telegram import TelegramChannel, build_application
    from bot.engine import Engine
    from bot.remote_store import RemoteStore

    redis = connect(config.redis_url)
    async with Engine(settings, model, db_path=str(config.db_path), tracker_url=config.tracker_url,
                      redis_url=config.redis_url) as engine:
        channel = TelegramChannel(engine, RemoteStore(config.redis_url), config)
        application = build_application(channel, config, polling=False)
        await application.initialize()
        me = str(os.getpid())

        async def handle(raw: str) -> None:
            update = Update.de_json(json.loads(raw), application.bot)
            await application.process_update(update)  # errors go to the channel's error handler
            async with redis.pipeline(transaction=False) as pipe:  # one round trip after each turn
                if update.effective_user:
                    pipe.set(worker_of(channel.key_of(update)), me, ex=WHO_SECONDS)
                pipe.hincrby(PREFIX + "handled", me, 1)
                await pipe.execute()

        consumer = Consumer(redis, handle, tasks=tasks, name=f"{me}-worker")
        serving = asyncio.create_task(consumer.run())
        await redis.hincrby(PREFIX + "handled", me, 0)  # present, with nothing handled yet
        logger.warning("worker %s ready (engine %.1fs)", me, engine.times.total)
        await stop.wait()
        consumer.stop()
        await serving
        await application.shutdown()
    await redis.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="one engine worker of policybot serve --workers N")
    parser.add_argument("--model", required=True, type=Path)
    parser.add_argument("--tasks", type=int, default=32, help="users served at the same time")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format=f"%(asctime)s worker {os.getpid()} %(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    config = load_bot_config(settings)

    from bot.channels.telegram_runner import run_until_signalled

    run_until_signalled(lambda stop: run_worker(settings, config, args.model, stop, args.tasks))


if __name__ == "__main__":
    main()
