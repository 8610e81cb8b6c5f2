"""Destinations that fail in different ways, side by side: one that answers 500 before it
recovers, one that refuses (401), one that never answers and one that is healthy; against a
real Redis, two real `monitor work` processes and real HTTP destinations on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import redis

from monitor.history import History
from monitor.keyspace import Keyspace, as_text
from monitor.queue import JobSerializer, rq, rq_queue
from tests.processes import CEILING, env_for, monitor, start_monitor, stop, submit, wait_until
from tests.sink import serving
from tests.test_worker_recovery import RULE

ITEMS = 5
"""Alerting items, each its own story: four delivery jobs each, one per destination."""

FAILURES = 2
"""Requests per notification that the recovering destination answers 500 before a 200:
with the real backoff (5 s doubling, with jitter) its third attempt comes 7.5 to 15 s on."""

HANG = None
"""The status of an answer never given."""

Answerer = Callable[[str, int], int | None]
"""The status a destination gives the `n`th request (from 0) for a notification, or HANG."""


@dataclass
class Destination:
    """An HTTP destination on 127.0.0.1 that records each request, by notification, with
    the status it answered (HANG: none)."""

    name: str
    answer: Answerer
    port: int = 0
    requests: list[tuple[str, int | None]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    """When each request came (time.monotonic())."""
    closing: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook"

    def take(self, body: bytes) -> int | None:
        # The first line of the message is the notification's title, the item's own.
        key = json.loads(body)["message"].split("\n")[0]
        with self.lock:
            status = self.answer(key, sum(1 for seen, _ in self.requests if seen == key))
            self.requests.append((key, status))
            self.times.append(time.monotonic())
        return status

    def seen(self) -> list[tuple[str, int | None]]:
        with self.lock:
            return list(self.requests)

    def delivered(self) -> Counter[str]:
        """How many times each notification was answered 200."""
        return Counter(key for key, status in self.seen() if status == 200)

    def count(self) -> int:
        return len(self.seen())


@contextmanager
def destination(name: str, answer: Answerer) -> Iterator[Destination]:
    dest = Destination(name, answer)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            status = dest.take(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            if status is HANG:
                dest.closing.wait(CEILING)  # holds the connection until the test ends
                return
            body = b"ok" if status == 200 else f"{dest.name} says {status}".encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    with serving(Handler) as port:
        dest.port = port
        try:
            yield dest
        finally:
            dest.closing.set()  # ends the handlers of requests never answered


def recovering(key: str, nth: int) -> int:
    return 500 if nth < FAILURES else 200


def refusing(key: str, nth: int) -> int:
    return 401


def hanging(key: str, nth: int) -> None:
    return HANG


def healthy(key: str, nth: int) -> int:
    return 200


def pending(client: redis.Redis, keys: Keyspace, channel: str) -> list[str]:
    """The delivery jobs to `channel` queued, running or due again."""
    queue = rq_queue(client, keys.deliver_queue)
    ids = queue.get_job_ids()
    ids += queue.started_job_registry.get_job_ids(cleanup=False)
    ids += queue.scheduled_job_registry.get_job_ids(cleanup=False)
    ids += [as_text(raw) for raw in client.lrange(queue.intermediate_queue_key, 0, -1)]
    found = []
    for job_id in ids:
        try:
            job = rq.job.Job.fetch(job_id, connection=client, serializer=JobSerializer)
        except rq.exceptions.NoSuchJobError:
            continue  # done with since it was listed
        if job.args and job.args[0].get("channel") == channel:
            found.append(job_id)
    return found


def attempts(history: History, channel: str) -> list[dict[str, Any]]:
    """The attempts on record of deliveries to `channel`."""
    return [row for row in history.deliveries(1000) if row["channel"] == channel]


def test_each_destination_fails_on_its_own(tmp_path: Path, redis_url: str, keys: Keyspace) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "rule.yaml").write_text(RULE, encoding="utf-8")
    (tmp_path / "channels.yaml").write_text(
        "channels:\n" + "".join(f"  - name: {n}\n    url_env: {n.upper()}_URL\n" for n in "abcd"),
        encoding="utf-8",
    )
    items = [
        {"id": f"item-{n}", "title": f"هجوم رقم {n} على قاعدة عين الأسد", "source": f"s{n}"}
        for n in range(ITEMS)
    ]
    client = redis.Redis.from_url(redis_url)
    history = History(client, keys, 3600)
    with ExitStack() as stack:
        a = stack.enter_context(destination("a", recovering))
        b = stack.enter_context(destination("b", refusing))
        c = stack.enter_context(destination("c", hanging))
        d = stack.enter_context(destination("d", healthy))
        urls = {f"{dest.name.upper()}_URL": dest.url() for dest in (a, b, c, d)}
        env = env_for(tmp_path, redis_url, keys.prefix, MONITOR_RULES=str(rules), **urls)

        def progress() -> str:
            counts = {
                dest.name: Counter(status for _, status in dest.seen()) for dest in (a, b, c, d)
            }
            return f"requests by status per destination: {counts}"

        workers = [start_monitor("work", env=env) for _ in range(2)]
        stack.callback(lambda: [stop(worker) for worker in workers])
        submitted = time.monotonic()
        assert submit(items, env) == ITEMS

        # The refusal is given up at its first answer: a dead letter per notification.
        wait_until(
            lambda: len(history.dead_letters()) >= ITEMS, lambda: f"B's dead letters; {progress()}"
        )
        b_dead_in = time.monotonic() - submitted
        assert b.count() == ITEMS, f"B asked again after a 401: {b.seen()}"

        # The healthy and the recovering destinations get everything while C still hangs.
        wait_until(
            lambda: len(d.delivered()) == ITEMS, lambda: f"all of D's notifications; {progress()}"
        )
        d_in = time.monotonic() - submitted
        wait_until(
            lambda: len(a.delivered()) == ITEMS, lambda: f"all of A's notifications; {progress()}"
        )
        a_in = time.monotonic() - submitted
        # C is tried again after its pause: with two workers, at most two sends to it can
        # start before the first one's timeout pauses the channel, so a third comes after.
        wait_until(lambda: len(attempts(history, "c")) >= 3, lambda: f"C tried again; {progress()}")
        # Nothing more can come to A or D: no job for them is queued, running or due again.
        wait_until(
            lambda: not pending(client, keys, "a") and not pending(client, keys, "d"),
            lambda: (
                f"A's and D's jobs to be done; A {pending(client, keys, 'a')}, "
                f"D {pending(client, keys, 'd')}"
            ),
        )
        # C's are all still going: a job for each is queued, running or due again (looked
        # for until seen, since one moving between registries may be missed by a single look).
        wait_until(
            lambda: len(pending(client, keys, "c")) == ITEMS,
            lambda: f"a delivery job to C for each notification; {pending(client, keys, 'c')}",
        )
        # C is still being tried while the alerts are listed: its attempts on record
        # before and after the listing bound what the listing can show.
        tried_before = attempts(history, "c")
        listed = monitor("alerts", "--json", "--limit", "1000", env=env)
        tried_c = attempts(history, "c")
        c_requests = c.count()
    # All workers stopped, C's held connections released and every server shut down.

    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    sent = [row for row in rows if row["kind"] == "notification"]
    dead = [row for row in rows if row["kind"] == "dead_letter"]
    retrying = [row for row in rows if row["kind"] == "retrying"]
    assert {row["kind"] for row in rows} == {"notification", "retrying", "dead_letter"}, rows

    titles = set(d.delivered())
    assert len(titles) == ITEMS
    assert d.delivered() == Counter({title: 1 for title in titles}), d.seen()
    assert d.count() == ITEMS
    assert a.delivered() == Counter({title: 1 for title in titles}), a.seen()
    assert a.count() == ITEMS * (FAILURES + 1)
    assert b.count() == ITEMS

    assert sorted(row["channel"] for row in sent) == ["a"] * ITEMS + ["d"] * ITEMS
    for row in sent:
        want = [500] * FAILURES + [200] if row["channel"] == "a" else [200]
        assert [t["status"] for t in row["tries"]] == want, row["tries"]
        assert [t["attempt"] for t in row["tries"]] == list(range(1, len(want) + 1))
        assert [t["ok"] for t in row["tries"]] == [False] * (len(want) - 1) + [True]
        assert all(t["retryable"] for t in row["tries"][:-1])
        assert all(t["answer"] == "a says 500" for t in row["tries"][:-1]), row["tries"]

    assert sorted(row["channel"] for row in dead) == ["b"] * ITEMS, dead
    for row in dead:
        assert (row["attempts"], row["status"], row["answer"]) == (1, 401, "b says 401"), row
        assert row["reason"] == "HTTP 401 Unauthorized"
        (tried,) = row["tries"]
        assert (tried["status"], tried["retryable"], tried["ok"]) == (401, False, False)

    # C: never sent, never given up, each attempt recorded as retryable with no answer;
    # between attempts its deliveries are held back, so it is asked far less than once per
    # delivery per backoff step.
    assert all(row["retryable"] and not row["ok"] for row in tried_c), tried_c
    assert all(row["status"] is None for row in tried_c), tried_c
    # ...and shown as retrying, each with its last reason, for every one tried so far.
    assert {row["channel"] for row in rows if row["kind"] != "notification"} == {"b", "c"}
    shown = {(row["story"], row["update"]) for row in retrying}
    assert {(row["story"], row["update"]) for row in tried_before} <= shown
    assert shown <= {(row["story"], row["update"]) for row in tried_c}
    assert all(row["channel"] == "c" and row["status"] is None for row in retrying), retrying
    assert all(row["reason"].startswith("no HTTP response") for row in retrying), retrying

    def arrivals(dest: Destination) -> str:
        return " ".join(f"{at - submitted:.1f}" for at in dest.times)

    duplicates = sum(n - 1 for dest in (a, d) for n in dest.delivered().values())
    print(
        f"\n{ITEMS} items in; out per destination: A {len(a.delivered())} "
        f"({a.count()} requests), B 0 ({b.count()} requests, {len(dead)} dead letters), "
        f"C 0 ({c_requests} requests, {len(tried_c)} attempts recorded, "
        f"details {sorted({row['detail'] for row in tried_c})}), "
        f"D {len(d.delivered())} ({d.count()} requests); duplicates {duplicates}; "
        f"B dead-lettered in {b_dead_in:.1f}s, D complete in {d_in:.1f}s, "
        f"A complete in {a_in:.1f}s\nrequests at (s after submit): "
        f"A [{arrivals(a)}]; B [{arrivals(b)}]; C [{arrivals(c)}]; D [{arrivals(d)}]"
    )
