"""Channels files: routing, and every problem of a file told at once, in the user's words,
with no secret of a URL in the message."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.channels import CONSOLE, load_channels, read_channels, route
from monitor.errors import ConfigError
from monitor.rules.model import Severity
from tests.conftest import ROOT


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "channels.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _problems(path: Path, env: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        read_channels(path, env)
    return str(raised.value).splitlines()


def test_no_file_means_the_console(tmp_path: Path) -> None:
    assert list(load_channels(tmp_path / "none.yaml", {})) == [CONSOLE]
    assert read_channels(tmp_path / "none.yaml", {}).notes == ()


def test_example_file_routes_by_rule_severity_and_update() -> None:
    env = {"MONITOR_SLACK_URL": "slack://a/b/c", "MONITOR_TELEGRAM_URL": "tgram://123:abc/456"}
    channels = load_channels(ROOT / "channels.example.yaml", env)
    assert route(channels, "us-iraq-talks", Severity.HIGH, update=False) == [
        "ops-slack",
        "analysts-telegram",
    ]
    assert route(channels, "us-iraq-talks", Severity.HIGH, update=True) == ["ops-slack"]
    assert route(channels, "militia-claims", Severity.MEDIUM, update=False) == []


def test_channel_without_its_url_is_left_out_with_a_note_naming_its_line() -> None:
    found = read_channels(ROOT / "channels.example.yaml", {"MONITOR_SLACK_URL": "slack://a/b/c"})
    assert list(found.channels) == ["ops-slack"]
    assert [channel.name for channel in found.listed] == ["ops-slack", "analysts-telegram"]
    assert found.notes == (
        f"{ROOT / 'channels.example.yaml'}:10:5: channel 'analysts-telegram': "
        "MONITOR_TELEGRAM_URL is not set; channel left out",
    )


def test_no_url_set_at_all_falls_back_to_the_console_and_says_so() -> None:
    found = read_channels(ROOT / "channels.example.yaml", {})
    assert list(found.channels) == [CONSOLE]
    assert found.notes[-1].endswith(
        "no channel to send to; notifications are printed to the console"
    )
    assert [channel.name for channel in found.listed] == [
        "ops-slack",
        "analysts-telegram",
        CONSOLE,
    ]


def test_a_schema_problem_names_file_line_column_and_key(tmp_path: Path) -> None:
    path = _file(tmp_path, "channels:\n  - name: x\n    url_env: X\n    min_severity: loud\n")
    assert _problems(path, {"X": "json://127.0.0.1/"}) == [
        f"{path}:4:5: channels[0].min_severity: 'loud' is not one of "
        "'info', 'low', 'medium', 'high' or 'critical'"
    ]


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("notaservice://SECRETuser@host/SECRETpath", "no service uses notaservice://"),
        ("slak://SECRETa/SECRETb/SECRETc", "no service uses slak://"),
        ("tgram://SECRETbadtoken/1", "invalid tgram:// URL: apprise rejected its tokens"),
        ("SECRET-no-scheme", "not an apprise URL (no scheme://)"),
    ],
)
def test_a_url_apprise_cannot_use_is_an_error_at_its_channel(
    tmp_path: Path, url: str, problem: str
) -> None:
    path = _file(
        tmp_path, "channels:\n  - name: ok\n    url_env: OK\n  - name: x\n    url_env: X\n"
    )
    [line] = _problems(path, {"OK": "json://127.0.0.1/", "X": url})
    assert line.startswith(f"{path}:4:5: channel 'x': ")
    assert problem in line and line.endswith("(the URL in X)")
    assert "SECRET" not in line


def test_every_problem_of_the_file_at_once(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "channels:\n"
        "  - name: a\n    url_env: A\n"
        "  - name: bad name\n    url_env: B\n    colour: red\n"
        "  - name: a\n    url_env: C\n"
        "  - name: d\n    url_env: json://SECRET@127.0.0.1/\n"
        "  - just text\n",
    )
    env = {"A": "notaservice://SECRET@host/", "B": "json://127.0.0.1/", "C": "json://127.0.0.1/"}
    assert _problems(path, env) == [
        f"{path}:4:5: channels[1].name: 'bad name' is not a name of letters, digits, "
        "'.', '_' or '-'",
        f"{path}:6:5: channels[1].colour: unknown key 'colour'",
        f"{path}:10:5: channels[3].url_env: "
        "holds a URL; put the URL in an environment variable, name it here",
        f"{path}:11:5: channels[4]: 'just text' is not a mapping of keys",
        f"{path}:7:5: channel 'a': name used before, at line 2",
        f"{path}:2:5: channel 'a': unsupported apprise URL: no service uses notaservice:// "
        "(the URL in A)",
    ]


def test_malformed_yaml_names_the_place(tmp_path: Path) -> None:
    path = _file(tmp_path, "channels:\n  - name: x\n   url_env: [\n")
    with pytest.raises(ConfigError, match=rf"^{path}:\d+:\d+: invalid YAML"):
        read_channels(path, {})


@pytest.mark.parametrize(
    ("url_env", "problem"),
    [
        ("slack://SECRETa/SECRETb/SECRETc", "holds a URL; put the URL in an environment variable"),
        ("xoxb-SECRET-token", "not the name of an environment variable (letters, digits, _)"),
    ],
)
def test_a_secret_written_as_url_env_is_never_echoed(
    tmp_path: Path, url_env: str, problem: str
) -> None:
    path = _file(tmp_path, f"channels:\n  - name: x\n    url_env: '{url_env}'\n")
    [line] = _problems(path, {})
    assert line.startswith(f"{path}:3:5: channels[0].url_env: {problem}")
    assert "SECRET" not in line
