"""A rule compiled from YAML: its spec, expression, term groups and where it was written."""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.errors import Location
from monitor.item import Item
from monitor.rules.expression import ALL_FIELDS, Node
from monitor.rules.model import RuleSpec, TermMode


@dataclass(frozen=True)
class Term:
    """One word or phrase of a group, as the sequence of keys its words are looked up by."""

    keys: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Pattern:
    """One regular expression of a group, run over the normalised text."""

    source: str
    location: Location


@dataclass
class TermGroup:
    """A named group of a rule, compiled."""

    name: str
    mode: TermMode
    weight: float
    terms: list[Term] = field(default_factory=list)
    patterns: list[Pattern] = field(default_factory=list)


@dataclass(frozen=True)
class RuleTest:
    """One inline test: the item, what it must give ('match', 'no_match', 'mention'), where."""

    __test__ = False
    item: Item
    expect: str
    location: Location


@dataclass
class Rule:
    """One compiled rule."""

    spec: RuleSpec
    location: Location
    groups: list[TermGroup]
    expression: Node
    anchor_mask: int = ALL_FIELDS
    tests: list[RuleTest] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.spec.id

    def accepts(self, item: Item, language: str) -> bool:
        """Whether the rule's language and source filters let `item` (in `language`) through."""
        spec = self.spec
        if not spec.enabled:
            return False
        if spec.languages and language not in spec.languages:
            return False
        if spec.sources and item.source not in spec.sources:
            return False
        return item.source not in spec.exclude_sources
