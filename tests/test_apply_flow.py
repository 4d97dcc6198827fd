"""From a screening result through the procedure for one's place and the checklist to a drafted
application, through bot.engine with the trained model, the action server and the store; and the
same draft arriving on Telegram as a file. What the user types for the draft is never stored."""

from __future__ import annotations

import json
import logging
import time
import uuid
from pathlib import Path

import docx
import sqlite_utils

from bot.screening_dialogue import choose_payload

MARK_UNIT = f"试点单位{uuid.uuid4().hex[:6]}"
MARK_ACCOUNT = f"防汛抢修先施工后补手续{uuid.uuid4().hex[:6]}"


def user() -> str:
    return f"apply-{uuid.uuid4().hex[:8]}"


def press(engine, me, replies, title: str):
    button = next(b for r in replies for b in r.buttons if title in b.title)
    return engine.talk(me, button.payload)


def finish_screening(engine, me) -> list:
    """A self-check with answers that favour tolerance, ending at the result."""
    answers = {"private_gain": "no", "knowingly": "no", "prohibited": "no", "eight_rules": "no", "harm": "light",
               "recovered": "done", "context": "emergency", "procedure": "partial", "decision": "collective",
               "dissent": "no", "attitude": "active", "region": "hubei"}
    replies = engine.talk(me, "/start_screening")
    for _ in range(20):
        question = next((r for r in reversed(replies) if r.kind == "screening"), None)
        if question is None or not question.extra.get("question"):
            break
        replies = engine.talk(me, choose_payload(f"{question.extra['question']}:{answers[question.extra['question']]}"))
    return press(engine, me, replies, "确认")


def test_from_a_result_through_the_procedure_to_a_saved_draft(engine, engine_db, caplog):
    caplog.set_level(logging.DEBUG)
    me = user()
    result = finish_screening(engine, me)
    assert result[-1].extra.get("outcome") == "likely_tolerable"
    opened = press(engine, me, result, "按地方一步步看怎么申请")[-1]
    assert opened.kind == "apply" and opened.buttons[0].title.startswith("湖北省")  # the place the self-check named
    inside = press(engine, me, [opened], "湖北省")[-1]
    who = press(engine, me, [inside], "十堰")[-1]
    step = press(engine, me, [who], "我本人")[-1]
    seen = [step.extra["stage"]]
    while any(b.title == "下一步" for b in step.buttons):
        step = press(engine, me, [step], "下一步")[-1]
        seen.append(step.extra["stage"])
    assert seen == ["overview", "receive", "dual_track", "verify", "decide", "feedback", "review", "results", "aftercare"]
    [typed_back] = engine.talk(me, "上一步")  # typed, not pressed
    assert typed_back.extra["stage"] == "results"
    checklist = press(engine, me, [typed_back], "材料清单")[-1]
    assert "集体研究、民主决策的记录" in checklist.text and "资料未规定，以本地要求为准" in checklist.text
    replies = press(engine, me, [checklist], "起草申请书")
    assert replies[-1].extra.get("fact") == "unit"
    replies = engine.talk(me, MARK_UNIT)
    assert replies[-1].extra.get("fact") == "position"
    replies = press(engine, me, replies, "跳过")
    replies = engine.talk(me, "2024年7月")
    assert replies[-1].extra.get("fact") == "account"
    replies = engine.talk(me, MARK_ACCOUNT)
    [made] = [r for r in replies if r.kind == "draft" and r.extra.get("document")]
    path = Path(made.extra["document"])
    try:
        whole = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
        assert MARK_UNIT in whole and MARK_ACCOUNT in whole and "2024年7月" in whole
        assert "待填写：职务" in whole and "情况紧急时事急从权" in whole and "六看纠错态度" in whole
        assert "已填写：工作单位、事情发生的时间、事情经过；留空待填：职务" in made.text
    finally:
        path.unlink()
    # the facts are gone from the conversation's slots once the draft is made
    [after] = engine.talk(me, "谢谢")
    assert after.kind == "smalltalk"
    stored = Path(engine_db).read_bytes() + b"".join(p.read_bytes() for p in Path(engine_db).parent.glob("*-wal"))
    conversation = " ".join(json.dumps(json.loads(row["data"]), ensure_ascii=False) for row in
                            sqlite_utils.Database(engine.tracker_path)["events"].rows_where("sender_id = ?", [me]))
    for mark in (MARK_UNIT, MARK_ACCOUNT):
        assert mark.encode() not in stored and mark not in conversation
        assert not any(mark in record.getMessage() for record in caplog.records)
    db = sqlite_utils.Database(engine_db)
    names = [row["name"] for row in db["milestones"].rows_where("user_key = ?", [me])]
    assert names.count("apply_opened") == 1 and names.count("drafted") == 1


def test_apply_command_typed_questions_and_cancelling_a_draft(engine):
    me = user()
    [start] = engine.talk(me, "/apply")
    assert start.kind == "procedure" and start.faq_id == "apply_how_start"
    assert any(b.title == "我的地方不在列表里" for b in start.buttons)
    [general] = press(engine, me, [start], "我的地方不在列表里")
    assert general.extra["guide"] == "general"
    named = engine.talk(user(), "我在嵊泗县工作 怎么申请容错")
    # straight to 嵊泗's steps, or an answer whose walk-through button opens them
    assert any(r.extra.get("guide") == "zj_shengsi" for r in named) or any(
        b.payload == '/apply_guide{"guide":"zj_shengsi"}' for r in named for b in r.buttons), named
    replies = engine.talk(me, '/draft{"guide":"general:unit"}')
    assert replies[-1].extra.get("fact") == "unit"
    [cancelled] = engine.talk(me, "取消")
    assert "已取消起草" in cancelled.text and not cancelled.extra.get("document")
    [asked] = engine.talk(me, "容错纠错是什么意思")
    assert asked.kind == "faq"  # the form is over: questions are answered again


def test_a_draft_arrives_on_telegram_as_a_file_with_a_summary(telegram, tmp_path):
    started = time.time()

    async def scenario(fake, channel):
        who = 7001

        async def tap(title: str) -> None:
            sent = fake.sent_to(who)
            button = next(b for call in reversed(sent) for b in call.buttons if title in b["text"])
            count = len(sent)
            fake.press(who, button["callback_data"])
            await fake.wait_for(lambda: len(fake.sent_to(who)) > count)

        fake.send_text(who, "/start apply")
        await fake.wait_for(lambda: any("我的地方不在列表里" in b["text"] for c in fake.sent_to(who) for b in c.buttons))
        await tap("浙江省舟山市嵊泗县")
        await tap("单位")
        await tap("材料清单")
        assert "平时工作表现的材料" in fake.sent_to(who)[-1].text
        await tap("起草申请书")
        count = len(fake.sent_to(who))
        fake.send_text(who, MARK_UNIT)
        await fake.wait_for(lambda: len(fake.sent_to(who)) > count)
        await tap("不填了，直接生成")
        await fake.wait_for(lambda: fake.sent_to(who, "sendDocument"))
        [document] = fake.sent_to(who, "sendDocument")
        name, data = document.files["document"]
        assert name.endswith(".docx")
        (tmp_path / "got.docx").write_bytes(data)
        whole = "\n".join(p.text for p in docx.Document(str(tmp_path / "got.docx")).paragraphs)
        assert MARK_UNIT in whole and "我单位" in whole and whole.startswith("【草稿")
        summary = next(c for c in reversed(fake.sent_to(who)) if "申请书草稿已生成" in c.text)
        assert "留空待填" in summary.text
        # deleted once sent (right after the upload returns)
        await fake.wait_for(lambda: not fresh_drafts(started), timeout=10)
        db = sqlite_utils.Database(tmp_path / "bot.db")
        assert MARK_UNIT not in str(list(db["events"].rows)) and MARK_UNIT not in str(list(db["unanswered"].rows))

    telegram(scenario)


def fresh_drafts(since: float) -> list[Path]:
    """Drafts written since ``since`` that are still on disk."""
    from bot.draft import drafts_dir

    found = []
    for path in drafts_dir().glob("draft-*.docx"):
        try:
            if path.stat().st_mtime >= since:
                found.append(path)
        except FileNotFoundError:  # deleted while we looked
            pass
    return found

