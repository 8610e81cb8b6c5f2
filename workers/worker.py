"""The RQ worker the monitor runs: jobs taken into a holding list, short heartbeats so a
dead worker's job is taken up again within seconds, a stop that never drops a job just
taken, and maintenance that also releases due retries and decides stories that came due."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis
from redis.client import Pipeline
from rq.exceptions import StopRequested
from rq.executions import Execution
from rq.registry import clean_registries
from rq.utils import now as utc_now
from rq.worker import WorkerStatus
from rq.worker_registration import clean_worker_registry

from monitor.connection import REDIS_DOWN
from monitor.heap import settle
from monitor.heartbeat import Heartbeat
from monitor.queue import DELIVER_TASK, MATCH_TASK, JobSerializer, rq, rq_queue
from monitor.rule_reloads import publish
from monitor.rules.matcher import Matcher
from workers.holding import HoldingQueue, put_back, release_hold, rescue_held
from workers.runtime import Runtime, refresh_rules, runtime_for
from workers.stored_job import StoredJob
from workers.upkeep import release_due, requeue_abandoned
from workers.warmup import WORTH_IT, warm_up

HEARTBEAT_TTL = 9
"""Seconds after a worker's last heartbeat when its job counts as abandoned."""

JOB_MONITORING_INTERVAL = 3
"""Seconds between a busy worker's heartbeats."""

MAINTENANCE_INTERVAL = 2
"""Seconds between maintenance runs: requeueing abandoned jobs, releasing retries that are
due, deciding due stories."""

BEAT_EVERY = 1.0
"""Seconds within which a worker's own heartbeat is not sent again (a job's still is)."""

PUBSUB_WAKE = 0.5
"""Seconds the thread listening for commands to the worker (RQ's pubsub) waits for one at
a time. RQ waits 60, and a stop waits for the thread: with redis-py 8 a worker that had
already unsubscribed sat out the full minute before it exited, one stop in a dozen."""

UPKEEP_LOCK_SECONDS = 30
"""How long a worker's hold on a queue's upkeep lasts. Upkeep takes milliseconds; a worker
that died holding it (Redis gone in the middle, the release lost) held it for RQ's fifteen
minutes, and with it the return of jobs taken but never started."""

WORKER_TTL = 17
"""Seconds a worker's registration lives; RQ also blocks on the queues this long less 15."""

RUN_HERE = frozenset({MATCH_TASK, DELIVER_TASK})
"""Tasks a worker runs in its own process, not a forked work-horse. A work-horse would only
relearn what the worker knows (word spellings) and throw it away, and forking a warm worker
costs more than most alerts' whole work (about 40 ms of CPU). What the fork guarded against
is still covered: the job's timeout stops a job that hangs (a destination that never
answers is cut off sooner by the sender's own timeouts), and a worker that crashes leaves
its job leased, to be taken up again when its heartbeat lapses."""

log = logging.getLogger(__name__)


def lock_upkeep(queue: rq.Queue) -> bool:
    """Take the queue's upkeep lock (RQ's key) for UPKEEP_LOCK_SECONDS; False when another
    worker holds it."""
    return bool(
        queue.connection.set(queue.registry_cleaning_key, 1, nx=True, ex=UPKEEP_LOCK_SECONDS)
    )


def worker_name(host: str, pid: int) -> str:
    """A worker's RQ name: from its host and pid, so that a supervisor that saw the process
    die can find its jobs."""
    return f"{host}.{pid}"


class MonitorWorker(rq.Worker):
    """An RQ worker tuned for prompt recovery that runs the monitor's jobs in its own
    process (RUN_HERE) and forks a work-horse for any other."""

    max_connection_wait_time = 5.0
    """Longest wait between tries to reach a Redis that went away (RQ's is a minute): the
    worker is back at work within seconds of Redis."""

    def __init__(
        self,
        queues: list[rq.Queue],
        connection: redis.Redis,
        live: Runtime | None,
        *,
        forks: bool = True,
    ) -> None:
        super().__init__(
            [
                HoldingQueue(
                    q.name, connection=connection, serializer=JobSerializer, job_class=StoredJob
                )
                for q in queues
            ],
            connection=connection,
            serializer=JobSerializer,
            queue_class=HoldingQueue,
            job_class=StoredJob,
            name=worker_name(socket.gethostname(), os.getpid()),
            worker_ttl=WORKER_TTL,
            maintenance_interval=MAINTENANCE_INTERVAL,
            job_monitoring_interval=JOB_MONITORING_INTERVAL,
        )
        self.live = live
        self.forks = forks
        """A work-horse for a job of any task not in RUN_HERE, or every job in this process
        (a replay: one command's own backlog). The monitor's own tasks always run here."""
        self.warmed: Matcher | None = None
        """The matcher last warmed up (workers.warmup), if any: a new one after a reload
        is warmed up too."""
        self.beats = Heartbeat(connection, live.keys, "worker") if live is not None else None
        self._dequeuing = False
        self._popped = False
        self._last_beat, self._last_timeout = -BEAT_EVERY, 0

    def _shutdown(self) -> None:
        # RQ raises StopRequested wherever an idle worker's signal lands, even between its
        # BLPOP and listing the job as started: the popped job was then in no queue and no
        # registry. An idle worker stops instead where it holds no job (see below).
        if self.get_state() == WorkerStatus.BUSY:
            super()._shutdown()  # type: ignore[no-untyped-call]
        else:
            self._stop_requested = True

    def subscribe(self) -> None:
        # RQ's own, but the listening thread looks up every PUBSUB_WAKE seconds.
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]
            sleep_time=PUBSUB_WAKE, daemon=True, exception_handler=self._pubsub_exception_handler
        )

    def dequeue_job_and_maintain_ttl(
        self, timeout: int | None, max_idle_time: int | None = None
    ) -> tuple[rq.job.Job, rq.Queue] | None:
        self._dequeuing, self._popped = True, False
        try:
            taken = super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
        finally:
            self._dequeuing = False
        if taken is not None and self._stop_requested:
            job, queue = taken
            put_back(queue, job.id)
            raise StopRequested()
        return taken

    def reorder_queues(self, reference_queue: rq.Queue) -> None:
        # RQ calls this just after popping a job: from here to its return, the job is ours.
        self._popped = True
        super().reorder_queues(reference_queue)

    def get_heartbeat_ttl(self, job: Any, working_time: float = 0.0) -> int:
        return HEARTBEAT_TTL

    def prepare_execution(self, job: rq.job.Job) -> Execution:
        # RQ lists a job as started here but marks it started only in the work-horse, and
        # its cleanup retries an abandoned job only when marked started: a worker killed
        # in between would lose the job without a trace. Marked first, it is retried.
        job.set_status(rq.job.JobStatus.STARTED)
        execution = super().prepare_execution(job)
        release_hold(rq_queue(self.connection, job.origin), job.id)  # the registry has it now
        return execution

    def heartbeat(self, timeout: int | None = None, pipeline: Pipeline | None = None) -> None:
        # RQ's dequeue loop beats before each BLPOP (at most 2 s apart): no job is held there.
        if self._dequeuing and not self._popped and self._stop_requested:
            raise StopRequested()
        if pipeline is None and self._beat_lately(timeout or self.worker_ttl + 60):
            return
        try:
            super().heartbeat(timeout, pipeline)
        except REDIS_DOWN as exc:
            if pipeline is not None:
                raise  # part of a write of RQ's own, which handles it
            log.debug("heartbeat missed: Redis does not answer (%s)", exc)
            return
        # RQ beats while idle and while a job runs; its work-horse beats too, but is not us.
        if self.beats is not None and os.getpid() == self.beats.pid:
            self.beats.beat()

    def _beat_lately(self, timeout: int) -> bool:
        """Whether a beat that asked for at least `timeout` was sent within BEAT_EVERY: RQ
        beats several times around every job, three round trips each, and a busy worker
        would spend more on beating than on small jobs."""
        now = time.monotonic()
        if now - self._last_beat < BEAT_EVERY and timeout <= self._last_timeout:
            return True
        self._last_beat, self._last_timeout = now, timeout
        return False

    def clean_registries(self) -> None:
        # RQ's own cleanup, with three changes. A job whose worker died has not failed: it
        # goes back to its queue at once, not after its retry interval through a scheduler
        # that a killed worker's lock holds up for 61 s. A held job is put back rather than
        # failed after a minute. Due retries are released here, by whichever worker holds a
        # queue's maintenance lock, so no worker's death delays them.
        for queue in self.queues:
            if lock_upkeep(queue):  # one worker cleans a queue at a time
                try:
                    requeue_abandoned(queue)
                    rescue_held(queue)
                    release_due(queue)
                    clean_registries(queue, self._exc_handlers)
                    clean_worker_registry(queue)
                finally:
                    queue.release_maintenance_lock()  # type: ignore[no-untyped-call]
        self.last_cleaned_at = utc_now()  # type: ignore[assignment]

    def run_maintenance_tasks(self) -> None:
        # RQ runs upkeep outside its reconnect handling: a Redis that went away would end
        # the worker. Upkeep waits for the next round instead; the dequeue reconnects.
        try:
            super().run_maintenance_tasks()  # type: ignore[no-untyped-call]
            if self.live is not None:
                refresh_rules(self.connection, self.live)
                if self.warmed is not None and self.live.rules.matcher is not self.warmed:
                    self.warm_up(self.live.rules.matcher)
                self.live.pipeline.flush_due(self.live.clock.now())
        except REDIS_DOWN as exc:
            log.warning("upkeep skipped: Redis does not answer (%s)", exc)

    def maintain_heartbeats(self, job: rq.job.Job, execution: Execution) -> None:
        # A missed beat while Redis is away must not end the worker and its running job.
        try:
            super().maintain_heartbeats(job, execution)
        except REDIS_DOWN as exc:
            log.warning("job %s: heartbeat missed, Redis does not answer (%s)", job.id, exc)

    def execute_job(self, job: rq.job.Job, queue: rq.Queue) -> None:
        # RQ's loop ends the worker on any error here. With Redis away, a job's start or
        # end could not be recorded: a job not yet started stays held (and is put back),
        # one that ran stays listed as started (and is taken up again once its heartbeat
        # has run out). Either way the worker lives to reconnect.
        try:
            if self.forks and job.func_name not in RUN_HERE:
                super().execute_job(job, queue)
            else:
                self._execute_here(job, queue)
        except REDIS_DOWN as exc:
            log.warning("job %s: not recorded, Redis does not answer (%s)", job.id, exc)

    def warm_up(self, matcher: Matcher) -> None:
        warm_up(matcher)
        self.warmed = matcher

    def _execute_here(self, job: rq.job.Job, queue: rq.Queue) -> None:
        # As RQ's SimpleWorker, with the heartbeats a forking worker sends while its horse
        # works: a worker killed mid-job has its job taken up again as promptly.
        execution = self.prepare_execution(job)
        with self._beating(job, execution):
            self.perform_job(job, queue, execution)
        self.set_state(WorkerStatus.IDLE)

    @contextmanager
    def _beating(self, job: rq.job.Job, execution: Execution) -> Iterator[None]:
        done = threading.Event()

        def beat() -> None:
            while not done.wait(JOB_MONITORING_INTERVAL):
                try:
                    self.maintain_heartbeats(job, execution)
                except Exception:  # a beat missed must not end the beating
                    log.exception("job %s: heartbeat failed", job.id)

        beater = threading.Thread(target=beat, name=f"heartbeat {job.id}", daemon=True)
        beater.start()
        try:
            yield
        finally:
            done.set()
            beater.join()


def run_worker(
    client: redis.Redis,
    context: dict[str, Any],
    *,
    burst: bool,
    live: bool,
    final_clock: float | None = None,
    forks: bool = True,
) -> Runtime:
    """Work the queues of `context`; in burst mode, also send stories still in their wait.
    Without `forks`, every job runs in this process (see MonitorWorker.forks)."""
    runtime = runtime_for(client, context)
    if live:  # the rules page shows the rules the monitor's own workers run
        publish(client, runtime.keys, runtime.rules)
    queues = [
        rq_queue(client, runtime.keys.match_queue),
        rq_queue(client, runtime.keys.deliver_queue),
    ]
    worker = MonitorWorker(queues, client, runtime if live else None, forks=forks)
    if forks and (not burst or queues[0].count >= WORTH_IT):  # a replay learns as it goes
        worker.warm_up(runtime.rules.matcher)
    else:  # a tenth of a replay's time went to collecting what lives as long as it
        settle()
    worker.work(burst=burst, logging_level="WARNING")
    if burst:
        now = final_clock if final_clock is not None else runtime.clock.now()
        if runtime.pipeline.flush_due(now, waited=True):
            worker.work(burst=True, logging_level="WARNING")
    return runtime
