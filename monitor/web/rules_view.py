"""The dashboard's rules: what each has matched since counting began, and a retro-hunt
that runs one rule over the items kept in the last days, with the matched words marked."""

from __future__ import annotations

from typing import Any

from monitor import counters
from monitor.errors import RuleError
from monitor.item import Item
from monitor.quote import quote_for
from monitor.rule_activity import RuleActivity, read_activity
from monitor.rule_reloads import ReloadRecord, read_record
from monitor.rules.loader import load_rules
from monitor.rules.matcher import Matcher
from monitor.rules.rule import Rule
from monitor.status import iso
from monitor.web.views import Board, quote_parts, safe_link, sparkline

DAYS_SHOWN = 7
"""Days of alerts and mentions the rules page shows per rule, today last."""

HUNT_LIMIT = 200
"""Hits a retro-hunt shows at most, newest items first."""


def rules(board: Board, now: float) -> dict[str, Any]:
    """Each rule with its alerts and mentions per day over the last week, its last match
    and its totals since counting began; what the workers last made of the rules files;
    or why the files do not load now."""
    reloads = _reloads(read_record(board.client, board.keys))
    try:
        loaded = load_rules([board.settings.rules])
    except RuleError as exc:
        return {"rules": [], "error": str(exc), "reloads": reloads, "days": DAYS_SHOWN}
    snapshot = counters.read(board.client, board.keys)
    alerts = snapshot.counters.get(counters.ALERTS, {})
    mentions = snapshot.counters.get(counters.MENTIONS, {})
    activity = read_activity(board.client, board.keys, [r.id for r in loaded], DAYS_SHOWN, now)
    return {
        "rules": [
            {
                "id": rule.id,
                "title": rule.spec.title,
                "severity": rule.spec.severity.value,
                "alerts": int(alerts.get((rule.id,), 0)),
                "mentions": int(mentions.get((rule.id,), 0)),
                **_activity_row(activity[rule.id]),
            }
            for rule in loaded
        ],
        "error": "",
        "reloads": reloads,
        "days": DAYS_SHOWN,
    }


def _activity_row(activity: RuleActivity) -> dict[str, Any]:
    return {
        "alerts_per_day": activity.alerts,
        "mentions_per_day": activity.mentions,
        "last_alert": iso(activity.last_alert) if activity.last_alert else None,
        "last_mention": iso(activity.last_mention) if activity.last_mention else None,
        "spark": sparkline(activity.alerts, width=DAYS_SHOWN * 10, height=20),
    }


def _reloads(record: ReloadRecord | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {
        "loaded_at": iso(record.loaded_at),
        "rules": record.rules,
        "failed_at": iso(record.failed_at) if record.failed_at else None,
        "error": record.error,
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
