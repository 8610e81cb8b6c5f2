"""Who may use the dashboard, and how: loopback only unless a token is set; off loopback
every page needs the token (a bearer header, or a session cookie from the sign-in form);
changes only by POST from the dashboard's own pages; and headers that keep feed text
inert (a strict Content-Security-Policy, no framing, no sniffing, no referrer)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp

from monitor.errors import ConfigError

TOKEN_ENV = "MONITOR_DASHBOARD_TOKEN"
SESSION_COOKIE = "monitor_session"
SIGN_IN = "/login"

OPEN_PATHS = frozenset({"/healthz", SIGN_IN})
"""Paths answered without the token: the health check, and the form that asks for it."""

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_binding(host: str, token: str) -> None:
    """Refuse to listen off loopback without a token: the dashboard would be open to all."""
    if not is_loopback(host) and not token:
        raise ConfigError(
            f"--host {host}: the dashboard listens off this machine only with a token; "
            f"set {TOKEN_ENV} (a long random string), or use --host 127.0.0.1"
        )


@dataclass
class Guard:
    """The token (empty: sign-in off, on loopback) and the key that signs CSRF tokens."""

    token: str = ""
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def session(self) -> str:
        """The session cookie's value: derived from the token, so every dashboard accepts it
        and a new token signs everyone out."""
        return _sign(self.token.encode(), "session")

    def csrf(self) -> str:
        """The token every form carries; with a sign-in token, the same in every dashboard."""
        return _sign(self.token.encode() or self.key, "csrf")

    def token_ok(self, given: str) -> bool:
        return bool(self.token) and hmac.compare_digest(given.encode(), self.token.encode())

    def allowed(self, request: Request) -> bool:
        if not self.token or request.url.path in OPEN_PATHS:
            return True
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and self.token_ok(given.strip()):
            return True
        cookie = request.cookies.get(SESSION_COOKIE, "")
        return hmac.compare_digest(cookie.encode(), self.session().encode())

    def csrf_ok(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self.csrf().encode())


def same_origin(request: Request) -> bool:
    """A change asked for by the dashboard's own page, not by another site's: the browser's
    Sec-Fetch-Site, else the Origin, must be ours (scripts without either pass: they hold
    the token or run on loopback, and CSRF tokens still apply to forms)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


def _sign(key: bytes, purpose: str) -> str:
    return hmac.new(key, purpose.encode(), hashlib.sha256).hexdigest()


class GuardMiddleware(BaseHTTPMiddleware):
    """Sign-in, same-origin changes and the safety headers, for every path."""

    def __init__(self, app: ASGIApp, guard: Guard) -> None:
        super().__init__(app)
        self.guard = guard

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await self._answer(request, call_next)
        response.headers.update(HEADERS)
        return response

    async def _answer(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if not self.guard.allowed(request):
            return _sign_in_needed(request)
        if request.method not in ("GET", "HEAD") and not same_origin(request):
            return JSONResponse({"error": "changes come only from the dashboard's pages"}, 403)
        return await call_next(request)


def _sign_in_needed(request: Request) -> Response:
    wants_page = "text/html" in request.headers.get("accept", "") and request.method == "GET"
    if wants_page:
        return RedirectResponse(SIGN_IN, status_code=303)  # a fixed path, never a parameter
    return JSONResponse(
        {"error": f"sign in: send 'Authorization: Bearer <{TOKEN_ENV}>'"},
        401,
        headers={"WWW-Authenticate": "Bearer"},
    )
