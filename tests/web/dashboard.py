"""A real `monitor dashboard` process on 127.0.0.1 for the dashboard's tests, and what a
test puts in Redis for it to show: a story with its notification, as the pipeline would."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import redis

from monitor.channels import Channel
from monitor.delivery import Deliverer, DeliveryJob
from monitor.history import History
from monitor.keyspace import Keyspace
from monitor.notification import Notification, Quote
from monitor.rules.model import Severity
from monitor.stories.book import StoryBook
from monitor.stories.story import Story, StoryItem
from tests.processes import start_monitor, stop, wait_until
from tests.sink import http_sink


@dataclass
class Dashboard:
    url: str

    def client(self, **options: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **options)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        httpx.get(url + "/healthz", timeout=5)
    except httpx.HTTPError:
        return False
    return True


@contextmanager
def dashboard(env: dict[str, str], *args: str) -> Iterator[Dashboard]:
    """`monitor dashboard` on a free port of 127.0.0.1, until the block ends."""
    port = free_port()
    process = start_monitor("dashboard", "--port", str(port), *args, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(url) or process.poll() is not None, "the dashboard to answer")
        assert process.poll() is None, f"monitor dashboard ended with {process.returncode}"
        yield Dashboard(url)
    finally:
        stop(process)


def put_story(
    client: redis.Redis,
    keys: Keyspace,
    story_id: str,
    titles: list[str],
    links: list[str] | None = None,
    quote: str = "هجوم بطائرات مسيرة على قاعدة عين الأسد",
) -> None:
    """A story of one item per title, and its notification sent to a channel `hook`."""
    now = time.time()
    links = links or [f"https://news.example/{n}" for n in range(len(titles))]
    items = [
        StoryItem(
            id=f"{story_id}-i{n}",
            source=f"source-{n}",
            title=title,
            link=links[n],
            at=now - 60 + n,
            quote=Quote(text=quote, highlights=[(0, 4)]),
            lang="ar",
            rules=["base-attack"],
        )
        for n, title in enumerate(titles)
    ]
    story = Story(
        id=story_id,
        rule="base-attack",
        rules=["base-attack"],
        created=now - 60,
        updated=now,
        items=items,
    )
    StoryBook(client, keys, 3600).save(story)
    note = Notification(
        rule="base-attack",
        rule_title="Attack on a base",
        severity=Severity.HIGH,
        story=story_id,
        update=0,
        headline=titles[0],
        quote=items[0].quote,
        sources=[item.as_source() for item in items],
    )
    with http_sink() as sink:
        history = History(client, keys, 3600)
        deliverer = Deliverer(client, keys, history, {"hook": Channel("hook", sink.url())})
        job = DeliveryJob(prefix=keys.prefix, channel="hook", notification=note, first_attempt=now)
        deliverer.deliver(job, now)
