"""Which of the rules' regular expressions may match a text, told by the plain strings each
cannot match without, so that only those are run.

A pattern such as `(^| )(قصف|غاره) (علي )?قاعده` cannot match a text holding neither
"قصف" nor "غاره", or without "قاعده". Each pattern is read once into such requirements:
clauses, each a set of strings of which the text must hold one. One Aho-Corasick pass over
a text finds every string it holds; a pattern whose clauses are all met is a candidate,
and only candidates are run. The requirements are never stricter than the pattern: what
the reading does not follow (a class of many characters, an optional part, syntax it does
not know) requires nothing.

Run as one RE2 set, a rule's patterns share an automaton that RE2 builds state by state as
new text needs it: on news the rules are about, that is most of matching, and its caches
grow a worker by hundreds of megabytes. Run alone, a candidate's automaton stays small.
"""

from __future__ import annotations

import re._constants as sre
import re._parser as sre_parse
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby, product
from typing import Any

import ahocorasick

Clause = frozenset[str]
"""Strings of which a text must hold at least one."""

MIN_CHARS = 3
"""A clause any of whose strings tells less than this (see `_length`) is dropped: "في "
or "al " is in nearly every text, and finding it costs more than it rules out."""

MAX_STRINGS = 64
"""The most strings a part of a pattern is followed as exactly (`(ال)?(امريكي|اميركي)` is
four); past this, its strings become a clause and only their ends are carried on. At 16,
four shipped patterns told nothing and ran on every text; at 64, a text has half again
fewer candidates than at 16, at about a third of a second to read the shipped patterns
(kept for the next process: monitor.rules.pattern_readings)."""

MAX_CLASS = 10
"""A character class of at most this many characters (`[وبل]`, `[0-9]`) is followed as
that many strings; a larger one, or a negated one, matches anything."""

UNREAD = ("(?", "{,", "[:", "\\p", "\\P", "\\Q", "\\C", "\\z", "\\x", "\\u", "\\U", "\\N")
"""Syntax that RE2 reads otherwise than Python's parser, or that changes what a string
matches (flags): a pattern holding any of it requires nothing."""

_BACKREFERENCE = tuple(f"\\{digit}" for digit in range(10))

CLAUSES_KEPT = 2
"""The most telling clauses of a pattern that are checked: a third leaves about as many
candidates, and its strings' every occurrence is one more step for each text."""

PATTERNS_REMEMBERED = 8_192
"""Patterns whose clauses are kept: a rules reload reads again only the patterns changed."""

TEXTS_REMEMBERED = 512
"""Texts whose candidates are kept until forgotten (`forget_texts`): a body is asked about
again for its lead and its rest, all in one batch (at most 100 items of three texts)."""


class _Unread(Exception):
    """A part of a pattern the reading does not follow."""


@dataclass(frozen=True)
class _Needs:
    """What a part of a pattern matches: exactly one of `exact` (None when it is not known),
    and in any case a string of each of `clauses`."""

    exact: frozenset[str] | None
    clauses: tuple[Clause, ...] = ()

    def as_clauses(self) -> tuple[Clause, ...]:
        return self.clauses if self.exact is None else _clause(self.exact)


_ANYTHING = _Needs(None)
_EMPTY = _Needs(frozenset({""}))


_READINGS: dict[str, tuple[Clause, ...]] = {}
"""Each pattern's clauses by its source, read here or remembered from a file
(monitor.rules.pattern_readings)."""


def required_strings(source: str) -> tuple[Clause, ...]:
    """The clauses a text must meet for `source` to match in it; none when nothing is known
    (then the pattern is run on every text)."""
    found = _READINGS.get(source)
    if found is None:
        if len(_READINGS) >= PATTERNS_REMEMBERED:
            _READINGS.clear()
        found = _READINGS[source] = _read(source)
    return found


def readings() -> dict[str, tuple[Clause, ...]]:
    """The clauses of every pattern read or remembered so far, by source."""
    return dict(_READINGS)


def remember(known: Mapping[str, tuple[Clause, ...]]) -> None:
    """Take `known` as the clauses of their patterns, read before: a pattern's clauses
    follow from its source, this module and Python's parser alone."""
    if len(_READINGS) + len(known) > PATTERNS_REMEMBERED:
        _READINGS.clear()
    _READINGS.update(known)


def forget_readings() -> None:
    _READINGS.clear()


def _read(source: str) -> tuple[Clause, ...]:
    plain_groups = source.replace("(?:", "(")
    if any(mark in plain_groups for mark in (*UNREAD, *_BACKREFERENCE)):
        return ()
    try:
        parsed = sre_parse.parse(source)
        if parsed.state.flags & ~sre.SRE_FLAG_UNICODE:
            return ()
        return _sequence(list(parsed)).as_clauses()
    except Exception:  # what cannot be read, for any reason, requires nothing
        return ()


def _sequence(parts: Sequence[tuple[Any, Any]]) -> _Needs:
    """Parts one after another: runs of exact parts joined, the rest's clauses kept."""
    exact: frozenset[str] = frozenset({""})
    clauses: list[Clause] = []
    whole = True
    for part in _parts(parts):
        joined = _joined(exact, part.exact)
        if joined is not None:
            exact = joined
            continue
        whole = False
        clauses += _clause(exact)
        if part.exact is None:
            exact = frozenset({""})
            clauses += part.clauses
        else:
            exact = _carried(exact, part.exact)
    if whole:
        return _Needs(exact)
    return _Needs(None, (*clauses, *_clause(exact)))


def _parts(parts: Sequence[tuple[Any, Any]]) -> Iterator[_Needs]:
    """What each part matches, a run of literal characters as one string: joined a
    character at a time, a pattern's strings were built again for each, and reading the
    shipped patterns took a fifth longer. Either way gives the same, since a run joins
    wherever its first character does."""
    for is_literal, run in groupby(parts, key=lambda part: part[0] is sre.LITERAL):
        if is_literal:
            yield _Needs(frozenset({"".join(chr(code) for _, code in run)}))
        else:
            yield from (_part(op, argument) for op, argument in run)


def _joined(before: frozenset[str], after: frozenset[str] | None) -> frozenset[str] | None:
    if after is None or len(before) * len(after) > MAX_STRINGS:
        return None
    return frozenset(map("".join, product(before, after)))


def _carried(before: frozenset[str], after: frozenset[str]) -> frozenset[str]:
    """`after` joined to the ends of `before`, as long as keeps the strings few: the space
    before a word is carried over, and a word of two letters after it tells enough."""
    for length in range(max(map(len, before)), 0, -1):
        joined = _joined(frozenset(string[-length:] for string in before), after)
        if joined is not None:
            return joined
    return after


def _part(op: Any, argument: Any) -> _Needs:
    if op is sre.LITERAL:
        return _Needs(frozenset({chr(argument)}))
    if op is sre.AT:
        return _EMPTY
    if op in (sre.ANY, sre.NOT_LITERAL, sre.CATEGORY):
        return _ANYTHING
    if op is sre.IN:
        return _class(argument)
    if op is sre.SUBPATTERN:
        return _group(argument)
    if op is sre.BRANCH:
        return _branch([_sequence(list(alternative)) for alternative in argument[1]])
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
        return _repeat(*argument)
    raise _Unread(op)


def _class(items: Iterable[tuple[Any, Any]]) -> _Needs:
    chars: set[str] = set()
    for op, argument in items:
        if op is sre.LITERAL:
            chars.add(chr(argument))
        elif op is sre.RANGE and argument[1] - argument[0] < MAX_CLASS:
            chars.update(map(chr, range(argument[0], argument[1] + 1)))
        else:
            return _ANYTHING
    return _Needs(frozenset(chars)) if len(chars) <= MAX_CLASS else _ANYTHING


def _group(argument: tuple[Any, int, int, Any]) -> _Needs:
    _, flags_on, flags_off, parts = argument
    if flags_on or flags_off:
        raise _Unread("flags")
    return _sequence(list(parts))


def _branch(alternatives: list[_Needs]) -> _Needs:
    """Any one of the alternatives: their strings together when all are exact and few, else
    a clause of each one's most telling clause together (any alternative meets it)."""
    if all(alternative.exact is not None for alternative in alternatives):
        strings = frozenset().union(*(a.exact for a in alternatives if a.exact is not None))
        if len(strings) <= MAX_STRINGS:
            return _Needs(strings)
    best = [_most_telling(alternative.as_clauses()) for alternative in alternatives]
    if any(clause is None for clause in best):
        return _ANYTHING
    return _Needs(None, _clause(frozenset().union(*(c for c in best if c is not None))))


def _repeat(least: int, most: int, parts: Any) -> _Needs:
    repeated = _sequence(list(parts))
    if least == 0:
        if most == 1 and repeated.exact is not None:
            return _Needs(repeated.exact | {""})
        return _ANYTHING
    if least == most == 1:
        return repeated
    return _Needs(None, repeated.as_clauses())


def _clause(strings: frozenset[str]) -> tuple[Clause, ...]:
    """The clause of `strings`, without those holding another of them (the shorter is met
    whenever the longer is); none when one is too short to tell anything."""
    if any(_length(string) < MIN_CHARS for string in strings):
        return ()
    kept: list[str] = []
    for string in sorted(strings, key=len):
        if not any(map(string.__contains__, kept)):
            kept.append(string)
    return (frozenset(kept),)


def _length(string: str) -> int:
    """How telling a string is, in characters: its letters, and one for a space before a
    word of two (" شن", " us"): a whole word, where "شن" alone is part of many."""
    letters = len(string.strip(" "))
    return letters + (letters == 2 and string.startswith(" "))


def _most_telling(clauses: Sequence[Clause]) -> Clause | None:
    """The clause least likely to be met by chance: its shortest string the longest."""
    return max(clauses, key=_telling, default=None)


def _telling(clause: Clause) -> tuple[int, int]:
    return min(map(_length, clause)), -len(clause)


class Prefilter:
    """The candidates among patterns for a text, by the strings the text holds."""

    def __init__(self, sources: Sequence[str]) -> None:
        needs = [
            sorted(required_strings(s), key=_telling, reverse=True)[:CLAUSES_KEPT] for s in sources
        ]
        clause_ids: dict[Clause, int] = {}
        self._always = frozenset(n for n, clauses in enumerate(needs) if not clauses)
        """Patterns nothing is known of: candidates for every text."""
        self._by_first: dict[int, list[tuple[int, tuple[int, ...]]]] = defaultdict(list)
        """Clause id -> the patterns whose most telling clause it is, with their others."""
        for pattern, clauses in enumerate(needs):
            ids = [clause_ids.setdefault(clause, len(clause_ids)) for clause in clauses]
            if ids:
                self._by_first[ids[0]].append((pattern, tuple(ids[1:])))
        self._automaton = _automaton(clause_ids)
        self.candidates = lru_cache(maxsize=TEXTS_REMEMBERED)(self._candidates)

    def forget_texts(self) -> None:
        """Forget the texts' candidates kept so far: a worker meets each text once, and a
        benchmark going round a sample of texts would otherwise find them all worked out
        (the Aho-Corasick pass is a third of matching an article on the shipped rules)."""
        self.candidates.cache_clear()

    def _candidates(self, text: bytes) -> frozenset[int]:
        """The patterns that may match `text` (normalised words in UTF-8)."""
        if self._automaton is None:
            return self._always
        met: set[int] = set().union(
            *(clauses for _, clauses in self._automaton.iter(text.decode()))
        )
        found = [
            pattern
            for clause in met
            for pattern, others in self._by_first.get(clause, ())
            if met.issuperset(others)
        ]
        return self._always.union(found)


def _automaton(clause_ids: dict[Clause, int]) -> ahocorasick.Automaton | None:
    """Every string of every clause, each with the clauses it meets."""
    meets: dict[str, set[int]] = defaultdict(set)
    for clause, number in clause_ids.items():
        for string in clause:
            meets[string].add(number)
    if not meets:
        return None
    automaton = ahocorasick.Automaton()
    for string, clauses in meets.items():
        automaton.add_word(string, frozenset(clauses))
    automaton.make_automaton()
    return automaton
