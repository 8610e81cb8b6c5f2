"""A server of RSS feeds on 127.0.0.1 for the poller's tests: /feed/N.xml is feed N,
with ETag and 304s; feeds can be switched to HTML, errors or new items."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from xml.sax.saxutils import escape

from tests.sink import serving


@dataclass
class FeedServer:
    port: int = 0
    items: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    broken: dict[int, tuple[int, str, bytes]] = field(default_factory=dict)
    headers: dict[int, dict[str, str]] = field(default_factory=dict)
    ttl: dict[int, int] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, number: int) -> str:
        return f"http://127.0.0.1:{self.port}/feed/{number}.xml"

    def body(self, number: int) -> bytes:
        entries = "".join(
            f"<item><guid>{escape(guid)}</guid><title>{escape(title)}</title>"
            f"<link>https://news.example/{escape(guid)}</link></item>"
            for guid, title in self.items.get(number, [])
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Feed {number}</title>{self._ttl(number)}{entries}</channel></rss>"
        ).encode()

    def _ttl(self, number: int) -> str:
        return f"<ttl>{self.ttl[number]}</ttl>" if number in self.ttl else ""


@contextmanager
def feed_server() -> Iterator[FeedServer]:
    state = FeedServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            number = int(self.path.rsplit("/", 1)[-1].split(".")[0])
            with state.lock:
                state.requests[self.path] += 1
                broken = state.broken.get(number)
                body = state.body(number)
                self.extra = state.headers.get(number, {})
            if broken:
                self._answer(*broken)
                return
            etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
            if self.headers.get("If-None-Match") == etag:
                self._answer(304, "", b"", etag)
            else:
                self._answer(200, "application/rss+xml; charset=utf-8", body, etag)

        def _answer(self, status: int, content_type: str, body: bytes, etag: str = "") -> None:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            if etag:
                self.send_header("ETag", etag)
            for name, value in self.extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    with serving(Handler) as port:
        state.port = port
        yield state
