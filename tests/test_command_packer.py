"""The monitor's command packer: the bytes redis-py would send, in one call to hiredis."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import redis

from monitor.connection import COMMAND_PACKER, redis_connection
from monitor.settings import Settings

COMMANDS: list[tuple[Any, ...]] = [
    ("SET", "monitor:p:item:1", '{"title": "قصف قاعدة عين الأسد"}', "EX", 86_400),
    ("HINCRBY", "monitor:p:counters", "alerts:rule-1", 3),
    ("ZADD", "monitor:p:open:rule-1", 1_706_000_000.000_004, "story-1"),
    ("ZRANGEBYSCORE", "monitor:p:open:rule-1", 1.5e9, "+inf", "WITHSCORES"),
    ("SET", "k", 10**30),
    ("SET", "k", -0.0),
    ("SET", "k", float("inf")),
    ("SET", "k", 0.1 + 0.2),
    ("SET", "k", b"\x00\xff bytes"),
    ("SET", "k", bytearray(b"a bytearray")),
    ("SET", "k", memoryview(b"a memoryview")),
    ("SET", "k", ""),
    ("SCRIPT LOAD", "return 1"),
    (b"CLIENT LIST",),
    ("RPUSH", "k", *(f"item {n}" for n in range(200))),
    ("SET", "k", "x" * 100_000),
]


@pytest.mark.parametrize("command", COMMANDS, ids=range(len(COMMANDS)))
def test_a_command_is_packed_into_the_bytes_redis_py_sends(command: tuple[Any, ...]) -> None:
    expected = b"".join(redis.Connection().pack_command(*command))
    assert b"".join(COMMAND_PACKER.pack(*command)) == expected


@pytest.mark.parametrize("value", [True, None, [1], {"a": 1}], ids=repr)
def test_a_value_redis_has_no_type_for_is_refused_as_redis_py_refuses_it(value: Any) -> None:
    with pytest.raises(redis.DataError) as ours:
        COMMAND_PACKER.pack("SET", "k", value)
    with pytest.raises(redis.DataError) as theirs:
        redis.Connection().pack_command("SET", "k", value)
    assert str(ours.value) == str(theirs.value)


def test_the_monitor_s_connection_packs_with_it_and_is_understood(redis_url: str) -> None:
    with redis_connection(Settings(redis_url=redis_url), lambda _: None) as client:
        assert client.connection_pool.connection_kwargs["command_packer"] is COMMAND_PACKER
        key = f"monitor-test:packer:{uuid.uuid4().hex}"
        try:
            with client.pipeline() as pipe:
                pipe.set(key, "عين الأسد")
                pipe.get(key)
                pipe.set(key, 1.5)
                pipe.incrbyfloat(key, 1)
                replies = pipe.execute()
            assert replies == [True, "عين الأسد".encode(), True, 2.5]
            digest = client.script_load("return ARGV[1]")
            assert client.evalsha(digest, 0, "بغداد") == "بغداد".encode()
        finally:
            client.delete(key)
