"""Benchmark: one poller process against a local server of 2,000 RSS feeds (200s and 304s).

Run from the project root with the project's interpreter:

    .venv/bin/python bench/poll_bench.py [--feeds N] [--changed F] [--per-host N [N ...]]
                                         [--rounds R] [--warmup-items N] [--gzip] [--html]
                                         [--profile N] [--corpus PATH] [--seed S]

What it does
------------
1. Redis: REDIS_URL when set, else an EmbeddedRedis in a temporary directory (stopped at
   the end).  Every key lives under a prefix of the run's own (monitor-bench:<random>, RQ's
   keys too, through RQ_KEY_PREFIX), deleted at the end.
2. Starts a feed server in a SEPARATE PROCESS (multiprocessing, spawn), so that the
   benchmark process's CPU time is the poller's alone: asyncio streams, HTTP/1.1 keep-alive,
   on 127.0.0.1 with an ephemeral port.  /feed/N.xml is feed N (N < --feeds): a 50-item RSS
   2.0 document whose ETag names the feed's version; a request whose If-None-Match is the
   current ETag gets a 304, any other a 200 with the whole feed.  Items are realistic
   Arabic: titles are Al Jazeera headlines (from --corpus, when present, else generated from
   a word list) with the item's number appended, so that every title, guid and link is new
   (the seen-set would take a repeated headline for a repeat); summaries are ~300-character
   passages of the articles' text, plain text (or, with --html, an HTML fragment in CDATA,
   which the parser then hands to BeautifulSoup).  With --gzip the bodies are gzipped.
   Bodies of changed feeds are rendered when they change, before a round starts.
3. In this process: a Poller (the real one) over FeedSpecs of the feeds (allow_private=True,
   baseline=False), with the real Fetcher, the real Redis and an empty context {} - every
   new item is claimed in the seen-set and enqueued to RQ as match jobs, which is part of
   the cost.  A warm-up round with poll_all_once() fetches every feed (all 200s; it fills
   the ETags and the seen-set; its feeds hold --warmup-items items, 5, as 50 would only
   spend a minute more on what the mixed rounds measure anyway).  Then, for each --per-host
   value and each of --rounds:
   * a mixed round: the server bumps --changed of the feeds (a seeded random sample) to a
     new version with 50 new items, and poll_all_once() runs: ~10% 200s, ~90% 304s;
   * an all-304 round: nothing changes, poll_all_once() again: the pure cost of a 304.
   Each round is timed in wall time (time.perf_counter) and in CPU time of this process
   (time.process_time: every thread of the poller, the parser threads of asyncio.to_thread
   included; neither the server nor Redis).  The CPU time the server and Redis spent in
   the round is shown alongside (Redis's from INFO cpu: with a shared REDIS_URL, other
   clients' load counts too).  From the two rounds: CPU per 304 poll (the all-304 round)
   and CPU per 200 poll (the mixed round less its 304s at the all-304 rate).
   The table also shows the TCP connections the server accepted during each round (with
   keep-alive working, at most per_host in all: one more a poll means connections are not
   reused) and the Redis commands per poll (INFO total_commands_processed: the commands a
   Lua script runs count one each).
4. Correctness, for every round: the outcomes' statuses, the responses the server counted,
   and the items of the match jobs in the RQ queue (read back as tests/ingest/
   test_poller.py's queued_ids does, then the queue is emptied): exactly the 50 new items of
   every changed feed, once each.
5. parse_feed_report alone is timed on a dozen documents made the same way (not gzipped),
   to split the cost of a 200 into parsing and the rest.

All feeds are on ONE host, 127.0.0.1, and the Fetcher lets only `per_host` requests go to
one host at once: with the Fetcher's default that caps the concurrency of a poller far below
the poller's own CONCURRENCY (50 feeds claimed and gathered at once).  Real feeds are spread
over many hosts, so the benchmark also runs with --per-host 50 (by default both).  The
server keeps every connection open for as long as the client wants it (real servers close
idle ones after some seconds, and a real feed is polled minutes apart); connecting over
loopback without TLS is cheap, but not free.  The figures move by 10-20% from run to run on
a busy machine: the headline numbers are medians over --rounds.

--profile N runs one more mixed round under cProfile (asyncio.to_thread made inline for it,
so that the parser's time shows in the one profiled thread) and prints the N functions with
the most own time, and own time by library (a C function's time goes to its caller's
library).  cProfile measures wall time, so a blocking wait (the synchronous Redis client's
recv) shows as time spent; profiling slows everything down: its numbers are for proportions
only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gzip
import importlib.metadata
import importlib.util
import inspect
import json
import logging
import multiprocessing
import os
import platform
import pstats
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.utils import formatdate
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PREFIX = f"monitor-bench:{uuid.uuid4().hex[:10]}"
"""The run's own key prefix (a spawned child draws another one, and never uses it)."""

# RQ reads its key prefix once, at import (monitor.queue, imported by the poller): set first.
os.environ["RQ_KEY_PREFIX"] = f"{PREFIX}:rq"

import redis  # noqa: E402
import table  # noqa: E402

from monitor.clock import SystemClock  # noqa: E402
from monitor.ingest.feeds import FeedSpec  # noqa: E402
from monitor.ingest.fetcher import Fetcher  # noqa: E402
from monitor.ingest.parser import parse_feed_report  # noqa: E402
from monitor.ingest.poller import CONCURRENCY, Poller, PollOutcome  # noqa: E402
from monitor.keyspace import Keyspace  # noqa: E402
from monitor.queue import rq_queue  # noqa: E402
from monitor.redis_server import EmbeddedRedis  # noqa: E402

DEFAULT_CORPUS = Path("/work/shared/corpus/aljazeera/articles.jsonl")
SEED = 20240611
ITEMS_PER_FEED = 50
SUMMARY_CHARS = 300
RETENTION = 3600
"""Seen-set retention, seconds (as the poller tests use)."""

HIGH_PER_HOST = 50
"""The second per-host limit run by default: feeds spread over many hosts."""

TARGET_POLLS_PER_S = 200.0
TARGET_FEEDS, TARGET_CHANGED = 2000, 0.10
"""The conditions the target is stated for."""

WARMUP_ITEMS = 5
"""Items of each feed's first version: the warm-up only has to fill ETags and the seen-set."""

PARSE_SAMPLES = 12
"""Documents parse_feed_report is timed on alone."""

BASE_TIME = 1_717_000_000
"""pubDate of the first item of version 0 (June 2024)."""

_FALLBACK_TEXT = (
    "الحكومة العراقية بغداد البرلمان رئيس الوزراء وزير الخارجية مجلس الأمن الأمم المتحدة "
    "المفاوضات الاتفاق الولايات المتحدة القوات الأمريكية التحالف الدولي إيران تركيا سوريا "
    "الانتخابات المحافظة البصرة أربيل الموصل النفط الاقتصاد الموازنة الدولار الأسعار "
    "الكهرباء المياه الجفاف الزراعة الصحة التعليم الجامعة المواطنين الاحتجاجات المتظاهرين "
    "الشرطة الجيش الحشد الشعبي هجوم صاروخ طائرة مسيرة قاعدة عين الأسد بيان مصدر مسؤول "
    "أعلن أكد قال أفاد مقتل إصابة اعتقال مشروع قانون جلسة تصويت قرار زيارة لقاء اجتماع "
    "الأسبوع المقبل اليوم أمس مساء صباح خلال بعد قبل وفق حسب في من على إلى عن مع"
)
"""Words of the generated texts, when there is no corpus."""


# --------------------------------------------------------------------------- feed texts


@dataclass(frozen=True)
class Texts:
    """What feed items are made of: headlines and ~300-character passages."""

    titles: list[str]
    passages: list[str]
    source: str


def _passages(text: str, size: int = SUMMARY_CHARS, limit: int = 4) -> list[str]:
    """Up to `limit` runs of whole words of about `size` characters."""
    found: list[str] = []
    run: list[str] = []
    length = 0
    for word in text.split():
        run.append(word)
        length += len(word) + 1
        if length >= size:
            found.append(" ".join(run))
            run, length = [], 0
            if len(found) >= limit:
                break
    return found


def load_texts(path: Path, seed: int) -> Texts:
    """Headlines and passages of the corpus; generated ones when it is missing."""
    titles: list[str] = []
    passages: list[str] = []
    if path.is_file():
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if not line.strip():
                    continue
                article = json.loads(line)
                title = " ".join(str(article.get("title", "")).split())
                if title:
                    titles.append(title)
                passages += _passages(str(article.get("content", "")))
    if titles and passages:
        return Texts(titles, passages, f"{path} ({len(titles):,} headlines)")
    rng = random.Random(seed)
    vocabulary = _FALLBACK_TEXT.split()

    def sentence(chars: int) -> str:
        words: list[str] = []
        while sum(len(w) + 1 for w in words) < chars:
            words.append(rng.choice(vocabulary))
        return " ".join(words)

    return Texts(
        [sentence(60) for _ in range(500)],
        [sentence(SUMMARY_CHARS) for _ in range(1500)],
        "generated from a word list (no corpus)",
    )


def feed_path(number: int) -> str:
    return f"/feed/{number}.xml"


def item_guid(number: int, version: int, index: int) -> str:
    return f"bench-{number}-v{version}-{index}"


def render_feed(number: int, version: int, texts: Texts, *, html: bool, first: int) -> bytes:
    """Feed `number` as it reads at `version`: 50 items, newest first (`first` at version 0)."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0"><channel>'
        f"<title>موقع إخباري {number}</title>"
        f"<link>https://news{number}.example/</link>"
        f"<description>آخر الأخبار من الموقع {number}</description>"
        "<language>ar</language>"
        f"<lastBuildDate>{formatdate(BASE_TIME + version * 3600, usegmt=True)}</lastBuildDate>"
    ]
    n_titles, n_passages = len(texts.titles), len(texts.passages)
    for index in range(first if version == 0 else ITEMS_PER_FEED):
        serial = (number * 7919 + version * 104_729 + index * 131) & 0x7FFFFFFF
        guid = item_guid(number, version, index)
        title = f"{texts.titles[serial % n_titles]} ({number}-{version}-{index})"
        passage = texts.passages[(serial * 31 + index) % n_passages]
        link = f"https://news{number}.example/{version}/{index}/article.html"
        if html:
            image = f"https://news{number}.example/img/{version}-{index}.jpg"
            text = passage.replace("]]>", "]] >")
            summary = f'<![CDATA[<p><img src="{image}" alt="" /></p><p>{text}</p>]]>'
        else:
            summary = escape(passage)
        when = formatdate(BASE_TIME + version * 3600 - index * 300, usegmt=True)
        parts.append(
            f"<item><title>{escape(title)}</title><link>{link}</link>"
            f'<guid isPermaLink="false">{guid}</guid><pubDate>{when}</pubDate>'
            f"<category>أخبار</category><description>{summary}</description></item>"
        )
    parts.append("</channel></rss>\n")
    return "".join(parts).encode("utf-8")


# --------------------------------------------------------------------------- feed server
# Runs in its own process: nothing here may touch Redis or the poller.


_REQUEST_PATH = re.compile(rb"/feed/(\d+)\.xml")


@dataclass(frozen=True)
class SiteOptions:
    feeds: int
    first: int  # items of version 0, served to the warm-up round
    html: bool
    gzipped: bool


class FeedSite:
    """Feed versions, the current bodies of changed feeds, and what was served."""

    def __init__(self, texts: Texts, options: SiteOptions) -> None:
        self.versions = [0] * options.feeds
        self.texts = texts
        self.options = options
        self.rendered: dict[int, bytes] = {}
        self.served: Counter[int] = Counter()
        self.connections = 0

    def etag(self, number: int) -> str:
        return f'"v{self.versions[number]}-{number}"'

    def body(self, number: int) -> bytes:
        body = self.rendered.get(number)
        if body is None:
            version, options = self.versions[number], self.options
            body = render_feed(number, version, self.texts, html=options.html, first=options.first)
            if options.gzipped:
                body = gzip.compress(body, compresslevel=6)
        return body

    def bump(self, numbers: Sequence[int]) -> None:
        """A new version (50 new items) of each feed; its body rendered now, not when asked."""
        self.rendered.clear()
        for number in numbers:
            self.versions[number] += 1
        for number in numbers:
            self.rendered[number] = self.body(number)

    def answer(self, target: bytes, if_none_match: str | None) -> bytes:
        match = _REQUEST_PATH.fullmatch(target)
        if match is None or int(match[1]) >= len(self.versions):
            self.served[404] += 1
            return b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
        number = int(match[1])
        etag = self.etag(number)
        if if_none_match == etag:
            self.served[304] += 1
            return f"HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\n\r\n".encode("ascii")
        body = self.body(number)
        self.served[200] += 1
        encoding = "Content-Encoding: gzip\r\n" if self.options.gzipped else ""
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\n"
            f"{encoding}ETag: {etag}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return head.encode("ascii") + body


async def _serve_connection(
    site: FeedSite, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    site.connections += 1
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            target = lines[0].split(b" ")[1] if lines[0].count(b" ") >= 2 else b""
            if_none_match, close = None, False
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"if-none-match":
                    if_none_match = value.strip().decode("latin-1")
                elif name == b"connection":
                    close = value.strip().lower() == b"close"
            writer.write(site.answer(target, if_none_match))
            await writer.drain()
            if close:
                break
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        pass
    finally:
        writer.close()


async def _serve(control: Connection, texts: Texts, options: SiteOptions) -> None:
    site = FeedSite(texts, options)
    server = await asyncio.start_server(
        lambda r, w: _serve_connection(site, r, w), "127.0.0.1", 0, backlog=1024
    )
    stop = asyncio.Event()

    def on_control() -> None:
        command, argument = control.recv()
        if command == "bump":
            site.bump(argument)
            control.send(None)
        elif command == "stats":
            control.send((dict(site.served), site.connections, time.process_time()))
        else:
            stop.set()

    asyncio.get_running_loop().add_reader(control.fileno(), on_control)
    control.send(server.sockets[0].getsockname()[1])
    async with server:
        await stop.wait()


def serve(control: Connection, texts: Texts, options: SiteOptions) -> None:
    """The feed server process: answers commands on `control` while it serves."""
    asyncio.run(_serve(control, texts, options))


class FeedServerProcess:
    """The feed server in another process, driven through a pipe."""

    def __init__(self, texts: Texts, options: SiteOptions) -> None:
        context = multiprocessing.get_context("spawn")
        self._control, child = context.Pipe()
        self.process = context.Process(target=serve, args=(child, texts, options), daemon=True)
        self.process.start()
        child.close()
        if not self._control.poll(60):
            self.process.kill()
            raise RuntimeError("the feed server did not start")
        self.port: int = self._control.recv()

    def url(self, number: int) -> str:
        return f"http://127.0.0.1:{self.port}{feed_path(number)}"

    def _ask(self, command: str, argument: Any = None) -> Any:
        self._control.send((command, argument))
        return self._control.recv()

    def bump(self, numbers: Sequence[int]) -> None:
        self._ask("bump", list(numbers))

    def stats(self) -> tuple[Counter[int], int, float]:
        """Responses by status and connections accepted so far, and the server's CPU time."""
        served, connections, cpu = self._ask("stats")
        return Counter(served), connections, cpu

    def stop(self) -> None:
        if self.process.is_alive():
            with contextlib.suppress(OSError):
                self._control.send(("stop", None))
            self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


# --------------------------------------------------------------------------- rounds


@dataclass
class Round:
    label: str
    per_host: int
    polls: int
    changed: int
    wall: float
    cpu: float
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
    def cpu_ms_per_poll(self) -> float:
        return 1000 * self.cpu / self.polls if self.polls else 0.0


def redis_load(client: redis.Redis) -> tuple[float, int]:
    """Redis's CPU seconds and commands processed so far (all clients')."""
    info = client.info("cpu")
    commands = int(client.info("stats")["total_commands_processed"])
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"]), commands


def queued_ids(client: redis.Redis, keys: Keyspace) -> list[str]:
    """The ids of the items in the match queue's jobs (as the poller tests read them)."""
    jobs = rq_queue(client, keys.match_queue).get_jobs()
    return [item["id"] for job in jobs for item in job.args[0]["items"]]


async def timed_round(
    label: str,
    poller: Poller,
    per_host: int,
    client: redis.Redis,
    keys: Keyspace,
    server: FeedServerProcess,
    changed: Sequence[int],
    expected_ids: set[str] | None,
    new_each: int = ITEMS_PER_FEED,
) -> Round:
    """One poll_all_once(), timed; then its outcomes and queued jobs checked."""
    served0, connections0, server_cpu0 = server.stats()
    redis_cpu0, commands0 = redis_load(client)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    outcomes: list[PollOutcome] = await poller.poll_all_once()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    served1, connections1, server_cpu1 = server.stats()
    redis_cpu1, commands1 = redis_load(client)
    served1.subtract(served0)
    result = Round(
        label=label,
        per_host=per_host,
        polls=len(outcomes),
        changed=len(changed),
        wall=wall,
        cpu=cpu,
        statuses=Counter(outcome.status for outcome in outcomes),
        new_items=sum(outcome.new for outcome in outcomes),
        served=+served1,
        connections=connections1 - connections0,
        server_cpu=server_cpu1 - server_cpu0,
        redis_cpu=redis_cpu1 - redis_cpu0,
        redis_commands=commands1 - commands0 - 2,  # less the two INFOs after the round
    )
    check_round(result, poller, client, keys, changed, expected_ids, new_each)
    rq_queue(client, keys.match_queue).empty()
    return result


def check_round(
    result: Round,
    poller: Poller,
    client: redis.Redis,
    keys: Keyspace,
    changed: Sequence[int],
    expected_ids: set[str] | None,
    new_each: int,
) -> None:
    feeds, n_changed = len(poller.feeds), len(changed)
    problems = result.problems
    wanted = Counter({"ok": n_changed, "not_modified": feeds - n_changed})
    if result.statuses != +wanted:
        problems.append(f"statuses {dict(result.statuses)}, expected {dict(+wanted)}")
    if result.served != +Counter({200: n_changed, 304: feeds - n_changed}):
        problems.append(f"server answered {dict(result.served)}")
    if result.new_items != n_changed * new_each:
        problems.append(f"{result.new_items:,} new items, expected {n_changed * new_each:,}")
    queue = rq_queue(client, keys.match_queue)
    if expected_ids is None:  # the warm-up: counting the jobs is enough (one a feed)
        jobs = n_changed if new_each else 0
        if queue.count != jobs:
            problems.append(f"{queue.count:,} match jobs, expected {jobs:,}")
        return
    ids = queued_ids(client, keys)
    if len(ids) != len(set(ids)):
        problems.append(f"{len(ids) - len(set(ids)):,} items queued twice")
    if set(ids) != expected_ids:
        problems.append(
            f"queued {len(set(ids)):,} items: {len(set(ids) - expected_ids):,} unexpected, "
            f"{len(expected_ids - set(ids)):,} missing"
        )


def expected_items(site_versions: dict[int, int], numbers: Sequence[int]) -> set[str]:
    return {
        item_guid(number, site_versions[number], index)
        for number in numbers
        for index in range(ITEMS_PER_FEED)
    }


@dataclass
class Bench:
    """What the rounds share: Redis, the keyspace, the server, the feeds and their versions."""

    client: redis.Redis
    keys: Keyspace
    server: FeedServerProcess
    specs: list[FeedSpec]
    changed_fraction: float
    rng: random.Random
    versions: dict[int, int]
    first: int
    step: Callable[[str], None]

    def poller(self, fetcher: Fetcher) -> Poller:
        return Poller(self.client, self.keys, self.specs, fetcher, {}, RETENTION, SystemClock())

    def bump(self) -> list[int]:
        count = round(self.changed_fraction * len(self.specs))
        numbers = sorted(self.rng.sample(range(len(self.specs)), count))
        self.server.bump(numbers)
        for number in numbers:
            self.versions[number] += 1
        return numbers


async def run_rounds(bench: Bench, per_hosts: Sequence[int], rounds: int) -> list[Round]:
    results: list[Round] = []
    everything = list(range(len(bench.specs)))
    for position, per_host in enumerate(per_hosts):
        fetcher = Fetcher(per_host=per_host)
        try:
            poller = bench.poller(fetcher)
            if position == 0:
                bench.step(f"warm-up: every feed once (all 200), per-host {per_host}")
                results.append(
                    await timed_round(
                        f"warm-up, all 200, {bench.first} items",
                        poller,
                        per_host,
                        bench.client,
                        bench.keys,
                        bench.server,
                        everything,
                        None,
                        bench.first,
                    )
                )
            for number in range(1, rounds + 1):
                bench.step(f"per-host {per_host}, round {number}: mixed, then all 304")
                changed = bench.bump()
                share = len(changed) / len(bench.specs)
                results.append(
                    await timed_round(
                        f"mixed, {share:.0%} new (round {number})",
                        poller,
                        per_host,
                        bench.client,
                        bench.keys,
                        bench.server,
                        changed,
                        expected_items(bench.versions, changed),
                    )
                )
                results.append(
                    await timed_round(
                        f"all 304 (round {number})",
                        poller,
                        per_host,
                        bench.client,
                        bench.keys,
                        bench.server,
                        [],
                        set(),
                    )
                )
        finally:
            await fetcher.aclose()
    return results


# --------------------------------------------------------------------------- profile


_AREAS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("import machinery", ("<frozen importlib", "importlib/")),
    ("httpx", ("/httpx/",)),
    ("httpcore + h11", ("/httpcore/", "/h11/")),
    ("anyio / sniffio", ("/anyio/", "/sniffio/")),
    ("feedparser + sgmllib + sax", ("/feedparser/", "sgmllib", "/xml/")),
    ("bs4 + html.parser", ("/bs4/", "/html/")),
    ("redis-py", ("/redis/",)),
    ("rq", ("/rq/",)),
    ("pydantic", ("/pydantic/", "/pydantic_core/")),
    ("monitor", ("/monitor/", "/workers/")),
    ("asyncio", ("/asyncio/",)),
    ("ssl / socket / selectors", ("/ssl.py", "/socket.py", "/selectors.py")),
    ("json", ("/json/",)),
    ("email / urllib / re / other stdlib", ("/python3.", "/lib/python")),
)


def _area(filename: str) -> str:
    for name, needles in _AREAS:
        if any(needle in filename for needle in needles):
            return name
    return "other"


def own_time_by_area(stats: pstats.Stats) -> Counter[str]:
    """Own time per library; a C function's time is given to the library of its callers."""
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    areas: Counter[str] = Counter()
    for (filename, _, _), (_, _, own, _, callers) in table.items():
        if filename != "~":
            areas[_area(filename)] += own
            continue
        spread = sum(entry[2] for entry in callers.values())
        if not callers or spread <= 0:
            areas["other"] += own
            continue
        for (caller_file, _, _), entry in callers.items():
            areas[_area(caller_file) if caller_file != "~" else "other"] += own * entry[2] / spread
    return areas


async def _inline(function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    return function(*args, **kwargs)


async def profile_round(bench: Bench, per_host: int, top: int) -> None:
    fetcher = Fetcher(per_host=per_host)
    real_to_thread = asyncio.to_thread
    try:
        poller = bench.poller(fetcher)
        changed = bench.bump()
        profiler = cProfile.Profile()
        asyncio.to_thread = _inline  # type: ignore[assignment]
        wall0 = time.perf_counter()
        profiler.enable()
        outcomes = await poller.poll_all_once()
        profiler.disable()
        wall = time.perf_counter() - wall0
    finally:
        asyncio.to_thread = real_to_thread
        await fetcher.aclose()
    rq_queue(bench.client, bench.keys.match_queue).empty()
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    print()
    print(
        f"profile: one mixed round under cProfile, per-host {per_host}, {len(outcomes):,} polls "
        f"({len(changed)} changed), {wall:.2f}s wall, {total:.2f}s profiled "
        "(asyncio.to_thread inline)"
    )
    print()
    print("own time by library (C functions counted with their callers):")
    for area, seconds in own_time_by_area(stats).most_common():
        if seconds >= 0.001 * total:
            print(f"  {area:36} {seconds:7.2f}s  {seconds / total:6.1%}")
    print()
    print(f"top {top} functions by own time:")
    stats.sort_stats(pstats.SortKey.TIME).print_stats(top)


# --------------------------------------------------------------------------- report


def time_parse(texts: Texts, html: bool, samples: int) -> float:
    """CPU seconds parse_feed_report takes on one 50-item document as the server makes them."""
    ctype = "application/rss+xml; charset=utf-8"
    bodies = [render_feed(n, 1000 + n, texts, html=html, first=0) for n in range(samples)]
    cpu0 = time.process_time()
    for number, body in enumerate(bodies):
        url = f"http://127.0.0.1{feed_path(number)}"
        parse_feed_report(body, f"feed-{number}", content_type=ctype, base_url=url)
    return (time.process_time() - cpu0) / len(bodies)


def print_table(rows: Sequence[Round]) -> None:
    head = (
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
    lines = [
        (
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
        )
        for r in rows
    ]
    table.print_table(head, lines)
    for r in rows:
        for problem in r.problems:
            print(f"  {r.label}, per-host {r.per_host}: {problem}")


@dataclass
class Costs:
    per_host: int
    polls_per_s: float  # mixed rounds, median
    cpu_ms_per_poll: float  # mixed rounds, median
    ms_304: float  # all-304 rounds, median
    ms_200: float | None  # from the mixed rounds less their 304s


def costs(rows: Sequence[Round], per_host: int) -> Costs:
    mixed = [r for r in rows if r.per_host == per_host and r.label.startswith("mixed")]
    pure = [r for r in rows if r.per_host == per_host and r.label.startswith("all 304")]
    ms_304 = statistics.median(r.cpu_ms_per_poll for r in pure)
    ms_200 = None
    if all(r.changed for r in mixed):
        ms_200 = statistics.median(
            (1000 * r.cpu - (r.polls - r.changed) * ms_304) / r.changed for r in mixed
        )
    return Costs(
        per_host,
        statistics.median(r.polls_per_s for r in mixed),
        statistics.median(r.cpu_ms_per_poll for r in mixed),
        ms_304,
        ms_200,
    )


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


def main(argv: Sequence[str] | None = None) -> int:
    fetcher_default = inspect.signature(Fetcher).parameters["per_host"].default
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=TARGET_FEEDS, help="feeds served (2000)")
    parser.add_argument(
        "--changed",
        type=float,
        default=TARGET_CHANGED,
        help="fraction of the feeds with a new 50-item version in a mixed round (0.1)",
    )
    parser.add_argument(
        "--per-host",
        type=int,
        nargs="+",
        help=f"Fetcher per_host limits to run, all feeds being on one host (default: the "
        f"Fetcher's default, {fetcher_default}, then {HIGH_PER_HOST})",
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="mixed + all-304 rounds per per-host value (2)"
    )
    parser.add_argument(
        "--warmup-items",
        type=int,
        default=WARMUP_ITEMS,
        help=f"items of each feed in the warm-up round ({WARMUP_ITEMS}; 50 costs a minute more)",
    )
    parser.add_argument("--gzip", action="store_true", help="serve the feeds gzipped")
    parser.add_argument(
        "--html", action="store_true", help="summaries as HTML in CDATA (BeautifulSoup parses)"
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="profile one more mixed round, print the top N functions (0: no profile)",
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="headlines, .jsonl")
    parser.add_argument("--seed", type=int, default=SEED, help="random seed of the changes")
    args = parser.parse_args(argv)
    per_hosts = list(dict.fromkeys(args.per_host or [fetcher_default, HIGH_PER_HOST]))
    if args.feeds < 1 or not 0 <= args.changed <= 1 or args.rounds < 1:
        parser.error("--feeds and --rounds must be positive, --changed between 0 and 1")
    if not 0 <= args.warmup_items <= ITEMS_PER_FEED:
        parser.error(f"--warmup-items must be between 0 and {ITEMS_PER_FEED}")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    started = time.perf_counter()

    def step(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    texts = load_texts(args.corpus, args.seed)
    step(f"feed texts: {texts.source}; starting Redis and the feed server")
    with tempfile.TemporaryDirectory(prefix="poll-bench-") as tmp:
        embedded = None
        redis_url = os.environ.get("REDIS_URL")
        if not redis_url:
            embedded = EmbeddedRedis(Path(tmp))
            embedded.start()
            redis_url = embedded.url
        client = redis.Redis.from_url(redis_url)
        server = None
        try:
            options = SiteOptions(args.feeds, args.warmup_items, args.html, args.gzip)
            server = FeedServerProcess(texts, options)
            specs = [
                FeedSpec(
                    id=f"feed-{n}", url=server.url(n), lang="ar", allow_private=True, baseline=False
                )
                for n in range(args.feeds)
            ]
            bench = Bench(
                client=client,
                keys=Keyspace(PREFIX),
                server=server,
                specs=specs,
                changed_fraction=args.changed,
                rng=random.Random(args.seed),
                versions=dict.fromkeys(range(args.feeds), 0),
                first=args.warmup_items,
                step=step,
            )
            rows = asyncio.run(run_rounds(bench, per_hosts, args.rounds))
            step("timing parse_feed_report alone")
            parse_s = time_parse(texts, args.html, PARSE_SAMPLES)
            if args.profile:
                step(f"profiled round, per-host {per_hosts[0]}")
                asyncio.run(profile_round(bench, per_hosts[0], args.profile))
        finally:
            if server is not None:
                server.stop()
            step(f"deleting the keys under {PREFIX}:")
            doomed = list(client.scan_iter(match=f"{PREFIX}:*", count=5000))
            for start in range(0, len(doomed), 5000):
                client.unlink(*doomed[start : start + 5000])
            client.close()
            if embedded is not None:
                embedded.stop()
    step("done")

    print()
    print(f"software      {versions_line()}")
    print(f"              {sniffio_line()}")
    print(
        f"machine       {os.cpu_count()} CPUs; the feed server and Redis are other processes "
        "(their CPU is not the poller's)"
    )
    where = "REDIS_URL" if os.environ.get("REDIS_URL") else "embedded, unix socket"
    print(f"redis         {where}")
    document = render_feed(0, 1, texts, html=args.html, first=args.warmup_items)
    size, packed = len(document), len(gzip.compress(document, compresslevel=6))
    print(
        f"feeds         {args.feeds:,} on one host, http://127.0.0.1:<port>/feed/N.xml, "
        f"{ITEMS_PER_FEED} items each, {size / 1024:.0f} KiB a document"
        f"{f' ({packed / 1024:.0f} KiB gzipped)' if args.gzip else ''}, summaries "
        f"{'HTML' if args.html else 'plain text'}; texts: {texts.source}"
    )
    print(
        f"poller        Poller.poll_all_once(), CONCURRENCY {CONCURRENCY} feeds claimed at once, "
        f"Fetcher per_host {' and '.join(map(str, per_hosts))} (default {fetcher_default}), "
        "context {}, keep-alive connections"
    )
    print()
    print_table(rows)
    print()
    pure = [r for r in rows if r.label.startswith("all 304")]
    opened, polled = sum(r.connections for r in pure), sum(r.polls for r in pure)
    if opened > 2 * len(per_hosts) * max(per_hosts) * args.rounds:
        print(
            f"keep-alive: the all-304 rounds opened {opened:,} connections for {polled:,} polls: "
            "after a 304 the connection is not reused"
        )
    print(f"parse_feed_report alone: {1000 * parse_s:.1f} ms CPU per {ITEMS_PER_FEED}-item feed")
    summaries = [costs(rows, per_host) for per_host in per_hosts]
    for c in summaries:
        line = f"per-host {c.per_host:>3}: CPU per 304 poll {c.ms_304:.2f} ms"
        if c.ms_200 is not None:
            line += (
                f", per 200 poll ({ITEMS_PER_FEED} new items) {c.ms_200:.1f} ms "
                f"(parsing {1000 * parse_s:.1f} ms, the rest {c.ms_200 - 1000 * parse_s:.1f} ms)"
            )
        print(line)
    if any(r.problems for r in rows):
        print("\nCORRECTNESS CHECK FAILED (see above)")
    conditions = f"{args.feeds:,} feeds, {args.changed:.0%} changed"
    stated = args.feeds == TARGET_FEEDS and abs(args.changed - TARGET_CHANGED) < 1e-9
    print()
    print(
        f"target (one poller process, {TARGET_FEEDS:,} feeds, {TARGET_CHANGED:.0%} a new "
        f"{ITEMS_PER_FEED}-item feed, {1 - TARGET_CHANGED:.0%} 304)"
        + ("" if stated else f"; this run: {conditions}")
        + ":"
    )
    mark = {True: "MET", False: "MISSED"}
    for c in summaries:
        print(
            f"  polls/s >= {TARGET_POLLS_PER_S:g}  per-host {c.per_host:>3}: "
            f"{c.polls_per_s:6.0f} polls/s wall, {c.cpu_ms_per_poll:.2f} ms CPU a poll "
            f"(at most {1000 / c.cpu_ms_per_poll:,.0f}/s on a whole core)  "
            f"{mark[c.polls_per_s >= TARGET_POLLS_PER_S]}"
        )
    print(f"\ntotal run time {time.perf_counter() - started:.1f}s")
    return 1 if any(r.problems for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
