"""The rules in rules/: their own tests, the seeds, and silence on background news."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.inputs import read_path
from monitor.item import Item
from monitor.rules.matcher import Matcher
from monitor.rules.rule import Rule
from monitor.rules.tester import run_rule_tests
from tests.conftest import ALJAZEERA, SEEDS


def test_every_inline_test_passes(shipped_rules: list[Rule]) -> None:
    report = run_rule_tests(shipped_rules)
    assert report.failures == []
    assert report.ran >= 40


def test_at_least_six_rules_each_with_tests(shipped_rules: list[Rule]) -> None:
    assert {"us-iraq-talks", "ain-al-asad-strike"} <= {rule.id for rule in shipped_rules}
    assert len(shipped_rules) >= 6
    for rule in shipped_rules:
        expectations = {test.expect for test in rule.tests}
        assert {"match", "no_match"} <= expectations, rule.id


@pytest.mark.parametrize("seed", SEEDS, ids=[s.stem[:3] for s in SEEDS])
def test_seed_alerts_talks_and_not_ain_al_asad(shipped_matcher: Matcher, seed: Path) -> None:
    (item,) = read_path(seed)
    alerts = {m.rule for m in shipped_matcher.match(item) if m.alert}
    assert "us-iraq-talks" in alerts
    assert "ain-al-asad-strike" not in alerts


@pytest.mark.parametrize("seed", [s for s in SEEDS if s.stem[:3] in ("000", "001")])
def test_earlier_attack_deep_in_the_body_is_a_mention(shipped_matcher: Matcher, seed: Path) -> None:
    (item,) = read_path(seed)
    found = {m.rule: m for m in shipped_matcher.match(item)}
    assert not found["ain-al-asad-strike"].alert


@pytest.mark.skipif(not ALJAZEERA.exists(), reason="shared corpus not beside the project")
def test_no_alert_on_background_news(shipped_matcher: Matcher) -> None:
    alerted = []
    with ALJAZEERA.open(encoding="utf-8") as corpus:
        for line in corpus:
            item = Item.model_validate(json.loads(line))
            rules = {m.rule for m in shipped_matcher.match(item) if m.alert}
            if rules & {"us-iraq-talks", "ain-al-asad-strike"}:
                alerted.append((item.id, sorted(rules)))
    assert alerted == []
