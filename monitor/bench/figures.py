"""One measured figure, the way every benchmark reports it: printed as a table for a person,
or one JSON object per figure for a machine."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

Param = int | float | str
Say = Callable[[str], None]
"""Reports progress to the person waiting: one short line per step."""

DEFAULT_CORPUS = (
    Path(__file__).resolve().parents[2].parent / "shared/corpus/aljazeera/articles.jsonl"
)
"""Real Arabic articles (JSON lines of items) the benchmarks read when not given others."""


@dataclass(frozen=True)
class Figure:
    bench: str
    figure: str
    value: float
    unit: str
    params: dict[str, Param] = field(default_factory=dict)

    def as_json(self) -> str:
        row = {"bench": self.bench, "figure": self.figure, "value": self.value, "unit": self.unit}
        return json.dumps({**row, **self.params}, ensure_ascii=False)

    def described(self) -> str:
        return ", ".join(
            f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in self.params.items()
        )


def shown(value: float) -> str:
    """Three significant figures or so, with thousands separated."""
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if value >= 0.1 else f"{value:.3g}"


def table(figures: Sequence[Figure]) -> str:
    """Bench, figure, value and unit in columns, the parameters last."""
    head = ("bench", "figure", "value", "unit", "parameters")
    rows: list[Sequence[str]] = [head]
    rows += [(f.bench, f.figure, shown(f.value), f.unit, f.described()) for f in figures]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    rows.insert(1, tuple("-" * w for w in [*widths, len(head[4])]))
    return "\n".join(_line(row, widths) for row in rows)


def _line(row: Sequence[str], widths: Sequence[int]) -> str:
    value = row[2].rjust(widths[2])
    cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1]), value, row[3].ljust(widths[3])]
    return "  ".join([*cells, row[4]]).rstrip()


def stderr_progress() -> Say:
    """Lines on stderr, each with the seconds since the first."""
    started = time.perf_counter()

    def say(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    return say


def machine() -> str:
    """What the figures were measured on."""
    cores = os.cpu_count() or 0
    load = f", load {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else ""
    python = f"Python {platform.python_version()}"
    return f"{platform.machine()}, {cores} cores, {python}, {platform.system()}{load}"
