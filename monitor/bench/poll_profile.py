"""One more mixed round of the poll benchmark under cProfile: own time by library and the
functions with the most own time, as text.

cProfile measures wall time, so a blocking wait (the synchronous Redis client's recv) shows
as time spent, and profiling slows everything down: its numbers are for proportions only.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import pstats
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from monitor.bench.poll_round import Bench
from monitor.ingest.fetcher import Fetcher

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
"""Libraries by a piece of their files' paths, the first that matches winning."""


def _area(filename: str) -> str:
    for name, needles in _AREAS:
        if any(needle in filename for needle in needles):
            return name
    return "other"


def own_time_by_area(stats: pstats.Stats) -> Counter[str]:
    """Own time per library; a C function's time is given to the library of its callers."""
    areas: Counter[str] = Counter()
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]  # not in typeshed
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


async def profile_round(bench: Bench, per_host: int, top: int) -> str:
    """The profile of one mixed round, asyncio.to_thread made inline so that the parser's
    time shows in the one profiled thread."""
    fetcher = Fetcher(per_host=per_host)
    real_to_thread = asyncio.to_thread
    profiler = cProfile.Profile()
    try:
        poller = bench.poller(fetcher)
        changed = bench.bump()
        asyncio.to_thread = _inline
        wall0 = time.perf_counter()
        profiler.enable()
        outcomes = await poller.poll_all_once()
        profiler.disable()
        wall = time.perf_counter() - wall0
    finally:
        asyncio.to_thread = real_to_thread
        await fetcher.aclose()
    bench.empty_queue()
    head = (
        f"profile: one mixed round under cProfile, per-host {per_host}, {len(outcomes):,} polls "
        f"({len(changed)} changed), {wall:.2f}s wall"
    )
    return _described(profiler, head, top)


def _described(profiler: cProfile.Profile, head: str, top: int) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    total: float = stats.total_tt  # type: ignore[attr-defined]
    print(f"{head}, {total:.2f}s profiled (asyncio.to_thread inline)\n", file=out)
    print("own time by library (C functions counted with their callers):", file=out)
    for area, seconds in own_time_by_area(stats).most_common():
        if seconds >= 0.001 * total:
            print(f"  {area:36} {seconds:7.2f}s  {seconds / total:6.1%}", file=out)
    print(f"\ntop {top} functions by own time:", file=out)
    stats.sort_stats(pstats.SortKey.TIME).print_stats(top)
    return out.getvalue().rstrip()
