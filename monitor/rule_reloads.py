"""What the workers last made of the rules files, for the rules page: the set they run
(loaded when, how many rules) and, when the last reload failed, when and why; they keep
the last good set meanwhile. Every worker writes it when its rules change."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from monitor.keyspace import Keyspace, as_text
from monitor.rules.reloader import RuleReloader


@dataclass(frozen=True)
class ReloadRecord:
    loaded_at: float
    rules: int
    failed_at: float | None
    error: str


def publish(client: redis.Redis, keys: Keyspace, reloader: RuleReloader) -> None:
    failed_at, error = reloader.failed_at, reloader.last_error
    client.hset(
        keys.rules_loaded,
        mapping={
            "loaded_at": repr(reloader.loaded_at),
            "rules": str(len(reloader.matcher.rules)),
            "failed_at": repr(failed_at) if failed_at is not None else "",
            "error": str(error) if error is not None else "",
        },
    )


def read_record(client: redis.Redis, keys: Keyspace) -> ReloadRecord | None:
    """The last record written; None before any worker started, or when it is unreadable."""
    found = {as_text(k): as_text(v) for k, v in client.hgetall(keys.rules_loaded).items()}
    try:
        return ReloadRecord(
            loaded_at=float(found["loaded_at"]),
            rules=int(found["rules"]),
            failed_at=float(found["failed_at"]) if found.get("failed_at") else None,
            error=found.get("error", ""),
        )
    except (KeyError, ValueError):
        return None
