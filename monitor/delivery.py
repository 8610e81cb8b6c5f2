"""Delivery of one story update to one channel: at least once, never twice.

A lease in Redis marks the (story update, channel) pair while it is being
sent and a record marks it sent, so a retried or duplicated job does not send
again; a job that finds the lease held comes back when it lapses, so a send cut
short by a dead worker is made again. Retryable failures are retried with
backoff until a deadline, then dead-lettered where `monitor alerts` and the
dashboard show them; every attempt is recorded with the destination's answer. A
channel that did not answer at all holds back its other deliveries for a while.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import click
import redis
from pydantic import BaseModel, ConfigDict

from monitor.channel_pause import ChannelPauses, come_back_in
from monitor.channels import CONSOLE, Channel
from monitor.connection import until_redis_answers
from monitor.counters import DELIVERIES, count
from monitor.history import DONE, History
from monitor.keyspace import Keyspace, as_text
from monitor.notification import Notification
from monitor.sender import Outcome, kind_of, mask, send
from monitor.template import Rendered, render

SEND_TIMEOUT = 15.0
"""Seconds one attempt may take."""

LEASE_SECONDS = int(4 * SEND_TIMEOUT)
"""How long a delivery in progress holds its pair: well past any attempt's end, so a lease
still held is a send still running, or one cut short by a dead worker, lapsing."""

SENDING = "sending"
"""The lease's mark, followed by its holder."""


# Frees the lease only while it is still this delivery's: one that outlasted its lease must
# not free the lease of the delivery that took over.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""

RECORD_PATIENCE = 120.0
"""Seconds a send's outcome waits for Redis to answer again before its record is given up:
past a Redis restart or a short outage."""

DEADLINE_SECONDS = 6 * 3600
"""How long retryable failures are retried before the delivery is dead-lettered."""

BACKOFF_BASE = 5.0
"""First retry delay in seconds; it doubles with each attempt, with jitter."""

BACKOFF_MAX = 600.0
"""Longest delay between two attempts."""


class DeliveryJob(BaseModel):
    """What a delivery job carries (as JSON): no URL, only the channel's name."""

    model_config = ConfigDict(extra="ignore")

    prefix: str
    channel: str
    notification: Notification
    first_attempt: float
    attempt: int = 1


class Result(StrEnum):
    SENT = "sent"
    ALREADY = "already"
    BUSY = "busy"
    """Another delivery holds the pair's lease: come back when it lapses, same attempt."""
    PAUSED = "paused"
    """The channel did not answer lately: come back after its pause, same attempt."""
    RETRY = "retry"
    DEAD = "dead"


@dataclass(frozen=True)
class DeliveryOutcome:
    result: Result
    detail: str = ""
    retry_in: float = 0.0


Sender = Callable[[str, Rendered, float], Outcome]


def backoff(attempt: int, rng: random.Random | None = None) -> float:
    """Delay before attempt `attempt + 1`: exponential, capped, with full jitter on half."""
    ceiling = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (attempt - 1))
    return float(ceiling / 2 + (rng or random).uniform(0, ceiling / 2))


def print_to_console(url: str, rendered: Rendered, timeout: float) -> Outcome:
    """The console channel: the plain rendering on standard output."""
    click.echo(f"{rendered.title}\n{rendered.body}\n")
    return Outcome(ok=True, retryable=False, detail="printed")


def record_only(url: str, rendered: Rendered, timeout: float) -> Outcome:
    """The console channel of a replay, which prints the record itself."""
    return Outcome(ok=True, retryable=False, detail="recorded")


class Deliverer:
    """Sends delivery jobs, keeping the records that make them idempotent."""

    def __init__(
        self,
        client: redis.Redis,
        keys: Keyspace,
        history: History,
        channels: Mapping[str, Channel],
        sender: Sender = send,
        *,
        console: bool = True,
    ) -> None:
        self.redis = client
        self.keys = keys
        self.history = history
        self.channels = channels
        self.sender = sender
        self.console: Sender = print_to_console if console else record_only
        self.pauses = ChannelPauses(client, keys)

    def deliver(self, job: DeliveryJob, now: float) -> DeliveryOutcome:
        note = job.notification
        key = self.keys.delivery(note.story, note.update, job.channel)
        lease = f"{SENDING} {uuid.uuid4().hex}"
        if not self.redis.set(key, lease, nx=True, ex=LEASE_SECONDS):
            taken = self._taken(key)
            count(self.redis, self.keys, DELIVERIES, job.channel, taken.result)
            return taken
        channel = self.channels.get(job.channel)
        if channel is None:
            return self._dead(job, key, now, f"channel {job.channel!r} is no longer configured")
        paused = self.pauses.left(job.channel)
        if paused:
            return self._held_back(job, key, lease, now, paused)
        plain = render(note, "text")  # what the record keeps, and what plain channels get
        outcome = self._send(note, channel, plain)
        attempt = self._attempt(job, channel, outcome)
        if outcome.ok:
            return self._sent(job, key, attempt, now, plain)
        if outcome.retryable and outcome.status is None:
            self.pauses.pause(job.channel, outcome.detail)
        if outcome.retryable and now - job.first_attempt < DEADLINE_SECONDS:
            with self.redis.pipeline() as pipe:
                self.history.record_delivery(attempt, now, pipe)
                pipe.eval(_RELEASE, 1, key, lease)
                count(pipe, self.keys, DELIVERIES, job.channel, Result.RETRY)
                pipe.execute()
            return DeliveryOutcome(Result.RETRY, outcome.detail, backoff(job.attempt))
        return self._dead(job, key, now, outcome.detail, attempt)

    def _held_back(
        self, job: DeliveryJob, key: str, lease: str, now: float, paused: float
    ) -> DeliveryOutcome:
        """No attempt while the channel's pause lasts, unless the deadline has passed."""
        reason = self.pauses.reason(job.channel)
        if now - job.first_attempt >= DEADLINE_SECONDS:
            return self._dead(job, key, now, f"no answer until the deadline: {reason}")
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.eval(_RELEASE, 1, key, lease)
            count(pipe, self.keys, DELIVERIES, job.channel, Result.PAUSED)
            pipe.execute()
        detail = f"channel {job.channel!r} held back: {reason}"
        return DeliveryOutcome(Result.PAUSED, detail, come_back_in(paused))

    def _taken(self, key: str) -> DeliveryOutcome:
        """Done already, or leased: then the job comes back once the lease has lapsed."""
        mark = as_text(self.redis.get(key) or b"")
        if mark in DONE:
            return DeliveryOutcome(Result.ALREADY, mark)
        left = int(self.redis.pttl(key))
        wait = left / 1000 if left > 0 else 0.0
        return DeliveryOutcome(Result.BUSY, "another delivery holds the lease", wait + 1.0)

    def _send(self, note: Notification, channel: Channel, plain: Rendered) -> Outcome:
        if channel.url == CONSOLE:
            return self.console(channel.url, plain, SEND_TIMEOUT)
        kind = kind_of(channel.url)
        return self.sender(
            channel.url, plain if kind == "text" else render(note, kind), SEND_TIMEOUT
        )

    def _sent(
        self, job: DeliveryJob, key: str, attempt: dict[str, Any], now: float, plain: Rendered
    ) -> DeliveryOutcome:
        summary = job.notification.summary(job.channel, plain.title, plain.body)

        # One transaction: a pair is marked sent exactly when `monitor alerts` shows it so.
        def record() -> None:
            with self.redis.pipeline() as pipe:
                pipe.set(key, "sent", ex=self.history.retention)
                self.pauses.lift(job.channel, pipe)
                self.history.record_delivery(attempt, now, pipe)
                self.history.record_alert(summary, now, pipe)
                count(pipe, self.keys, DELIVERIES, job.channel, Result.SENT)
                pipe.execute()

        # The message is out: losing its record to a Redis restart would send it again.
        until_redis_answers(record, RECORD_PATIENCE)
        return DeliveryOutcome(Result.SENT)

    def _dead(
        self,
        job: DeliveryJob,
        key: str,
        now: float,
        detail: str,
        attempt: dict[str, Any] | None = None,
    ) -> DeliveryOutcome:
        letter = self._dead_letter(job, detail, attempt)

        def record() -> None:
            with self.redis.pipeline() as pipe:
                pipe.set(key, "dead", ex=self.history.retention)
                if attempt is not None:
                    self.history.record_delivery(attempt, now, pipe)
                self.history.record_dead_letter(letter, now, pipe)
                count(pipe, self.keys, DELIVERIES, job.channel, Result.DEAD)
                pipe.execute()

        until_redis_answers(record, RECORD_PATIENCE)
        return DeliveryOutcome(Result.DEAD, detail)

    def _dead_letter(
        self, job: DeliveryJob, detail: str, attempt: dict[str, Any] | None
    ) -> dict[str, Any]:
        return {
            **_pair_fields(job),
            "attempts": job.attempt,
            "error": detail,
            "status": attempt["status"] if attempt else None,
            "answer": attempt["answer"] if attempt else "",
            # Kept so that the delivery can be made again by hand (monitor.redelivery).
            "notification": job.notification.model_dump(mode="json"),
        }

    def _attempt(self, job: DeliveryJob, channel: Channel, outcome: Outcome) -> dict[str, Any]:
        """The record of one attempt: masked destination, outcome, status and answer."""
        return {
            **_pair_fields(job),
            "destination": CONSOLE if channel.url == CONSOLE else mask(channel.url),
            "attempt": job.attempt,
            "ok": outcome.ok,
            "retryable": outcome.retryable,
            "status": outcome.status,
            "answer": outcome.answer,
            "detail": outcome.detail,
        }


def _pair_fields(job: DeliveryJob) -> dict[str, Any]:
    """What names a delivery: the story update and the channel."""
    note = job.notification
    return {"rule": note.rule, "story": note.story, "update": note.update, "channel": job.channel}
