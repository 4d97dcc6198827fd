"""Shared fixtures: small content trees written from text, for loader and validator tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from servers import postgres_url, redis_url  # noqa: F401 - real servers for the tests that ask for them

SOURCES = """\
title: 资料来源
sources:
  - id: seed_a
    title: 测试文件甲
    issuer: 测试机关
    tier: primary
    file: README.md
"""

PARAPHRASES_A = [f"容错是什么意思{i}" for i in range(10)]
PARAPHRASES_B = [f"申请材料要准备哪些{i}" for i in range(10)]


def faq_file(topic: str = "basics", entries: str | None = None) -> str:
    """A FAQ topic file; by default two sound entries."""
    if entries is None:
        entries = entry("basics_what", "什么是容错纠错？", PARAPHRASES_A, related=["basics_materials"])
        entries += entry("basics_materials", "申请要什么材料？", PARAPHRASES_B)
    return f"topic: {topic}\ntitle: 基础\nentries:\n{entries}"


def entry(entry_id: str, question: str, paraphrases: list[str], answer: str = "这是回答。",
          sources: str = "[seed_a]", related: list[str] | None = None) -> str:
    lines = [f"  - id: {entry_id}", f"    question: {question}", "    paraphrases:"]
    lines += [f"      - {p}" for p in paraphrases]
    lines += [f"    answer: {answer}", f"    sources: {sources}"]
    if related:
        lines.append(f"    related: [{', '.join(related)}]")
    return "\n".join(lines) + "\n"


PRINCIPLES = """\
title: 原则
items:
  - id: three_distinctions
    kind: principle
    name: 三个区分开来
    text: 把失误和错误区分开来。
    parts:
      - name: 第一个区分
        text: 先行先试与明知故犯
    sources: [seed_a]
"""

CASE = """\
id: case_demo
name: 示例案例
facts: 某干部在紧急情况下先行施工、事后补办手续。
six_looks:
  motive: 出于公心
outcome: likely_tolerable
outcome_text: 予以容错
sources: [seed_a]
"""


DIALOGUE = """\
intent_answers: {}
topic_buttons: []
texts:
  sources_prefix: "依据："
  secondary_note: "（转载）"
  region_note: "以上是{region}的做法。"
  related_prefix: "相关："
  clarify: "您想问的是："
  vague: "您想了解哪方面？"
  knowledge_intro: "资料："
  decline_out_of_scope: "不在范围内。"
  decline_unknown: "答不上来。"
  help: "我可以回答问题。"
  story: "听起来是您自己的事。"
  story_screen_button: "自查"
  story_apply_button: "申请"
  story_intro: "相似的案例："
  story_scenarios: "可能涉及："
  story_prefill: "可能的回答："
  story_no_prefill: "可以自查。"
  story_prefill_button: "自查（{n}题）"
  procedure_intro: "下一步："
  care_fallback: "请和信任的人说说。"
  screening_progress: "第{n}题"
  screening_why_button: "为什么"
  screening_cancel_button: "取消"
  screening_restart_button: "重来"
  screening_confirm_button: "确认"
  screening_edit_button: "改{n}"
  screening_details_button: "详细"
  screening_not_understood: "没看懂"
  screening_cancelled: "已取消"
  screening_restarted: "重新开始"
  screening_resume: "回到自查："
  screening_no_result: "没有结果"
  screening_stale_answer: "自查已结束"
"""


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` (relative path -> content) under ``root`` and return it."""
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, bytes):
            path.write_bytes(body)
        else:
            path.write_text(textwrap.dedent(body) if body.startswith(" ") else body, encoding="utf-8")
    return root


@pytest.fixture
def good_files() -> dict[str, str]:
    return {
        "README.md": "readme",
        "knowledge/sources.yml": SOURCES,
        "knowledge/principles.yml": PRINCIPLES,
        "knowledge/dialogue.yml": DIALOGUE,
        "knowledge/cases/case_demo.yml": CASE,
        "faq/basics.yml": faq_file(),
    }


@pytest.fixture
def make_tree(tmp_path: Path, good_files: dict[str, str]):
    """Build a content tree: the good one, with some files replaced or added."""

    def build(overrides: dict[str, str | bytes] | None = None) -> Path:
        return write_tree(tmp_path, {**good_files, **(overrides or {})})

    return build


# ---- one trained model and one running engine for the whole session ----

@pytest.fixture(scope="session")
def trained_model():
    """The model for the shipped content: trained once, then taken from the fingerprint cache."""
    from bot.config import load_settings
    from bot.content import validate
    from bot.training import train

    settings = load_settings()
    content, _ = validate(settings.root)
    return train(settings, content).model


@pytest.fixture(scope="session")
def engine_db(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("db") / "policybot.db"


@pytest.fixture(scope="session")
def engine(trained_model, engine_db):
    """A started Engine and its event loop; ``engine.talk(user, text)`` runs one turn."""
    import asyncio

    from bot.config import load_settings
    from bot.engine import Engine

    loop = asyncio.new_event_loop()
    running = Engine(load_settings(), trained_model, db_path=str(engine_db))
    loop.run_until_complete(running.start())
    running.talk = lambda user, text: loop.run_until_complete(running.handle(user, text))
    running.run = loop.run_until_complete
    yield running
    loop.run_until_complete(running.close())
    loop.close()


@pytest.fixture
def telegram(engine, tmp_path):
    """Runs ``scenario(fake, channel)`` with the PTB application polling a fake Bot API server
    (tests/fake_telegram.py) and the real engine; the channel's database is in ``tmp_path``."""
    import dataclasses

    from bot.channels.telegram import TelegramChannel, build_application
    from bot.config import load_bot_config, load_settings
    from bot.store import Store
    from fake_telegram import ADMIN, TOKEN, FakeTelegram

    def run(scenario):
        async def main():
            fake = await FakeTelegram().start()
            config = dataclasses.replace(
                load_bot_config(load_settings(), {}), token=TOKEN, api_base_url=fake.base_url,
                admin_ids=frozenset({ADMIN}), db_path=tmp_path / "bot.db", secret="test-secret",
            )
            channel = TelegramChannel(engine, Store(config.db_path), config)
            application = build_application(channel, config)
            await application.initialize()
            await application.start()
            await application.updater.start_polling(poll_interval=0.0, timeout=1)
            channel.application = application  # for tests that call the channel directly
            try:
                await scenario(fake, channel)
            finally:
                await application.updater.stop()
                await application.stop()
                await application.shutdown()
                await fake.stop()

        engine.run(main())

    return run
