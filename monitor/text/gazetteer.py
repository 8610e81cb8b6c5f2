"""The bilingual gazetteer: places, bases, people, groups and event words under one mark each.

An alias is matched word by word on lookup keys, so that clitics (وبغداد, لبغداد)
and Latin spelling noise (Kata'ib, al-Assad) do not hide a concept.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import snowballstemmer
import yaml

from monitor.text.keys import STEM_MARK, analyze, english_exact, is_arabic, term_key
from monitor.text.normalizer import normalize
from monitor.text.tokenizer import words

_ENGLISH = snowballstemmer.stemmer("english")


@dataclass(frozen=True)
class Concept:
    """One thing an item can be about, with the mark it leaves and what that mark weighs."""

    name: str
    kind: str
    mark: str
    weight: float
    implies: tuple[str, ...] = ()
    counted: bool = False


@dataclass(frozen=True)
class Token:
    """One word of an item with its lookup keys; `capital` tells English names."""

    text: str
    arabic: bool
    exact: frozenset[str]
    stems: frozenset[str]
    capital: bool = False


@dataclass(frozen=True)
class Alias:
    """One spelling of a concept as keys, one per word."""

    concept: Concept
    keys: tuple[str, ...]
    stem: bool
    capital: bool
    strict: bool
    unless: frozenset[str]


RANKED_CACHED = 200_000
"""Words kept with the aliases that may begin at them: as many as `token` keeps; most
words begin none and share the one empty list."""

Ranked = tuple[Alias, int, int]
"""An alias with its number of words and of letters, which rank it against others."""

_NONE: list[Ranked] = []


@dataclass(frozen=True)
class Match:
    """An alias found at tokens[start:end]."""

    alias: Alias
    start: int
    end: int


@functools.lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """A Latin key without accents, apostrophes or doubled letters (Kata'ib, Assad, Erdoğan)."""
    if is_arabic(word):
        return word
    plain = unicodedata.normalize("NFKD", word.replace("ı", "i"))
    kept = [c for c in plain if c.isalnum() and not unicodedata.combining(c)]
    return "".join(c for i, c in enumerate(kept) if i == 0 or c != kept[i - 1] or not c.isalpha())


@functools.lru_cache(maxsize=200_000)
def token(raw: str) -> tuple[Token, ...]:
    """The tokens of one raw word (a ligature may hold several)."""
    capital = raw[:1].isupper()
    found = []
    for word in analyze(raw):
        exact = {key for key in word.keys if not key.startswith(STEM_MARK)}
        stems = {key[1:] for key in word.keys if key.startswith(STEM_MARK)}
        found.append(
            Token(
                text=word.word,
                arabic=is_arabic(word.word),
                exact=frozenset(fold(key) for key in exact),
                stems=frozenset(fold(key) for key in stems),
                capital=capital,
            )
        )
    return tuple(found)


def alias_keys(alias: str, *, stem: bool, article: bool) -> tuple[str, ...]:
    """The lookup key of each word of an alias, as `token` gives them for an item."""
    keys = []
    for word in words(normalize(alias)):
        if is_arabic(word):
            key = word if article and not stem else term_key(word, stemmed=stem)
            keys.append(key.removeprefix(STEM_MARK))
        else:
            plain = english_exact(word)
            keys.append(fold(_ENGLISH.stemWord(plain) if stem else plain))
    return tuple(keys)


class Gazetteer:
    """Aliases indexed by their first key, with each mark's weight and kind."""

    def __init__(self, concepts: Iterable[Concept], aliases: Iterable[Alias], common: str) -> None:
        self.concepts = {concept.name: concept for concept in concepts}
        self.weights = {concept.mark: concept.weight for concept in self.concepts.values()}
        self.kinds = {concept.mark: concept.kind for concept in self.concepts.values()}
        self.common_en = frozenset(fold(word) for word in common.split())
        self._counts: dict[str, Concept] = {}
        self._exact_index: dict[str, list[Ranked]] = {}
        self._stem_index: dict[str, list[Ranked]] = {}
        for alias in aliases:
            index = self._stem_index if alias.stem else self._exact_index
            index.setdefault(alias.keys[0], []).append((alias, len(alias.keys), _spelled(alias)))
            if alias.concept.kind == "number" and len(alias.keys) == 1 and not alias.stem:
                self._counts[alias.keys[0]] = alias.concept
        self._ranked: dict[str, list[Ranked]] = {}
        """The aliases that may begin at a word, by its text (see _rank)."""

    def marks(self, concept: Concept) -> list[str]:
        """The concept's mark and the marks of what holds it."""
        held = [self.concepts[name].mark for name in concept.implies]
        return [concept.mark, *held]

    def count(self, tok: Token) -> Concept | None:
        """The number a word is on its own: a dual (مسيرتين) that a longer alias took."""
        return next((self._counts[key] for key in tok.exact if key in self._counts), None)

    def find(self, tokens: Sequence[Token]) -> list[Match]:
        """Aliases found in `tokens`, left to right, the longest at each place."""
        found = []
        end = 0
        for i in self._starts(tokens):
            if i >= end:
                match = self._longest(tokens, i)
                if match:
                    found.append(match)
                    end = match.end
        return found

    def _starts(self, tokens: Sequence[Token]) -> list[int]:
        """Where an alias may begin: at a word with a key that begins one."""
        known = self._ranked
        return [
            i
            for i, tok in enumerate(tokens)
            if (ranked := known.get(tok.text)) or (ranked is None and self._rank(tok))
        ]

    def _longest(self, tokens: Sequence[Token], i: int) -> Match | None:
        """The alias that covers most words at i; of equal ones the longest spelled, so that
        الاثنين (Monday, article kept) wins over اثنين (two) whatever the order of keys."""
        first = tokens[i]
        ranked = self._ranked.get(first.text)
        for alias, length, _ in self._rank(first) if ranked is None else ranked:
            if _fits(alias, tokens, i):
                return Match(alias, i, i + length)
        return None

    def _rank(self, tok: Token) -> list[Ranked]:
        """The aliases that may begin at a word, longest first, and kept by its text (its
        keys follow from it): ranking them at each word of every alerting item took a
        third of its event marks. A stable sort keeps the first found of equal rank, as
        the look-up by key did."""
        if len(self._ranked) >= RANKED_CACHED:
            self._ranked.clear()
        found = [
            ranked
            for index, keys in ((self._exact_index, tok.exact), (self._stem_index, tok.stems))
            for key in keys
            for ranked in index.get(key, ())
        ]
        found.sort(key=lambda ranked: (ranked[1], ranked[2]), reverse=True)
        self._ranked[tok.text] = found = found or _NONE
        return found


def _spelled(alias: Alias) -> int:
    return sum(map(len, alias.keys))


def _fits(alias: Alias, tokens: Sequence[Token], i: int) -> bool:
    end = i + len(alias.keys)
    if end > len(tokens) or (alias.capital and not tokens[i].capital):
        return False
    for key, tok in zip(alias.keys[1:], tokens[i + 1 : end], strict=True):
        if key not in (tok.stems if alias.stem else tok.exact):
            return False
    after = tokens[end] if end < len(tokens) else None
    return not (after and alias.unless and after.exact & alias.unless)


@functools.lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The gazetteer shipped with the monitor."""
    path = resources.files("monitor.data").joinpath("gazetteer.yaml")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # ten times faster when built
    return parse(yaml.load(path.read_text(encoding="utf-8"), Loader=loader))


def parse(data: dict[str, Any]) -> Gazetteer:
    """A gazetteer from the parsed YAML document."""
    kinds = {kind: (str(prefix), float(weight)) for kind, (prefix, weight) in data["kinds"].items()}
    concepts, aliases = [], []
    for name, spec in data["concepts"].items():
        prefix, weight = kinds[spec["kind"]]
        concept = Concept(
            name=str(name),
            kind=spec["kind"],
            mark=f"{prefix}:{spec.get('value', name)}",
            weight=float(spec.get("weight", weight)),
            implies=tuple(spec.get("in", ())),
            counted=bool(spec.get("counted", False)),
        )
        concepts.append(concept)
        aliases += _aliases(concept, spec)
    return Gazetteer(concepts, aliases, str(data.get("common_en", "")))


def _aliases(concept: Concept, spec: dict[str, Any]) -> list[Alias]:
    stem = bool(spec.get("stem", concept.kind == "event"))
    strict = {normalize(text) for text in spec.get("strict", ())}
    unless = frozenset(normalize(text) for text in spec.get("unless", ()))
    found = {}
    for text in [*spec.get("ar", ()), *spec.get("en", ())]:
        keys = alias_keys(text, stem=stem, article=bool(spec.get("article", False)))
        if not keys:
            continue
        proper = concept.kind not in ("event", "number", "ordinal")
        capital = proper and not is_arabic(keys[0]) and text[:1].isupper()
        found[keys, capital] = Alias(
            concept, keys, stem, capital, normalize(text) in strict, unless
        )
    return list(found.values())
