"""The fetcher against a real HTTP server on 127.0.0.1, and against recorders.

Refusals are checked on the connection itself: names are answered by a test resolver,
and every socket connect is recorded, so a refused address shows no attempt at all.
"""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import resource
import shutil
import socket
import ssl
import subprocess
import threading
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from monitor.clock import FixedClock
from monitor.errors import FetchError
from monitor.ingest.fetcher import (
    USER_AGENT,
    Conditional,
    Fetched,
    Fetcher,
    PinnedTransport,
)
from monitor.ingest.freshness import max_age
from tests.processes import CEILING, wait_until

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
PUBLIC = "93.184.215.14"
NOW = 1_750_000_000.0
FIRST_TIME = Conditional()


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = FEED
    delay: float = 0.0
    trickle: float = 0.0
    gate: threading.Event | None = None  # answer only once it is set
    meet: int = 0  # answer only once this many requests are in at once


@dataclass
class FeedServer:
    """Answers each path from `routes`; records what it received and how many at once."""

    port: int = 0
    routes: dict[str, Reply] = field(default_factory=dict)
    received: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    active: int = 0
    most_active: int = 0

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def redirects(self, statuses: Sequence[int], last: Reply = Reply()) -> str:
        """A chain of redirects, one per status, ending at `last`; the first path.

        Locations alternate between absolute and relative, as servers send both.
        """
        for hop, status in enumerate(statuses):
            target = f"/hop{hop + 1}" if hop % 2 else self.url(f"/hop{hop + 1}")
            self.routes[f"/hop{hop}"] = Reply(status, (("Location", target),), b"")
        self.routes[f"/hop{len(statuses)}"] = last
        return "/hop0"


class Handler(BaseHTTPRequestHandler):
    server: Any

    def do_GET(self) -> None:
        feeds: FeedServer = self.server.feeds
        reply = feeds.routes.get(self.path, Reply(404, body=b""))
        with feeds.lock:
            feeds.received.append((self.path, dict(self.headers.items())))
            feeds.active += 1
            feeds.most_active = max(feeds.most_active, feeds.active)
        # Counted as active only until the answer starts: once it is sent, the client may
        # open its next request before this thread is scheduled again.
        if reply.gate is not None:
            reply.gate.wait(CEILING)
        if reply.meet:
            wait_until(lambda: feeds.active >= reply.meet, f"{reply.meet} requests at once")
        time.sleep(reply.delay)
        with feeds.lock:
            feeds.active -= 1
        with suppress(OSError):  # the fetcher hung up, as it should on a trickle or a bomb
            self._answer(reply)

    def _answer(self, reply: Reply) -> None:
        headers = dict(reply.headers)
        unchanged = headers.get("ETag") and self.headers.get("If-None-Match") == headers["ETag"]
        status, body = (304, b"") if unchanged else (reply.status, reply.body)
        self.send_response(status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        step = 1 if reply.trickle else max(len(body), 1)
        for start in range(0, len(body), step):
            self.wfile.write(body[start : start + step])
            time.sleep(reply.trickle)

    def log_message(self, *args: Any) -> None:
        pass


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


@contextmanager
def serving(tls: ssl.SSLContext | None = None) -> Iterator[FeedServer]:
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    feeds = FeedServer(port=httpd.server_address[1])
    httpd.feeds = feeds  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield feeds
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with serving() as feeds:
        yield feeds


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[FeedServer, Path, list[str]]]:
    """An HTTPS server on 127.0.0.1 whose certificate names only feeds.example.

    Yields the server, the certificate (the client's only trusted root) and the SNI names
    clients announced.
    """
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1"
    command += " -subj /CN=feeds.example -addext subjectAltName=DNS:feeds.example"
    subprocess.run(
        [*command.split(), "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True
    )
    names: list[str] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda _sock, name, _context: names.append(str(name))
    with serving(context) as feeds:
        yield feeds, cert, names


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every address a socket tries to connect to, on top of the loopback guard."""
    seen: list[str] = []
    guarded = socket.socket.connect

    def connect(sock: socket.socket, address: Any) -> None:
        seen.append(str(address[0]) if isinstance(address, tuple) else str(address))
        guarded(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return seen


class MapResolver:
    """Answers names from a table, and counts the questions."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def resolve(self, host: str, port: int) -> Sequence[str]:
        self.asked.append(host)
        return self.answers[host]


class Streamed(httpx.AsyncByteStream):
    """A body the response has still to read, as from a real connection."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.data


def recorder(answer: Callable[[httpx.Request], httpx.Response]) -> tuple[Any, list[httpx.Request]]:
    """A transport that records every request it is handed and answers without a network."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)

    return httpx.MockTransport(handle), seen


def fetch(
    url: str,
    conditional: Conditional = FIRST_TIME,
    *,
    allow_private: bool = True,
    **options: Any,
) -> Fetched:
    async def once() -> Fetched:
        fetcher = Fetcher(**options)
        try:
            return await fetcher.fetch("test-feed", url, conditional, allow_private=allow_private)
        finally:
            await fetcher.aclose()

    return asyncio.run(once())


def failure(url: str, **options: Any) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetch(url, **options)
    assert str(caught.value).startswith("feed test-feed: ")
    return caught.value


def test_fetch_then_not_modified(server: FeedServer) -> None:
    validators = (("ETag", '"v1"'), ("Last-Modified", "Sat, 01 Mar 2025 10:00:00 GMT"))
    headers = (*validators, ("Content-Type", "application/rss+xml; charset=windows-1256"))
    server.routes["/feed"] = Reply(headers=(*headers, ("Cache-Control", "max-age=300")))
    first = fetch(server.url("/feed"))
    assert (first.status, first.body, first.etag) == (200, FEED, '"v1"')
    assert first.content_type == "application/rss+xml; charset=windows-1256"
    assert (first.last_modified, first.max_age) == (validators[1][1], 300.0)
    assert first.final_url == server.url("/feed")

    second = fetch(server.url("/feed"), Conditional(first.etag, first.last_modified))
    assert (second.status, second.body, second.etag) == (304, b"", '"v1"')
    sent = server.received[-1][1]
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == validators[1][1]
    assert sent["User-Agent"] == USER_AGENT
    assert sent["Host"] == f"127.0.0.1:{server.port}"


@pytest.mark.parametrize(
    "statuses", [[301], [302], [307], [301, 302, 307], [301, 302, 303, 307, 308]]
)
def test_follows_redirects(server: FeedServer, statuses: list[int]) -> None:
    first = server.redirects(statuses)
    fetched = fetch(server.url(first))
    assert (fetched.status, fetched.body) == (200, FEED)
    assert fetched.final_url == server.url(f"/hop{len(statuses)}")
    assert [path for path, _ in server.received] == [f"/hop{i}" for i in range(len(statuses) + 1)]


def test_six_redirects_are_too_many(server: FeedServer) -> None:
    first = server.redirects([301, 302, 307, 308, 301, 302])
    error = failure(server.url(first))
    assert error.kind == "too_many_redirects"
    assert "/hop6" not in [path for path, _ in server.received]


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/iam/",
        "http://intranet.example/feed",
        "http://[fd00:ec2::254]/",
        "http://100.100.100.200/latest/meta-data/",
        "http://127.0.0.1:8080/admin",
    ],
)
def test_redirect_to_a_refused_address_stops_before_sending(target: str) -> None:
    resolver = MapResolver({"feeds.example": [PUBLIC], "intranet.example": ["10.1.2.3"]})
    transport, seen = recorder(lambda _: httpx.Response(302, headers={"Location": target}))
    error = failure(
        "http://feeds.example/rss", resolver=resolver, transport=transport, allow_private=False
    )
    assert error.kind == "refused_address"
    assert [(r.url.host, r.headers["Host"]) for r in seen] == [(PUBLIC, "feeds.example")]


@pytest.mark.parametrize(
    "answers",
    [
        ["169.254.169.254"],
        ["10.0.0.7"],
        ["192.168.1.1"],
        ["127.0.0.1"],
        ["::1"],
        ["fe80::1"],
        ["fd00:ec2::254"],
        ["::ffff:10.0.0.1"],
        ["2002:a9fe:a9fe::1"],
        ["224.0.0.1"],
        ["0.0.0.0"],
        ["100.64.0.1"],
        ["240.0.0.1"],
        ["168.63.129.16"],
        [PUBLIC, "10.0.0.7"],
    ],
)
def test_refused_before_any_connection(answers: list[str], connects: list[str]) -> None:
    resolver = MapResolver({"feeds.example": answers})
    error = failure("https://feeds.example/rss", resolver=resolver, allow_private=False)
    assert error.kind == "refused_address"
    assert "feeds.example" in str(error)
    remedy = "never polled" if "metadata" in str(error) else "set allow_private: true to poll it"
    assert str(error).endswith(remedy)
    assert connects == []


@pytest.mark.parametrize(
    ("answer", "told"),
    [
        ("10.0.0.7", "10.0.0.7 (for feeds.example) is a private address"),
        ("127.0.0.1", "127.0.0.1 (for feeds.example) is a loopback address"),
        ("fe80::1", "fe80::1 (for feeds.example) is a link-local address"),
        ("::ffff:10.0.0.1", "::ffff:a00:1 (for feeds.example) carries 10.0.0.1, a private address"),
    ],
)
def test_a_name_resolving_to_a_private_address_is_told_how_to_allow_it(
    answer: str, told: str
) -> None:
    resolver = MapResolver({"feeds.example": [answer]})
    error = failure("https://feeds.example/rss", resolver=resolver, allow_private=False)
    assert str(error) == f"feed test-feed: refused: {told}; set allow_private: true to poll it"


def test_a_metadata_address_is_never_polled() -> None:
    resolver = MapResolver({"feeds.example": ["169.254.169.254"]})
    error = failure("https://feeds.example/rss", resolver=resolver, allow_private=True)
    assert str(error) == (
        "feed test-feed: refused: 169.254.169.254 (for feeds.example)"
        " is a cloud metadata address; never polled"
    )


def test_metadata_is_refused_even_with_private_allowed(
    server: FeedServer, connects: list[str]
) -> None:
    server.routes["/feed"] = Reply(301, (("Location", "http://169.254.169.254/"),), b"")
    error = failure(server.url("/feed"), allow_private=True)
    assert error.kind == "refused_address"
    assert set(connects) == {"127.0.0.1"}


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_default_resolver_refuses_loopback(
    server: FeedServer, connects: list[str], host: str
) -> None:
    server.routes["/feed"] = Reply()
    error = failure(server.url("/feed", host), allow_private=False)
    assert error.kind == "refused_address"
    assert server.received == []
    assert connects == []


def test_default_resolver_reaches_localhost_when_allowed(server: FeedServer) -> None:
    server.routes["/feed"] = Reply()
    assert fetch(server.url("/feed", "localhost")).body == FEED
    assert server.received[0][1]["Host"] == f"localhost:{server.port}"


def test_connects_to_the_address_it_checked() -> None:
    """A rebinding name gets one question per hop; the answer checked is the one used."""
    resolver = MapResolver({"feeds.example": [PUBLIC]})
    transport, seen = recorder(lambda _: httpx.Response(200, stream=Streamed(FEED)))

    async def twice() -> FetchError:
        fetcher = Fetcher(resolver=resolver, transport=transport)
        await fetcher.fetch("test-feed", "https://feeds.example/rss", Conditional())
        resolver.answers["feeds.example"] = ["169.254.169.254"]
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch("test-feed", "https://feeds.example/rss", Conditional())
        await fetcher.aclose()
        return caught.value

    assert asyncio.run(twice()).kind == "refused_address"
    assert resolver.asked == ["feeds.example", "feeds.example"]
    [request] = seen
    assert (request.url.host, request.headers["Host"]) == (PUBLIC, "feeds.example")
    assert request.extensions["sni_hostname"] == "feeds.example"


@pytest.mark.parametrize(("name", "verified"), [("feeds.example", True), ("other.example", False)])
def test_tls_verifies_the_name_while_connecting_to_the_ip(
    tls_server: tuple[FeedServer, Path, list[str]], connects: list[str], name: str, verified: bool
) -> None:
    server, cert, names = tls_server
    server.routes["/feed"] = Reply()
    url = f"https://{name}:{server.port}/feed"
    options: dict[str, Any] = {
        "resolver": MapResolver({name: ["127.0.0.1"]}),
        "transport": PinnedTransport(verify=ssl.create_default_context(cafile=cert)),
    }
    if verified:
        assert fetch(url, **options).body == FEED
        assert server.received[0][1]["Host"] == f"{name}:{server.port}"
    else:
        assert failure(url, **options).kind == "connect"
        assert server.received == []
    assert (names, set(connects)) == ([name], {"127.0.0.1"})


def test_pinned_transport_never_resolves_a_name(connects: list[str]) -> None:
    async def send() -> None:
        transport = PinnedTransport()
        try:
            await transport.handle_async_request(httpx.Request("GET", "http://feeds.example/"))
        finally:
            await transport.aclose()

    with pytest.raises(httpx.ConnectError):
        asyncio.run(send())
    assert connects == []


@pytest.mark.parametrize(
    "routes",
    [
        {"/feed": Reply(body=b"x" * 100, trickle=0.5)},
        {f"/hop{i}": Reply(301, (("Location", f"/hop{i + 1}"),), b"", 0.4) for i in range(4)},
    ],
    ids=["trickle", "slow-redirects"],
)
def test_total_deadline(server: FeedServer, routes: dict[str, Reply]) -> None:
    server.routes.update(routes)
    started = time.monotonic()
    error = failure(server.url(next(iter(routes))), timeout=1.0)
    # Each read and each hop is quicker than the 1 s: only a deadline on the whole fetch
    # times out. The bound is slack for a slow machine, yet far below the trickle's 50 s.
    assert error.kind == "timeout"
    assert time.monotonic() - started < 20


def test_gzip_bomb_stops_at_the_limit_in_bounded_memory(server: FeedServer) -> None:
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    megabyte = bytes(1024 * 1024)
    bomb = b"".join(packer.compress(megabyte) for _ in range(100)) + packer.flush()
    assert len(bomb) < 200_000
    server.routes["/bomb"] = Reply(headers=(("Content-Encoding", "gzip"),), body=bomb)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    try:
        error = failure(server.url("/bomb"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert error.kind == "too_large"
    assert str(error) == "feed test-feed: too large (over 5 MB)"
    # The limit's body and one inflated chunk of at most the limit: about 10 MB, not 100.
    assert peak < 16 * 1024 * 1024
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before < 40 * 1024


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(
    ("encoding", "pack"),
    [
        ("", lambda data: data),
        ("identity", lambda data: data),
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", _raw_deflate),
    ],
)
@pytest.mark.parametrize(("size", "fits"), [(1000, True), (1001, False)])
def test_decoded_size_limit(
    server: FeedServer, encoding: str, pack: Callable[[bytes], bytes], size: int, fits: bool
) -> None:
    body = (FEED * 20)[:size]
    headers = (("Content-Encoding", encoding),) if encoding else ()
    server.routes["/feed"] = Reply(headers=headers, body=pack(body))
    if fits:
        assert fetch(server.url("/feed"), max_bytes=1000).body == body
    else:
        assert failure(server.url("/feed"), max_bytes=1000).kind == "too_large"


@pytest.mark.parametrize(
    ("headers", "body"),
    [((("Content-Encoding", "br"),), b"\x1b\x03"), ((("Content-Encoding", "gzip"),), b"junk")],
)
def test_undecodable_body(
    server: FeedServer, headers: tuple[tuple[str, str], ...], body: bytes
) -> None:
    server.routes["/feed"] = Reply(headers=headers, body=body)
    assert failure(server.url("/feed")).kind == "bad_response"


def _dated(value: str) -> str:
    """A value "in N s" as the HTTP-date N seconds from now; any other value as it is."""
    if not value.startswith("in "):
        return value
    return email.utils.formatdate(time.time() + float(value.split()[1]), usegmt=True)


@pytest.mark.parametrize(
    ("status", "headers", "retry_after"),
    [
        (429, (("Retry-After", "120"),), 120.0),
        (503, (("Retry-After", "30"),), 30.0),
        (429, (("Retry-After", "in 120 s"),), 120.0),
        (429, (("Retry-After", "soon"),), None),
        (503, (), None),
        (500, (("Retry-After", "120"),), None),
        (404, (), None),
    ],
)
def test_http_status(
    server: FeedServer,
    status: int,
    headers: tuple[tuple[str, str], ...],
    retry_after: float | None,
) -> None:
    server.routes["/feed"] = Reply(status, tuple((k, _dated(v)) for k, v in headers), b"no")
    error = failure(server.url("/feed"))
    assert (error.kind, error.feed) == ("http_status", "test-feed")
    assert f"HTTP {status}" in str(error)
    if retry_after is None:
        assert error.retry_after is None
    else:
        assert error.retry_after == pytest.approx(retry_after, abs=2)


@pytest.mark.parametrize(
    "url", ["ftp://feeds.example/rss", "file:///etc/passwd", "javascript:alert(1)", "gopher://x/"]
)
def test_bad_scheme(url: str, connects: list[str]) -> None:
    assert failure(url).kind == "bad_scheme"
    assert connects == []


def test_redirect_to_a_bad_scheme(server: FeedServer) -> None:
    server.routes["/feed"] = Reply(302, (("Location", "file:///etc/passwd"),), b"")
    assert failure(server.url("/feed")).kind == "bad_scheme"


def test_connection_refused_is_connect() -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    assert failure(f"http://127.0.0.1:{port}/feed").kind == "connect"


@pytest.mark.parametrize("pooled", [True, False], ids=["default-transport", "unlimited-transport"])
def test_one_host_gets_at_most_per_host_connections(server: FeedServer, pooled: bool) -> None:
    # Each answer waits for a second request, so two are always in at once when allowed;
    # the delay gives a third, if let through, the time to show.
    server.routes["/feed"] = Reply(delay=0.2, meet=2)

    async def many() -> list[Fetched]:
        transport = None if pooled else httpx.AsyncHTTPTransport(limits=httpx.Limits())
        fetcher = Fetcher(per_host=2, transport=transport)
        url = server.url("/feed")
        try:
            jobs = [fetcher.fetch(f"f{i}", url, FIRST_TIME, allow_private=True) for i in range(6)]
            return await asyncio.gather(*jobs)
        finally:
            await fetcher.aclose()

    assert [f.status for f in asyncio.run(many())] == [200] * 6
    assert server.most_active == 2


def test_a_slow_host_does_not_hold_up_another(server: FeedServer) -> None:
    held = threading.Event()
    server.routes["/slow"] = Reply(gate=held)
    server.routes["/quick"] = Reply()

    async def quick_while_slow() -> None:
        fetcher = Fetcher(per_host=1)
        slow = server.url("/slow")
        jobs = [
            asyncio.create_task(fetcher.fetch(f"slow{i}", slow, FIRST_TIME, allow_private=True))
            for i in range(2)
        ]
        try:
            # One slow fetch holds the host's only slot and the other waits for it, until
            # the quick one, on another host, is done.
            await asyncio.to_thread(
                wait_until, lambda: server.active == 1, "the first slow fetch to arrive"
            )
            quick = server.url("/quick", "localhost")
            await fetcher.fetch("quick", quick, FIRST_TIME, allow_private=True)
            assert not any(job.done() for job in jobs), "the slow host's fetches ended first"
        finally:
            held.set()
        assert [f.status for f in await asyncio.gather(*jobs)] == [200, 200]
        await fetcher.aclose()

    asyncio.run(quick_while_slow())


_DATE = email.utils.formatdate(NOW, usegmt=True)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Cache-Control": "max-age=300"}, 300.0),
        ({"Cache-Control": 'public, s-maxage="60"'}, 60.0),
        ({"Cache-Control": "no-cache, max-age=300", "Age": "100"}, 200.0),
        ({"Cache-Control": "max-age=60", "Age": "100"}, 0.0),
        ({"Date": _DATE, "Expires": email.utils.formatdate(NOW + 600, usegmt=True)}, 600.0),
        ({"Expires": email.utils.formatdate(NOW + 90, usegmt=True)}, 90.0),
        ({"Date": _DATE, "Expires": "0"}, 0.0),
        ({"Cache-Control": "no-store"}, None),
        ({}, None),
    ],
)
def test_max_age(headers: dict[str, str], expected: float | None) -> None:
    assert max_age(httpx.Headers(headers), FixedClock(NOW)) == expected


def test_max_age_from_expires_end_to_end(server: FeedServer) -> None:
    expires = email.utils.formatdate(time.time() + 600, usegmt=True)
    server.routes["/feed"] = Reply(headers=(("Expires", expires),))
    assert fetch(server.url("/feed")).max_age == pytest.approx(600, abs=2)
