"""All rules compiled into one matcher: one look at an item's words finds the fields
every term group occurs in, then only rules whose required groups and needed `any`s of
groups occur, in fields they count in, are judged (monitor.rules.candidates).

Every term is indexed under the key of its first word (see monitor.text.keys);
each distinct spelling of a word is analysed once and cached, so the cost of
matching grows with the text, not with the number of rules. A candidate rule
is first judged by the fields its groups were found in (a compiled predicate),
which for a rule without `near` is the whole judgement; a rule's nears are tested
on the places where the batch's terms stand (monitor.rules.proximity), which settles
a rule of exact parts and plain nears, and any other rule with `near` that may hold
has its terms located word by word and its expression evaluated on them. A match finds
its hits when they are first read. Items are scanned, their candidates found and
their words located a batch at a time (see monitor.rules.scan); rules are judged
item by item.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence, Set
from functools import partial
from operator import itemgetter

import numpy as np
import numpy.typing as npt

from monitor.heap import collections_paused
from monitor.item import Item, field_texts
from monitor.rules.candidates import CandidateIndex, Candidates, Settled, clause_order, clauses
from monitor.rules.expression import ALL_FIELDS, Hits, TermHit
from monitor.rules.filters import RuleFilters
from monitor.rules.gate import PatternGates
from monitor.rules.match import Hit, Match, ShownHits
from monitor.rules.model import Severity
from monitor.rules.pattern_set import PatternSet
from monitor.rules.predicate import Predicate, anchor_predicate, rule_predicate
from monitor.rules.proximity import BatchNears, near_tests, settled_by_tests
from monitor.rules.rule import Rule
from monitor.rules.scan import ItemScan, ScanBatch, item_sources
from monitor.rules.scores import RuleScores
from monitor.rules.spellings import SpellingIndex

_READING_ORDER = [0, 0, 1, 0, 2, 0, 1, 0]
"""By a hit's field bits: its field's place in reading order (title, lead, body)."""
_BY_PLACE = itemgetter(0, 1)
"""Of a hit's key (field's place in reading order, start, end): where it is read."""

BATCH_CHARS = 100_000
"""Items are scanned together until their texts hold this many characters (about 18
articles, or 100 feed items), so that numpy's cost per call is paid once for many of
them: from 30,000 characters and 32 items, matching at 1,000 rules took about a tenth
less CPU, on articles and feed items alike."""

BATCH_ITEMS = 100
"""... and at most this many items, since a batch keeps a row of every group and every
term for each of its items, however short: at 10,000 rules, about 150 KB an item while it
is scanned, which a worker's heap keeps (9 MB more after 2,000 items than at 32)."""


def batches(items: Sequence[Item], limit: int | None = None) -> Iterator[list[Item]]:
    """`items` in order, in runs of at most `limit` characters (BATCH_CHARS unless told)
    and BATCH_ITEMS items; an item longer than that is a run of its own."""
    limit = BATCH_CHARS if limit is None else limit
    run: list[Item] = []
    size = 0
    for item in items:
        chars = len(item.title) + len(item.summary) + len(item.content)
        if run and (size + chars > limit or len(run) == BATCH_ITEMS):
            yield run
            run, size = [], 0
        run.append(item)
        size += chars
    if run:
        yield run


ByFields = tuple[str, Severity, Severity, Predicate | None]
"""Of a rule judged by fields: its id, the severities of an alert and of a mention, and
whether it may hold on its anchor's fields (exactly, for an exact rule; None: unanchored)."""


def _by_fields(rule: Rule, groups: Sequence[int]) -> ByFields:
    on_anchor = None if rule.anchor_mask == ALL_FIELDS else anchor_predicate(rule, groups)
    return rule.id, rule.spec.severity, rule.spec.mention_severity, on_anchor


class Matcher:
    """Matches items against a fixed set of compiled rules; one per thread, since matching
    learns new spellings into tables that it shares between items (and a match's hits,
    found when read, are read in the thread that matched it)."""

    @collections_paused()
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
        # Worked out once a rule: three steps read them, and at 10,000 rules reading them
        # for each step was a third of building the matcher.
        rule_clauses = [clauses(rule) for rule in self.rules]
        for rule_index, rule in enumerate(self.rules):
            gids = self._number_groups(rule_index, clause_order(rule, rule_clauses[rule_index]))
            for gid, group in zip(gids, rule.groups, strict=True):
                for term in group.terms:
                    self._add_term(term.keys, gid)
                for pattern in group.patterns:
                    self._add_pattern(len(sources), gid)
                    sources.append(pattern.source)
        self._patterns, self._pattern_gates = self._pattern_sets(sources)
        self._spellings = SpellingIndex(self._index, self._term_groups)
        self._group_names = [self.rules[rule].groups[local].name for rule, local in self._owner]
        settled = Settled()
        self._predicates = {
            index: rule_predicate(rule, groups)
            for index, (rule, groups) in enumerate(zip(self.rules, self._rule_groups, strict=True))
            if not settled(rule, rule_clauses[index])
        }
        """Of each rule that being a candidate does not settle, its predicate."""
        self._predicated = np.zeros(len(self.rules), bool)
        self._predicated[list(self._predicates)] = True
        self._candidates = CandidateIndex(self.rules, self._rule_groups, rule_clauses)
        self._filters = RuleFilters(self.rules)
        self._near_tests = [
            tuple(near_tests(rule.expression, [self._group_terms[gid] for gid in gids]))
            for rule, gids in zip(self.rules, self._rule_groups, strict=True)
        ]
        # Judged by where their groups were found alone: an exact rule, or one that holds
        # when its predicate does and its near tests pass (and alerts when they pass on its
        # anchor's fields as well).
        exact = [rule.expression.exact() for rule in self.rules]
        by_tests = [
            not is_exact and bool(tests) and settled_by_tests(rule.expression)
            for rule, is_exact, tests in zip(self.rules, exact, self._near_tests, strict=True)
        ]
        self._nears = BatchNears(
            self._near_tests, [rule.anchor_mask for rule in self.rules], len(self._term_groups)
        )
        self._placed = [not a and not b for a, b in zip(exact, by_tests, strict=True)]
        """Rules judged on where their terms stand, whose words are located first."""
        self._by_fields = [
            None if placed else _by_fields(rule, groups)
            for rule, groups, placed in zip(
                self.rules, self._rule_groups, self._placed, strict=True
            )
        ]
        """Of each rule judged by fields, what its match says but its score and whether
        it alerts (ByFields); None for the others. One object a rule, read for each of
        its matches: at 10,000 rules, most of a match's cost is reading what its rule
        keeps, afresh."""
        self._scores = RuleScores(self.rules, self._rule_groups)
        self._sentence_rules = {
            index for index, rule in enumerate(self.rules) if rule.expression.uses_sentences()
        }

    def _number_groups(self, rule_index: int, order: Sequence[int]) -> list[int]:
        """Give the rule's groups ids after the last rule's, in `order` (its clause_order);
        the id of each, in the rule's order."""
        first = len(self._owner)
        gids = [0] * len(order)
        for number, local in enumerate(order):
            gids[local] = first + number
        self._owner += [(rule_index, local) for local in order]
        self._group_terms += [[] for _ in order]
        self._rule_groups.append(gids)
        return gids

    def _add_term(self, keys: tuple[str, ...], gid: int) -> None:
        term = self._term_ids.get(keys)
        if term is None:
            term = self._term_ids[keys] = len(self._term_groups)
            self._term_groups.append([])
            self._index[keys[0]].append((term, keys[1:]))
        if gid not in self._term_groups[term]:
            self._term_groups[term].append(gid)
            self._group_terms[gid].append(term)

    def _pattern_sets(self, sources: list[str]) -> tuple[PatternSet, PatternGates]:
        """One set of patterns a rule that has any, with its gates (monitor.rules.gate)."""
        chunks: list[list[int]] = []
        gated: list[tuple[Rule, list[int]]] = []
        first = 0
        for rule_index, rule in enumerate(self.rules):
            count = sum(len(group.patterns) for group in rule.groups)
            if count:
                chunks.append(list(range(first, first + count)))
                gated.append((rule, self._rule_groups[rule_index]))
            first += count
        return PatternSet(sources, chunks), PatternGates(gated)

    def _add_pattern(self, pattern: int, gid: int) -> None:
        # A pattern is a term of its own, under a key no word can have.
        term = self._term_ids[(f"\x00pattern{pattern}",)] = len(self._term_groups)
        self._term_groups.append([gid])
        self._group_terms[gid].append(term)
        self._pattern_terms.append(term)

    def match(self, item: Item) -> list[Match]:
        """Every rule that matches `item`, alerting or not, in rule order."""
        return self.match_many([item])[0]

    def match_many(self, items: Sequence[Item]) -> list[list[Match]]:
        """`match` of each item, scanned a batch at a time."""
        found: list[list[Match]] = []
        for batch_items in batches(items):
            batch = self._scan_batch(batch_items)
            scans = batch.item_scans()
            possible, quiet = self._worth_judging(batch, batch_items, scans)
            count = len(batch_items)
            rules_of = possible.by_item(count)
            placed = self._placed
            batch.locate(
                {
                    n: self._terms_to_locate([rule for rule in rules if placed[rule]], scans[n])
                    for n, rules in enumerate(rules_of)
                    if rules
                }
            )
            scores = self._scores.of(batch.found, possible, count)
            quiet_of = map(set, possible.where(quiet).by_item(count))
            found += map(self._judge, rules_of, scores, scans, quiet_of)
        return found

    def _worth_judging(
        self, batch: ScanBatch, items: Sequence[Item], scans: Sequence[ItemScan]
    ) -> tuple[Candidates, npt.NDArray[np.bool_]]:
        """The rules that may hold on each item by the fields their groups were found in
        and by their near tests, and whose filters let it through; and which of them are
        anchored rules whose tests fail on their anchor's fields."""
        candidates = self._candidates.candidates(batch)
        possible = candidates.where(self._admitted(candidates, items, scans))
        if not len(possible.rules):
            return possible, np.zeros(0, bool)
        batch.keep_terms()
        return self._nears.passing(batch, possible)

    def _admitted(
        self, candidates: Candidates, items: Sequence[Item], scans: Sequence[ItemScan]
    ) -> npt.NDArray[np.bool_]:
        """Of each candidate, whether its rule's filters let its item through and its
        predicate, when being a candidate does not settle the rule, holds on the fields
        its groups were found in."""
        admitted = self._filters.admitted(items, candidates)
        tested = np.flatnonzero(admitted & self._predicated[candidates.rules])
        predicates = self._predicates
        admitted[tested] = [
            predicates[rule](scans[item].found_bytes())
            for rule, item in zip(
                candidates.rules[tested].tolist(), candidates.items[tested].tolist(), strict=True
            )
        ]
        return admitted

    def learn(self, items: Sequence[Item]) -> None:
        """Learn the spellings of the items' words without matching them. A worker learns
        the items each work-horse matched, which it forked without them and which forgets
        what it learned when it ends: the next horses start knowing them."""
        self._spellings.begin_batch()
        texts = [text for item in items for text in item_sources(field_texts(item))]
        self._spellings.words_in("\n".join(texts))

    def scan(self, item: Item) -> ItemScan:
        """The fields every term group was found in; terms are located on demand."""
        return self._scan_batch([item]).item_scans()[0]

    def _scan_batch(self, items: Sequence[Item]) -> ScanBatch:
        groups = len(self._owner)
        return ScanBatch(
            items,
            self._spellings,
            groups,
            (self._patterns, self._pattern_terms, self._pattern_gates),
        )

    def _locate(self, rules: Sequence[int], scan: ItemScan) -> None:
        """Locate the terms of the groups of `rules` that were found."""
        scan.locate(self._terms_to_locate(rules, scan))

    def _terms_to_locate(self, rules: Sequence[int], scan: ItemScan) -> set[int]:
        """The terms of the found groups of those of `rules` not yet located."""
        todo = [rule for rule in rules if rule not in scan.located_rules]
        if not todo:
            return set()
        scan.located_rules.update(todo)
        found = scan.found_bytes()
        groups = [gid for rule in todo for gid in self._rule_groups[rule] if found[gid]]
        return set().union(*map(self._group_terms.__getitem__, groups))

    def rule_index(self, rule_id: str) -> int:
        """The position of a rule by id; KeyError when there is none."""
        return self._by_id[rule_id]

    def rule(self, rule_id: str) -> Rule | None:
        """A rule by id, or None when the rules no longer hold it."""
        index = self._by_id.get(rule_id)
        return None if index is None else self.rules[index]

    def rule_hits(self, rule_index: int, scan: ItemScan) -> Hits:
        """The hits of one rule's groups, by the rule's own group index."""
        self._locate([rule_index], scan)
        return self._located_hits(rule_index, scan)

    def _located_hits(self, rule_index: int, scan: ItemScan) -> dict[int, list[TermHit]]:
        found: dict[int, list[TermHit]] = {}
        placed, present = scan.placed, scan.occurrences
        for local, gid in enumerate(self._rule_groups[rule_index]):
            hits = [
                TermHit(gid, *place)
                for term in self._group_terms[gid]
                if term in present
                for place in placed(term)
            ]
            if hits:
                found[local] = hits
        if rule_index in self._sentence_rules:
            for hits in found.values():
                for hit in hits:
                    hit.sentence = scan.sentence_of(hit.text, hit.position)
        return found

    def evaluate(self, rule_index: int, scan: ItemScan) -> Match | None:
        """The match of one rule on a scanned item, or None."""
        self._locate([rule_index], scan)
        return self._judge_located(rule_index, scan)

    def _judge(
        self, rules: Sequence[int], scores: Sequence[float], scan: ItemScan, quiet: Set[int]
    ) -> list[Match]:
        """The matches of `rules` on one item: rules that may hold by where their groups
        were found (`_admitted`) and whose near tests passed, their terms located if they
        are judged on them; `scores`: each one's score by the fields its groups were found
        in (RuleScores); `quiet`: the rules whose tests failed on their anchor's fields.

        A rule judged by fields (an exact one whose predicate holds, or one settled by its
        near tests) holds: whether it alerts follows from the fields each group was found
        in, as `_judge_located` would find it. One loop an item, with what it reads held
        in locals: at 10,000 rules an article has some 55 matches, and a call for each
        cost a twentieth of matching it."""
        matches: list[Match] = []
        if not rules:
            return matches
        by_fields, found_hits, found = self._by_fields, self._found_hits, scan.found_bytes()
        for rule_index, score in zip(rules, scores, strict=True):
            said = by_fields[rule_index]
            if said is None:
                match = self._judge_located(rule_index, scan)
                if match is not None:
                    matches.append(match)
                continue
            rule_id, severity, mention, on_anchor = said
            alert = rule_index not in quiet and (on_anchor is None or on_anchor(found))
            hits = partial(found_hits, rule_index, scan)
            matches.append(Match(rule_id, alert, score, severity if alert else mention, hits))
        return matches

    def _found_hits(self, rule_index: int, scan: ItemScan) -> ShownHits:
        """The hits of a rule that holds on `scan`, located now."""
        self._locate([rule_index], scan)
        local = self._located_hits(rule_index, scan)
        result = self.rules[rule_index].expression.evaluate(local, ALL_FIELDS, ALL_FIELDS)
        return self.public_hits(result or (), scan)

    def _judge_located(self, rule_index: int, scan: ItemScan) -> Match | None:
        """The match of a rule whose terms are located."""
        rule = self.rules[rule_index]
        local = self._located_hits(rule_index, scan)
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
        return Match(rule.id, alert, score, severity, partial(self.public_hits, result, scan))

    def public_hits(self, found: Sequence[TermHit], scan: ItemScan) -> ShownHits:
        """Hits as a reader sees them: field, character span and text, in reading order."""
        unique: dict[tuple[int, int, int], Hit] = {}
        texts, sources, order = scan.texts, scan.sources, _READING_ORDER
        for hit in found:
            key = (order[hit.mask], *texts[hit.text].span(hit.position, hit.last))
            if key not in unique:
                _, start, end = key
                text = sources[hit.text][start:end]
                unique[key] = Hit(hit.field, start, end, text, self._group_names[hit.group])
        return tuple(map(unique.__getitem__, sorted(unique, key=_BY_PLACE)))
