"""What the monitor has said and failed to say, as `monitor alerts --json` and the
dashboard list it: sent notifications, deliveries still being retried, dead letters and
failed jobs, each a row with its `kind` and its time in ISO 8601."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from monitor.history import History, Pair, pair_of
from monitor.status import iso

RECORD_FIELDS = (
    "rule",
    "rules",
    "severity",
    "story",
    "update",
    "items",
    "sources",
    "channel",
    "title",
    "text",
)
TRY_FIELDS = ("attempt", "ok", "retryable", "status", "answer", "detail", "destination")

Tries = dict[Pair, list[dict[str, Any]]]


@dataclass
class AlertList:
    """The newest records of each kind, and every attempt of the deliveries among them."""

    records: list[dict[str, Any]]
    total: int
    retrying: list[dict[str, Any]]
    dead: list[dict[str, Any]]
    failed: list[dict[str, Any]]
    tries: Tries = field(default_factory=dict)

    def empty(self) -> bool:
        return not (self.records or self.retrying or self.dead or self.failed)

    def rows(self) -> list[dict[str, Any]]:
        """Every record as a row: notifications, retrying, dead letters, failed jobs."""
        rows = [notification_row(r, self.tries) for r in self.records]
        rows += [retrying_row(r, self.tries) for r in self.retrying]
        rows += [dead_letter_row(r, self.tries) for r in self.dead]
        return rows + [failed_job_row(r) for r in self.failed]


def alert_list(history: History, now: float, limit: int) -> AlertList:
    records, retrying = history.alerts(limit), history.retrying(now, limit)
    dead = history.dead_letters(limit)
    found = AlertList(records, history.alert_count(), retrying, dead, history.failed_jobs())
    found.tries = history.attempts(records + dead + retrying)
    return found


def public(record: dict[str, Any]) -> dict[str, Any]:
    # Records kept from before stories spanned rules have no `rules`, from before
    # severities were recorded no `severity`.
    older = {"rules": [record["rule"]], "severity": None}
    return {key: record.get(key, older.get(key)) for key in RECORD_FIELDS}


def notification_row(record: dict[str, Any], tries: Tries) -> dict[str, Any]:
    row = {"kind": "notification", **public(record), "at": iso_time(record["at"])}
    return {**row, "tries": _tries(record, tries)}


def retrying_row(record: dict[str, Any], tries: Tries) -> dict[str, Any]:
    shown = ("rule", "story", "update", "channel", "status", "answer")
    return {
        "kind": "retrying",
        **{key: record.get(key) for key in shown},
        "attempts": record["attempt"],
        "reason": record["detail"],
        "at": iso_time(record["at"]),
        "tries": _tries(record, tries),
    }


def dead_letter_row(record: dict[str, Any], tries: Tries) -> dict[str, Any]:
    shown = ("rule", "story", "update", "channel", "attempts", "status", "answer")
    return {
        "kind": "dead_letter",
        **{key: record.get(key) for key in shown},
        "reason": record["error"],
        "at": iso_time(record["at"]),
        "tries": _tries(record, tries),
    }


def failed_job_row(record: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "failed_job", **record, "at": iso_time(record["at"])}


def _tries(record: dict[str, Any], tries: Tries) -> list[dict[str, Any]]:
    """A delivery's attempts: when, and the destination's status and answer (masked)."""
    return [
        {**{key: tried.get(key) for key in TRY_FIELDS}, "at": iso_time(tried["at"])}
        for tried in tries.get(pair_of(record), [])
    ]


def iso_time(at: float | None) -> str | None:
    return iso(at) if at else None
