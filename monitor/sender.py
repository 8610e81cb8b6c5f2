"""Sends one rendered message to one apprise URL and tells what came of it, never raising.

An Outcome is ok, or a failure worth retrying (HTTP 5xx, 408, 429, a timeout, no response),
or a failure for good (any other HTTP status, a URL apprise cannot use), read from the HTTP
answer itself. Apprise URLs hold secrets: print `mask(url)`, never the URL; an Outcome's
detail and answer hold no part of the URL.
"""

from __future__ import annotations

import logging
import math
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from http import HTTPStatus
from typing import Any, cast
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import apprise
import requests

from monitor.template import Rendered

RETRYABLE_STATUSES = frozenset({408, 429})
"""Client errors that say "later", not "never"; every 5xx is retryable too."""

_KIND_BY_SCHEME = {"slack": "slack", "slacks": "slack", "tgram": "telegram", "discord": "discord"}
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]{0,31})://")
_TOKEN = re.compile(r"[A-Za-z0-9]{4,}")
_LINK = re.compile(r"\b[A-Za-z][\w+.-]*://\S*")
_SPACE = re.compile(r"\s+")
_TAIL_TOKEN = re.compile(r"[A-Za-z0-9]+$")
_MASKED_BYTES = 65_536

ANSWER_CHARS = 120
"""How much of a destination's answer is kept: enough for Slack's `invalid_blocks` or
Telegram's description, not a whole error page."""


@dataclass(frozen=True)
class Outcome:
    """What one send came to; `detail` and `answer` are safe to print and store.

    `status` and `answer` are the destination's last HTTP status and the start of its
    body, when it answered; they do not take part in comparisons."""

    ok: bool
    retryable: bool
    detail: str
    status: int | None = field(default=None, compare=False)
    answer: str = field(default="", compare=False)


@dataclass(frozen=True)
class Answer:
    """One HTTP answer heard during a send: its status and the start of its body, masked;
    or, with no status, the name of the error that stood for it."""

    status: int | None
    text: str


@dataclass
class _Listener:
    secrets: list[str]
    heard: list[Answer] = field(default_factory=list)


_listener: ContextVar[_Listener | None] = ContextVar("monitor_sender_listener", default=None)


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
    with (
        listening(url) as heard,
        notifier.notify(
            rendered.body, title=rendered.title, body_format=rendered.body_format, timeout=timeout
        ) as result,
    ):
        return _outcome(result, heard, timeout)


def _outcome(result: apprise.AppriseResult, heard: list[Answer], timeout: float) -> Outcome:
    last = heard[-1] if heard else None
    if result:
        return Outcome(True, False, "delivered", *_fields(last))
    services = list(result)
    if not services:
        return Outcome(False, False, "apprise refused the message before sending it")
    if any(service.status == apprise.AppriseResultStatus.TIMEOUT for service in services):
        return Outcome(False, True, f"timed out after {timeout:g}s", *_fields(last))
    if last is None or last.status is None:
        why = last.text if last else "connection failed or timed out"
        return Outcome(False, True, f"no HTTP response ({why})")
    return _by_answer(last)


def _fields(answer: Answer | None) -> tuple[int | None, str]:
    return (answer.status, answer.text) if answer else (None, "")


def quiet_apprise() -> None:
    """Keeps apprise's log lines, which can quote a URL whole, out of the process's log.

    Outcomes come from the HTTP answers themselves (see `listening`), so apprise's
    lines can be silenced at any level."""
    logging.getLogger("apprise").propagate = False


def _by_answer(answer: Answer) -> Outcome:
    outcome = _by_status(cast(int, answer.status))
    return Outcome(outcome.ok, outcome.retryable, outcome.detail, answer.status, answer.text)


@contextmanager
def listening(url: str) -> Iterator[list[Answer]]:
    """The HTTP answers to the requests made within, as they come, masked of `url`'s tokens.

    apprise tells only True or False (the status only in log lines), and its HTTP plugins
    call requests' module functions, each in a Session of its own: so every Session.send
    is watched, and those made in this context (apprise copies it to its threads) are heard.
    """
    _watch_sessions()
    listener = _Listener(_tokens(url))
    reset = _listener.set(listener)
    try:
        yield listener.heard
    finally:
        _listener.reset(reset)


@cache
def _watch_sessions() -> None:
    unwatched = requests.Session.send

    def send(
        session: requests.Session, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        listener = _listener.get()
        if listener is None:
            return unwatched(session, request, **kwargs)
        try:
            response = unwatched(session, request, **kwargs)
        except Exception as exc:
            listener.heard.append(Answer(None, type(exc).__name__))
            raise
        secrets = listener.secrets + _tokens(request.url or "")
        secrets += _tokens(str(request.headers.get("Authorization", "")))
        # A streamed body (an attachment apprise fetches) is left for its reader.
        listener.heard.append(_answer(response, secrets, read=not kwargs.get("stream")))
        return response

    requests.Session.send = send  # type: ignore[method-assign,assignment]


def _answer(response: requests.Response, secrets: list[str], read: bool) -> Answer:
    try:
        body = response.content if read else b""
    except requests.RequestException:
        body = b""  # cut off while read: the status is still the answer
    text = body[:_MASKED_BYTES].decode("utf-8", "replace")
    if len(body) > _MASKED_BYTES:
        text = _TAIL_TOKEN.sub("", text)  # part of a token is no longer known as one
    return Answer(response.status_code, _masked(text, secrets)[:ANSWER_CHARS])


def _masked(text: str, secrets: list[str]) -> str:
    """`text` on one line, with links and anything that looks like a token of the URLs
    it answered (longest first, so no part of one is left) replaced by ****."""
    text = _LINK.sub("****", _SPACE.sub(" ", text).strip())
    for secret in sorted(set(secrets), key=len, reverse=True):
        text = re.sub(re.escape(secret), "****", text, flags=re.IGNORECASE)
    return text


def _tokens(url: str) -> list[str]:
    return _TOKEN.findall(unquote(url))


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
    load_services()
    try:
        return apprise.Apprise.instantiate(url)
    except Exception:
        return None


@cache
def load_services() -> None:
    """Load apprise's services once per process (a few hundred milliseconds): a worker does
    so as it warms up, before its first delivery."""
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
