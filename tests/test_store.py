"""Storage: questions for the review stored scrubbed (the scrubbing itself: test_privacy.py),
users as keyed hashes, events, milestones, /forget and retention."""

from __future__ import annotations

from bot.store import Store


def test_unanswered_questions_are_stored_scrubbed(tmp_path):
    store = Store(tmp_path / "sub" / "bot.db")
    store.log_unanswered("我叫李建国 公积金怎么取 13812345678", "out_of_scope", user_key="k1")
    [row] = store.unanswered()
    assert row["question"] == "我叫[姓名] 公积金怎么取 [手机号]" and row["kind"] == "out_of_scope" and row["user_key"] == "k1"
    Store(tmp_path / "sub" / "bot.db")  # reopening migrates nothing and loses nothing
    assert len(Store(tmp_path / "sub" / "bot.db").unanswered()) == 1


def test_hmac_key_is_stable_and_not_the_id(tmp_path):
    from bot.store import load_secret, user_key

    secret = load_secret(tmp_path / "secret.key")
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
    assert load_secret(tmp_path / "secret.key") == secret
    assert user_key(secret, 123456789) == user_key(secret, "123456789")
    assert "123456789" not in user_key(secret, 123456789) and len(user_key(secret, 1)) == 32
    assert user_key(b"other", 123456789) != user_key(secret, 123456789)
    assert load_secret(tmp_path / "unused.key", env_value="from-env") == b"from-env"


def test_forget_leaves_no_row(tmp_path):
    store = Store(tmp_path / "bot.db")
    for key in ("me", "other"):
        store.touch_user(key, campaign="poster")
        store.record_turn(key, "faq", "apply_materials", 50.0, "poster")
        store.record_feedback(key, "apply_materials", True)
        store.log_unanswered("天气", "out_of_scope", user_key=key)
        store.record_milestone(key, "apply_opened")
    assert store.forget("me") == 5
    for table in Store.SCHEMA:
        assert not list(store.db[table].rows_where("user_key = ?", ["me"]))
        assert list(store.db[table].rows_where("user_key = ?", ["other"]))


def test_purge_and_first_touch_campaign(tmp_path):
    store = Store(tmp_path / "bot.db")
    store.touch_user("u", campaign="first")
    store.touch_user("u", campaign="second")
    assert store.campaign_of("u") == "first"
    store.record_turn("u", "faq", "x", 10.0)
    store.db.execute("UPDATE events SET at = '2000-01-01T00:00:00+00:00'")
    store.db.conn.commit()
    assert store.purge(older_than_days=30) == 1
    assert store.stats()["turns"] == 0 and store.stats()["users"] == 1


def test_milestones_count_steps_without_content(tmp_path):
    store = Store(tmp_path / "bot.db")
    store.record_milestone("u", "apply_opened")
    store.record_milestone("u", "drafted")
    assert [m["name"] for m in store.milestones()] == ["apply_opened", "drafted"]
    assert set(store.db["milestones"].columns_dict) == {"id", "at", "user_key", "name", "detail"}
    store.db.execute("UPDATE milestones SET at = '2000-01-01T00:00:00+00:00'")
    store.db.conn.commit()
    assert store.purge(older_than_days=30) == 2 and store.milestones("drafted") == []


def test_channel_from_the_user_key_and_campaign_on_every_event(tmp_path):
    from bot.store import channel_of, user_key

    secret = b"k"
    telegram = user_key(secret, 99)
    assert channel_of(telegram) == "telegram" and channel_of("console-1a2b3c4d") == "terminal"
    assert channel_of("ask-123") == "batch" and channel_of("test-1") == "test"
    store = Store(tmp_path / "bot.db")
    store.touch_user(telegram, campaign="poster_2026")
    store.record_turn(telegram, "faq", "x", 10.0)
    store.log_unanswered("天气怎么样", "out_of_scope", user_key="console-1a2b3c4d", best_guess="concept_what_is",
                         confidence=0.31)
    [event] = store.db["events"].rows
    assert event["campaign"] == "poster_2026" and event["channel"] == "telegram"
    [logged] = store.db["unanswered"].rows
    assert logged["channel"] == "terminal" and logged["best_guess"] == "concept_what_is" and logged["confidence"] == 0.31
