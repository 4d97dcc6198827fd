"""Per-user flood control: one user cannot starve the others.

A token bucket per user: a burst of ``burst`` messages passes at once, then one message per
``refill_seconds``. A message over the limit is dropped (not merged: merged text would be a
question nobody asked), and the user gets one polite notice per flood; the next notice comes
only after the bucket has filled up again. A person reading the answers never meets the
limit; a script or a stuck key does.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

NOTICE = "您发送得太快了，我先回答前面的消息，之后收到的暂不处理。请稍候片刻，再一条一条地问。"


@dataclass
class Verdict:
    admit: bool
    notify: bool = False  # send NOTICE now (first drop of this flood)


class FloodGuard:
    """Decides for each incoming message of a user whether it is handled."""

    def __init__(self, burst: int = 8, refill_seconds: float = 2.0, capacity: int = 100_000):
        self.burst = burst
        self.refill_seconds = refill_seconds
        self.capacity = capacity
        self._buckets: dict[str, tuple[float, float, bool]] = {}  # key -> (tokens, at, noticed)
        self._lock = threading.Lock()

    def check(self, key: str, now: float | None = None) -> Verdict:
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, at, noticed = self._buckets.get(key, (float(self.burst), now, False))
            tokens = min(float(self.burst), tokens + (now - at) / self.refill_seconds)
            if tokens >= self.burst:
                noticed = False  # a full bucket: the flood is over
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now, noticed)
                verdict = Verdict(admit=True)
            else:
                self._buckets[key] = (tokens, now, True)
                verdict = Verdict(admit=False, notify=not noticed)
            if len(self._buckets) > self.capacity:
                self._forget_idle(now)
            return verdict

    def _forget_idle(self, now: float) -> None:
        """Users whose bucket is full again need no entry."""
        full_after = self.burst * self.refill_seconds
        for key in [k for k, (_, at, _) in self._buckets.items() if now - at > full_after]:
            del self._buckets[key]
