"""Rules' regular expressions, run together in linear time (RE2) over normalised words.

A pattern sees an item's normalised words joined by single spaces (Arabic
folded, Latin lower-cased), so it is written against that form.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from itertools import accumulate

import re2

OPTIONS = re2.Options()
OPTIONS.log_errors = False  # errors reach the user as rule errors, not as RE2's own log


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
            self._set = re2.Set.SearchSet(OPTIONS)
            for source in sources:
                self._set.Add(source)
            self._set.Compile()

    def __bool__(self) -> bool:
        return self._set is not None

    def find(self, words: Sequence[str]) -> list[tuple[int, int, int]]:
        """(pattern index, first word, last word) of every pattern match in normalised `words`."""
        if self._set is None or not words:
            return []
        text = " ".join(words)
        matched = self._set.Match(text)
        if not matched:
            return []
        offsets = [0, *accumulate(len(word) + 1 for word in words)]
        found = []
        for index in matched:
            for m in self._patterns[index].finditer(text):
                start, end = _trim(text, m.start(), m.end())
                if end > start:
                    first = bisect.bisect_right(offsets, start) - 1
                    last = bisect.bisect_right(offsets, end - 1) - 1
                    found.append((index, first, last))
        return found


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """A match span without the spaces a pattern consumed at its ends (`(^| )word`)."""
    while start < end and text[start] == " ":
        start += 1
    while end > start and text[end - 1] == " ":
        end -= 1
    return start, end
