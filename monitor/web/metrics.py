"""/metrics: what every worker and poller counted (monitor.counters), the depth of the
queues and the processes alive, all read from Redis at the scrape, in Prometheus's text
format. Labels carry rule ids, channel names, queue names and outcome words only."""

from __future__ import annotations

import time
from collections.abc import Iterator

import prometheus_client
import redis
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry

from monitor import counters
from monitor.counters import Family, Snapshot
from monitor.heartbeat import beats
from monitor.keyspace import Keyspace
from monitor.queue import rq_queue

CONTENT_TYPE = prometheus_client.CONTENT_TYPE_LATEST
"""The Content-Type of what `render_metrics` returns."""

PREFIX = "monitor_"
"""The start of every metric's name."""

ROLES = ("worker", "poller")
"""Roles always shown among the processes alive, at 0 when none beats."""


def render_metrics(client: redis.Redis, keys: Keyspace) -> bytes:
    """The exposition of one scrape, from a registry of its own."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MonitorCollector(client, keys))
    return prometheus_client.generate_latest(registry)


class MonitorCollector(Collector):
    """Reads Redis on each `collect`, so each scrape sees what all processes have done."""

    def __init__(self, client: redis.Redis, keys: Keyspace) -> None:
        self.redis = client
        self.keys = keys

    def collect(self) -> Iterator[Metric]:
        snapshot = counters.read(self.redis, self.keys)
        for family in counters.FAMILIES:
            if family.kind is counters.Kind.HISTOGRAM:
                yield _histogram(family, snapshot)
            else:
                yield _counter(family, snapshot)
        yield self._queue_jobs()
        yield self._processes_alive()
        yield GaugeMetricFamily(
            PREFIX + "dead_letters",
            "Deliveries given up, kept for the retention period.",
            value=float(self.redis.zcard(self.keys.dead_letters)),
        )

    def _queue_jobs(self) -> GaugeMetricFamily:
        metric = GaugeMetricFamily(
            PREFIX + "queue_jobs",
            "Jobs in each queue, by state: queued, started, scheduled (a retry waiting), failed.",
            labels=["queue", "state"],
        )
        for name, key in (("match", self.keys.match_queue), ("deliver", self.keys.deliver_queue)):
            queue = rq_queue(self.redis, key)
            metric.add_metric([name, "queued"], queue.count)
            for state, registry in (
                ("started", queue.started_job_registry),
                ("scheduled", queue.scheduled_job_registry),
                ("failed", queue.failed_job_registry),
            ):
                metric.add_metric([name, state], registry.get_job_count(cleanup=False))
        return metric

    def _processes_alive(self) -> GaugeMetricFamily:
        metric = GaugeMetricFamily(
            PREFIX + "processes_alive",
            "Workers and pollers whose last heartbeat is recent enough, by role.",
            labels=["role"],
        )
        now = time.time()
        alive = dict.fromkeys(ROLES, 0)
        for beat in beats(self.redis, self.keys):
            alive[beat.role] = alive.get(beat.role, 0) + beat.alive(now)
        for role, number in alive.items():
            metric.add_metric([role], number)
        return metric


def _counter(family: Family, snapshot: Snapshot) -> CounterMetricFamily:
    metric = CounterMetricFamily(PREFIX + family.name, family.help, labels=list(family.labels))
    values = snapshot.counters.get(family, {})
    if not family.labels and not values:
        values = {(): 0.0}  # an unlabelled counter is there from the start
    for labels, value in sorted(values.items()):
        metric.add_metric(list(labels), value)
    return metric


def _histogram(family: Family, snapshot: Snapshot) -> HistogramMetricFamily:
    metric = HistogramMetricFamily(PREFIX + family.name, family.help, labels=list(family.labels))
    found = snapshot.histograms.get(family, {})
    if not family.labels and not found:
        empty = [(repr(bound), 0.0) for bound in family.buckets]
        found = {(): counters.Histogram([*empty, (counters.INF, 0.0)], 0.0, 0.0)}
    for labels, histogram in sorted(found.items()):
        metric.add_metric(list(labels), histogram.buckets, histogram.sum)
    return metric
