"""Benchmark of memory: a real worker's resident size with the rules given and with 1,000
and 10,000 generated rules beside them, once warm and again after a backlog; and the Redis
bytes each remembered item costs (its record, its place in the seen set, its counts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import redis

from monitor.bench.figures import Figure, Say
from monitor.bench.match import generated_rule_files
from monitor.bench.pipeline import Workbench, feed_items, workbench
from monitor.bench.sink import arrivals_sink
from monitor.rules.loader import rule_files


@dataclass(frozen=True)
class MemoryPlan:
    generated: tuple[int, ...]
    items: int


FULL = MemoryPlan(generated=(0, 1_000, 10_000), items=2_000)
QUICK = MemoryPlan(generated=(0, 1_000), items=200)


def figures(url: str, rules: Path, corpus: Path, plan: MemoryPlan, say: Say) -> list[Figure]:
    """Per rule set: a worker's RSS when ready and after `plan.items` items; Redis bytes
    per item with the rules given alone."""
    found: list[Figure] = []
    with generated_rule_files(corpus, max(plan.generated), say) as generated:
        for count in plan.generated:
            paths = [rules, *generated[:count]]
            say(f"memory: a worker with {_described(rules, count)}, {plan.items:,} items")
            found += _worker_figures(url, paths, corpus, plan.items, count == 0)
    return found


def _described(rules: Path, generated: int) -> str:
    given = f"{len(rule_files([rules]))} rule file(s) of {rules}"
    return f"{given} and {generated:,} generated rules" if generated else given


def _worker_figures(
    url: str, paths: Sequence[Path], corpus: Path, items: int, with_redis: bool
) -> list[Figure]:
    rules = len(rule_files(paths))
    with arrivals_sink() as sink, workbench(url, paths, sink.url) as bench:
        with bench.workers(1) as running:
            [worker] = running.processes
            ready = resident_mb(worker.pid)
            queued = bench.submit(feed_items(corpus, items))
            bench.wait_drained(queued)
            after = resident_mb(worker.pid)
        found = [
            Figure("memory", "rss_mb", ready, "MB", {"rules": rules, "when": "warm"}),
            Figure(
                "memory", "rss_mb", after, "MB", {"rules": rules, "when": f"after {queued:,} items"}
            ),
        ]
        if with_redis:
            per_item = redis_bytes(bench) / queued
            params: dict[str, int | float | str] = {"rules": rules, "items": queued}
            found.append(Figure("memory", "redis_bytes_per_item", per_item, "bytes", params))
    return found


def resident_mb(pid: int) -> float:
    """A process's resident set size (Linux); 0 where /proc does not tell."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return 0.0
    kilobytes = next((line.split()[1] for line in lines if line.startswith("VmRSS:")), "0")
    return int(kilobytes) / 1024


def redis_bytes(bench: Workbench) -> int:
    """Bytes Redis gives for every key of the workbench's prefix (queues' jobs aside)."""
    client: redis.Redis = bench.client
    total = 0
    for key in client.scan_iter(match=f"{bench.keys.prefix}:*", count=1000):
        total += int(client.memory_usage(key, samples=0) or 0)
    return total
