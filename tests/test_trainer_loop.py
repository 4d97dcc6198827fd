"""The trainers' path end to end, as docs/trainer-guide.md walks it: questions the bot could not
answer well → `policybot review` → a spreadsheet the trainer fills → `policybot review import`
→ new paraphrases that the bot answers, without retraining."""

from __future__ import annotations

import shutil

import openpyxl
from click.testing import CliRunner

from bot import responding
from bot.cli import cli
from bot.config import PROJECT_ROOT
from bot.content.live import LiveContent
from bot.store import Store, user_key

ASKED = ["给我容错了组织部会不会另眼相看", "容错以后组织部会不会对我另眼相看", "被容错了 组织上会不会另眼看我"]


def parse(text: str) -> dict:
    """What the NLU says for a question it does not know: low confidence, no ranking."""
    return {"text": text, "intent": {"name": "nlu_fallback", "confidence": 0.3}, "intent_ranking": [],
            "entities": [], "response_selector": {"faq": {"ranking": []}}}


def test_from_unanswered_questions_to_paraphrases_the_bot_answers(tmp_path):
    root = tmp_path / "bot"
    for part in ("faq", "knowledge", "rasa_project/data/nlu"):
        shutil.copytree(PROJECT_ROOT / part, root / part)
    live = LiveContent(root)
    content, dialogue = live.get()
    before = responding.respond(parse(ASKED[0]), content, dialogue, live.questionnaire())[0]
    assert not (before.kind == "faq" and before.faq_id == "results_promotion")  # not answered well yet

    store = Store(tmp_path / "bot.db")
    for number, question in enumerate(ASKED):
        store.log_unanswered(question, "clarify", user_key(b"k", number), best_guess="decision_who_decides", confidence=0.16)
    store.log_unanswered("今天天气怎么样", "out_of_scope", "console-12345678")  # a terminal test: left out
    env = {"POLICYBOT_DB": str(tmp_path / "bot.db")}
    sheet = tmp_path / "review.xlsx"
    listed = CliRunner().invoke(cli, ["--root", str(root), "review", "--out", str(sheet)], env=env)
    assert listed.exit_code == 0, listed.output
    assert "另眼相看" in listed.output and "天气" not in listed.output

    book = openpyxl.load_workbook(sheet)
    groups = book["groups"]
    header = [cell.value for cell in groups[1]]
    for row in groups.iter_rows(min_row=2):
        examples = str(row[header.index("examples")].value or "")
        if "另眼" in examples:
            row[header.index("entry_id")].value = "results_promotion"  # what the trainer types
    book.save(sheet)

    imported = CliRunner().invoke(cli, ["--root", str(root), "review", "import", str(sheet)], env=env)
    assert imported.exit_code == 0, imported.output
    assert "results_promotion" in imported.output
    paraphrases = (root / "faq" / "results.yml").read_text(encoding="utf-8")
    assert all(question in paraphrases for question in ASKED)

    content, dialogue = live.get()  # the running bot reloads the edit: no retraining
    after = responding.respond(parse(ASKED[0]), content, dialogue, live.questionnaire())[0]
    assert after.kind == "faq" and after.faq_id == "results_promotion"
