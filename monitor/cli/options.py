"""Options and helpers that several commands share."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import click

from monitor.channels import ChannelSet, read_channels
from monitor.errors import ConfigError, RuleSetError
from monitor.rules.loader import load_rules
from monitor.rules.rule import Rule
from monitor.settings import Settings

HTTP_LOGGERS = ("httpx", "httpcore")
"""Libraries that log every request at INFO: a line per feed per poll, drowning the outcomes."""


def quiet_http_requests() -> None:
    for name in HTTP_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def announce(message: str) -> None:
    """A status line for the person running the command, on stderr."""
    click.echo(message, err=True)


def checked_settings(rules: Path | None = None, *, channels: bool = True) -> Settings:
    """The settings, with the rules (and, for a command that sends, the channels) they
    name loaded once, to fail before starting rather than lose alerts later."""
    settings = Settings.from_env()
    if rules is not None:
        settings = replace(settings, rules=rules)
    load_or_exit([settings.rules])
    if channels:
        channels_or_exit(settings.channels)
    return settings


def load_or_exit(paths: Sequence[Path]) -> list[Rule]:
    """The rules in `paths` (or the configured rules), or every error on stderr and exit 1."""
    try:
        return load_rules(paths or [Settings.from_env().rules])
    except RuleSetError as exc:
        for error in exc.errors:
            click.echo(str(error), err=True)
        click.echo(f"{len(exc.errors)} error(s) in rules", err=True)
        raise SystemExit(1) from exc


def channels_or_exit(path: Path) -> ChannelSet:
    """The channels of `path`, their notes on stderr; or every problem on stderr and exit 1."""
    try:
        found = read_channels(path)
    except ConfigError as exc:
        problems = str(exc).splitlines()
        for problem in problems:
            click.echo(problem, err=True)
        click.echo(f"{len(problems)} error(s) in {path}", err=True)
        raise SystemExit(1) from exc
    for note in found.notes:
        announce(f"warning: {note}")
    return found
