"""What grouping compares an item by, worked out once per item: a busy rule's open
stories are compared with every item it alerts on."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.text.fingerprint import Vector, similarity_over
from monitor.text.names import Marks, marks_of


@dataclass
class Compared:
    """An item's fingerprint and marks as sets, ready to compare with other items'."""

    vector: Vector
    stems: frozenset[str]
    marks: Marks

    @classmethod
    def of(cls, vector: Vector, marks: list[str]) -> Compared:
        return cls(vector, frozenset(vector), marks_of(marks))

    def similarity(self, other: Compared) -> float:
        return similarity_over(self.vector, other.vector, self.stems & other.stems)

    def shares_marks(self, other: Compared) -> bool:
        return not self.marks.marks.isdisjoint(other.marks.marks)
