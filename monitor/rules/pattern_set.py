"""Rules' regular expressions, run in linear time (RE2) over normalised words.

A pattern sees an item's normalised words joined by single spaces (Arabic
folded, Latin lower-cased), so it is written against that form. Each rule's
patterns form an RE2 set of their own: one set of every rule's patterns, with
their word gaps, grows a DFA too large to keep, and runs several times slower
than the sets of each rule run one after the other. A rule's set runs only on
items where the groups the rule cannot do without were found (see `gates`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

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
    """Every pattern of every rule, in sets of patterns (one a rule) that are run together."""

    def __init__(self, sources: Sequence[str], chunks: Sequence[Sequence[int]] = ()) -> None:
        """`chunks` lists the pattern indices of each set; by default one set of all."""
        self._patterns = [re2.compile(source, OPTIONS) for source in sources]
        chunks = chunks or ([range(len(sources))] if sources else [])
        self._sets = [_compiled_set([sources[i] for i in chunk]) for chunk in chunks]
        self._chunks = [list(chunk) for chunk in chunks]

    def __bool__(self) -> bool:
        return bool(self._sets)

    @property
    def chunks(self) -> int:
        return len(self._sets)

    def find(self, data: bytes, chunks: Iterable[int] | None = None) -> list[tuple[int, int, int]]:
        """(pattern index, first word, last word) of every match in `data`, normalised words
        joined by single spaces, in UTF-8, of the sets `chunks` (default: all)."""
        if not data:
            return []
        found: list[tuple[int, int, int]] = []
        for chunk in range(len(self._sets)) if chunks is None else chunks:
            for local in self._sets[chunk].Match(data) or ():
                found += self._spans(self._chunks[chunk][local], data)
        return found

    def _spans(self, index: int, data: bytes) -> list[tuple[int, int, int]]:
        found = []
        for m in self._patterns[index].finditer(data):
            start, end = _trim(data, m.start(), m.end())
            if end > start:
                # Words are joined by single spaces: a word's index is the spaces before it.
                found.append((index, data.count(b" ", 0, start), data.count(b" ", 0, end - 1)))
        return found


def _compiled_set(sources: Sequence[str]) -> re2.Set:
    patterns = re2.Set.SearchSet(_options(SET_MEMORY))
    for source in sources:
        patterns.Add(source)
    patterns.Compile()
    return patterns


def _trim(data: bytes, start: int, end: int) -> tuple[int, int]:
    """A match span without the spaces a pattern consumed at its ends (`(^| )word`)."""
    while start < end and data[start] == 0x20:
        start += 1
    while end > start and data[end - 1] == 0x20:
        end -= 1
    return start, end
