"""What matching an item against a rule found: whether it alerts, its score, its hits."""

from __future__ import annotations

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


@dataclass(frozen=True, slots=True)
class Match:
    """A rule that matched an item; `alert` False means a mention, recorded but not paged."""

    rule: str
    alert: bool
    score: float
    severity: Severity
    hits: tuple[Hit, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "alert": self.alert,
            "score": self.score,
            "severity": self.severity.value,
            "hits": [hit.to_json() for hit in self.hits],
        }
