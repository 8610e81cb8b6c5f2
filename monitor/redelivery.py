"""Making a dead-lettered delivery again, by hand, at most once: its record goes from
"dead" to gone in one step, so a second request (a double click, two dashboards) finds
nothing to redeliver, and the delivery job then sends it as any other (idempotent, retried,
dead-lettered again if it fails for good)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, cast

import redis

from monitor.delivery import DeliveryJob
from monitor.history import pair_of
from monitor.keyspace import Keyspace, as_text
from monitor.notification import Notification

# The dead letter leaves the list and the pair's record is freed only while it still says
# "dead": one redelivery per dead letter, whoever asks.
_TAKE_DEAD = """
if redis.call('get', KEYS[1]) ~= 'dead' then return 0 end
redis.call('del', KEYS[1])
redis.call('zrem', KEYS[2], ARGV[1])
return 1
"""


class RedeliveryError(ValueError):
    """Why a dead letter cannot be redelivered, in the words of the person asking."""


def redeliver(
    client: redis.Redis,
    keys: Keyspace,
    story: str,
    update: int,
    channel: str,
    enqueue: Callable[[DeliveryJob], None],
) -> DeliveryJob:
    """Queue the dead-lettered delivery of (story, update, channel) again; the job queued."""
    member, record = _dead_letter(client, keys, (story, update, channel))
    if record.get("notification") is None:
        raise RedeliveryError("this dead letter is older than redelivery: it keeps no message")
    job = DeliveryJob(
        prefix=keys.prefix,
        channel=channel,
        notification=Notification.model_validate(record["notification"]),
        first_attempt=time.time(),
    )
    taken = client.eval(
        _TAKE_DEAD, 2, keys.delivery(story, update, channel), keys.dead_letters, member
    )
    if not taken:
        raise RedeliveryError("already redelivered, or sent since")
    enqueue(job)
    return job


def _dead_letter(
    client: redis.Redis, keys: Keyspace, pair: tuple[str, int, str]
) -> tuple[bytes, dict[str, Any]]:
    for member in reversed(client.zrange(keys.dead_letters, 0, -1)):
        record = json.loads(as_text(member))
        if pair_of(record) == pair:
            return cast(bytes, member), record
    raise RedeliveryError("no such dead letter is kept: already redelivered, or expired")
