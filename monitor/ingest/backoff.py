"""How long a poller waits between attempts to reach Redis again: exponential, capped,
with jitter, so pollers do not all knock at once on a Redis coming back."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

RECONNECT_BASE = 0.5
"""Longest wait before the first attempt; it doubles with each failed attempt."""

RECONNECT_MAX = 30.0
"""Longest wait between two attempts, however long the outage."""

_MAX_DOUBLINGS = 32
"""Beyond this the cap holds anyway; it keeps 2**n a small number."""


@dataclass
class Backoff:
    """The waits of one run of attempts; `reset` after an attempt succeeds."""

    base: float = RECONNECT_BASE
    cap: float = RECONNECT_MAX
    rng: random.Random = field(default_factory=random.Random)
    attempts: int = 0

    def next_delay(self) -> float:
        """The wait before the next attempt, drawn from the upper half of its ceiling."""
        ceiling = min(self.cap, self.base * 2 ** min(self.attempts, _MAX_DOUBLINGS))
        self.attempts += 1
        return self.rng.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.attempts = 0
