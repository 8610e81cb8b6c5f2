"""Event marks: what an item names (places, people, groups, numbers, dates) in a form
that is the same in Arabic and English, and how likely two items' marks are one event.

Marks are "g:<concept>" (gazetteer), "s:<skeleton>" (a name outside it), "n:<number>",
"d:<weekday, month or date>" and "o:<ordinal of a round or phase>".
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

from monitor.text.fingerprint import background
from monitor.text.gazetteer import Match, Token, fold, gazetteer, token
from monitor.text.skeleton import MIN_CONSONANTS, skeleton
from monitor.text.tokenizer import words

MAX_MARKS = 40
"""Marks kept per item: the heaviest, so that a long lead cannot crowd out its headline."""

COMMON_SHARE = 0.01
"""Share of background documents above which an Arabic word is a common word, not a name."""

ARABIC_NAMES_CACHED = 50_000
"""Arabic words whose name marks are kept: a few MB at most, less while `token`'s cache
holds the same words; most words have none."""

ORDINAL_REACH = 3
"""Words between an ordinal and the round or phase it counts (الجولة الأولى من الحوار)."""

EVIDENCE = 4.0
"""Shared weight at which the evidence term reaches 1 - 1/e: a base and a weekday, say."""

CLASH = 0.5
"""Factor on the score for each of weekday, date and round that both items name differently."""

NEXT_DAY = 0.8
"""Factor for items that name weekdays one day apart and no weekday in common."""

OTHER_SITE = 0.7
"""Factor for items that each name a base or site and none in common: milder than a
weekday's, since outlets do name one attack's site differently (Tower 22, al-Tanf), but
in weeks of attacks on Erbil, Victory and Ain al-Asad the site is what tells them apart.
On the labelled sets of its day it parted 7 pairs of reports of different events, and no
pair of one event."""

NAME_DOUBT = 0.3
"""Share of an unknown name's weight in an item's total: not every Arabic word rare in the
background is a name, so such a mark missing from the other item says little."""

LINK_THRESHOLD = 0.3
"""Suggested score from which two items of one rule and a few days apart are one story:
on labelled Arabic and English items it links about nine same-event pairs in ten and a
quarter of the different events of that rule, alike across and within languages."""

_THOUSANDS = re.compile(r"(?<=\d)[,٬](?=\d{3}(?!\d))")
_ORDINAL_DIGITS = re.compile(r"^(\d+)(st|nd|rd|th)$")
_ENGLISH_ENDINGS = re.compile(
    r"(tion|tions|sion|sions|ing|ings|ment|ments|ness|ity|ities|ly|ous|ship|ence|ance|ive|ives"
    r"|ism|ist|ists|ical|ture|tures|able|ible|ated|ized|ised|ers|ies)$"
)
"""Endings of English words that Arabic names transliterated into Latin letters do not have."""
_THOUSAND_WORDS = frozenset({"الاف", "الف", "thousand"})
_DAYS = ("d:mon", "d:tue", "d:wed", "d:thu", "d:fri", "d:sat", "d:sun")
_PRIORITY = {"g": 0, "d": 1, "o": 1, "n": 2, "s": 3}
_CLASH_KINDS = ("weekday", "ordinal", "site")
"""Kinds of which two reports of one event that both name some name a common one (sites
less surely: OTHER_SITE). Not towns or cities: a dateline or a nearby town names them."""


def event_marks(title: str, lead: str) -> list[str]:
    """The sorted, de-duplicated marks of an item's headline and lead."""
    weighed: dict[str, tuple[int, float, int]] = {}
    order = 0
    for text in (title, lead):
        for mark in _text_marks(text):
            if mark not in weighed:
                weighed[mark] = (_PRIORITY[mark[0]], -mark_weight(mark), order)
                order += 1
    kept = sorted(weighed, key=weighed.__getitem__)[:MAX_MARKS]
    return sorted(kept)


def link_score(a: Sequence[str], b: Sequence[str]) -> float:
    """How likely items with marks `a` and `b` report one event, from 0 to 1.

    The weight both share is set against the smaller item's weight (an English
    item names fewer words than an Arabic one tells apart from common words)
    and saturates, so that two rich items sharing much score near 1. Items that
    name different weekdays, dates or rounds are most likely two events.
    """
    return linked(marks_of(a), marks_of(b))


def clash(a: Sequence[str], b: Sequence[str]) -> float:
    """1.0, or less when the items name different days, dates or rounds: the factor by
    which other evidence that they are one event should count."""
    return clashing(marks_of(a), marks_of(b))


@dataclass(frozen=True)
class Marks:
    """What link_score needs of one item's marks, worked out once per item."""

    marks: frozenset[str]
    total: float
    timed: dict[str, frozenset[str]]


def linked(first: Marks, second: Marks) -> float:
    """link_score of two items' marks, worked out before."""
    shared = sum(mark_weight(mark) for mark in first.marks & second.marks)
    if shared <= 0:
        return 0.0
    smaller = max(min(first.total, second.total), shared)
    evidence = 1.0 - math.exp(-shared / EVIDENCE)
    return round(evidence * math.sqrt(shared / smaller) * clashing(first, second), 4)


def marks_of(marks: Sequence[str]) -> Marks:
    return _summary(tuple(marks))


@functools.lru_cache(maxsize=4096)
def _summary(marks: tuple[str, ...]) -> Marks:
    unique = frozenset(marks)
    total = sum(mark_weight(mark) * (NAME_DOUBT if mark[0] == "s" else 1.0) for mark in unique)
    timed: dict[str, set[str]] = {}
    for mark in unique:
        group = _clash_group(mark)
        if group:
            timed.setdefault(group, set()).add(mark)
    return Marks(unique, total, {group: frozenset(found) for group, found in timed.items()})


def clashing(first: Marks, second: Marks) -> float:
    """CLASH for each of weekday, date and round that both items name and never agree on;
    weekdays next to each other clash less (a night attack is Monday to one, Tuesday to
    another), and different sites by OTHER_SITE, between the two."""
    factor = 1.0
    for group, mine in first.timed.items():
        theirs = second.timed.get(group)
        if theirs and not mine & theirs:
            factor *= _clash_factor(group, mine, theirs)
    return factor


def _clash_factor(group: str, mine: frozenset[str], theirs: frozenset[str]) -> float:
    if group == "site":
        return OTHER_SITE
    return NEXT_DAY if group == "weekday" and _days_apart(mine, theirs) == 1 else CLASH


def _days_apart(first: frozenset[str], second: frozenset[str]) -> int:
    gaps = ((_DAYS.index(one) - _DAYS.index(other)) % 7 for one in first for other in second)
    return min(min(gap, 7 - gap) for gap in gaps)


@functools.lru_cache(maxsize=10_000)
def _clash_group(mark: str) -> str | None:
    if mark.startswith("d:") and "-" in mark:
        return "date"
    kind = gazetteer().kinds.get(mark)
    return kind if kind in _CLASH_KINDS else None


@functools.lru_cache(maxsize=100_000)
def mark_weight(mark: str) -> float:
    """What one shared mark says: a base or a person much more than a country or a verb."""
    known = gazetteer().weights.get(mark)
    if known is not None:
        return known
    kind, _, value = mark.partition(":")
    if kind == "s":
        return min(1.0 + 0.5 * len(value), 3.0)
    if kind == "n":
        return _number_weight(value)
    if kind == "d":
        return 2.5
    return 1.0


def _number_weight(value: str) -> float:
    if not value.isdigit():
        return 0.5
    number = int(value)
    if 1900 <= number <= 2100:
        return 0.3
    return 0.6 if number <= 10 else 1.2


def tokens(text: str) -> list[Token]:
    """The tokens of `text`, a number with thousands separators as one (2,500 troops)."""
    return _tokens_of(words(_THOUSANDS.sub("", text)))


def _tokens_of(raw_words: Iterable[str]) -> list[Token]:
    return list(chain.from_iterable(map(token, raw_words)))


def _text_marks(text: str) -> list[str]:
    written = words(text)
    joined, separators = _THOUSANDS.subn("", text)
    # Split into words once: only a number with separators makes the two splits differ.
    toks = _tokens_of(words(joined) if separators else written)
    matches = gazetteer().find(toks)
    taken = {i for match in matches for i in range(match.start, match.end)}
    marks = [mark for match in matches for mark in _concept_marks(match, matches, toks)]
    marks += _dual_marks(matches, toks)
    rest = [tok for i, tok in enumerate(toks) if i not in taken]
    marks += _number_marks(toks, taken)
    return marks + _name_marks(rest, _lower_words(written))


def _concept_marks(match: Match, matches: list[Match], toks: list[Token]) -> list[str]:
    concept = match.alias.concept
    if not concept.weight:
        return []
    day = _day_next_to(match, toks)
    if match.alias.strict and day is None and not _number_next_to(match, toks):
        return []
    if concept.kind == "ordinal":
        near = any(_close(match, other) and other.alias.concept.counted for other in matches)
        return [concept.mark] if near else []
    marks = gazetteer().marks(concept)
    if concept.kind == "month" and day is not None:
        marks.append(f"{concept.mark}-{day}")
    return marks


def _dual_marks(matches: list[Match], toks: list[Token]) -> list[str]:
    """Numbers inside longer aliases: "بطائرتين مسيرتين" is a drone alias and also two."""
    marks = []
    for match in matches:
        if match.alias.concept.kind == "event":
            for tok in toks[match.start : match.end]:
                concept = gazetteer().count(tok)
                marks += gazetteer().marks(concept) if concept else []
    return marks


def _close(a: Match, b: Match) -> bool:
    return a is not b and (
        0 <= b.start - a.end < ORDINAL_REACH or 0 <= a.start - b.end < ORDINAL_REACH
    )


def _neighbours(match: Match, toks: list[Token]) -> list[Token]:
    return [toks[i] for i in (match.start - 1, match.end) if 0 <= i < len(toks)]


def _number_next_to(match: Match, toks: list[Token]) -> bool:
    return any(_digits(tok.text) is not None for tok in _neighbours(match, toks))


def _day_next_to(match: Match, toks: list[Token]) -> int | None:
    """The day of the month written next to a month name (28 كانون الثاني, Jan. 28)."""
    if match.alias.concept.kind != "month":
        return None
    for tok in _neighbours(match, toks):
        digits = _digits(tok.text)
        if digits is not None and 1 <= digits <= 31:
            return digits
    return None


def _digits(text: str) -> int | None:
    if not text[:1].isdecimal():  # what \d and an ASCII digit begin with; most words do not
        return None
    ordinal = _ORDINAL_DIGITS.match(text)
    if ordinal:
        return int(ordinal.group(1))
    return int(text) if text.isascii() and text.isdigit() else None


def _number_marks(toks: list[Token], taken: set[int]) -> list[str]:
    """Numbers written in digits, times a thousand when the word says so (3 آلاف, 5 thousand)."""
    marks = []
    # A number's text begins with a digit: most words are passed over without a call.
    for i, tok in enumerate(toks):
        number = _digits(tok.text) if tok.text[:1].isdecimal() and i not in taken else None
        if number is not None:
            after = toks[i + 1].exact if i + 1 < len(toks) else frozenset()
            marks.append(f"n:{number * 1000 if after & _THOUSAND_WORDS else number}")
    return marks


def _lower_words(written: list[str]) -> frozenset[str]:
    """Latin words the text writes in lower case: a capitalised one of them is no name."""
    return frozenset(fold(word) for word in written if word[:1].islower())


def _name_marks(rest: list[Token], lower: frozenset[str]) -> list[str]:
    marks: list[str] = []
    known = _ARABIC_NAMES.get  # read here first: most words of a lead are known ones
    for tok in rest:
        if not tok.arabic:
            marks += _shape_marks(_latin_names(tok, lower))
        elif (found := known(tok.text)) is not None:
            marks += found
        else:
            marks += _learned_arabic_name_marks(tok)
    return marks


def _latin_names(tok: Token, lower: frozenset[str]) -> tuple[str, ...]:
    """The word, when it may be a name: capitalised, uncommon, and nowhere in the text in
    lower case (`lower`, see _lower_words)."""
    key = fold(tok.text)
    if not tok.capital or key in gazetteer().common_en or key in lower or key.isdigit():
        return ()
    return () if _ENGLISH_ENDINGS.search(tok.text) else (tok.text,)


def _shape_marks(forms: Iterable[str]) -> tuple[str, ...]:
    shapes = map(skeleton, forms)
    return tuple(f"s:{shape}" for shape in shapes if len(shape) >= MIN_CONSONANTS)


_ARABIC_NAMES: dict[str, tuple[str, ...]] = {}
"""The name marks of an Arabic word, by the word: a token's keys follow from its text. Keyed
by strings, not by the key sets, so that the collector has nothing more to walk; kept since
most words of every lead are seen again and again."""


def _learned_arabic_name_marks(tok: Token) -> tuple[str, ...]:
    """The marks of an Arabic word rare in the background news, with and without clitics,
    kept for the next time the word is seen."""
    if len(_ARABIC_NAMES) >= ARABIC_NAMES_CACHED:
        _ARABIC_NAMES.clear()
    forms = () if _common_arabic(tok) else sorted(tok.exact)
    found = _ARABIC_NAMES[tok.text] = _shape_marks(forms)
    return found


def _common_arabic(tok: Token) -> bool:
    if len(tok.text) < 3:
        return True
    documents, df = background()
    stem = min(tok.stems or tok.exact, key=lambda key: (len(key), key))
    return df.get(stem, 0) >= COMMON_SHARE * documents
