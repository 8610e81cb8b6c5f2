"""Why a rule did or did not match an item, as lines of text for a person to read."""

from __future__ import annotations

from monitor.item import Item
from monitor.rules.expression import ALL_FIELDS, FIELD_BITS, Hits, Node
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
