"""What each stem-mode term of the rules catches in a corpus, and which catches look like
other words that only share a stem with the term (أربعين and أربعة both give اربع).

A term catches the corpus words (or runs of words, for a phrase) that the matcher would
find it in: the words having the term's stem keys (`term_key`, `word_keys`). A catch is
flagged ⚠ as probably a different word when all of these hold:

1. none of its forms without clitics is the term's own (ال, و, ب... aside, it is not the term);
2. the term's key came from stripping a suffix (ين ون ان ات ة) off the term, and the catch
   does not carry that suffix or a sibling of it after the stem: ين ون ان stand for one
   another (cases of the plural and dual), ات ة ت likewise (a feminine word's plural,
   dual and pronoun forms). So أربعين's catches اربع and اربعه are flagged, اربعون not;
3. the stem does not end in ي: a nisba adjective's forms (صاروخي صاروخية صاروخيين) are
   all the same word;
4. no other term of the same group catches it unflagged: a word the group finds anyway
   (مسيرته through مسيرة as well as through مسيرتين) is not the fault of one term.

A term with no suffix stripped (هجوم, الدوري) never gets a flag, nor does an English term;
the heuristic misses collisions there (الدوري catches دوريه, a patrol) and flags some true
inflections (متظاهر for متظاهرين), so the report lists every catch for a person to decide.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.errors import Location
from monitor.item import Item
from monitor.rules.compiler import analyze_phrase
from monitor.rules.model import TermMode
from monitor.rules.rule import Rule, Term, TermGroup
from monitor.rules.yaml_file import KeyPath, YamlDocument, read_documents
from monitor.text.keys import STEM_MARK, is_arabic, term_key, without_clitics, word_keys
from monitor.text.normalizer import normalize
from monitor.text.tokenizer import words

FLAG = "⚠"
"""The mark of a catch that is probably a different word."""

_PLURAL_OR_DUAL = ("ين", "ون", "ان")
_FEMININE = ("ه", "ت", "ات")
_SIBLINGS = {"ين": _PLURAL_OR_DUAL, "ون": _PLURAL_OR_DUAL, "ان": _PLURAL_OR_DUAL}
_SIBLINGS |= {"ات": _FEMININE, "ه": _FEMININE}
"""A term's stripped suffix -> the endings after the stem that keep a catch the same word."""

Phrase = tuple[str, ...]
"""Normalised words in a row: a catch, one word per word of its term."""


@dataclass
class Corpus:
    """The normalised words of each text of a corpus, in order, and how often each occurs."""

    texts: list[list[str]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    items: int = 0

    @classmethod
    def of(cls, items: Iterable[Item]) -> Corpus:
        corpus = cls()
        for item in items:
            corpus.add(item)
        return corpus

    def add(self, item: Item) -> None:
        """Count the words of an item's title, summary and content."""
        self.items += 1
        for text in (item.title, item.summary, item.content):
            # Interned: a corpus repeats its words, and one string each keeps it small.
            found = [sys.intern(word) for word in words(normalize(text))]
            self.texts.append(found)
            self.counts.update(found)


class KeyIndex:
    """The keys of each corpus word, and the words having each stem key."""

    def __init__(self, counts: Iterable[str]) -> None:
        self.keys = {word: word_keys(word).keys for word in counts}
        self.words: dict[str, list[str]] = defaultdict(list)
        for word, keys in self.keys.items():
            for key in keys:
                if key.startswith(STEM_MARK):
                    self.words[key].append(word)


def find_catches(
    terms: Iterable[tuple[str, ...]], corpus: Corpus, index: KeyIndex
) -> dict[tuple[str, ...], Counter[Phrase]]:
    """What each term (by its keys) catches, with counts: single words from the index,
    phrases in one pass over the texts."""
    found: dict[tuple[str, ...], Counter[Phrase]] = {}
    phrases: list[tuple[str, ...]] = []
    for keys in set(terms):
        if len(keys) == 1:
            found[keys] = Counter({(w,): corpus.counts[w] for w in index.words.get(keys[0], ())})
        else:
            phrases.append(keys)
    found.update(_phrase_catches(phrases, corpus, index))
    return found


def _phrase_catches(
    phrases: Sequence[tuple[str, ...]], corpus: Corpus, index: KeyIndex
) -> dict[tuple[str, ...], Counter[Phrase]]:
    found: dict[tuple[str, ...], Counter[Phrase]] = {keys: Counter() for keys in phrases}
    starts: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for keys in phrases:
        for word in index.words.get(keys[0], ()):
            starts[word].append(keys)
    for text in corpus.texts:
        for position, word in enumerate(text):
            for keys in starts.get(word, ()):
                if _continues(text, position, keys, index):
                    found[keys][tuple(text[position : position + len(keys)])] += 1
    return found


def _continues(text: list[str], position: int, keys: tuple[str, ...], index: KeyIndex) -> bool:
    """Whether the words after `position` have the phrase's other keys, one each."""
    if position + len(keys) > len(text):
        return False
    return all(key in index.keys[text[position + n]] for n, key in enumerate(keys) if n)


def suspect_word(term_word: str, caught: str) -> bool:
    """Whether `caught` reaches the normalised term word's stem only through a different
    ending (rules 1 to 3 of the module docstring)."""
    if not is_arabic(term_word) or _exact_forms(term_word) & without_clitics(caught):
        return False
    stem = term_key(term_word, stemmed=True).removeprefix(STEM_MARK)
    suffix = term_key(term_word, stemmed=False).removeprefix(stem)
    if suffix not in _SIBLINGS or stem.endswith("ي"):
        return False
    endings = {form[len(stem) :] for form in without_clitics(caught) if form.startswith(stem)}
    return not any(ending.startswith(_SIBLINGS[suffix]) for ending in endings)


def _exact_forms(word: str) -> set[str]:
    """An Arabic term word without clitics, as exact matching knows it."""
    return without_clitics(word) | {term_key(word, stemmed=False)}


def suspect(term_words: Sequence[str], caught: Phrase) -> bool:
    """Whether any word of a catch is suspect for the term word it stands for."""
    return any(suspect_word(t, c) for t, c in zip(term_words, caught, strict=True))


@dataclass(frozen=True)
class Catch:
    """A word or phrase a term catches, how often it occurs, and whether it looks wrong."""

    words: Phrase
    count: int
    flagged: bool

    @property
    def text(self) -> str:
        return " ".join(self.words)

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "count": self.count, "flagged": self.flagged}


@dataclass(frozen=True)
class TermAudit:
    """One stem-mode term of a rule and what it catches, most frequent first."""

    rule: str
    group: str
    term: str
    location: Location
    catches: tuple[Catch, ...]

    @property
    def flagged(self) -> list[Catch]:
        return [catch for catch in self.catches if catch.flagged]

    def describe(self) -> str:
        """One line: `path:line: group 'g' term 'w' (stem): catches 2 words: a (3), b (1) ⚠`."""
        where = f"{self.location.path}:{self.location.line}"
        head = f"{where}: group '{self.group}' term '{self.term}' (stem)"
        if not self.catches:
            return f"{head}: catches nothing"
        unit = "word" if len(self.catches[0].words) == 1 else "phrase"
        plural = "" if len(self.catches) == 1 else "s"
        listed = ", ".join(_catch_text(catch) for catch in self.catches)
        return f"{head}: catches {len(self.catches)} {unit}{plural}: {listed}"

    def to_json(self) -> dict[str, Any]:
        return {
            "term": self.term,
            "location": str(self.location),
            "line": self.location.line,
            "catches": [catch.to_json() for catch in self.catches],
        }


def _catch_text(catch: Catch) -> str:
    return f"{catch.text} ({catch.count})" + (f" {FLAG}" if catch.flagged else "")


def audit_rules(rules: Sequence[Rule], corpus: Corpus, min_count: int = 1) -> list[TermAudit]:
    """Every stem-mode term of `rules` with its catches in `corpus` of at least `min_count`
    occurrences, rule by rule, group by group, in the order written."""
    index = KeyIndex(corpus.counts)
    groups = [(rule, group) for rule in rules for group in rule.groups if _stemmed(group)]
    found = find_catches((t.keys for _, g in groups for t in g.terms), corpus, index)
    places = {rule.id: term_locations(rule) for rule in rules}
    return [
        audit
        for rule, group in groups
        for audit in _audit_group(rule, group, found, places[rule.id], min_count)
    ]


def _stemmed(group: TermGroup) -> bool:
    return group.mode is TermMode.STEM and bool(group.terms)


def _audit_group(
    rule: Rule,
    group: TermGroup,
    found: dict[tuple[str, ...], Counter[Phrase]],
    places: dict[tuple[str, int], Location],
    min_count: int,
) -> list[TermAudit]:
    suspects = [_suspects(term, found[term.keys]) for term in group.terms]
    plain = _plain(group, found, suspects)
    return [
        TermAudit(
            rule.id,
            group.name,
            term.text,
            places.get((group.name, number), rule.location),
            _catches(found[term.keys], doubtful - plain, min_count),
        )
        for number, (term, doubtful) in enumerate(zip(group.terms, suspects, strict=True))
    ]


def _suspects(term: Term, caught: Counter[Phrase]) -> set[Phrase]:
    term_words = [word.word for word in analyze_phrase(term.text)]
    return {phrase for phrase in caught if suspect(term_words, phrase)}


def _plain(
    group: TermGroup, found: dict[tuple[str, ...], Counter[Phrase]], suspects: list[set[Phrase]]
) -> set[Phrase]:
    """What some term of the group catches as itself or an inflection (rule 4)."""
    return {
        caught
        for term, doubtful in zip(group.terms, suspects, strict=True)
        for caught in found[term.keys]
        if caught not in doubtful
    }


def _catches(caught: Counter[Phrase], flagged: set[Phrase], min_count: int) -> tuple[Catch, ...]:
    """The catches found at least `min_count` times, most frequent first."""
    catches = [Catch(words, n, words in flagged) for words, n in caught.items() if n >= min_count]
    return tuple(sorted(catches, key=lambda catch: (-catch.count, catch.text)))


def summary(corpus: Corpus, audits: Sequence[TermAudit]) -> str:
    """One line: how many terms were audited over how much text, and how many catches flagged."""
    flagged = sum(len(audit.flagged) for audit in audits)
    return (
        f"{len(audits)} stem-mode term(s) over {corpus.items} item(s), "
        f"{len(corpus.counts)} distinct words; {flagged} catch(es) flagged {FLAG}"
    )


def report_json(corpus: Corpus, audits: Sequence[TermAudit]) -> dict[str, Any]:
    """The whole report as one object: the corpus's size, then terms by rule and group."""
    rules: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for audit in audits:
        rules.setdefault(audit.rule, {}).setdefault(audit.group, []).append(audit.to_json())
    return {
        "corpus": {"items": corpus.items, "words": corpus.counts.total()},
        "flagged": sum(len(audit.flagged) for audit in audits),
        "rules": [
            {"id": rule, "groups": [{"name": g, "terms": terms} for g, terms in groups.items()]}
            for rule, groups in rules.items()
        ],
    }


def term_locations(rule: Rule) -> dict[tuple[str, int], Location]:
    """Where each word of each group of `rule` is written: (group, index) -> location."""
    located = _rule_document(rule)
    if located is None:
        return {}
    document, at = located
    places = {}
    for name, group in rule.spec.terms.items():
        prefix = (*at, "terms", name)
        if (*prefix, "words") in document.marks:
            prefix = (*prefix, "words")
        for number in range(len(group.words)):
            places[(name, number)] = document.locate((*prefix, number))
    return places


def _rule_document(rule: Rule) -> tuple[YamlDocument, KeyPath] | None:
    """The YAML document the rule was compiled from, and the rule's place in it."""
    for document in read_documents(Path(rule.location.path)):
        data = document.data
        places: list[KeyPath] = [(n,) for n in range(len(data))] if isinstance(data, list) else [()]
        for at in places:
            if document.locate(at) == rule.location:
                return document, at
    return None
