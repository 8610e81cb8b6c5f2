"""All rules compiled into one matcher: one pass over an item's words finds every term,
then only the rules whose required term groups all occurred are evaluated.

Every term is indexed under the key of its first word (see monitor.text.keys);
each distinct spelling of a word is analysed once and cached, so the cost of
matching grows with the text, not with the number of rules.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from itertools import chain

from monitor.item import Item, ItemField
from monitor.rules.expression import ALL_FIELDS, FIELD_BITS, Hits, TermHit
from monitor.rules.match import Hit, Match
from monitor.rules.pattern_set import PatternSet
from monitor.rules.rule import Rule
from monitor.rules.scan import ItemScan, Occurrence, SpellingIndex

TITLE, LEAD, BODY = (FIELD_BITS[f] for f in ItemField)
_PLACES = {
    0: (ItemField.TITLE, TITLE),
    1: (ItemField.LEAD, LEAD),
}


class Matcher:
    """Matches items against a fixed set of compiled rules."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = list(rules)
        self._by_id = {rule.id: index for index, rule in enumerate(self.rules)}
        self._index: dict[str, list[tuple[int, tuple[str, ...]]]] = defaultdict(list)
        self._term_ids: dict[tuple[str, ...], int] = {}
        self._group_terms: list[list[int]] = []
        self._term_groups: list[list[int]] = []
        self._owner: list[tuple[int, int]] = []
        self._rule_groups: list[list[int]] = []
        self._pattern_terms: list[int] = []
        sources: list[str] = []
        for rule_index, rule in enumerate(self.rules):
            self._rule_groups.append([])
            for local, group in enumerate(rule.groups):
                gid = len(self._owner)
                self._owner.append((rule_index, local))
                self._rule_groups[rule_index].append(gid)
                self._group_terms.append([])
                for term in group.terms:
                    self._add_term(term.keys, gid)
                for pattern in group.patterns:
                    self._add_pattern(len(sources), gid)
                    sources.append(pattern.source)
        self._patterns = PatternSet(sources)
        self._spellings = SpellingIndex(self._index)
        self._index_candidates()

    def _add_term(self, keys: tuple[str, ...], gid: int) -> None:
        term = self._term_ids.get(keys)
        if term is None:
            term = self._term_ids[keys] = len(self._term_groups)
            self._term_groups.append([])
            self._index[keys[0]].append((term, keys[1:]))
        if gid not in self._term_groups[term]:
            self._term_groups[term].append(gid)
            self._group_terms[gid].append(term)

    def _add_pattern(self, pattern: int, gid: int) -> None:
        # A pattern is a term of its own, under a key no word can have.
        term = self._term_ids[(f"\x00pattern{pattern}",)] = len(self._term_groups)
        self._term_groups.append([gid])
        self._group_terms[gid].append(term)
        self._pattern_terms.append(term)

    def _index_candidates(self) -> None:
        """Which rules each group can make worth evaluating."""
        required_by: list[list[int]] = [[] for _ in self._owner]
        triggered_by: list[list[int]] = [[] for _ in self._owner]
        self._required_count: list[int] = []
        for rule_index, rule in enumerate(self.rules):
            groups = self._rule_groups[rule_index]
            required = {groups[local] for local in rule.expression.required_groups()}
            self._required_count.append(len(required))
            for gid in required:
                required_by[gid].append(rule_index)
            if not required:
                for local in rule.expression.positive_groups():
                    triggered_by[groups[local]].append(rule_index)
        self._required_by = [tuple(rules) for rules in required_by]
        self._triggered_by = [tuple(rules) for rules in triggered_by]

    def match(self, item: Item) -> list[Match]:
        """Every rule that matches `item`, alerting or not, in rule order."""
        scan = self.scan(item)
        language = item.language
        results = []
        for rule_index in self.candidates(scan):
            if self.rules[rule_index].accepts(item, language):
                found = self.evaluate(rule_index, scan)
                if found:
                    results.append(found)
        return results

    def scan(self, item: Item) -> ItemScan:
        """Every term found in the item, with where it stands."""
        scan = ItemScan(item, self._spellings)
        if self._patterns:
            for text_id, text in enumerate(scan.texts):
                for pattern, first, last in self._patterns.find(text.normal_words()):
                    scan.add(self._pattern_terms[pattern], text_id, first, last)
        return scan

    def candidates(self, scan: ItemScan) -> list[int]:
        """Rules, in order, whose required groups were all found (or, without any, one group)."""
        present = self.present_groups(scan)
        counts = Counter(chain.from_iterable(map(self._required_by.__getitem__, present)))
        chosen = set(chain.from_iterable(map(self._triggered_by.__getitem__, present)))
        required = self._required_count
        chosen.update(rule for rule, count in counts.items() if count == required[rule])
        return sorted(chosen)

    def present_groups(self, scan: ItemScan) -> set[int]:
        """Every group that one of the item's terms belongs to."""
        return set(chain.from_iterable(map(self._term_groups.__getitem__, scan.occurrences)))

    def rule_index(self, rule_id: str) -> int:
        """The position of a rule by id; KeyError when there is none."""
        return self._by_id[rule_id]

    def rule(self, rule_id: str) -> Rule | None:
        """A rule by id, or None when the rules no longer hold it."""
        index = self._by_id.get(rule_id)
        return None if index is None else self.rules[index]

    def rule_hits(self, rule_index: int, scan: ItemScan) -> Hits:
        """The hits of one rule's groups, by the rule's own group index."""
        found: dict[int, list[TermHit]] = {}
        occurrences = scan.occurrences
        for local, gid in enumerate(self._rule_groups[rule_index]):
            hits = [
                self._term_hit(gid, occurrence, scan)
                for term in self._group_terms[gid]
                if term in occurrences
                for occurrence in occurrences[term]
            ]
            if hits:
                found[local] = hits
        return found

    def _term_hit(self, gid: int, occurrence: Occurrence, scan: ItemScan) -> TermHit:
        text_id, first, last = occurrence
        if text_id < 2:
            item_field, mask = _PLACES[text_id]
        elif first < scan.lead_words:
            item_field, mask = ItemField.LEAD, LEAD | BODY
        else:
            item_field, mask = ItemField.BODY, BODY
        return TermHit(gid, item_field, mask, text_id, first, last)

    def evaluate(self, rule_index: int, scan: ItemScan) -> Match | None:
        """The match of one rule on a scanned item, or None."""
        rule = self.rules[rule_index]
        local = self.rule_hits(rule_index, scan)
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
        return Match(rule.id, alert, score, severity, self.public_hits(result, scan))

    def public_hits(self, found: Sequence[TermHit], scan: ItemScan) -> tuple[Hit, ...]:
        """Hits as a reader sees them: field, character span and text, in reading order."""
        order = list(ItemField)
        unique: dict[tuple[ItemField, int, int], Hit] = {}
        for hit in found:
            start, end = scan.span(hit.text, hit.position, hit.last)
            key = (hit.field, start, end)
            if key not in unique:
                text = scan.sources[hit.text][start:end]
                unique[key] = Hit(hit.field, start, end, text, self.group_name(hit.group))
        return tuple(sorted(unique.values(), key=lambda h: (order.index(h.field), h.start)))

    def group_name(self, gid: int) -> str:
        rule_index, local = self._owner[gid]
        return self.rules[rule_index].groups[local].name
