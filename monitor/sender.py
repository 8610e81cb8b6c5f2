"""Sends one rendered message to one apprise URL and tells what came of it, never raising.

An Outcome is ok, or a failure worth retrying (HTTP 5xx, 408, 429, a timeout, no response),
or a failure for good (any other HTTP status, a URL apprise cannot use). Apprise URLs hold
secrets: print `mask(url)`, never the URL; an Outcome's detail holds no part of the URL.
"""

from __future__ import annotations

import logging
import math
import re
import warnings
from dataclasses import dataclass
from functools import cache
from http import HTTPStatus
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import apprise

from monitor.template import Rendered

RETRYABLE_STATUSES = frozenset({408, 429})
"""Client errors that say "later", not "never"; every 5xx is retryable too."""

_KIND_BY_SCHEME = {"slack": "slack", "slacks": "slack", "tgram": "telegram", "discord": "discord"}
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]{0,31})://")
_STATUS = re.compile(r"\berror=(\d{3})\b")


@dataclass(frozen=True)
class Outcome:
    """What one send came to; `detail` is safe to print and store."""

    ok: bool
    retryable: bool
    detail: str


def send(url: str, rendered: Rendered, timeout: float) -> Outcome:
    """Send `rendered` to the apprise `url`, giving up after `timeout` seconds."""
    try:
        return _send(url, rendered, timeout)
    except Exception as exc:
        # Its message may quote the URL, so only the type is kept.
        return Outcome(False, False, f"unexpected {type(exc).__name__} while sending")


def mask(url: str) -> str:
    """The URL with its secrets masked, for printing."""
    plugin = _plugin(url)
    if plugin is None:
        # Unparsed, nothing in it is known not to be a secret.
        return f"{_scheme(url) or 'unknown'}://****"
    return _mask_custom(_url_of(plugin, privacy=True))


def unusable(url: str) -> str | None:
    """Why apprise cannot send to `url`, in words that hold no part of it; None if it can."""
    return None if _plugin(url) is not None else _unusable(url)


def service_of(url: str) -> str:
    """The name of the service apprise sends `url` to (Slack, JSON, E-Mail...)."""
    plugin = _plugin(url)
    return str(plugin.service_name) if plugin is not None else "unknown"


def kind_of(url: str) -> str:
    """The kind of channel (see monitor.template.KINDS) the URL sends to."""
    scheme = _scheme(url)
    if scheme in ("http", "https"):
        # A service's own webhook URL (https://hooks.slack.com/...) is known to apprise too.
        plugin = _plugin(url)
        scheme = _scheme(_url_of(plugin)) if plugin is not None else scheme
    return _KIND_BY_SCHEME.get(scheme, "text")


def _send(url: str, rendered: Rendered, timeout: float) -> Outcome:
    if not (math.isfinite(timeout) and timeout > 0):
        return Outcome(False, False, f"invalid timeout {timeout!r}")
    plugin = _plugin(url)
    if plugin is None:
        return Outcome(False, False, _unusable(url))
    # Connecting and reading get half each, so a stuck request fails on its own before the
    # call's deadline abandons it to a thread that might still deliver after we report failure.
    plugin.socket_connect_timeout = min(float(plugin.socket_connect_timeout), timeout / 2)
    plugin.socket_read_timeout = min(float(plugin.socket_read_timeout), timeout / 2)
    notifier = apprise.Apprise()
    notifier.add(plugin)
    _keep_status_lines()
    with notifier.notify(
        rendered.body,
        title=rendered.title,
        body_format=rendered.body_format,
        timeout=timeout,
    ) as result:
        return _outcome(result, timeout)


def _outcome(result: apprise.AppriseResult, timeout: float) -> Outcome:
    if result:
        return Outcome(True, False, "delivered")
    services = list(result)
    if not services:
        return Outcome(False, False, "apprise refused the message before sending it")
    if any(service.status == apprise.AppriseResultStatus.TIMEOUT for service in services):
        return Outcome(False, True, f"timed out after {timeout:g}s")
    # apprise 2 keeps each call's own log lines, where HTTP plugins write "error=NNN": no hooks.
    codes = [
        int(match)
        for service in services
        for entry in service.logs()
        for match in _STATUS.findall(str(entry.message))
    ]
    if not codes:
        return Outcome(False, True, "no HTTP response (connection failed or timed out)")
    return _by_status(codes[-1])


def quiet_apprise() -> None:
    """Keeps apprise's log lines, which can quote a URL whole, out of the process's log.

    They are kept from propagating, not raised above their level: each notify() reads
    its own lines ("error=NNN") for the outcome, and a level of CRITICAL would turn
    every HTTP status into "no response"."""
    logging.getLogger("apprise").propagate = False


def _keep_status_lines() -> None:
    """Puts back apprise's warnings where a process silenced them by their level."""
    apprise_log = logging.getLogger("apprise")
    if not apprise_log.isEnabledFor(logging.WARNING):
        quiet_apprise()
        apprise_log.setLevel(logging.WARNING)


def _by_status(code: int) -> Outcome:
    try:
        reason = f"HTTP {code} {HTTPStatus(code).phrase}"
    except ValueError:
        reason = f"HTTP {code}"
    if code >= 500 or code in RETRYABLE_STATUSES:
        return Outcome(False, True, reason)
    if code >= 400:
        return Outcome(False, False, reason)
    # A 2xx or 3xx that apprise calls a failure: the service answered but refused the message.
    return Outcome(False, False, f"{reason}, but the service refused the message")


def _plugin(url: str) -> apprise.NotifyBase | None:
    _load_services()
    try:
        return apprise.Apprise.instantiate(url)
    except Exception:
        return None


@cache
def _load_services() -> None:
    with warnings.catch_warnings():
        # apprise's e-mail plugin imports imghdr (deprecated in 3.11) as its plugins load.
        warnings.filterwarnings("ignore", "'imghdr' is deprecated", DeprecationWarning)
        _services().load_modules()


def _services() -> Any:
    return cast(Any, apprise.NotificationManager)()


def _url_of(plugin: Any, privacy: bool = False) -> str:
    return str(plugin.url(privacy=privacy))


def _unusable(url: str) -> str:
    scheme = _scheme(url)
    if not scheme:
        return "not an apprise URL (no scheme://)"
    if scheme not in _services():
        return f"unsupported apprise URL: no service uses {scheme}://"
    return f"invalid {scheme}:// URL: apprise rejected its tokens or options"


def _scheme(url: str) -> str:
    match = _SCHEME.match(url.strip())
    return match.group(1).lower() if match else ""


def _mask_custom(url: str) -> str:
    """apprise's masked URL with the +header, -param and :field values of generic
    webhooks (json://, form://, xml://) masked too: apprise shows them, and they can be keys."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    hidden = [(k, "****" if k[:1] in "+-:" else v) for k, v in query]
    return urlunsplit(parts._replace(query=urlencode(hidden, safe="*")))
