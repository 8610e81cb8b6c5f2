"""Which rules are worth judging on each item of a batch, by the groups found in it.

A rule is worth judging when each of its clauses is met and none of its forbidden groups
(a `none` of groups) was found. Its clauses: the groups it requires, all of them; each
`any` of groups it needs, as many of them as that asks for; or, when it has neither, as
many of the groups it may hold with as it needs at least. A group counts only in the
fields it counts in there, and towards one clause.

Clauses are counted for all the items of a batch at once, from the table of where each
group was found. An `any` counted as a clause of its own keeps out rules that would be
judged and fail: at 10,000 generated rules, more than half of those judged before.

A rule's groups are numbered by clause (`clause_order`), so the table, read row by row,
meets each item's clauses in order: counting them is reading runs, with no sorting and
no table of every item by every clause (at 10,000 rules, 12 MB a batch of feed items).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from monitor.rules.expression import ALL_FIELDS, FieldsOf
from monitor.rules.predicate import condition_source, rule_predicate
from monitor.rules.ragged import Ints, rows_of, run_firsts
from monitor.rules.rule import Rule
from monitor.rules.scan import ScanBatch

Clause = tuple[FieldsOf, int]
"""Groups (local to their rule) with the fields each counts in, and how many must be
found."""


def clauses(rule: Rule) -> list[Clause]:
    """The clauses a rule's candidates must meet, no group in two of them."""
    expression = rule.expression
    required = expression.required_fields(ALL_FIELDS)
    found: list[Clause] = [(required, len(required))] if required else []
    used = set(required)
    for groups, least in expression.choices(ALL_FIELDS):
        if used.isdisjoint(groups):
            found.append((groups, least))
            used.update(groups)
    if not found:
        found.append((expression.positive_fields(ALL_FIELDS), expression.least_positive()))
    return found


def clause_order(rule: Rule, rule_clauses: Sequence[Clause]) -> list[int]:
    """The rule's groups (by their place in it) in the order they are numbered: those of
    its first clause (of `rule_clauses`, its `clauses`), then of the next, then those in
    no clause."""
    placed = [local for counted, _ in rule_clauses for local in sorted(counted)]
    return placed + [local for local in range(len(rule.groups)) if local not in placed]


SETTLED_GROUPS = 4
"""Rules of up to this many groups are tried on every finding (8 ** 4 of them) to tell
whether their clauses settle them."""

Shape = tuple[str, int, tuple[tuple[tuple[tuple[int, int], ...], int], ...], tuple[int, ...]]
"""Of a rule: its condition's source, its count of groups, its clauses and forbidden
groups."""


class Settled:
    """Tells the rules that hold by where their groups were found (their predicate,
    monitor.rules.predicate) exactly when they are candidates: their clauses met and no
    group they forbid found. A candidate of those needs no other test on the fields its
    groups were found in. Told by trying every finding, once for each shape of rule."""

    def __init__(self) -> None:
        self._shapes: dict[Shape, bool] = {}

    def __call__(self, rule: Rule, rule_clauses: Sequence[Clause]) -> bool:
        """Whether `rule`, whose `clauses` are `rule_clauses`, is settled by them."""
        count = len(rule.groups)
        if count > SETTLED_GROUPS or rule.spec.threshold is not None:
            return False
        shape: Shape = (
            condition_source(rule, range(count)),
            count,
            tuple((tuple(sorted(groups.items())), least) for groups, least in rule_clauses),
            tuple(sorted(rule.expression.forbidden_groups())),
        )
        settled = self._shapes.get(shape)
        if settled is None:
            settled = self._shapes[shape] = _settled(rule, shape)
        return settled


def _settled(rule: Rule, shape: Shape) -> bool:
    _, count, rule_clauses, forbidden = shape
    predicate = rule_predicate(rule, range(count))
    for found in product(range(ALL_FIELDS + 1), repeat=count):
        met = all(
            sum(bool(found[group] & fields) for group, fields in groups) >= least
            for groups, least in rule_clauses
        )
        candidate = met and not any(found[group] for group in forbidden)
        if bool(predicate(bytes(found))) != candidate:
            return False
    return True


class Candidates(NamedTuple):
    """Rules worth judging on the items of a batch: each one's rule and item, in order by
    item, then rule. Kept as arrays until rules are judged one by one, so that each step
    that rules some out reads them all at once."""

    rules: Ints
    items: Ints

    def where(self, kept: npt.NDArray[np.bool_]) -> Candidates:
        return Candidates(self.rules.compress(kept), self.items.compress(kept))

    def by_item(self, count: int) -> list[list[int]]:
        """The rules of each of `count` items."""
        rules: list[list[int]] = rows_of(self.rules, self.items, count)
        return rules


class CandidateIndex:
    """Each group's clause and fields, each clause's rule and least count."""

    def __init__(
        self,
        rules: Sequence[Rule],
        rule_groups: Sequence[Sequence[int]],
        rule_clauses: Sequence[Sequence[Clause]],
    ) -> None:
        """`rule_clauses`: each rule's `clauses`, which its groups were numbered by."""
        groups = sum(map(len, rule_groups))
        self._rules = len(rules)
        self._group_rule = np.zeros(groups, np.intp)
        self._group_clause = np.zeros(groups, np.intp)
        self._counted_in = np.zeros(groups, np.uint8)
        """The fields a group counts towards its clause in; 0: it does not count."""
        self._forbids = np.zeros(groups, bool)
        """Groups whose rule cannot hold when they are found in any field (a `none`)."""
        clause_rule: list[int] = []
        least: list[int] = []
        for rule_index, (rule, gids, found) in enumerate(
            zip(rules, rule_groups, rule_clauses, strict=True)
        ):
            self._group_rule[gids] = rule_index
            for counted, count in found:
                for local, fields in counted.items():
                    self._group_clause[gids[local]] = len(clause_rule)
                    self._counted_in[gids[local]] = fields
                clause_rule.append(rule_index)
                least.append(count)
            self._forbids[[gids[local] for local in rule.expression.forbidden_groups()]] = True
        self._clause_rule = np.array(clause_rule, np.intp)
        """Of each clause, its rule: a rule's clauses are numbered one after another."""
        self._least = np.array(least, np.intp)
        self._rule_clauses = np.bincount(self._clause_rule, minlength=len(rules))
        if (np.diff(self._group_clause[self._counted_in != 0]) < 0).any():
            raise ValueError("groups must be numbered by rule and clause (see clause_order)")

    def candidates(self, batch: ScanBatch) -> Candidates:
        """The rules worth judging on each item of the batch."""
        found, groups = batch.found, batch.found.shape[1]
        cells = batch.found_cells()
        items, present = _rows_and_columns(cells, len(found), groups)
        counted = (found.reshape(-1)[cells] & self._counted_in[present]) != 0
        # compress, not indexing by the mask: on such irregular masks numpy's boolean
        # indexing takes several times as long (at 10,000 rules, a quarter of this step).
        met = self._met(items.compress(counted), self._group_clause[present.compress(counted)])
        forbidden = self._forbids[present]
        # In order, by item then group, so by rule: groups are numbered by rule.
        ruled_out = (
            items.compress(forbidden) * self._rules + self._group_rule[present.compress(forbidden)]
        )
        chosen = met.compress(~_among(met, ruled_out))
        item_of, rule_of = _rows_and_columns(chosen, len(found), self._rules)
        return Candidates(rule_of, item_of)

    def _met(self, items: Ints, clause_of: Ints) -> Ints:
        """The cells (item × rule) of rules whose every clause is met, in order, given each
        group counted, in order: its item and its clause."""
        starts, counts = _runs(items * len(self._clause_rule) + clause_of)
        met = starts.compress(counts >= self._least[clause_of[starts]])
        # A rule's clauses are numbered one after another: by item then clause is by rule.
        rule_of = self._clause_rule[clause_of[met]]
        cells = items[met] * self._rules + rule_of
        starts, runs = _runs(cells)
        complete: Ints = cells[starts.compress(runs == self._rule_clauses[rule_of[starts]])]
        return complete


def _rows_and_columns(cells: Ints, rows: int, columns: int) -> tuple[Ints, Ints]:
    """The row and column of each of `cells` (in order) of a table of `rows` × `columns`:
    read from where each row's cells begin, which costs a third of dividing them all."""
    ends = cells.searchsorted(np.arange(1, rows + 1) * columns)
    row = np.arange(rows).repeat(np.diff(ends, prepend=0))
    return row, cells - row * columns


def _runs(ordered: Ints) -> tuple[Ints, Ints]:
    """Where each run of equal values of `ordered` (in order) starts, and how long it is."""
    starts = np.flatnonzero(run_firsts(ordered))
    return starts, np.diff(starts, append=len(ordered))


def _among(values: Ints, ordered: Ints) -> npt.NDArray[np.bool_]:
    """Which `values` are among the `ordered` ones."""
    if not len(ordered):
        return np.zeros(len(values), bool)
    at = np.minimum(ordered.searchsorted(values), len(ordered) - 1)
    found: npt.NDArray[np.bool_] = ordered[at] == values
    return found
