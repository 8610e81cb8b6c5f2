"""Fetching feeds over HTTP(S): public addresses only, bounded in size and time.

Every hop's host is resolved here, each address checked, and the request sent to that
checked IP literal (Host header and TLS SNI keep the name), so DNS cannot answer twice.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from monitor import __version__
from monitor.clock import Clock, SystemClock
from monitor.errors import FetchError
from monitor.ingest.address import IPAddress, Resolver, SystemResolver, literal, refusal
from monitor.ingest.freshness import max_age, retry_after

MAX_BODY_BYTES = 5 * 1024 * 1024
"""The most of a decoded body a fetch keeps; a longer one fails as too large."""

DRAIN_BYTES = 64 * 1024
"""The most of an unwanted body (304, redirect, error) read so the connection can be reused."""

MAX_REDIRECTS = 5
"""Redirect hops followed before a fetch fails."""

USER_AGENT = f"news-monitor/{__version__} (Iraq news feed monitor)"
"""How the monitor names itself to feed servers."""


_PORTS = {"http": 80, "https": 443}
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_THROTTLED = frozenset({429, 503})
_WBITS = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}
_CODINGS = "gzip, deflate"
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


@dataclass(frozen=True)
class Conditional:
    """Validators from the previous fetch, sent back so an unchanged feed costs a 304."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Fetched:
    """A feed as fetched: 200 with its decoded body, or 304 with b""."""

    status: int
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None
    max_age: float | None
    final_url: str


class PinnedTransport(httpx.AsyncBaseTransport):
    """Connects only to IP literals, with one connection pool per Host.

    A pool per name keeps a TLS connection verified for one name from carrying another
    name's requests when both live on one IP (a CDN).
    """

    def __init__(self, per_host: int = 4, *, verify: ssl.SSLContext | None = None) -> None:
        self._limits = httpx.Limits(max_connections=per_host, max_keepalive_connections=per_host)
        self._ssl = verify or httpx.create_ssl_context()
        self._pools: dict[str, httpx.AsyncHTTPTransport] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if literal(request.url.host) is None:
            raise httpx.ConnectError(f"not an IP literal: {request.url.host}", request=request)
        return await self._pool(request.headers["host"]).handle_async_request(request)

    def _pool(self, host: str) -> httpx.AsyncHTTPTransport:
        if host not in self._pools:
            self._pools[host] = httpx.AsyncHTTPTransport(
                verify=self._ssl, limits=self._limits, trust_env=False
            )
        return self._pools[host]

    async def aclose(self) -> None:
        for pool in self._pools.values():
            await pool.aclose()


class Fetcher:
    """Fetches feeds safely; one per process, closed with `aclose`."""

    def __init__(
        self,
        *,
        per_host: int = 4,
        timeout: float = 20.0,
        max_bytes: int = MAX_BODY_BYTES,
        resolver: Resolver | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._per_host = per_host
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._resolver = resolver or SystemResolver()
        self._clock = clock or SystemClock()
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._client = httpx.AsyncClient(
            transport=transport or PinnedTransport(per_host),
            headers={
                "User-Agent": USER_AGENT,
                "Accept": _ACCEPT,
                "Accept-Encoding": "gzip, deflate",
            },
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            # Feeds must not share cookies: their requests all go to bare IPs.
            cookies=CookieJar(DefaultCookiePolicy(allowed_domains=[])),
        )

    async def fetch(
        self, feed_id: str, url: str, conditional: Conditional, *, allow_private: bool = False
    ) -> Fetched:
        """The feed at `url`, following redirects; every failure is a FetchError."""
        try:
            async with asyncio.timeout(self._timeout):
                first = _parsed(feed_id, url)
                return await self._follow(feed_id, first, conditional, allow_private)
        except TimeoutError as exc:
            raise FetchError(feed_id, "timeout", f"no feed within {self._timeout:g} s") from exc

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _follow(
        self, feed: str, url: httpx.URL, conditional: Conditional, allow_private: bool
    ) -> Fetched:
        for _ in range(MAX_REDIRECTS + 1):
            outcome = await self._hop(feed, url, conditional, allow_private)
            if isinstance(outcome, Fetched):
                return outcome
            url = outcome
        raise FetchError(feed, "too_many_redirects", f"more than {MAX_REDIRECTS} redirects")

    async def _hop(
        self, feed: str, url: httpx.URL, conditional: Conditional, allow_private: bool
    ) -> Fetched | httpx.URL:
        """The feed, or the URL it was redirected to."""
        _check_scheme(feed, url)
        addresses = await self._addresses(feed, url, allow_private)
        async with self._slot(url.host):
            with _translated(feed):
                response = await self._open(url, addresses, conditional)
                try:
                    return await self._outcome(feed, url, response, conditional)
                finally:
                    await response.aclose()

    def _slot(self, host: str) -> asyncio.Semaphore:
        return self._slots.setdefault(host, asyncio.Semaphore(self._per_host))

    async def _addresses(self, feed: str, url: httpx.URL, allow_private: bool) -> list[str]:
        """The host's addresses, every one checked: one bad answer refuses the name."""
        addresses = await self._resolve(feed, url)
        for address in addresses:
            reason = refusal(address, allow_private=allow_private, name=url.host)
            if reason:
                raise FetchError(feed, "refused_address", f"refused: {reason}")
        return [str(address) for address in addresses]

    async def _resolve(self, feed: str, url: httpx.URL) -> list[IPAddress]:
        given = literal(url.host)
        if given is not None:
            return [given]
        host, port = url.raw_host.decode("ascii"), url.port or _PORTS[url.scheme]
        try:
            answers = await self._resolver.resolve(host, port)
        except OSError as exc:
            raise FetchError(feed, "connect", f"cannot resolve {host}: {exc}") from exc
        if not answers:
            raise FetchError(feed, "connect", f"no address for {host}")
        return [ipaddress.ip_address(answer) for answer in answers]

    async def _open(
        self, url: httpx.URL, addresses: list[str], conditional: Conditional
    ) -> httpx.Response:
        """The response from the first of the checked addresses that accepts a connection."""
        for address in addresses[:-1]:
            with suppress(httpx.ConnectError):
                return await self._send(url, address, conditional)
        return await self._send(url, addresses[-1], conditional)

    async def _send(self, url: httpx.URL, address: str, conditional: Conditional) -> httpx.Response:
        request = self._client.build_request(
            "GET",
            url.copy_with(host=address),
            headers=_request_headers(url, conditional),
            extensions=_sni(url),
        )
        return await self._client.send(request, stream=True)

    async def _outcome(
        self, feed: str, url: httpx.URL, response: httpx.Response, conditional: Conditional
    ) -> Fetched | httpx.URL:
        status = response.status_code
        if status != 200:
            await _drain(response)
        if status in _REDIRECTS:
            return _location(feed, url, response)
        if status == 304:
            return self._fetched(url, response, b"", conditional)
        if status != 200:
            raise _status_error(feed, response, self._clock)
        return self._fetched(url, response, await self._body(feed, response), Conditional())

    async def _body(self, feed: str, response: httpx.Response) -> bytes:
        """The decoded body, read no further than one byte past the limit."""
        inflater = _Inflater(feed, response.headers.get("content-encoding", ""))
        body = bytearray()
        async for chunk in response.aiter_raw():
            body += inflater.decode(chunk, self._max_bytes - len(body))
            if len(body) > self._max_bytes:
                raise FetchError(feed, "too_large", f"too large (over {_size(self._max_bytes)})")
        return bytes(body)

    def _fetched(
        self, url: httpx.URL, response: httpx.Response, body: bytes, previous: Conditional
    ) -> Fetched:
        """What was fetched; a 304 that omits its validators keeps the previous ones."""
        headers = response.headers
        return Fetched(
            status=response.status_code,
            body=body,
            content_type=headers.get("content-type", ""),
            etag=headers.get("etag") or previous.etag,
            last_modified=headers.get("last-modified") or previous.last_modified,
            max_age=max_age(headers, self._clock),
            final_url=str(url),
        )


async def _drain(response: httpx.Response) -> None:
    """Read a small body to its end, so its connection can be reused for the next poll."""
    if response.is_stream_consumed:
        return
    read = 0
    async for chunk in response.aiter_raw():
        read += len(chunk)
        if read > DRAIN_BYTES:
            return  # a large body is not worth keeping the connection for


class _Inflater:
    """Undoes the Content-Encoding without ever making more than asked: a bomb stays small.

    httpx's own decoders inflate a whole network chunk at once, 64 KiB of gzip into ~64 MB.
    """

    def __init__(self, feed: str, header: str) -> None:
        self._feed = feed
        self._encoding = _encoding(feed, header)
        wbits = _WBITS.get(self._encoding)
        self._zlib = None if wbits is None else zlib.decompressobj(wbits)
        self._started = False

    def decode(self, data: bytes, room: int) -> bytes:
        """At most room + 1 bytes: one more than room means the body is over the limit."""
        started, self._started = self._started, True
        if self._zlib is None:
            return data[: room + 1]
        try:
            return self._zlib.decompress(data, room + 1)
        except zlib.error as exc:
            if started or self._encoding != "deflate":
                detail = f"body is not valid {self._encoding}"
                raise FetchError(self._feed, "bad_response", detail) from exc
        # Some servers send raw deflate, without the zlib wrapper the RFC asks for.
        self._encoding, self._zlib = "raw deflate", zlib.decompressobj(-zlib.MAX_WBITS)
        self._started = False
        return self.decode(data, room)


def _encoding(feed: str, header: str) -> str:
    codings = [coding.strip().lower() for coding in header.split(",")]
    codings = [coding for coding in codings if coding not in ("", "identity")]
    if not codings:
        return "identity"
    if len(codings) == 1 and codings[0] in _WBITS:
        return codings[0]
    raise FetchError(feed, "bad_response", f"unsupported Content-Encoding {header!r}")


def _parsed(feed: str, url: str) -> httpx.URL:
    try:
        return httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise FetchError(feed, "bad_scheme", f"not a valid URL: {url!r}") from exc


def _check_scheme(feed: str, url: httpx.URL) -> None:
    if url.scheme not in _PORTS:
        raise FetchError(feed, "bad_scheme", f"not an http(s) URL: {str(url)[:200]!r}")
    if not url.host:
        raise FetchError(feed, "bad_scheme", f"no host in {str(url)[:200]!r}")


def _request_headers(url: httpx.URL, conditional: Conditional) -> dict[str, str]:
    headers = {"Host": url.netloc.decode("ascii")}
    if conditional.etag:
        headers["If-None-Match"] = conditional.etag
    if conditional.last_modified:
        headers["If-Modified-Since"] = conditional.last_modified
    return headers


def _sni(url: httpx.URL) -> dict[str, str]:
    """The name TLS announces and verifies the certificate against: the URL's, not the IP."""
    if literal(url.host) is not None:
        return {}
    return {"sni_hostname": url.raw_host.decode("ascii")}


@contextmanager
def _translated(feed: str) -> Iterator[None]:
    """httpx's errors as FetchErrors naming the feed."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise FetchError(feed, "timeout", f"timed out ({type(exc).__name__})") from exc
    except httpx.NetworkError as exc:
        detail = str(exc) or type(exc).__name__
        raise FetchError(feed, "connect", f"connection failed: {detail}") from exc
    except httpx.HTTPError as exc:
        raise FetchError(feed, "bad_response", f"bad response: {exc}") from exc


def _location(feed: str, url: httpx.URL, response: httpx.Response) -> httpx.URL:
    location = response.headers.get("location", "")
    if not location:
        raise FetchError(feed, "bad_response", f"{response.status_code} without a Location")
    try:
        return url.join(location)
    except httpx.InvalidURL as exc:
        raise FetchError(feed, "bad_response", f"bad Location {location[:200]!r}") from exc


def _status_error(feed: str, response: httpx.Response, clock: Clock) -> FetchError:
    status = response.status_code
    pause = retry_after(response.headers, clock) if status in _THROTTLED else None
    detail = f"HTTP {status} {response.reason_phrase}".rstrip()
    if pause is not None:
        detail += f", retry after {pause:g} s"
    return FetchError(feed, "http_status", detail, retry_after=pause)


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):g} MB"
    return f"{count} bytes"
