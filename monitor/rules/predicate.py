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
    predicate = _compiled(rule, group_ids, ALL_FIELDS)
    if rule.spec.threshold is None:
        return predicate
    return _with_threshold(predicate, rule.spec.threshold, rule, group_ids)


def anchor_predicate(rule: Rule, group_ids: Sequence[int]) -> Predicate:
    """Whether the rule's expression holds on its anchor's fields (its threshold aside):
    for a rule whose expression is exact (Node.exact), whether a match alerts."""
    return _compiled(rule, group_ids, rule.anchor_mask)


def condition_source(rule: Rule, group_ids: Sequence[int], scope: int = ALL_FIELDS) -> str:
    """The Python source of the rule's expression on the fields of `scope`, with its group
    i found in the fields `m[group_ids[i]]`; the same for rules of one shape."""

    def found(group: int, mask: int) -> str:
        return f"m[{group_ids[group]}] & {mask} != 0"

    return rule.expression.condition(scope, ALL_FIELDS, found)


def _compiled(rule: Rule, group_ids: Sequence[int], scope: int) -> Predicate:
    source = condition_source(rule, group_ids, scope)
    predicate: Predicate = eval(f"lambda m: {source}", {"__builtins__": {}})
    return predicate


def _with_threshold(
    predicate: Predicate, threshold: float, rule: Rule, group_ids: Sequence[int]
) -> Predicate:
    weighted = [(gid, group.weight) for gid, group in zip(group_ids, rule.groups, strict=True)]

    def scored(m: bytes) -> bool:
        return sum(weight for gid, weight in weighted if m[gid]) >= threshold and predicate(m)

    return scored
