"""Shared fixtures: the seed articles, the shipped rules and the background corpus."""

from __future__ import annotations

import os

# RQ reads its key prefix once, at import: keep the tests' jobs apart from a live monitor's.
os.environ["RQ_KEY_PREFIX"] = "monitor-test:rq"

import ipaddress
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from monitor.keyspace import Keyspace
from monitor.redis_server import EmbeddedRedis
from monitor.rules.loader import load_rules
from monitor.rules.matcher import Matcher
from monitor.rules.rule import Rule

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "tests" / "data" / "seeds").glob("*.txt"))
RULES_DIR = ROOT / "rules"
ALJAZEERA = ROOT.parent / "shared" / "corpus" / "aljazeera" / "articles.jsonl"


@pytest.fixture(scope="session")
def shipped_rules() -> list[Rule]:
    return load_rules([RULES_DIR])


@pytest.fixture(scope="session")
def shipped_matcher(shipped_rules: list[Rule]) -> Matcher:
    return Matcher(shipped_rules)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """REDIS_URL when set, else a real embedded server for the whole session."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis-home"))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def keys() -> Keyspace:
    """A keyspace of the test's own, so tests never see each other's keys."""
    return Keyspace(f"monitor-test:{uuid.uuid4().hex[:10]}")


@pytest.fixture
def redis_client(redis_url: str, keys: Keyspace) -> Iterator[redis.Redis]:
    """A client of the real server; the test's keys are removed afterwards."""
    client = redis.Redis.from_url(redis_url)
    yield client
    for key in client.scan_iter(match=f"{keys.prefix}:*", count=1000):
        client.delete(key)
    client.close()


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach past 127.0.0.1: a connection anywhere else fails the test."""
    real = socket.socket.connect

    def connect(sock: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and not ipaddress.ip_address(address[0]).is_loopback:
            raise AssertionError(f"a test tried to reach {address[0]}")
        real(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
