"""The terminal channel: type questions; buttons are numbered and a number presses one."""

from __future__ import annotations

import asyncio
import uuid
from typing import Callable

from bot.answering import Button, Reply

QUIT_WORDS = {"/quit", "/exit", "exit", "quit", "退出"}
BANNER = "容错纠错政策咨询机器人（终端）。直接输入问题；输入按钮编号可点选；输入 退出 结束。"


def render(replies: list[Reply]) -> tuple[str, list[Button]]:
    """The replies as terminal text, with every button numbered across the turn."""
    lines: list[str] = []
    buttons: list[Button] = []
    for reply in replies:
        lines.append(reply.text)
        for button in reply.buttons:
            buttons.append(button)
            lines.append(f"  [{len(buttons)}] {button.title}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n", buttons


def resolve(text: str, buttons: list[Button]) -> str:
    """A typed button number becomes that button's payload; anything else is sent as is."""
    stripped = text.strip()
    if stripped.isdigit() and 1 <= int(stripped) <= len(buttons):
        return buttons[int(stripped) - 1].payload
    return text


async def run_console(engine, read: Callable[[str], str] = input, write: Callable[[str], None] = print) -> None:
    """Chat until the user quits or closes standard input."""
    user = f"console-{uuid.uuid4().hex[:8]}"
    buttons: list[Button] = []
    write(BANNER)
    while True:
        try:
            text = await asyncio.to_thread(read, "\n您：")
        except EOFError:
            break
        if text.strip() in QUIT_WORDS:
            break
        replies = await engine.handle(user, resolve(text, buttons))
        shown, buttons = render(replies)
        write("\n机器人：" + shown)
    write("再见。")
