"""Benchmark: how fast the pipeline drains a backlog, from items queued as a poller queues
them to items matched, grouped into stories and their notifications delivered, with 1 and
2 `monitor work --burst` processes; and, in the same run, a bare Redis list carrying the
same payloads, the limit of the queue path.

Run from the project root with the project's interpreter:

    .venv/bin/python bench/pipeline_bench.py [--items N] [--workers W [W ...]]
                                             [--rules DIR [DIR ...]] [--json]

What it does
------------
1. Redis: REDIS_URL when set, else an EmbeddedRedis in a temporary directory (stopped at
   the end). Each measurement has a key prefix of its own (RQ's keys too), deleted after.
2. Items: feed-sized (a headline and the first 600 characters of the article, as a feed's
   summary) from the Al Jazeera corpus, repeated up to --items with new ids and numbered
   headlines (the seen set takes a headline seen before for a repeat, as a few of the
   corpus's own are).
3. For each worker count: the items are queued with monitor.queue.submit_items (the seen
   set, 50-item match jobs), then W `monitor work --burst` processes are started at once
   and timed until the last exits: their start (imports, rules, warm-up) included, as a
   backlog after a restart would see it. Notifications go to the console channel (no
   channels file), so a delivery job runs for each, as for any channel. Checked at the
   end: every item counted as matched by the workers (monitor_items_checked).
   CPU per item is the workers' and their work-horses' user and system time over the items.
4. The bare list: the same match-job payloads (JSON bytes) pushed with LPUSH and taken
   with BRPOP by one consumer, timed end to end.
5. Prints a table (and with --json one object per figure: bench, figure, value, unit and
   the parameters).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RQ_KEY_PREFIX", "monitor-bench:rq")  # before monitor imports RQ

from bench.table import print_table  # noqa: E402
from monitor import counters  # noqa: E402
from monitor.item import Item  # noqa: E402
from monitor.keyspace import Keyspace  # noqa: E402
from monitor.queue import BATCH_SIZE, JobSerializer, submit_items  # noqa: E402
from monitor.redis_server import EmbeddedRedis  # noqa: E402
from monitor.rules.loader import load_rules  # noqa: E402
from monitor.settings import Settings  # noqa: E402
from workers.runtime import context_of  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "aljazeera" / "articles.jsonl"
SUMMARY_CHARS = 600


@dataclass
class Drain:
    workers: int
    items: int
    seconds: float
    cpu_seconds: float

    @property
    def items_per_s(self) -> float:
        return self.items / self.seconds

    @property
    def cpu_ms_per_item(self) -> float:
        return 1000 * self.cpu_seconds / self.items


def feed_items(corpus: Path, count: int, run: str) -> list[Item]:
    with corpus.open(encoding="utf-8") as lines:
        articles = [json.loads(line) for line in lines]
    items = []
    for n in range(count):
        article = articles[n % len(articles)]
        again = n // len(articles)  # a headline used again is numbered, or it is a repeat
        items.append(
            Item(
                id=f"{run}-{n}",
                title=f"{article['title']} ({again})" if again else article["title"],
                summary=article.get("content", "")[:SUMMARY_CHARS],
                source=f"outlet-{n % 40}",
                lang="ar",
            )
        )
    return items


@contextmanager
def redis_url() -> Iterator[str]:
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    with tempfile.TemporaryDirectory() as home:
        server = EmbeddedRedis(Path(home))
        server.start()
        try:
            yield server.url
        finally:
            server.stop()


def drain(url: str, items: list[Item], workers: int, rules: Path, home: Path) -> Drain:
    prefix = f"monitor-bench:{uuid.uuid4().hex[:10]}"
    keys = Keyspace(prefix)
    client = redis.Redis.from_url(url)
    channels = home / "channels.yaml"
    channels.write_text("channels: []\n", encoding="utf-8")
    env = {
        **os.environ,
        "REDIS_URL": url,
        "MONITOR_PREFIX": prefix,
        "MONITOR_RULES": str(rules),
        "MONITOR_CHANNELS": str(channels),
        "MONITOR_FEEDS": str(home / "feeds.yaml"),
        "MONITOR_HOME": str(home),
    }
    settings = Settings.from_env(env)  # what the workers will read: the same context
    try:
        queued = submit_items(
            client, keys, items, context_of(settings, keys), settings.retention_seconds
        ).queued  # less the items the seen set takes for repeats (a headline again)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "monitor", "work", "--burst"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(workers)
        ]
        errors = [process.communicate()[1] for process in processes]
        seconds = time.perf_counter() - began
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        failed = [e for p, e in zip(processes, errors, strict=True) if p.returncode]
        if failed:
            raise SystemExit(f"a worker failed:\n{failed[0][-2000:]}")
        checked = counters.read(client, keys).counters[counters.ITEMS_CHECKED].get((), 0)
        if checked != queued:
            raise SystemExit(f"{checked:.0f} of {queued} items matched; see the workers")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return Drain(workers, queued, seconds, cpu)
    finally:
        for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            client.delete(key)
        client.close()


def bare_list(url: str, items: list[Item]) -> float:
    """Items per second through LPUSH and BRPOP of the same 50-item payloads."""
    client = redis.Redis.from_url(url)
    key = f"monitor-bench:list:{uuid.uuid4().hex[:10]}"
    payloads = [
        JobSerializer.dumps({"items": [item.model_dump(mode="json") for item in batch]})
        for batch in (items[n : n + BATCH_SIZE] for n in range(0, len(items), BATCH_SIZE))
    ]
    began = time.perf_counter()
    for payload in payloads:
        client.lpush(key, payload)
    taken = 0
    while taken < len(payloads):
        client.brpop([key], timeout=5)
        taken += 1
    seconds = time.perf_counter() - began
    client.close()
    return len(items) / seconds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=5000, help="items to drain (5000)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="(1 2)")
    parser.add_argument("--rules", type=Path, default=ROOT / "rules", help="rules directory")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="items, .jsonl")
    parser.add_argument("--json", action="store_true", help="one JSON object per figure")
    args = parser.parse_args(argv)
    rules = len(load_rules([args.rules]))
    items = feed_items(args.corpus, args.items, uuid.uuid4().hex[:8])
    figures: list[dict[str, object]] = []
    rows = []
    with redis_url() as url, tempfile.TemporaryDirectory() as home:
        print(f"{len(items)} feed-sized items, {rules} rules, Redis {url}", file=sys.stderr)
        limit = bare_list(url, items)
        for workers in args.workers:
            print(f"draining with {workers} worker(s)...", file=sys.stderr)
            done = drain(url, items, workers, args.rules, Path(home))
            ratio = done.items_per_s / limit
            rows.append(
                [
                    f"{workers} worker(s)",
                    f"{done.seconds:.1f}",
                    f"{done.items_per_s:,.0f}",
                    f"{done.cpu_ms_per_item:.2f}",
                    f"1/{1 / ratio:,.0f}",
                ]
            )
            params = {"workers": workers, "rules": rules, "items": done.items}
            figures += [
                {"figure": "items_per_s", "value": done.items_per_s, "unit": "items/s", **params},
                {
                    "figure": "cpu_ms_per_item",
                    "value": done.cpu_ms_per_item,
                    "unit": "ms",
                    **params,
                },
                {"figure": "ratio_vs_redis_list", "value": ratio, "unit": "ratio", **params},
            ]
    rows.append(["bare Redis list", "", f"{limit:,.0f}", "", "1"])
    figures.append({"figure": "redis_list_items_per_s", "value": limit, "unit": "items/s"})
    if args.json:
        for figure in figures:
            print(json.dumps({"bench": "pipeline", **figure}))
    else:
        print_table(["drain", "seconds", "items/s", "CPU ms/item", "vs bare list"], rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
