from __future__ import annotations

from pathlib import Path

import pytest

from monitor.channels import CONSOLE, load_channels, route
from monitor.errors import ConfigError
from monitor.rules.model import Severity
from tests.conftest import ROOT


def test_no_file_means_the_console(tmp_path: Path) -> None:
    assert list(load_channels(tmp_path / "none.yaml", {})) == [CONSOLE]


def test_example_file_routes_by_rule_severity_and_update() -> None:
    env = {"MONITOR_SLACK_URL": "slack://a/b/c", "MONITOR_TELEGRAM_URL": "tgram://123:abc/456"}
    channels = load_channels(ROOT / "channels.example.yaml", env)
    assert route(channels, "us-iraq-talks", Severity.HIGH, update=False) == [
        "ops-slack",
        "analysts-telegram",
    ]
    assert route(channels, "us-iraq-talks", Severity.HIGH, update=True) == ["ops-slack"]
    assert route(channels, "militia-claims", Severity.MEDIUM, update=False) == []


def test_channel_without_its_url_is_skipped(tmp_path: Path) -> None:
    channels = load_channels(ROOT / "channels.example.yaml", {"MONITOR_SLACK_URL": "slack://a/b/c"})
    assert list(channels) == ["ops-slack"]


def test_errors_name_the_place(tmp_path: Path) -> None:
    path = tmp_path / "channels.yaml"
    path.write_text("channels:\n  - name: x\n    url_env: X\n    min_severity: loud\n")
    with pytest.raises(ConfigError, match=r"channels.yaml:4:5: "):
        load_channels(path, {"X": "json://127.0.0.1/"})
