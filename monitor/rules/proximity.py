"""A first, cheap test of a rule's `near` parts: whether their groups' terms stand within
reach of each other anywhere, read from the places the scan found them at.

Of the rules whose groups an article holds, most of those with a `near` still fail on
distance; judging them in full makes a hit of every place of every group first. The
test looks for a window as Near.evaluate does (expression.covering_windows), on the
places alone, so a False from it is the same as the rule's expression not holding; for a
rule whose other parts are exact, a True is the same as its holding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitor.rules.expression import AllOf, GroupRef, Near, Node, covering_windows
from monitor.rules.scan import Occurrence, Occurrences

PAIRED_AT_MOST = 64
"""Pairs of places of two groups compared one by one before sorting them is cheaper."""

UNBOUNDED = 1 << 62
"""The reach of a `near` without `within`: as far as its text goes."""


@dataclass(frozen=True)
class NearTest:
    """A `near` of groups that its rule cannot hold without: each group's terms, by child."""

    terms: tuple[tuple[int, ...], ...]
    reach: int

    def may_hold(self, occurrences: Occurrences) -> bool:
        """Whether some window of `reach` words of one text holds a term of every group."""
        if len(self.terms) == 2:
            get = occurrences.get
            one, other = self.terms
            ones = [place for term in one for place in get(term, ())]
            others = [place for term in other for place in get(term, ())]
            if len(ones) * len(others) <= PAIRED_AT_MOST:
                return _paired(ones, others, self.reach)
        events = sorted(
            (text, first, child)
            for child, terms in enumerate(self.terms)
            for term in terms
            for text, first, _ in occurrences.get(term, ())
        )
        return any(covering_windows(events, len(self.terms), self.reach))


def _paired(ones: list[Occurrence], others: list[Occurrence], reach: int) -> bool:
    """Whether a place of `ones` and one of `others` stand within `reach` words in one
    text: every pair compared, which at a few places each (most tests) costs less than
    sorting them."""
    for text, first, _ in ones:
        for other, second, _ in others:
            if text == other and -reach <= first - second <= reach:
                return True
    return False


def required_nears(node: Node) -> list[Near]:
    """The `near` nodes of plain groups, judged on every field, without which `node` cannot
    hold: itself, or those among the parts of an `all`."""
    if isinstance(node, Near):
        plain = all(isinstance(child, GroupRef) for child in node.children)
        return [node] if plain and not node.sentence else []
    if isinstance(node, AllOf):
        return [near for child in node.children for near in required_nears(child)]
    return []


def settled_by_tests(node: Node) -> bool:
    """Whether `node` holds exactly when its condition does and the tests of its required
    nears pass: an `all` of exact parts and plain nears, or one plain near."""
    if isinstance(node, Near):
        return bool(required_nears(node))
    if isinstance(node, AllOf):
        return all(settled_by_tests(child) for child in node.children)
    return node.exact()


def near_tests(expression: Node, group_terms: Sequence[Sequence[int]]) -> list[NearTest]:
    """The tests of the expression's required nears; `group_terms[g]`: the terms of the
    rule's group g."""
    return [
        NearTest(
            tuple(tuple(group_terms[child.group]) for child in _groups(near)),
            UNBOUNDED if near.within is None else near.within,
        )
        for near in required_nears(expression)
    ]


def _groups(near: Near) -> list[GroupRef]:
    return [child for child in near.children if isinstance(child, GroupRef)]
