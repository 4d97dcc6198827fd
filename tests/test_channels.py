"""The terminal and batch channels, with a scripted engine (the real engine is tested elsewhere)."""

from __future__ import annotations

import asyncio
import json

from bot.answering import Button, Reply
from bot.channels.batch import answer_lines, as_record
from bot.channels.console import BANNER, render, resolve, run_console


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


QUESTION = Reply("自查 第3题\n在您这样做之前，上级或法律法规是否已经明令禁止这种做法？", kind="screening",
                 buttons=(Button("没有明令禁止", '/choose{"choice":"prohibited:no"}'),
                          Button("已明令禁止", '/choose{"choice":"prohibited:yes"}'),
                          Button("为什么问这个", '/choose{"choice":"why"}')),
                 extra={"question": "prohibited"})
FAQ = Reply("答案", kind="faq", faq_id="x", buttons=(Button("相关问题一", '/pick{"faq_id":"a"}'),
                                                   Button("相关问题二", '/pick{"faq_id":"b"}')))


class FormEngine:
    """A policy question asked in the middle of the form: the answer, then the question again;
    退出 cancels the form."""

    def __init__(self):
        self.seen: list[str] = []

    async def handle(self, user, text, metadata=None):
        self.seen.append(text)
        if text == "退出":
            return [Reply("已取消自查，您的回答没有保存。", kind="smalltalk")]
        return [FAQ, Reply("回到自查：", kind="smalltalk"), QUESTION]


def test_only_the_questions_buttons_are_numbered_while_it_is_shown():
    shown, buttons = render([FAQ, QUESTION])
    assert "  · 相关问题一" in shown and "  [1] 没有明令禁止" in shown and "  [3] 为什么问这个" in shown
    assert [b.title for b in buttons] == ["没有明令禁止", "已明令禁止", "为什么问这个"]
    assert resolve("1", buttons) == '/choose{"choice":"prohibited:no"}'
    assert resolve("相关问题二", buttons, list(FAQ.buttons)) == '/pick{"faq_id":"b"}'


def test_a_number_after_a_mid_form_question_answers_the_form():
    engine = FormEngine()
    inputs = iter(["容错是什么", "2", "退出", "退出"])
    prompts: list[str] = []

    def read(prompt):
        prompts.append(prompt)
        return next(inputs)

    output: list[str] = []
    asyncio.run(run_console(engine, read=read, write=output.append))
    # "2" is the second option of the question, not the second related question; 退出 in the form
    # goes to the bot (which cancels the form) and only then ends the program
    assert engine.seen == ["容错是什么", '/choose{"choice":"prohibited:yes"}', "退出"]
    assert "自查中" in prompts[1] and "退出" in prompts[1] and "自查中" not in prompts[3]
    assert output[-1] == "再见。"


def test_the_banner_says_how_to_leave():
    assert "退出" in BANNER and "/quit" in BANNER and "自查" in BANNER


def test_quit_command_ends_the_program_even_in_the_form():
    engine = FormEngine()
    inputs = iter(["容错是什么", "/quit"])
    output: list[str] = []
    asyncio.run(run_console(engine, read=lambda prompt: next(inputs), write=output.append))
    assert engine.seen == ["容错是什么"] and output[-1] == "再见。"


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
    assert records[0] == {"question": "一", "answer": "答案", "kind": "faq", "faq_id": "x", "confidence": 0.9, "sources": ["s"],
                          "buttons": ["相关问题一", "相关问题二"]}


def test_clarify_record_lists_the_options():
    record = as_record("容错", [Reply("您想问的是：", kind="clarify", faq_id="a", buttons=(Button("甲？", "/p"), Button("乙？", "/q")))])
    assert record["answer"] == "您想问的是：\n- 甲？\n- 乙？" and record["kind"] == "clarify"


class DraftEngine:
    """Answers with a drafted file, as the engine does after the draft form."""

    def __init__(self, path, root):
        self.path = path
        self.settings = type("Settings", (), {"root": root})()

    async def handle(self, user, text, metadata=None):
        return [Reply("申请书草稿已生成。", kind="draft",
                      extra={"document": str(self.path), "document_name": "容错免责申请书（草稿）.docx",
                             "saved_text": "申请书草稿已保存到：{path}"})]


def test_the_terminal_saves_a_draft_and_prints_where(tmp_path):
    made = tmp_path / "draft-123.docx"
    made.write_bytes(b"docx")
    output: list[str] = []
    inputs = iter(["生成", "/quit"])
    asyncio.run(run_console(DraftEngine(made, tmp_path), read=lambda prompt: next(inputs), write=output.append,
                            drafts=tmp_path / "drafts"))
    [saved] = list((tmp_path / "drafts").glob("容错免责申请书（草稿）-*.docx"))
    assert saved.read_bytes() == b"docx" and not made.exists()
    assert f"申请书草稿已保存到：{saved.resolve()}" in output[1]


def test_the_terminal_saves_drafts_under_var_by_default(tmp_path):
    made = tmp_path / "draft-9.docx"
    made.write_bytes(b"x")
    inputs = iter(["生成", "/quit"])
    asyncio.run(run_console(DraftEngine(made, tmp_path), read=lambda prompt: next(inputs), write=lambda s: None))
    assert list((tmp_path / "var" / "drafts").glob("*.docx"))
