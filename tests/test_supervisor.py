"""The supervisor on fake processes and a fake clock: restarts with backoff, logs why,
stops and kills within its grace, and sweeps what dead children left."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
from collections.abc import Collection, Sequence
from pathlib import Path

import pytest

from monitor.clock import FixedClock
from monitor.supervisor import (
    MAX_BACKOFF,
    STABLE_AFTER,
    STOP_GRACE,
    Supervisor,
    backoff,
    children_of,
    exit_reason,
    supervise,
)
from tests.processes import CEILING, ROOT


class FakeProcess:
    """A child that runs until told to end (or ignores SIGTERM when `stubborn`)."""

    def __init__(self, pid: int, stubborn: bool = False) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self.stubborn = stubborn
        self.signals: list[int] = []
        self.looks_left: int | None = None

    def send_signal(self, sig: int) -> None:
        self.signals.append(sig)
        if not self.stubborn:
            self.returncode = -sig

    def kill(self) -> None:
        self.looks_left = 1  # still there at the next look, as a real process is a moment

    def poll(self) -> int | None:
        if self.looks_left == 0:
            self.returncode = -signal.SIGKILL
        elif self.looks_left is not None:
            self.looks_left -= 1
        return self.returncode


class Spawner:
    def __init__(self, stubborn: bool = False) -> None:
        self.started: list[tuple[tuple[str, ...], FakeProcess]] = []
        self.stubborn = stubborn

    def __call__(self, command: Sequence[str]) -> FakeProcess:
        process = FakeProcess(1000 + len(self.started), self.stubborn)
        self.started.append((tuple(command), process))
        return process


def _supervisor(
    spawn: Spawner, clock: FixedClock, swept: list[set[int]] | None = None
) -> Supervisor:
    def sweep(pids: Collection[int]) -> None:
        if swept is not None:
            swept.append(set(pids))

    commands = {"worker 1": ["work"], "poller 1": ["poll"]}
    return Supervisor(commands, spawn, clock, sweep)


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [(1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (7, MAX_BACKOFF), (50, MAX_BACKOFF)],
)
def test_backoff_doubles_up_to_its_cap(failures: int, seconds: float) -> None:
    assert backoff(failures) == seconds


@pytest.mark.parametrize(
    ("returncode", "reason"),
    [
        (0, "exited with code 0"),
        (1, "exited with code 1"),
        (-9, "killed by SIGKILL"),
        (-15, "killed by SIGTERM"),
        (-200, "killed by signal 200"),
    ],
)
def test_exit_reason_names_the_code_or_signal(returncode: int, reason: str) -> None:
    assert exit_reason(returncode) == reason


def test_a_dead_child_is_restarted_after_its_backoff_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    spawn, clock = Spawner(), FixedClock(1000.0)
    supervisor = _supervisor(spawn, clock)
    supervisor.start()
    worker = spawn.started[0][1]
    worker.returncode = -signal.SIGKILL
    with caplog.at_level(logging.INFO, logger="monitor.supervisor"):
        supervisor.check()
        assert len(spawn.started) == 2  # not yet: it waits its backoff
        clock.advance(backoff(1) - 0.01)
        supervisor.check()
        assert len(spawn.started) == 2
        clock.advance(0.01)
        supervisor.check()
    assert [command for command, _ in spawn.started] == [("work",), ("poll",), ("work",)]
    assert "worker 1 (pid 1000) killed by SIGKILL; restarting in 1 s" in caplog.text
    assert "worker 1 restarted (pid 1002)" in caplog.text


def test_quick_deaths_back_off_longer_and_a_stable_run_resets_it() -> None:
    spawn, clock = Spawner(), FixedClock(0.0)
    supervisor = _supervisor(spawn, clock)
    supervisor.start()
    waits = []
    for ran in (1.0, 1.0, 1.0, STABLE_AFTER + 1):
        clock.advance(ran)
        spawn.started[-2 if len(spawn.started) == 2 else -1][1].returncode = 1
        supervisor.check()
        restart_at = supervisor.children[0].restart_at
        assert restart_at is not None
        waits.append(restart_at - clock.now())
        clock.at = restart_at
        supervisor.check()
    assert waits == [1.0, 2.0, 4.0, 1.0]


def test_a_stop_signals_every_child_and_restarts_none() -> None:
    spawn, clock = Spawner(), FixedClock(0.0)
    supervisor = _supervisor(spawn, clock)
    requests = iter([False, False, True])
    supervise(supervisor, lambda: next(requests), clock.advance)
    assert [process.signals for _, process in spawn.started] == [[signal.SIGTERM]] * 2
    assert supervisor.running() == []
    assert len(spawn.started) == 2


def test_a_child_that_does_not_stop_within_the_grace_is_killed_and_swept() -> None:
    spawn, clock, swept = Spawner(stubborn=True), FixedClock(0.0), []
    supervisor = _supervisor(spawn, clock, swept)
    supervise(supervisor, lambda: True, clock.advance)
    assert clock.now() >= STOP_GRACE
    assert [process.returncode for _, process in spawn.started] == [-signal.SIGKILL] * 2
    assert swept  # what the killed children left is ended too


def test_leftovers_are_swept_once_the_killed_children_are_gone() -> None:
    # A killed process dies a moment later; only then are its own children handed to us.
    spawn, clock = Spawner(stubborn=True), FixedClock(0.0)
    running_at_sweep: list[int] = []
    supervisor = _supervisor(spawn, clock)
    supervisor.sweep = lambda _pids: running_at_sweep.append(len(supervisor.running()))
    supervise(supervisor, lambda: True, clock.advance)
    assert running_at_sweep == [0]


def test_a_dead_childs_leftovers_are_swept_sparing_the_living() -> None:
    spawn, clock, swept = Spawner(), FixedClock(0.0), []
    supervisor = _supervisor(spawn, clock, swept)
    supervisor.start()
    spawn.started[0][1].returncode = -signal.SIGKILL
    supervisor.check()
    assert swept == [{1001}]  # the poller is ours; anything else of ours is a leftover


def test_children_of_reads_parent_ids_even_with_parentheses_in_names(tmp_path: Path) -> None:
    for pid, comm, ppid in [(10, "python", 1), (11, "a) b (c", 10), (12, "sh", 10), (13, "x", 2)]:
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(f"{pid} ({comm}) S {ppid} {pid} 0\n")
    assert sorted(children_of(10, tmp_path)) == [11, 12]


ADOPTER = """
import os, subprocess, sys
from monitor.supervisor import Orphans
# A child that forks a grandchild in a session of its own (as an RQ work-horse is) and dies.
FORKER = "import os, time\\nif os.fork() == 0:\\n    os.setsid(); time.sleep(600)\\n"
spared = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
orphans = Orphans(spared={spared.pid})
child = subprocess.Popen([sys.executable, "-c", FORKER])
child.wait()
swept = orphans.sweep(ours=())
print(orphans.adopting, len(swept), all(not os.path.exists(f"/proc/{pid}") for pid in swept))
print(spared.poll() is None)
spared.kill()
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="adoption needs Linux")
def test_orphans_left_by_a_dead_child_are_adopted_and_ended_sparing_the_spared() -> None:
    done = subprocess.run(
        [sys.executable, "-c", ADOPTER], capture_output=True, text=True, timeout=CEILING, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "1", "True", "True"]


def test_a_dead_childs_work_is_given_back_after_its_leftovers_are_swept() -> None:
    spawn, clock = Spawner(), FixedClock(1000.0)
    events: list[object] = []
    supervisor = Supervisor(
        {"worker 1": ["work"], "poller 1": ["poll"]},
        spawn,
        clock,
        lambda pids: events.append(("sweep", set(pids))),
        lambda name, pid: events.append(("give back", name, pid)),
    )
    supervisor.start()
    spawn.started[0][1].returncode = -signal.SIGKILL
    supervisor.check()
    # Its work-horse is ended first, so the job given back is no one's.
    assert events == [("sweep", {1001}), ("give back", "worker 1", 1000)]
