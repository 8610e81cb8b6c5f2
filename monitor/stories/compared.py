"""What grouping compares an item by, worked out once per item, and the bound that lets
it skip items whose words cannot be alike enough."""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.text.fingerprint import Vector, must_share, similarity_over, vector_norm
from monitor.text.names import Marks, marks_of

NORM_SLACK = 1e-3
"""How far above 1 a stored fingerprint's norm may be, by rounding, for the bound to hold."""


@dataclass
class Compared:
    """An item's fingerprint and marks as sets, ready to compare with other items'."""

    vector: Vector
    stems: frozenset[str]
    marks: Marks
    bounded: bool
    needed: dict[float, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, vector: Vector, marks: list[str]) -> Compared:
        bounded = vector_norm(vector) <= 1.0 + NORM_SLACK
        return cls(vector, frozenset(vector), marks_of(marks), bounded)

    def similarity(self, other: Compared) -> float:
        return similarity_over(self.vector, other.vector, self.stems & other.stems)

    def may_be_as_similar(self, other: Compared, bar: float) -> bool:
        """False only when the two fingerprints' similarity is surely below `bar`: one of
        them shares none of the stems the other needs for it."""
        if not (self.bounded and other.bounded):
            return True
        return not (
            self._must_share(bar).isdisjoint(other.stems)
            or other._must_share(bar).isdisjoint(self.stems)
        )

    def shares_marks(self, other: Compared) -> bool:
        return not self.marks.marks.isdisjoint(other.marks.marks)

    def _must_share(self, bar: float) -> frozenset[str]:
        if bar not in self.needed:
            self.needed[bar] = must_share(self.vector, bar)
        return self.needed[bar]
