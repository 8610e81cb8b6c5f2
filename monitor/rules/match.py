"""What matching an item against a rule found: whether it alerts, its score, its hits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from monitor.item import ItemField
from monitor.rules.model import Severity


@dataclass(frozen=True, slots=True)
class Hit:
    """Where a term was found: a field and a character span in that field's original text."""

    field: ItemField
    start: int
    end: int
    text: str
    term: str

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field.value, "start": self.start, "end": self.end, "text": self.text}


ShownHits = tuple[Hit, ...]
"""A match's hits in reading order (not expression.Hits, the term hits of each group)."""


class Match:
    """A rule that matched an item; `alert` False means a mention, recorded but not paged.

    Its hits may be given as a function that finds them: most matches are mentions that
    nobody reads the hits of, and finding them costs more than telling that the rule holds.
    """

    __slots__ = ("_find_hits", "_hits", "alert", "rule", "score", "severity")

    def __init__(
        self,
        rule: str,
        alert: bool,
        score: float,
        severity: Severity,
        hits: ShownHits | Callable[[], ShownHits],
    ) -> None:
        self.rule = rule
        self.alert = alert
        self.score = score
        self.severity = severity
        self._hits: ShownHits | None = None
        self._find_hits: Callable[[], ShownHits] | None = None
        if callable(hits):
            self._find_hits = hits
        else:
            self._hits = tuple(hits)

    @property
    def hits(self) -> ShownHits:
        """Where the rule's terms were found, in reading order; found once, when first read."""
        if self._hits is None:
            assert self._find_hits is not None
            self._hits, self._find_hits = self._find_hits(), None
        return self._hits

    def _key(self) -> tuple[str, bool, float, Severity, ShownHits]:
        return (self.rule, self.alert, self.score, self.severity, self.hits)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Match) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"Match(rule={self.rule!r}, alert={self.alert!r}, score={self.score!r}, "
            f"severity={self.severity!r}, hits={self.hits!r})"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "alert": self.alert,
            "score": self.score,
            "severity": self.severity.value,
            "hits": [hit.to_json() for hit in self.hits],
        }
