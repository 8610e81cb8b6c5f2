"""Counters and histograms of what the monitor does, kept in Redis so that every process,
forked or not, adds to the same numbers; written within the caller's own pipeline, read
by /metrics at scrape time.

A family is one hash: a field per label set (JSON of the label values) holding the count;
a histogram adds the label set's bucket (not cumulative), sum and count fields.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

import redis
from redis.client import Pipeline

from monitor.keyspace import Keyspace, as_text


class Kind(StrEnum):
    COUNTER = "counter"
    HISTOGRAM = "histogram"


@dataclass(frozen=True)
class Family:
    """One metric: its name (after `monitor_`), help, label names and, for a histogram, the
    upper bounds of its buckets. Label values are ids, names and words, never feed text."""

    name: str
    help: str
    labels: tuple[str, ...] = ()
    kind: Kind = Kind.COUNTER
    buckets: tuple[float, ...] = ()


ITEMS_FETCHED = Family("items_fetched", "Items read from feeds, new or seen before.")
ITEMS_NEW = Family("items_new", "Items read from feeds that were new and queued for matching.")
ITEMS_CHECKED = Family("items_checked", "Items that workers matched against the rules.")
ITEMS_MATCHED = Family("items_matched", "Items that matched a rule, as an alert or a mention.")
ALERTS = Family("alerts", "Items that matched a rule as an alert, by rule.", ("rule",))
MENTIONS = Family("mentions", "Items that matched a rule as a mention only, by rule.", ("rule",))
POLLS = Family("polls", "Feed polls, by status (ok, not_modified, error).", ("status",))
FEED_ERRORS = Family("feed_errors", "Feed polls that failed, by kind of error.", ("kind",))
DECISIONS = Family("decisions", "Decisions on stories that came due, by reason.", ("reason",))
NOTIFICATIONS = Family(
    "notifications", "Story notifications handed to delivery, by channel.", ("channel",)
)
DELIVERIES = Family(
    "deliveries",
    "Delivery jobs run, by channel and outcome (sent, retry, dead, paused, busy, already).",
    ("channel", "outcome"),
)
POLL_SECONDS = Family(
    "poll_duration_seconds",
    "Seconds one poll of one feed took: fetch, parse, dedup and enqueue.",
    kind=Kind.HISTOGRAM,
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
MATCH_SECONDS = Family(
    "match_duration_seconds",
    "Seconds the rules took to match one batch of items.",
    kind=Kind.HISTOGRAM,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

FAMILIES = (
    ITEMS_FETCHED,
    ITEMS_NEW,
    ITEMS_CHECKED,
    ITEMS_MATCHED,
    ALERTS,
    MENTIONS,
    POLLS,
    FEED_ERRORS,
    DECISIONS,
    NOTIFICATIONS,
    DELIVERIES,
    POLL_SECONDS,
    MATCH_SECONDS,
)
"""Every family, in the order /metrics shows them."""

INF = "+Inf"
"""The bucket of observations above the highest bound."""

Labels = tuple[str, ...]


@dataclass
class Tally:
    """Increments gathered in memory, then written in one go into the caller's pipeline."""

    counts: Counter[tuple[Family, str]] = field(default_factory=Counter)
    sums: dict[tuple[Family, str], float] = field(default_factory=dict)

    def count(self, family: Family, *labels: str, by: int = 1) -> None:
        if by:
            self.counts[family, _field(labels)] += by

    def observe(self, family: Family, value: float, *labels: str) -> None:
        """One observation of a histogram, in seconds."""
        self.counts[family, _field((*labels, "le", _bucket(family.buckets, value)))] += 1
        self.counts[family, _field((*labels, "count"))] += 1
        key = (family, _field((*labels, "sum")))
        self.sums[key] = self.sums.get(key, 0.0) + value

    def write(self, pipe: Pipeline, keys: Keyspace) -> None:
        """Add the increments to `pipe`, one command per field, and start afresh."""
        for (family, name), by in self.counts.items():
            pipe.hincrby(keys.metrics(family.name), name, by)
        for (family, name), value in self.sums.items():
            pipe.hincrbyfloat(keys.metrics(family.name), name, value)
        self.counts.clear()
        self.sums.clear()


def count(into: redis.Redis | Pipeline, keys: Keyspace, family: Family, *labels: str) -> None:
    """One increment of a counter, within `into` (a pipeline of the caller's) or at once."""
    into.hincrby(keys.metrics(family.name), _field(labels), 1)


@dataclass
class Histogram:
    """A histogram's values for one label set: cumulative buckets, sum and count."""

    buckets: list[tuple[str, float]]
    sum: float
    count: float


@dataclass
class Snapshot:
    """What Redis holds of every family: counter values and histograms by label set."""

    counters: dict[Family, dict[Labels, float]]
    histograms: dict[Family, dict[Labels, Histogram]]


def read(client: redis.Redis, keys: Keyspace) -> Snapshot:
    """Every family as Redis holds it now, in one round trip."""
    with client.pipeline(transaction=False) as pipe:
        for family in FAMILIES:
            pipe.hgetall(keys.metrics(family.name))
        found = pipe.execute()
    snapshot = Snapshot({}, {})
    for family, raw in zip(FAMILIES, found, strict=True):
        fields = _decoded(raw)
        if family.kind is Kind.HISTOGRAM:
            snapshot.histograms[family] = _histograms(family, fields)
        else:
            width = len(family.labels)
            snapshot.counters[family] = {k: v for k, v in fields.items() if len(k) == width}
    return snapshot


def value(client: redis.Redis, keys: Keyspace, family: Family, *labels: str) -> float:
    """One counter's value for one label set (0 when never counted): what a loop that waits
    on it reads, rather than every family, which at a thousand rules is thousands of fields."""
    raw = client.hget(keys.metrics(family.name), _field(labels))
    return float(raw) if raw is not None else 0.0


def _field(labels: Iterable[str]) -> str:
    return json.dumps(list(labels), ensure_ascii=False, separators=(",", ":"))


def _bucket(bounds: tuple[float, ...], value: float) -> str:
    """The bound of the lowest bucket that holds `value` (le: less than or equal)."""
    index = bisect_left(bounds, value)
    return repr(bounds[index]) if index < len(bounds) else INF


def _decoded(raw: dict[bytes, bytes]) -> dict[Labels, float]:
    """Fields as label tuples; a field that is not ours is left out."""
    found = {}
    for name, value in raw.items():
        try:
            labels = json.loads(as_text(name))
            number = float(as_text(value))
        except ValueError:
            continue
        if isinstance(labels, list) and all(isinstance(label, str) for label in labels):
            found[tuple(labels)] = number
    return found


def _histograms(family: Family, fields: dict[Labels, float]) -> dict[Labels, Histogram]:
    width = len(family.labels)
    found: dict[Labels, Histogram] = {}
    for labels in {labels[:width] for labels in fields if len(labels) > width}:
        per_bucket = [fields.get((*labels, "le", repr(b)), 0.0) for b in family.buckets]
        count = fields.get((*labels, "count"), 0.0)
        cumulative = [sum(per_bucket[: index + 1]) for index in range(len(per_bucket))]
        bounds = [repr(bound) for bound in family.buckets]
        found[labels] = Histogram(
            buckets=[*zip(bounds, cumulative, strict=True), (INF, count)],
            sum=fields.get((*labels, "sum"), 0.0),
            count=count,
        )
    return found
