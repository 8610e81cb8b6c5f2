"""The embedded Redis: started, persistent, never evicting, stopped cleanly."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from monitor.connection import COMMAND_PACKER, eviction_policy, masked_url, redis_connection
from monitor.errors import ConfigError
from monitor.redis_server import EmbeddedRedis
from monitor.settings import Settings
from tests.processes import env_for, monitor


def test_embedded_server_persists_across_restarts(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path)
    server.start()
    try:
        client = redis.Redis(unix_socket_path=str(server.socket))
        assert eviction_policy(client) == "noeviction"
        assert client.config_get("appendonly")["appendonly"] in ("yes", b"yes")
        client.rpush("queue", "job-1")
    finally:
        server.stop()
    assert not server.running()
    again = EmbeddedRedis(tmp_path)
    again.start()
    try:
        assert redis.Redis(unix_socket_path=str(again.socket)).lrange("queue", 0, -1) == [b"job-1"]
    finally:
        again.stop()


def test_connection_starts_and_stops_its_own_server(tmp_path: Path) -> None:
    messages: list[str] = []
    settings = Settings(home=tmp_path)
    with redis_connection(settings, messages.append) as client:
        assert client.ping()
        assert client.connection_pool.connection_kwargs["command_packer"] is COMMAND_PACKER
        with redis_connection(settings, messages.append) as shared:
            assert shared.ping()
    assert "using embedded Redis at" in messages[0]
    assert not EmbeddedRedis(tmp_path).running()


def test_long_home_paths_still_get_a_socket(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 90)
    server = EmbeddedRedis(deep)
    assert len(str(server.socket)) <= 100
    server.start()
    try:
        assert server.running()
    finally:
        server.stop()


def test_unreachable_redis_url_is_a_clear_error() -> None:
    settings = Settings(redis_url="redis://:s3cret@127.0.0.1:1/0")
    with pytest.raises(ConfigError) as caught, redis_connection(settings, lambda m: None):
        pass
    assert "redis://:***@127.0.0.1:1/0" in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_eviction_warning(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    old = eviction_policy(client)
    messages: list[str] = []
    try:
        client.config_set("maxmemory-policy", "allkeys-lru")
        with redis_connection(Settings(redis_url=redis_url), messages.append):
            pass
    finally:
        client.config_set("maxmemory-policy", old or "noeviction")
    assert any("maxmemory-policy is 'allkeys-lru'" in m for m in messages)


def test_masked_url() -> None:
    assert masked_url("redis://user:pw@host:6380/1") == "redis://user:***@host:6380/1"
    assert masked_url("redis://host") == "redis://host"
    assert os.environ.get("RQ_KEY_PREFIX") == "monitor-test:rq"


def _file(tmp_path: Path) -> Path:
    (tmp_path / "file").write_text("not a directory")
    return tmp_path / "file"


def _read_only(tmp_path: Path) -> Path:
    home = tmp_path / "read-only"
    home.mkdir(mode=0o555)
    if os.access(home, os.W_OK):
        pytest.skip("this user writes into read-only directories (root)")
    return home


def _forbidden(tmp_path: Path) -> Path:
    if os.geteuid() != 0:
        (tmp_path / "locked").mkdir(mode=0)
        return tmp_path / "locked" / "home"
    if not Path("/sys/kernel").is_dir():
        pytest.skip("root may create any directory here")
    return Path("/sys/monitor-test-home")  # sysfs refuses even root a new directory


@pytest.mark.parametrize("unusable", [_file, _read_only, _forbidden])
def test_an_unusable_home_is_one_line_saying_what_to_do(
    tmp_path: Path, unusable: Callable[[Path], Path]
) -> None:
    home = unusable(tmp_path)
    env = env_for(tmp_path, "", "monitor-home-test")
    env["MONITOR_HOME"] = str(home)
    try:
        result = monitor("alerts", env=env)
    finally:
        for locked in tmp_path.iterdir():
            locked.chmod(0o755)
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: MONITOR_HOME={home}: not a writable directory (")
    assert "set MONITOR_HOME to a directory you can write, or REDIS_URL" in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
