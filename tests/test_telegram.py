"""The Telegram channel against a fake Bot API server on loopback, with the real engine."""

from __future__ import annotations

import asyncio

import sqlite_utils

from bot.channels.telegram import CallbackMap, TelegramChannel, split_message
from bot.store import Store
from fake_telegram import ADMIN, TOKEN, FakeTelegram


def test_split_message_at_paragraphs():
    text = "\n\n".join(["段落" * 500] * 5)
    pieces = split_message(text)
    assert all(len(p) <= 4096 for p in pieces) and "".join(pieces).replace("\n", "") == text.replace("\n", "")
    assert split_message("短") == ["短"]
    assert all(len(p) <= 4096 for p in split_message("长" * 10_000))


def test_callback_map_keeps_data_under_64_bytes():
    callbacks = CallbackMap()
    short = callbacks.encode('/pick{"faq_id":"apply_materials"}')
    long_payload = '/choose{"choice":"' + "x" * 80 + '"}'
    encoded = callbacks.encode(long_payload)
    assert len(encoded.encode()) <= 64 and callbacks.decode(encoded) == long_payload
    assert callbacks.decode(short) == '/pick{"faq_id":"apply_materials"}'
    assert callbacks.decode("s:nope") is None


def test_question_button_feedback_and_sticker(telegram, tmp_path):
    async def scenario(fake: FakeTelegram, channel: TelegramChannel):
        user = 1001
        fake.send_text(user, "/start")
        await fake.wait_for(lambda: fake.sent_to(user))
        assert "容错纠错" in fake.sent_to(user)[0].text

        fake.send_text(user, "集体研究决定的事出了问题 能容错吗")
        await fake.wait_for(lambda: len(fake.sent_to(user)) >= 2)
        answer = fake.sent_to(user)[1]
        assert "依据：《" in answer.text
        buttons = answer.buttons
        assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)
        feedback = next(b for b in buttons if b["text"].startswith("👍"))
        related = buttons[0]

        fake.press(user, related["callback_data"])
        await fake.wait_for(lambda: len(fake.sent_to(user)) >= 3)
        assert "依据：《" in fake.sent_to(user)[2].text
        assert any(c.method == "answerCallbackQuery" for c in fake.calls)

        fake.press(user, feedback["callback_data"])
        await fake.wait_for(lambda: sum(c.method == "answerCallbackQuery" for c in fake.calls) >= 2)

        fake.send_sticker(user)
        await fake.wait_for(lambda: len(fake.sent_to(user)) >= 4)
        assert "只能读文字" in fake.sent_to(user)[3].text

    telegram(scenario)
    db = sqlite_utils.Database(tmp_path / "bot.db")
    assert db["feedback"].count == 1 and db["events"].count >= 2
    # nothing identifying is stored: no Telegram id, no username
    for table in db.table_names():
        for row in db[table].rows:
            assert "1001" not in str(row) and "user1001" not in str(row)


def test_a_thumbs_down_keeps_the_question_for_the_review(telegram, tmp_path):
    question = "开会集体定的事 后来出了问题 能不能容错"

    async def scenario(fake: FakeTelegram, channel: TelegramChannel):
        user = 1002
        fake.send_text(user, question)
        await fake.wait_for(lambda: fake.sent_to(user))
        answer = fake.sent_to(user)[0]
        down = next(b for b in answer.buttons if b["text"].startswith("👎"))
        fake.press(user, down["callback_data"])
        await fake.wait_for(lambda: any(c.method == "answerCallbackQuery" for c in fake.calls))
        await asyncio.sleep(0.3)

    telegram(scenario)
    db = sqlite_utils.Database(tmp_path / "bot.db")
    [row] = db["unanswered"].rows
    assert row["question"] == question and row["kind"] == "thumbs_down" and row["channel"] == "telegram"
    assert row["best_guess"] and row["confidence"] > 0
    assert [f["useful"] for f in db["feedback"].rows] == [0]


def test_deep_link_campaign_and_screen_topic(telegram, tmp_path):
    async def scenario(fake: FakeTelegram, channel: TelegramChannel):
        fake.send_text(2001, "/start poster_2026")
        fake.send_text(2002, "/start screen")
        await fake.wait_for(lambda: fake.sent_to(2001) and any(c.buttons for c in fake.sent_to(2002)))
        question = next(c for c in fake.sent_to(2002) if c.buttons)
        assert any("为什么问这个" in b["text"] for b in question.buttons)

    telegram(scenario)
    campaigns = {row["campaign"] for row in sqlite_utils.Database(tmp_path / "bot.db")["users"].rows}
    assert "poster_2026" in campaigns


def test_a_campaign_link_greets_opens_its_topic_and_counts_every_event(telegram, tmp_path, caplog):
    async def scenario(fake: FakeTelegram, channel: TelegramChannel):
        fake.send_text(2101, "/start Poster_2026-s")  # case-folded: the same campaign as poster_2026
        await fake.wait_for(lambda: any(c.buttons for c in fake.sent_to(2101)))
        texts = [c.text for c in fake.sent_to(2101)]
        assert any("欢迎从宣传海报来到这里" in t for t in texts)  # knowledge/campaigns.yml
        count = len(fake.sent_to(2101))
        fake.send_text(2101, "容错是什么意思")
        await fake.wait_for(lambda: len(fake.sent_to(2101)) > count)
        fake.send_text(2102, "/start bad*payload")
        await fake.wait_for(lambda: fake.sent_to(2102))

    telegram(scenario)
    db = sqlite_utils.Database(tmp_path / "bot.db")
    campaigns = {row["campaign"] for row in db["users"].rows}
    assert campaigns == {"poster_2026", ""}
    kinds = {(row["kind"], row["campaign"]) for row in db["events"].rows if row["campaign"]}
    assert ("faq", "poster_2026") in kinds and ("screening", "poster_2026") in kinds
    assert "deep link not understood" in caplog.text
    from bot.reports import Scope, campaigns

    funnel = next(f for f in campaigns(tmp_path / "bot.db", Scope(all_channels=True)).funnels if f.campaign == "poster_2026")
    assert funnel.counts["started"] == 1 and funnel.counts["asked"] == 1 and funnel.counts["answered"] == 1


def test_forget_deletes_everything(telegram, tmp_path):
    async def scenario(fake: FakeTelegram, channel: TelegramChannel):
        user = 3001
        fake.send_text(user, "明天北京天气怎么样")
        await fake.wait_for(lambda: fake.sent_to(user))
        fake.send_text(user, "/forget")
        await fake.wait_for(lambda: len(fake.sent_to(user)) >= 2)
        confirm = next(b for b in fake.sent_to(user)[1].buttons if b["text"] == "确认删除")
        fake.press(user, confirm["callback_data"])
        await fake.wait_for(lambda: len(fake.sent_to(user)) >= 3)
        assert "已删除" in fake.sent_to(user)[2].text
        key = channel.key_of_id(user)
        for table in Store.SCHEMA:
            assert not list(channel.store.db[table].rows_where("user_key = ?", [key]))
        tracker = sqlite_utils.Database(channel.engine.tracker_path)
        assert not list(tracker["events"].rows_where("sender_id = ?", [key]))  # the conversation too

    telegram(scenario)


def test_huge_message_edits_groups_and_admin_commands(telegram):
    async def scenario(fake: FakeTelegram, channel: TelegramChannel):
        user = 4001
        fake.send_text(user, "容错" * 5000)
        await fake.wait_for(lambda: fake.sent_to(user))
        assert "只读了前" in fake.sent_to(user)[0].text
        fake.edit_text(user, "改过的消息")
        fake.send_text(5001, "/start", chat_type="group")
        fake.send_text(user, "/stats")
        await fake.wait_for(lambda: len(fake.sent_to(user)) >= 2 and fake.sent_to(-100))
        assert "管理员" in fake.sent_to(user)[1].text
        assert "私聊" in fake.sent_to(-100)[0].text
        fake.send_text(ADMIN, "/stats")
        fake.send_text(ADMIN, "/reload")
        fake.send_text(ADMIN, "/stats Poster_2026 30")
        fake.send_text(ADMIN, "/stats 坏名字")
        await fake.wait_for(lambda: len(fake.sent_to(ADMIN)) >= 4 and len(fake.sent_to(ADMIN, "sendPhoto")) >= 2)
        texts = [c.text for c in fake.sent_to(ADMIN)]
        assert any(t.startswith("近 7 天") and "漏斗" in t for t in texts) and any("内容已就绪" in t for t in texts)
        assert any(t.startswith("近 30 天") and "poster_2026" in t for t in texts)
        assert any("用法：/stats" in t for t in texts)
        photo = fake.sent_to(ADMIN, "sendPhoto")[0]
        assert photo.files["photo"][1].startswith(b"\x89PNG")
        await asyncio.sleep(0.5)
        assert not any("改过的消息" in c.text for c in fake.calls)  # edits are ignored on purpose

    telegram(scenario)


def test_burst_from_one_user_is_answered_in_order(telegram):
    async def scenario(fake: FakeTelegram, channel: TelegramChannel):
        user = 6001
        questions = ["你好", "怎么申请容错", "谢谢", "再见", "容错申请要什么材料"]
        for text in questions:
            fake.send_text(user, text)
        await fake.wait_for(lambda: len(fake.sent_to(user)) >= len(questions))
        sent = fake.sent_to(user)
        assert len(sent) == len(questions)
        assert sent[0].text.startswith("您好") and "依据：《" in sent[1].text and "依据：《" in sent[4].text
        assert "不客气" in sent[2].text

    telegram(scenario)


def test_typing_shows_only_while_an_answer_takes_long(telegram):
    async def scenario(fake: FakeTelegram, channel: TelegramChannel):
        fake.send_text(7101, "你好")
        await fake.wait_for(lambda: fake.sent_to(7101))
        assert not fake.sent_to(7101, "sendChatAction")  # answered at once: no typing flash
        real = channel.engine.handle

        async def slow(*args, **kwargs):
            await asyncio.sleep(1.5)
            return await real(*args, **kwargs)

        channel.engine.handle = slow
        try:
            fake.send_text(7101, "怎么申请容错")
            await fake.wait_for(lambda: len(fake.sent_to(7101)) >= 2)
        finally:
            channel.engine.handle = real
        assert len(fake.sent_to(7101, "sendChatAction")) == 1

    telegram(scenario)


def test_errors_are_reported_and_the_bot_keeps_running(telegram):
    async def scenario(fake: FakeTelegram, channel: TelegramChannel):
        real = channel.engine.handle

        async def broken(*args, **kwargs):
            raise RuntimeError("engine fault")

        channel.engine.handle = broken
        try:
            fake.send_text(7001, "怎么申请容错")
            await fake.wait_for(lambda: fake.sent_to(7001))
            assert fake.sent_to(7001)[0].text == "系统繁忙，请稍后再试。"
        finally:
            channel.engine.handle = real
        fake.send_text(7001, "怎么申请容错")
        await fake.wait_for(lambda: len(fake.sent_to(7001)) >= 2)
        assert "依据" in fake.sent_to(7001)[1].text

    telegram(scenario)


def test_bad_configuration_gives_one_clear_line():
    from click.testing import CliRunner

    from bot.cli import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["serve"], env={"TELEGRAM_TOKEN": ""})
    assert result.exit_code == 1 and "TELEGRAM_TOKEN is not set" in result.output
    result = runner.invoke(cli, ["serve"], env={"TELEGRAM_TOKEN": "x", "POLICYBOT_ADMIN_IDS": "abc"})
    assert result.exit_code == 1 and "POLICYBOT_ADMIN_IDS must be" in result.output and "Traceback" not in result.output


def test_policybot_serve_against_the_fake_server_and_clean_shutdown(tmp_path, trained_model):
    """The real command, as a deployment runs it: answers, then stops on SIGTERM with no orphans."""
    import os
    import signal
    import subprocess
    import sys
    import threading
    import time

    loop = asyncio.new_event_loop()
    fake = loop.run_until_complete(FakeTelegram().start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    env = dict(os.environ, TELEGRAM_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=fake.base_url,
               POLICYBOT_DB=str(tmp_path / "serve.db"), POLICYBOT_SECRET="serve-test")
    process = subprocess.Popen([sys.executable, "-m", "bot", "serve"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        loop.call_soon_threadsafe(fake.send_text, 8001, "/start")
        loop.call_soon_threadsafe(fake.send_text, 8001, "容错申请要准备哪些材料")
        deadline = time.monotonic() + 180
        while len(fake.sent_to(8001)) < 2 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.5)
        sent = fake.sent_to(8001)
        assert len(sent) >= 2, process.stdout.read().decode(errors="replace")[-3000:] if process.poll() is not None else sent
        assert sent[0].text.startswith("您好") and "依据：《" in sent[1].text
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
        loop.call_soon_threadsafe(loop.stop)
    assert code == 0
    leftovers = subprocess.run(["pgrep", "-s", str(process.pid)], capture_output=True, text=True).stdout.split()
    assert leftovers == [], "the action server outlived the bot"


def test_a_reply_with_a_document_is_sent_as_a_file(telegram, tmp_path):
    from types import SimpleNamespace

    from telegram import Update

    from bot.answering import Reply

    document = tmp_path / "自查结果.txt"
    document.write_text("初步自查结果", encoding="utf-8")

    async def scenario(fake: FakeTelegram, channel: TelegramChannel):
        bot = channel.application.bot
        update = Update.de_json(fake.send_text(9001, "占位"), bot)
        await fake.wait_for(lambda: fake.sent_to(9001))  # the bot answered the queued message
        reply = Reply("您的自查结果见附件。", kind="screening", extra={"document": str(document)})
        await channel.send_replies(update, SimpleNamespace(bot=bot), [reply])
        await fake.wait_for(lambda: fake.sent_to(9001, "sendDocument"))
        assert fake.sent_to(9001)[-1].text == "您的自查结果见附件。"

    telegram(scenario)
