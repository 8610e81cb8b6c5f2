"""Real `monitor work` processes for a benchmark: started together, ready once each has
warmed up and registered with the queues, stopped as an operator stops them (SIGTERM)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import redis

from monitor.queue import rq, rq_queue

READY_CEILING = 300.0
"""Seconds a worker may take to start before the benchmark gives up on it."""

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass
class WorkerProcesses:
    processes: list[subprocess.Popen[bytes]]
    started: float
    ready_after: float = 0.0

    def cpu_seconds(self) -> float:
        """User and system time of the workers and of their ended work-horses (Linux)."""
        return sum(_cpu_of(process.pid) for process in self.processes)


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return (utime + stime + cutime + cstime) / CLOCK_TICKS


@contextmanager
def worker_processes(
    client: redis.Redis, match_queue: str, count: int, env: Mapping[str, str], cwd: Path
) -> Iterator[WorkerProcesses]:
    """`count` workers, yielded once all are ready; stopped (and waited for) at the end."""
    began = time.perf_counter()
    command = [sys.executable, "-m", "monitor", "work"]
    with ExitStack() as stack:
        logs = [stack.enter_context(tempfile.TemporaryFile()) for _ in range(count)]
        processes = [
            subprocess.Popen(command, cwd=cwd, env=dict(env), stdout=subprocess.DEVNULL, stderr=log)
            for log in logs
        ]
        stack.callback(_stop, processes)
        workers = WorkerProcesses(processes, began)
        try:
            _wait_ready(client, rq_queue(client, match_queue), workers, count)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}; its log ends:\n{_tail(logs)}") from exc
        workers.ready_after = time.perf_counter() - began
        yield workers


def _tail(logs: Sequence[IO[bytes]]) -> str:
    """The last lines the workers wrote to stderr, where the reason for a failure is."""
    text = b""
    for log in logs:
        log.seek(0)
        text += log.read()
    return "\n".join(text.decode(errors="replace").splitlines()[-20:])


def _wait_ready(client: redis.Redis, queue: rq.Queue, workers: WorkerProcesses, count: int) -> None:
    deadline = time.monotonic() + READY_CEILING
    while rq.Worker.count(connection=client, queue=queue) < count:
        ended = [p for p in workers.processes if p.poll() is not None]
        if ended:
            raise RuntimeError(f"a worker exited with {ended[0].returncode} before it was ready")
        if time.monotonic() > deadline:
            raise RuntimeError(f"workers not ready after {READY_CEILING:.0f} s")
        time.sleep(0.02)


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=READY_CEILING)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
