"""The terminal and batch channels, with a scripted engine (the real engine is tested elsewhere)."""

from __future__ import annotations

import asyncio
import json

from bot.answering import Button, Reply
from bot.channels.batch import answer_lines, as_record
from bot.channels.console import render, resolve, run_console


class ScriptedEngine:
    def __init__(self):
        self.seen: list[str] = []

    async def handle(self, user, text, metadata=None):
        self.seen.append(text)
        return [Reply("答案", kind="faq", faq_id="x", confidence=0.9, sources=("s",),
                      buttons=(Button("相关问题一", '/pick{"faq_id":"a"}'), Button("相关问题二", '/pick{"faq_id":"b"}')))]


def test_render_numbers_buttons_and_a_number_presses_one():
    shown, buttons = render([Reply("您想问的是：", kind="clarify", buttons=(Button("甲", "/p1"), Button("乙", "/p2")))])
    assert shown == "您想问的是：\n  [1] 甲\n  [2] 乙\n"
    assert resolve("2", buttons) == "/p2" and resolve("3", buttons) == "3" and resolve("问题", buttons) == "问题"


def test_console_session():
    engine = ScriptedEngine()
    inputs = iter(["怎么申请", "1", "退出"])
    output: list[str] = []
    asyncio.run(run_console(engine, read=lambda prompt: next(inputs), write=output.append))
    assert engine.seen == ["怎么申请", '/pick{"faq_id":"a"}']
    assert "[1] 相关问题一" in output[1] and output[-1] == "再见。"


def test_console_ends_on_eof():
    def read(prompt):
        raise EOFError

    output: list[str] = []
    asyncio.run(run_console(ScriptedEngine(), read=read, write=output.append))
    assert output[-1] == "再见。"


def test_batch_prints_one_json_line_per_question_in_order():
    lines: list[str] = []
    asyncio.run(answer_lines(ScriptedEngine(), ["一", "", "三"], True, lines.append))
    records = [json.loads(line) for line in lines]
    assert [r["question"] for r in records] == ["一", "", "三"]
    assert records[0] == {"question": "一", "answer": "答案", "kind": "faq", "faq_id": "x", "confidence": 0.9, "sources": ["s"]}


def test_clarify_record_lists_the_options():
    record = as_record("容错", [Reply("您想问的是：", kind="clarify", faq_id="a", buttons=(Button("甲？", "/p"), Button("乙？", "/q")))])
    assert record["answer"] == "您想问的是：\n- 甲？\n- 乙？" and record["kind"] == "clarify"
