"""Storage: scrubbing identifiers and logging unanswered questions."""

from __future__ import annotations

import pytest

from bot.store import MAX_STORED_CHARS, Store, scrub


@pytest.mark.parametrize("text, expected", [
    ("我电话13812345678", "我电话[手机号]"),
    ("手机 +86 138-1234-5678 找我", "手机 [手机号] 找我"),
    ("身份证420106199001011234呢", "身份证[身份证号]呢"),
    ("身份证号 42010619900101123X", "身份证号 [身份证号]"),
    ("邮箱 zhang.san@example.gov.cn 联系", "邮箱 [邮箱] 联系"),
    ("办公室 027-87654321", "办公室 [电话]"),
    ("2023年发了3000元补贴", "2023年发了3000元补贴"),
])
def test_scrub(text, expected):
    assert scrub(text) == expected


def test_scrub_cuts_long_text():
    assert len(scrub("长" * 5000)) == MAX_STORED_CHARS


def test_unanswered_questions_are_stored_scrubbed(tmp_path):
    store = Store(tmp_path / "sub" / "bot.db")
    store.log_unanswered("公积金怎么取 13812345678", "out_of_scope", user_key="k1")
    [row] = store.unanswered()
    assert row["question"] == "公积金怎么取 [手机号]" and row["kind"] == "out_of_scope" and row["user_key"] == "k1"
    Store(tmp_path / "sub" / "bot.db")  # reopening migrates nothing and loses nothing
    assert len(Store(tmp_path / "sub" / "bot.db").unanswered()) == 1
