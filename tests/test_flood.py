"""Flood control (bot.flood): a burst passes, the excess is dropped with one notice, a calm user
never meets the limit."""

from bot.flood import FloodGuard


def test_a_burst_passes_then_the_excess_is_dropped_with_one_notice():
    guard = FloodGuard(burst=8, refill_seconds=2.0)
    verdicts = [guard.check("flooder", now=100.0) for _ in range(300)]
    assert sum(v.admit for v in verdicts) == 8
    assert sum(v.notify for v in verdicts) == 1 and verdicts[8].notify
    # the refill lets one message through every two seconds, with no new notice
    later = [guard.check("flooder", now=100.0 + 2.0 * step) for step in range(1, 6)]
    assert all(v.admit for v in later) and not any(v.notify for v in later)


def test_a_notice_again_only_after_the_flood_is_over():
    guard = FloodGuard(burst=3, refill_seconds=1.0)
    first = [guard.check("u", now=0.0) for _ in range(10)]
    assert sum(v.notify for v in first) == 1
    again = [guard.check("u", now=60.0) for _ in range(10)]  # quiet for a minute, then another flood
    assert sum(v.admit for v in again) == 3 and sum(v.notify for v in again) == 1


def test_a_reading_user_and_other_users_are_never_limited():
    guard = FloodGuard()
    assert all(guard.check("reader", now=5.0 * turn).admit for turn in range(200))  # one message every 5 s
    for _ in range(100):
        guard.check("flooder", now=1000.0)
    assert guard.check("someone else", now=1000.0).admit


def test_idle_users_are_forgotten_when_the_table_is_full():
    guard = FloodGuard(capacity=10)
    for user in range(50):
        guard.check(f"user{user}", now=float(user) * 100)
    assert len(guard._buckets) <= 11
