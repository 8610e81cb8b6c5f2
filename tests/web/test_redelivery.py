"""Redelivering a dead letter from the dashboard: queued once however often it is asked,
then sent by a real worker to the (now working) destination; against a real Redis."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from monitor.channels import Channel
from monitor.delivery import Deliverer, DeliveryJob, Result
from monitor.history import History
from monitor.keyspace import Keyspace
from monitor.redelivery import RedeliveryError, redeliver
from tests.processes import env_for, monitor
from tests.sink import Sink, http_sink
from tests.test_delivery import NOTE
from tests.web.dashboard import dashboard


@contextmanager
def dead_lettered(
    tmp_path: Path, redis_url: str, client: redis.Redis, keys: Keyspace
) -> Iterator[tuple[Sink, dict[str, str]]]:
    """A delivery of NOTE to a channel `hook` dead-lettered by a 400 from the sink, and
    the environment of a monitor whose `hook` now points at the working sink."""
    with http_sink() as sink:
        history = History(client, keys, 3600)
        failing = {"hook": Channel("hook", sink.url(path="/hook/status/400"))}
        job = DeliveryJob(
            prefix=keys.prefix, channel="hook", notification=NOTE, first_attempt=time.time()
        )
        assert Deliverer(client, keys, history, failing).deliver(job, time.time()).result is (
            Result.DEAD
        )
        (tmp_path / "channels.yaml").write_text(
            "channels:\n  - name: hook\n    url_env: HOOK_URL\n", encoding="utf-8"
        )
        yield sink, env_for(tmp_path, redis_url, keys.prefix, HOOK_URL=sink.url())


def test_a_dead_letter_is_redelivered_once_from_the_page(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis, keys: Keyspace
) -> None:
    with dead_lettered(tmp_path, redis_url, redis_client, keys) as (sink, env):
        with dashboard(env) as board, board.client() as http:
            page = http.get("/deliveries").text
            assert "HTTP 400" in page and "Redeliver" in page
            # The form as the page carries it, hidden fields and all.
            action = page.index('action="/deliveries/redeliver"')
            form = dict(
                re.findall(r'name="(\w+)" value="([^"]*)"', page[action:].split("</form>")[0])
            )
            assert form == {"csrf": form["csrf"], "story": "s1", "update": "0", "channel": "hook"}
            again = http.post("/deliveries/redeliver", data=form)
            assert again.status_code == 303 and again.headers["location"] == "/deliveries"
            twice = http.post("/deliveries/redeliver", data=form)
            assert twice.status_code == 409 and "already redelivered" in twice.text
            assert http.post("/deliveries/redeliver", data={**form, "csrf": "x"}).status_code == 403
        worked = monitor("work", "--burst", env=env)
        assert worked.returncode == 0, worked.stderr
    assert len(sink.received) == 2  # the 400, then the redelivery: once
    rows = [json.loads(line) for line in monitor("alerts", "--json", env=env).stdout.splitlines()]
    assert [(row["kind"], row["channel"]) for row in rows] == [("notification", "hook")]


def test_what_cannot_be_redelivered_says_why(redis_client: redis.Redis, keys: Keyspace) -> None:
    queued: list[DeliveryJob] = []
    with pytest.raises(RedeliveryError, match="no such dead letter"):
        redeliver(redis_client, keys, "s1", 0, "hook", queued.append)
    old = {"rule": "r", "story": "s1", "update": 0, "channel": "hook", "error": "HTTP 400"}
    History(redis_client, keys, 3600).record_dead_letter(old, time.time())
    with pytest.raises(RedeliveryError, match="keeps no message"):
        redeliver(redis_client, keys, "s1", 0, "hook", queued.append)
    assert queued == []
