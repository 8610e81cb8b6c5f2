"""Rules' regular expressions, run together in linear time (RE2) over normalised words.

A pattern sees an item's normalised words joined by single spaces (Arabic
folded, Latin lower-cased), so it is written against that form.
"""

from __future__ import annotations

from collections.abc import Sequence

import re2

SET_MEMORY = 64 << 20
"""RE2's memory for the set of every pattern: at the default 8 MiB its DFA keeps
being thrown away and rebuilt on Arabic text, at a third of the speed."""


def _options(max_mem: int | None = None) -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # errors reach the user as rule errors, not as RE2's own log
    if max_mem is not None:
        options.max_mem = max_mem
    return options


OPTIONS = _options()


def pattern_error(source: str) -> str | None:
    """Why RE2 refuses `source`, or None when it compiles."""
    try:
        re2.compile(source, OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
    return None


class PatternSet:
    """Every pattern of every rule; one RE2 set pass says which ones to look at closer."""

    def __init__(self, sources: Sequence[str]) -> None:
        self._patterns = [re2.compile(source, OPTIONS) for source in sources]
        self._set: re2.Set | None = None
        if sources:
            self._set = re2.Set.SearchSet(_options(SET_MEMORY))
            for source in sources:
                self._set.Add(source)
            self._set.Compile()

    def __bool__(self) -> bool:
        return self._set is not None

    def find(self, data: bytes) -> list[tuple[int, int, int]]:
        """(pattern index, first word, last word) of every match in `data`, normalised words
        joined by single spaces, in UTF-8."""
        if self._set is None or not data:
            return []
        found: list[tuple[int, int, int]] = []
        for index in self._set.Match(data) or ():
            for m in self._patterns[index].finditer(data):
                start, end = _trim(data, m.start(), m.end())
                if end > start:
                    # Words are joined by single spaces: a word's index is the spaces before it.
                    found.append((index, data.count(b" ", 0, start), data.count(b" ", 0, end - 1)))
        return found


def _trim(data: bytes, start: int, end: int) -> tuple[int, int]:
    """A match span without the spaces a pattern consumed at its ends (`(^| )word`)."""
    while start < end and data[start] == 0x20:
        start += 1
    while end > start and data[end - 1] == 0x20:
        end -= 1
    return start, end
