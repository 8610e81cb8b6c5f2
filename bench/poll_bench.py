"""Benchmark: one poller process against a local server of 2,000 RSS feeds (200s and 304s).

Run from the project root with the project's interpreter:

    .venv/bin/python bench/poll_bench.py [--feeds N] [--changed F] [--per-host N [N ...]]
                                         [--rounds R] [--warmup-items N] [--gzip] [--html]
                                         [--profile N] [--corpus PATH] [--seed S]

The benchmark itself is monitor/bench/poll.py (its rounds in poll_round.py, the feeds in
feed_site.py and feed_texts.py); this script prints its detailed report (poll_report.py).

What it does
------------
1. Redis: REDIS_URL when set, else an EmbeddedRedis in a temporary directory (stopped at
   the end).  Every key lives under a prefix of the run's own (monitor-bench:poll:<random>),
   deleted at the end with the run's RQ queue (RQ's keys are under monitor-bench:rq here).
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

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# RQ reads its key prefix once, at import: keep the bench's queues apart from a live monitor's.
os.environ.setdefault("RQ_KEY_PREFIX", "monitor-bench:rq")

from monitor.bench.poll_report import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
