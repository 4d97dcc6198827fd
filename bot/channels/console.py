"""The terminal channel: type questions; buttons are numbered and a number presses one.

While a self-screening question is shown, only that question's buttons are numbered (1 = its
first option, as the form reads a typed number), and 退出 ends the self-check, not the program.
"""

from __future__ import annotations

import asyncio
import shutil
import time
import uuid
from pathlib import Path
from typing import Callable

from bot.answering import Button, Reply

QUIT_WORDS = {"/quit", "/exit", "exit", "quit", "退出"}
ALWAYS_QUIT = {"/quit", "/exit", "exit", "quit"}  # end the program even in the middle of a self-check
BANNER = ("容错纠错政策咨询机器人（终端）。直接输入问题；输入按钮编号可点选；输入 退出 结束。"
          "自查进行中时，输入 退出 只结束自查，/quit 结束程序。")
PROMPT = "\n您："
SCREENING_PROMPT = "\n您（自查中：输入选项编号或文字作答；退出 = 结束自查，/quit = 结束程序）："
DRAFT_PROMPT = "\n您（起草中：输入文字作答或选项编号；退出 = 取消起草，/quit = 结束程序）："


def question_reply(replies: list[Reply]) -> Reply | None:
    """The reply that shows a self-screening question (its buttons are the answers), if any."""
    return next((r for r in replies if r.extra.get("question")), None)


def in_screening(replies: list[Reply]) -> bool:
    """The last turn showed a screening question or the review, or asked for a fact of the
    drafted application: a form is in progress (退出 ends it, not the program)."""
    return any(r.extra.get("question") or r.extra.get("review") or r.extra.get("fact") for r in replies)


def in_draft(replies: list[Reply]) -> bool:
    """The last turn asked for a fact of the drafted application."""
    return any(r.extra.get("fact") for r in replies)


def save_documents(replies: list[Reply], folder: Path) -> list[Reply]:
    """Move each drafted file into ``folder`` under a readable, unique name, and say where."""
    saved = []
    for reply in replies:
        document = reply.extra.get("document")
        if not document or not Path(document).is_file():
            saved.append(reply)
            continue
        folder.mkdir(parents=True, exist_ok=True)
        name = Path(reply.extra.get("document_name") or "draft.docx")
        target = folder / f"{name.stem}-{time.strftime('%Y%m%d-%H%M%S')}{name.suffix}"
        shutil.move(document, target)
        note = reply.extra.get("saved_text", "已保存到：{path}").format(path=target.resolve())
        saved.append(Reply(**{**reply.__dict__, "text": f"{reply.text}\n\n{note}",
                              "extra": {**reply.extra, "document": str(target)}}))
    return saved


def render(replies: list[Reply]) -> tuple[str, list[Button]]:
    """The replies as terminal text, with buttons numbered across the turn; while a screening
    question is shown only its buttons are numbered (others are listed with a dot and can be
    pressed by typing their title)."""
    lines: list[str] = []
    buttons: list[Button] = []
    question = question_reply(replies)
    for reply in replies:
        lines.append(reply.text)
        for button in reply.buttons:
            if question is not None and reply is not question:
                lines.append(f"  · {button.title}")
                continue
            buttons.append(button)
            lines.append(f"  [{len(buttons)}] {button.title}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n", buttons


def resolve(text: str, buttons: list[Button], titled: list[Button] | None = None) -> str:
    """A typed button number becomes that button's payload, and so does a button's exact title
    among ``titled``; anything else is sent as is."""
    stripped = text.strip()
    if stripped.isdigit() and 1 <= int(stripped) <= len(buttons):
        return buttons[int(stripped) - 1].payload
    for button in titled or ():
        if stripped and stripped == button.title.strip():
            return button.payload
    return text


async def run_console(engine, read: Callable[[str], str] = input, write: Callable[[str], None] = print,
                      drafts: Path | None = None) -> None:
    """Chat until the user quits or closes standard input; drafted applications are saved in
    ``drafts`` (default var/drafts of the project)."""
    if drafts is None:
        from bot.config import PROJECT_ROOT

        settings = getattr(engine, "settings", None)
        drafts = (settings.root if settings is not None else PROJECT_ROOT) / "var" / "drafts"
    user = f"console-{uuid.uuid4().hex[:8]}"
    buttons: list[Button] = []
    unnumbered: list[Button] = []
    screening = drafting = False
    write(BANNER)
    while True:
        try:
            text = await asyncio.to_thread(read, DRAFT_PROMPT if drafting else SCREENING_PROMPT if screening else PROMPT)
        except EOFError:
            break
        word = text.strip()
        if word in ALWAYS_QUIT or (word in QUIT_WORDS and not screening):
            break
        replies = save_documents(await engine.handle(user, resolve(text, buttons, unnumbered)), drafts)
        shown, buttons = render(replies)
        unnumbered = [b for r in replies for b in r.buttons if b not in buttons]
        screening, drafting = in_screening(replies), in_draft(replies)
        write("\n机器人：" + shown)
    write("再见。")
