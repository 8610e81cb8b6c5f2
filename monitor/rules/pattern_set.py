"""Rules' regular expressions, run in linear time (RE2) over normalised words.

A pattern sees an item's normalised words joined by single spaces (Arabic
folded, Latin lower-cased), so it is written against that form. A rule's
patterns run only on items where the groups the rule cannot do without were
found (see `gates`), and of those only the patterns whose plain strings the
text holds (see `prefilter`), each on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import re2

from monitor.rules.prefilter import Prefilter


def _options(*, capture: bool = True) -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # errors reach the user as rule errors, not as RE2's own log
    options.never_capture = not capture
    return options


OPTIONS = _options()

RUN_OPTIONS = _options(capture=False)
"""Patterns are run for where they match as a whole: without groups to fill in, RE2 finds
a match with its automata alone, a tenth quicker over real reporting."""


def pattern_error(source: str) -> str | None:
    """Why RE2 refuses `source`, or None when it compiles."""
    try:
        re2.compile(source, OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
    return None


class PatternSet:
    """Every pattern of every rule, in sets of patterns (one a rule) asked for together."""

    def __init__(self, sources: Sequence[str], chunks: Sequence[Sequence[int]] = ()) -> None:
        """`chunks` lists the pattern indices of each set; by default one set of all."""
        self._patterns = [re2.compile(source, RUN_OPTIONS) for source in sources]
        chunks = chunks or ([range(len(sources))] if sources else [])
        self._chunks = [list(chunk) for chunk in chunks]
        self._chunk_of = {index: number for number, chunk in enumerate(chunks) for index in chunk}
        self._prefilter = Prefilter(sources)

    def __bool__(self) -> bool:
        return bool(self._chunks)

    def find(
        self, data: bytes, chunks: Iterable[int] | None = None, within: bytes | None = None
    ) -> list[tuple[int, int, int]]:
        """(pattern index, first word, last word) of every match in `data`, normalised words
        joined by single spaces, in UTF-8, of the sets `chunks` (default: all). `within`: a
        text `data` is part of (a lead, of its body), whose candidates serve for it."""
        if not data:
            return []
        wanted = set(range(len(self._chunks)) if chunks is None else chunks)
        found: list[tuple[int, int, int]] = []
        for index in sorted(self._prefilter.candidates(within or data)):
            if self._chunk_of.get(index) in wanted:
                found += self._spans(index, data)
        return found

    def forget_texts(self) -> None:
        """Forget the texts `find` was asked about: once a batch is scanned."""
        self._prefilter.forget_texts()

    def _spans(self, index: int, data: bytes) -> list[tuple[int, int, int]]:
        found = []
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
