"""Where notifications go: channels read from a YAML file, each an apprise URL taken
from the environment, routed by rule and severity.

    channels:
      - name: ops-slack
        url_env: MONITOR_SLACK_URL     # the apprise URL lives in the environment, never here
        rules: ["*"]                   # rule ids, shell-style patterns allowed
        min_severity: high
        updates: true                  # story updates too, not only new stories

With no channels file, notifications are printed to the console.
"""

from __future__ import annotations

import fnmatch
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from monitor.errors import ConfigError, RuleError
from monitor.rules.model import Severity
from monitor.rules.yaml_file import read_documents

log = logging.getLogger(__name__)

CONSOLE = "console"
"""The URL of the channel that prints to standard output."""


class ChannelSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    url_env: str = ""
    rules: list[str] = Field(default_factory=lambda: ["*"])
    min_severity: Severity = Severity.INFO
    updates: bool = True


class ChannelsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channels: list[ChannelSpec] = Field(default_factory=list)


@dataclass(frozen=True)
class Channel:
    """A destination with its URL resolved; `url` is secret and never printed."""

    name: str
    url: str
    rules: tuple[str, ...] = ("*",)
    min_severity: Severity = Severity.INFO
    updates: bool = True

    def wants(self, rule: str, severity: Severity, update: bool) -> bool:
        if update and not self.updates:
            return False
        if severity.rank < self.min_severity.rank:
            return False
        return any(fnmatch.fnmatchcase(rule, pattern) for pattern in self.rules)


CONSOLE_CHANNEL = Channel(CONSOLE, CONSOLE)


def load_channels(path: Path, env: Mapping[str, str] | None = None) -> dict[str, Channel]:
    """The channels of `path` whose URL is set; the console alone when there is no file."""
    env = os.environ if env is None else env
    if not path.exists():
        return {CONSOLE: CONSOLE_CHANNEL}
    specs = _read(path)
    channels = {}
    for spec in specs.channels:
        url = CONSOLE if spec.url_env == "" else env.get(spec.url_env, "")
        if not url:
            log.warning("channel %s: %s is not set; channel skipped", spec.name, spec.url_env)
            continue
        channels[spec.name] = Channel(
            spec.name, url, tuple(spec.rules), spec.min_severity, spec.updates
        )
    if not channels:
        log.warning("%s: no channel has its URL set; printing to the console", path)
        return {CONSOLE: CONSOLE_CHANNEL}
    return channels


def _read(path: Path) -> ChannelsFile:
    try:
        documents = list(read_documents(path))
    except RuleError as exc:
        raise ConfigError(str(exc)) from exc
    document = documents[0] if documents else None
    try:
        return ChannelsFile.model_validate(document.data if document else {})
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = document.locate(tuple(problem["loc"])) if document else path
        raise ConfigError(
            f"{where}: {problem['msg']} ({'.'.join(map(str, problem['loc']))})"
        ) from exc


def route(
    channels: Mapping[str, Channel], rule: str, severity: Severity, update: bool
) -> list[str]:
    """Names of the channels a notification goes to."""
    return [name for name, channel in channels.items() if channel.wants(rule, severity, update)]
