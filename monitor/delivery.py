"""Delivery of one story update to one channel: at least once, never twice.

A lease in Redis marks the (story update, channel) pair while it is being
sent and a record marks it sent, so a retried or duplicated job does not send
again. Retryable failures are retried with backoff until a deadline, then
dead-lettered where `monitor alerts` and the dashboard show them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import click
import redis
from pydantic import BaseModel, ConfigDict

from monitor.channels import CONSOLE, Channel
from monitor.history import History
from monitor.keyspace import Keyspace, as_text
from monitor.notification import Notification
from monitor.sender import Outcome, kind_of, mask, send
from monitor.template import Rendered, render

LEASE_SECONDS = 120
"""How long a delivery in progress holds its pair; a dead worker's lease expires."""

DEADLINE_SECONDS = 6 * 3600
"""How long retryable failures are retried before the delivery is dead-lettered."""

BACKOFF_BASE = 5.0
"""First retry delay in seconds; it doubles with each attempt, with jitter."""

BACKOFF_MAX = 600.0
"""Longest delay between two attempts."""

SEND_TIMEOUT = 15.0
"""Seconds one attempt may take."""


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

    def deliver(self, job: DeliveryJob, now: float) -> DeliveryOutcome:
        note = job.notification
        key = self.keys.delivery(note.story, note.update, job.channel)
        if not self.redis.set(key, "sending", nx=True, ex=LEASE_SECONDS):
            return DeliveryOutcome(Result.ALREADY, as_text(self.redis.get(key) or b""))
        channel = self.channels.get(job.channel)
        if channel is None:
            return self._dead(job, key, now, f"channel {job.channel!r} is no longer configured")
        kind = "text" if channel.url == CONSOLE else kind_of(channel.url)
        rendered = render(note, kind)
        sender = self.console if channel.url == CONSOLE else self.sender
        outcome = sender(channel.url, rendered, SEND_TIMEOUT)
        self._record_attempt(job, channel, outcome, now)
        if outcome.ok:
            self.redis.set(key, "sent", ex=self.history.retention)
            plain = render(note, "text")
            self.history.record_alert(note.summary(job.channel, plain.title, plain.body), now)
            return DeliveryOutcome(Result.SENT)
        if outcome.retryable and now - job.first_attempt < DEADLINE_SECONDS:
            self.redis.delete(key)
            return DeliveryOutcome(Result.RETRY, outcome.detail, backoff(job.attempt))
        return self._dead(job, key, now, outcome.detail)

    def _dead(self, job: DeliveryJob, key: str, now: float, detail: str) -> DeliveryOutcome:
        self.redis.set(key, "dead", ex=self.history.retention)
        note = job.notification
        self.history.record_dead_letter(
            {
                "rule": note.rule,
                "story": note.story,
                "update": note.update,
                "channel": job.channel,
                "attempts": job.attempt,
                "error": detail,
            },
            now,
        )
        return DeliveryOutcome(Result.DEAD, detail)

    def _record_attempt(
        self, job: DeliveryJob, channel: Channel, outcome: Outcome, now: float
    ) -> None:
        note = job.notification
        self.history.record_delivery(
            {
                "rule": note.rule,
                "story": note.story,
                "update": note.update,
                "channel": job.channel,
                "destination": CONSOLE if channel.url == CONSOLE else mask(channel.url),
                "attempt": job.attempt,
                "ok": outcome.ok,
                "retryable": outcome.retryable,
                "detail": outcome.detail,
            },
            now,
        )
