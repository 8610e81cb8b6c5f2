"""What a worker process keeps between jobs: the rules, channels and pipeline of
each keyspace it serves, built once and refreshed when rules files change."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from monitor.channels import load_channels
from monitor.clock import SystemClock
from monitor.delivery import Deliverer, DeliveryJob
from monitor.history import History
from monitor.keyspace import Keyspace
from monitor.pipeline import Pipeline
from monitor.queue import enqueue_delivery as queue_delivery
from monitor.rule_reloads import publish
from monitor.rules.pattern_readings import readings_file
from monitor.rules.reloader import RuleReloader
from monitor.settings import Settings


@dataclass
class Runtime:
    """The live objects for one keyspace."""

    keys: Keyspace
    rules: RuleReloader
    pipeline: Pipeline
    deliverer: Deliverer
    clock: SystemClock
    context: dict[str, Any]


_runtimes: dict[tuple[str, ...], Runtime] = {}


def refresh_rules(client: redis.Redis, runtime: Runtime, at_most_every: float = 0.0) -> bool:
    """Reload the rules if their files changed (looked at once in `at_most_every` seconds);
    say what came of it where the rules page reads it, when anything did. True when a new
    set was taken."""
    failed_before = runtime.rules.failed_at
    taken = runtime.rules.refresh(at_most_every=at_most_every)
    if taken or runtime.rules.failed_at != failed_before:
        publish(client, runtime.keys, runtime.rules)
    return taken


def context_of(settings: Settings, keys: Keyspace, *, console: bool = True) -> dict[str, Any]:
    """The part of every job payload that tells a worker which rules and channels to use."""
    return {
        "prefix": keys.prefix,
        "queues": keys.queues,
        "rules": str(settings.rules.resolve()),
        "channels": str(settings.channels.resolve()),
        "retention": settings.retention_seconds,
        "console": console,
        "home": str(settings.home.resolve()),
    }


def runtime_for(client: redis.Redis, context: dict[str, Any]) -> Runtime:
    """The runtime of a job's context, built on first use."""
    key = (
        context["prefix"],
        context.get("queues", ""),
        context["rules"],
        context["channels"],
        str(context["retention"]),
        str(context.get("console", True)),
    )
    runtime = _runtimes.get(key)
    if runtime is None:
        runtime = _runtimes[key] = _build(client, context)
    return runtime


def _build(client: redis.Redis, context: dict[str, Any]) -> Runtime:
    keys = Keyspace(context["prefix"], context.get("queues", ""))
    retention = int(context["retention"])
    home = context.get("home")  # not in the jobs of a monitor before it
    readings = readings_file(Path(home)) if home else None
    rules = RuleReloader([Path(context["rules"])], readings)
    channels = load_channels(Path(context["channels"]))

    def enqueue_delivery(job: DeliveryJob) -> None:
        job = job.model_copy(update={"first_attempt": time.time()})
        note = job.notification
        job_id = f"deliver-{note.story}-{note.update}-{job.channel}"
        queue_delivery(client, keys, context, job.model_dump(mode="json"), job_id)

    pipeline = Pipeline(client, keys, rules, channels, retention, enqueue_delivery)
    history = History(client, keys, retention)
    deliverer = Deliverer(
        client, keys, history, channels, console=bool(context.get("console", True))
    )
    return Runtime(keys, rules, pipeline, deliverer, SystemClock(), dict(context))
