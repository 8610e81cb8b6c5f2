"""The poll benchmark's feed server: feeds on 127.0.0.1 answering conditional GETs with 200
or 304, in a process of its own so that the poller's process spends CPU on polling alone.

Nothing here touches Redis or the poller: the server process imports this module only.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import multiprocessing
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from monitor.bench.feed_texts import Rendering, Texts, feed_path, render_feed

START_SECONDS = 60.0
"""How long the server process may take to start (a spawned interpreter importing this)."""

_REQUEST_PATH = re.compile(rb"/feed/(\d+)\.xml")


@dataclass(frozen=True)
class SiteOptions:
    feeds: int
    rendering: Rendering
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
            body = render_feed(number, self.versions[number], self.texts, self.options.rendering)
            if self.options.gzipped:
                body = gzip.compress(body, compresslevel=6)
        return body

    def bump(self, numbers: Sequence[int]) -> None:
        """A new version (50 new items) of each feed, its body rendered now: the rounds time
        the poller, not the rendering."""
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
        self.served[200] += 1
        return self._ok(etag, self.body(number))

    def _ok(self, etag: str, body: bytes) -> bytes:
        encoding = "Content-Encoding: gzip\r\n" if self.options.gzipped else ""
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\n"
            f"{encoding}ETag: {etag}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return head.encode("ascii") + body


def _request(head: bytes) -> tuple[bytes, str | None, bool]:
    """The target of a request, its If-None-Match, and whether it asks to close."""
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
    return target, if_none_match, close


async def _serve_connection(
    site: FeedSite, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    # Kept open for as long as the client wants: keep-alive is part of what is measured.
    site.connections += 1
    try:
        close = False
        while not close:
            target, if_none_match, close = _request(await reader.readuntil(b"\r\n\r\n"))
            writer.write(site.answer(target, if_none_match))
            await writer.drain()
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


@dataclass(frozen=True)
class SiteStats:
    """Responses by status and connections accepted so far, and the server's CPU seconds."""

    served: Counter[int]
    connections: int
    cpu: float


class FeedServerProcess:
    """The feed server in another process, driven through a pipe."""

    def __init__(self, texts: Texts, options: SiteOptions) -> None:
        context = multiprocessing.get_context("spawn")
        self._control, child = context.Pipe()
        self.process = context.Process(target=serve, args=(child, texts, options), daemon=True)
        self.process.start()
        child.close()
        if not self._control.poll(START_SECONDS):
            self.stop()
            raise RuntimeError(f"the feed server did not start in {START_SECONDS:.0f}s")
        self.port: int = self._control.recv()

    def url(self, number: int) -> str:
        return f"http://127.0.0.1:{self.port}{feed_path(number)}"

    def _ask(self, command: str, argument: Any = None) -> Any:
        self._control.send((command, argument))
        return self._control.recv()

    def bump(self, numbers: Sequence[int]) -> None:
        self._ask("bump", list(numbers))

    def stats(self) -> SiteStats:
        served, connections, cpu = self._ask("stats")
        return SiteStats(Counter(served), connections, cpu)

    def stop(self) -> None:
        if self.process.is_alive():
            with contextlib.suppress(OSError):
                self._control.send(("stop", None))
            self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self._control.close()
        self.process.close()
