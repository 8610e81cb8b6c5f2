"""The whole `monitor run --workers 2 --pollers 1` through a Redis outage: Redis is stopped
for 30 s under it while the feeds keep publishing, then started again from its AOF. Every
alert of every phase must reach the destination once, `monitor run` must still be running
with its children, and nothing may be left failed or dead-lettered."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import redis

from monitor.delivery import LEASE_SECONDS
from monitor.heartbeat import beats
from monitor.keyspace import Keyspace, as_text
from monitor.queue import failed_jobs, rq_queue
from monitor.redis_server import EmbeddedRedis
from tests.feed_server import FeedServer, feed_server
from tests.ingest.test_poller_redis_restart import (
    BACK,
    FEEDS,
    GONE,
    Log,
    make_all_due,
    write_feeds,
)
from tests.processes import CEILING, env_for, monitor, start_monitor, stop, wait_until
from tests.sink import Received, Sink, http_sink, serving
from tests.test_soak import (
    Published,
    _children,
    _delivered,
    _first_received,
    _state,
    _taken_in,
    _where,
)
from tests.test_worker_recovery import RULE, settled

WORKERS = 2

OUTAGE = float(os.environ.get("MONITOR_OUTAGE_SECONDS", "30"))
"""Seconds Redis stays down: the scenario ('stop Redis for 30 s under a running monitor
run'), not a guess of speed. MONITOR_OUTAGE_SECONDS tries another length."""

DURING = 3
"""Rounds of arrivals spread over the outage."""

FLOW_SECONDS = 40.0
"""Seconds of steady arrivals in the second test, Redis restarted halfway."""

FLOW_EVERY = 0.5
"""Seconds between two arrivals of the steady flow."""

RETRY = re.compile(
    r"Worker (\w+): could not connect to Redis instance: .* retrying in (\d+) seconds"
)
"""RQ's line for a failed Redis call of a worker: its dequeue loop (1 s doubling to 60 s,
rq/worker/base.py) and its pubsub thread (always 2 s)."""

DUE_EVERY = 4
"""Arrivals of the steady flow between two times the test makes every feed due."""

RESTARTED = re.compile(r"(worker \d+|poller \d+) restarted \(pid \d+\)")
DIED = re.compile(r"(worker \d+|poller \d+) \(pid \d+\) (.*); restarting in")


@dataclass
class Feeds:
    """Items published to the local feeds, each alerting or not, with its phase."""

    server: FeedServer
    started: float = field(default_factory=time.monotonic)
    published: list[Published] = field(default_factory=list)
    phases: dict[int, str] = field(default_factory=dict)

    def publish(self, phase: str, alerting: bool) -> None:
        item = Published(
            number=len(self.published),
            feed=len(self.published) % FEEDS,
            alerting=alerting,
            at=time.monotonic() - self.started,
        )
        self.published.append(item)
        self.phases[item.number] = phase
        with self.server.lock:
            self.server.items.setdefault(item.feed, []).append((item.guid, item.title))

    def round(self, phase: str) -> None:
        """One alerting and one quiet item in every feed."""
        for _ in range(FEEDS):
            self.publish(phase, alerting=True)
            self.publish(phase, alerting=False)

    def expected(self) -> set[int]:
        return {item.number for item in self.published if item.alerting}


def _everyone_running(run_pid: int) -> bool:
    return len(_children(run_pid, "worker")) == WORKERS and len(_children(run_pid, "poller")) == 1


def _live_in_status(env: dict[str, str]) -> dict[str, int]:
    """Live processes per role, as `monitor status --json` reports them."""
    done = monitor("status", "--json", env=env)
    if done.returncode != 0:
        return {}
    report = json.loads(done.stdout)
    live = {"worker": 0, "poller": 0}
    for row in report["processes"]:
        if row["alive"]:
            live[row["role"]] = live.get(row["role"], 0) + 1
    return live


@dataclass
class Outcome:
    delivered: dict[int, int]
    failed: list[tuple[str, str]]
    failed_raw: dict[str, list[str]]
    dead_letters: int
    status: dict[str, int]
    items_in: int
    alerts: list[dict[str, Any]]


def _settle(
    client: redis.Redis,
    keys: Keyspace,
    feeds: Feeds,
    sink: Sink,
    run_pid: int,
    env: dict[str, str],
    log: Log,
) -> Outcome:
    """Wait for every item to be taken in, every alert delivered and the queues to settle,
    then collect what is left."""
    items = feeds.published
    expected = feeds.expected()
    known: set[str] = set()

    def told() -> str:
        return f"{_state(client, keys)}\nlog tail:\n" + "\n".join(log.lines[-60:])

    wait_until(
        lambda: _taken_in(client, keys, items, known) == len(items),
        lambda: (
            f"every item taken in: {len(known)} of {len(items)}; not yet: "
            + ", ".join(_where(client, keys, i) for i in items if i.guid not in known)[:3000]
            + "\n"
            + told()
        ),
    )
    wait_until(
        lambda: expected <= set(_delivered(sink)),
        lambda: (
            f"every alert delivered: {len(set(_delivered(sink)) & expected)} of "
            f"{len(expected)}; missing: "
            + ", ".join(
                f"{_where(client, keys, i)} [{feeds.phases[i.number]}]"
                for i in items
                if i.number in expected - set(_delivered(sink))
            )[:3000]
            + "\n"
            + told()
        ),
    )
    wait_until(lambda: settled(client, keys), lambda: f"the queues to settle; {told()}")
    wait_until(
        lambda: _everyone_running(run_pid),
        lambda: f"monitor run's {WORKERS} workers and poller running; {told()}",
    )
    status: dict[str, int] = {}

    def status_live() -> bool:
        status.update(_live_in_status(env))
        return status.get("worker", 0) >= WORKERS and status.get("poller", 0) >= 1

    wait_until(status_live, lambda: f"monitor status to show live workers and poller: {status}")
    failed = failed_jobs(client, keys)
    failed_raw = {
        name: rq_queue(client, name).failed_job_registry.get_job_ids()
        for name in (keys.match_queue, keys.deliver_queue)
    }
    shown = monitor("alerts", "--json", "--limit", "1000", env=env).stdout
    return Outcome(
        alerts=[json.loads(line) for line in shown.splitlines() if line.startswith("{")],
        delivered=dict(_delivered(sink)),
        failed=failed,
        failed_raw=failed_raw,
        dead_letters=int(client.zcard(keys.dead_letters)),
        status=dict(status),
        items_in=len(known),
    )


def _setup(
    tmp_path: Path, server: FeedServer, sink: Sink, redis_url: str, prefix: str
) -> dict[str, str]:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "rule.yaml").write_text(RULE, encoding="utf-8")
    (tmp_path / "channels.yaml").write_text(
        "channels:\n  - name: hook\n    url_env: HOOK_URL\n", encoding="utf-8"
    )
    write_feeds(tmp_path, server)
    return env_for(tmp_path, redis_url, prefix, HOOK_URL=sink.url(), MONITOR_RULES=str(rules))


def _restarts(log: Log) -> tuple[list[str], list[str]]:
    """The supervisor's lines about children that died and were restarted."""
    died = [line for line in log.lines if DIED.search(line) or SWEPT in line]
    restarted = [line for line in log.lines if RESTARTED.search(line)]
    return died, restarted


FRAME = re.compile(r'File ".*/(rq|workers|monitor)/[^"]*", line \d+, in ')
POLLER = "monitor.ingest.poller"
"""The logger of the poller's lines."""

SWEPT = "left behind by a child"
"""The supervisor's line when it ends what a dead child left (a work-horse, maybe mid-job)."""

STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def _tracebacks(lines: list[str]) -> list[list[str]]:
    """Each logged error with a traceback, condensed to its log line, the frames in RQ and
    the project, and the exceptions raised."""
    blocks: list[list[str]] = []
    index = 0
    while index < len(lines):
        if not lines[index].startswith("Traceback"):
            index += 1
            continue
        end = index + 1
        while end < len(lines) and not STAMP.match(lines[end]):
            end += 1
        block = lines[index - 1 : index] if index and STAMP.match(lines[index - 1]) else []
        block += [
            line
            for line in lines[index:end]
            if FRAME.search(line) or (line and not line.startswith((" ", "Traceback", "During")))
        ]
        blocks.append(block)
        index = end
    return blocks


def _copies(sink: Sink, feeds: Feeds, outcome: Outcome, number: int, since: float) -> str:
    """When each copy of item `number`'s notification arrived (seconds after `since`), and
    its records in `monitor alerts --json`."""
    token = f"tok{number:06d}"
    with sink.lock:
        times = [r.at - since for r in sink.received if token in json.loads(r.body)["message"]]
    guid = feeds.published[number].guid
    records = [a for a in outcome.alerts if guid in a.get("items", [])]
    return (
        f"{guid} [{feeds.phases[number]}] received at "
        + ", ".join(f"{t:+.1f}s" for t in times)
        + f"; records: {json.dumps(records, ensure_ascii=False)[:1500]}"
    )


def _poller_said(log: Log, text: str) -> int:
    """Lines of the poller with `text` (a worker that cannot start says 'cannot reach Redis'
    too)."""
    return sum(POLLER in line and text in line for line in log.lines)


def _report(
    name: str,
    feeds: Feeds,
    outcome: Outcome,
    log: Log,
    returncode: int,
    figures: str,
    sink: Sink,
    since: float,
) -> None:
    """Print the figures of a run, then judge it; `since` (time.monotonic()) is when Redis
    came back, for the times of repeated notifications."""
    expected = feeds.expected()
    delivered = outcome.delivered
    duplicates = sum(count - 1 for count in delivered.values() if count > 1)
    unexpected = set(delivered) - expected
    died, restarted = _restarts(log)
    tracebacks = log.count("Traceback")
    print(
        f"\n{name}: items in {outcome.items_in} of {len(feeds.published)}, alerts expected "
        f"{len(expected)}, alerts out {len(set(delivered) & expected)}, duplicates "
        f"{duplicates}, {figures}, restarts seen {len(restarted)} (deaths {len(died)}), "
        f"failed jobs {len(outcome.failed)} (raw {outcome.failed_raw}), dead letters "
        f"{outcome.dead_letters}, live in status {outcome.status}, tracebacks in log "
        f"{tracebacks}, poller said '{GONE}' x{_poller_said(log, GONE)} and '{BACK}' "
        f"x{_poller_said(log, BACK)}, exit {returncode}"
    )
    for line in died + restarted:
        print(f"  supervisor: {line}")
    for block in _tracebacks(log.lines):
        print("  traceback in monitor run's log:\n" + "\n".join(f"  | {line}" for line in block))
    assert expected <= set(delivered)
    assert not unexpected, f"notifications for items that do not alert: {sorted(unexpected)}"
    assert duplicates == 0, "sent twice: " + "; ".join(
        _copies(sink, feeds, outcome, n, since) for n, count in delivered.items() if count > 1
    )
    assert outcome.failed == [], outcome.failed
    assert outcome.dead_letters == 0
    assert returncode == 0, "\n".join(log.lines[-80:])


class RedisHost:
    """The test's own Redis, stopped and started again from its AOF; a client to it."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.server = EmbeddedRedis(home)
        self.server.start()
        self.client = redis.Redis.from_url(self.server.url)

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self) -> None:
        self.client.close()
        self.server.stop()  # by the pid it started: SIGTERM, AOF flushed

    def start(self) -> None:
        self.server = EmbeddedRedis(self.home)  # same socket, same AOF
        self.server.start()
        self.client = redis.Redis.from_url(self.server.url)


def _workers_beating_since(client: redis.Redis, keys: Keyspace, run_pid: int, since: float) -> bool:
    """Every worker of `monitor run` has beat since `since` (time.time()): it is back at its
    loop, past RQ's reconnect wait."""
    pids = _children(run_pid, "worker")
    fresh = {b.pid for b in beats(client, keys) if b.role == "worker" and b.last >= since}
    return bool(pids) and pids <= fresh


def _times_until(conditions: dict[str, Callable[[], object]], awaited: str) -> dict[str, float]:
    """Seconds until each condition first held, waiting until all have."""
    started = time.monotonic()
    found: dict[str, float] = {}

    def all_held() -> bool:
        for name, condition in conditions.items():
            if name not in found and condition():
                found[name] = time.monotonic() - started
        return len(found) == len(conditions)

    wait_until(all_held, lambda: f"{awaited}: only {found}")
    return found


def _retries(lines: list[str]) -> dict[str, list[int]]:
    """Per RQ worker, the waits it announced after failed Redis calls, in order."""
    found: dict[str, list[int]] = {}
    for line in lines:
        if match := RETRY.search(line):
            found.setdefault(match.group(1)[:8], []).append(int(match.group(2)))
    return found


def _job_running(client: redis.Redis, keys: Keyspace) -> list[str]:
    """Once a match or deliver job runs (listed as started), the ids listed; looked at every
    few milliseconds, since a job may last less than a tenth of a second."""
    started = [
        rq_queue(client, name).started_job_registry.key
        for name in (keys.match_queue, keys.deliver_queue)
    ]
    found: list[str] = []

    def running() -> bool:
        for key in started:  # raw entries: counting would run RQ's cleanup from here
            found.extend(as_text(member) for member in client.zrange(key, 0, -1))
        if not found:
            time.sleep(0.005)
        return bool(found)

    wait_until(running, "a job to run")
    return found


def _last_alert_after(sink: Sink, numbers: set[int], since: float) -> float:
    """Seconds from `since` (time.monotonic()) to the first receipt of the last of `numbers`."""
    if not numbers:
        return 0.0
    return max(_first_received(sink, n) for n in numbers) - since


def _run_monitor(env: dict[str, str]) -> tuple[subprocess.Popen[str], Log]:
    run = start_monitor("run", "--workers", str(WORKERS), "--pollers", "1", env=env, capture=True)
    return run, Log(run)


def test_monitor_run_rides_out_a_30s_redis_outage(tmp_path: Path, keys: Keyspace) -> None:
    host = RedisHost(tmp_path / "redis-home")
    with feed_server() as server, http_sink() as sink:
        env = _setup(tmp_path, server, sink, host.url, keys.prefix)
        feeds = Feeds(server)
        feeds.round("before")
        run, log = _run_monitor(env)
        returncode = -999
        try:
            wait_until(lambda: _everyone_running(run.pid), "monitor run's workers and poller")
            wait_until(
                lambda: feeds.expected() <= set(_delivered(sink)),
                lambda: f"the first alerts; {_state(host.client, keys)}",
            )
            before = len(log.lines)

            host.stop()
            down_at = time.monotonic()
            for n in range(DURING):  # arrivals spread over the outage
                time.sleep(max(0.0, down_at + n * OUTAGE / DURING - time.monotonic()))
                feeds.round("during")
            time.sleep(max(0.0, down_at + OUTAGE - time.monotonic()))
            assert run.poll() is None, "monitor run died with Redis:\n" + "\n".join(log.lines)
            during_log = log.lines[before:]

            host.start()
            back_at, back_wall = time.monotonic(), time.time()
            feeds.round("after")
            make_all_due(host.client, keys)
            back = _times_until(
                {
                    "poller": lambda: _poller_said(log, BACK),
                    "workers": lambda: _workers_beating_since(
                        host.client, keys, run.pid, back_wall
                    ),
                },
                "the poller and workers back",
            )
            outcome = _settle(host.client, keys, feeds, sink, run.pid, env, log)
            assert run.poll() is None, "monitor run ended:\n" + "\n".join(log.lines)
        finally:
            returncode = stop(run)
            log.close()
            host.stop()
    late = {n for n in feeds.expected() if feeds.phases[n] != "before"}
    print(f"\nRQ's announced reconnect waits per worker (s): {_retries(log.lines)}")
    for line in during_log:
        if "monitor.ingest" in line:
            print(f"  | {line}")
    _report(
        f"{OUTAGE:.0f} s outage",
        feeds,
        outcome,
        log,
        returncode,
        f"poller back {back['poller']:.1f}s and workers {back['workers']:.1f}s after Redis, "
        f"last alert delivered "
        f"{_last_alert_after(sink, late, back_at):.1f}s after Redis was back",
        sink,
        back_at,
    )


def test_monitor_run_rides_out_a_redis_restart_mid_flow(tmp_path: Path, keys: Keyspace) -> None:
    host = RedisHost(tmp_path / "redis-home")
    with feed_server() as server, http_sink() as sink:
        env = _setup(tmp_path, server, sink, host.url, keys.prefix)
        feeds = Feeds(server)
        run, log = _run_monitor(env)
        stop_flow = threading.Event()
        restarted_at: list[float] = []

        def flow() -> None:  # one item every FLOW_EVERY seconds, every fourth alerting
            while not stop_flow.wait(FLOW_EVERY):
                phase = "early" if not restarted_at else "late"
                feeds.publish(phase, alerting=len(feeds.published) % 4 == 0)
                if len(feeds.published) % DUE_EVERY == 0:  # polled now, not in a minute
                    with suppress(redis.RedisError):  # Redis may be restarting
                        make_all_due(host.client, keys)

        arrivals = threading.Thread(target=flow, daemon=True)
        returncode = -999
        try:
            wait_until(lambda: _everyone_running(run.pid), "monitor run's workers and poller")
            feeds.started = time.monotonic()
            arrivals.start()
            time.sleep(FLOW_SECONDS / 2)
            running = _job_running(host.client, keys)  # the restart lands inside a job
            host.stop()
            host.start()  # at once, from the AOF
            restarted_at.append(time.monotonic())
            time.sleep(FLOW_SECONDS / 2)
            stop_flow.set()
            arrivals.join(CEILING)
            make_all_due(host.client, keys)
            outcome = _settle(host.client, keys, feeds, sink, run.pid, env, log)
            assert run.poll() is None, "monitor run ended:\n" + "\n".join(log.lines)
        finally:
            stop_flow.set()
            returncode = stop(run)
            log.close()
            with suppress(Exception):
                host.stop()
    latency = {
        phase: max(
            (
                _first_received(sink, n) - feeds.started - feeds.published[n].at
                for n in feeds.expected()
                if feeds.phases[n] == phase and n in outcome.delivered
            ),
            default=0.0,
        )
        for phase in ("early", "late")
    }
    print(f"\nRQ's announced reconnect waits per worker (s): {_retries(log.lines)}")
    _report(
        "restart mid-flow",
        feeds,
        outcome,
        log,
        returncode,
        f"Redis restarted during job(s) {running}, longest publish-to-alert "
        f"{latency['early']:.1f}s before the restart and {latency['late']:.1f}s after it",
        sink,
        restarted_at[0],
    )


def test_a_redis_restart_between_send_and_record_sends_once(tmp_path: Path, keys: Keyspace) -> None:
    """Redis stops while the destination takes in the first alert (after the send, before
    the worker records it), and is back 2 s later from its AOF."""
    host = RedisHost(tmp_path / "redis-home")
    sink = Sink()
    back = threading.Event()

    def bring_back() -> None:
        host.start()
        back.set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with sink.lock:
                sink.received.append(Received("POST", self.path, "", body))
                first = len(sink.received) == 1
            if first:  # Redis goes while this answer is on its way
                host.stop()
                threading.Timer(2.0, bring_back).start()
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    with feed_server() as server, serving(Handler) as port:
        sink.port = port
        env = _setup(tmp_path, server, sink, host.url, keys.prefix)
        feeds = Feeds(server)
        feeds.publish("before", alerting=True)
        run, log = _run_monitor(env)
        returncode = -999
        try:
            wait_until(back.is_set, "the first alert, and Redis back")
            restarted = time.monotonic()
            feeds.round("after")
            make_all_due(host.client, keys)
            outcome = _settle(host.client, keys, feeds, sink, run.pid, env, log)
            # The lease of an unrecorded send lapses after LEASE_SECONDS: a second copy
            # would come then, so wait past it before counting.
            wait_until(
                lambda: (
                    time.monotonic() - restarted > LEASE_SECONDS + 15 and settled(host.client, keys)
                ),
                "the lease of the first send to lapse",
            )
            outcome.delivered = dict(_delivered(sink))
        finally:
            returncode = stop(run)
            log.close()
            host.stop()
    print(f"\nRQ's announced reconnect waits per worker (s): {_retries(log.lines)}")
    _report(
        "restart between send and record",
        feeds,
        outcome,
        log,
        returncode,
        "Redis down 2 s from the first alert's arrival at the destination",
        sink,
        restarted,
    )
