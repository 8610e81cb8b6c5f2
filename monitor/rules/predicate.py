"""A rule's expression as one Python function of the fields each group was found in.

Most candidate rules fail on where their groups were found (a field scope, a
`none`, `at_least`), and telling so by walking the expression's nodes costs
more than finding them. The node's `condition` source is compiled once, with
the rule's group ids written in, so the test is a single call. The source
holds nothing but integers and the name m.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from monitor.rules.expression import ALL_FIELDS
from monitor.rules.rule import Rule

Predicate = Callable[[bytes], bool]
"""(the field bits of every group, one byte each) -> whether the rule may match."""


def rule_predicate(rule: Rule, group_ids: Sequence[int]) -> Predicate:
    """The rule's expression, `group_ids[i]` standing for its group i; False is final."""

    def found(group: int, scope: int) -> str:
        return f"m[{group_ids[group]}] & {scope} != 0"

    source = rule.expression.condition(ALL_FIELDS, ALL_FIELDS, found)
    predicate: Predicate = eval(f"lambda m: {source}", {"__builtins__": {}})
    if rule.spec.threshold is None:
        return predicate
    return _with_threshold(predicate, rule.spec.threshold, rule, group_ids)


def _with_threshold(
    predicate: Predicate, threshold: float, rule: Rule, group_ids: Sequence[int]
) -> Predicate:
    weighted = [(gid, group.weight) for gid, group in zip(group_ids, rule.groups, strict=True)]

    def scored(m: bytes) -> bool:
        return sum(weight for gid, weight in weighted if m[gid]) >= threshold and predicate(m)

    return scored
