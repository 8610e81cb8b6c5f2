"""A plain text table for the benchmarks' reports: first column left, last column free."""

from __future__ import annotations

from collections.abc import Sequence


def print_table(head: Sequence[str], lines: Sequence[Sequence[str]]) -> None:
    widths = [max(len(head[i]), *(len(line[i]) for line in lines)) for i in range(len(head))]

    def fmt(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:-1], widths[1:-1], strict=True)]
        return "  ".join([first, *rest, cells[-1]])

    print(fmt(head))
    print("  ".join("-" * w for w in widths))
    for line in lines:
        print(fmt(line))
