"""The Redis a benchmark runs against: one it is given, else one of its own, so that a
benchmark never fills the Redis a monitor is using unless asked to."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from monitor.redis_server import EmbeddedRedis


@contextmanager
def scratch_redis(url: str | None = None) -> Iterator[str]:
    """`url`, or the URL of an embedded Redis stopped at the end. Every benchmark keeps its
    keys under a prefix of its own and deletes them after."""
    if url:
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="monitor-bench-") as home:
        server = EmbeddedRedis(Path(home))
        server.start()
        try:
            yield server.url
        finally:
            server.stop()
