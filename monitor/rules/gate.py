"""When a rule's regular expressions are worth running on an item: the groups of plain
words (no patterns) that some way of the rule's expression holding needs, all found.

A gate is a list of alternatives, each a set of word groups; an item opens the gate when
every group of one alternative was found in it. An empty alternative always opens: a
rule that can hold on its patterns alone has its patterns run on every item.

An anchored rule alerts only on what its title and lead hold, so its patterns are read
first there; the rest of the body is read (for the exclusions and the mentions it may
hold) only where every group of one alternative, patterns included, was found by then.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import accumulate, product

import numpy as np
import numpy.typing as npt

from monitor.item import ItemField
from monitor.rules.expression import (
    ALL_FIELDS,
    FIELD_BITS,
    AllOf,
    AnyOf,
    GroupRef,
    Near,
    Node,
    NoneOf,
    Scoped,
)
from monitor.rules.rule import Rule

Gate = list[frozenset[int]]

MAX_ALTERNATIVES = 32
"""Past this many alternatives a gate keeps only what every alternative needs."""

_OPEN: Gate = [frozenset()]


def gate(node: Node, plain: Callable[[int], bool]) -> Gate:
    """The alternatives of `node`; `plain(group)` tells a group of words only."""
    if isinstance(node, GroupRef):
        return [frozenset({node.group})] if plain(node.group) else _OPEN
    if isinstance(node, Scoped):
        return gate(node.child, plain)
    if isinstance(node, NoneOf):
        return _OPEN
    children = [gate(child, plain) for child in node.children]
    if isinstance(node, AnyOf):
        return _simplest([alternative for child in children for alternative in child])
    if isinstance(node, (AllOf, Near)):
        return _all_of(children)
    return _OPEN


def _all_of(children: list[Gate]) -> Gate:
    count = 1
    for child in children:
        count *= len(child)
    if count > MAX_ALTERNATIVES:
        return [frozenset().union(*(frozenset.intersection(*child) for child in children))]
    return _simplest([frozenset().union(*choice) for choice in product(*children)])


def _simplest(alternatives: Gate) -> Gate:
    """The alternatives without those that need more than another one does."""
    if frozenset() in alternatives:
        return _OPEN
    unique = sorted(set(alternatives), key=len)
    kept: Gate = []
    for alternative in unique:
        if not any(other <= alternative for other in kept):
            kept.append(alternative)
    return kept


def needs_body(node: Node, patterned: Callable[[int], bool], in_body: bool = False) -> bool:
    """Whether a part of `node` asks outright for a group with patterns in the body
    (`in: [body]`): such a rule's patterns are read in the whole body from the start."""
    if isinstance(node, GroupRef):
        return in_body and patterned(node.group)
    if isinstance(node, Scoped):
        return needs_body(node.child, patterned, bool(node.mask & FIELD_BITS[ItemField.BODY]))
    return any(needs_body(child, patterned, in_body) for child in node.children)


class GateTable:
    """Gates of several pattern sets as one table, so that which sets each item opens is a
    few array operations for a whole batch."""

    def __init__(self, gates: Sequence[Sequence[Sequence[int]]]) -> None:
        chunk_of = [chunk for chunk, alternatives in enumerate(gates) for _ in alternatives]
        rows = [need for alternatives in gates for need in alternatives]
        self._always = sorted({chunk_of[row] for row, need in enumerate(rows) if not need})
        """The sets an empty alternative opens for every item."""
        needy = [row for row, need in enumerate(rows) if need]
        # Only the groups each alternative needs are read, for all items at once: a product
        # with a table of every group by every alternative cost as the square of the rules
        # with patterns (73 ms a batch at 140 of them, in numpy's loop for integers).
        self._cells = np.array([gid for row in needy for gid in rows[row]], np.intp)
        """The groups each alternative needs, alternative by alternative: only they are read
        from the batch's table."""
        sizes = [len(rows[row]) for row in needy]
        self._starts = np.array([0, *accumulate(sizes)][:-1], np.intp)
        """Where each alternative's groups begin in `_cells`."""
        self._chunk = np.array([chunk_of[row] for row in needy], np.intp)
        self._chunks = len(gates)

    def open(self, found: npt.NDArray[np.uint8]) -> list[list[int]]:
        """For each row of `found` (an item's field bits by group), the sets it opens."""
        opened = np.zeros((len(found), self._chunks), bool)
        opened[:, self._always] = True
        if len(self._cells):
            present = found[:, self._cells] != 0
            whole = np.logical_and.reduceat(present, self._starts, axis=1)  # item x alternative
            items, alternatives = whole.nonzero()
            opened[items, self._chunk[alternatives]] = True
        return [row.nonzero()[0].tolist() for row in opened]


class PatternGates:
    """The gates of each rule's pattern set, by global group id, and whether the set is read
    in the lead first (anchored rules) or in the whole body at once."""

    def __init__(self, rules: Sequence[tuple[Rule, Sequence[int]]] = ()) -> None:
        """`rules`: each rule that has patterns, with the global ids of its groups."""
        words: list[list[list[int]]] = []
        rest: list[list[list[int]]] = []
        self.lead_first: list[bool] = []
        for rule, gids in rules:
            patterned = [bool(group.patterns) for group in rule.groups]
            plain = [not patterns for patterns in patterned]
            words.append(_global(gate(rule.expression, plain.__getitem__), gids))
            rest.append(_global(gate(rule.expression, lambda local: True), gids))
            anchored = rule.anchor_mask != ALL_FIELDS
            body = needs_body(rule.expression, patterned.__getitem__)
            self.lead_first.append(anchored and not body)
        self.words = GateTable(words)
        """Alternatives of word groups: whether a set is read at all."""
        self.rest = GateTable(rest)
        """Alternatives of all groups: whether a lead-first set reads the rest of the body."""


def _global(alternatives: Gate, gids: Sequence[int]) -> list[list[int]]:
    return [sorted(gids[local] for local in need) for need in alternatives]
