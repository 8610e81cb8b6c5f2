"""The supervisor behind `monitor run`: starts its children, restarts one that dies (with
backoff), stops them all on request, and leaves no process behind (RQ work-horses call
setsid, so a killed worker's horse escapes its process group; we adopt and end it)."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from monitor.clock import Clock

FIRST_BACKOFF = 1.0
"""Seconds before restarting a child that died after running well."""

MAX_BACKOFF = 60.0
"""Longest wait before a restart: a child that keeps dying is tried once a minute."""

STABLE_AFTER = 60.0
"""Seconds a child must run for its next death to count as a first one again."""

STOP_GRACE = 30.0
"""Seconds children get to finish their job after a stop, before they are killed."""

TICK = 0.2
"""Seconds between looks at the children."""

PR_SET_CHILD_SUBREAPER = 36
"""prctl option (Linux): orphans of our descendants become our children, not init's."""

log = logging.getLogger(__name__)


class Process(Protocol):
    """What the supervisor needs of a child process (subprocess.Popen has it)."""

    @property
    def pid(self) -> int: ...

    def poll(self) -> int | None: ...

    def send_signal(self, sig: int) -> None: ...

    def kill(self) -> None: ...


Spawn = Callable[[Sequence[str]], Process]


def backoff(failures: int) -> float:
    """Seconds before restarting a child that died `failures` times in a row, quickly."""
    return min(MAX_BACKOFF, FIRST_BACKOFF * 2.0 ** max(0, failures - 1))


def exit_reason(returncode: int) -> str:
    """`exited with code 1` or `killed by SIGKILL`."""
    if returncode >= 0:
        return f"exited with code {returncode}"
    try:
        return f"killed by {signal.Signals(-returncode).name}"
    except ValueError:
        return f"killed by signal {-returncode}"


@dataclass
class Child:
    """One supervised command and the process running it, if any."""

    name: str
    command: tuple[str, ...]
    process: Process | None = None
    started: float = 0.0
    failures: int = 0
    restart_at: float | None = None


class Supervisor:
    """Keeps one process running per named command until stopped."""

    def __init__(
        self,
        commands: Mapping[str, Sequence[str]],
        spawn: Spawn,
        clock: Clock,
        sweep: Callable[[Collection[int]], object] = lambda _pids: None,
        on_death: Callable[[str, int], object] = lambda _name, _pid: None,
    ) -> None:
        self.children = [Child(name, tuple(command)) for name, command in commands.items()]
        self.spawn = spawn
        self.clock = clock
        self.sweep = sweep
        self.on_death = on_death
        self.stopping = False

    def start(self) -> None:
        for child in self.children:
            self._launch(child)

    def check(self) -> None:
        """Notice children that died, and restart those whose backoff is over."""
        for child in self.children:
            returncode = child.process.poll() if child.process is not None else None
            if returncode is not None:
                self._died(child, returncode)
            if child.restart_at is not None and self.clock.now() >= child.restart_at:
                self._launch(child)
                log.info("%s restarted (pid %d)", child.name, self._pid(child))

    def stop(self) -> None:
        """Ask every running child to finish; no child is restarted after this."""
        self.stopping = True
        for child in self.running():
            assert child.process is not None
            with contextlib.suppress(ProcessLookupError):
                child.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """End the children still running after the grace."""
        for child in self.running():
            assert child.process is not None
            log.warning("%s (pid %d) still running; killing it", child.name, child.process.pid)
            with contextlib.suppress(ProcessLookupError):
                child.process.kill()

    def running(self) -> list[Child]:
        return [c for c in self.children if c.process is not None and c.process.poll() is None]

    def pids(self) -> set[int]:
        """Process ids of the children as last started."""
        return {child.process.pid for child in self.children if child.process is not None}

    def _launch(self, child: Child) -> None:
        child.process = self.spawn(child.command)
        child.started = self.clock.now()
        child.restart_at = None

    def _died(self, child: Child, returncode: int) -> None:
        pid = self._pid(child)
        child.process = None
        self.sweep(self.pids())  # what it left (a work-horse, RQ's scheduler) is ours now
        self.on_death(child.name, pid)  # its work is no one's now: it can be given back
        if self.stopping:
            return
        quick = self.clock.now() - child.started < STABLE_AFTER
        child.failures = child.failures + 1 if quick else 1
        delay = backoff(child.failures)
        child.restart_at = self.clock.now() + delay
        log.warning(
            "%s (pid %d) %s; restarting in %.0f s", child.name, pid, exit_reason(returncode), delay
        )

    @staticmethod
    def _pid(child: Child) -> int:
        return child.process.pid if child.process is not None else 0


def supervise(
    supervisor: Supervisor, stop_requested: Callable[[], bool], sleep: Callable[[float], None]
) -> None:
    """Run the children until a stop is requested, then stop them within STOP_GRACE."""
    supervisor.start()
    while not stop_requested():
        supervisor.check()
        sleep(TICK)
    supervisor.stop()
    deadline = supervisor.clock.now() + STOP_GRACE
    while supervisor.running() and supervisor.clock.now() < deadline:
        sleep(TICK)
    supervisor.kill()
    while supervisor.running():  # a killed child is gone in an instant; reap it
        sleep(TICK)
    # Only once the children are gone is what they left (work-horses, RQ's scheduler) ours.
    supervisor.sweep(supervisor.pids())


class Orphans:
    """Processes our children left behind (a killed worker's work-horse), adopted as a child
    subreaper on Linux so that they can be ended; elsewhere there is nothing to adopt."""

    def __init__(self, spared: Collection[int] = ()) -> None:
        self.spared = set(spared)
        self.adopting = _become_subreaper()

    def sweep(self, ours: Collection[int]) -> list[int]:
        """Kill and reap our children that are not `ours` nor spared; their ids."""
        if not self.adopting:
            return []
        found = [pid for pid in children_of(os.getpid()) if pid not in self.spared | set(ours)]
        for pid in found:
            _kill_and_reap(pid)
        return found


def children_of(parent: int, proc: Path = Path("/proc")) -> list[int]:
    """The ids of `parent`'s child processes, read from /proc."""
    found = []
    for stat in proc.glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # The command name may hold spaces and parentheses: fields start after the last ')'.
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == parent:
                found.append(int(stat.parent.name))
    return found


def _kill_and_reap(pid: int) -> None:
    log.info("ending pid %d, left behind by a child", pid)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _become_subreaper() -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False
