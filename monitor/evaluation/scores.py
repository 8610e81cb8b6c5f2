"""Per-rule scores on labelled items: tp, fp, fn, precision, recall, F1, and each miss."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from monitor.evaluation.labels import LabelledItem
from monitor.rules.explain import reason
from monitor.rules.match import Match
from monitor.rules.matcher import Matcher


@dataclass
class Counts:
    """True and false positives and false negatives, and what follows from them."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    def to_json(self) -> dict[str, Any]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass(frozen=True)
class Miss:
    """An item a rule got wrong: `fp` (alerted, should not) or `fn` (should have), and why."""

    item: str
    kind: str
    reason: str


@dataclass
class RuleScore:
    """How one rule did, with its mistakes and its expected mentions."""

    rule: str
    counts: Counts = field(default_factory=Counts)
    misses: list[Miss] = field(default_factory=list)
    mentions_expected: int = 0
    mentions_found: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            **self.counts.to_json(),
            "mentions": {"expected": self.mentions_expected, "found": self.mentions_found},
            "errors": [vars(miss) for miss in self.misses],
        }


def score_rules(
    matcher: Matcher, labelled: Sequence[LabelledItem], found: Sequence[list[Match]]
) -> list[RuleScore]:
    """Each rule's score over every labelled item, given what the matcher found in each."""
    scores = {rule.id: RuleScore(rule.id) for rule in matcher.rules}
    for entry, matches in zip(labelled, found, strict=True):
        alerted = {match.rule for match in matches if match.alert}
        mentioned = {match.rule for match in matches if not match.alert}
        for rule_id, score in scores.items():
            _count(matcher, score, entry, rule_id in alerted, rule_id in entry.expect)
            if rule_id in entry.mentions:
                score.mentions_expected += 1
                score.mentions_found += rule_id in mentioned
    return list(scores.values())


def _count(
    matcher: Matcher, score: RuleScore, entry: LabelledItem, alerted: bool, expected: bool
) -> None:
    if alerted and expected:
        score.counts.tp += 1
    elif alerted or expected:
        kind = "fp" if alerted else "fn"
        setattr(score.counts, kind, getattr(score.counts, kind) + 1)
        why = reason(matcher, score.rule, entry.item)
        score.misses.append(Miss(entry.item.id, kind, why))


def micro_average(scores: Sequence[RuleScore]) -> Counts:
    """The counts of every rule added up."""
    total = Counts()
    for score in scores:
        total.add(score.counts)
    return total
