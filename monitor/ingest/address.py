"""Which addresses a feed fetch may connect to, and how names become addresses.

Loopback, private, link-local, multicast and reserved addresses are refused
unless a feed is allowed them; cloud metadata endpoints always are. An IPv6
address is judged by the IPv4 addresses it carries too.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from typing import Protocol

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

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


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
