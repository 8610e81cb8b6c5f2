"""What counts as a problem for `monitor status --check` and container health checks."""

from __future__ import annotations

from monitor.health import MAX_WAIT, Backlog, host_problems, monitor_problems
from monitor.heartbeat import BEAT_TTL, Beat

NOW = 1_000_000.0


def beat(role: str, host: str = "h1", age: float = 1.0, pid: int = 10) -> Beat:
    return Beat(f"{role}:{host}:{pid}", role, pid, host, NOW - 3600, NOW - age)


EMPTY = [Backlog("match", None), Backlog("deliver", 2.0)]


def test_a_live_worker_and_poller_with_queues_moving_is_healthy() -> None:
    assert monitor_problems([beat("worker"), beat("poller")], EMPTY, NOW, True) == []


def test_no_live_worker_is_a_problem() -> None:
    gone = beat("worker", age=BEAT_TTL + 1)
    assert monitor_problems([gone], EMPTY, NOW, False) == [
        f"no worker alive (none has beaten in the last {BEAT_TTL:.0f} s)"
    ]


def test_pollers_are_expected_only_where_there_are_feeds() -> None:
    assert monitor_problems([beat("worker")], EMPTY, NOW, False) == []
    assert monitor_problems([beat("worker")], EMPTY, NOW, True) == [
        f"no poller alive (none has beaten in the last {BEAT_TTL:.0f} s)"
    ]


def test_a_queue_not_worked_off_is_a_problem() -> None:
    backlog = [Backlog("match", MAX_WAIT + 12.4), Backlog("deliver", MAX_WAIT - 1)]
    assert monitor_problems([beat("worker")], backlog, NOW, False) == [
        f"match queue: oldest job waiting {MAX_WAIT + 12:.0f} s "
        f"(more than {MAX_WAIT:.0f} s: workers are not keeping up)"
    ]


def test_a_host_is_healthy_while_one_of_its_processes_lives() -> None:
    died = beat("worker", age=BEAT_TTL + 100, pid=11)  # replaced by the supervisor
    assert host_problems([died, beat("worker", pid=12), beat("poller", "h2")], NOW, "h1") == []


def test_a_host_without_a_live_process_is_unhealthy() -> None:
    others = [beat("worker", "h2")]
    assert host_problems(others, NOW, "h1") == [
        "no worker or poller on h1 has beaten in the last 60 minutes"
    ]
    gone = [beat("worker", age=95.2), *others]
    assert host_problems(gone, NOW, "h1") == [
        "no worker or poller on h1 alive (last beat 95 s ago)"
    ]
