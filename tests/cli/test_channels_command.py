"""`monitor channels` and `monitor channels test`, and the commands that send refusing a bad
channels file: the real command line, real HTTP destinations on 127.0.0.1."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner, Result

from monitor.cli import main
from monitor.keyspace import Keyspace
from tests.processes import env_for, monitor
from tests.sink import Sink, http_sink

CHANNELS = """\
channels:
  - name: ops
    url_env: OPS_URL
    rules: [us-iraq-talks, "militia-*"]
    min_severity: high
    updates: false
  - name: hook
    url_env: HOOK_URL
  - name: later
    url_env: LATER_URL
"""

BAD_CHANNELS = """\
channels:
  - name: hook
    url_env: HOOK_URL
  - name: typo
    url_env: TYPO_URL
"""


@pytest.fixture(autouse=True)
def apprise_logging_kept() -> Iterator[None]:
    """main() quiets apprise's logger for the whole process: put it back for later tests."""
    logger = logging.getLogger("apprise")
    level, propagate = logger.level, logger.propagate
    yield
    logger.setLevel(level)
    logger.propagate = propagate


@pytest.fixture
def sink() -> Iterator[Sink]:
    with http_sink() as server:
        yield server


def _channels(tmp_path: Path, text: str = CHANNELS) -> Path:
    path = tmp_path / "channels.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _invoke(*args: str, env: dict[str, str]) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def _env(tmp_path: Path, sink: Sink, **urls: str) -> dict[str, str]:
    return {
        "MONITOR_CHANNELS": str(_channels(tmp_path)),
        "OPS_URL": sink.url(path="/ops").replace("json://", "json://user:SECRETpw@"),
        "HOOK_URL": sink.url(path="/hook"),
        **urls,
    }


def test_list_shows_each_channel_masked(tmp_path: Path, sink: Sink) -> None:
    result = _invoke("channels", env=_env(tmp_path, sink))
    assert result.exit_code == 0, result.output
    header, ops, hook, later = result.stdout.splitlines()
    assert header.split() == ["NAME", "SERVICE", "URL", "RULES", "MIN", "SEVERITY", "UPDATES"]
    port = sink.port
    assert ops.split() == [
        "ops",
        "JSON",
        f"json://user:****@127.0.0.1:{port}/ops",
        "us-iraq-talks,militia-*",
        "high",
        "no",
    ]
    assert hook.split() == ["hook", "JSON", f"json://127.0.0.1:{port}/hook", "*", "info", "yes"]
    assert later.split() == ["later", "-", "(LATER_URL", "is", "not", "set)", "*", "info", "yes"]
    assert "channel 'later': LATER_URL is not set; channel left out" in result.stderr
    assert "SECRETpw" not in result.output


def test_list_as_json_one_object_per_channel(tmp_path: Path, sink: Sink) -> None:
    result = _invoke("channels", "--json", env=_env(tmp_path, sink))
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["name"] for row in rows] == ["ops", "hook", "later"]
    assert rows[0]["url"].startswith(f"json://user:****@127.0.0.1:{sink.port}/ops")
    assert {key: rows[0][key] for key in ("service", "rules", "min_severity", "updates")} == {
        "service": "JSON",
        "rules": ["us-iraq-talks", "militia-*"],
        "min_severity": "high",
        "updates": False,
    }
    assert (rows[2]["sends"], rows[2]["url_env"]) == (False, "LATER_URL")
    assert "SECRETpw" not in result.output


def test_list_without_a_file_is_the_console(tmp_path: Path) -> None:
    result = _invoke("channels", env={"MONITOR_CHANNELS": str(tmp_path / "none.yaml")})
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].split()[:3] == ["console", "console", "standard"]


def test_test_sends_to_each_and_tells_what_it_answered(tmp_path: Path, sink: Sink) -> None:
    env = _env(tmp_path, sink, HOOK_URL=sink.url(path="/status/401"))
    result = _invoke("channels", "test", env=env)
    assert result.exit_code == 1, result.output
    port = sink.port
    assert result.stdout.splitlines() == [
        f"ops: json://user:****@127.0.0.1:{port}/ops: sent",
        f"hook: json://127.0.0.1:{port}/status/401: failed: HTTP 401 Unauthorized",
        "later: not sent: LATER_URL is not set",
    ]
    assert "1 channel(s) failed the test" in result.stderr
    assert sorted(received.path for received in sink.received) == ["/ops", "/status/401"]
    assert "channel 'ops'" in json.loads(sink.received[0].body)["message"]


def test_test_one_channel_by_name(tmp_path: Path, sink: Sink) -> None:
    result = _invoke("channels", "test", "hook", env=_env(tmp_path, sink))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"hook: json://127.0.0.1:{sink.port}/hook: sent\n"
    assert [received.path for received in sink.received] == ["/hook"]


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("nope", "no channel 'nope'; the channels are: ops, hook, later"),
        ("later", "channel 'later': LATER_URL is not set"),
    ],
)
def test_test_a_channel_that_cannot_be_tested(
    tmp_path: Path, sink: Sink, name: str, error: str
) -> None:
    result = _invoke("channels", "test", name, env=_env(tmp_path, sink))
    assert result.exit_code != 0
    assert error in result.stderr
    assert sink.received == []


def test_test_reports_the_status_under_the_real_command_line(tmp_path: Path, sink: Sink) -> None:
    """main() silences apprise's logger, where its HTTP statuses are read: in a real process,
    a 401 is still a 401 and a 500 a 500, not "no response"."""
    env = env_for(
        tmp_path,
        "",
        "monitor-channels-test",
        OPS_URL=sink.url(path="/status/500"),
        HOOK_URL=sink.url(path="/status/401"),
    )
    _channels(tmp_path)
    result = monitor("channels", "test", env=env)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[:2] == [
        f"ops: json://127.0.0.1:{sink.port}/status/500: "
        "failed: HTTP 500 Internal Server Error (a delivery would retry it)",
        f"hook: json://127.0.0.1:{sink.port}/status/401: failed: HTTP 401 Unauthorized",
    ]


# --- the commands that send refuse a bad channels file ---


@pytest.mark.parametrize("command", [["run"], ["work", "--burst"], ["replay", "tests/data/seeds"]])
def test_sending_commands_refuse_a_bad_channels_file(
    tmp_path: Path, redis_url: str, keys: Keyspace, command: list[str]
) -> None:
    _channels(tmp_path, BAD_CHANNELS)
    env = env_for(
        tmp_path,
        redis_url,
        keys.prefix,
        HOOK_URL="notaservice://user:SECRETpw@example.invalid/x",
        TYPO_URL="slak://SECRETa/SECRETb/SECRETc",
    )
    result = monitor(*command, env=env)
    path = tmp_path / "channels.yaml"
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        f"{path}:2:5: channel 'hook': unsupported apprise URL: no service uses notaservice:// "
        "(the URL in HOOK_URL)",
        f"{path}:4:5: channel 'typo': unsupported apprise URL: no service uses slak:// "
        "(the URL in TYPO_URL)",
        f"2 error(s) in {path}",
    ]
    assert result.stdout == ""
    assert not (tmp_path / "home").exists(), "it started Redis before refusing"


def test_work_warns_of_a_channel_left_out(
    tmp_path: Path, redis_url: str, keys: Keyspace, redis_client: redis.Redis, sink: Sink
) -> None:
    _channels(tmp_path, BAD_CHANNELS)
    env = env_for(tmp_path, redis_url, keys.prefix, HOOK_URL=sink.url())
    result = monitor("work", "--burst", env=env)
    assert result.returncode == 0, result.stderr
    path = tmp_path / "channels.yaml"
    assert f"warning: {path}:4:5: channel 'typo': TYPO_URL is not set; channel left out" in (
        result.stderr.splitlines()
    )


def test_list_tells_every_problem_of_a_bad_file(tmp_path: Path) -> None:
    path = _channels(tmp_path, BAD_CHANNELS)
    env = {"MONITOR_CHANNELS": str(path), "HOOK_URL": "notaservice://SECRET@x", "TYPO_URL": "x"}
    result = _invoke("channels", env=env)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}:2:5: channel 'hook': unsupported apprise URL: no service uses notaservice:// "
        "(the URL in HOOK_URL)",
        f"{path}:4:5: channel 'typo': not an apprise URL (no scheme://) (the URL in TYPO_URL)",
        f"2 error(s) in {path}",
    ]
