"""The poll benchmark's detailed report (bench/poll_bench.py): every round in a table, with
what the server and Redis spent, the cost of a 304 and of a 200, and the target."""

from __future__ import annotations

import argparse
import gzip
import importlib.metadata
import importlib.util
import logging
import os
import platform
import time
from collections.abc import Sequence
from pathlib import Path

from monitor.bench.feed_texts import ITEMS_PER_FEED, Rendering, Texts, feed_path, render_feed
from monitor.bench.figures import DEFAULT_CORPUS, stderr_progress
from monitor.bench.poll import (
    DEFAULT_PER_HOST,
    HIGH_PER_HOST,
    SEED,
    TARGET_CHANGED,
    TARGET_FEEDS,
    TARGET_POLLS_PER_S,
    WARMUP_ITEMS,
    Costs,
    Measured,
    Plan,
    costs,
    measure,
)
from monitor.bench.poll_round import Round
from monitor.bench.scratch_redis import scratch_redis
from monitor.ingest.parser import parse_feed_report
from monitor.ingest.poller import CONCURRENCY

PARSE_SAMPLES = 12
"""Documents parse_feed_report is timed on alone."""

USAGE = """Benchmark: one poller process against a local server of 2,000 RSS feeds (200s and 304s).

Each round is timed in wall time and in CPU time of this process (every thread of the poller,
neither the server nor Redis, whose CPU is shown alongside: Redis's from INFO, so with a
shared REDIS_URL other clients' load counts too). CPU per 304 comes from the all-304 rounds,
CPU per 200 from the mixed rounds less their 304s. With keep-alive working, a round opens at
most per_host connections. Figures move by 10-20% from run to run on a busy machine: the
headline numbers are medians over --rounds."""


def arguments(argv: Sequence[str] | None) -> tuple[Plan, Path]:
    """The plan and corpus the command line asks for."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        plan = Plan(
            feeds=args.feeds,
            changed=args.changed,
            per_hosts=tuple(dict.fromkeys(args.per_host or [DEFAULT_PER_HOST, HIGH_PER_HOST])),
            rounds=args.rounds,
            warmup_items=args.warmup_items,
            gzipped=args.gzip,
            html=args.html,
            seed=args.seed,
            profile=args.profile,
        )
    except ValueError as exc:
        parser.error(str(exc))
    return plan, args.corpus


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=USAGE, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--feeds", type=int, default=TARGET_FEEDS, help=f"feeds served ({TARGET_FEEDS})")
    add("--changed", type=float, default=TARGET_CHANGED, help="fraction changed a round (0.1)")
    per_hosts = f"the Fetcher's default, {DEFAULT_PER_HOST}, then {HIGH_PER_HOST}"
    add("--per-host", type=int, nargs="+", help=f"Fetcher per_host limits ({per_hosts})")
    add("--rounds", type=int, default=2, help="mixed + all-304 rounds per per-host value (2)")
    warmup = f"{WARMUP_ITEMS}; {ITEMS_PER_FEED} costs a minute more"
    add("--warmup-items", type=int, default=WARMUP_ITEMS, help=f"items a feed at first ({warmup})")
    add("--gzip", action="store_true", help="serve the feeds gzipped")
    add("--html", action="store_true", help="summaries as HTML in CDATA (BeautifulSoup parses)")
    profile = "profile one more mixed round, print the top N functions (0: no profile)"
    add("--profile", type=int, default=0, metavar="N", help=profile)
    add("--corpus", type=Path, default=DEFAULT_CORPUS, help="headlines, .jsonl")
    add("--seed", type=int, default=SEED, help="random seed of the changes")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the benchmark and prints its report; 1 when a check failed."""
    plan, corpus = arguments(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    started = time.perf_counter()
    say = stderr_progress()
    with scratch_redis() as redis_url:
        measured = measure(plan, say=say, redis_url=redis_url, corpus=corpus)
    say("timing parse_feed_report alone")
    parse_s = time_parse(measured.texts, plan.html, PARSE_SAMPLES)
    say("done")
    if measured.profile:
        print(f"\n{measured.profile}")
    report(measured, parse_s)
    print(f"\ntotal run time {time.perf_counter() - started:.1f}s")
    return 1 if measured.problems else 0


def time_parse(texts: Texts, html: bool, samples: int) -> float:
    """CPU seconds parse_feed_report takes on one 50-item document as the server makes them."""
    ctype = "application/rss+xml; charset=utf-8"
    how = Rendering("parse", first=0, html=html)
    bodies = [render_feed(n, 1000 + n, texts, how) for n in range(samples)]
    cpu0 = time.process_time()
    for number, body in enumerate(bodies):
        url = f"http://127.0.0.1{feed_path(number)}"
        parse_feed_report(body, f"feed-{number}", content_type=ctype, base_url=url)
    return (time.process_time() - cpu0) / len(bodies)


def report(measured: Measured, parse_s: float) -> None:
    plan, rows = measured.plan, measured.rows
    print()
    print("\n".join(setting_lines(measured)))
    print()
    print("\n".join(round_table(rows)))
    print()
    print("\n".join(keep_alive_lines(plan, rows)), end="")
    print(f"parse_feed_report alone: {1000 * parse_s:.1f} ms CPU per {ITEMS_PER_FEED}-item feed")
    summaries = [costs(rows, per_host) for per_host in plan.per_hosts]
    print("\n".join(cost_line(c, parse_s) for c in summaries))
    if measured.problems:
        print("\nCORRECTNESS CHECK FAILED (see above)")
    print()
    print("\n".join(target_lines(plan, summaries)))


def setting_lines(measured: Measured) -> list[str]:
    plan, texts = measured.plan, measured.texts
    document = render_feed(0, 1, texts, Rendering("size", plan.warmup_items, plan.html))
    size, packed = len(document), len(gzip.compress(document, compresslevel=6))
    where = "REDIS_URL" if os.environ.get("REDIS_URL") else "embedded, unix socket"
    return [
        f"software      {versions_line()}",
        f"              {sniffio_line()}",
        f"machine       {os.cpu_count()} CPUs; the feed server and Redis are other processes "
        "(their CPU is not the poller's)",
        f"redis         {where}",
        f"feeds         {plan.feeds:,} on one host, http://127.0.0.1:<port>/feed/N.xml, "
        f"{ITEMS_PER_FEED} items each, {size / 1024:.0f} KiB a document"
        f"{f' ({packed / 1024:.0f} KiB gzipped)' if plan.gzipped else ''}, summaries "
        f"{'HTML' if plan.html else 'plain text'}; texts: {texts.source}",
        f"poller        Poller.poll_all_once(), CONCURRENCY {CONCURRENCY} feeds claimed at once, "
        f"Fetcher per_host {' and '.join(map(str, plan.per_hosts))} "
        f"(default {DEFAULT_PER_HOST}), context {{}}, keep-alive connections",
    ]


def versions_line() -> str:
    def version(name: str) -> str:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "missing"

    names = ("httpx", "httpcore", "h11", "anyio", "feedparser", "redis", "rq", "pydantic")
    found = ", ".join(f"{name} {version(name)}" for name in names)
    return f"Python {platform.python_version()}, {found}"


def sniffio_line() -> str:
    if importlib.util.find_spec("sniffio") is not None:
        return "sniffio installed"
    return (
        "sniffio MISSING: httpcore then tries `import sniffio` afresh each time it asks "
        "which async library runs (several times a request); the issue measured httpx "
        "30-45% slower so"
    )


_HEAD = (
    "round",
    "per-host",
    "polls",
    "200",
    "304",
    "wall s",
    "cpu s",
    "cpu/wall",
    "polls/s",
    "ms cpu/poll",
    "new items",
    "connections",
    "server cpu s",
    "redis cpu s",
    "redis cmds/poll",
    "check",
)


def round_table(rows: Sequence[Round]) -> list[str]:
    """Every round in columns, then the problems its checks found."""
    lines = columns(_HEAD, [_cells(r) for r in rows])
    lines += [f"  {r.label}, per-host {r.per_host}: {p}" for r in rows for p in r.problems]
    return lines


def _cells(r: Round) -> list[str]:
    return [
        r.label,
        str(r.per_host),
        f"{r.polls:,}",
        f"{r.served[200]:,}",
        f"{r.served[304]:,}",
        f"{r.wall:.2f}",
        f"{r.cpu:.2f}",
        f"{r.cpu / r.wall:.0%}" if r.wall else "-",
        f"{r.polls_per_s:,.0f}",
        f"{r.cpu_ms_per_poll:.2f}",
        f"{r.new_items:,}",
        f"{r.connections:,}",
        f"{r.server_cpu:.2f}",
        f"{r.redis_cpu:.2f}",
        f"{r.redis_commands / r.polls:.1f}" if r.polls else "-",
        "ok" if not r.problems else "FAILED",
    ]


def columns(head: Sequence[str], lines: Sequence[Sequence[str]]) -> list[str]:
    """The first column left, the last free, the others right-aligned."""
    widths = [max(len(head[i]), *(len(line[i]) for line in lines)) for i in range(len(head))]

    def fmt(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:-1], widths[1:-1], strict=True)]
        return "  ".join([first, *rest, cells[-1]])

    return [fmt(head), "  ".join("-" * w for w in widths), *map(fmt, lines)]


def keep_alive_lines(plan: Plan, rows: Sequence[Round]) -> list[str]:
    """A warning when the all-304 rounds opened more connections than the limits allow."""
    pure = [r for r in rows if r.kind == "all_304"]
    opened, polled = sum(r.connections for r in pure), sum(r.polls for r in pure)
    if opened <= 2 * len(plan.per_hosts) * max(plan.per_hosts) * plan.rounds:
        return []
    return [
        f"keep-alive: the all-304 rounds opened {opened:,} connections for {polled:,} polls: "
        "after a 304 the connection is not reused\n"
    ]


def cost_line(c: Costs, parse_s: float) -> str:
    line = f"per-host {c.per_host:>3}: CPU per 304 poll {c.ms_304:.2f} ms"
    if c.ms_200 is not None:
        parse_ms = 1000 * parse_s
        line += (
            f", per 200 poll ({ITEMS_PER_FEED} new items) {c.ms_200:.1f} ms "
            f"(parsing {parse_ms:.1f} ms, the rest {c.ms_200 - parse_ms:.1f} ms)"
        )
    return line


def target_lines(plan: Plan, summaries: Sequence[Costs]) -> list[str]:
    stated = plan.feeds == TARGET_FEEDS and abs(plan.changed - TARGET_CHANGED) < 1e-9
    this_run = f"; this run: {plan.feeds:,} feeds, {plan.changed:.0%} changed"
    lines = [
        f"target (one poller process, {TARGET_FEEDS:,} feeds, {TARGET_CHANGED:.0%} a new "
        f"{ITEMS_PER_FEED}-item feed, {1 - TARGET_CHANGED:.0%} 304)"
        + ("" if stated else this_run)
        + ":"
    ]
    for c in summaries:
        met = "MET" if c.polls_per_s >= TARGET_POLLS_PER_S else "MISSED"
        lines.append(
            f"  polls/s >= {TARGET_POLLS_PER_S:g}  per-host {c.per_host:>3}: "
            f"{c.polls_per_s:6.0f} polls/s wall, {c.cpu_ms_per_poll:.2f} ms CPU a poll "
            f"(at most {1000 / c.cpu_ms_per_poll:,.0f}/s on a whole core)  {met}"
        )
    return lines
