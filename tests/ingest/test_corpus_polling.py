"""feedparser's own test feeds, served over HTTP on 127.0.0.1 with their headers and
polled: nothing crashes, a broken feed's error stays on it, every item is queued once."""

from __future__ import annotations

import asyncio
import re
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import redis

from monitor.clock import SystemClock
from monitor.ingest.feed_state import FeedBook
from monitor.ingest.feeds import FeedSpec
from monitor.ingest.fetcher import Fetcher
from monitor.ingest.poller import Poller
from monitor.keyspace import Keyspace
from tests.conftest import ROOT
from tests.ingest.test_poller import queued_ids
from tests.sink import serving

CORPUS = ROOT.parent / "shared" / "corpus" / "feedparser"
FILES = sorted(CORPUS.rglob("*.xml")) if CORPUS.is_dir() else []
HEADER = re.compile(rb"^\s*Header:\s*Content-type:\s*(.*?)\s*$", re.MULTILINE | re.IGNORECASE)


def feed_id(path: Path) -> str:
    return re.sub(r"[^a-z0-9_.-]", "-", str(path.relative_to(CORPUS)).lower().replace("/", "."))


def content_type(data: bytes) -> str:
    found = HEADER.search(data.replace(b"\x00", b""))
    return found.group(1).decode("latin-1") if found else ""


class CorpusHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        data = (CORPUS / self.path.lstrip("/")).read_bytes()
        self.send_response(200)
        if content_type(data):
            self.send_header("Content-Type", content_type(data))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.skipif(not FILES, reason=f"feedparser corpus not found at {CORPUS}")
def test_polling_the_feedparser_corpus(redis_client: redis.Redis, keys: Keyspace) -> None:
    with serving(CorpusHandler) as port:
        feeds = [
            FeedSpec(
                id=feed_id(path),
                url=f"http://127.0.0.1:{port}/{path.relative_to(CORPUS)}",
                lang="en",
                allow_private=True,
                baseline=False,
            )
            for path in FILES
        ]

        async def poll() -> dict[str, str]:
            fetcher = Fetcher(per_host=16)
            try:
                poller = Poller(redis_client, keys, feeds, fetcher, {}, 3600, SystemClock())
                return {outcome.feed: outcome.status for outcome in await poller.poll_all_once()}
            finally:
                await fetcher.aclose()

        statuses = asyncio.run(poll())
    assert set(statuses) == {feed.id for feed in feeds}, "a feed was not polled"
    book = FeedBook(redis_client, keys)
    states = [book.get(feed.id, feed.interval) for feed in feeds]
    failed = [state for state in states if state.status == "error"]
    assert len(failed) <= 5, [state.error for state in failed]
    for state in failed:
        assert state.error is not None and f"feed {state.id}:" in state.error.message
    ids = queued_ids(redis_client, keys)
    assert len(ids) == len(set(ids)), "an item was queued twice"
    # feedparser's test feeds share links and headlines: most items are repeats
    assert len(ids) == sum(state.items_seen for state in states) > 50
