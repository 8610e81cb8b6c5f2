"""Runs the tests that rules carry: items that must alert, must not, or are mere mentions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitor.errors import RuleError
from monitor.rules.matcher import Matcher
from monitor.rules.rule import Rule, RuleTest


@dataclass
class TestReport:
    """How many inline tests ran and which failed, each failure at its place in the file."""

    __test__ = False
    ran: int
    failures: list[RuleError]


def outcome(matcher: Matcher, rule: Rule, test: RuleTest) -> str:
    """`alert`, `mention` or `none`: what the rule makes of the test's item."""
    for found in matcher.match(test.item):
        if found.rule == rule.id:
            return "alert" if found.alert else "mention"
    return "none"


def passed(expect: str, got: str) -> bool:
    """Whether an outcome meets a test's expectation."""
    if expect == "match":
        return got == "alert"
    if expect == "no_match":
        return got != "alert"
    return got == "mention"


def run_rule_tests(rules: Sequence[Rule], matcher: Matcher | None = None) -> TestReport:
    """Run every inline test of `rules` against one matcher of all of them."""
    matcher = matcher or Matcher(rules)
    report = TestReport(0, [])
    for rule in rules:
        for test in rule.tests:
            report.ran += 1
            got = outcome(matcher, rule, test)
            if not passed(test.expect, got):
                shown = test.item.title or test.item.summary or test.item.content
                report.failures.append(
                    RuleError(
                        test.location,
                        f"test failed: rule '{rule.id}' expected {test.expect}, "
                        f"got {got}: {shown[:80]!r}",
                    )
                )
    return report
