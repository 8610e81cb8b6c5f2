"""An evaluation's results, as text for a person and as one JSON object, and the floors
a CI run holds them to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from monitor.evaluation.labels import LabelledItem
from monitor.evaluation.pairs import PairScores, group_alerts, score_pairs
from monitor.evaluation.scores import Counts, RuleScore, micro_average, score_rules
from monitor.rules.matcher import Matcher
from monitor.rules.model import PolicySpec
from monitor.stories.grouping import PolicyOf


@dataclass
class EvalReport:
    """How the rules and the stories did on one set of labelled items."""

    items: int
    rules: list[RuleScore]
    micro: Counts
    pairs: PairScores

    def to_json(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "rules": [score.to_json() for score in self.rules],
            "micro": self.micro.to_json(),
            "stories": self.pairs.to_json(),
        }

    def shortfalls(self, min_precision: float, min_recall: float) -> list[str]:
        """Each rule below a floor, in words; empty when every rule holds both."""
        found = []
        for score in self.rules:
            counts = score.counts
            if counts.tp + counts.fn + counts.fp == 0:
                continue
            if counts.precision < min_precision:
                found.append(f"{score.rule}: precision {counts.precision:.3f} < {min_precision}")
            if counts.recall < min_recall:
                found.append(f"{score.rule}: recall {counts.recall:.3f} < {min_recall}")
        return found


def evaluate(matcher: Matcher, labelled: Sequence[LabelledItem]) -> EvalReport:
    """Match every item, score each rule, group the alerts into stories and score the pairs."""
    found = matcher.match_many([entry.item for entry in labelled])
    rules = score_rules(matcher, labelled, found)
    placed = group_alerts(labelled, found, _policies(matcher))
    return EvalReport(len(labelled), rules, micro_average(rules), score_pairs(labelled, placed))


def _policies(matcher: Matcher) -> PolicyOf:
    def policy_of(rule_id: str) -> PolicySpec:
        rule = matcher.rule(rule_id)
        return rule.spec.policy if rule else PolicySpec()

    return policy_of


def render(report: EvalReport, verbose: bool = True) -> list[str]:
    """The report as lines: a table of rules, each rule's mistakes, then the stories."""
    lines = [f"{report.items} labelled item(s)", "", _ROW.format(*_HEADER)]
    for score in report.rules:
        lines.append(_row(score.rule, score.counts))
    lines.append(_row("micro-average", report.micro))
    if verbose:
        lines += _misses(report.rules)
    lines += _stories(report.pairs)
    if verbose:
        lines += _groupings(report.pairs)
    return lines


_HEADER = ("rule", "prec", "recall", "F1", "tp", "fp", "fn")
_ROW = "{:<28} {:>6} {:>6} {:>6} {:>5} {:>5} {:>5}"


def _row(name: str, counts: Counts) -> str:
    return _ROW.format(
        name,
        f"{counts.precision:.3f}",
        f"{counts.recall:.3f}",
        f"{counts.f1:.3f}",
        counts.tp,
        counts.fp,
        counts.fn,
    )


def _misses(scores: Sequence[RuleScore]) -> list[str]:
    lines = []
    for score in scores:
        if score.misses:
            lines += ["", f"{score.rule}:"]
            lines += [f"  {miss.kind} {miss.item}: {miss.reason}" for miss in score.misses]
        if score.mentions_expected:
            lines.append(
                f"  mentions: {score.mentions_found} of {score.mentions_expected} expected found"
            )
    return lines


def _stories(pairs: PairScores) -> list[str]:
    lines = ["", f"stories: {pairs.stories} for {pairs.events} labelled event(s); pairs:"]
    for name, counts in (("within a language", pairs.within), ("across languages", pairs.across)):
        lines.append(
            f"  {name:<18} precision {counts.precision:.3f}  recall {counts.recall:.3f}  "
            f"F1 {counts.f1:.3f}  (tp {counts.tp}, fp {counts.fp}, fn {counts.fn})"
        )
    return lines


def _groupings(pairs: PairScores) -> list[str]:
    """Each event split over stories (its items by story) and each story holding several
    events (its items by event)."""
    lines = [
        f"  split  {event}: " + " | ".join(map(_ids, by_story.values()))
        for event, by_story in pairs.split.items()
    ]
    lines += [
        "  merged " + " + ".join(f"{event} ({_ids(ids)})" for event, ids in by_event.items())
        for by_event in pairs.merged.values()
    ]
    return lines


def _ids(ids: list[str]) -> str:
    return ", ".join(ids)
