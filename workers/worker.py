"""The RQ worker the monitor runs: short heartbeats so a dead worker's job is taken up
again within seconds, and maintenance that also decides stories that came due."""

from __future__ import annotations

import logging
import os
from typing import Any

import redis
from redis.client import Pipeline
from rq.executions import Execution

from monitor.heartbeat import Heartbeat
from monitor.queue import JobSerializer, rq, rq_queue
from workers.runtime import Runtime, runtime_for

HEARTBEAT_TTL = 9
"""Seconds after a worker's last heartbeat when its job counts as abandoned."""

JOB_MONITORING_INTERVAL = 3
"""Seconds between a busy worker's heartbeats."""

MAINTENANCE_INTERVAL = 2
"""Seconds between maintenance runs: requeueing abandoned jobs, deciding due stories."""

WORKER_TTL = 17
"""Seconds a worker's registration lives; RQ also blocks on the queues this long less 15."""

log = logging.getLogger(__name__)


class MonitorWorker(rq.Worker):
    """An RQ worker (one forked work-horse per job) tuned for prompt recovery."""

    def __init__(
        self, queues: list[rq.Queue], connection: redis.Redis, live: Runtime | None
    ) -> None:
        super().__init__(
            queues,
            connection=connection,
            serializer=JobSerializer,
            worker_ttl=WORKER_TTL,
            maintenance_interval=MAINTENANCE_INTERVAL,
            job_monitoring_interval=JOB_MONITORING_INTERVAL,
        )
        self.live = live
        self.beats = Heartbeat(connection, live.keys, "worker") if live is not None else None

    def get_heartbeat_ttl(self, job: Any, working_time: float = 0.0) -> int:
        return HEARTBEAT_TTL

    def prepare_execution(self, job: rq.job.Job) -> Execution:
        # RQ lists a job as started here but marks it started only in the work-horse, and
        # its cleanup retries an abandoned job only when marked started: a worker killed
        # in between would lose the job without a trace. Marked first, it is retried.
        job.set_status(rq.job.JobStatus.STARTED)
        return super().prepare_execution(job)

    def heartbeat(self, timeout: int | None = None, pipeline: Pipeline | None = None) -> None:
        super().heartbeat(timeout, pipeline)
        # RQ beats while idle and while a job runs; its work-horse beats too, but is not us.
        if self.beats is not None and os.getpid() == self.beats.pid:
            self.beats.beat()

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()  # type: ignore[no-untyped-call]
        if self.live is not None:
            self.live.rules.refresh()
            self.live.pipeline.flush_due(self.live.clock.now())


def run_worker(
    client: redis.Redis,
    context: dict[str, Any],
    *,
    burst: bool,
    live: bool,
    final_clock: float | None = None,
) -> Runtime:
    """Work the queues of `context`; in burst mode, also send stories still in their wait."""
    runtime = runtime_for(client, context)
    queues = [
        rq_queue(client, runtime.keys.match_queue),
        rq_queue(client, runtime.keys.deliver_queue),
    ]
    worker = MonitorWorker(queues, client, runtime if live else None)
    worker.work(burst=burst, with_scheduler=not burst, logging_level="WARNING")
    if burst:
        now = final_clock if final_clock is not None else runtime.clock.now()
        if runtime.pipeline.flush_due(now, waited=True):
            worker.work(burst=True, logging_level="WARNING")
    return runtime
