"""The Redis the monitor uses: REDIS_URL when set, else its own embedded server."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import hiredis
import redis

from monitor.errors import ConfigError
from monitor.redis_server import EmbeddedRedis
from monitor.settings import Settings

log = logging.getLogger(__name__)

Announce = Callable[[str], None]

T = TypeVar("T")

REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)
"""What a Redis that went away (stopped, restarting, unreachable) raises."""


class CommandPacker:
    """Packs a command for the wire in one call to hiredis. redis-py's own packer wraps the
    same call in Python that took about 6 µs a command here against 1, and a busy worker
    sends about nine commands an item. As redis-py's: a command name of two words is two
    arguments, a bytearray is bytes, and a value of a type Redis has none for is refused
    with redis-py's error; text is UTF-8, as the monitor's is."""

    def pack(self, *args: Any) -> list[bytes]:
        name = args[0]
        words = name.split() if isinstance(name, (str, bytes)) else [name]
        if len(words) > 1:
            args = (*words, *args[1:])
        try:
            return [hiredis.pack_command(args)]
        except TypeError:
            packable: tuple[Any, ...] = tuple(map(_packable, args))
            return [hiredis.pack_command(packable)]


def _packable(value: Any) -> str | bytes | int | float:
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, (str, bytes, int, float)) and not isinstance(value, bool):
        return value
    raise redis.DataError(
        f"Invalid input of type: {type(value).__name__!r}. "
        "Convert to a bytes, string, int or float first."
    )


COMMAND_PACKER = CommandPacker()


def packing_lean(client: redis.Redis) -> redis.Redis:
    """`client`, made to pack its commands with COMMAND_PACKER (before its first connection,
    which takes it from the pool's arguments)."""
    client.connection_pool.connection_kwargs["command_packer"] = COMMAND_PACKER
    return client


def masked_url(url: str) -> str:
    """A Redis URL with its password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


def redis_url(settings: Settings) -> str:
    """The URL of the Redis in use: REDIS_URL, else the embedded server's socket."""
    return settings.redis_url or EmbeddedRedis(settings.home).url


@contextmanager
def redis_connection(
    settings: Settings, announce: Announce = log.info, start: bool = True
) -> Iterator[redis.Redis]:
    """A checked connection; an embedded server started here is stopped on exit. With
    `start` False, one that is not running is an error (a health check starts nothing).

    A child of `monitor run` stays quiet about the Redis: its parent said which.
    """
    if settings.supervised:
        announce = log.debug
    server: EmbeddedRedis | None = None
    if settings.redis_url:
        client = packing_lean(redis.Redis.from_url(settings.redis_url))
        where = masked_url(settings.redis_url)
    else:
        embedded = EmbeddedRedis(settings.home)
        if not embedded.running():
            if not start:
                raise ConfigError(
                    f"no Redis: REDIS_URL is not set and no embedded Redis runs in "
                    f"MONITOR_HOME={settings.home}"
                )
            embedded.start()
            server = embedded
        client = packing_lean(redis.Redis(unix_socket_path=str(embedded.socket)))
        where = f"embedded Redis at {embedded.socket} (data in {embedded.directory})"
    try:
        _check(client, where, announce)
        yield client
    finally:
        client.close()
        if server is not None:
            server.stop()


def _check(client: redis.Redis, where: str, announce: Announce) -> None:
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ConfigError(f"cannot reach Redis ({where}): {exc}") from exc
    announce(f"using {where}")
    policy = eviction_policy(client)
    if policy not in ("noeviction", None):
        announce(
            f"warning: Redis maxmemory-policy is {policy!r}; queued items may be evicted "
            "silently. Set it to 'noeviction'."
        )


def eviction_policy(client: redis.Redis) -> str | None:
    """The server's maxmemory-policy, or None where CONFIG is not allowed (managed Redis)."""
    try:
        value = client.config_get("maxmemory-policy").get("maxmemory-policy")
    except redis.ResponseError:
        return None
    return value.decode() if isinstance(value, bytes) else value


def until_redis_answers(
    action: Callable[[], T], patience: float, sleep: Callable[[float], None] = time.sleep
) -> T:
    """`action`'s result, tried again while Redis does not answer, for up to `patience`
    seconds (then its last error): for a write that must not be lost because what it
    records has already happened, such as a message the destination took in."""
    deadline = time.monotonic() + patience
    wait = 0.25
    while True:
        try:
            return action()
        except REDIS_DOWN as exc:
            if time.monotonic() + wait > deadline:
                raise
            log.warning("Redis does not answer (%s); trying again in %.1f s", exc, wait)
            sleep(wait)
            wait = min(2 * wait, 5.0)
