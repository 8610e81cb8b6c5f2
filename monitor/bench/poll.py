"""The poll benchmark: one real Poller, in this process, against a local server of RSS feeds
in another, over rounds where a tenth of the feeds changed and rounds of nothing but 304s.

All feeds are on one host, 127.0.0.1, and the Fetcher lets only `per_host` requests go to
one host at once, which caps a poller far below its CONCURRENCY; real feeds are spread over
many hosts, so the full run also measures a per-host limit of 50.
"""

from __future__ import annotations

import asyncio
import inspect
import random
import statistics
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import redis

from monitor.bench.feed_site import FeedServerProcess, SiteOptions
from monitor.bench.feed_texts import ITEMS_PER_FEED, Rendering, Texts, load_texts
from monitor.bench.figures import DEFAULT_CORPUS, Figure, Param, Say
from monitor.bench.poll_profile import profile_round
from monitor.bench.poll_round import Bench, Round, run_rounds
from monitor.errors import MonitorError
from monitor.ingest.feeds import FeedSpec
from monitor.ingest.fetcher import Fetcher
from monitor.keyspace import Keyspace, drop
from monitor.queue import drop_queues

PREFIX = "monitor-bench:poll"
"""Every run keeps its keys under a prefix of its own below this one, and deletes them."""

SEED = 20240611
"""Seed of the feeds changed in each mixed round (and of generated texts)."""

TARGET_POLLS_PER_S = 200.0
TARGET_FEEDS, TARGET_CHANGED = 2000, 0.10
"""The conditions the target is stated for."""

DEFAULT_PER_HOST: int = inspect.signature(Fetcher).parameters["per_host"].default
"""The Fetcher's own limit of requests to one host at once."""

HIGH_PER_HOST = 50
"""The second per-host limit of a full run: feeds spread over many hosts."""

WARMUP_ITEMS = 5
"""Items of each feed's first version: the warm-up only has to fill ETags and the seen-set."""


class PollBenchFailed(MonitorError):
    """The poller did not queue exactly the new items of the changed feeds, once each."""


@dataclass(frozen=True)
class Plan:
    """What one run of the benchmark does."""

    feeds: int = TARGET_FEEDS
    changed: float = TARGET_CHANGED
    """Fraction of the feeds given a new 50-item version in each mixed round."""
    per_hosts: tuple[int, ...] = tuple(dict.fromkeys((DEFAULT_PER_HOST, HIGH_PER_HOST)))
    rounds: int = 2
    """Mixed rounds (each followed by an all-304 round) per per-host limit."""
    warmup_items: int = WARMUP_ITEMS
    gzipped: bool = False
    html: bool = False
    seed: int = SEED
    profile: int = 0
    """Functions listed by the profile of one more mixed round; 0: no such round."""

    def __post_init__(self) -> None:
        if self.feeds < 1 or self.rounds < 1 or not self.per_hosts:
            raise ValueError("feeds, rounds and per-host limits must be positive")
        if not 0 <= self.changed <= 1:
            raise ValueError("the changed fraction must be between 0 and 1")
        if not 0 <= self.warmup_items <= ITEMS_PER_FEED:
            raise ValueError(f"warm-up items must be between 0 and {ITEMS_PER_FEED}")

    @property
    def changed_feeds(self) -> int:
        return round(self.changed * self.feeds)


QUICK = Plan(feeds=300, per_hosts=(HIGH_PER_HOST,), rounds=1)
"""A run of some 10-20 seconds: enough to see the figures move, not to quote them."""


@dataclass(frozen=True)
class Measured:
    plan: Plan
    texts: Texts
    rows: list[Round]
    profile: str
    """The profile's text; empty without one."""

    @property
    def problems(self) -> list[str]:
        return [f"{r.label}, per-host {r.per_host}: {p}" for r in self.rows for p in r.problems]


def measure(plan: Plan, *, say: Say, redis_url: str, corpus: Path = DEFAULT_CORPUS) -> Measured:
    """Every round of `plan`, each checked (a failed check is in the round's `problems`)."""
    texts = load_texts(corpus, plan.seed)
    say(f"feed texts: {texts.source}; starting the feed server")
    with _bench(plan, texts, redis_url, say) as bench:
        rows = asyncio.run(run_rounds(bench, plan.per_hosts, plan.rounds))
        profile = ""
        if plan.profile:
            say(f"profiled round, per-host {plan.per_hosts[0]}")
            profile = asyncio.run(profile_round(bench, plan.per_hosts[0], plan.profile))
    return Measured(plan, texts, rows, profile)


@contextmanager
def _bench(plan: Plan, texts: Texts, redis_url: str, say: Say) -> Iterator[Bench]:
    """The server started and Redis connected; at the end the run's keys are deleted."""
    run = uuid.uuid4().hex[:10]
    keys = Keyspace(f"{PREFIX}:{run}")
    rendering = Rendering(run, plan.warmup_items, plan.html)
    server = FeedServerProcess(texts, SiteOptions(plan.feeds, rendering, plan.gzipped))
    client = redis.Redis.from_url(redis_url)
    try:
        yield Bench(
            client=client,
            keys=keys,
            run=run,
            server=server,
            specs=[_spec(server, n) for n in range(plan.feeds)],
            changed_fraction=plan.changed,
            rng=random.Random(plan.seed),
            versions=[0] * plan.feeds,
            first=plan.warmup_items,
            say=say,
        )
    finally:
        server.stop()
        say(f"deleting the run's keys ({keys.prefix}:*) and its RQ queue")
        _delete_keys(client, keys)
        client.close()


def _spec(server: FeedServerProcess, number: int) -> FeedSpec:
    url = server.url(number)
    return FeedSpec(id=f"feed-{number}", url=url, lang="ar", allow_private=True, baseline=False)


def _delete_keys(client: redis.Redis, keys: Keyspace) -> None:
    drop_queues(client, keys)
    drop(client, keys.prefix)


@dataclass(frozen=True)
class Costs:
    """The headline figures of one per-host limit, medians over the rounds."""

    per_host: int
    polls_per_s: float
    """Mixed rounds, wall clock."""
    polls_per_s_304: float
    items_per_s: float
    """New items claimed and queued per second of a mixed round."""
    cpu_ms_per_poll: float
    """Mixed rounds."""
    ms_304: float
    """CPU of an all-304 round per poll: the least over the rounds, since noise only adds."""
    ms_200: float | None
    """CPU of a mixed round less its 304s at the all-304 rate, per 200, and at least a 304's
    own cost (which a changed feed's work includes): with a tenth of the feeds changed, the
    noise of nine 304s falls on each, and took a short run's figure below zero; None
    without one."""


def costs(rows: Sequence[Round], per_host: int) -> Costs:
    mixed = [r for r in rows if r.per_host == per_host and r.kind == "mixed"]
    pure = [r for r in rows if r.per_host == per_host and r.kind == "all_304"]
    ms_304 = min(r.cpu_ms_per_poll for r in pure)
    ms_200 = None
    if all(r.changed for r in mixed):
        ms_200 = max(
            ms_304,
            statistics.median(
                (1000 * r.cpu - (r.polls - r.changed) * ms_304) / r.changed for r in mixed
            ),
        )
    return Costs(
        per_host,
        polls_per_s=statistics.median(r.polls_per_s for r in mixed),
        polls_per_s_304=statistics.median(r.polls_per_s for r in pure),
        items_per_s=statistics.median(r.items_per_s for r in mixed),
        cpu_ms_per_poll=statistics.median(r.cpu_ms_per_poll for r in mixed),
        ms_304=ms_304,
        ms_200=ms_200,
    )


def figures(
    *,
    quick: bool,
    say: Say,
    redis_url: str,
    corpus: Path = DEFAULT_CORPUS,
    feeds: int | None = None,
) -> list[Figure]:
    """The figures `monitor bench poll` prints; `feeds` overrides the plan's number of feeds.

    Raises PollBenchFailed when a round did not queue exactly the new items, once each."""
    plan = QUICK if quick else Plan()
    plan = plan if feeds is None else replace(plan, feeds=feeds)
    if plan.changed_feeds < 1:
        raise ValueError(f"{plan.feeds} feeds: too few for {plan.changed:.0%} of them to change")
    measured = measure(plan, say=say, redis_url=redis_url, corpus=corpus)
    if measured.problems:
        raise PollBenchFailed("poll benchmark check failed: " + "; ".join(measured.problems))
    return [
        f for per_host in plan.per_hosts for f in _figures_of(plan, costs(measured.rows, per_host))
    ]


def _figures_of(plan: Plan, c: Costs) -> list[Figure]:
    params: dict[str, Param] = {
        "feeds": plan.feeds,
        "per_host": c.per_host,
        "changed": plan.changed,
    }
    if c.ms_200 is None:
        raise PollBenchFailed(f"per-host {c.per_host}: a mixed round changed no feed")
    return [
        Figure("poll", "polls_per_s", c.polls_per_s, "polls/s", {**params, "round": "mixed"}),
        Figure("poll", "polls_per_s", c.polls_per_s_304, "polls/s", {**params, "round": "all_304"}),
        Figure("poll", "cpu_ms_per_304", c.ms_304, "ms", params),
        Figure("poll", "cpu_ms_per_200", c.ms_200, "ms", params),
        Figure("poll", "items_per_s", c.items_per_s, "items/s", params),
    ]
