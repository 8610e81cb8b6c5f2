"""Match keys of a word: the forms under which it can be found by a term.

An Arabic word is known by itself and by itself without attached clitics
(و ف ب ك ل ال ...); stemmed matching also drops light suffixes (ات ون ين ان ة,
and a pronoun, restoring the ة that a pronoun turns into ت). Nothing here
reduces a word to its root: ضربة and إضراب, السوداني and السودان stay apart.
Latin words are case-folded and stemmed with the Snowball English stemmer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import snowballstemmer

from monitor.text.normalizer import ARABIC_LETTERS, normalize
from monitor.text.tokenizer import words

STEM_MARK = "~"
"""Prefix that keeps stemmed keys apart from exact keys in one index."""

MIN_STEM = 3
"""Fewest letters left after removing a clitic or suffix (ال leaves 2)."""

_ARTICLE_PROCLITICS = ("وال", "فال", "بال", "كال", "وبال", "فبال", "وكال", "ولل", "فلل", "لل", "ال")
_LETTER_PROCLITICS = ("وب", "فب", "ول", "فل", "وك", "فك", "و", "ف", "ب", "ك", "ل")
_FUTURE_PREFIXES = ("وس", "فس", "س")
_IMPERFECT_LETTERS = "يتنا"
_PRONOUN_SUFFIXES = ("هما", "ها", "هم", "كم", "نا", "ه")
_NUMBER_SUFFIXES = ("ات", "ون", "ين", "ان", "ه")
_ACCUSATIVE = "ا"  # the alef that carries tanween fath: هجوماً
_ENGLISH = snowballstemmer.stemmer("english")

LONGEST_PREFIX = max(map(len, _ARTICLE_PROCLITICS + _LETTER_PROCLITICS + _FUTURE_PREFIXES))
"""The most letters `without_clitics` takes off the front of a word."""
LONGEST_TAIL = (
    len(_ACCUSATIVE) + max(map(len, _PRONOUN_SUFFIXES)) + max(map(len, _NUMBER_SUFFIXES)) + 1
)
"""The most letters `without_suffixes` takes off the end: an accusative alef, a pronoun, a
light suffix and a final ه, one each."""


_NO_KEYS: frozenset[str] = frozenset()


@dataclass(frozen=True)
class WordKeys:
    """The keys of one normalised word; `keys` holds exact and marked stem keys."""

    word: str
    keys: frozenset[str]


def is_arabic(word: str) -> bool:
    """Whether a normalised word is written in Arabic letters."""
    return bool(word) and word[0] in ARABIC_LETTERS


def _by_first(prefixes: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Prefixes by their first letter: a word is checked only against those it could start
    with (every word of every item not seen before is analysed)."""
    return {c: tuple(p for p in prefixes if p[0] == c) for c in {p[0] for p in prefixes}}


def _by_last(suffixes: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return {c: tuple(s for s in suffixes if s[-1] == c) for c in {s[-1] for s in suffixes}}


_ARTICLES_BY_FIRST = _by_first(_ARTICLE_PROCLITICS)
_LETTERS_BY_FIRST = _by_first(_LETTER_PROCLITICS)
_FUTURE_BY_FIRST = _by_first(_FUTURE_PREFIXES)
_PRONOUNS_BY_LAST = _by_last(_PRONOUN_SUFFIXES)
_NUMBERS_BY_LAST = _by_last(_NUMBER_SUFFIXES)
_TA_MARBUTA_BY_LAST = _by_last(("ه",))
_NO_AFFIXES: tuple[str, ...] = ()


def without_clitics(word: str) -> set[str]:
    """The word and each form of it with a clitic chain removed."""
    forms = {word}
    first = word[:1]
    for prefix in _ARTICLES_BY_FIRST.get(first, _NO_AFFIXES):
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            forms.add(word[len(prefix) :])
    for prefix in _LETTERS_BY_FIRST.get(first, _NO_AFFIXES):
        if word.startswith(prefix) and len(word) - len(prefix) >= MIN_STEM:
            forms.add(word[len(prefix) :])
    for prefix in _FUTURE_BY_FIRST.get(first, _NO_AFFIXES):
        rest = word[len(prefix) :]
        if word.startswith(prefix) and len(rest) > MIN_STEM and rest[0] in _IMPERFECT_LETTERS:
            forms.add(rest)
    return forms


def without_suffixes(word: str) -> set[str]:
    """The word and each form of it with a pronoun and/or a light suffix removed."""
    forms = {word}
    if word.endswith(_ACCUSATIVE) and len(word) > MIN_STEM:
        forms.add(word[:-1])
    for form in list(forms):
        _add_stripped(forms, form, _PRONOUNS_BY_LAST, ta_marbuta=True)
    for form in list(forms):
        _add_stripped(forms, form, _NUMBERS_BY_LAST, ta_marbuta=True)
    for form in list(forms):
        _add_stripped(forms, form, _TA_MARBUTA_BY_LAST, ta_marbuta=False)
    return forms


def _add_stripped(
    forms: set[str], word: str, suffixes: dict[str, tuple[str, ...]], *, ta_marbuta: bool
) -> None:
    """Add `word` without each of `suffixes` it ends in; with `ta_marbuta`, a form ending in
    ت also as ending in ة, since a suffix turns ة into ت (مسيرتين, قيادتها). Added in
    place: every word of every item not seen before is analysed, most of them to no form."""
    for suffix in suffixes.get(word[-1:], _NO_AFFIXES):
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            form = word[: -len(suffix)]
            forms.add(form)
            if ta_marbuta and form.endswith("ت"):
                forms.add(form[:-1] + "ه")


def english_exact(word: str) -> str:
    """A Latin word without its possessive ending."""
    for ending in ("'s", "\u2019s", "'", "\u2019"):
        if word.endswith(ending) and len(word) > len(ending):
            return word[: -len(ending)]
    return word


def word_keys(word: str) -> WordKeys:
    """Every key under which the normalised `word` can be matched."""
    if is_arabic(word):
        exact = without_clitics(word)
        stems = set().union(*(without_suffixes(form) for form in exact))
    else:
        exact = {english_exact(word)}
        stems = {_ENGLISH.stemWord(form) for form in exact}
    return WordKeys(word, frozenset(exact | {STEM_MARK + s for s in stems}))


def term_key(word: str, *, stemmed: bool) -> str:
    """The one key a rule's normalised term word is looked up by."""
    if is_arabic(word):
        base = word[2:] if word.startswith("ال") and len(word) >= 4 else word
        if not stemmed:
            return base
        for suffix in _NUMBER_SUFFIXES:
            if base.endswith(suffix) and len(base) - len(suffix) >= MIN_STEM:
                return STEM_MARK + base[: -len(suffix)]
        return STEM_MARK + base
    base = english_exact(word)
    return STEM_MARK + _ENGLISH.stemWord(base) if stemmed else base


@functools.lru_cache(maxsize=200_000)
def analyze(raw: str) -> tuple[WordKeys, ...]:
    """The keys of each word in one raw word (NFKC may split a ligature into words)."""
    return analyze_uncached(raw)


def analyze_uncached(raw: str, wanted: Callable[[str], bool] | None = None) -> tuple[WordKeys, ...]:
    """`analyze` without its cache, for the matcher's spelling index: it keeps what it
    learns itself, and a second copy would only give the garbage collector more to walk.
    A word for which `wanted` is False is given no keys (see monitor.text.key_sieve)."""
    parts = words(normalize(raw))
    if wanted is None:
        return tuple(map(word_keys, parts))
    return tuple(word_keys(part) if wanted(part) else WordKeys(part, _NO_KEYS) for part in parts)
