"""Sending through apprise: outcomes, URL kinds and masking.

The destinations are servers on 127.0.0.1 started here, or apprise's HTTP layer replaced
by a recorder; a guard refuses any connection that would leave the machine.
"""

from __future__ import annotations

import base64
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from requests.adapters import HTTPAdapter

from monitor.sender import ANSWER_CHARS, Outcome, kind_of, mask, send, service_of, unusable
from monitor.template import Rendered
from tests.sink import Sink, http_sink

MESSAGE = Rendered(
    title="HIGH · \u2068US forces in Iraq\u2069",
    body="*\u2068قال مسؤول: US forces left\u2069*\n> \u2068@\u200beveryone & <b>\u2069",
    body_format="text",
)


@pytest.fixture
def server() -> Iterator[Sink]:
    with http_sink() as sink:
        yield sink


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []
    done = threading.Event()

    def hold() -> None:
        listener.settimeout(0.1)
        while not done.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    done.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


@pytest.fixture
def closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port: int = probe.getsockname()[1]
    probe.close()
    return port


# --- a real HTTP server as json:// and form:// destinations ---


def test_json_sends_the_rendered_message(server: Sink) -> None:
    outcome = send(f"json://127.0.0.1:{server.port}/hook", MESSAGE, 5.0)
    assert outcome == Outcome(ok=True, retryable=False, detail="delivered")
    [got] = server.received
    assert (got.method, got.path, got.content_type) == ("POST", "/hook", "application/json")
    payload = {"version": "1.0", "title": MESSAGE.title, "message": MESSAGE.body}
    assert got.body == json.dumps({**payload, "attachments": [], "type": "info"}).encode()


def test_form_sends_the_rendered_message(server: Sink) -> None:
    outcome = send(f"form://127.0.0.1:{server.port}/hook", MESSAGE, 5.0)
    assert outcome.ok, outcome.detail
    [got] = server.received
    assert (got.method, got.path) == ("POST", "/hook")
    assert got.content_type == "application/x-www-form-urlencoded"
    fields = {"version": "1.0", "title": MESSAGE.title, "message": MESSAGE.body, "type": "info"}
    assert got.body == urlencode(fields).encode("ascii")


@pytest.mark.parametrize(
    ("status", "ok", "retryable"),
    [
        (200, True, False),
        (204, True, False),
        (400, False, False),
        (401, False, False),
        (403, False, False),
        (404, False, False),
        (413, False, False),
        (408, False, True),
        (429, False, True),
        (500, False, True),
        (502, False, True),
        (503, False, True),
    ],
)
@pytest.mark.parametrize("scheme", ["json", "form"])
def test_status_decides_retry(
    server: Sink, scheme: str, status: int, ok: bool, retryable: bool
) -> None:
    outcome = send(f"{scheme}://127.0.0.1:{server.port}/status/{status}", MESSAGE, 5.0)
    assert (outcome.ok, outcome.retryable) == (ok, retryable), outcome.detail
    if not ok:
        assert f"HTTP {status}" in outcome.detail


@pytest.mark.parametrize("timeouts", ["", "?rto=0.3&cto=0.3", "?rto=120&cto=120"])
def test_a_server_that_never_answers_is_retryable(silent_port: int, timeouts: str) -> None:
    started = time.monotonic()
    outcome = send(f"json://127.0.0.1:{silent_port}/hook{timeouts}", MESSAGE, 0.5)
    assert (outcome.ok, outcome.retryable) == (False, True), outcome.detail
    # Far below the 120 s a send that ignored its deadline would take, whatever the machine.
    assert time.monotonic() - started < 30


def test_a_closed_port_is_retryable(closed_port: int) -> None:
    outcome = send(f"json://127.0.0.1:{closed_port}/hook", MESSAGE, 2.0)
    assert (outcome.ok, outcome.retryable) == (False, True), outcome.detail
    assert "no HTTP response" in outcome.detail


# --- the services' own answers, at apprise's HTTP layer ---


@pytest.fixture
def answer(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[int, bytes]]]:
    """Answers for apprise's requests, in order (the last one repeats); nothing is sent."""
    answers: list[tuple[int, bytes]] = []

    def fake_send(adapter: HTTPAdapter, request: requests.PreparedRequest, **_: Any) -> Any:
        status, content = answers.pop(0) if len(answers) > 1 else answers[0]
        response = requests.Response()
        response.status_code = status
        response._content = content
        response.request = request
        response.url = request.url or ""
        return response

    monkeypatch.setattr(HTTPAdapter, "send", fake_send)
    yield answers


@pytest.mark.parametrize(
    ("url", "status", "content", "ok", "retryable"),
    [
        ("slack://T1ABC/B2DEF/C3ghijkl", 200, b"ok", True, False),
        ("slack://T1ABC/B2DEF/C3ghijkl", 200, b"invalid_blocks", False, False),
        ("slack://T1ABC/B2DEF/C3ghijkl", 404, b"no_team", False, False),
        ("slack://T1ABC/B2DEF/C3ghijkl", 500, b"", False, True),
        ("tgram://123456789:AAbbCC/12345", 200, b'{"ok": true}', True, False),
        ("tgram://123456789:AAbbCC/12345", 400, b'{"description": "bad entities"}', False, False),
        ("tgram://123456789:AAbbCC/12345", 429, b'{"description": "flood"}', False, True),
        ("tgram://123456789:AAbbCC/12345", 502, b"", False, True),
        ("discord://1234567/abcdefTOKEN", 204, b"", True, False),
        ("discord://1234567/abcdefTOKEN", 400, b"{}", False, False),
        ("discord://1234567/abcdefTOKEN", 503, b"", False, True),
    ],
)
def test_service_answers_decide_retry(
    answer: list[tuple[int, bytes]],
    url: str,
    status: int,
    content: bytes,
    ok: bool,
    retryable: bool,
) -> None:
    answer.append((status, content))
    outcome = send(url, MESSAGE, 5.0)
    assert (outcome.ok, outcome.retryable) == (ok, retryable), outcome.detail


# --- URLs apprise cannot use ---


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("foo://bar/baz", "unsupported apprise URL: no service uses foo://"),
        ("https://example.invalid/hook", "unsupported apprise URL: no service uses https://"),
        ("tgram://not-a-token/12", "invalid tgram:// URL"),
        ("slack://only-one-token", "invalid slack:// URL"),
        ("no scheme at all", "not an apprise URL"),
        ("", "not an apprise URL"),
    ],
)
def test_unusable_url_is_not_retryable(url: str, detail: str) -> None:
    outcome = send(url, MESSAGE, 1.0)
    assert (outcome.ok, outcome.retryable) == (False, False)
    assert outcome.detail.startswith(detail)


@pytest.mark.parametrize("timeout", [0.0, -1.0, float("nan"), float("inf")])
def test_a_bad_timeout_is_an_outcome(server: Sink, timeout: float) -> None:
    outcome = send(f"json://127.0.0.1:{server.port}/hook", MESSAGE, timeout)
    assert (outcome.ok, outcome.retryable) == (False, False)
    assert server.received == []


def test_send_never_raises(monkeypatch: pytest.MonkeyPatch, server: Sink) -> None:
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("s3cret-in-message")

    monkeypatch.setattr("apprise.Apprise.notify", explode)
    outcome = send(f"json://user:s3cret@127.0.0.1:{server.port}/hook", MESSAGE, 1.0)
    assert outcome == Outcome(False, False, "unexpected RuntimeError while sending")


# --- secrets: never in an Outcome's detail, never in mask() ---

SECRET_URLS = [
    ("slack://T1SECRET/B2SECRET/C3SECRETtoken", ["T1SECRET", "B2SECRET", "C3SECRETtoken"]),
    ("slack://xoxb-1234-5678-SECRETbot/#general", ["xoxb-1234-5678-SECRETbot", "SECRETbot"]),
    ("tgram://123456789:SECRETtgTOKEN/12345", ["SECRETtgTOKEN", "123456789:SECRET"]),
    ("discord://1234567/SECRETwebhookTOKEN", ["SECRETwebhookTOKEN"]),
    ("https://discord.com/api/webhooks/1234567/SECRETnativeTOKEN", ["SECRETnativeTOKEN"]),
    ("json://user:SECRETpass@127.0.0.1:{port}/hook", ["SECRETpass"]),
    ("form://user:SECRETpass@127.0.0.1:{port}/status/503", ["SECRETpass"]),
    ("json://127.0.0.1:{port}/hook?+Authorization=Bearer%20SECRETbearer", ["SECRETbearer"]),
    ("json://127.0.0.1:{port}/hook?-token=SECRETquery", ["SECRETquery"]),
    ("foo://SECRETunknown@host/SECRETpath", ["SECRETunknown", "SECRETpath"]),
    ("tgram://SECRETbadtoken/1", ["SECRETbadtoken"]),
]


@pytest.mark.parametrize(("url", "secrets"), SECRET_URLS)
@pytest.mark.parametrize("status", [200, 500])
def test_detail_never_holds_a_secret(
    answer: list[tuple[int, bytes]], closed_port: int, url: str, secrets: list[str], status: int
) -> None:
    answer.append((status, b"ok"))
    outcome = send(url.format(port=closed_port), MESSAGE, 1.0)
    for secret in secrets:
        assert secret not in outcome.detail


@pytest.mark.parametrize(("url", "secrets"), SECRET_URLS)
def test_mask_hides_secrets(url: str, secrets: list[str]) -> None:
    masked = mask(url.format(port=8080))
    for secret in secrets:
        assert secret not in masked
    assert masked.split("://")[0] in url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("slack://T1ABC/B2DEF/C3ghijkl", "slack://"),
        ("tgram://123456789:AAbbCC/12345", "tgram://"),
        ("discord://1234567/abcdefTOKEN", "discord://"),
        ("json://user:pass@example.com/hook", "json://user:****@example.com/hook"),
        ("foo://bar", "foo://****"),
        ("not a url", "unknown://****"),
    ],
)
def test_mask_keeps_what_identifies_the_destination(url: str, shown: str) -> None:
    assert mask(url).startswith(shown)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("slack://T1ABC/B2DEF/C3ghijkl", "slack"),
        ("slacks://T1ABC/B2DEF/C3ghijkl", "slack"),
        ("SLACK://T1ABC/B2DEF/C3ghijkl", "slack"),
        ("https://hooks.slack.com/services/T1ABC/B2DEF/C3ghijkl", "slack"),
        ("tgram://123456789:AAbbCC/12345", "telegram"),
        ("discord://1234567/abcdefTOKEN", "discord"),
        ("https://discord.com/api/webhooks/1234567/abcdefTOKEN", "discord"),
        ("json://example.com/hook", "text"),
        ("form://example.com/hook", "text"),
        ("mailto://user:pw@example.com", "text"),
        ("https://example.com/hook", "text"),
        ("nonsense", "text"),
    ],
)
def test_kind_of(url: str, kind: str) -> None:
    assert kind_of(url) == kind


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("json://127.0.0.1/hook", None),
        ("slack://T1ABC/B2DEF/C3ghijkl", None),
        ("notaservice://SECRET@host/x", "unsupported apprise URL: no service uses notaservice://"),
        (
            "tgram://SECRETbadtoken/1",
            "invalid tgram:// URL: apprise rejected its tokens or options",
        ),
        ("SECRET", "not an apprise URL (no scheme://)"),
    ],
)
def test_unusable_tells_why_without_the_url(url: str, problem: str | None) -> None:
    assert unusable(url) == problem


@pytest.mark.parametrize(
    ("url", "service"),
    [
        ("json://127.0.0.1/hook", "JSON"),
        ("slack://T1ABC/B2DEF/C3ghijkl", "Slack"),
        ("https://discord.com/api/webhooks/1234567/abcdefTOKEN", "Discord"),
        ("notaservice://x", "unknown"),
    ],
)
def test_service_of(url: str, service: str) -> None:
    assert service_of(url) == service


# --- a process that silences apprise's logger, as the command line does ---


@pytest.fixture
def apprise_silenced() -> Iterator[logging.Logger]:
    """apprise's logger raised to CRITICAL like main() does; put back afterwards."""
    logger = logging.getLogger("apprise")
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.CRITICAL)
    yield logger
    logger.setLevel(level)
    logger.propagate = propagate


@pytest.mark.parametrize(("status", "retryable"), [(401, False), (404, False), (500, True)])
def test_status_is_read_when_apprise_is_silenced(
    server: Sink,
    apprise_silenced: logging.Logger,
    status: int,
    retryable: bool,
) -> None:
    # A handler of the process's own (pytest's caplog also listens on loggers that do
    # not propagate, so it cannot tell).
    heard: list[logging.LogRecord] = []
    listener = logging.Handler()
    listener.emit = heard.append  # type: ignore[method-assign]
    logging.getLogger().addHandler(listener)
    try:
        outcome = send(
            f"json://user:SECRETpass@127.0.0.1:{server.port}/status/{status}", MESSAGE, 5.0
        )
    finally:
        logging.getLogger().removeHandler(listener)
    assert (outcome.ok, outcome.retryable) == (False, retryable), outcome.detail
    assert outcome.detail.startswith(f"HTTP {status}")
    # apprise's lines are read, and still reach no handler of the process: they can quote
    # a URL whole.
    assert not [record for record in heard if record.name.startswith("apprise")]


# --- the outcome comes from the HTTP answer, whatever becomes of apprise's log lines ---


@pytest.fixture
def logging_disabled() -> Iterator[None]:
    """Every log record dropped before any handler or capture sees it."""
    logging.disable(logging.CRITICAL)
    yield
    logging.disable(logging.NOTSET)


@pytest.mark.parametrize(("status", "retryable"), [(401, False), (404, False), (503, True)])
def test_status_is_read_with_logging_disabled(
    server: Sink, logging_disabled: None, status: int, retryable: bool
) -> None:
    outcome = send(f"json://127.0.0.1:{server.port}/status/{status}", MESSAGE, 5.0)
    assert (outcome.ok, outcome.retryable) == (False, retryable), outcome.detail
    assert outcome.detail == f"HTTP {status} {HTTPStatus(status).phrase}"
    assert (outcome.status, outcome.answer) == (status, "ok")


def test_a_delivered_send_keeps_the_answer(server: Sink) -> None:
    outcome = send(f"json://127.0.0.1:{server.port}/hook", MESSAGE, 5.0)
    assert (outcome.ok, outcome.status, outcome.answer) == (True, 200, "ok")


@pytest.mark.parametrize(
    ("url", "status", "content", "shown"),
    [
        ("slack://T1ABC/B2DEF/C3ghijkl", 404, b"no_team", "no_team"),
        ("slack://T1ABC/B2DEF/C3ghijkl", 200, b"invalid_blocks", "invalid_blocks"),
        (
            "tgram://123456789:AAbbCC/12345",
            429,
            b'{"ok": false,\n  "description": "Too Many Requests: retry after 5"}',
            '{"ok": false, "description": "Too Many Requests: retry after 5"}',
        ),
    ],
)
def test_the_services_answer_is_told(
    answer: list[tuple[int, bytes]], url: str, status: int, content: bytes, shown: str
) -> None:
    answer.append((status, content))
    outcome = send(url, MESSAGE, 5.0)
    assert (outcome.status, outcome.answer) == (status, shown)


@pytest.mark.parametrize(("url", "secrets"), SECRET_URLS)
def test_an_answer_that_quotes_the_url_is_masked(
    answer: list[tuple[int, bytes]], closed_port: int, url: str, secrets: list[str]
) -> None:
    url = url.format(port=closed_port)
    answer.append((400, f"bad {url} ({' '.join(secrets)})".encode()))
    outcome = send(url, MESSAGE, 1.0)
    for secret in secrets:
        assert secret.lower() not in (outcome.detail + outcome.answer).lower()


def test_a_closed_port_names_the_error(closed_port: int) -> None:
    outcome = send(f"json://127.0.0.1:{closed_port}/hook", MESSAGE, 2.0)
    assert outcome.detail == "no HTTP response (ConnectionError)"
    assert outcome.status is None


def test_a_long_answer_is_cut(answer: list[tuple[int, bytes]]) -> None:
    answer.append((502, b"<html>\n" + b"bad gateway " * 1000))
    outcome = send("discord://1234567/abcdefTOKEN", MESSAGE, 5.0)
    assert outcome.answer.startswith("<html> bad gateway bad")
    assert len(outcome.answer) == ANSWER_CHARS


def test_an_answer_that_quotes_the_credentials_is_masked(answer: list[tuple[int, bytes]]) -> None:
    basic = base64.b64encode(b"user:SECRETpass")
    answer.append((401, b"bad credentials: Basic " + basic))
    outcome = send("json://user:SECRETpass@127.0.0.1:9/hook", MESSAGE, 1.0)
    assert outcome.answer.startswith("bad credentials: ")
    assert basic.decode() not in outcome.answer


def test_a_token_cut_where_masking_stops_is_not_told(answer: list[tuple[int, bytes]]) -> None:
    answer.append((400, b" " * 65_531 + b"SECRETpass and more"))
    outcome = send("json://user:SECRETpass@127.0.0.1:9/hook", MESSAGE, 1.0)
    assert "SECRE" not in outcome.answer
