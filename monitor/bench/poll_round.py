"""A round of the poll benchmark: one Poller.poll_all_once() over every feed, timed in wall
and CPU time, then checked against what the feed server changed."""

from __future__ import annotations

import gc
import random
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

import redis

from monitor.bench.feed_site import FeedServerProcess, SiteStats
from monitor.bench.feed_texts import ITEMS_PER_FEED, item_guid
from monitor.bench.figures import Say
from monitor.clock import SystemClock
from monitor.ingest.feeds import FeedSpec
from monitor.ingest.fetcher import Fetcher
from monitor.ingest.poller import Poller
from monitor.keyspace import Keyspace
from monitor.queue import rq, rq_queue

RETENTION = 3600
"""Seen-set retention, seconds (as the poller tests use)."""

Kind = Literal["warm-up", "mixed", "all_304"]


@dataclass
class Round:
    kind: Kind
    label: str
    per_host: int
    polls: int
    changed: int
    wall: float
    cpu: float
    """CPU seconds of this process: every thread of the poller, neither server nor Redis."""
    statuses: Counter[str]
    new_items: int
    served: Counter[int]
    connections: int
    server_cpu: float
    redis_cpu: float
    redis_commands: int
    problems: list[str] = field(default_factory=list)

    @property
    def polls_per_s(self) -> float:
        return self.polls / self.wall if self.wall else 0.0

    @property
    def items_per_s(self) -> float:
        return self.new_items / self.wall if self.wall else 0.0

    @property
    def cpu_ms_per_poll(self) -> float:
        return 1000 * self.cpu / self.polls if self.polls else 0.0


@dataclass(frozen=True)
class Load:
    """What the other processes had done when a round started or ended."""

    site: SiteStats
    redis_cpu: float
    redis_commands: int


@dataclass
class Bench:
    """What the rounds share: Redis, the keyspace, the server, the feeds and their versions."""

    client: redis.Redis
    keys: Keyspace
    run: str
    """The run's token in every item's guid."""
    server: FeedServerProcess
    specs: list[FeedSpec]
    changed_fraction: float
    rng: random.Random
    versions: list[int]
    first: int
    say: Say

    def poller(self, fetcher: Fetcher) -> Poller:
        return Poller(self.client, self.keys, self.specs, fetcher, {}, RETENTION, SystemClock())

    def bump(self) -> list[int]:
        """A seeded sample of the feeds, each given a new version on the server."""
        count = round(self.changed_fraction * len(self.specs))
        numbers = sorted(self.rng.sample(range(len(self.specs)), count))
        self.server.bump(numbers)
        for number in numbers:
            self.versions[number] += 1
        return numbers

    def expected_items(self, numbers: Sequence[int]) -> set[str]:
        return {
            item_guid(self.run, number, self.versions[number], index)
            for number in numbers
            for index in range(ITEMS_PER_FEED)
        }

    def load(self) -> Load:
        """The server's counts and CPU, Redis's CPU and commands (all clients')."""
        site = self.server.stats()
        cpu = self.client.info("cpu")
        commands = int(self.client.info("stats")["total_commands_processed"])
        return Load(site, float(cpu["used_cpu_sys"]) + float(cpu["used_cpu_user"]), commands)

    def match_queue(self) -> rq.Queue:
        return rq_queue(self.client, self.keys.match_queue)

    def empty_queue(self) -> None:
        self.match_queue().empty()  # type: ignore[no-untyped-call]  # RQ leaves it untyped


async def run_rounds(bench: Bench, per_hosts: Sequence[int], rounds: int) -> list[Round]:
    """A warm-up (every feed's first version), then for each per-host limit `rounds` mixed
    rounds, each followed by an all-304 round."""
    results: list[Round] = []
    for position, per_host in enumerate(per_hosts):
        fetcher = Fetcher(per_host=per_host)
        try:
            poller = bench.poller(fetcher)
            if position == 0:
                bench.say(f"warm-up: every feed once (all 200), per-host {per_host}")
                results.append(await _warm_up(bench, poller, per_host))
            for number in range(1, rounds + 1):
                bench.say(f"per-host {per_host}, round {number}: mixed, then all 304")
                results += await _mixed_then_304(bench, poller, per_host, number)
        finally:
            await fetcher.aclose()
    return results


async def _warm_up(bench: Bench, poller: Poller, per_host: int) -> Round:
    label = f"warm-up, all 200, {bench.first} items"
    everything = list(range(len(bench.specs)))
    return await timed_round(bench, poller, ("warm-up", label), per_host, everything, None)


async def _mixed_then_304(bench: Bench, poller: Poller, per_host: int, number: int) -> list[Round]:
    changed = bench.bump()
    share = len(changed) / len(bench.specs)
    label = f"mixed, {share:.0%} new (round {number})"
    expected = bench.expected_items(changed)
    mixed = await timed_round(bench, poller, ("mixed", label), per_host, changed, expected)
    what: tuple[Kind, str] = ("all_304", f"all 304 (round {number})")
    return [mixed, await timed_round(bench, poller, what, per_host, [], set())]


async def timed_round(
    bench: Bench,
    poller: Poller,
    what: tuple[Kind, str],
    per_host: int,
    changed: Sequence[int],
    expected_ids: set[str] | None,
) -> Round:
    """One poll_all_once(), timed; then its outcomes and queued jobs checked, and the queue
    emptied. `expected_ids` None (the warm-up) checks only the number of jobs."""
    before = bench.load()
    with _collector_paused():
        wall0, cpu0 = time.perf_counter(), time.process_time()
        outcomes = await poller.poll_all_once()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    after = bench.load()
    result = Round(
        kind=what[0],
        label=what[1],
        per_host=per_host,
        polls=len(outcomes),
        changed=len(changed),
        wall=wall,
        cpu=cpu,
        statuses=Counter(outcome.status for outcome in outcomes),
        new_items=sum(outcome.new for outcome in outcomes),
        served=+(after.site.served - before.site.served),
        connections=after.site.connections - before.site.connections,
        server_cpu=after.site.cpu - before.site.cpu,
        redis_cpu=after.redis_cpu - before.redis_cpu,
        redis_commands=after.redis_commands - before.redis_commands - 2,  # less load()'s INFOs
    )
    new_each = bench.first if expected_ids is None else ITEMS_PER_FEED
    result.problems += _responses(result, len(poller.feeds), new_each)
    result.problems += _queued(bench, len(changed), expected_ids, new_each)
    bench.empty_queue()
    return result


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No garbage collection inside a timed round, as timeit does: in a process with a large
    heap (a test run's), one full collection could cost more CPU than a round of 304s."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _responses(result: Round, feeds: int, new_each: int) -> list[str]:
    """What the outcomes and the server's counts get wrong."""
    problems = []
    changed = result.changed
    wanted = Counter({"ok": changed, "not_modified": feeds - changed})
    if result.statuses != +wanted:
        problems.append(f"statuses {dict(result.statuses)}, expected {dict(+wanted)}")
    if result.served != +Counter({200: changed, 304: feeds - changed}):
        problems.append(f"server answered {dict(result.served)}")
    if result.new_items != changed * new_each:
        problems.append(f"{result.new_items:,} new items, expected {changed * new_each:,}")
    return problems


def _queued(bench: Bench, changed: int, expected_ids: set[str] | None, new_each: int) -> list[str]:
    """What the match queue gets wrong: every new item exactly once, nothing else."""
    queue = bench.match_queue()
    if expected_ids is None:  # the warm-up: counting the jobs is enough (one a feed)
        jobs = changed if new_each else 0
        return [] if queue.count == jobs else [f"{queue.count:,} match jobs, expected {jobs:,}"]
    ids = [item["id"] for job in queue.get_jobs() for item in job.args[0]["items"]]
    problems = []
    if len(ids) != len(set(ids)):
        problems.append(f"{len(ids) - len(set(ids)):,} items queued twice")
    if set(ids) != expected_ids:
        problems.append(
            f"queued {len(set(ids)):,} items: {len(set(ids) - expected_ids):,} unexpected, "
            f"{len(expected_ids - set(ids)):,} missing"
        )
    return problems
