"""How long a server says a response stays fresh, or how long to wait before asking
again: Cache-Control, Expires and Retry-After, read against the server's own Date."""

from __future__ import annotations

from datetime import UTC
from email.utils import parsedate_to_datetime

import httpx

from monitor.clock import Clock


def retry_after(headers: httpx.Headers, clock: Clock) -> float | None:
    """Retry-After in seconds (it may be seconds or an HTTP-date), None if absent or bad."""
    value = headers.get("retry-after", "").strip()
    if value.isdecimal():
        return float(value)
    when = _http_date(value)
    return None if when is None else max(0.0, when - _server_now(headers, clock))


def max_age(headers: httpx.Headers, clock: Clock) -> float | None:
    """Seconds the response stays fresh from now, None if the server does not say."""
    lifetime = _cache_control_age(headers.get("cache-control", ""))
    if lifetime is None and "expires" in headers:
        expires = _http_date(headers["expires"])
        # An invalid Expires, "0" above all, means already stale (RFC 9111, 5.3).
        lifetime = 0.0 if expires is None else expires - _server_now(headers, clock)
    if lifetime is None:
        return None
    age = headers.get("age", "").strip()
    return max(0.0, lifetime - (float(age) if age.isdecimal() else 0.0))


def _cache_control_age(value: str) -> float | None:
    pairs = (part.partition("=") for part in value.split(","))
    directives = {name.strip().lower(): arg.strip().strip('"') for name, _, arg in pairs}
    for name in ("max-age", "s-maxage"):
        if directives.get(name, "").isdecimal():
            return float(directives[name])
    return None


def _server_now(headers: httpx.Headers, clock: Clock) -> float:
    """The server's Date, so its own clock's offsets cancel out; ours when it gives none."""
    date = _http_date(headers.get("date", ""))
    return clock.now() if date is None else date


def _http_date(value: str) -> float | None:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
