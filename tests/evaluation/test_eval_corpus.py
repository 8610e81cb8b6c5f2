"""The project's labelled evaluation corpus: its shape, and the floors the shipped rules and
the story grouping are held to on it (the README's Quality figures)."""

from __future__ import annotations

from collections import Counter

import pytest

from monitor.evaluation.labels import LabelledItem, read_labelled
from monitor.evaluation.report import EvalReport, evaluate
from monitor.rules.matcher import Matcher
from tests.conftest import ROOT

EVAL_FILES = sorted((ROOT / "tests" / "data" / "eval").glob("*.jsonl"))

MIN_PRECISION = 0.95
MIN_RECALL = 0.95
MIN_PAIR_F1_WITHIN = 0.9
MIN_PAIR_F1_ACROSS = 0.8


@pytest.fixture(scope="module")
def labelled() -> list[LabelledItem]:
    found = read_labelled(EVAL_FILES)
    assert not found.problems
    return found.items


@pytest.fixture(scope="module")
def report(shipped_matcher: Matcher, labelled: list[LabelledItem]) -> EvalReport:
    return evaluate(shipped_matcher, labelled)


def test_the_corpus_is_large_and_bilingual(labelled: list[LabelledItem]) -> None:
    languages = Counter(entry.item.language for entry in labelled)
    assert len(labelled) >= 500
    assert languages["en"] / len(labelled) >= 0.4
    assert len({entry.item.id for entry in labelled}) == len(labelled)


def test_every_rule_has_positives_over_events_negatives_and_mentions(
    shipped_matcher: Matcher, labelled: list[LabelledItem]
) -> None:
    for rule in shipped_matcher.rules:
        positives = [entry for entry in labelled if rule.id in entry.expect]
        events = {entry.event for entry in positives}
        mentions = [entry for entry in labelled if rule.id in entry.mentions]
        assert len(positives) >= 40, rule.id
        assert len(events) >= 10, rule.id
        assert len(labelled) - len(positives) >= 40, rule.id
        assert mentions, rule.id


def test_events_are_reported_in_both_languages(labelled: list[LabelledItem]) -> None:
    languages: dict[str, set[str]] = {}
    for entry in labelled:
        if entry.event and entry.expect:
            languages.setdefault(entry.event, set()).add(entry.item.language)
    both = [event for event, seen in languages.items() if seen == {"ar", "en"}]
    assert len(both) >= 0.5 * len(languages)


def test_every_shipped_rule_holds_its_floors(report: EvalReport) -> None:
    assert report.shortfalls(MIN_PRECISION, MIN_RECALL) == []


def test_stories_group_one_event_within_and_across_languages(report: EvalReport) -> None:
    assert report.pairs.within.f1 >= MIN_PAIR_F1_WITHIN
    assert report.pairs.across.f1 >= MIN_PAIR_F1_ACROSS
