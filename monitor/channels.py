"""Where notifications go: channels read from a YAML file, each an apprise URL taken
from the environment, routed by rule and severity.

    channels:
      - name: ops-slack
        url_env: MONITOR_SLACK_URL     # the apprise URL lives in the environment, never here
        rules: ["*"]                   # rule ids, shell-style patterns allowed
        min_severity: high
        updates: true                  # story updates too, not only new stories

With no channels file, notifications are printed to the console. A channel whose variable
is unset is left out, with a note; a URL apprise cannot use is an error of the file.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from monitor.errors import ConfigError, Location, RuleError
from monitor.problems import document_problems
from monitor.rules.model import Severity
from monitor.rules.yaml_file import YamlDocument, read_documents
from monitor.sender import unusable

CONSOLE = "console"
"""The URL of the channel that prints to standard output."""

_HINTS = {"name": "a name of letters, digits, '.', '_' or '-'"}
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ChannelSpec(BaseModel):
    """One entry of the file, as written."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    url_env: str = ""
    rules: list[str] = Field(default_factory=lambda: ["*"])
    min_severity: Severity = Severity.INFO
    updates: bool = True

    @field_validator("url_env")
    @classmethod
    def _a_variable(cls, value: str) -> str:
        # The value is never echoed: a URL or token put here by mistake holds secrets.
        if "://" in value:
            raise ValueError("holds a URL; put the URL in an environment variable, name it here")
        if value and not _VARIABLE.fullmatch(value):
            raise ValueError("not the name of an environment variable (letters, digits, _)")
        return value


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
    url_env: str = ""

    def wants(self, rule: str, severity: Severity, update: bool) -> bool:
        if update and not self.updates:
            return False
        if severity.rank < self.min_severity.rank:
            return False
        return any(fnmatch.fnmatchcase(rule, pattern) for pattern in self.rules)


CONSOLE_CHANNEL = Channel(CONSOLE, CONSOLE)


@dataclass(frozen=True)
class ChannelSet:
    """What a channels file comes to: the channels that send; every channel to show, in
    the file's order, those whose variable is unset included (their `url` is empty); and
    a note on each thing the user should know."""

    channels: dict[str, Channel]
    listed: tuple[Channel, ...]
    notes: tuple[str, ...] = ()


def load_channels(path: Path, env: Mapping[str, str] | None = None) -> dict[str, Channel]:
    """The channels of `path` that send; the console alone when there is no file."""
    return read_channels(path, env).channels


def read_channels(path: Path, env: Mapping[str, str] | None = None) -> ChannelSet:
    """The channels of `path`; every problem of the file is raised at once, as a ConfigError
    of one line each: `channels.yaml:3:5: channel 'x': ...`."""
    env = os.environ if env is None else env
    if not path.exists():
        return ChannelSet({CONSOLE: CONSOLE_CHANNEL}, (CONSOLE_CHANNEL,))
    document = _document(path)
    entries, problems = _entries(document)
    placed = [
        (document.locate(("channels", index)), _channel(spec, env)) for index, spec in entries
    ]
    problems += _duplicates(placed) + _url_problems(placed)
    if problems:
        raise ConfigError("\n".join(problems))
    return _set_of(document.path, placed)


def _document(path: Path) -> YamlDocument:
    try:
        documents = list(read_documents(path))
    except RuleError as exc:
        raise ConfigError(str(exc)) from exc
    return documents[0] if documents else YamlDocument(str(path), {})


def _entries(document: YamlDocument) -> tuple[list[tuple[int, ChannelSpec]], list[str]]:
    """The valid entries with their index, and the problems of the file."""
    data = document.data if document.data is not None else {}
    try:
        ChannelsFile.model_validate(data)
        problems = []
    except ValidationError as exc:
        problems = document_problems(document, (), exc, _HINTS)
    listed = data.get("channels") if isinstance(data, dict) else None
    specs = enumerate(listed if isinstance(listed, list) else [])
    return [(index, spec) for index, entry in specs if (spec := _spec(entry))], problems


def _spec(entry: Any) -> ChannelSpec | None:
    # An invalid entry's problems were told by the validation of the whole file.
    try:
        return ChannelSpec.model_validate(entry)
    except ValidationError:
        return None


def _channel(spec: ChannelSpec, env: Mapping[str, str]) -> Channel:
    url = CONSOLE if spec.url_env == "" else env.get(spec.url_env, "").strip()
    return Channel(spec.name, url, tuple(spec.rules), spec.min_severity, spec.updates, spec.url_env)


Placed = list[tuple[Location, Channel]]
"""Channels with the place of their entry in the file."""


def _duplicates(placed: Placed) -> list[str]:
    first: dict[str, Location] = {}
    problems = []
    for where, channel in placed:
        if channel.name in first:
            earlier = first[channel.name].line
            problems.append(
                f"{where}: channel '{channel.name}': name used before, at line {earlier}"
            )
        first.setdefault(channel.name, where)
    return problems


def _url_problems(placed: Placed) -> list[str]:
    problems = []
    for where, channel in placed:
        reason = unusable(channel.url) if channel.url not in ("", CONSOLE) else None
        if reason:
            problems.append(
                f"{where}: channel '{channel.name}': {reason} (the URL in {channel.url_env})"
            )
    return problems


def _set_of(path: str, placed: Placed) -> ChannelSet:
    sending = {channel.name: channel for _, channel in placed if channel.url}
    listed = [channel for _, channel in placed]
    notes = [
        f"{where}: channel '{channel.name}': {channel.url_env} is not set; channel left out"
        for where, channel in placed
        if not channel.url
    ]
    if not sending:
        notes.append(f"{path}: no channel to send to; notifications are printed to the console")
        sending = {CONSOLE: CONSOLE_CHANNEL}
        listed.append(CONSOLE_CHANNEL)
    return ChannelSet(sending, tuple(listed), tuple(notes))


def route(
    channels: Mapping[str, Channel], rule: str, severity: Severity, update: bool
) -> list[str]:
    """Names of the channels a notification goes to."""
    return [name for name, channel in channels.items() if channel.wants(rule, severity, update)]
