"""Benchmark of the whole pipeline with real `monitor work` processes: how fast warm workers
drain a backlog, how long an alert takes from being queued to reaching a destination at a
steady rate, and, in the same run, a bare Redis list carrying the same payloads: the limit
of the queue path.

Items are feed-sized (a headline and the first 600 characters of an article, as a feed's
summary). One in ALERTING_EVERY carries a marker word that a benchmark rule (group_wait 0)
alerts on, beside the rules given; notifications go to a json:// destination on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

from monitor import counters
from monitor.bench.figures import Figure, Say
from monitor.bench.match import FEED_SUMMARY_CHARS, generated_rule_files
from monitor.bench.sink import Arrivals, arrivals_sink
from monitor.bench.worker_processes import WorkerProcesses, worker_processes
from monitor.item import Item
from monitor.keyspace import Keyspace, drop
from monitor.queue import BATCH_SIZE, JobSerializer, drop_queues, rq, rq_queue, submit_items
from monitor.rules.loader import rule_files
from monitor.settings import Settings
from workers.holding import hold_key
from workers.runtime import context_of

ALERTING_EVERY = 20
"""One item in 20 alerts, as about 5% of real feed items did on the monitor's rules."""

MARKER = "zqxbenchmark"
LINK = "https://bench.invalid/item/{}"
_LINKED = re.compile(rb"bench\.invalid/item/(\d+)")

BENCH_RULE = f"""\
id: bench-marker
title: Benchmark marker
severity: high
policy: {{group_wait: 0}}
terms:
  marker: {{mode: exact, words: [{MARKER}]}}
match: marker
"""

TICK = 0.05
"""Seconds between two submissions at a steady rate: a poller's feeds come in bursts."""

DRAINED_LOOK_EVERY = 0.05
"""Seconds between looks at whether a backlog has drained: each look reads every counter,
and on two cores a tighter loop would take CPU from the workers it measures."""

DRAIN_CEILING = 600.0
"""Seconds a backlog may take to drain before the benchmark gives up."""


@dataclass(frozen=True)
class Drain:
    workers: int
    items: int
    seconds: float
    cpu_seconds: float
    start_seconds: float
    alerting: int
    """Items that alerted, and so were placed in stories."""

    @property
    def items_per_s(self) -> float:
        return self.items / self.seconds

    @property
    def cpu_ms_per_item(self) -> float:
        return 1000 * self.cpu_seconds / self.items


@dataclass(frozen=True)
class Latency:
    rate: float
    workers: int
    alerts: int
    milliseconds: list[float]

    def percentile(self, share: float) -> float:
        ordered = sorted(self.milliseconds)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def feed_items(corpus: Path, count: int) -> list[Item]:
    """`count` feed-sized items, new ids each call; a headline used again is numbered."""
    with corpus.open(encoding="utf-8") as lines:
        articles = [json.loads(line) for line in lines if line.strip()]
    run = uuid.uuid4().hex[:8]
    return [
        _feed_item(articles[n % len(articles)], n, n // len(articles), run) for n in range(count)
    ]


def _feed_item(article: dict[str, str], n: int, again: int, run: str) -> Item:
    title = f"{article['title']} ({again})" if again else article["title"]
    if n % ALERTING_EVERY == 0:
        title = f"{title} {MARKER}"
    summary = (article.get("content") or article.get("summary", ""))[:FEED_SUMMARY_CHARS]
    return Item(
        id=f"{run}-{n}",
        title=title,
        summary=summary,
        link=LINK.format(n),
        source=f"outlet-{n % 40}",
        lang="ar",
    )


@dataclass
class Workbench:
    """A prefix, rules and channels of one measurement, on one Redis."""

    client: redis.Redis
    keys: Keyspace
    settings: Settings
    env: dict[str, str]
    cwd: Path

    def submit(self, items: Sequence[Item]) -> int:
        context = context_of(self.settings, self.keys)
        found = submit_items(
            self.client, self.keys, items, context, self.settings.retention_seconds
        )
        return found.queued

    def drained(self, queued: int) -> bool:
        """Every item checked, then no job queued, held or running (in that order: a match
        job has counted its items before it queues their deliveries). Asked every
        DRAINED_LOOK_EVERY while the measured workers run, so it reads one counter: every
        counter, at a thousand rules, is thousands of fields parsed each time."""
        if counters.value(self.client, self.keys, counters.ITEMS_CHECKED) < queued:
            return False
        queues = [
            rq_queue(self.client, self.keys.match_queue),
            rq_queue(self.client, self.keys.deliver_queue),
        ]
        return all(
            q.count == 0
            and not self.client.llen(hold_key(q.key))
            and rq.registry.StartedJobRegistry(queue=q).count == 0
            for q in queues
        )

    def placed_items(self) -> int:
        """Items placed in stories: each item that alerted is placed in one."""
        lists = list(self.client.scan_iter(match=self.keys.story_items("*"), count=1000))
        with self.client.pipeline(transaction=False) as pipe:
            for key in lists:
                pipe.llen(key)
            return sum(pipe.execute())

    def wait_drained(self, queued: int) -> None:
        deadline = time.monotonic() + DRAIN_CEILING
        while not self.drained(queued):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the backlog did not drain in {DRAIN_CEILING:.0f} s")
            time.sleep(DRAINED_LOOK_EVERY)

    @contextmanager
    def workers(self, count: int) -> Iterator[WorkerProcesses]:
        with worker_processes(
            self.client, self.keys.match_queue, count, self.env, self.cwd
        ) as running:
            yield running


@contextmanager
def workbench(url: str, rules: Sequence[Path], destination: str) -> Iterator[Workbench]:
    """A fresh prefix with `rules` and the benchmark rule, sending to `destination`; its keys
    are deleted at the end, its queues' with them (a benchmark may run on the Redis a
    monitor uses: `--redis`)."""
    prefix = f"monitor-bench:{uuid.uuid4().hex[:10]}"
    keys = Keyspace(prefix)
    client = redis.Redis.from_url(url)
    with tempfile.TemporaryDirectory(prefix="monitor-bench-") as home:
        env = _environment(Path(home), url, prefix, rules, destination)
        try:
            yield Workbench(client, keys, Settings.from_env(env), env, Path.cwd())
        finally:
            drop_queues(client, keys)
            drop(client, prefix)
            client.close()


def _environment(
    home: Path, url: str, prefix: str, rules: Sequence[Path], destination: str
) -> dict[str, str]:
    (home / "rules").mkdir()
    for number, path in enumerate(rule_files(rules)):
        (home / "rules" / f"{number:05d}-{path.name}").symlink_to(path.resolve())
    (home / "rules" / "bench-marker.yaml").write_text(BENCH_RULE, encoding="utf-8")
    channel = "channels:\n  - name: bench\n    url_env: MONITOR_BENCH_URL\n"
    (home / "channels.yaml").write_text(channel, encoding="utf-8")
    return {
        **os.environ,
        "REDIS_URL": url,
        "MONITOR_PREFIX": prefix,
        "MONITOR_RULES": str(home / "rules"),
        "MONITOR_CHANNELS": str(home / "channels.yaml"),
        "MONITOR_FEEDS": str(home / "feeds.yaml"),
        "MONITOR_HOME": str(home),
        "MONITOR_BENCH_URL": destination,
    }


def drain(url: str, rules: Sequence[Path], items: list[Item], workers: int) -> Drain:
    """Warm workers, then the whole backlog queued at once: seconds until the last item is
    matched and the last delivery made."""
    with (
        arrivals_sink() as sink,
        workbench(url, rules, sink.url) as bench,
        bench.workers(workers) as running,
    ):
        cpu_before, began = running.cpu_seconds(), time.perf_counter()
        queued = bench.submit(items)
        bench.wait_drained(queued)
        seconds = time.perf_counter() - began
        cpu_seconds = running.cpu_seconds() - cpu_before
        return Drain(
            workers, queued, seconds, cpu_seconds, running.ready_after, bench.placed_items()
        )


def latency(
    url: str, rules: Sequence[Path], items: list[Item], workers: int, rate: float
) -> Latency:
    """Items queued at a steady `rate`; for each alerting item, the milliseconds from being
    queued to its notification reaching the destination."""
    with (
        arrivals_sink() as sink,
        workbench(url, rules, sink.url) as bench,
        bench.workers(workers),
    ):
        queued_at, queued = _submit_steadily(bench, items, rate)
        bench.wait_drained(queued)
        return Latency(rate, workers, len(queued_at), _delays(sink, queued_at))


def _submit_steadily(
    bench: Workbench, items: list[Item], rate: float
) -> tuple[dict[int, float], int]:
    per_tick = max(1, round(rate * TICK))
    began, queued, queued_at = time.monotonic(), 0, {}
    for tick, start in enumerate(range(0, len(items), per_tick)):
        time.sleep(max(0.0, began + tick * per_tick / rate - time.monotonic()))
        batch = items[start : start + per_tick]
        now = time.time()
        queued += bench.submit(batch)
        queued_at.update(
            {start + i: now for i in range(len(batch)) if (start + i) % ALERTING_EVERY == 0}
        )
    return queued_at, queued


def _delays(sink: Arrivals, queued_at: dict[int, float]) -> list[float]:
    first: dict[int, float] = {}
    for at, body in sink.snapshot():
        for number in map(int, _LINKED.findall(body)):
            first.setdefault(number, at)
    return [1000 * (at - queued_at[n]) for n, at in first.items() if n in queued_at]


def bare_list(url: str, items: list[Item]) -> float:
    """Items per second through LPUSH and BRPOP of the same 50-item payloads."""
    client = redis.Redis.from_url(url)
    key = f"monitor-bench:list:{uuid.uuid4().hex[:10]}"
    payloads = [
        JobSerializer.dumps(
            {"items": [item.model_dump(mode="json") for item in items[n : n + BATCH_SIZE]]}
        )
        for n in range(0, len(items), BATCH_SIZE)
    ]
    began = time.perf_counter()
    for payload in payloads:
        client.lpush(key, payload)
    for _ in payloads:
        client.brpop([key], timeout=5)
    seconds = time.perf_counter() - began
    client.close()
    return len(items) / seconds


@dataclass(frozen=True)
class PipelinePlan:
    items: int
    workers: tuple[int, ...]
    rate: float
    latency_seconds: float
    generated: tuple[int, ...] = (0,)
    """Rule sets measured: the rules given, with this many generated rules beside them."""


FULL = PipelinePlan(
    items=10_000, workers=(1, 2), rate=200.0, latency_seconds=20.0, generated=(0, 1_000)
)
QUICK = PipelinePlan(
    items=1_500, workers=(2,), rate=200.0, latency_seconds=3.0, generated=(0, 1_000)
)


def figures(url: str, rules: Path, corpus: Path, plan: PipelinePlan, say: Say) -> list[Figure]:
    """The bare list, then for each rule set: drain with each worker count, and latency
    with the most workers."""
    items = feed_items(corpus, plan.items)
    say(f"pipeline: bare Redis list, {len(items):,} items")
    limit = bare_list(url, items)
    found = [
        Figure(
            "pipeline", "items_per_s", limit, "items/s", {"path": "redis_list", "items": len(items)}
        )
    ]
    with generated_rule_files(corpus, max(plan.generated), say) as generated:
        for count in plan.generated:
            rule_set = RuleSet([rules, *generated[:count]], count)
            found += _rule_set_figures(url, rule_set, corpus, plan, limit, say)
    return found


@dataclass(frozen=True)
class RuleSet:
    paths: list[Path]
    generated: int

    @property
    def params(self) -> dict[str, int | float | str]:
        return {"rule_files": len(rule_files(self.paths)), "generated": self.generated}

    def __str__(self) -> str:
        given = f"{len(rule_files(self.paths[:1]))} rule file(s)"
        return f"{given} and {self.generated:,} generated" if self.generated else given


def _rule_set_figures(
    url: str, rules: RuleSet, corpus: Path, plan: PipelinePlan, limit: float, say: Say
) -> list[Figure]:
    found: list[Figure] = []
    for workers in plan.workers:
        say(f"pipeline: {plan.items:,} items drained by {workers} warm worker(s), {rules}")
        done = drain(url, rules.paths, feed_items(corpus, plan.items), workers)
        found += _drain_figures(done, limit, rules)
    workers = max(plan.workers)
    count = round(plan.rate * plan.latency_seconds)
    say(f"pipeline: latency, {count:,} items at {plan.rate:g}/s, {workers} worker(s), {rules}")
    measured = latency(url, rules.paths, feed_items(corpus, count), workers, plan.rate)
    return found + _latency_figures(measured, rules)


def _drain_figures(done: Drain, limit: float, rules: RuleSet) -> list[Figure]:
    params: dict[str, int | float | str] = {
        "workers": done.workers,
        **rules.params,
        "items": done.items,
        # what placing costs grows with it: the shipped rules alert on about one item in
        # twenty, rules generated from the corpus's own words on about half
        "alerting": round(done.alerting / done.items, 3),
    }
    return [
        Figure("pipeline", "items_per_s", done.items_per_s, "items/s", params),
        Figure("pipeline", "cpu_ms_per_item", done.cpu_ms_per_item, "ms", params),
        Figure("pipeline", "ratio_vs_redis_list", done.items_per_s / limit, "ratio", params),
        Figure(
            "pipeline",
            "start_s",
            done.start_seconds,
            "s",
            {"workers": done.workers, **rules.params},
        ),
    ]


def _latency_figures(measured: Latency, rules: RuleSet) -> list[Figure]:
    params: dict[str, int | float | str] = {
        "rate": measured.rate,
        "workers": measured.workers,
        "alerts": len(measured.milliseconds),
        **rules.params,
    }
    if not measured.milliseconds:
        raise RuntimeError(f"none of {measured.alerts} alerts reached the destination")
    return [
        Figure("pipeline", "p50_ms", statistics.median(measured.milliseconds), "ms", params),
        Figure("pipeline", "p99_ms", measured.percentile(0.99), "ms", params),
    ]
