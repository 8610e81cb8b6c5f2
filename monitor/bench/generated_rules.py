"""Rules written the way a person writes them about a story, generated from a corpus: its
vocabulary of mid-frequency words and phrases, deterministic rules around seed articles,
and the YAML files they are loaded from."""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from monitor.text.tokenizer import WORD_RE

SEED = 20240611
"""The random seed rules are generated with, so that every run measures the same rules."""

VOCAB_DF_BAND = (0.003, 0.03)
"""Mid-frequency: a word is in the vocabulary when 0.3%-3% of articles hold it."""

PHRASE_MIN_DF = 3
"""A corpus phrase is used when at least this many articles hold it."""

PHRASE_MAX_DF = 0.05
"""... and at most this fraction of them (no boilerplate)."""

FUNCTION_TOP, FUNCTION_MAX_LEN = 200, 4
"""Function words: among the 200 most frequent words and at most 4 letters long."""

SEED_ARTICLE_WORDS = 20
"""An article a rule is written around holds at least this many vocabulary words."""

_WORDISH = re.compile(r"[^\W\d_]{2,}")
_MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640\u200c\u200d"
_RUN_BREAK = re.compile(rf"[^\w{_MARKS}'\u2019 ]+| {{2,}}")
"""What ends a run of words for phrases: punctuation, line breaks, double spaces."""

# Kinds of word in a phrase candidate, as bits: a phrase ends in KNOWN or VOCAB words,
# holds a VOCAB word, and a FUNCTION word only in its middle.
_RARE, _KNOWN, _FUNCTION, _VOCAB = 0, 1, 2, 4


@dataclass
class Vocabulary:
    words: list[str]  # mid-frequency words, most frequent first
    word_set: frozenset[str]
    phrases: list[str]  # corpus phrases of 2-3 words
    doc_words: list[list[str]]  # per article: its vocabulary words, sorted
    doc_phrases: list[list[str]]  # per article: its phrases, sorted


@dataclass(frozen=True)
class _WordKinds:
    """Sorts words into the kinds a phrase is built from."""

    vocab: frozenset[str]
    function: frozenset[str]
    known: frozenset[str]

    def kind(self, word: str) -> int:
        if word in self.vocab:
            return _VOCAB
        if word in self.function:
            return _FUNCTION
        return _KNOWN if word in self.known else _RARE

    def phrases(self, text: str) -> set[str]:
        """Phrases of 2-3 adjacent words as a rule writer would write them: every word at
        least as frequent as the vocabulary, one of them in it, the first and last not
        function words."""
        found: set[str] = set()
        for run in _runs(text):
            kinds = [self.kind(w) for w in run]
            for i in range(len(run) - 1):
                a, b = kinds[i], kinds[i + 1]
                if a & 5 and b & 5 and (a | b) & _VOCAB:
                    found.add(f"{run[i]} {run[i + 1]}")
                c = kinds[i + 2] if i + 2 < len(run) else _RARE
                if a & 5 and b and c & 5 and (a | b | c) & _VOCAB:
                    found.add(f"{run[i]} {run[i + 1]} {run[i + 2]}")
        return found


def _is_wordish(word: str) -> bool:
    return len(word) >= 3 and _WORDISH.fullmatch(word) is not None


def _runs(text: str) -> Iterator[list[str]]:
    """Runs of words separated by single spaces only (no punctuation, no line break)."""
    for chunk in _RUN_BREAK.split(text):
        run = WORD_RE.findall(chunk)
        if len(run) >= 2:
            yield run


def build_vocabulary(texts: Sequence[str]) -> Vocabulary:
    """Mid-frequency words and the phrases holding them, overall and per article."""
    kinds, words = _word_kinds(texts)
    found = [kinds.phrases(text) for text in texts]  # once: the corpus's and each article's
    phrases = _corpus_phrases(found, len(texts))
    phrase_set = frozenset(phrases)
    doc_words = [sorted(set(WORD_RE.findall(text)) & kinds.vocab) for text in texts]
    doc_phrases = [sorted(each & phrase_set) for each in found]
    return Vocabulary(words, kinds.vocab, phrases, doc_words, doc_phrases)


def _word_kinds(texts: Sequence[str]) -> tuple[_WordKinds, list[str]]:
    """The kinds of the corpus's words, and its vocabulary, most frequent first."""
    df: Counter[str] = Counter()
    for text in texts:
        df.update(set(WORD_RE.findall(text)))
    low, high = (max(2, round(f * len(texts))) for f in VOCAB_DF_BAND)
    # function words: short and among the most frequent (في من على التي الذي ...)
    function = {w for w, _ in df.most_common(FUNCTION_TOP) if len(w) <= FUNCTION_MAX_LEN}
    vocab = [w for w, n in df.items() if low <= n <= high and _is_wordish(w)]
    vocab.sort(key=lambda w: (-df[w], w))
    # words a phrase may hold: none rarer than the vocabulary (keeps the count small)
    known = {w for w, n in df.items() if n >= low and _WORDISH.fullmatch(w)}
    return _WordKinds(frozenset(vocab), frozenset(function), frozenset(known)), vocab


def _corpus_phrases(each: Sequence[set[str]], texts: int) -> list[str]:
    """Of the phrases found in `each` of `texts` articles, those in PHRASE_MIN_DF articles
    or more and not too many, most frequent first."""
    df: Counter[str] = Counter()
    for phrases in each:
        df.update(phrases)
    high = max(PHRASE_MIN_DF, round(PHRASE_MAX_DF * texts))
    found = (p for p, n in df.items() if PHRASE_MIN_DF <= n <= high)
    return sorted(found, key=lambda p: (-df[p], p))


def _pick_terms(rng: random.Random, vocab: Vocabulary, doc: int, count: int) -> list[str]:
    """Mostly the seed article's own words and phrases, partly the whole vocabulary's."""
    topic_words, topic_phrases = vocab.doc_words[doc], vocab.doc_phrases[doc]
    terms: list[str] = []
    for _ in range(count * 3):
        if len(terms) >= count:
            break
        roll = rng.random()
        if roll < 0.15 and topic_phrases:
            term = rng.choice(topic_phrases)
        elif roll < 0.20 and vocab.phrases:
            term = rng.choice(vocab.phrases)
        elif roll < 0.75 and topic_words:
            term = rng.choice(topic_words)
        else:
            term = rng.choice(vocab.words)
        if term not in terms:
            terms.append(term)
    return terms


def _expression(rng: random.Random, names: list[str]) -> dict[str, Any]:
    """Compose the groups `names` with all / any / near / none."""
    options = _EXPRESSIONS[len(names)](names, lambda: rng.randint(4, 20))
    return rng.choice(options)


def _two(names: list[str], within: Callable[[], int]) -> list[dict[str, Any]]:
    a, b = names
    return [
        {"all": [a, b]},
        {"near": [a, b], "within": within()},
        {"near": [a, b], "within": within()},
        {"all": [a, b], "in": ["title", "lead"]},
    ]


def _three(names: list[str], within: Callable[[], int]) -> list[dict[str, Any]]:
    a, b, c = names
    return [
        {"all": [a, b, c]},
        {"all": [a, b], "none": [c]},
        {"near": [a, b], "within": within(), "none": [c]},
        {"all": [a, {"near": [b, c], "within": within()}]},
        {"all": [a, {"any": [b, c]}], "in": ["title", "lead"]},
        {"near": [a, b, c], "within": within()},
    ]


def _four(names: list[str], within: Callable[[], int]) -> list[dict[str, Any]]:
    a, b, c, d = names
    return [
        {"all": [a, b, {"any": [c, d]}]},
        {"all": [a, b, c], "none": [d]},
        {"near": [a, b, c], "within": within(), "none": [{"near": [d, a], "within": 5}]},
        {"all": [{"near": [a, b], "within": within()}, c], "none": [d]},
        {"any": [a, b, c, d], "at_least": 3},
        {"all": [a, b, {"any": [c, d], "in": ["title", "lead"]}]},
    ]


_EXPRESSIONS = {2: _two, 3: _three, 4: _four}


def generate_rules(vocab: Vocabulary, count: int, seed: int = SEED) -> list[dict[str, Any]]:
    """`count` rules as YAML data; the first n of them are the same whatever the count."""
    rng = random.Random(seed)
    seeds = [i for i, words in enumerate(vocab.doc_words) if len(words) >= SEED_ARTICLE_WORDS]
    return [_rule(rng, vocab, number, rng.choice(seeds)) for number in range(count)]


def _rule(rng: random.Random, vocab: Vocabulary, number: int, doc: int) -> dict[str, Any]:
    names = [f"g{k}" for k in range(rng.choice((2, 2, 3, 3, 3, 4)))]
    terms: dict[str, Any] = {}
    for name in names:
        group: dict[str, Any] = {"words": _pick_terms(rng, vocab, doc, rng.randint(2, 7))}
        if rng.random() < 0.4:
            group["mode"] = "exact"
        terms[name] = group
    rule: dict[str, Any] = {
        "id": f"gen-{number:04d}",
        "title": f"Generated rule {number} (from article {doc})",
        "severity": rng.choice(("low", "medium", "high", "critical")),
        "terms": terms,
        "match": _expression(rng, names),
    }
    if rng.random() < 0.2:
        rule["languages"] = ["ar"]
    if rng.random() < 0.35:
        rule["anchor"] = rng.choice((["title", "lead"], ["title", "lead"], ["title"]))
    return rule


def write_rules(rules: Iterable[dict[str, Any]], directory: Path) -> list[Path]:
    """One file per rule, as people keep them; the files in the order of `rules`."""
    paths = []
    for rule in rules:
        # libyaml's emitter: the pure one takes twice as long over 10,000 rules
        text = yaml.dump(
            rule, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False, width=1000
        )
        path = directory / f"{rule['id']}.yaml"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
