"""The dashboard's rules: what each has matched since counting began, and a retro-hunt
that runs one rule over the items kept in the last days, with the matched words marked."""

from __future__ import annotations

from typing import Any

from monitor import counters
from monitor.errors import RuleError
from monitor.item import Item
from monitor.quote import quote_for
from monitor.rules.loader import load_rules
from monitor.rules.matcher import Matcher
from monitor.rules.rule import Rule
from monitor.web.views import Board, quote_parts, safe_link

HUNT_LIMIT = 200
"""Hits a retro-hunt shows at most, newest items first."""


def rules(board: Board) -> dict[str, Any]:
    """Each rule with its alerts and mentions counted by the workers, or why the rules
    do not load."""
    try:
        loaded = load_rules([board.settings.rules])
    except RuleError as exc:
        return {"rules": [], "error": str(exc)}
    snapshot = counters.read(board.client, board.keys)
    alerts = snapshot.counters.get(counters.ALERTS, {})
    mentions = snapshot.counters.get(counters.MENTIONS, {})
    return {
        "rules": [
            {
                "id": rule.id,
                "title": rule.spec.title,
                "severity": rule.spec.severity.value,
                "alerts": int(alerts.get((rule.id,), 0)),
                "mentions": int(mentions.get((rule.id,), 0)),
            }
            for rule in loaded
        ],
        "error": "",
    }


def hunt(board: Board, rule_id: str, days: int) -> dict[str, Any] | None:
    """The items kept from the last `days` days that `rule_id` matches now; None when there
    is no such rule."""
    try:
        rule = next((r for r in load_rules([board.settings.rules]) if r.id == rule_id), None)
    except RuleError:
        rule = None
    if rule is None:
        return None
    items = board.history().recent_items(days)
    return {
        "rule": rule.id,
        "rule_title": rule.spec.title,
        "days": days,
        "searched": len(items),
        "hits": _hits(rule, items)[:HUNT_LIMIT],
    }


def _hits(rule: Rule, items: list[Item]) -> list[dict[str, Any]]:
    found = []
    for item, matches in zip(items, Matcher([rule]).match_many(items), strict=True):
        for match in matches:
            found.append(
                {
                    "id": item.id,
                    "source": item.source,
                    "title": item.title,
                    "link": safe_link(item.link),
                    "alert": match.alert,
                    "quote": quote_parts(quote_for(item, match)),
                }
            )
    return found
