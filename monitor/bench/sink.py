"""A destination on 127.0.0.1 that notes when each notification arrives: the far end of the
pipeline benchmark's latency."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Arrivals:
    """Bodies received, each with its wall-clock time of arrival."""

    url: str = ""
    received: list[tuple[float, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, body: bytes) -> None:
        with self.lock:
            self.received.append((time.time(), body))

    def snapshot(self) -> list[tuple[float, bytes]]:
        with self.lock:
            return list(self.received)


@contextmanager
def arrivals_sink() -> Iterator[Arrivals]:
    """A json:// destination that answers 200 to every POST and remembers it."""
    arrivals = Arrivals()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            arrivals.add(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    arrivals.url = f"json://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield arrivals
    finally:
        server.shutdown()
        server.server_close()
