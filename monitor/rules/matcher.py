"""All rules compiled into one matcher: one pass over an item's words, then only the
rules whose terms occurred are evaluated.

Every term is indexed under the key of its first word (see monitor.text.keys);
each distinct spelling of a word is analysed once and cached, so the cost of
matching grows with the text, not with the number of rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from monitor.item import FieldTexts, Item, ItemField, field_texts
from monitor.rules.expression import ALL_FIELDS, FIELD_BITS, TermHit
from monitor.rules.match import Hit, Match
from monitor.rules.pattern_set import PatternSet
from monitor.rules.rule import Rule
from monitor.text.keys import WordKeys, analyze
from monitor.text.tokenizer import WORD_RE

CACHE_LIMIT = 500_000
"""Distinct word spellings remembered before the word cache starts afresh."""

TITLE, LEAD, BODY = (FIELD_BITS[f] for f in ItemField)

Start = tuple[int, tuple[str, ...]]
CacheEntry = tuple[tuple[WordKeys, tuple[Start, ...]], ...]
FieldOf = Callable[[int], tuple[ItemField, int]]
GroupHits = dict[int, list[TermHit]]


@dataclass
class ScannedText:
    """One text of an item: its words, their spans, and where terms may start."""

    words: list[WordKeys] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)
    starts: list[tuple[int, tuple[Start, ...]]] = field(default_factory=list)


class Matcher:
    """Matches items against a fixed set of compiled rules."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = list(rules)
        self._index: dict[str, list[Start]] = defaultdict(list)
        self._term_ids: dict[tuple[str, ...], int] = {}
        self._term_groups: list[list[int]] = []
        self._owner: list[tuple[int, int]] = []
        self._rule_groups: list[list[int]] = []
        self._pattern_groups: list[int] = []
        sources: list[str] = []
        for rule_index, rule in enumerate(self.rules):
            self._rule_groups.append([])
            for local, group in enumerate(rule.groups):
                gid = len(self._owner)
                self._owner.append((rule_index, local))
                self._rule_groups[rule_index].append(gid)
                for term in group.terms:
                    self._add_term(term.keys, gid)
                for pattern in group.patterns:
                    sources.append(pattern.source)
                    self._pattern_groups.append(gid)
        self._patterns = PatternSet(sources)
        self._cache: dict[str, CacheEntry] = {}

    def _add_term(self, keys: tuple[str, ...], gid: int) -> None:
        term = self._term_ids.get(keys)
        if term is None:
            term = self._term_ids[keys] = len(self._term_groups)
            self._term_groups.append([])
            self._index[keys[0]].append((term, keys[1:]))
        if gid not in self._term_groups[term]:
            self._term_groups[term].append(gid)

    def match(self, item: Item) -> list[Match]:
        """Every rule that matches `item`, alerting or not, in rule order."""
        texts = field_texts(item)
        hits = self.hits(texts)
        results = []
        for rule_index in sorted({self._owner[gid][0] for gid in hits}):
            if self.rules[rule_index].accepts(item):
                found = self.evaluate(rule_index, hits, texts)
                if found:
                    results.append(found)
        return results

    def rule_index(self, rule_id: str) -> int:
        """The position of a rule by id; KeyError when there is none."""
        for index, rule in enumerate(self.rules):
            if rule.id == rule_id:
                return index
        raise KeyError(rule_id)

    def evaluate(self, rule_index: int, hits: GroupHits, texts: FieldTexts) -> Match | None:
        """The match of one rule given the item's term hits, or None."""
        rule = self.rules[rule_index]
        local = self.rule_hits(rule_index, hits)
        result = rule.expression.evaluate(local, ALL_FIELDS, ALL_FIELDS)
        if result is None:
            return None
        score = float(sum(rule.groups[index].weight for index in local))
        if rule.spec.threshold is not None and score < rule.spec.threshold:
            return None
        alert = rule.anchor_mask == ALL_FIELDS or (
            rule.expression.evaluate(local, rule.anchor_mask, ALL_FIELDS) is not None
        )
        severity = rule.spec.severity if alert else rule.spec.mention_severity
        return Match(rule.id, alert, score, severity, self._public_hits(result, texts))

    def rule_hits(self, rule_index: int, hits: GroupHits) -> GroupHits:
        """The hits of one rule's groups, by the rule's own group index."""
        groups = self._rule_groups[rule_index]
        return {local: hits[gid] for local, gid in enumerate(groups) if gid in hits}

    def _public_hits(self, found: list[TermHit], texts: FieldTexts) -> tuple[Hit, ...]:
        sources = (texts.title, texts.lead, texts.body)
        unique = {(h.field, h.start, h.end): h for h in found}
        order = list(ItemField)
        return tuple(
            Hit(h.field, h.start, h.end, sources[h.text][h.start : h.end], self.group_name(h.group))
            for h in sorted(unique.values(), key=lambda h: (order.index(h.field), h.start))
        )

    def group_name(self, gid: int) -> str:
        rule_index, local = self._owner[gid]
        return self.rules[rule_index].groups[local].name

    def hits(self, texts: FieldTexts) -> GroupHits:
        """Every term group found in the item's texts, by global group id."""
        found: GroupHits = defaultdict(list)
        self._collect(found, texts.title, 0, lambda start: (ItemField.TITLE, TITLE))
        if not texts.lead_in_body:
            self._collect(found, texts.lead, 1, lambda start: (ItemField.LEAD, LEAD))
        lead_chars = texts.lead_chars

        def body_field(start: int) -> tuple[ItemField, int]:
            return (ItemField.LEAD, LEAD | BODY) if start < lead_chars else (ItemField.BODY, BODY)

        self._collect(found, texts.body, 2, body_field)
        return found

    def _collect(self, found: GroupHits, text: str, text_id: int, field_of: FieldOf) -> None:
        if not text:
            return
        scanned = self.scan(text)
        for groups, first, last in self._occurrences(scanned):
            start, end = scanned.spans[first][0], scanned.spans[last][1]
            item_field, mask = field_of(start)
            for gid in groups:
                found[gid].append(TermHit(gid, item_field, mask, text_id, first, start, end))

    def scan(self, text: str) -> ScannedText:
        """The words of `text` with their keys and spans, and the terms that may start there."""
        scanned = ScannedText()
        words, spans, starts = scanned.words, scanned.spans, scanned.starts
        cache = self._cache
        for m in WORD_RE.finditer(text):
            entry = cache.get(m.group())
            if entry is None:
                entry = self._remember(m.group())
            for word, word_starts in entry:
                if word_starts:
                    starts.append((len(words), word_starts))
                words.append(word)
                spans.append(m.span())
        return scanned

    def _remember(self, raw: str) -> CacheEntry:
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()
        entry = tuple((word, self._starts(word)) for word in analyze(raw))
        self._cache[raw] = entry
        return entry

    def _starts(self, word: WordKeys) -> tuple[Start, ...]:
        return tuple(start for key in word.keys for start in self._index.get(key, ()))

    def _occurrences(self, scanned: ScannedText) -> list[tuple[list[int], int, int]]:
        words = scanned.words
        found = []
        for position, word_starts in scanned.starts:
            for term, tail in word_starts:
                last = position + len(tail)
                if last < len(words) and all(
                    key in words[position + 1 + offset].keys for offset, key in enumerate(tail)
                ):
                    found.append((self._term_groups[term], position, last))
        for pattern, first, last in self._patterns.find(words):
            found.append(([self._pattern_groups[pattern]], first, last))
        return found
