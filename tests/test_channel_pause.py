"""A channel that does not answer at all holds back its other deliveries for a while, and
only its own: against a real Redis and real sockets on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from monitor.channel_pause import PAUSE_SECONDS, ChannelPauses
from monitor.channels import Channel
from monitor.delivery import DEADLINE_SECONDS, Deliverer, DeliveryJob, Result
from monitor.history import History
from monitor.keyspace import Keyspace
from monitor.sender import Outcome, send
from monitor.template import Rendered
from tests.processes import wait_until
from tests.sink import http_sink
from tests.test_delivery import NOTE, T0


@contextmanager
def refusing_port() -> Iterator[int]:
    """A port on 127.0.0.1 where nothing listens while the test runs: connections refused."""
    held = socket.socket()
    held.bind(("127.0.0.1", 0))  # bound, never listening: the port stays ours and refuses
    try:
        yield held.getsockname()[1]
    finally:
        held.close()


class Counting:
    """The real sender, counting the sends it is asked for by channel URL."""

    def __init__(self) -> None:
        self.sends: list[str] = []

    def __call__(self, url: str, rendered: Rendered, timeout: float) -> Outcome:
        self.sends.append(url)
        return send(url, rendered, timeout)


def job(channel: str, story: str, first: float = T0) -> DeliveryJob:
    note = NOTE.model_copy(update={"story": story})
    return DeliveryJob(prefix="p", channel=channel, notification=note, first_attempt=first)


def test_a_channel_that_does_not_answer_holds_back_only_its_own_deliveries(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    with refusing_port() as port, http_sink() as sink:
        channels = {
            "down": Channel("down", f"json://127.0.0.1:{port}/hook"),
            "up": Channel("up", sink.url()),
        }
        sender = Counting()
        deliverer = Deliverer(
            redis_client, keys, History(redis_client, keys, 3600), channels, sender
        )
        first = deliverer.deliver(job("down", "s1"), T0)
        assert first.result is Result.RETRY and "no HTTP response" in first.detail
        held = deliverer.deliver(job("down", "s2"), T0 + 1)
        assert held.result is Result.PAUSED, held
        assert "held back" in held.detail and "no HTTP response" in held.detail
        assert PAUSE_SECONDS / 2 < held.retry_in <= 1.5 * PAUSE_SECONDS + 1
        assert deliverer.deliver(job("up", "s2"), T0 + 1).result is Result.SENT
        assert sender.sends == [channels["down"].url, channels["up"].url]  # no second try
        # When the pause is over, the next delivery tries the channel again.
        redis_client.pexpire(keys.channel_pause("down"), 1)
        wait_until(lambda: ChannelPauses(redis_client, keys).left("down") == 0, "the pause to end")
        assert deliverer.deliver(job("down", "s2"), T0 + 30).result is Result.RETRY
        assert sender.sends.count(channels["down"].url) == 2


def test_an_error_answer_sets_no_pause_and_a_success_lifts_one(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    pauses = ChannelPauses(redis_client, keys)

    def answered_while_another_timed_out(url: str, rendered: Rendered, timeout: float) -> Outcome:
        # Another worker's send to the same channel timed out while this one went through.
        pauses.pause("hook", "no HTTP response (ReadTimeout)")
        return send(url, rendered, timeout)

    with http_sink() as sink:
        channels = {
            "flaky": Channel("flaky", sink.url(path="/hook/status/503")),
            "hook": Channel("hook", sink.url()),
        }
        history = History(redis_client, keys, 3600)
        deliverer = Deliverer(redis_client, keys, history, channels)
        assert deliverer.deliver(job("flaky", "s1"), T0).result is Result.RETRY
        assert pauses.left("flaky") == 0  # it answered, at once: nothing to hold back
        lucky = Deliverer(redis_client, keys, history, channels, answered_while_another_timed_out)
        assert lucky.deliver(job("hook", "s1"), T0).result is Result.SENT
    assert pauses.left("hook") == 0  # the channel answers again: its deliveries may go


def test_a_delivery_held_back_past_the_deadline_is_dead_lettered(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    history = History(redis_client, keys, 3600)
    deliverer = Deliverer(
        redis_client, keys, history, {"hook": Channel("hook", "json://127.0.0.1:9/hook")}
    )
    ChannelPauses(redis_client, keys).pause("hook", "no HTTP response (ConnectTimeout)")
    outcome = deliverer.deliver(job("hook", "s1"), T0 + DEADLINE_SECONDS)
    assert outcome.result is Result.DEAD
    (dead,) = history.dead_letters()
    assert dead["error"] == "no answer until the deadline: no HTTP response (ConnectTimeout)"
