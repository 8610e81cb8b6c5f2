"""The deployment: docker-compose.yml against the Compose Specification's schema, the image
the Dockerfile builds, and the `monitor` commands they run."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import posixpath
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import redis
import yaml

from monitor.heartbeat import Heartbeat
from monitor.keyspace import Keyspace
from tests.conftest import ROOT
from tests.test_readme import _resolve

SCHEMA = ROOT / "tests" / "data" / "compose" / "compose-spec.json"
SCHEMA_SHA256 = "46b7d35f19dd93a05f8fea530291bf84d881c1791ec167ecf0e6fb94e639d496"
"""The vendored schema's checksum, as recorded in tests/data/compose/README.md."""

SCALABLE = {"poller": "poll", "worker": "work"}
"""The services run on as many machines as needed, and the `monitor` command of each."""


def _compose() -> dict[str, Any]:
    document = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    instructions, pending = [], ""
    for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        keyword, _, arguments = pending.strip().partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def _arguments(keyword: str) -> list[str]:
    return [arguments for found, arguments in _instructions() if found == keyword]


def _words(arguments: str) -> list[str]:
    """The words of an instruction in exec form (a JSON array) or shell form."""
    return json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)


def _image_env() -> dict[str, str]:
    words = [word for arguments in _arguments("ENV") for word in shlex.split(arguments)]
    return dict(word.partition("=")[::2] for word in words)


def _image_paths() -> dict[str, str]:
    """Each file or directory the image copies from the context, by where it lands."""
    workdir, landed = "/", {}
    for keyword, arguments in _instructions():
        if keyword == "WORKDIR":
            workdir = posixpath.join(workdir, arguments)
        if keyword == "COPY" and not arguments.startswith("--"):
            *sources, destination = shlex.split(arguments)
            target = posixpath.join(workdir, destination)
            for source in sources:
                into = target.endswith("/") or len(sources) > 1
                where = posixpath.join(target, posixpath.basename(source)) if into else target
                landed[posixpath.normpath(where)] = source
    return landed


def _assert_runs(words: list[str], where: str) -> None:
    """`words` is a `monitor` command line whose command and options exist."""
    assert words[:1] == ["monitor"], f"{where}: not a monitor command: {words}"
    path, command, rest = _resolve(words[1:])
    assert path, f"{where}: unknown command: {' '.join(words)}"
    # Parsing the arguments as the command would refuses an unknown option or argument.
    command.make_context(" ".join(["monitor", *path]), list(rest))


def test_the_vendored_schema_is_the_one_recorded() -> None:
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256
    notice = (SCHEMA.parent / "README.md").read_text(encoding="utf-8")
    assert SCHEMA_SHA256 in notice and "Apache License" in notice


def test_the_compose_file_follows_the_compose_specification() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(_compose())
    ]
    assert errors == []


def test_redis_keeps_every_write_never_evicts_and_tells_its_health() -> None:
    redis = _compose()["services"]["redis"]
    command = _words(redis["command"]) if isinstance(redis["command"], str) else redis["command"]
    settings = dict(zip(command[1::2], command[2::2], strict=False))
    assert command[0] == "redis-server"
    assert settings["--appendonly"] == "yes"
    assert settings["--maxmemory-policy"] == "noeviction"
    assert redis["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL")
    volumes = [volume.split(":") for volume in redis["volumes"]]
    assert [source for source, target, *_ in volumes if target == "/data"], "no volume at /data"
    assert volumes[0][0] in _compose()["volumes"], "redis' data is not on a named volume"


@pytest.mark.parametrize(("service", "command"), sorted(SCALABLE.items()))
def test_a_scalable_service_runs_a_real_monitor_command(service: str, command: str) -> None:
    spec = _compose()["services"][service]
    entrypoint = spec.get("entrypoint") or _words(_arguments("ENTRYPOINT")[-1])
    words = [*entrypoint, *spec["command"]]
    _assert_runs(words, f"docker-compose.yml: {service}")
    assert words[1] == command


@pytest.mark.parametrize("service", sorted(SCALABLE))
def test_a_scalable_service_waits_for_a_healthy_shared_redis(service: str) -> None:
    compose = _compose()
    spec = compose["services"][service]
    assert spec["depends_on"]["redis"]["condition"] == "service_healthy"
    url = urlsplit(spec["environment"]["REDIS_URL"])
    assert (url.scheme, url.hostname) == ("redis", "redis")
    assert url.port in (None, 6379)
    # A fixed name or host port would stop a second replica from starting.
    assert "container_name" not in spec and "ports" not in spec


def test_pollers_and_workers_see_the_same_rules_and_channels() -> None:
    """A poller puts the paths of its rules and channels into every job it queues."""
    services = _compose()["services"]
    poller, worker = services["poller"], services["worker"]
    assert poller.get("environment") == worker.get("environment")
    assert poller.get("volumes") == worker.get("volumes")


def test_the_compose_file_needs_no_channels_file() -> None:
    for service in SCALABLE:
        spec = _compose()["services"][service]
        mounted = [volume for volume in spec.get("volumes", []) if "channels" in str(volume)]
        assert mounted == [], f"{service} mounts a channels file that may not exist"
        for env_file in spec.get("env_file", []):
            assert isinstance(env_file, dict) and env_file["required"] is False


def test_the_image_runs_as_a_user_that_is_not_root() -> None:
    users = _arguments("USER")
    assert users, "the Dockerfile sets no USER"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_the_image_declares_its_data_directory_a_volume() -> None:
    volumes = [path for arguments in _arguments("VOLUME") for path in _words(arguments)]
    assert _image_env()["MONITOR_HOME"] in volumes


def test_the_image_carries_the_rules_and_feeds_it_is_set_to_read() -> None:
    env, landed = _image_env(), _image_paths()
    assert landed.get(env["MONITOR_RULES"]) in ("rules", "rules/", "./rules")
    assert landed.get(env["MONITOR_FEEDS"]) in ("feeds.yaml", "./feeds.yaml")


def test_the_build_context_holds_what_the_image_copies() -> None:
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for source in _image_paths().values():
        name = posixpath.normpath(source)
        assert (ROOT / name).exists(), f"COPY {source}: no such file"
        assert not any(fnmatch.fnmatch(name, pattern) for pattern in ignored), source


def _healthcheck() -> list[str]:
    arguments = _arguments("HEALTHCHECK")
    assert arguments, "the Dockerfile has no HEALTHCHECK"
    _, found, command = arguments[-1].partition("CMD ")
    assert found, f"HEALTHCHECK without a command: {arguments[-1]}"
    return _words(command.strip())


def _run_check(words: list[str], env: dict[str, str]) -> int:
    command = [sys.executable, "-m", "monitor", *words[1:]]
    full = {key: value for key, value in os.environ.items() if not key.startswith("REDIS_URL")}
    return subprocess.run(command, env={**full, **env}, capture_output=True, timeout=120).returncode


def test_the_healthcheck_is_a_real_check(
    redis_url: str, redis_client: redis.Redis, keys: Keyspace, tmp_path: Path
) -> None:
    words = _healthcheck()
    _assert_runs(words, "Dockerfile: HEALTHCHECK")
    env = {"MONITOR_PREFIX": keys.prefix, "MONITOR_FEEDS": str(tmp_path / "feeds.yaml")}
    assert _run_check(words, {**env, "REDIS_URL": redis_url}) != 0  # nothing beats yet
    Heartbeat(redis_client, keys, "worker").beat()  # a worker of this host, as in a container
    assert _run_check(words, {**env, "REDIS_URL": redis_url}) == 0
    assert _run_check(words, {**env, "REDIS_URL": "redis://127.0.0.1:1/0"}) != 0
    # Without REDIS_URL and no embedded server running, it fails and starts none.
    assert _run_check(words, {**env, "MONITOR_HOME": str(tmp_path / "home")}) != 0
    assert not (tmp_path / "home").exists()


def test_the_dashboard_service_asks_for_its_token_and_checks_healthz() -> None:
    spec = _compose()["services"]["dashboard"]
    entrypoint = spec.get("entrypoint") or _words(_arguments("ENTRYPOINT")[-1])
    words = [*entrypoint, *spec["command"]]
    _assert_runs(words, "docker-compose.yml: dashboard")
    assert words[1] == "dashboard" and words[words.index("--host") + 1] == "0.0.0.0"
    # Off loopback it needs its token: from the environment (.env), never written here.
    assert spec["environment"]["MONITOR_DASHBOARD_TOKEN"].startswith("${MONITOR_DASHBOARD_TOKEN")
    assert all(port.startswith("127.0.0.1:") for port in spec["ports"])
    test = spec["healthcheck"]["test"]
    assert test[0] == "CMD" and "/healthz" in " ".join(test)
    assert (
        spec["environment"]["REDIS_URL"]
        == _compose()["services"]["worker"]["environment"]["REDIS_URL"]
    )
