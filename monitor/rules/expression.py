"""Compiled rule expressions: term groups composed with all / any / none / near and scopes.

A node evaluates to the hits that satisfy it, or None when it does not hold.
`scope` is the set of fields a positive term may be found in (narrowed by a
rule's anchor); `full` is the same without the anchor, so that `none` still
looks at the whole item when an alert is being decided.

`condition` writes the node as a Python expression over the fields each group
was found in, without hits: exact, except that `near` is taken to hold when
all its parts are found, so a False from it is final and a True must still be
evaluated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from monitor.item import ItemField

FIELD_BITS = {ItemField.TITLE: 1, ItemField.LEAD: 2, ItemField.BODY: 4}
ALL_FIELDS = 7


def field_mask(fields: Sequence[ItemField]) -> int:
    """The bit mask of a list of fields."""
    mask = 0
    for item_field in fields:
        mask |= FIELD_BITS[item_field]
    return mask


@dataclass(slots=True)  # not frozen: matching makes many, and frozen ones are slow to make
class TermHit:
    """One occurrence of a term group's word, phrase or pattern in an item."""

    group: int
    field: ItemField
    mask: int
    text: int
    position: int
    last: int
    sentence: int = 0
    """The sentence of its text it stands in, when its rule asks (see Near.sentence)."""


Hits = Mapping[int, Sequence[TermHit]]
Result = list[TermHit] | None
Found = Callable[[int, int], str]
"""Source of "group g was found in one of the fields of this mask"."""
FieldsOf = dict[int, int]
"""Group -> field bits."""


class Node:
    """A part of a rule's expression."""

    children: Sequence[Node] = ()

    def evaluate(self, hits: Hits, scope: int, full: int) -> Result:
        raise NotImplementedError

    def condition(self, scope: int, full: int, found: Found) -> str:
        """Python source that is False when the node cannot hold, given where groups are."""
        raise NotImplementedError

    def exact(self) -> bool:
        """Whether `condition` is the same as `evaluate` holding (no `near` below)."""
        return all(child.exact() for child in self.children)

    def label(self) -> str:
        raise NotImplementedError

    def uses_sentences(self) -> bool:
        """Whether evaluating the node needs each hit's sentence."""
        return any(child.uses_sentences() for child in self.children)

    def positive_groups(self) -> set[int]:
        """Groups whose presence can make this node hold."""
        return set(self.positive_fields(ALL_FIELDS))

    def positive_fields(self, full: int) -> FieldsOf:
        """Positive groups, each with the fields it counts in (`full` at most)."""
        return _merged(child.positive_fields(full) for child in self.children)

    def required_groups(self) -> set[int]:
        """Groups without which this node cannot hold."""
        return set(self.required_fields(ALL_FIELDS))

    def required_fields(self, full: int) -> FieldsOf:
        """Required groups, each with fields at least one of which it must be found in."""
        return _merged(child.required_fields(full) for child in self.children)

    def least_positive(self) -> int:
        """How many positive groups at least must be found for the node to hold."""
        return 1

    def choices(self, full: int) -> list[tuple[FieldsOf, int]]:
        """For each `any` of groups that must hold for the node to, and does not require
        them all: its groups with the fields they count in (`full` at most), and how many
        of them it needs."""
        return [choice for child in self.children for choice in child.choices(full)]

    def forbidden_groups(self) -> set[int]:
        """Groups with which this node cannot hold, wherever they are found."""
        return set()


@dataclass
class GroupRef(Node):
    """A named term group of the rule."""

    group: int
    name: str

    def evaluate(self, hits: Hits, scope: int, full: int) -> Result:
        group_hits = hits.get(self.group)
        if not group_hits:
            return None
        if scope == ALL_FIELDS:
            return list(group_hits)  # every hit counts for some field
        found = [hit for hit in group_hits if hit.mask & scope]
        return found or None

    def condition(self, scope: int, full: int, found: Found) -> str:
        return found(self.group, scope)

    def label(self) -> str:
        return self.name

    def positive_fields(self, full: int) -> FieldsOf:
        return {self.group: full}

    def required_fields(self, full: int) -> FieldsOf:
        return {self.group: full}


@dataclass
class AllOf(Node):
    children: Sequence[Node] = field(default_factory=list)

    def evaluate(self, hits: Hits, scope: int, full: int) -> Result:
        found: list[TermHit] = []
        for child in self.children:
            result = child.evaluate(hits, scope, full)
            if result is None:
                return None
            found += result
        return found

    def condition(self, scope: int, full: int, found: Found) -> str:
        return _joined(" and ", [c.condition(scope, full, found) for c in self.children], "True")

    def label(self) -> str:
        return "all"

    def forbidden_groups(self) -> set[int]:
        return set().union(*(child.forbidden_groups() for child in self.children))


@dataclass
class AnyOf(Node):
    children: Sequence[Node] = field(default_factory=list)
    at_least: int = 1

    def evaluate(self, hits: Hits, scope: int, full: int) -> Result:
        found: list[TermHit] = []
        held = 0
        for child in self.children:
            result = child.evaluate(hits, scope, full)
            if result is not None:
                held += 1
                found += result
        return found if held >= self.at_least else None

    def condition(self, scope: int, full: int, found: Found) -> str:
        parts = [child.condition(scope, full, found) for child in self.children]
        if self.at_least == 1:
            return _joined(" or ", parts, "False")
        return f"({_joined(' + ', parts, '0')} >= {self.at_least})"

    def label(self) -> str:
        return "any" if self.at_least == 1 else f"at least {self.at_least} of"

    def required_fields(self, full: int) -> FieldsOf:
        children = [child.required_fields(full) for child in self.children]
        merged = _merged(children)
        if self.at_least == len(children):
            return merged
        return {
            group: fields
            for group, fields in merged.items()
            if all(group in child for child in children)
        }

    def least_positive(self) -> int:
        groups = [child.group for child in self.children if isinstance(child, GroupRef)]
        distinct = len(groups) == len(self.children) == len(set(groups))
        return self.at_least if distinct else 1

    def choices(self, full: int) -> list[tuple[FieldsOf, int]]:
        groups = [child.group for child in self.children if isinstance(child, GroupRef)]
        if not len(groups) == len(self.children) == len(set(groups)) > self.at_least:
            return []  # an `any` with more than groups below it, or one requiring them all
        return [(dict.fromkeys(groups, full), self.at_least)]


@dataclass
class NoneOf(Node):
    children: Sequence[Node] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Only a child judged exactly can rule the node out: a `near` that may hold may not.
        self._exact_children = [child for child in self.children if child.exact()]

    def evaluate(self, hits: Hits, scope: int, full: int) -> Result:
        for child in self.children:
            if child.evaluate(hits, full, full) is not None:
                return None
        return []

    def condition(self, scope: int, full: int, found: Found) -> str:
        parts = [child.condition(full, full, found) for child in self._exact_children]
        return f"not {_joined(' or ', parts, 'False')}"

    def label(self) -> str:
        return "none"

    def positive_fields(self, full: int) -> FieldsOf:
        return {}

    def required_fields(self, full: int) -> FieldsOf:
        return {}

    def choices(self, full: int) -> list[tuple[FieldsOf, int]]:
        return []

    def forbidden_groups(self) -> set[int]:
        # Its children are judged on every field (`full`) when only `all`s stand above it,
        # and only `all` passes this up; under a Scoped they count in its fields alone.
        return {child.group for child in self.children if isinstance(child, GroupRef)}


@dataclass
class Scoped(Node):
    """A node whose terms count only in some fields, named outright: a rule's anchor does
    not narrow them, so an anchored rule can ask for a name anywhere in the body."""

    child: Node
    mask: int
    names: Sequence[str] = ()

    def __post_init__(self) -> None:
        self.children = [self.child]

    def evaluate(self, hits: Hits, scope: int, full: int) -> Result:
        return self.child.evaluate(hits, full & self.mask, full & self.mask)

    def condition(self, scope: int, full: int, found: Found) -> str:
        return self.child.condition(full & self.mask, full & self.mask, found)

    def positive_fields(self, full: int) -> FieldsOf:
        return self.child.positive_fields(full & self.mask)

    def required_fields(self, full: int) -> FieldsOf:
        return self.child.required_fields(full & self.mask)

    def choices(self, full: int) -> list[tuple[FieldsOf, int]]:
        return self.child.choices(full & self.mask)

    def label(self) -> str:
        return "in " + ", ".join(self.names)


@dataclass
class Near(Node):
    """Every child found within `within` words of the others (None: any distance), in one
    text, and in one sentence of it when `sentence` is set."""

    children: Sequence[Node] = field(default_factory=list)
    within: int | None = 10
    sentence: bool = False

    def evaluate(self, hits: Hits, scope: int, full: int) -> Result:
        per_child: list[list[TermHit]] = []
        for child in self.children:
            result = child.evaluate(hits, scope, full)
            if not result:
                return None
            per_child.append(result)
        found = _windows(per_child, self.within, self.sentence)
        return found or None

    def condition(self, scope: int, full: int, found: Found) -> str:
        return _joined(" and ", [c.condition(scope, full, found) for c in self.children], "True")

    def exact(self) -> bool:
        return False

    def uses_sentences(self) -> bool:
        return self.sentence or super().uses_sentences()

    def label(self) -> str:
        words = f"within {self.within} words" if self.within is not None else ""
        sentence = "in one sentence" if self.sentence else ""
        return f"near ({', '.join(part for part in (words, sentence) if part)})"


def _merged(parts: Iterable[FieldsOf]) -> FieldsOf:
    """The groups of all `parts`; a group in several, with the fields of any of them."""
    merged: FieldsOf = {}
    for part in parts:
        for group, fields in part.items():
            merged[group] = merged.get(group, 0) | fields
    return merged


def _joined(operator: str, parts: list[str], empty: str) -> str:
    """Parts of a condition joined, each a parenthesised bool (AnyOf sums them)."""
    return f"({operator.join(f'({part})' for part in parts)})" if parts else empty


def _windows(per_child: list[list[TermHit]], within: int | None, sentence: bool) -> list[TermHit]:
    """Hits that lie in some window of `within` words (and one sentence) holding every child."""
    reach = within if within is not None else 1 << 62
    events = sorted(
        (
            ((hit.text, hit.sentence if sentence else 0), hit.position, index, hit)
            for index, hits in enumerate(per_child)
            for hit in hits
        ),
        key=lambda event: (event[0], event[1]),
    )
    kept: dict[int, TermHit] = {}
    for low, high in covering_windows(events, len(per_child), reach):
        for event in events[low : high + 1]:
            kept[id(event[3])] = event[3]
    return list(kept.values())


def covering_windows(
    events: Sequence[tuple[Any, ...]], wanted: int, reach: int
) -> Iterator[tuple[int, int]]:
    """For `events` (place, position, child, ...) sorted by place and position, each
    window (first event, last event) that holds all `wanted` children within `reach`
    words of one place: one for each event that can end such a window, from the first
    event it can begin at."""
    counts = [0] * wanted
    covered = low = 0
    for high, event in enumerate(events):
        place, position, index = event[0], event[1], event[2]
        if counts[index] == 0:
            covered += 1
        counts[index] += 1
        while events[low][0] != place or position - events[low][1] > reach:
            counts[events[low][2]] -= 1
            if counts[events[low][2]] == 0:
                covered -= 1
            low += 1
        if covered == wanted:
            yield low, high
