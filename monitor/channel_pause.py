"""Holding back the deliveries to a channel that did not answer at all (a timeout, a
refused connection), so that a hanging destination ties up one worker now and then rather
than a worker per waiting delivery: the others reach the channels that answer."""

from __future__ import annotations

import random

import redis

from monitor.keyspace import Keyspace, as_text

PAUSE_SECONDS = 20
"""How long a channel's other deliveries wait after a send to it got no answer; the first
delivery to come back afterwards tries again, and renews the pause if it fails the same way."""


class ChannelPauses:
    """The channels whose deliveries wait, in Redis so every worker sees them."""

    def __init__(self, client: redis.Redis, keys: Keyspace) -> None:
        self.redis = client
        self.keys = keys

    def left(self, channel: str) -> float:
        """Seconds the channel's deliveries still wait; 0 when they may go."""
        left = int(self.redis.pttl(self.keys.channel_pause(channel)))
        return left / 1000 if left > 0 else 0.0

    def reason(self, channel: str) -> str:
        return as_text(self.redis.get(self.keys.channel_pause(channel)) or b"")

    def pause(self, channel: str, detail: str) -> None:
        self.redis.set(self.keys.channel_pause(channel), detail, ex=PAUSE_SECONDS)

    def lift(self, channel: str, pipe: redis.client.Pipeline) -> None:
        pipe.delete(self.keys.channel_pause(channel))


def come_back_in(left: float, rng: random.Random | None = None) -> float:
    """When a held-back delivery comes back: after the pause, spread over half a pause so
    they do not all try the channel at the same moment."""
    return left + (rng or random).uniform(0, PAUSE_SECONDS / 2)
