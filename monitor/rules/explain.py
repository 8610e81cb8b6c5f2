"""Why a rule did or did not match an item, as lines of text for a person to read."""

from __future__ import annotations

from monitor.item import Item
from monitor.rules.expression import (
    ALL_FIELDS,
    FIELD_BITS,
    AnyOf,
    GroupRef,
    Hits,
    Near,
    Node,
    NoneOf,
    Scoped,
)
from monitor.rules.matcher import Matcher
from monitor.rules.model import RuleSpec

_MARKS = {True: "yes", False: "no "}


def explain(matcher: Matcher, rule_id: str, item: Item) -> list[str]:
    """The decision of one rule on one item, step by step."""
    rule_index = matcher.rule_index(rule_id)
    rule = matcher.rules[rule_index]
    scan = matcher.scan(item)
    local = matcher.rule_hits(rule_index, scan)
    found = matcher.evaluate(rule_index, scan)
    verdict = "ALERT" if found and found.alert else "mention" if found else "no match"
    lines = [
        f"{item.id}: rule {rule.id}: {verdict}" + (f" (score {found.score:g})" if found else "")
    ]
    lines += _filters(rule.accepts(item, item.language), item, rule.spec)
    lines.append("  terms:")
    for index, group in enumerate(rule.groups):
        found_hits = matcher.public_hits(local.get(index, []), scan)
        shown = [f"{hit.field.value}:{hit.text!r}" for hit in found_hits]
        lines.append(f"    {group.name}: " + (", ".join(shown[:8]) if shown else "not found"))
        if len(shown) > 8:
            lines[-1] += f" (+{len(shown) - 8} more)"
    lines.append("  expression, anywhere in the item:")
    lines += _tree(rule.expression, local, ALL_FIELDS, depth=2)
    if rule.anchor_mask != ALL_FIELDS:
        names = [f.value for f, bit in FIELD_BITS.items() if bit & rule.anchor_mask]
        lines.append(f"  anchor: to alert, the expression must hold in {', '.join(names)}:")
        lines += _tree(rule.expression, local, rule.anchor_mask, depth=2)
    if rule.spec.threshold is not None:
        score = found.score if found else sum(rule.groups[i].weight for i in local)
        lines.append(f"  score {score:g}, threshold {rule.spec.threshold:g}")
    return lines


def _filters(accepted: bool, item: Item, spec: RuleSpec) -> list[str]:
    if accepted:
        return []
    return [
        f"  filtered out: language {item.language!r} (rule wants {spec.languages or 'any'}), "
        f"source {item.source!r} (rule wants {spec.sources or 'any'}, "
        f"never {spec.exclude_sources or 'none'}), or the rule is disabled"
    ]


def _tree(node: Node, hits: Hits, scope: int, depth: int) -> list[str]:
    held = node.evaluate(hits, scope, ALL_FIELDS) is not None
    lines = ["  " * depth + f"{_MARKS[held]} {node.label()}"]
    for child in node.children:
        lines += _tree(child, hits, scope, depth + 1)
    return lines


def reason(matcher: Matcher, rule_id: str, item: Item) -> str:
    """One line on why RULE alerted, only mentioned, or did not match an item."""
    rule_index = matcher.rule_index(rule_id)
    rule = matcher.rules[rule_index]
    if not rule.accepts(item, item.language):
        return f"filtered out (language {item.language!r}, source {item.source!r})"
    scan = matcher.scan(item)
    local = matcher.rule_hits(rule_index, scan)
    found = matcher.evaluate(rule_index, scan)
    if found and found.alert:
        shown = ", ".join(f"{hit.field.value}:{hit.text!r}" for hit in found.hits[:6])
        return f"alerted on {shown}"
    required = sorted(rule.expression.required_groups())
    missing = [rule.groups[index].name for index in required if not local.get(index)]
    if missing:
        return "not found: " + ", ".join(missing)
    scope = rule.anchor_mask if found else ALL_FIELDS
    failed = _first_failure(rule.expression, local, scope)
    where = "in title/lead" if found else "anywhere"
    return ("mention only: " if found else "no match: ") + f"{failed} fails {where}"


def _first_failure(node: Node, hits: Hits, scope: int) -> str:
    """The deepest part, first in order, that does not hold (the node itself if none)."""
    if isinstance(node, (AnyOf, NoneOf)):
        return describe(node)
    for child in node.children:
        if child.evaluate(hits, scope, ALL_FIELDS) is None:
            return _first_failure(child, hits, scope)
    return describe(node)


def describe(node: Node) -> str:
    """A node written out short: `near(iraq, us, talks; 14)`, `none(other_pair)`."""
    if isinstance(node, GroupRef):
        return node.name
    parts = ", ".join(describe(child) for child in node.children)
    if isinstance(node, Near):
        return f"near({parts}; {node.within})"
    if isinstance(node, Scoped):
        return f"{parts} in {'/'.join(node.names)}"
    return f"{node.label()}({parts})"
