"""Which addresses a feed fetch may connect to, and how names become addresses.

Loopback, private, link-local, multicast and reserved addresses are refused
unless a feed is allowed them; cloud metadata endpoints always are. An IPv6
address is judged by the IPv4 addresses it carries too. A feed's URL is judged
as far as it can be without DNS when the feeds file loads, and again at every fetch.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from typing import Protocol

import httpx

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, Oracle
        "169.254.170.2",  # AWS ECS task credentials
        "fd00:ec2::254",  # AWS over IPv6
        "fd20:ce::254",  # GCP over IPv6
        "100.100.100.200",  # Alibaba
        "168.63.129.16",  # Azure wire server: a public address, so named here
        "192.0.0.192",  # Oracle classic
    )
)
"""Cloud metadata endpoints: refused even when private addresses are allowed."""

SCHEMES = frozenset({"http", "https"})
"""The only URL schemes a feed may have."""

ALLOW_PRIVATE = "set allow_private: true to poll it"
"""What a feed on a refused, non-metadata address needs, told in each refusal."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_METADATA = "a cloud metadata"

_KINDS = (
    ("is_loopback", "a loopback"),
    ("is_link_local", "a link-local"),
    ("is_multicast", "a multicast"),
    ("is_unspecified", "an unspecified"),
    ("is_site_local", "a site-local"),
    ("is_reserved", "a reserved"),
    ("is_private", "a private"),
)


class Resolver(Protocol):
    """Turns a host name into the IP addresses (as strings) a connection may go to."""

    async def resolve(self, host: str, port: int) -> Sequence[str]: ...


class SystemResolver:
    """The operating system's resolver, through the event loop's getaddrinfo."""

    async def resolve(self, host: str, port: int) -> Sequence[str]:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_refused(address: IPAddress, *, allow_private: bool) -> bool:
    """Whether a fetch must not connect to the address."""
    carried = (address, *_embedded(address))
    if any(part in METADATA_ADDRESSES for part in carried):
        return True
    return not allow_private and not all(_public(part) for part in carried)


def refusal(address: IPAddress, *, allow_private: bool, name: str = "") -> str | None:
    """Why a fetch must not connect to `address` (which `name` resolved to), or None."""
    if not is_refused(address, allow_private=allow_private):
        return None
    shown = f"{address} (for {name})" if name and name != str(address) else str(address)
    part, kind = _culprit(address)
    what = f"is {kind}" if part == address else f"carries {part}, {kind}"
    remedy = "never polled" if kind == _METADATA else ALLOW_PRIVATE
    return f"{shown} {what} address; {remedy}"


def _culprit(address: IPAddress) -> tuple[IPAddress, str]:
    """The part of a refused address that refuses it, and its kind; what an IPv6 address
    carries comes first, since that is where a connection would go."""
    parts = (*_embedded(address), address)
    for part in parts:
        if part in METADATA_ADDRESSES:
            return part, _METADATA
    part = next(part for part in parts if not _public(part))
    return part, _kind(part)


def _kind(address: IPAddress) -> str:
    """`a loopback`, `a private`...: the first of the address's kinds a person knows it by."""
    for flag, words in _KINDS:
        if getattr(address, flag, False):
            return words
    return "a non-public"


def _public(address: IPAddress) -> bool:
    site_local = isinstance(address, ipaddress.IPv6Address) and address.is_site_local
    odd = address.is_multicast or address.is_reserved or site_local
    return address.is_global and not odd


def _embedded(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 one carries (mapped, 6to4, Teredo): routers may go there."""
    if isinstance(address, ipaddress.IPv4Address):
        return []
    found = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    return [part for part in found if part is not None]


def literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def written_address(host: str) -> IPAddress | None:
    """The address a URL's host is by itself: an IP literal, or an IPv4 address in a short
    or numeric form resolvers accept too (`127.1`, `2130706433`, `0x7f.1`)."""
    found = literal(host)
    if found is not None or not host[:1].isdigit():
        return found
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def url_refusal(url: str, *, allow_private: bool) -> str | None:
    """Why a feed's URL can never be fetched, as far as that shows without DNS; or None."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return f"{_shown(url)} is not a valid URL"
    if not parsed.scheme:
        return f"{_shown(url)} has no scheme; write it as https://... or http://..."
    if parsed.scheme not in SCHEMES:
        return f"{parsed.scheme}: URLs are refused; only http and https feeds are polled"
    if not parsed.host:
        return f"{_shown(url)} has no host"
    return host_refusal(parsed.host, allow_private=allow_private)


def host_refusal(host: str, *, allow_private: bool) -> str | None:
    """Why a URL's host is refused before any lookup: an IP literal or a loopback name."""
    address = written_address(host)
    if address is not None:
        return refusal(address, allow_private=allow_private, name=host)
    if not allow_private and _loopback_name(host):
        return f"{host} is a loopback name; {ALLOW_PRIVATE}"
    return None


def _loopback_name(host: str) -> bool:
    """`localhost` and names under it, which resolvers answer locally (RFC 6761)."""
    name = host.lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


def _shown(url: str) -> str:
    return repr(url) if len(url) <= 80 else repr(url[:77] + "...")
