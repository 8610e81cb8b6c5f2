"""The monitor's settings: one table, read from the environment once.

| variable               | default           | meaning                                        |
|------------------------|-------------------|------------------------------------------------|
| REDIS_URL              | (embedded server) | Redis to use; unset: a server of our own       |
| MONITOR_HOME           | ./.monitor        | data directory: embedded Redis and its AOF     |
| MONITOR_RULES          | ./rules           | rules file or directory                        |
| MONITOR_CHANNELS       | ./channels.yaml   | channels file; missing: print to the console   |
| MONITOR_FEEDS          | ./feeds.yaml      | feeds to poll                                  |
| MONITOR_PREFIX         | monitor           | prefix of every Redis key                      |
| MONITOR_RETENTION_DAYS | 30                | how long items, stories and alerts are kept    |
| MONITOR_WORKERS        | 2                 | worker processes started by `monitor run`      |
| MONITOR_DASHBOARD_PORT | 8484              | the dashboard's port (`monitor run`: 0, none)  |
| MONITOR_SUPERVISED     | (unset)           | set in `monitor run`'s children: no Redis line |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from monitor.errors import ConfigError


@dataclass(frozen=True)
class Settings:
    """Every setting the monitor reads, with its default."""

    redis_url: str = ""
    home: Path = Path(".monitor")
    rules: Path = Path("rules")
    channels: Path = Path("channels.yaml")
    feeds: Path = Path("feeds.yaml")
    prefix: str = "monitor"
    retention_days: int = 30
    workers: int = 2
    dashboard_port: int = 8484
    supervised: bool = False

    @property
    def retention_seconds(self) -> int:
        return self.retention_days * 86_400

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            redis_url=env.get("REDIS_URL", ""),
            home=Path(env.get("MONITOR_HOME", ".monitor")),
            rules=Path(env.get("MONITOR_RULES", "rules")),
            channels=Path(env.get("MONITOR_CHANNELS", "channels.yaml")),
            feeds=Path(env.get("MONITOR_FEEDS", "feeds.yaml")),
            prefix=env.get("MONITOR_PREFIX", "monitor"),
            retention_days=_positive_int(env, "MONITOR_RETENTION_DAYS", 30),
            workers=_positive_int(env, "MONITOR_WORKERS", 2),
            dashboard_port=_port(env, "MONITOR_DASHBOARD_PORT", 8484),
            supervised=bool(env.get("MONITOR_SUPERVISED")),
        )


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "")
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{name}={raw!r}: expected a whole number of 1 or more")
    return int(raw)


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "")
    if not raw:
        return default
    if not raw.isdigit() or int(raw) > 65_535:
        raise ConfigError(f"{name}={raw!r}: expected a port number from 0 to 65535")
    return int(raw)
