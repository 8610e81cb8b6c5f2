"""What each rule has matched, day by day, and when it last matched: counted by the
workers in the round trip that records each batch, read by the rules page."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import redis
from redis.client import Pipeline

from monitor.keyspace import Keyspace, as_text
from monitor.rules.match import Match

DAYS_KEPT = 15
"""Days of per-rule counts kept: the rules page shows the last week and a day over."""

KINDS = ("alert", "mention")


@dataclass
class RuleActivity:
    """One rule's alerts and mentions in each of the last days (oldest first), and the
    time of its last alert and last mention (None when it had none)."""

    alerts: list[int]
    mentions: list[int]
    last_alert: float | None
    last_mention: float | None


def note_matches(pipe: Pipeline, keys: Keyspace, found: Iterable[Match], now: float) -> None:
    """Add one batch's matches to today's counts and the rules' last match, within `pipe`."""
    counts = Counter(f"{_kind(match)}:{match.rule}" for match in found)
    if not counts:
        return
    today = keys.rule_matches(int(now // 86_400))
    for name, number in counts.items():
        pipe.hincrby(today, name, number)
    pipe.expire(today, DAYS_KEPT * 86_400)
    pipe.hset(keys.rule_last_match, mapping={name: repr(now) for name in counts})


def read_activity(
    client: redis.Redis, keys: Keyspace, rules: Sequence[str], days: int, now: float
) -> dict[str, RuleActivity]:
    """The activity of each of `rules` over the `days` UTC days up to `now`'s."""
    today = int(now // 86_400)
    with client.pipeline(transaction=False) as pipe:
        for day in range(today - days + 1, today + 1):
            pipe.hgetall(keys.rule_matches(day))
        pipe.hgetall(keys.rule_last_match)
        *per_day, last = [_decoded(found) for found in pipe.execute()]
    return {
        rule: RuleActivity(
            alerts=[int(day.get(f"alert:{rule}", 0)) for day in per_day],
            mentions=[int(day.get(f"mention:{rule}", 0)) for day in per_day],
            last_alert=_time(last.get(f"alert:{rule}")),
            last_mention=_time(last.get(f"mention:{rule}")),
        )
        for rule in rules
    }


def _kind(match: Match) -> str:
    return KINDS[0] if match.alert else KINDS[1]


def _decoded(found: dict[bytes, bytes]) -> dict[str, str]:
    return {as_text(name): as_text(value) for name, value in found.items()}


def _time(raw: str | None) -> float | None:
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None
