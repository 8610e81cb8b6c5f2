"""Time as the pipeline sees it: the wall clock live, the items' own times in a replay."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Seconds since the epoch, as a float."""

    def now(self) -> float: ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> float:
        return time.time()


class FixedClock:
    """A clock that stands where it is set: replays and tests move it."""

    def __init__(self, at: float) -> None:
        self.at = at

    def now(self) -> float:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += seconds


_SPANS = (("d", 86_400), ("h", 3600), ("m", 60), ("s", 1))


def span(length: float) -> str:
    """A length of time in its two largest units, to the nearest of the smaller: `1h 20m`, `3d`."""
    left = max(0, round(length))
    for index, (unit, size) in enumerate(_SPANS):
        if left < size:
            continue
        step = _SPANS[index + 1][1] if index + 1 < len(_SPANS) else 1
        rounded = round(left / step) * step
        if index and rounded >= _SPANS[index - 1][1]:
            return span(rounded)  # 23h 59m 50s is 1d
        rest = rounded % size // step
        smaller = f" {rest}{_SPANS[index + 1][0]}" if rest else ""
        return f"{rounded // size}{unit}{smaller}"
    return "0s"
